//! Settings as users give them: `.env` and the environment, invalid values refused with one
//! line, `--help` without the secret.

use std::time::Duration;

use conformance::supervisor::Supervised;
use conformance::{ServerUnderTest, run};

use super::{TEST_API_SECRET, command, only, start, temp_dir};

/// A `.env` file in the working directory is read, and real environment variables win.
pub async fn reads_dotenv_and_the_environment_wins(exe: &str) {
    let dir = temp_dir();
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "# as in the OpenVidu tutorials\nLIVEKIT_API_KEY=dotenv-key\n\
             LIVEKIT_API_SECRET={TEST_API_SECRET}\nSERVER_PORT=1\n"
        ),
    )
    .expect("write .env");

    // SERVER_PORT=0 from the environment beats the .env's port 1 (which could not be bound).
    let from_file = start(command(exe, dir.path()));
    let under_test =
        ServerUnderTest::new(from_file.url()).with_credentials("dotenv-key", TEST_API_SECRET);
    let report = run(&under_test, &only("token/valid"))
        .await
        .expect("reachable");
    assert_eq!(report.failed(), 0, ".env settings not applied:\n{report}");
    drop(from_file);

    let mut command = command(exe, dir.path());
    command.env("LIVEKIT_API_KEY", "environment-key");
    let overridden = start(command);
    let under_test =
        ServerUnderTest::new(overridden.url()).with_credentials("environment-key", TEST_API_SECRET);
    let report = run(&under_test, &only("token/valid"))
        .await
        .expect("reachable");
    assert_eq!(
        report.failed(),
        0,
        "the environment did not win over .env:\n{report}"
    );
}

/// Each invalid setting stops the binary with status 2 and one line on stderr, no panic.
pub fn rejects_invalid_settings(exe: &str) {
    let dir = temp_dir();
    for (name, value) in [
        ("SERVER_PORT", "http"),
        ("SERVER_PORT", "70000"),
        ("SERVER_HOST", "not-an-address"),
        ("LIVEKIT_API_KEY", ""),
        ("LIVEKIT_API_SECRET", ""),
        ("TOKEN_TTL_SECONDS", "0"),
        ("TOKEN_TTL_SECONDS", "6h"),
        ("TOKEN_RESPONSE_FORMAT", "xml"),
        ("LOG_FORMAT", "yaml"),
        ("LIVEKIT_URL", "ftp://livekit.example"),
        ("LIVEKIT_URL", "wss://"),
        ("TOKEN_ENDPOINT_FIELDS", "room_name,everything"),
        ("TOKEN_ENDPOINT_ALLOW_ROOM_CONFIG", "perhaps"),
        ("SERVER_MAX_CONNECTIONS", "0"),
        ("SERVER_MAX_CONNECTIONS", "many"),
        ("LIVEKIT_KEYS", "APIa"),
        ("LIVEKIT_KEY_FILE", "/nonexistent/keys.yaml"),
        ("LIVEKIT_API_SECRET_FILE", "/nonexistent/secret"),
        ("TOKEN_RATE_LIMIT", "600"),
        ("AUTH_FAILURE_RATE_LIMIT", "0/min"),
        ("RATE_LIMITS", "sometimes"),
        ("TRUSTED_PROXIES", "proxy.local"),
        ("TRUSTED_PROXY_HEADER", "x-real-ip"),
        ("METRICS_HOST", "localhost"),
        ("METRICS_PORT", "metrics"),
        ("TOKEN_SERVER_MODE", "strict"),
        // Production without its settings: the line names the mode and what is missing.
        ("TOKEN_SERVER_MODE", "production"),
        ("CALLER_ALGORITHMS", "RS256,HS256"),
        ("CALLER_LEEWAY_SECONDS", "301"),
        ("CALLER_JWKS_CACHE_SECONDS", "5"),
        ("CALLER_JWKS_MAX_AGE_SECONDS", "5"),
        ("CALLER_TOKEN_TYPES", "at jwt"),
        // Any production setting alone, even one with a default: the open contract by mistake.
        ("CALLER_IDENTITY_CLAIM", "email"),
    ] {
        let mut invalid = command(exe, dir.path());
        invalid.env(name, value);
        let mut child = Supervised::spawn(invalid).expect("start the binary");
        let Some(status) = child.wait_for_exit(Duration::from_secs(20)) else {
            panic!("{name}={value:?} was accepted: the server kept running");
        };
        // Both streams: nothing but the one line may appear on either.
        let stderr = child.tail(usize::MAX);
        assert_eq!(
            status.code(),
            Some(2),
            "{name}={value:?}: {status}, stderr {stderr:?}"
        );
        assert_eq!(
            stderr.lines().count(),
            1,
            "{name}={value:?}: stderr {stderr:?}"
        );
        assert!(
            stderr.contains(name),
            "{name}={value:?}: stderr {stderr:?} names no setting"
        );
        for word in ["panicked", "backtrace", "RUST_BACKTRACE"] {
            assert!(
                !stderr.contains(word),
                "{name}={value:?}: stderr {stderr:?}"
            );
        }
    }
}

/// `--help` names every setting's environment variable and never prints the secret.
pub fn help_lists_settings_without_the_secret(exe: &str) {
    let dir = temp_dir();
    let output = command(exe, dir.path())
        .env("LIVEKIT_API_SECRET", TEST_API_SECRET)
        .arg("--help")
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "--help failed: {help}");
    for name in [
        "SERVER_PORT",
        "SERVER_HOST",
        "LIVEKIT_API_KEY",
        "LIVEKIT_API_SECRET",
        "TOKEN_TTL_SECONDS",
    ] {
        assert!(
            help.contains(name),
            "--help does not mention {name}:\n{help}"
        );
    }
    assert!(help.contains("6080") && help.contains("devkey") && help.contains("21600"));
    assert!(
        !help.contains(TEST_API_SECRET),
        "--help prints the secret:\n{help}"
    );
}
