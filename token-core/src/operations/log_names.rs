//! How room and participant names appear in logs. LiveKit's documentation counts them as
//! possibly personal data, so by default a log shows a short keyed hash of each: the same
//! name always gives the same hash under one API secret (one user's requests can still be
//! followed), and without the secret nobody can test a guess against it. `--log-names`
//! writes them as they are.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::operations::keyed_hash::KeyedHash;

/// Hex digits of the hash shown: 48 bits, plenty to tell a server's users apart.
const SHOWN_HEX_DIGITS: usize = 12;

/// Writes names into logs, verbatim or hashed.
#[derive(Clone)]
pub struct LogNames {
    /// The hash, keyed by the API secret; `None` logs names as they are.
    key: Option<KeyedHash>,
}

impl LogNames {
    /// Verbatim names when `verbatim`, otherwise hashes keyed by `secret`.
    pub fn new(verbatim: bool, secret: &str) -> Self {
        let key = (!verbatim).then(|| KeyedHash::new("livekit-token-server log names", secret));
        Self { key }
    }

    /// `name` as a log shows it: itself, or `#` and its hash.
    pub fn show<'a>(&self, name: &'a str) -> Cow<'a, str> {
        let Some(key) = &self.key else {
            return Cow::Borrowed(name);
        };
        let digest = key.of(name);
        let mut shown = String::with_capacity(1 + SHOWN_HEX_DIGITS);
        shown.push('#');
        for byte in &digest[..SHOWN_HEX_DIGITS / 2] {
            let _ = write!(shown, "{byte:02x}");
        }
        Cow::Owned(shown)
    }
}

impl std::fmt::Debug for LogNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogNames")
            .field("verbatim", &self.key.is_none())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(secret: &str) -> LogNames {
        LogNames::new(false, secret)
    }

    #[test]
    fn names_are_hashed_by_default_stably_and_per_secret() {
        let names = hashed("a-secret-of-at-least-32-bytes-0123456789");
        let shown = names.show("alice");
        assert_ne!(shown, "alice");
        assert!(
            shown.starts_with('#') && shown.len() == 1 + SHOWN_HEX_DIGITS,
            "{shown}"
        );
        assert_eq!(names.show("alice"), shown, "stable");
        assert_ne!(names.show("bob"), shown, "names told apart");
        let other = hashed("another-secret-of-at-least-32-bytes-012345");
        assert_ne!(other.show("alice"), shown, "keyed by the secret");
    }

    #[test]
    fn log_names_writes_them_as_they_are() {
        let names = LogNames::new(true, "secret");
        assert_eq!(names.show("Zoë 😀"), "Zoë 😀");
    }

    #[test]
    fn debug_shows_no_key() {
        let shown = format!("{:?}", hashed("a-secret-of-at-least-32-bytes-0123456789"));
        assert_eq!(shown, "LogNames { verbatim: false, .. }");
    }
}
