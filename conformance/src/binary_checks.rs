//! Checks of a token-server *binary* as a process: configuration from the environment and
//! `.env`, the conformance suite over real TCP, `--help`, config errors, SIGTERM.
//!
//! Each backend crate runs them all with one line in its tests:
//! `conformance::binary_tests!(env!("CARGO_BIN_EXE_server-axum"));`
//! Each check panics with an explanation when the binary falls short.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::{ServerProcess, wait_for_exit};
use crate::runner::{Selection, run};
use crate::target::{ResponseFormat, Target};

/// Credentials of production shape (a 32+ byte secret), so no dev-default path is taken.
pub const TEST_API_KEY: &str = "APIconformance";
/// The secret paired with [`TEST_API_KEY`].
pub const TEST_API_SECRET: &str = "conformance-secret-0123456789abcdef";

/// Settings the checks set themselves; inherited values would make results depend on the shell.
const OWN_VARIABLES: &[&str] = &[
    "SERVER_PORT",
    "SERVER_HOST",
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
    "TOKEN_TTL_SECONDS",
    "TOKEN_RESPONSE_FORMAT",
    "LOG_FORMAT",
    "RUST_LOG",
];

/// A command for `exe` in directory `dir`, on a free loopback port, with no inherited settings.
pub fn command(exe: &str, dir: &Path) -> Command {
    let mut command = Command::new(exe);
    for name in OWN_VARIABLES {
        command.env_remove(name);
    }
    command
        .current_dir(dir)
        .env("SERVER_HOST", "127.0.0.1")
        .env("SERVER_PORT", "0")
        .env("RUST_LOG", "info");
    command
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn start(command: Command) -> ServerProcess {
    ServerProcess::start(command).unwrap_or_else(|err| panic!("{err}"))
}

/// The whole suite passes, in both response formats, against the binary configured through
/// the environment.
pub async fn passes_the_suite(exe: &str) {
    for (format, name) in [
        (ResponseFormat::Text, "text"),
        (ResponseFormat::Json, "json"),
    ] {
        let dir = temp_dir();
        let mut command = command(exe, dir.path());
        command
            .env("LIVEKIT_API_KEY", TEST_API_KEY)
            .env("LIVEKIT_API_SECRET", TEST_API_SECRET)
            .env("TOKEN_TTL_SECONDS", "600")
            .env("TOKEN_RESPONSE_FORMAT", name);
        let server = start(command);
        let mut target = Target::new(server.url()).with_credentials(TEST_API_KEY, TEST_API_SECRET);
        target.ttl_seconds = 600;
        target.format = format;
        let report = run(&target, &Selection::default())
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        println!("--- {name}\n{report}");
        assert_eq!(
            report.failed(),
            0,
            "{exe} fails the suite in {name}:\n{report}"
        );
        assert_eq!(report.skipped(), 0);
    }
}

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
    let target = Target::new(from_file.url()).with_credentials("dotenv-key", TEST_API_SECRET);
    let report = run(&target, &only("token/valid")).await.expect("reachable");
    assert_eq!(report.failed(), 0, ".env settings not applied:\n{report}");
    drop(from_file);

    let mut command = command(exe, dir.path());
    command.env("LIVEKIT_API_KEY", "environment-key");
    let overridden = start(command);
    let target = Target::new(overridden.url()).with_credentials("environment-key", TEST_API_SECRET);
    let report = run(&target, &only("token/valid")).await.expect("reachable");
    assert_eq!(
        report.failed(),
        0,
        "the environment did not win over .env:\n{report}"
    );
}

fn only(prefix: &str) -> Selection {
    Selection {
        only: vec![prefix.to_owned()],
        skip: Vec::new(),
    }
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
    ] {
        let mut child = command(exe, dir.path())
            .env(name, value)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start the binary");
        let status = wait_for_exit(&mut child, Duration::from_secs(20));
        let Some(status) = status else {
            let _ = child.kill();
            panic!("{name}={value:?} was accepted: the server kept running");
        };
        let output = child.wait_with_output().expect("collect output");
        let stderr = String::from_utf8_lossy(&output.stderr);
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

/// On SIGTERM, with an idle keep-alive connection open, the binary exits 0 within 5 s.
pub async fn stops_on_sigterm(exe: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = temp_dir();
    let mut server = start(command(exe, dir.path()));
    let mut idle = tokio::net::TcpStream::connect(server.address())
        .await
        .expect("connect");
    let body = r#"{"roomName":"r","participantName":"p"}"#;
    let request = format!(
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    idle.write_all(request.as_bytes()).await.expect("send");
    let mut buffer = [0u8; 1024];
    let read = idle.read(&mut buffer).await.expect("a response");
    assert!(
        buffer[..read].starts_with(b"HTTP/1.1 200"),
        "first request failed"
    );

    server.terminate().expect("send SIGTERM");
    let status = server.wait_for_exit(Duration::from_secs(5));
    let output = server.output();
    let status = status.unwrap_or_else(|| panic!("still running 5 s after SIGTERM:\n{output}"));
    assert!(
        status.success(),
        "exit status {status} after SIGTERM:\n{output}"
    );
    drop(idle);
}

/// Generates one `#[test]` per binary check for the binary at `$exe`.
#[macro_export]
macro_rules! binary_tests {
    ($exe:expr) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn binary_passes_the_conformance_suite() {
            $crate::binary_checks::passes_the_suite($exe).await;
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn binary_reads_dotenv_and_the_environment_wins() {
            $crate::binary_checks::reads_dotenv_and_the_environment_wins($exe).await;
        }

        #[test]
        fn binary_rejects_invalid_settings_with_one_line() {
            $crate::binary_checks::rejects_invalid_settings($exe);
        }

        #[test]
        fn binary_help_lists_settings_without_the_secret() {
            $crate::binary_checks::help_lists_settings_without_the_secret($exe);
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn binary_stops_on_sigterm_with_an_idle_connection() {
            $crate::binary_checks::stops_on_sigterm($exe).await;
        }
    };
}
