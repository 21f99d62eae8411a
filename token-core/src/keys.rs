//! The LiveKit API keys: which one signs tokens, and every one a webhook may be signed with.
//!
//! LiveKit itself holds several key/secret pairs (for rotation; egress can sign webhooks with
//! its own key), read from a key file or `LIVEKIT_KEYS` in the form `key: secret`, one pair
//! per line. This server reads the same format, so one file can serve both, and takes each
//! secret from a file too (`LIVEKIT_API_SECRET_FILE`, for Docker and Kubernetes secrets).
//! Every error names the setting and the line, never a secret.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::{ApiSecret, DEV_API_KEY, DEV_API_SECRET};

/// The key settings as given, before they are resolved into [`Credentials`].
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KeySources {
    /// LiveKit API key that signs tokens, the `iss` of every token [default: devkey, or the
    /// only key of LIVEKIT_KEYS or the key file].
    #[arg(long, env = "LIVEKIT_API_KEY", value_parser = parse_api_key)]
    pub api_key: Option<String>,

    /// LiveKit API secret of that key [default: the LiveKit dev server's secret, or the key's
    /// secret in LIVEKIT_KEYS or the key file].
    #[arg(long, env = "LIVEKIT_API_SECRET", hide_env_values = true, value_parser = parse_api_secret)]
    pub api_secret: Option<ApiSecret>,

    /// A file holding the API secret (a Docker or Kubernetes secret); trailing line breaks
    /// are ignored. Instead of LIVEKIT_API_SECRET.
    #[arg(long, env = "LIVEKIT_API_SECRET_FILE")]
    pub api_secret_file: Option<PathBuf>,

    /// Several API keys in LiveKit's own format, `key: secret` per line: webhooks signed
    /// with any of them are accepted.
    #[arg(long, env = "LIVEKIT_KEYS", hide_env_values = true, value_parser = parse_keys_text)]
    pub keys: Option<KeysText>,

    /// A file of API keys in LiveKit's own format (as `livekit-server --key-file` reads),
    /// instead of LIVEKIT_KEYS.
    #[arg(long, env = "LIVEKIT_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// The text of `LIVEKIT_KEYS`; it prints as `KeysText(***)`.
#[derive(Clone)]
pub struct KeysText(String);

impl fmt::Debug for KeysText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeysText(***)")
    }
}

/// The resolved keys: the one that signs tokens, and every one that may sign webhooks.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    signing_key: String,
    secrets: BTreeMap<String, ApiSecret>,
}

impl Default for Credentials {
    /// LiveKit's development key, `devkey` / `secret`.
    fn default() -> Self {
        Self::single(DEV_API_KEY, ApiSecret::new(DEV_API_SECRET))
    }
}

impl Credentials {
    /// One key, which signs tokens and is the only one webhooks may be signed with.
    pub fn single(api_key: impl Into<String>, api_secret: ApiSecret) -> Self {
        let signing_key = api_key.into();
        Self {
            secrets: BTreeMap::from([(signing_key.clone(), api_secret)]),
            signing_key,
        }
    }

    /// The key that signs tokens.
    pub fn signing_key(&self) -> &str {
        &self.signing_key
    }

    /// The secret of [`Credentials::signing_key`].
    pub fn signing_secret(&self) -> &ApiSecret {
        &self.secrets[&self.signing_key]
    }

