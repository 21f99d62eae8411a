//! Checks of a token-server *binary* as a process: configuration from the environment and
//! `.env`, the conformance suite over real TCP, `--help`, config errors, SIGTERM, logs,
//! timeouts, idle connections, panics.
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

/// Clears every setting a token server reads from the environment and puts it on a free
/// loopback port, logging at info (so its "listening" line shows).
pub fn isolate(command: &mut Command) -> &mut Command {
    for name in OWN_VARIABLES {
        command.env_remove(name);
    }
    command
        .env("SERVER_HOST", "127.0.0.1")
        .env("SERVER_PORT", "0")
        .env("RUST_LOG", "info")
}

/// A command for `exe` in directory `dir`, on a free loopback port, with no inherited settings.
pub fn command(exe: &str, dir: &Path) -> Command {
    let mut command = Command::new(exe);
    isolate(&mut command).current_dir(dir);
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
    // The JSON run also lets clients set room_config and names another LiveKit URL, through
    // the environment, so each of the two policy cases runs once.
    for (format, name, agents) in [
        (ResponseFormat::Text, "text", false),
        (ResponseFormat::Json, "json", true),
    ] {
        let dir = temp_dir();
        let mut command = command(exe, dir.path());
        command
            .env("LIVEKIT_API_KEY", TEST_API_KEY)
            .env("LIVEKIT_API_SECRET", TEST_API_SECRET)
            .env("TOKEN_TTL_SECONDS", "600")
            .env("TOKEN_RESPONSE_FORMAT", name);
        if agents {
            command
                .env("TOKEN_ENDPOINT_ALLOW_ROOM_CONFIG", "true")
                .env("LIVEKIT_URL", CLOUD_URL);
        }
        let server = start(command);
        let mut target = Target::new(server.url()).with_credentials(TEST_API_KEY, TEST_API_SECRET);
        target.ttl_seconds = 600;
        target.format = format;
        if agents {
            target.room_config_allowed = true;
            CLOUD_URL.clone_into(&mut target.livekit_url);
        }
        let report = run(&target, &Selection::default())
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        println!("--- {name}\n{report}");
        assert_eq!(
            report.failed(),
            0,
            "{exe} fails the suite in {name}:\n{report}"
        );
        assert_eq!(
            report.skipped(),
            1,
            "only the other policy's case is skipped"
        );
    }
}

/// A LiveKit Cloud-shaped URL for the standard endpoint's `server_url`.
const CLOUD_URL: &str = "wss://example.livekit.cloud";

