//! LiveKit's key list: the YAML mapping of API key to secret that `livekit-server` reads from
//! `--key-file` and `LIVEKIT_KEYS`, read here with a YAML parser (`yaml-rust2`) as LiveKit
//! reads it with `yaml.v3`, so `# comments`, quoting and flow mappings mean the same to both.
//!
//! The list is one YAML document holding one mapping whose keys and values are strings.
//! LiveKit reads a value such as `12345` or `true` as a string from a key file, but drops it
//! from `LIVEKIT_KEYS`: such a value is refused here, and quoted it means the same to both.
//! Null, empty, list and mapping values, non-string keys, keys listed twice and aliases
//! (`*name`, which would let a short text repeat a long secret without bound) are refused.
//!
//! Errors name the line, never any text of the list: a misplaced secret may be anywhere in
//! it. The parser's own messages can quote the input, so they are replaced by [`Problem`]s.

use std::collections::BTreeMap;
use std::fmt;

use yaml_rust2::Yaml;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

use crate::livekit::keys::ApiSecret;
use crate::livekit::keys::secret_problem;

/// Why a key list is refused, and on which line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyListError {
    /// The line (from 1), when the problem is on one.
    pub line: Option<usize>,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a key list. Each message is fixed text: none quotes the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The YAML parser refused the text.
    NotYaml,
    /// The document is not a mapping (a bare word, a list).
    NotAMapping,
    /// A second YAML document follows the first.
    SeveralDocuments,
    /// An API key is a list, a mapping, or reads as a number, boolean or null.
    KeyNotText,
    /// An API key is empty or holds blanks or control characters.
    BadKey,
    /// An API key is listed twice.
    Duplicate {
        /// The line of its first listing.
        first_line: usize,
    },
    /// A secret is a list or a mapping.
    SecretNotScalar,
    /// A secret reads as a number or boolean in YAML.
    SecretNotText,
    /// A secret is missing (`key:`), null or empty.
    NoSecret,
    /// An alias (`*name`) as a key or a secret.
    Alias,
    /// A secret that is text but not a usable one: empty, or holding control characters.
    BadSecret(&'static str),
    /// The list holds no key.
    Empty,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotYaml => f.write_str("not valid YAML: expected `key: secret` lines"),
            Self::NotAMapping => f.write_str("expected `key: secret` lines (a YAML mapping)"),
            Self::SeveralDocuments => {
                f.write_str("a second YAML document (---): list every key in one")
            }
            Self::KeyNotText => f.write_str(
                "an API key must be text (quote a key YAML reads as a number, boolean or null)",
            ),
            Self::BadKey => f.write_str("an API key must not be empty or hold blanks"),
            Self::Duplicate { first_line } => {
                write!(f, "an API key listed twice (first on line {first_line})")
            }
            Self::SecretNotScalar => f.write_str("a secret must be text, not a list or mapping"),
            Self::SecretNotText => f.write_str(
                "the secret reads as a number or boolean in YAML: quote it (LiveKit drops such \
                 a secret from LIVEKIT_KEYS)",
            ),
            Self::NoSecret => f.write_str("the API secret must not be empty"),
            Self::Alias => f.write_str("YAML aliases (*name) are not read: write the key out"),
            Self::BadSecret(why) => f.write_str(why),
            Self::Empty => f.write_str("lists no API key"),
        }
    }
}

impl KeyListError {
    fn at(line: usize, problem: Problem) -> Self {
        Self {
            line: Some(line),
            problem,
        }
    }

    /// The one-line message, `{source}, line N: problem`; `source` names the setting.
    pub fn message(&self, source: &str) -> String {
        match self.line {
            Some(line) => format!("{source}, line {line}: {}", self.problem),
            None => format!("{source} {}", self.problem),
        }
    }
}

/// Parses a key list into each API key's secret.
pub fn parse(text: &str) -> Result<BTreeMap<String, ApiSecret>, KeyListError> {
    let mut events = Events::new(text);
    events.next()?; // The stream's start.
    let empty = KeyListError {
        line: None,
        problem: Problem::Empty,
    };
    if events.next()?.0 == Event::StreamEnd {
        return Err(empty);
    }
    let (root, line) = events.next()?;
    let keys = match root {
        Event::MappingStart(..) => read_mapping(&mut events)?,
        Event::Scalar(value, style, _, tag)
            if resolve(&value, style, tag.as_ref()) == Scalar::Null =>
        {
            BTreeMap::new()
        }
        _ => return Err(KeyListError::at(line, Problem::NotAMapping)),
    };
    match events.next()? {
        (Event::DocumentEnd, _) => {}
        (_, line) => return Err(KeyListError::at(line, Problem::NotYaml)),
    }
    match events.next()? {
        (Event::StreamEnd, _) if keys.is_empty() => Err(empty),
        (Event::StreamEnd, _) => Ok(keys
            .into_iter()
            .map(|(key, (secret, _))| (key, secret))
            .collect()),
        (_, line) => Err(KeyListError::at(line, Problem::SeveralDocuments)),
    }
}

