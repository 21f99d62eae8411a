//! The settings as a binary reads them, through [`Args::from_args`]: defaults, invalid values
//! refused in one line that names the setting and never a secret, warnings, and production
//! mode's refusals of public credentials and settings given without the mode.

use std::time::Duration;

use clap::CommandFactory;
use server_runtime::{Args, Config, ConfigError};
use token_core::livekit::keys::Credentials;
use token_core::service::config::Mode;

/// Any caller, any room: the policy production tests run under.
const ANY_ROOM_POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/production/any-room.toml"
);

/// Production's required settings but the JWKS.
const PRODUCTION_BUT_THE_JWKS: [&str; 10] = [
    "--mode",
    "production",
    "--caller-issuer",
    "https://idp",
    "--caller-audience",
    "tokens",
    "--cors-allowed-origins",
    "https://app.example.com",
    "--token-policy-file",
    ANY_ROOM_POLICY,
];

fn parse(args: &[&str]) -> Result<Config, ConfigError> {
    Args::from_args("test", std::iter::once("test").chain(args.iter().copied()))
}

#[test]
fn defaults_match_the_tutorials() {
    let settings = parse(&[]).expect("defaults are valid");
    assert_eq!(settings.listen.port(), 6080);
    assert_eq!(settings.service.credentials, Credentials::development());
    assert_eq!(settings.service.credentials.signing_key(), "devkey");
    assert_eq!(
        settings.service.credentials.signing_secret().expose(),
        "secret"
    );
    assert_eq!(settings.service.token_ttl, Duration::from_secs(21_600));
    assert_eq!(settings.warnings.clone().len(), 2);
}

#[test]
fn invalid_values_give_one_line() {
    for args in [
        &["--port", "http"][..],
        &["--port", "70000"],
        &["--api-key", ""],
        &["--api-key", "  "],
        &["--token-ttl-seconds", "0"],
        &["--token-ttl-seconds", "6h"],
        &["--host", "localhost:80"],
        &["--response-format", "xml"],
        &["--log-format", "yaml"],
    ] {
        match parse(args) {
            Err(ConfigError::Invalid(line)) => {
                assert!(!line.contains('\n'), "{args:?}: {line:?}");
                assert!(line.contains(" (set by "), "{args:?}: {line:?}");
                assert!(!line.is_empty(), "{args:?}");
            }
            other => panic!("{args:?} should be invalid, got {other:?}"),
        }
    }
}

#[test]
fn invalid_secrets_name_the_setting_never_the_value() {
    let secret = "a-very-long-production-secret-value-0123456789";
    let keys = format!("APIa: {secret}\nAPIa: {secret}");
    let url = format!("http://user:{secret}@idp.example.com/jwks?token={secret}");
    let production = [&PRODUCTION_BUT_THE_JWKS[..], &["--caller-jwks-url"]].concat();
    for (args, setting) in [
        (vec!["--api-secret", ""], "LIVEKIT_API_SECRET"),
        (vec!["--api-secret", "line\nbreak"], "LIVEKIT_API_SECRET"),
        (vec!["--keys", secret], "LIVEKIT_KEYS"),
        (
            vec!["--keys", "APIa:", secret],
            "an argument that is not a --flag",
        ),
        (
            vec!["--api-secret", "-", secret],
            "an argument that is not a --flag",
        ),
        (
            vec![&format!("--api-secrt={secret}")],
            "unexpected argument '--api-secrt'",
        ),
        (vec!["--keys", &keys], "LIVEKIT_KEYS, line 2"),
        (
            production.iter().copied().chain([url.as_str()]).collect(),
            "CALLER_JWKS_URL http://***@idp.example.com/jwks?*** must be https",
        ),
    ] {
        match parse(&args) {
            Err(ConfigError::Invalid(line)) => {
                assert!(line.starts_with(setting), "{args:?}: {line:?}");
                assert!(!line.contains('\n'), "{args:?}: {line:?}");
                assert!(!line.contains("production-secret"), "{line:?}");
            }
            other => panic!("{args:?} should be invalid, got {other:?}"),
        }
    }
}

#[test]
fn the_secret_never_shows() {
    let secret = "a-very-long-production-secret-value-0123456789";
    let settings = parse(&["--api-secret", secret]).expect("valid");
    assert!(!format!("{settings:?}").contains(secret));
    let url = format!("https://user:{secret}@idp.example.com/jwks?token={secret}");
    let own = [
        "--api-key",
        "APIabc",
        "--api-secret",
        secret,
        "--caller-jwks-url",
        &url,
    ];
    let production = parse(&[&PRODUCTION_BUT_THE_JWKS[..], &own].concat()).expect("valid");
    let shown = format!("{production:?}");
    assert!(
        shown.contains("https://***@idp.example.com/jwks?***"),
        "{shown}"
    );
    assert!(!shown.contains(secret), "{shown}");
    assert!(settings.warnings.clone().is_empty() || !settings.warnings.clone()[0].contains(secret));
    let help = Args::command().render_long_help().to_string();
    assert!(help.contains("LIVEKIT_API_SECRET"));
    assert!(!help.contains("[default: secret]"));
}

#[test]
fn production_settings_do_not_warn() {
    let settings = parse(&[
        "--api-key",
        "APIabc",
        "--api-secret",
        "0123456789abcdef0123456789abcdef",
    ])
    .expect("valid");
    assert!(settings.warnings.clone().is_empty());
}

