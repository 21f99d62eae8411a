//! The binary keeps serving: stalled clients dropped in time, many idle connections, a
//! connection cap. (A panicking handler's 500 is proven in `token-core/tests/panics.rs`.)

use std::time::Duration;

use conformance::{ServerUnderTest, run};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

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

/// `SERVER_MAX_CONNECTIONS` caps the connections served at once: past it a new connection
/// waits to be accepted and is served as soon as one closes; after a flood of connections
/// far past the cap, the server serves again.
pub async fn caps_connections(exe: &str) {
    const CAP: usize = 4;
    let dir = temp_dir();
    let mut command = command(exe, dir.path());
    command.env("SERVER_MAX_CONNECTIONS", CAP.to_string());
    let server = start(command);
    let connect = || TcpStream::connect(server.address());
    let probe = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    // The cap filled with served connections, each answered once and kept open.
    let mut held = Vec::new();
    for _ in 0..CAP {
        let mut stream = connect().await.expect("connect");
        stream.write_all(probe).await.expect("send");
        assert_eq!(answer_status(&mut stream, false).await, Some(200));
        held.push(stream);
    }
    // One more: the kernel accepts it, the server does not yet. (An absence can only be
    // waited for; a server without the cap answers within milliseconds.)
    let mut waiting = connect().await.expect("connect");
    waiting.write_all(probe).await.expect("send");
    let early = tokio::time::timeout(
        Duration::from_millis(500),
        answer_status(&mut waiting, false),
    )
    .await;
    assert!(
        early.is_err(),
        "a connection past the cap of {CAP} was served: {early:?}"
    );
    drop(held.pop());
    let served =
        tokio::time::timeout(Duration::from_secs(5), answer_status(&mut waiting, false)).await;
    assert_eq!(
        served.ok().flatten(),
        Some(200),
        "not served once a connection closed"
    );

    // A flood far past the cap, then gone: the server serves again. (Within the listen
    // backlog of 128: past it the kernel drops handshakes and connecting takes minutes.)
    let mut flood = Vec::new();
    for _ in 0..100 {
        flood.push(connect().await.expect("connect"));
    }
    drop((flood, held, waiting));
    let under_test = ServerUnderTest::new(server.url());
    let report = tokio::time::timeout(
        Duration::from_secs(15),
        run(&under_test, &only("token/valid")),
    )
    .await
    .expect("served again after the flood")
    .expect("reachable");
    assert_eq!(report.failed(), 0, "{report}");
}
