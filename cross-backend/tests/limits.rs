//! Rate-limited answers are the same bytes on every backend. The differential fuzzer runs
//! without limits (whether a request is over its quota depends on when it arrives); here one
//! sequence of requests, with quotas long enough that no request comes back during the test,
//! goes to each backend and every answer is compared, with the limits in memory and in a
//! shared Redis store.
//! Run: `cargo test -p cross-backend --test limits`.

use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{settings_with, start};
use testkit::exchange::exchange;
use testkit::redis_server::RedisServer;

/// The requests, in order, and the status each must get.
fn sequence() -> Vec<(&'static str, Vec<u8>, u16)> {
    let token = |client: &str, version: &str, body: &str| {
        format!(
            "POST /token HTTP/{version}\r\nHost: x\r\nContent-Type: application/json\r\n\
             X-Forwarded-For: {client}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let names = r#"{"roomName":"room1","participantName":"alice"}"#;
    let source = "POST /livekit/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                  X-Forwarded-For: 198.51.100.1\r\nContent-Length: 2\r\n\r\n{}";
    // A client's own `Forwarded`, passed through by an X-Forwarded-For proxy: never read.
    let spoofed = format!(
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Forwarded: for=203.0.113.5\r\nX-Forwarded-For: 198.51.100.1\r\n\
         Content-Length: {}\r\n\r\n{names}",
        names.len()
    );
    let forged = "POST /livekit/webhook HTTP/1.1\r\nHost: x\r\nAuthorization: forged\r\n\
                  X-Forwarded-For: 198.51.100.3\r\nContent-Length: 2\r\n\r\n{}";
    vec![
        ("first token", token("198.51.100.1", "1.1", names), 200),
        ("second token", token("198.51.100.1", "1.1", names), 200),
        ("over the quota", token("198.51.100.1", "1.1", names), 429),
        ("over, invalid body", token("198.51.100.1", "1.1", "{"), 429),
        ("over, HTTP/1.0", token("198.51.100.1", "1.0", names), 429),
        ("over, standard endpoint", source.as_bytes().to_vec(), 429),
        ("over, a spoofed Forwarded", spoofed.into_bytes(), 429),
        ("another client", token("198.51.100.2", "1.1", names), 200),
        ("first forgery", forged.as_bytes().to_vec(), 401),
        ("second forgery", forged.as_bytes().to_vec(), 429),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn limited_answers_are_the_same_bytes_on_every_backend() {
    compare_backends(&[], || {}).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn limited_answers_are_the_same_bytes_on_every_backend_with_the_redis_store() {
    let Some(redis) = RedisServer::start_or_skip("the Redis store's comparison") else {
        return;
    };
    let url = redis.url();
    let store = ["--rate-limit-store", "redis", "--redis-url", &url];
    // Each backend starts from an empty store, as each starts from empty memory.
    compare_backends(&store, || assert_eq!(redis.cli(&["FLUSHALL"]), "OK")).await;
}

/// Sends [`sequence`] to every backend with `store`'s flags, `before_each` backend, and
/// compares the answers.
async fn compare_backends(store: &[&str], before_each: impl Fn()) {
    for format in ["text", "json"] {
        let flags = [
            "--token-rate-limit",
            "2/h",
            "--auth-failure-rate-limit",
            "1/h",
            "--trusted-proxies",
            "127.0.0.1",
        ];
        let flags: Vec<&str> = flags.iter().chain(store).copied().collect();
        let settings = settings_with(format, &flags);
        let mut first: Option<(&str, Vec<_>)> = None;
        for backend in BACKENDS {
            before_each();
            let server = start(backend, &settings);
            let mut answers = Vec::new();
            for (what, request, status) in sequence() {
                let answer = exchange(server.address(), &[&request], false, false).await;
                let got = answer.response.as_ref().map(|response| response.status);
                assert_eq!(got, Ok(status), "{} ({format}): {what}", backend.name());
                if status == 429 {
                    let response = answer.response.as_ref().expect("answered");
                    // Half an hour until one of two requests an hour comes back.
                    let expected = if what.contains("forgery") {
                        "3600"
                    } else {
                        "1800"
                    };
                    assert_eq!(response.header("retry-after"), [expected], "{what}");
                }
                answers.push((what, answer.comparable()));
            }
            match &first {
                None => first = Some((backend.name(), answers)),
                Some((name, expected)) => {
                    for ((what, want), (_, got)) in expected.iter().zip(&answers) {
                        assert_eq!(
                            got,
                            want,
                            "{} and {name} answer {what:?} differently ({format})",
                            backend.name()
                        );
                    }
                }
            }
        }
    }
}
