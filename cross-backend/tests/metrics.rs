//! The metrics port on every backend: the same requests give the same numbers, since
//! `token-core` records them, and the port answers alike.
//! Run: `cargo test -p cross-backend --test metrics`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use conformance::wire::RawResponse;
use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{settings_with, start};
use testkit::exchange::exchange;
use testkit::exposition;

/// Requests to the token port and the status each gets.
const SEQUENCE: [(&str, u16); 10] = [
    (
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 46\r\n\r\n{\"roomName\":\"room1\",\"participantName\":\"alice\"}",
        200,
    ),
    (
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n{",
        400,
    ),
    (
        "POST /livekit/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        201,
    ),
    (
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        429,
    ),
    (
        "POST /livekit/webhook HTTP/1.1\r\nHost: x\r\nAuthorization: forged\r\nContent-Length: 2\r\n\r\n{}",
        401,
    ),
    (
        "POST /livekit/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        401,
    ),
    ("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    ("BREW /token HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (
        "OPTIONS /token HTTP/1.1\r\nHost: x\r\nAccess-Control-Request-Method: POST\r\n\r\n",
        200,
    ),
    ("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200),
];

/// What the sequence must have counted.
const EXPECTED: [(&str, f64); 12] = [
    ("token_server_tokens_issued_total{endpoint=\"/token\"}", 1.0),
    (
        "token_server_tokens_issued_total{endpoint=\"/livekit/token\"}",
        1.0,
    ),
    ("token_server_webhooks_total{result=\"unauthorized\"}", 2.0),
    (
        "token_server_auth_failures_total{credential=\"webhook\",reason=\"not a JWT\"}",
        1.0,
    ),
    (
        "token_server_auth_failures_total{credential=\"webhook\",reason=\"missing\"}",
        1.0,
    ),
    ("token_server_rate_limited_total{limit=\"tokens\"}", 1.0),
    (
        "http_server_request_duration_seconds_count{method=\"POST\",route=\"/token\",status=\"200\"}",
        1.0,
    ),
    (
        "http_server_request_duration_seconds_count{method=\"POST\",route=\"/token\",status=\"429\"}",
        1.0,
    ),
    (
        "http_server_request_duration_seconds_count{method=\"_OTHER\",route=\"/token\",status=\"405\"}",
        1.0,
    ),
    // `GET /nope`, and `GET /metrics` asked of the token port.
    (
        "http_server_request_duration_seconds_count{method=\"GET\",route=\"unmatched\",status=\"404\"}",
        2.0,
    ),
    (
        "http_server_request_duration_seconds_count{method=\"OPTIONS\",route=\"/token\",status=\"200\"}",
        1.0,
    ),
    (
        "http_server_request_duration_seconds_count{method=\"HEAD\",route=\"/healthz\",status=\"200\"}",
        1.0,
    ),
];

async fn get(address: SocketAddr, request: &str) -> RawResponse {
    let answer = exchange(
        address,
        &[request.as_bytes()],
        request.starts_with("HEAD"),
        false,
    )
    .await;
    answer.response.expect("an answer")
}

/// The samples that do not depend on how long requests took.
fn timeless(samples: BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    samples
        .into_iter()
        .filter(|(series, _)| {
            !series.starts_with("http_server_request_duration_seconds_bucket")
                && !series.starts_with("http_server_request_duration_seconds_sum")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_backend_counts_the_same_requests_alike() {
    let settings = settings_with(
        "text",
        &["--metrics-port", "0", "--token-rate-limit", "3/h"],
    );
    let mut first: Option<(&str, BTreeMap<String, f64>)> = None;
    for backend in BACKENDS {
        let name = backend.name();
        let server = start(backend, &settings);
        let metrics = server.metrics_address.expect("a metrics port");
        for (request, status) in SEQUENCE {
            let response = get(server.address(), request).await;
            assert_eq!(response.status, status, "{name}: {request:?}");
        }
        // Metrics are not served on the token port (that request counts as a 404 there).
        let on_token_port = get(server.address(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert_eq!(on_token_port.status, 404, "{name}");
        let scrape = get(metrics, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert_eq!(scrape.status, 200, "{name}");
        assert_eq!(
            scrape.header("content-type"),
            ["application/openmetrics-text; version=1.0.0; charset=utf-8"],
            "{name}"
        );
        assert!(
            scrape.header("access-control-allow-origin").is_empty(),
            "{name}"
        );
        let text = String::from_utf8(scrape.body).expect("UTF-8");
        let samples = exposition::parse(&text).unwrap_or_else(|| panic!("{name}: {text}"));
        for (series, value) in EXPECTED {
            assert_eq!(
                samples.get(series),
                Some(&value),
                "{name}: {series} in\n{text}"
            );
        }
        // Every histogram's +Inf bucket holds all its requests.
        for (series, count) in samples.iter().filter(|(s, _)| s.contains("_count{")) {
            let labels = &series[series.find('{').expect("labels") + 1..series.len() - 1];
            let infinite =
                format!("http_server_request_duration_seconds_bucket{{le=\"+Inf\",{labels}}}");
            assert_eq!(samples.get(&infinite), Some(count), "{name}: {infinite}");
        }
        for (request, status) in [
            ("GET /other HTTP/1.1\r\nHost: x\r\n\r\n", 404),
            (
                "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
                405,
            ),
            ("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        ] {
            assert_eq!(
                get(metrics, request).await.status,
                status,
                "{name}: {request:?}"
            );
        }
        let samples = timeless(samples);
        match &first {
            None => first = Some((name, samples)),
            Some((first_name, expected)) => {
                assert_eq!(
                    &samples, expected,
                    "{name} and {first_name} count differently"
                );
            }
        }
    }
}
