//! Production mode's settings refused at start-up, one line each: what is missing, what is
//! invalid, and the keys' cache and maximum age.

use server_runtime::{Args, ConfigError};

const ISSUER: &str = "https://id.example";
const AUDIENCE: &str = "token-server";
const ORIGIN: &str = "https://app.example";

fn args<'a>(jwks: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let source = if jwks.starts_with("http") {
        "--caller-jwks-url"
    } else {
        "--caller-jwks-file"
    };
    [
        "test",
        "--mode",
        "production",
        "--caller-issuer",
        ISSUER,
        "--caller-audience",
        AUDIENCE,
        "--cors-allowed-origins",
        "https://app.example",
        "--response-format",
        "json",
        // The suite's keys are published: only a local trial may use them.
        "--try-production-locally",
        "--token-policy-file",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/production/any-room.toml"
        ),
        source,
        jwks,
    ]
    .iter()
    .chain(extra)
    .copied()
    .collect()
}

#[test]
fn production_without_its_settings_refuses_to_start() {
    let err = Args::from_args("test", ["test", "--mode", "production"]).expect_err("nothing set");
    assert_eq!(
        err.to_string(),
        "TOKEN_SERVER_MODE=production needs CALLER_ISSUER, CALLER_AUDIENCE, CALLER_JWKS_URL or \
         CALLER_JWKS_FILE, CORS_ALLOWED_ORIGINS, TOKEN_POLICY_FILE (see README, production mode)"
    );
    for (flag, value) in [
        ("--caller-algorithms", "HS256"),
        ("--caller-leeway-seconds", "301"),
        ("--cors-allowed-origins", "*"),
    ] {
        let err = Args::from_args(
            "test",
            [
                "test",
                "--mode",
                "production",
                "--caller-issuer",
                ISSUER,
                "--caller-audience",
                AUDIENCE,
                "--caller-jwks-url",
                "https://id.example/jwks",
                "--cors-allowed-origins",
                ORIGIN,
                flag,
                value,
            ],
        )
        .expect_err(flag);
        assert!(!err.to_string().contains('\n'), "{err}");
    }
}

#[test]
fn the_maximum_age_is_checked_at_start_up() {
    let url = "https://id.example/jwks";
    let invalid = |extra: &[&str]| match Args::from_args("test", args(url, extra)) {
        Err(ConfigError::Invalid(line)) => line,
        other => panic!("{extra:?} should be invalid, got {other:?}"),
    };
    let line = invalid(&["--caller-jwks-max-age-seconds", "599"]);
    assert_eq!(
        line,
        "CALLER_JWKS_MAX_AGE_SECONDS must be at least CALLER_JWKS_CACHE_SECONDS"
    );
    for extra in [
        &["--caller-jwks-max-age-seconds", "10"][..],
        &["--caller-jwks-max-age-seconds", "1d"],
        &["--caller-token-types", "at jwt"],
        &["--caller-token-types", ""],
    ] {
        let line = invalid(extra);
        assert!(!line.contains('\n'), "{line}");
        assert!(line.contains(" (set by CALLER_"), "{line}");
    }
    let settings = Args::from_args(
        "test",
        args(
            url,
            &[
                "--caller-jwks-cache-seconds",
                "60",
                "--caller-jwks-max-age-seconds",
                "60",
            ],
        ),
    );
    assert!(settings.is_ok(), "{settings:?}");
}
