//! The process's life: SIGTERM with idle and in-flight connections, and the
//! `--health-check` flag.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{answer_status, command, start, temp_dir, token_request_head};

/// On SIGTERM, with an idle keep-alive connection open, the binary exits 0 within 5 s.
pub async fn stops_on_sigterm(exe: &str) {
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

/// On SIGTERM new connections are refused at once, a request already being received is
/// answered, then the process exits 0.
pub async fn finishes_in_flight_requests_on_sigterm(exe: &str) {
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
    assert_eq!(
        answer_status(&mut stream, true).await,
        Some(200),
        "HEAD /healthz"
    );
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
    let status =
        tokio::time::timeout(Duration::from_secs(5), answer_status(&mut stream, false)).await;
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

/// `--health-check` exits 0 when the server on `SERVER_HOST` and `SERVER_PORT` answers
/// `/healthz`, on IPv4 and on IPv6's loopback, 1 when nothing does (the container image's
/// `HEALTHCHECK`).
pub fn health_check_flag_probes_the_port(exe: &str) {
    let dir = temp_dir();
    let probe = |host: &str, port: u16| {
        command(exe, dir.path())
            .env("SERVER_HOST", host)
            .env("SERVER_PORT", port.to_string())
            .arg("--health-check")
            .output()
            .expect("run --health-check")
    };
    for host in ["127.0.0.1", "::1"] {
        let mut listening = command(exe, dir.path());
        listening.env("SERVER_HOST", host);
        let server = start(listening);
        let healthy = probe(host, server.address().port());
        assert!(healthy.status.success(), "SERVER_HOST={host}: {healthy:?}");
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let unhealthy = probe("127.0.0.1", closed);
    assert_eq!(unhealthy.status.code(), Some(1), "{unhealthy:?}");
    assert!(String::from_utf8_lossy(&unhealthy.stderr).contains("unhealthy"));
}