#[test]
fn a_ttl_clients_never_cache_warns() {
    let secret = "0123456789abcdef0123456789abcdef";
    let warnings = |ttl: &str| {
        parse(&[
            "--api-key",
            "APIabc",
            "--api-secret",
            secret,
            "--token-ttl-seconds",
            ttl,
        ])
        .expect("valid")
        .warnings
        .clone()
    };
    let short = warnings("60");
    assert_eq!(short.len(), 1, "{short:?}");
    assert!(short[0].contains("every connection"), "{short:?}");
    assert!(warnings("61").is_empty());
}

/// A production configuration from files: `jwks` as the caller JWKS, one any-room rule.
struct ProductionFiles {
    _dir: tempfile::TempDir,
    jwks: String,
    policy: String,
}

impl ProductionFiles {
    fn new(jwks: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("written");
            path.to_str().expect("UTF-8").to_owned()
        };
        Self {
            jwks: write("jwks.json", jwks),
            policy: write("policy.toml", "[[rule]]\nrooms = [\"*\"]\n"),
            _dir: dir,
        }
    }

    fn parse(&self, extra: &[&str]) -> Result<Config, ConfigError> {
        let mut args = vec![
            "--mode",
            "production",
            "--caller-issuer",
            "https://idp.example.com",
            "--caller-audience",
            "tokens",
            "--caller-jwks-file",
            &self.jwks,
            "--cors-allowed-origins",
            "https://app.example.com",
            "--token-policy-file",
            &self.policy,
        ];
        args.extend_from_slice(extra);
        parse(&args)
    }
}

/// An Ed25519 key published nowhere.
const PRIVATE_JWKS: &str = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"k","x":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"}]}"#;
const STRONG: &str = "0123456789abcdef0123456789abcdef";

fn invalid(result: Result<Config, ConfigError>) -> String {
    match result {
        Err(ConfigError::Invalid(line)) => {
            assert!(!line.contains('\n'), "{line}");
            line
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Issue 27: production ran on LiveKit's public dev credentials with only a warning.
#[test]
fn production_refuses_public_credentials_and_published_keys() {
    let files = ProductionFiles::new(PRIVATE_JWKS);
    let own = ["--api-key", "APIown", "--api-secret", STRONG];
    let settings = files.parse(&own).expect("own credentials are fine");
    assert!(
        settings.warnings.clone().is_empty(),
        "{:?}",
        settings.warnings.clone()
    );
    for credentials in [
        &[][..],
        &["--api-key", "APIown"],
        &["--api-key", "devkey", "--api-secret", STRONG],
        &[
            "--api-key",
            "APIown",
            "--api-secret",
            "REPLACE_ME_secret_at_least_32_bytes_long",
        ],
        &[
            "--api-key",
            "APIown",
            "--api-secret",
            "a-local-secret-of-at-least-32-bytes",
        ],
        &[
            "--api-key",
            "APIown",
            "--api-secret",
            "0123456789abcdef0123456789abcde",
        ],
        &[
            "--api-key",
            "APIown",
            "--keys",
            "APIown: 0123456789abcdef0123456789abcdef\nAPIold: tiny-secret-value",
        ],
    ] {
        let line = invalid(files.parse(credentials));
        assert!(line.contains("TRY_PRODUCTION_LOCALLY"), "{line}");
        assert!(
            !line.contains(STRONG) && !line.contains("tiny-secret"),
            "{line}"
        );
    }
    let published = ProductionFiles::new(test_keys::JWKS);
    let line = invalid(published.parse(&own));
    assert!(
        line.contains("published") && line.contains("CALLER_JWKS_FILE"),
        "{line}"
    );
    // Trying production mode on one machine: allowed, and warned at every start.
    let trial = published
        .parse(&["--try-production-locally"])
        .expect("a local trial");
    let warnings = trial.warnings.clone();
    assert!(
        warnings
            .iter()
            .any(|warning| warning.starts_with("TRY_PRODUCTION_LOCALLY is set")),
        "{warnings:?}"
    );
    let line = invalid(files.parse(&[&own[..], &["--can-update-own-metadata"]].concat()));
    assert!(line.contains("per rule"), "{line}");
}

/// Issue 27: production settings without the mode served the open contract.
#[test]
fn production_settings_need_the_mode_named() {
    let line = invalid(parse(&[
        "--caller-issuer",
        "https://idp",
        "--token-policy-file",
        "p.toml",
    ]));
    assert!(
        line.starts_with("CALLER_ISSUER, TOKEN_POLICY_FILE set without TOKEN_SERVER_MODE"),
        "{line}"
    );
    let line = invalid(parse(&["--try-production-locally"]));
    assert!(line.contains("TRY_PRODUCTION_LOCALLY"), "{line}");
    // Settings with defaults count only when given.
    for (flag, value, variable) in [
        ("--caller-identity-claim", "email", "CALLER_IDENTITY_CLAIM"),
        ("--caller-algorithms", "ES256", "CALLER_ALGORITHMS"),
        (
            "--caller-jwks-max-age-seconds",
            "3600",
            "CALLER_JWKS_MAX_AGE_SECONDS",
        ),
    ] {
        let line = invalid(parse(&[flag, value]));
        assert!(
            line.starts_with(&format!("{variable} set without")),
            "{line}"
        );
    }
    let tutorial = parse(&["--mode", "tutorial", "--caller-issuer", "https://idp"])
        .expect("tutorial asked for explicitly");
    assert!(
        tutorial
            .warnings
            .clone()
            .iter()
            .any(|warning| warning.contains("CALLER_ISSUER set")),
        "{:?}",
        tutorial.warnings.clone()
    );
    assert!(matches!(
        parse(&[]).expect("defaults").service.mode,
        Mode::Tutorial(_)
    ));
}
