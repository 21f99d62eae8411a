//! The key settings as given (`LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET[_FILE]`,
//! `LIVEKIT_KEYS`, `LIVEKIT_KEY_FILE`), resolved into token-core's [`Credentials`].
//!
//! clap takes the secret-carrying settings as [`SecretText`] without judging them (clap's
//! messages quote the value); [`KeySources::resolve`] validates them, and every error names
//! the setting and the line, never a secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use token_core::livekit::key_list;
use token_core::livekit::keys::{
    ApiSecret, Credentials, DEV_API_KEY, DEV_API_SECRET, secret_problem,
};

use crate::secret_text::SecretText;

/// The key settings as given, before they are resolved into [`Credentials`].
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KeySources {
    /// LiveKit API key that signs tokens, the `iss` of every token [default: devkey, or the
    /// only key of LIVEKIT_KEYS or the key file].
    #[arg(long, env = "LIVEKIT_API_KEY", value_parser = parse_api_key)]
    pub api_key: Option<String>,

    /// LiveKit API secret of that key [default: the LiveKit dev server's secret, or the key's
    /// secret in LIVEKIT_KEYS or the key file].
    #[arg(long, env = "LIVEKIT_API_SECRET", hide_env_values = true)]
    pub api_secret: Option<SecretText>,

    /// A file holding the API secret (a Docker or Kubernetes secret); trailing line breaks
    /// are ignored. Instead of LIVEKIT_API_SECRET.
    #[arg(long, env = "LIVEKIT_API_SECRET_FILE")]
    pub api_secret_file: Option<PathBuf>,

    /// Several API keys in LiveKit's own format, `key: secret` per line: webhooks signed
    /// with any of them are accepted.
    #[arg(long, env = "LIVEKIT_KEYS", hide_env_values = true)]
    pub keys: Option<SecretText>,

    /// A file of API keys in LiveKit's own format (as `livekit-server --key-file` reads),
    /// instead of LIVEKIT_KEYS.
    #[arg(long, env = "LIVEKIT_KEY_FILE")]
    pub key_file: Option<PathBuf>,
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
            (Some(text), None) => Some(checked_secret(text.expose(), "LIVEKIT_API_SECRET")?),
            (None, Some(path)) => Some(read_secret_file(path)?),
            (None, None) => None,
        };
        let mut keys = match (&self.keys, &self.key_file) {
            (Some(_), Some(_)) => {
                return Err("set LIVEKIT_KEYS or LIVEKIT_KEY_FILE, not both".to_owned());
            }
            (Some(text), None) => {
                key_list::parse(text.expose()).map_err(|err| err.message("LIVEKIT_KEYS"))?
            }
            (None, Some(path)) => {
                let source = format!("LIVEKIT_KEY_FILE {}", path.display());
                let text = std::fs::read_to_string(path)
                    .map_err(|err| format!("cannot read {source}: {err}"))?;
                key_list::parse(&text).map_err(|err| err.message(&source))?
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
        // The signing key was inserted above when it was missing.
        Credentials::from_keys(signing_key, keys)
            .ok_or_else(|| "the signing key has no secret".to_owned())
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
    checked_secret(text.trim_end_matches(['\n', '\r']), &source)
}

/// `secret` as an [`ApiSecret`], or an error naming `source` (never the secret).
fn checked_secret(secret: &str, source: &str) -> Result<ApiSecret, String> {
    match secret_problem(secret) {
        Some(why) => Err(format!("{source}: {why}")),
        None => Ok(ApiSecret::new(secret)),
    }
}

fn parse_api_key(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err("the API key must not be empty".to_owned());
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_A: &str = "secret-a-0123456789abcdef0123456789";
    const SECRET_B: &str = "secret-b-0123456789abcdef0123456789";

    fn keys_text(text: &str) -> Option<SecretText> {
        Some(SecretText::from(text))
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
        assert_eq!(credentials, Credentials::development());
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
    fn the_key_list_is_livekit_yaml() {
        // A comment is not part of the secret; quoted, `#` is.
        let sources = KeySources {
            api_key: Some("APIb".into()),
            keys: keys_text(&format!(
                "# rotation\nAPIa: {SECRET_A} # previous\nAPIb: '{SECRET_B} # current'\n"
            )),
            ..KeySources::default()
        };
        let credentials = sources.resolve().expect("valid");
        assert_eq!(
            secrets(&credentials),
            [
                ("APIa", SECRET_A),
                ("APIb", format!("{SECRET_B} # current").as_str())
            ]
        );
    }

    #[test]
    fn bad_secrets_name_the_setting_and_the_line_never_the_secret() {
        let dir = tempfile::tempdir().expect("temp dir");
        let key_file = dir.path().join("keys.yaml");
        let secret_file = dir.path().join("secret");
        let cases = [
            (
                KeySources {
                    keys: keys_text(&format!("APIa: {SECRET_A}\nAPIa: {SECRET_B}")),
                    ..KeySources::default()
                },
                None,
                "LIVEKIT_KEYS, line 2: an API key listed twice (first on line 1)",
            ),
            (
                KeySources {
                    keys: keys_text(&format!("APIa: {SECRET_A} APIb:")),
                    ..KeySources::default()
                },
                None,
                "LIVEKIT_KEYS, line 1: not valid YAML",
            ),
            (
                KeySources {
                    keys: keys_text("# nothing\n"),
                    ..KeySources::default()
                },
                None,
                "LIVEKIT_KEYS lists no API key",
            ),
            (
                KeySources {
                    api_secret: Some(SecretText::from("")),
                    ..KeySources::default()
                },
                None,
                "LIVEKIT_API_SECRET: the API secret must not be empty",
            ),
            (
                KeySources {
                    api_secret: Some(SecretText::from(format!("{SECRET_A}\n{SECRET_B}"))),
                    ..KeySources::default()
                },
                None,
                "LIVEKIT_API_SECRET: the API secret must not hold line breaks",
            ),
            (
                KeySources {
                    api_secret_file: Some(secret_file.clone()),
                    ..KeySources::default()
                },
                Some((&secret_file, format!("{SECRET_A}\n{SECRET_B}\n"))),
                "LIVEKIT_API_SECRET_FILE ",
            ),
            (
                KeySources {
                    key_file: Some(key_file.clone()),
                    ..KeySources::default()
                },
                Some((&key_file, format!("\nAPIa:\n  nested: {SECRET_A}\n"))),
                "LIVEKIT_KEY_FILE ",
            ),
        ];
        for (sources, file, expected) in cases {
            if let Some((path, text)) = file {
                std::fs::write(path, text).expect("write");
            }
            let err = sources.resolve().expect_err(expected);
            assert!(err.starts_with(expected), "{err}");
            assert!(!err.contains('\n'), "{err}");
            assert!(
                !err.contains("secret-a") && !err.contains("secret-b"),
                "{err}"
            );
        }
        let err = KeySources {
            key_file: Some(key_file.clone()),
            ..KeySources::default()
        }
        .resolve()
        .expect_err("nested secret");
        assert_eq!(
            err,
            format!(
                "LIVEKIT_KEY_FILE {}, line 2: a secret must be text, not a list or mapping",
                key_file.display()
            )
        );
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
            api_secret: Some(SecretText::from(SECRET_B)),
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
            api_secret: Some(SecretText::from(SECRET_B)),
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
            api_secret: Some(SecretText::from(SECRET_A)),
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
            api_secret: Some(SecretText::from(SECRET_A)),
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