/// The entries of the root mapping, each secret with its key's line; its end is consumed.
fn read_mapping(
    events: &mut Events<'_>,
) -> Result<BTreeMap<String, (ApiSecret, usize)>, KeyListError> {
    let mut keys = BTreeMap::new();
    loop {
        let (event, line) = events.next()?;
        let key = match entry(event) {
            Entry::End => return Ok(keys),
            Entry::Alias => return Err(KeyListError::at(line, Problem::Alias)),
            Entry::Scalar(Scalar::Text(key)) => key,
            Entry::Scalar(Scalar::Null) => return Err(KeyListError::at(line, Problem::BadKey)),
            Entry::Scalar(Scalar::Other) | Entry::Nested => {
                return Err(KeyListError::at(line, Problem::KeyNotText));
            }
        };
        if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(KeyListError::at(line, Problem::BadKey));
        }
        if let Some((_, first_line)) = keys.get(&key) {
            let first_line = *first_line;
            return Err(KeyListError::at(line, Problem::Duplicate { first_line }));
        }
        // A value's problem is told on its key's line: an empty value has no line of its own.
        let (event, _) = events.next()?;
        let invalid = |problem| KeyListError::at(line, problem);
        let secret = match entry(event) {
            Entry::Scalar(Scalar::Text(secret)) => secret,
            Entry::Alias => return Err(invalid(Problem::Alias)),
            Entry::Scalar(Scalar::Null) => return Err(invalid(Problem::NoSecret)),
            Entry::Scalar(Scalar::Other) => return Err(invalid(Problem::SecretNotText)),
            Entry::Nested | Entry::End => return Err(invalid(Problem::SecretNotScalar)),
        };
        if let Some(why) = secret_problem(&secret) {
            return Err(invalid(Problem::BadSecret(why)));
        }
        keys.insert(key, (ApiSecret::new(secret), line));
    }
}

/// The parser's events with their lines.
struct Events<'a> {
    parser: Parser<std::str::Chars<'a>>,
}

/// An entry of a mapping, as a key or a value.
enum Entry {
    Scalar(Scalar),
    /// A list or a mapping.
    Nested,
    /// An alias (`*name`).
    Alias,
    /// The mapping's end.
    End,
}

/// A scalar as YAML resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scalar {
    Text(String),
    Null,
    /// A number or a boolean, or a tag other than `!!str`.
    Other,
}

impl<'a> Events<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            parser: Parser::new_from_str(text),
        }
    }

    /// The next event and its line; a parser error becomes [`Problem::NotYaml`], its
    /// message (which may quote the text) dropped.
    fn next(&mut self) -> Result<(Event, usize), KeyListError> {
        self.parser
            .next_token()
            .map(|(event, mark)| (event, mark.line()))
            .map_err(|err| KeyListError::at(err.marker().line(), Problem::NotYaml))
    }
}

/// What a mapping's entry event is.
fn entry(event: Event) -> Entry {
    match event {
        Event::Scalar(value, style, _, tag) => Entry::Scalar(resolve(&value, style, tag.as_ref())),
        Event::Alias(_) => Entry::Alias,
        Event::MappingEnd => Entry::End,
        _ => Entry::Nested,
    }
}

