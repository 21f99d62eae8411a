//! Rate limits as a client meets them: 429s begin at the configured quota, name when to
//! retry, and end when the quota comes back; clients behind a trusted proxy are counted apart.

use std::time::{Duration, Instant};

use conformance::ServerUnderTest;
use conformance::case::{Flaw, Signer};

use super::{TEST_API_KEY, TEST_API_SECRET, credentialed, send_signed_webhook, start, temp_dir};

/// A burst of 30, then one request back every 2 s: wide margins for a loaded machine.
const TOKEN_QUOTA: &str = "30/min";
const TOKEN_BURST: usize = 30;
const AUTH_FAILURE_QUOTA: &str = "2/h";

/// A burst of token requests from one client gets exactly the quota, then 429s with
/// `Retry-After` and the `RateLimit` fields; another client behind the trusted proxy is
/// served; the 429s end once the quota comes back; failed webhook signatures past their
/// quota get 429 while a valid one passes.
pub async fn limits_bursts_per_client(exe: &str) {
    let dir = temp_dir();
    let mut command = credentialed(exe, dir.path());
    command
        .env("TOKEN_RATE_LIMIT", TOKEN_QUOTA)
        .env("AUTH_FAILURE_RATE_LIMIT", AUTH_FAILURE_QUOTA)
        .env("TRUSTED_PROXIES", "127.0.0.1");
    let server = start(command);
    let under_test =
        ServerUnderTest::new(server.url()).with_credentials(TEST_API_KEY, TEST_API_SECRET);
    let client = conformance::runner::client().expect("an HTTP client");
    let token = |forwarded_for: &'static str| {
        client
            .post(under_test.url("/token"))
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded_for)
            .body(r#"{"roomName":"room1","participantName":"alice"}"#)
            .send()
    };

    let mut statuses = Vec::new();
    for _ in 0..=TOKEN_BURST {
        statuses.push(
            token("198.51.100.1")
                .await
                .expect("answer")
                .status()
                .as_u16(),
        );
    }
    let refused_at = Instant::now();
    let mut expected = vec![200; TOKEN_BURST];
    expected.push(429);
    assert_eq!(statuses, expected, "the burst was not cut at {TOKEN_QUOTA}");
    let refusal = token("198.51.100.1").await.expect("answer");
    assert_eq!(refusal.status(), 429);
    let header = |name: &str| {
        refusal
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("retry-after").as_deref(), Some("2"));
    assert_eq!(
        header("ratelimit-policy").as_deref(),
        Some("\"tokens\";q=30;w=60")
    );
    assert_eq!(header("ratelimit").as_deref(), Some("\"tokens\";r=0;t=2"));
    assert_eq!(header("access-control-allow-origin").as_deref(), Some("*"));
    // Issue 27: behind a proxy appending to X-Forwarded-For, a client's own `Forwarded`
    // (passed through untouched) once chose its address, and with it a fresh quota.
    for spoof in ["for=203.0.113.77", "for=\"[2001:db8::77]\"", "for=_hidden"] {
        let spoofed = client
            .post(under_test.url("/token"))
            .header("content-type", "application/json")
            .header("forwarded", spoof)
            .header("x-forwarded-for", "198.51.100.1")
            .body(r#"{"roomName":"room1","participantName":"alice"}"#)
            .send()
            .await
            .expect("answer");
        assert_eq!(
            spoofed.status(),
            429,
            "Forwarded: {spoof} chose the client's address"
        );
    }
    let other = token("198.51.100.2").await.expect("answer").status();
    assert_eq!(
        other, 200,
        "another client behind the proxy was limited too"
    );

    // Polled, not slept: the quota comes back within its period (2 s), never at once.
    let served_again = loop {
        let status = token("198.51.100.1").await.expect("answer").status();
        if status == 200 {
            break refused_at.elapsed();
        }
        assert_eq!(status, 429);
        assert!(
            refused_at.elapsed() < Duration::from_secs(5),
            "still refused 5 s after the burst"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        served_again >= Duration::from_millis(1_500),
        "served again {served_again:?} after the burst: the quota came back too early"
    );

    let event = br#"{"event":"room_started","room":{"name":"room1"}}"#;
    let forger = ServerUnderTest::new(server.url())
        .with_credentials(TEST_API_KEY, "not-the-secret-0123456789");
    let mut failures = Vec::new();
    for _ in 0..3 {
        let authorization =
            conformance::signing::sign(&forger, Signer::Suite, Flaw::None, event).expect("sign");
        let status = client
            .post(under_test.url("/livekit/webhook"))
            .header("authorization", authorization)
            .body(&event[..])
            .send()
            .await
            .expect("answer")
            .status()
            .as_u16();
        failures.push(status);
    }
    assert_eq!(failures, [401, 401, 429], "failed authentications");
    let (status, _) = send_signed_webhook(&under_test, event).await;
    assert_eq!(
        status, 200,
        "a valid webhook was refused after others failed"
    );
}