    /// Every key with its secret, the signing one included, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ApiSecret)> {
        self.secrets
            .iter()
            .map(|(key, secret)| (key.as_str(), secret))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("signing_key", &self.signing_key)
            .field("keys", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeySources {
    /// Resolves the sources into [`Credentials`], reading the files; the error is one line.
    pub fn resolve(&self) -> Result<Credentials, String> {
        let secret = match (&self.api_secret, &self.api_secret_file) {
            (Some(_), Some(_)) => {
                return Err(
                    "set LIVEKIT_API_SECRET or LIVEKIT_API_SECRET_FILE, not both".to_owned(),
                );
            }
            (Some(secret), None) => Some(secret.clone()),
            (None, Some(path)) => Some(read_secret_file(path)?),
            (None, None) => None,
        };
        let mut keys = match (&self.keys, &self.key_file) {
            (Some(_), Some(_)) => {
                return Err("set LIVEKIT_KEYS or LIVEKIT_KEY_FILE, not both".to_owned());
            }
            (Some(KeysText(text)), None) => parse_key_lines(text, "LIVEKIT_KEYS")?,
            (None, Some(path)) => {
                let source = format!("LIVEKIT_KEY_FILE {}", path.display());
                let text = std::fs::read_to_string(path)
                    .map_err(|err| format!("cannot read {source}: {err}"))?;
                parse_key_lines(&text, &source)?
            }
            (None, None) => BTreeMap::new(),
        };
        let signing_key = match (&self.api_key, keys.len()) {
            (Some(key), _) => key.clone(),
            (None, 0) => DEV_API_KEY.to_owned(),
            (None, 1) => keys.keys().next().cloned().unwrap_or_default(),
            (None, count) => {
                return Err(format!(
                    "{count} API keys are given: set LIVEKIT_API_KEY to the one that signs tokens"
                ));
            }
        };
        match (secret, keys.get(&signing_key)) {
            (Some(secret), Some(listed)) if *listed != secret => {
                return Err(format!(
                    "the secret of API key {signing_key} differs from the one in the key list"
                ));
            }
            (Some(secret), _) => {
                keys.insert(signing_key.clone(), secret);
            }
            (None, Some(_)) => {}
            (None, None) if keys.is_empty() => {
                keys.insert(signing_key.clone(), ApiSecret::new(DEV_API_SECRET));
            }
            (None, None) => {
                return Err(format!(
                    "LIVEKIT_API_KEY {signing_key} is not in the key list and has no \
                     LIVEKIT_API_SECRET"
                ));
            }
        }
        Ok(Credentials {
            signing_key,
            secrets: keys,
        })
    }

    /// The key file, if one is given and anyone may read it: LiveKit's own server refuses
    /// such a file, this one warns.
    pub fn world_readable_key_file(&self) -> Option<&Path> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = self.key_file.as_deref()?;
            let mode = std::fs::metadata(path).ok()?.permissions().mode();
            (mode & 0o007 != 0).then_some(path)
        }
        #[cfg(not(unix))]
        {
            None
        }
    }
}

fn read_secret_file(path: &Path) -> Result<ApiSecret, String> {
    let source = format!("LIVEKIT_API_SECRET_FILE {}", path.display());
    let text =
        std::fs::read_to_string(path).map_err(|err| format!("cannot read {source}: {err}"))?;
    // `echo secret > file` and most secret stores end the file with a line break.
    parse_api_secret(text.trim_end_matches(['\n', '\r'])).map_err(|err| format!("{source}: {err}"))
}

/// Parses LiveKit's key list: `key: secret` per line, blank lines and `#` comments skipped.
///
/// LiveKit reads it as a YAML map. A YAML parser would be the only one in the server and the
/// well-kept Rust ones are gone (serde_yaml is archived), so the flat subset LiveKit documents
/// is parsed here: plain values, or values quoted without escapes.
fn parse_key_lines(text: &str, source: &str) -> Result<BTreeMap<String, ApiSecret>, String> {
    let mut keys = BTreeMap::new();
    for (number, line) in text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
    {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let invalid = |why: &str| format!("{source}, line {number}: {why}");
        let (key, secret) = line
            .split_once(':')
            .ok_or_else(|| invalid("expected `key: secret`"))?;
        let key = key.trim();
        if key.is_empty() || key.chars().any(char::is_whitespace) {
            return Err(invalid("expected `key: secret`"));
        }
        let secret = unquote(secret.trim()).ok_or_else(|| invalid("unsupported quoting"))?;
        let secret = parse_api_secret(secret).map_err(|err| invalid(&err))?;
        if keys.insert(key.to_owned(), secret).is_some() {
            return Err(invalid(&format!("API key {key} is listed twice")));
        }
    }
    if keys.is_empty() {
        return Err(format!("{source} lists no API key"));
    }
    Ok(keys)
}

