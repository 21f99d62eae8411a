//! What the binary logs: never a secret, token, `Authorization` value, query or body, room
//! and participant names only when asked, and nothing at warn for malformed requests the
//! engines refuse.

use std::time::Duration;

use conformance::ServerUnderTest;
use tokio::io::AsyncWriteExt;

use super::{
    TEST_API_KEY, TEST_API_SECRET, answer_status, credentialed, send_signed_webhook, start,
    temp_dir,
};

/// No log line, at any level and in either format, carries the secret, a minted token, an
/// `Authorization` value, a query string or a request body.
pub async fn logs_keep_secrets(exe: &str) {
    for format in ["text", "json"] {
        let dir = temp_dir();
        let mut command = credentialed(exe, dir.path());
        command.env("LOG_FORMAT", format).env("RUST_LOG", "trace");
        let mut server = start(command);
        let under_test =
            ServerUnderTest::new(server.url()).with_credentials(TEST_API_KEY, TEST_API_SECRET);
        let client = conformance::runner::client().expect("an HTTP client");
        let token = client
            .post(under_test.url("/token?access_token=query-marker-5e2a"))
            .header("content-type", "application/json")
            .body(r#"{"roomName":"room1","participantName":"alice","note":"body-marker-7d1f"}"#)
            .send()
            .await
            .expect("token request")
            .text()
            .await
            .expect("token");
        // A client chooses an unknown path's bytes: the log line carries the route instead.
        let long_path = format!("/path-marker-3b9e{}", "x".repeat(60_000));
        let unknown = client
            .get(under_test.url(&long_path))
            .send()
            .await
            .expect("an unknown path");
        assert_eq!(unknown.status(), 404);
        let event =
            br#"{"event":"room_started","room":{"name":"room1"},"note":"body-marker-91c3"}"#;
        let (status, authorization) = send_signed_webhook(&under_test, event).await;
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
            ("a path no endpoint has", "path-marker-3b9e"),
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

/// Malformed requests, which the HTTP engine may refuse before any application code runs,
/// leave no warning or error in the logs at `RUST_LOG=warn`: engines' own logs are off.
pub async fn malformed_requests_log_nothing_at_warn(exe: &str) {
    let dir = temp_dir();
    let mut command = credentialed(exe, dir.path());
    // The startup target stays at info, for the "listening" line the test needs.
    command.env("RUST_LOG", "warn,server_runtime::startup=info");
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
        let status =
            tokio::time::timeout(Duration::from_secs(5), answer_status(&mut stream, false)).await;
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

/// Room and participant names reach the logs only with `LOG_NAMES`: otherwise each is a
/// short hash, the same for the same name.
pub async fn logs_hash_names_unless_asked(exe: &str) {
    const ROOM: &str = "room-marker-4b8e";
    const PERSON: &str = "person-marker-2c6a";
    let event = format!(
        r#"{{"event":"participant_joined","room":{{"name":"{ROOM}"}},"participant":{{"identity":"{PERSON}"}}}}"#
    );
    for log_names in [false, true] {
        let dir = temp_dir();
        let mut command = credentialed(exe, dir.path());
        command.env("RUST_LOG", "info");
        if log_names {
            command.env("LOG_NAMES", "true");
        }
        let mut server = start(command);
        let under_test =
            ServerUnderTest::new(server.url()).with_credentials(TEST_API_KEY, TEST_API_SECRET);
        for _ in 0..2 {
            let (status, _) = send_signed_webhook(&under_test, event.as_bytes()).await;
            assert_eq!(status, 200, "the signed webhook was refused");
        }
        server.terminate().expect("SIGTERM");
        server.wait_for_exit(Duration::from_secs(10));
        let logs = server.output();
        let events: Vec<&str> = logs
            .lines()
            .filter(|line| line.contains("webhook received"))
            .collect();
        assert_eq!(events.len(), 2, "one line per webhook:\n{logs}");
        if log_names {
            assert!(
                events
                    .iter()
                    .all(|l| l.contains(ROOM) && l.contains(PERSON)),
                "LOG_NAMES=true, yet names are missing:\n{logs}"
            );
        } else {
            assert!(
                !logs.contains(ROOM) && !logs.contains(PERSON),
                "names logged without LOG_NAMES:\n{logs}"
            );
            let names = |line| (field(line, "room"), field(line, "participant"));
            let (room, person) = names(events[0]);
            assert!(
                room.is_some_and(|r| r.starts_with('#'))
                    && person.is_some_and(|p| p.starts_with('#')),
                "no hashed names in:\n{logs}"
            );
            assert_eq!(
                names(events[1]),
                (room, person),
                "the same names hash alike"
            );
            assert_ne!(room, person, "different names hash apart");
        }
    }
}

/// The value of `key=` in a text log line, up to the next space.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {key}="))? + key.len() + 2;
    line[start..].split_whitespace().next()
}
