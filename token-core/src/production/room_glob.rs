//! Room-name globs of the policy's rules: `*` and `?` over any characters, and `{sub}` for
//! the caller's identity taken literally.

use std::fmt;

use serde::Deserialize;

/// A room-name glob. Hand-written rather than `globset`: room names are not paths (`*` must
/// cross `/`), and `{sub}` must stand for the caller's identity taken literally, whatever
/// characters it holds.
#[derive(Clone, PartialEq, Eq)]
pub struct RoomGlob {
    source: String,
    parts: Vec<GlobPart>,
    /// With `{sub}`: the fixed text before it.
    prefix: Option<String>,
    /// With `{sub}`: the delimiter after it; `None` when it ends the glob.
    pub(crate) delimiter: Option<char>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum GlobPart {
    Literal(char),
    AnyRun,
    AnyOne,
    Identity,
}

impl RoomGlob {
    /// Parses a glob; `{` is only ever the start of `{sub}`, which comes at most once, after
    /// fixed text and before the end or a delimiter (ASCII punctuation).
    pub fn parse(source: &str) -> Result<Self, String> {
        if source.is_empty() {
            return Err("a room glob is empty".to_owned());
        }
        let invalid = |why: &str| format!("room glob {source:?}: {why}");
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("{sub}") {
                parts.push(GlobPart::Identity);
                rest = after;
                continue;
            }
            parts.push(match c {
                '*' => GlobPart::AnyRun,
                '?' => GlobPart::AnyOne,
                '{' | '}' => return Err(invalid("the only placeholder is {sub}")),
                c => GlobPart::Literal(c),
            });
            rest = &rest[c.len_utf8()..];
        }
        let (mut prefix, mut delimiter) = (None, None);
        if let Some(at) = parts.iter().position(|part| *part == GlobPart::Identity) {
            if parts[at + 1..].contains(&GlobPart::Identity) {
                return Err(invalid("{sub} may appear once"));
            }
            let before: Option<String> = parts[..at]
                .iter()
                .map(|part| match part {
                    GlobPart::Literal(c) => Some(*c),
                    _ => None,
                })
                .collect();
            prefix = Some(before.ok_or_else(|| {
                invalid(
                    "no wildcard may come before {sub}, or one identity could take another's rooms",
                )
            })?);
            delimiter = match parts.get(at + 1) {
                None => None,
                Some(GlobPart::Literal(c)) if c.is_ascii_punctuation() => Some(*c),
                Some(_) => {
                    return Err(invalid(
                        "{sub} must end the glob or be followed by a delimiter such as : or -, \
                         or one identity could take another's rooms",
                    ));
                }
            };
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
            prefix,
            delimiter,
        })
    }

    pub(crate) fn has_identity(&self) -> bool {
        self.prefix.is_some()
    }

    /// Whether `room` matches, `{sub}` standing for `identity`; an empty identity, or one
    /// holding any of the policy's `delimiters`, matches no `{sub}` glob.
    pub fn matches(&self, room: &str, identity: &str, delimiters: &[char]) -> bool {
        if self.has_identity() && (identity.is_empty() || identity.contains(delimiters)) {
            return false;
        }
        // `{sub}` expands to literal characters, so a `*` in an identity matches only `*`.
        let mut pattern = Vec::with_capacity(self.parts.len() + identity.len());
        for part in &self.parts {
            match part {
                GlobPart::Identity => pattern.extend(identity.chars().map(GlobPart::Literal)),
                other => pattern.push(other.clone()),
            }
        }
        let text: Vec<char> = room.chars().collect();
        // The classic linear-backtracking wildcard match: on a mismatch, retry from the last
        // `*` with it taking one more character.
        let (mut p, mut t) = (0, 0);
        let mut last_star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some(GlobPart::AnyRun) => {
                    last_star = Some((p, t));
                    p += 1;
                }
                Some(GlobPart::AnyOne) => {
                    p += 1;
                    t += 1;
                }
                Some(GlobPart::Literal(c)) if *c == text[t] => {
                    p += 1;
                    t += 1;
                }
                _ => match last_star {
                    Some((star, taken)) => {
                        last_star = Some((star, taken + 1));
                        p = star + 1;
                        t = taken + 1;
                    }
                    None => return false,
                },
            }
        }
        pattern[p..].iter().all(|part| *part == GlobPart::AnyRun)
    }

    /// The one identity this `{sub}` glob gives `room` to, if any: the text after the fixed
    /// prefix up to the first delimiter, since an identity holds none.
    pub fn owner<'r>(&self, room: &'r str, delimiters: &[char]) -> Option<&'r str> {
        let rest = room.strip_prefix(self.prefix.as_deref()?)?;
        let identity = &rest[..rest.find(delimiters).unwrap_or(rest.len())];
        self.matches(room, identity, delimiters).then_some(identity)
    }
}

impl fmt::Debug for RoomGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoomGlob({:?})", self.source)
    }
}

impl<'de> Deserialize<'de> for RoomGlob {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        Self::parse(&source).map_err(serde::de::Error::custom)
    }
}