/// A scalar as YAML 1.2's core schema resolves it: quoted and block scalars and `!!str` are
/// text; a plain scalar is text unless it reads as null, a boolean or a number.
fn resolve(value: &str, style: TScalarStyle, tag: Option<&Tag>) -> Scalar {
    match tag {
        Some(tag) if tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str" => {
            Scalar::Text(value.to_owned())
        }
        Some(_) => Scalar::Other,
        None if style != TScalarStyle::Plain => Scalar::Text(value.to_owned()),
        None => match Yaml::from_str(value) {
            Yaml::String(text) => Scalar::Text(text),
            Yaml::Null => Scalar::Null,
            _ => Scalar::Other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET_A: &str = "secret-a-0123456789abcdef0123456789";
    const SECRET_B: &str = "secret-b-0123456789abcdef0123456789";

    fn listed(text: &str) -> Vec<(String, String)> {
        parse(text)
            .unwrap_or_else(|err| panic!("{text:?}: {err:?}"))
            .into_iter()
            .map(|(key, secret)| (key, secret.expose().to_owned()))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(key, secret)| ((*key).to_owned(), (*secret).to_owned()))
            .collect()
    }

    #[test]
    fn reads_livekit_format() {
        let text = format!(
            "# rotation\nAPIa: {SECRET_A}\n\nAPIb:\t\"{SECRET_B}\"  \r\nAPIc: 'x:y # z'\n\
             APId: {SECRET_A} # a comment, not part of the secret\n\"12\": '345'\n"
        );
        assert_eq!(
            listed(&text),
            pairs(&[
                ("12", "345"),
                ("APIa", SECRET_A),
                ("APIb", SECRET_B),
                ("APIc", "x:y # z"),
                ("APId", SECRET_A),
            ])
        );
    }

    #[test]
    fn reads_every_yaml_spelling_of_a_mapping() {
        for text in [
            format!("{{APIa: {SECRET_A}, APIb: \"{SECRET_B}\"}}"),
            format!("---\nAPIa: {SECRET_A}\nAPIb: !!str {SECRET_B}\n...\n"),
            format!("APIa: &unused {SECRET_A}\nAPIb: '{SECRET_B}'\n"),
            format!("APIa: >-\n  {SECRET_A}\nAPIb: |-\n  {SECRET_B}\n"),
        ] {
            assert_eq!(
                listed(&text),
                pairs(&[("APIa", SECRET_A), ("APIb", SECRET_B)]),
                "{text:?}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_mapping_of_text_and_says_where() {
        for (text, line, problem) in [
            ("APIa", 1, Problem::NotAMapping),
            ("- APIa: {s}", 1, Problem::NotAMapping),
            ("APIa: {s} APIb:", 1, Problem::NotYaml),
            ("ok: s\n: {s}", 2, Problem::BadKey),
            ("ok: s\ntwo words: {s}", 2, Problem::BadKey),
            ("APIa:", 1, Problem::NoSecret),
            ("APIa: ~", 1, Problem::NoSecret),
            ("APIa: ''", 1, Problem::BadSecret("")),
            ("APIa: \"{s}\\n\"", 1, Problem::BadSecret("")),
            ("APIa: 12345", 1, Problem::SecretNotText),
            ("APIa: true", 1, Problem::SecretNotText),
            ("APIa: !!int 7", 1, Problem::SecretNotText),
            ("APIa:\n  - {s}", 1, Problem::SecretNotScalar),
            ("APIa: {{k: {s}}}", 1, Problem::SecretNotScalar),
            ("12: {s}", 1, Problem::KeyNotText),
            ("APIa: &s {s}\nAPIb: *s", 2, Problem::Alias),
            ("APIa: &k {s}\n*k : x", 2, Problem::Alias),
            ("? [{s}]\n: x", 1, Problem::KeyNotText),
            ("APIa: '{s}", 1, Problem::NotYaml),
            ("APIa: @{s}", 1, Problem::NotYaml),
            (
                "ok: s\n\nAPIa: {s}\nAPIa: {s}",
                4,
                Problem::Duplicate { first_line: 3 },
            ),
            ("APIa: {s}\n---\nAPIb: {s}", 2, Problem::SeveralDocuments),
        ] {
            let text = text.replace("{s}", SECRET_A);
            let err = parse(&text).expect_err(&text);
            assert_eq!(err.line, Some(line), "{text:?}: {err:?}");
            match (err.problem, problem) {
                (Problem::BadSecret(_), Problem::BadSecret(_)) => {}
                (found, expected) => assert_eq!(found, expected, "{text:?}"),
            }
            let message = err.message("LIVEKIT_KEYS");
            assert!(
                message.starts_with(&format!("LIVEKIT_KEYS, line {line}: ")),
                "{message}"
            );
            assert!(!message.contains("secret-a"), "{message}");
        }
    }

    #[test]
    fn an_empty_list_is_refused() {
        for text in ["", "# only a comment\n", "---\n", "{}", "~"] {
            let err = parse(text).expect_err(text);
            assert_eq!(err.problem, Problem::Empty, "{text:?}");
            assert!(err.message("LIVEKIT_KEYS").ends_with("lists no API key"));
        }
    }

    /// A secret-looking token planted anywhere in arbitrary text.
    const PLANTED: &str = "Zq7PlantedSecretXw3";

    fn key_list_like() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            Just("APIa".to_owned()),
            Just(": ".to_owned()),
            Just(":".to_owned()),
            Just("\n".to_owned()),
            Just("  ".to_owned()),
            Just("- ".to_owned()),
            Just("# ".to_owned()),
            Just("\"".to_owned()),
            Just("'".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("[".to_owned()),
            Just(", ".to_owned()),
            Just("&a ".to_owned()),
            Just("*a".to_owned()),
            Just("? ".to_owned()),
            Just("---\n".to_owned()),
            Just("!!str ".to_owned()),
            Just("|\n".to_owned()),
            Just("@".to_owned()),
            Just("\\".to_owned()),
            Just(PLANTED.to_owned()),
            "[ -~\t\u{80}-\u{10FFFF}]{0,6}",
        ];
        prop::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        /// Any text, YAML-like or not, is parsed without a panic, and an error never
        /// quotes it.
        #[test]
        fn any_text_parses_or_fails_without_quoting_it(text in key_list_like()) {
            if let Err(err) = parse(&text) {
                let message = err.message("LIVEKIT_KEYS");
                prop_assert!(!message.contains(PLANTED), "{message}");
                prop_assert!(!message.contains('\n'), "{message}");
            }
        }

        /// Arbitrary bytes read as text (lossily, as a file of any bytes could be) too.
        #[test]
        fn any_bytes_parse_or_fail_without_quoting_them(
            bytes in prop::collection::vec(any::<u8>(), 0..512)
        ) {
            let text = format!("{}{PLANTED}{}", String::from_utf8_lossy(&bytes), String::from_utf8_lossy(&bytes));
            if let Err(err) = parse(&text) {
                prop_assert!(!err.message("LIVEKIT_KEYS").contains(PLANTED));
            }
        }
    }
}
