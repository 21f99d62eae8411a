//! The binary keeps serving: stalled clients dropped in time, many idle connections, a
//! panicking handler turned into a 500.

use std::time::Duration;

use conformance::{ServerUnderTest, run};
use tokio::io::AsyncWriteExt;

use super::{answer_status, command, only, start, temp_dir, token_request_head};

/// A client that stalls in its request head is dropped, one that stalls in its body gets a
/// 408, each within the contract's timeouts (10 s) and a margin.
pub async fn drops_stalled_clients(exe: &str) {
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
        tokio::time::timeout(deadline, answer_status(&mut in_head, false)),
        tokio::time::timeout(deadline, answer_status(&mut in_body, false)),
    );
    let head = head.unwrap_or_else(|_| panic!("a stalled request head kept its connection"));
    assert!(
        matches!(head, None | Some(408)),
        "a stalled request head got {head:?}"
    );
    let body = body.unwrap_or_else(|_| panic!("a stalled request body got no answer"));
    assert_eq!(body, Some(408), "a stalled request body got {body:?}");
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
    let under_test = ServerUnderTest::new(server.url());
    let report = tokio::time::timeout(
        Duration::from_secs(10),
        run(&under_test, &only("token/valid")),
    )
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
    let under_test = ServerUnderTest::new(server.url());
    let client = conformance::runner::client().expect("an HTTP client");
    let response = client
        .post(under_test.url("/token"))
        .header("content-type", "application/json")
        .header("origin", conformance::case::ORIGIN)
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
    let report = run(&under_test, &only("token/valid"))
        .await
        .expect("reachable");
    assert_eq!(report.failed(), 0, "not serving after a panic: {report}");
}
