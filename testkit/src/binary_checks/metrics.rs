//! The metrics port of a binary: announced in the log, scraped as Prometheus does.

use std::net::SocketAddr;
use std::time::Duration;

use super::{credentialed, start, temp_dir};
use crate::exposition;

/// With `METRICS_PORT=0`, the binary logs where it serves metrics: on the loopback by
/// default (`METRICS_HOST`), even when the token port listens on every interface; a scrape
/// after one token request parses and counts it; the token port does not serve them;
/// SIGTERM stops both.
pub async fn serves_metrics_on_their_own_port(exe: &str) {
    let dir = temp_dir();
    let mut command = credentialed(exe, dir.path());
    command
        .env("METRICS_PORT", "0")
        .env("SERVER_HOST", "0.0.0.0");
    let server = start(command);
    let token_port = server.address().port();
    let token_url = format!("http://127.0.0.1:{token_port}");
    assert!(
        server.wait_for_output("serving metrics", Duration::from_secs(5)),
        "no \"serving metrics\" line: {}",
        server.output()
    );
    let output = server.output();
    let metrics: SocketAddr = output
        .lines()
        .find(|line| line.contains("serving metrics"))
        .and_then(|line| {
            line.split_once("metrics_address=")?
                .1
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no metrics address in {output}"));
    assert_eq!(
        metrics.ip(),
        std::net::Ipv4Addr::LOCALHOST,
        "metrics listen beyond the loopback: {output}"
    );
    // On Linux all of 127.0.0.0/8 reaches the loopback: the token port, on every interface,
    // answers there; the metrics, on 127.0.0.1 only, must not.
    let elsewhere = std::net::Ipv4Addr::new(127, 0, 0, 2);
    if tokio::net::TcpStream::connect((elsewhere, token_port))
        .await
        .is_ok()
    {
        assert!(
            tokio::net::TcpStream::connect((elsewhere, metrics.port()))
                .await
                .is_err(),
            "metrics answer on {elsewhere}"
        );
    }
    let client = conformance::runner::client().expect("an HTTP client");
    let token = client
        .post(format!("{token_url}/token"))
        .header("content-type", "application/json")
        .body(r#"{"roomName":"room1","participantName":"alice"}"#)
        .send()
        .await
        .expect("answer");
    assert_eq!(token.status(), 200);
    let not_here = client
        .get(format!("{token_url}/metrics"))
        .send()
        .await
        .expect("answer");
    assert_eq!(not_here.status(), 404, "metrics served on the token port");

    let scrape = client
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(scrape.status(), 200);
    assert_eq!(
        scrape.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/openmetrics-text; version=1.0.0; charset=utf-8"[..])
    );
    let text = scrape.text().await.expect("body");
    let samples = exposition::parse(&text).unwrap_or_else(|| panic!("not an exposition: {text}"));
    for (series, value) in [
        ("token_server_tokens_issued_total{endpoint=\"/token\"}", 1.0),
        (
            "http_server_request_duration_seconds_count{method=\"POST\",route=\"/token\",status=\"200\"}",
            1.0,
        ),
    ] {
        assert_eq!(samples.get(series), Some(&value), "{series} in\n{text}");
    }
    // Both ports stop on one signal.
    let mut server = server;
    server.terminate().expect("SIGTERM");
    let status = server.wait_for_exit(Duration::from_secs(15));
    assert!(
        status.is_some_and(|status| status.success()),
        "{status:?} after SIGTERM: {}",
        server.output()
    );
}