/// A YAML scalar without its quotes, or `None` for quoting this parser does not read.
fn unquote(value: &str) -> Option<&str> {
    for quote in ['"', '\''] {
        if let Some(rest) = value.strip_prefix(quote) {
            let inner = rest.strip_suffix(quote)?;
            let escaped = inner.contains(quote) || (quote == '"' && inner.contains('\\'));
            return (!escaped).then_some(inner);
        }
    }
    Some(value)
}

fn parse_api_key(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err("the API key must not be empty".to_owned());
    }
    Ok(value.to_owned())
}

fn parse_api_secret(value: &str) -> Result<ApiSecret, String> {
    if value.is_empty() {
        return Err("the API secret must not be empty".to_owned());
    }
    Ok(ApiSecret::new(value))
}

fn parse_keys_text(value: &str) -> Result<KeysText, String> {
    parse_key_lines(value, "LIVEKIT_KEYS")?;
    Ok(KeysText(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_A: &str = "secret-a-0123456789abcdef0123456789";
    const SECRET_B: &str = "secret-b-0123456789abcdef0123456789";

    fn keys_text(text: &str) -> Option<KeysText> {
        Some(KeysText(text.to_owned()))
    }

    fn secrets(credentials: &Credentials) -> Vec<(&str, &str)> {
        credentials
            .iter()
            .map(|(key, secret)| (key, secret.expose()))
            .collect()
    }

    #[test]
    fn nothing_set_is_the_dev_key() {
        let credentials = KeySources::default().resolve().expect("valid");
        assert_eq!(credentials, Credentials::default());
        assert_eq!(secrets(&credentials), [("devkey", "secret")]);
    }

    #[test]
    fn a_key_without_a_secret_keeps_the_dev_secret() {
        let sources = KeySources {
            api_key: Some("APIa".into()),
            ..KeySources::default()
        };
        let credentials = sources.resolve().expect("valid");
        assert_eq!(secrets(&credentials), [("APIa", "secret")]);
    }

    #[test]
    fn the_key_list_reads_livekit_format() {
        let text = format!(
            "# rotation\nAPIa: {SECRET_A}\n\n  APIb:\t\"{SECRET_B}\"  \r\nAPIc: 'x:y # z'\n"
        );
        let keys = parse_key_lines(&text, "test").expect("valid");
        let keys: Vec<_> = keys.iter().map(|(k, s)| (k.as_str(), s.expose())).collect();
        assert_eq!(
            keys,
            [("APIa", SECRET_A), ("APIb", SECRET_B), ("APIc", "x:y # z")]
        );
    }

    #[test]
    fn bad_key_lists_say_where_and_never_the_secret() {
        for (text, expected) in [
            ("APIa", "line 1: expected `key: secret`"),
            ("ok: s\n: {s}", "line 2: expected `key: secret`"),
            ("two words: {s}", "line 1: expected `key: secret`"),
            ("APIa:", "line 1: the API secret must not be empty"),
            ("APIa: \"{s}\\n\"", "line 1: unsupported quoting"),
            ("APIa: '{s}", "line 1: unsupported quoting"),
            (
                "APIa: {s}\nAPIa: {s}",
                "line 2: API key APIa is listed twice",
            ),
            ("# only a comment\n", "lists no API key"),
        ] {
            let text = text.replace("{s}", SECRET_A);
            let err = parse_key_lines(&text, "LIVEKIT_KEYS").expect_err(&text);
            assert!(err.starts_with("LIVEKIT_KEYS"), "{err}");
            assert!(err.ends_with(expected), "{text:?}: {err}");
            assert!(!err.contains(SECRET_A), "{err}");
        }
    }

    #[test]
    fn one_listed_key_signs_without_being_named() {
        let sources = KeySources {
            keys: keys_text(&format!("APIa: {SECRET_A}")),
            ..KeySources::default()
        };
        let credentials = sources.resolve().expect("valid");
        assert_eq!(credentials.signing_key(), "APIa");
        assert_eq!(credentials.signing_secret().expose(), SECRET_A);
    }

    #[test]
    fn several_listed_keys_need_the_signing_one_named() {
        let list = keys_text(&format!("APIa: {SECRET_A}\nAPIb: {SECRET_B}"));
        let unnamed = KeySources {
            keys: list.clone(),
            ..KeySources::default()
        };
        let err = unnamed.resolve().expect_err("ambiguous");
        assert!(err.contains("set LIVEKIT_API_KEY"), "{err}");
        let named = KeySources {
            api_key: Some("APIb".into()),
            keys: list.clone(),
            ..KeySources::default()
        };
        let credentials = named.resolve().expect("valid");
        assert_eq!(credentials.signing_secret().expose(), SECRET_B);
        assert_eq!(secrets(&credentials).len(), 2);
        let unknown = KeySources {
            api_key: Some("APIc".into()),
            keys: list,
            ..KeySources::default()
        };
        let err = unknown.resolve().expect_err("not listed");
        assert!(err.contains("APIc is not in the key list"), "{err}");
    }

    #[test]
    fn a_separate_secret_joins_the_list_unless_it_contradicts_it() {
        let list = keys_text(&format!("APIa: {SECRET_A}"));
        let added = KeySources {
            api_key: Some("APIb".into()),
            api_secret: Some(ApiSecret::new(SECRET_B)),
            keys: list.clone(),
            ..KeySources::default()
        };
        let credentials = added.resolve().expect("valid");
        assert_eq!(
            secrets(&credentials),
            [("APIa", SECRET_A), ("APIb", SECRET_B)]
        );
        let contradicting = KeySources {
            api_key: Some("APIa".into()),
            api_secret: Some(ApiSecret::new(SECRET_B)),
            keys: list,
            ..KeySources::default()
        };
        let err = contradicting
            .resolve()
            .expect_err("two secrets for one key");
        assert!(err.contains("differs"), "{err}");
        assert!(!err.contains(SECRET_A) && !err.contains(SECRET_B), "{err}");
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = std::env::temp_dir().join(format!("token-core-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let secret_file = dir.join("secret");
        std::fs::write(&secret_file, format!("{SECRET_B}\r\n")).expect("write");
        let key_file = dir.join("keys.yaml");
        std::fs::write(&key_file, format!("APIa: {SECRET_A}\n")).expect("write");
        let sources = KeySources {
            api_key: Some("APIb".into()),
            api_secret_file: Some(secret_file.clone()),
            key_file: Some(key_file.clone()),
            ..KeySources::default()
        };
        let credentials = sources.resolve().expect("valid");
        assert_eq!(
            secrets(&credentials),
            [("APIa", SECRET_A), ("APIb", SECRET_B)]
        );

        let both = KeySources {
            api_secret: Some(ApiSecret::new(SECRET_A)),
            api_secret_file: Some(secret_file),
            ..KeySources::default()
        };
        assert!(both.resolve().expect_err("both").contains("not both"));
        let missing = KeySources {
            key_file: Some(dir.join("absent")),
            ..KeySources::default()
        };
        let err = missing.resolve().expect_err("no such file");
        assert!(err.starts_with("cannot read LIVEKIT_KEY_FILE "), "{err}");
        std::fs::write(&key_file, "\n").expect("write");
        let empty = KeySources {
            api_secret_file: Some(key_file),
            ..KeySources::default()
        };
        let err = empty.resolve().expect_err("empty secret");
        assert!(err.ends_with("the API secret must not be empty"), "{err}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn debug_shows_keys_but_no_secret() {
        let sources = KeySources {
            api_key: Some("APIa".into()),
            api_secret: Some(ApiSecret::new(SECRET_A)),
            keys: keys_text(&format!("APIb: {SECRET_B}")),
            ..KeySources::default()
        };
        let credentials = sources.resolve().expect("valid");
        for shown in [format!("{sources:?}"), format!("{credentials:?}")] {
            assert!(shown.contains("APIa"), "{shown}");
            assert!(
                !shown.contains(SECRET_A) && !shown.contains(SECRET_B),
                "{shown}"
            );
        }
    }
}