/// LiveKit's own Rust client, `livekit-token-source`'s endpoint `TokenSource`, gets
/// credentials it can use: without options (generated names), with every option (room,
/// identity, name, metadata, attributes, agent name and metadata), and a 403 error where
/// agent dispatch is refused.
pub async fn official_client_fetches_credentials(exe: &str) {
    use livekit_api::access_token::TokenVerifier;
    use livekit_token_source::{
        TokenSourceConfigurable, TokenSourceError, TokenSourceFetchOptions,
    };

    let dir = temp_dir();
    let mut agents_allowed = command(exe, dir.path());
    agents_allowed
        .env("LIVEKIT_API_KEY", TEST_API_KEY)
        .env("LIVEKIT_API_SECRET", TEST_API_SECRET)
        .env("LIVEKIT_URL", CLOUD_URL)
        .env("TOKEN_ENDPOINT_ALLOW_ROOM_CONFIG", "true");
    let server = start(agents_allowed);
    let source = livekit_token_source::endpoint(format!("{}/livekit/token", server.url()));
    let verifier = TokenVerifier::with_api_key(TEST_API_KEY, TEST_API_SECRET);

    let plain = source
        .fetch(&TokenSourceFetchOptions::new())
        .await
        .unwrap_or_else(|err| panic!("fetch without options: {err}"));
    assert_eq!(plain.server_url, CLOUD_URL);
    let claims = verifier
        .verify(&plain.participant_token)
        .expect("a valid token");
    assert!(claims.sub.starts_with("participant-"), "{}", claims.sub);
    assert!(
        claims.video.room.starts_with("room-"),
        "{}",
        claims.video.room
    );
    assert!(claims.video.room_join);

    let options = TokenSourceFetchOptions::new()
        .with_room_name("room1")
        .with_participant_identity("zoe-1")
        .with_participant_name("Zoé")
        .with_participant_metadata(r#"{"level":3}"#)
        .with_participant_attribute("team", "blue")
        .with_agent_name("my-agent")
        .with_agent_metadata("job 7");
    let full = source
        .fetch(&options)
        .await
        .unwrap_or_else(|err| panic!("fetch with options: {err}"));
    let claims = verifier
        .verify(&full.participant_token)
        .expect("a valid token");
    assert_eq!(
        (
            claims.sub.as_str(),
            claims.video.room.as_str(),
            claims.name.as_str()
        ),
        ("zoe-1", "room1", "Zoé")
    );
    assert_eq!(claims.metadata, r#"{"level":3}"#);
    assert_eq!(
        claims.attributes.get("team").map(String::as_str),
        Some("blue")
    );
    let agents = claims
        .room_config
        .map(|config| config.agents)
        .unwrap_or_default();
    assert_eq!(agents.len(), 1, "{agents:?}");
    assert_eq!(
        (agents[0].agent_name.as_str(), agents[0].metadata.as_str()),
        ("my-agent", "job 7")
    );
    drop(server);

    // With the default policy, agent dispatch is refused, and the client says so.
    let mut defaults = command(exe, dir.path());
    defaults
        .env("LIVEKIT_API_KEY", TEST_API_KEY)
        .env("LIVEKIT_API_SECRET", TEST_API_SECRET);
    let server = start(defaults);
    let source = livekit_token_source::endpoint(format!("{}/livekit/token", server.url()));
    let refused = source
        .fetch(&TokenSourceFetchOptions::new().with_agent_name("my-agent"))
        .await;
    match refused {
        Err(TokenSourceError::Server { status: 403, body }) => {
            assert!(body.contains("room_config"), "{body}");
        }
        other => panic!("agent dispatch on the default policy: {other:?}"),
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
        ..Selection::default()
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
        ("LOG_FORMAT", "yaml"),
        ("LIVEKIT_URL", "ftp://livekit.example"),
        ("LIVEKIT_URL", "wss://"),
        ("TOKEN_ENDPOINT_FIELDS", "room_name,everything"),
        ("TOKEN_ENDPOINT_ALLOW_ROOM_CONFIG", "perhaps"),
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

/// Malformed requests, which the HTTP engine may refuse before any application code runs,
/// leave no warning or error in the logs at `RUST_LOG=warn`: engines' own logs are off.
pub async fn malformed_requests_log_nothing_at_warn(exe: &str) {
    use tokio::io::AsyncWriteExt;
    let dir = temp_dir();
    let mut command = command(exe, dir.path());
    // The startup target stays at info, for the "listening" line the test needs.
    command
        .env("RUST_LOG", "warn,token_core::startup=info")
        .env("LIVEKIT_API_KEY", TEST_API_KEY)
        .env("LIVEKIT_API_SECRET", TEST_API_SECRET);
    let mut server = start(command);
    let malformed: [&[u8]; 5] = [
        b"POST /token HTTP/1.1\r\n\r\n",
        b"POST /token HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"POST /token HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"GET /h\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"{garbage}\r\n\r\n",
    ];
    for request in malformed {
        let mut stream = tokio::net::TcpStream::connect(server.address())
            .await
            .expect("connect");
        stream.write_all(request).await.expect("send");
        let status = tokio::time::timeout(Duration::from_secs(5), raw_exchange(&mut stream)).await;
        assert_eq!(status.ok().flatten(), Some(400), "{request:?}");
    }
    server.terminate().expect("SIGTERM");
    let exit = server.wait_for_exit(Duration::from_secs(5));
    let output = server.output();
    assert!(
        exit.is_some_and(|s| s.success()),
        "exit {exit:?}:\n{output}"
    );
    let noisy: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("WARN") || line.contains("ERROR"))
        .collect();
    assert!(
        noisy.is_empty(),
        "log lines at warn for malformed requests:\n{output}"
    );
}

/// Sends `head` then `body` on a fresh connection and returns the status line's code, or
/// `None` when the server closed the connection without answering.
async fn raw_exchange(stream: &mut tokio::net::TcpStream) -> Option<u16> {
    use tokio::io::AsyncReadExt;
    let mut response = Vec::new();
    let mut buffer = [0u8; 1024];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => response.extend_from_slice(&buffer[..read]),
        }
    }
    let line = String::from_utf8_lossy(&response);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
}

fn token_request_head(body_len: usize) -> String {
    format!(
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {body_len}\r\n\r\n"
    )
}

/// No log line, at any level and in either format, carries the secret, a minted token, an
/// `Authorization` value, a query string or a request body.
pub async fn logs_keep_secrets(exe: &str) {
    for format in ["text", "json"] {
        let dir = temp_dir();
        let mut command = command(exe, dir.path());
        command
            .env("LIVEKIT_API_KEY", TEST_API_KEY)
            .env("LIVEKIT_API_SECRET", TEST_API_SECRET)
            .env("LOG_FORMAT", format)
            .env("RUST_LOG", "trace");
        let mut server = start(command);
        let target = Target::new(server.url()).with_credentials(TEST_API_KEY, TEST_API_SECRET);
        let client = crate::runner::client();
        let token = client
            .post(target.url("/token?access_token=query-marker-5e2a"))
            .header("content-type", "application/json")
            .body(r#"{"roomName":"room1","participantName":"alice","note":"body-marker-7d1f"}"#)
            .send()
            .await
            .expect("token request")
            .text()
            .await
            .expect("token");
        let event =
            br#"{"event":"room_started","room":{"name":"room1"},"note":"body-marker-91c3"}"#;
        let authorization = crate::signing::sign(
            &target,
            crate::case::Signer::Suite,
            crate::case::Flaw::None,
            event,
        )
        .expect("sign");
        let status = client
            .post(target.url("/livekit/webhook"))
            .header("content-type", "application/webhook+json")
            .header("authorization", &authorization)
            .body(&event[..])
            .send()
            .await
            .expect("webhook request")
            .status();
        assert_eq!(status, 200, "the signed webhook was refused");
        server.terminate().expect("SIGTERM");
        server.wait_for_exit(Duration::from_secs(10));
        let logs = server.output();
        for (what, secret) in [
            ("the API secret", TEST_API_SECRET),
            ("a minted token", token.as_str()),
            (
                "a token's signature",
                token.rsplit('.').next().unwrap_or_default(),
            ),
            ("the Authorization header", authorization.as_str()),
            ("a query string", "query-marker-5e2a"),
            ("a token request body", "body-marker-7d1f"),
            ("a webhook body", "body-marker-91c3"),
        ] {
            assert!(
                !secret.is_empty() && !logs.contains(secret),
                "{format} logs show {what}:\n{logs}"
            );
        }
        let request_line = match format {
            "json" => logs.lines().any(|l| {
                l.contains(r#""method":"POST""#)
                    && l.contains(r#""path":"/token""#)
                    && l.contains(r#""status":200"#)
                    && l.contains("latency_us")
            }),
            _ => logs.lines().any(|l| {
                l.contains(r#"method="POST""#)
                    && l.contains(r#"path="/token""#)
                    && l.contains("status=200")
                    && l.contains("latency_us=")
            }),
        };
        assert!(request_line, "no request log line in {format}:\n{logs}");
    }
}

/// A client that stalls in its request head is dropped, one that stalls in its body gets a
/// 408, each within the contract's timeouts (10 s) and a margin.
pub async fn drops_stalled_clients(exe: &str) {
    use tokio::io::AsyncWriteExt;
    let dir = temp_dir();
    let server = start(command(exe, dir.path()));
    let mut in_head = tokio::net::TcpStream::connect(server.address())
        .await
        .expect("connect");
    in_head
        .write_all(b"POST /token HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("send");
    let mut in_body = tokio::net::TcpStream::connect(server.address())
        .await
        .expect("connect");
    in_body
        .write_all(format!("{}{{\"roomName\"", token_request_head(100)).as_bytes())
        .await
        .expect("send");
    let deadline = Duration::from_secs(16);
    let (head, body) = tokio::join!(
        tokio::time::timeout(deadline, raw_exchange(&mut in_head)),
        tokio::time::timeout(deadline, raw_exchange(&mut in_body)),
    );
    let head = head.unwrap_or_else(|_| panic!("a stalled request head kept its connection"));
    assert!(
        matches!(head, None | Some(408)),
        "a stalled request head got {head:?}"
    );
    let body = body.unwrap_or_else(|_| panic!("a stalled request body got no answer"));
    assert_eq!(body, Some(408), "a stalled request body got {body:?}");
}

/// On SIGTERM new connections are refused at once, a request already being received is
/// answered, then the process exits 0.
pub async fn finishes_in_flight_requests_on_sigterm(exe: &str) {
    use tokio::io::AsyncWriteExt;
    let dir = temp_dir();
    let mut server = start(command(exe, dir.path()));
    let body = r#"{"roomName":"room1","participantName":"alice"}"#;
    let (first, rest) = body.split_at(10);
    let mut stream = tokio::net::TcpStream::connect(server.address())
        .await
        .expect("connect");
    // A request answered first proves the connection is being served; the token request
    // pipelined behind it is then read by the time that answer arrives.
    let served = "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    stream
        .write_all(format!("{served}{}{first}", token_request_head(body.len())).as_bytes())
        .await
        .expect("send");
    assert_eq!(raw_exchange(&mut stream).await, Some(200), "HEAD /healthz");
    server.terminate().expect("SIGTERM");
    assert!(
        server.wait_for_output("shutdown signal received", Duration::from_secs(5)),
        "no shutdown log line:\n{}",
        server.output()
    );
    assert!(
        refuses_connections(server.address(), Duration::from_secs(5)).await,
        "still accepting new connections while draining:\n{}",
        server.output()
    );
    stream
        .write_all(rest.as_bytes())
        .await
        .expect("send the rest");
    let status = tokio::time::timeout(Duration::from_secs(5), raw_exchange(&mut stream)).await;
    assert_eq!(
        status.ok().flatten(),
        Some(200),
        "in-flight request not answered:\n{}",
        server.output()
    );
    let exit = server.wait_for_exit(Duration::from_secs(5));
    assert!(
        exit.is_some_and(|s| s.success()),
        "exit {exit:?}:\n{}",
        server.output()
    );
}

/// Whether connecting to `address` is refused within `within` (the listener closes a moment
/// after the shutdown log line, so it is polled).
async fn refuses_connections(address: std::net::SocketAddr, within: Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    while tokio::net::TcpStream::connect(address).await.is_ok() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// A thousand idle connections do not stop the server from answering.
pub async fn answers_beside_many_idle_connections(exe: &str) {
    let dir = temp_dir();
    let server = start(command(exe, dir.path()));
    let mut idle = Vec::with_capacity(1000);
    for _ in 0..1000 {
        idle.push(
            tokio::net::TcpStream::connect(server.address())
                .await
                .expect("connect"),
        );
    }
    let target = Target::new(server.url());
    let report = tokio::time::timeout(Duration::from_secs(10), run(&target, &only("token/valid")))
        .await
        .expect("an answer beside 1000 idle connections")
        .expect("reachable");
    assert_eq!(report.failed(), 0, "{report}");
    drop(idle);
}

/// A panic inside a handler becomes a 500 with the usual error body and CORS headers, and
/// the server keeps serving. Needs token-core's `fault-injection` feature in the binary.
pub async fn panics_become_500s(exe: &str) {
    let dir = temp_dir();
    let server = start(command(exe, dir.path()));
    let target = Target::new(server.url());
    let client = crate::runner::client();
    let response = client
        .post(target.url("/token"))
        .header("content-type", "application/json")
        .header("origin", crate::case::ORIGIN)
        .body(r#"{"roomName":"room1","participantName":"__panic__"}"#)
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        response.text().await.expect("body"),
        "internal server error"
    );
    let report = run(&target, &only("token/valid")).await.expect("reachable");
    assert_eq!(report.failed(), 0, "not serving after a panic: {report}");
}

/// `--health-check` exits 0 when the server on `SERVER_PORT` answers `/healthz`, 1 when
/// nothing does (the container image's `HEALTHCHECK`).
pub fn health_check_flag_probes_the_port(exe: &str) {
    let dir = temp_dir();
    let server = start(command(exe, dir.path()));
    let probe = |port: u16| {
        command(exe, dir.path())
            .env("SERVER_PORT", port.to_string())
            .arg("--health-check")
            .output()
            .expect("run --health-check")
    };
    let healthy = probe(server.address().port());
    assert!(healthy.status.success(), "{healthy:?}");
    drop(server);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let unhealthy = probe(closed);
    assert_eq!(unhealthy.status.code(), Some(1), "{unhealthy:?}");
    assert!(String::from_utf8_lossy(&unhealthy.stderr).contains("unhealthy"));
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
        async fn binary_serves_livekits_own_token_source_client() {
            $crate::binary_checks::official_client_fetches_credentials($exe).await;
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

        #[tokio::test(flavor = "multi_thread")]
        async fn binary_logs_keep_secrets() {
            $crate::binary_checks::logs_keep_secrets($exe).await;
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn binary_logs_nothing_for_malformed_requests_at_warn() {
            $crate::binary_checks::malformed_requests_log_nothing_at_warn($exe).await;
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn binary_drops_stalled_clients() {
            $crate::binary_checks::drops_stalled_clients($exe).await;
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn binary_finishes_in_flight_requests_on_sigterm() {
            $crate::binary_checks::finishes_in_flight_requests_on_sigterm($exe).await;
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn binary_answers_beside_many_idle_connections() {
            $crate::binary_checks::answers_beside_many_idle_connections($exe).await;
        }

        #[test]
        fn binary_health_check_flag_probes_the_port() {
            $crate::binary_checks::health_check_flag_probes_the_port($exe);
        }

        #[tokio::test(flavor = "multi_thread")]
        async fn binary_turns_panics_into_500s() {
            $crate::binary_checks::panics_become_500s($exe).await;
        }
    };
}
