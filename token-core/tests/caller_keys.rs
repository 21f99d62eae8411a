//! Production mode's keys over time, through `TokenService` as every backend calls it: loaded
//! at start-up and retried without callers, readiness (`GET /readyz`) following them, kept
//! while reloads fail only up to their maximum age; and the kinds of token and identities
//! callers are refused for.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::stream;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use test_keys::{JWKS, JWKS_PATH, caller_header, sign_caller_token, unix_now};
use token_core::livekit::keys::Credentials;
use token_core::production::caller_auth::CallerPolicy;
use token_core::production::caller_keys::{CallerKeys, MIN_RELOAD_INTERVAL};
use token_core::service::config::{Mode, Tutorial};
use token_core::{HttpVersion, Reply, RequestHead, ServiceConfig, TokenService};

mod support;

const ISSUER: &str = "https://id.example";
const AUDIENCE: &str = "token-server";
const TOKEN_BODY: &str = r#"{"roomName":"r1","participantName":"Alice"}"#;

/// A caller token signed with the P-256 test key, with `typ` in its header and `extra`
/// claims.
fn caller_token(typ: Option<&str>, extra: &Value) -> String {
    let mut claims =
        json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": unix_now() + 300});
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        claims.extend(extra.clone());
    }
    let mut header = caller_header(Algorithm::ES256);
    header.typ = typ.map(str::to_owned);
    sign_caller_token(&header, &claims)
}

fn bearer() -> String {
    format!("Bearer {}", caller_token(Some("JWT"), &json!({})))
}

fn production(jwks: &str, extra: &[&str]) -> TokenService {
    support::production_service(jwks, "https://app.example", extra)
}

fn write_jwks(dir: &Path, jwks: &str) -> PathBuf {
    let path = dir.join("jwks.json");
    std::fs::write(&path, jwks).expect("write the JWKS");
    path
}

async fn request(
    service: &TokenService,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut all = vec![("host", "x"), ("content-type", "application/json")];
    all.extend_from_slice(headers);
    let head = RequestHead::new(
        method,
        path,
        HttpVersion::Http11,
        all.iter().map(|(name, value)| (*name, value.as_bytes())),
    );
    let body = if method == "POST" { TOKEN_BODY } else { "" };
    service
        .respond(&head, stream::iter([Ok::<_, ()>(body.as_bytes())]))
        .await
}

async fn token_status(service: &TokenService, authorization: &str) -> u16 {
    request(
        service,
        "POST",
        "/token",
        &[("authorization", authorization)],
    )
    .await
    .status
}

async fn ready_status(service: &TokenService) -> u16 {
    request(service, "GET", "/readyz", &[]).await.status
}

#[tokio::test]
async fn readyz_is_503_without_callers_keys_and_200_in_tutorial_mode() {
    let tutorial = TokenService::new(&ServiceConfig::new(
        Credentials::development(),
        Mode::Tutorial(Tutorial::default()),
    ));
    for method in ["GET", "HEAD"] {
        let reply = request(&tutorial, method, "/readyz", &[]).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "ok"), "{method}");
    }
    let options = request(&tutorial, "OPTIONS", "/readyz", &[]).await;
    assert_eq!(
        (options.status, options.header("allow")),
        (200, Some("GET, HEAD, OPTIONS"))
    );
    let post = request(&tutorial, "POST", "/readyz", &[]).await;
    assert_eq!(post.status, 405);

    // Nothing listens on port 9 of the loopback: no keys.
    let without_keys = production("http://127.0.0.1:9/jwks", &[]);
    for method in ["GET", "HEAD"] {
        let reply = request(&without_keys, method, "/readyz", &[]).await;
        assert_eq!(reply.status, 503, "{method}");
        let retry: u64 = reply
            .header("retry-after")
            .and_then(|value| value.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=30).contains(&retry), "{retry}");
        let body: Value = serde_json::from_str(&reply.body).expect("the configured format");
        assert!(body["errorMessage"].is_string(), "{body}");
    }
    let health = request(&without_keys, "GET", "/healthz", &[]).await;
    assert_eq!(health.status, 200, "liveness does not wait for keys");

    assert_eq!(
        ready_status(&production(JWKS_PATH, &[])).await,
        200,
        "keys from a file"
    );
}

/// Polls `done` every 100 ms of the paused clock; a check that never comes true fails after
/// two hours of it instead of hanging the test.
/// Keys from `source`, the suite's published ones allowed, cached ten minutes and kept an
/// hour while reloads fail.
fn cached_for_600_s(
    source: std::sync::Arc<dyn token_core::production::caller_keys::KeySource>,
) -> CallerKeys {
    let policy = CallerPolicy {
        allows_published_keys: true,
        ..CallerPolicy::new(ISSUER, AUDIENCE)
    };
    CallerKeys::new(
        source,
        policy,
        Duration::from_secs(600),
        Duration::from_secs(3600),
        None,
    )
}

async fn poll_until(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2 * 3600);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: never happened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn keys_load_without_callers_and_failures_are_retried_within_30_s() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("jwks.json");
    let keys = cached_for_600_s(std::sync::Arc::new(support::FileKeys(path.clone())));
    let checks = async {
        assert!(keys.ready().is_err(), "no JWKS yet");
        // Several retries fail while the file is missing.
        tokio::time::sleep(Duration::from_secs(100)).await;
        assert!(keys.ready().is_err());
        write_jwks(dir.path(), JWKS);
        let written = tokio::time::Instant::now();
        poll_until(
            || keys.ready().is_ok(),
            "the keys load once the JWKS appears",
        )
        .await;
        assert!(
            written.elapsed() <= MIN_RELOAD_INTERVAL,
            "retried {:?} after the JWKS appeared",
            written.elapsed()
        );
        // The provider breaks: the last keys are kept until their maximum age, then dropped.
        std::fs::write(&path, "{not json").expect("break the JWKS");
        let loaded = tokio::time::Instant::now();
        poll_until(|| keys.ready().is_err(), "the kept keys are dropped").await;
        let kept = loaded.elapsed();
        assert!(
            (Duration::from_secs(3595)..=Duration::from_secs(3601)).contains(&kept),
            "kept {kept:?}"
        );
        // Loaded again as soon as the provider is back, whether or not callers arrive.
        write_jwks(dir.path(), JWKS);
        let fixed = tokio::time::Instant::now();
        poll_until(|| keys.ready().is_ok(), "the keys load again").await;
        assert!(
            fixed.elapsed() <= MIN_RELOAD_INTERVAL,
            "{:?}",
            fixed.elapsed()
        );
    };
    tokio::select! {
        () = checks => {}
        never = keys.keep_fresh() => match never {},
    }
}

#[tokio::test(start_paused = true)]
async fn keys_are_dropped_after_their_maximum_age_without_a_good_load() {
    let dir = tempfile::tempdir().expect("a directory");
    let path = write_jwks(dir.path(), JWKS);
    let path = path.to_str().expect("UTF-8");
    let service = production(path, &[]);
    let authorization = bearer();
    assert_eq!(token_status(&service, &authorization).await, 200);
    // The provider fails from now on: the last keys serve past the cache time...
    std::fs::write(path, "{not json").expect("break the JWKS");
    tokio::time::advance(Duration::from_secs(601)).await;
    assert_eq!(token_status(&service, &authorization).await, 200);
    assert_eq!(ready_status(&service).await, 200);
    // ...but not past their maximum age, a day by default: 503, and not ready.
    tokio::time::advance(Duration::from_secs(86_400 - 601)).await;
    let refused = request(
        &service,
        "POST",
        "/token",
        &[("authorization", &authorization)],
    )
    .await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
    assert_eq!(ready_status(&service).await, 503);
    // The provider is back: the next reload serves callers again.
    write_jwks(dir.path(), JWKS);
    tokio::time::advance(MIN_RELOAD_INTERVAL).await;
    assert_eq!(token_status(&service, &authorization).await, 200);
    assert_eq!(ready_status(&service).await, 200);
}

#[tokio::test]
async fn callers_presenting_another_kind_of_token_are_refused() {
    let jwks = JWKS_PATH;
    let service = production(jwks, &["--rate-limits", "off"]);
    let status = |typ: Option<&'static str>| {
        let authorization = format!("Bearer {}", caller_token(typ, &json!({})));
        let service = &service;
        async move { token_status(service, &authorization).await }
    };
    for accepted in [
        None,
        Some("JWT"),
        Some("at+jwt"),
        Some("application/AT+JWT"),
    ] {
        assert_eq!(status(accepted).await, 200, "{accepted:?}");
    }
    for refused in ["logout+jwt", "secevent+jwt", "id-jag+jwt"] {
        assert_eq!(status(Some(refused)).await, 401, "{refused}");
    }
    // The operator's list: access tokens only.
    let access_only = production(
        jwks,
        &["--caller-token-types", "at+jwt", "--rate-limits", "off"],
    );
    for (typ, expected) in [(Some("at+jwt"), 200), (Some("JWT"), 401), (None, 401)] {
        let authorization = format!("Bearer {}", caller_token(typ, &json!({})));
        assert_eq!(
            token_status(&access_only, &authorization).await,
            expected,
            "{typ:?}"
        );
    }
}

#[tokio::test]
async fn an_email_identity_needs_email_verified() {
    let jwks = JWKS_PATH;
    let service = production(
        jwks,
        &["--caller-identity-claim", "email", "--rate-limits", "off"],
    );
    let email = "alice@example.com";
    for (verified, expected) in [
        (json!({"email": email, "email_verified": true}), 200),
        (json!({"email": email, "email_verified": false}), 401),
        (json!({"email": email}), 401),
        (json!({"email": email, "email_verified": "true"}), 401),
    ] {
        let authorization = format!("Bearer {}", caller_token(None, &verified));
        assert_eq!(
            token_status(&service, &authorization).await,
            expected,
            "{verified}"
        );
    }
}

/// The suite's JWKS, counting how often it is fetched.
#[derive(Debug)]
struct CountedKeys(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl token_core::production::caller_keys::KeySource for CountedKeys {
    fn fetch(&self) -> token_core::production::caller_keys::Fetched<'_> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async { Ok(JWKS.to_owned()) })
    }
}

impl std::fmt::Display for CountedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("counted")
    }
}

#[tokio::test(start_paused = true)]
async fn an_early_reload_postpones_the_scheduled_one() {
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = || fetches.load(std::sync::atomic::Ordering::SeqCst);
    let keys = cached_for_600_s(std::sync::Arc::new(CountedKeys(fetches.clone())));
    let checks = async {
        poll_until(|| count() == 1, "the keys load at start-up").await;
        tokio::time::sleep(Duration::from_secs(300)).await;
        // A token naming a key the JWKS lacks makes the keys reload early.
        let mut header = caller_header(Algorithm::ES256);
        header.kid = Some("rotated-in".to_owned());
        let claims =
            json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": unix_now() + 3600});
        let authorization = format!("Bearer {}", sign_caller_token(&header, &claims));
        let refused = keys.authenticate(Some(authorization.as_bytes())).await;
        assert!(refused.is_err(), "no key has that kid");
        assert_eq!(count(), 2, "reloaded early for an unknown kid");
        // The reload planned for 600 s after the first load waits for the early load's own
        // cache time instead of fetching keys that are still fresh.
        tokio::time::sleep(Duration::from_secs(310)).await;
        assert_eq!(count(), 2, "fetched again while the keys were fresh");
        tokio::time::sleep(Duration::from_secs(300)).await;
        assert_eq!(
            count(),
            3,
            "reloaded once the early load's cache time ran out"
        );
    };
    tokio::select! {
        () = checks => {}
        never = keys.keep_fresh() => match never {},
    }
}

/// An identity provider that never answers, counting how often it is asked.
#[derive(Debug)]
struct SilentKeys(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl token_core::production::caller_keys::KeySource for SilentKeys {
    fn fetch(&self) -> token_core::production::caller_keys::Fetched<'_> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async { Err("connection refused".to_owned()) })
    }
}

impl std::fmt::Display for SilentKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("silent")
    }
}

#[tokio::test(start_paused = true)]
async fn failed_loads_are_retried_after_one_second_then_twice_as_long_up_to_30_s() {
    let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = || attempts.load(std::sync::atomic::Ordering::SeqCst);
    let keys = cached_for_600_s(std::sync::Arc::new(SilentKeys(attempts.clone())));
    let checks = async {
        // Attempts at 0, 1, 3, 7, 15 and 31 s, then every 30 s: 61, 91.
        tokio::time::sleep(Duration::from_millis(100_500)).await;
        assert_eq!(count(), 8, "attempts in the first 100 s");
    };
    tokio::select! {
        () = checks => {}
        never = keys.keep_fresh() => match never {},
    }
}

/// The suite's JWKS the first time; afterwards an identity provider that never answers.
#[derive(Debug, Default)]
struct HangsAfterFirstLoad(std::sync::atomic::AtomicUsize);

impl token_core::production::caller_keys::KeySource for HangsAfterFirstLoad {
    fn fetch(&self) -> token_core::production::caller_keys::Fetched<'_> {
        if self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            Box::pin(async { Ok(JWKS.to_owned()) })
        } else {
            Box::pin(std::future::pending())
        }
    }
}

impl std::fmt::Display for HangsAfterFirstLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hangs after the first load")
    }
}

#[tokio::test(start_paused = true)]
async fn callers_are_served_with_old_keys_while_a_reload_hangs() {
    let keys = cached_for_600_s(std::sync::Arc::new(HangsAfterFirstLoad::default()));
    let authorization = bearer();
    let authenticate = || keys.authenticate(Some(authorization.as_bytes()));
    authenticate().await.expect("the first load");
    // Past the cache time: the next caller starts a reload, which never ends.
    tokio::time::sleep(Duration::from_secs(601)).await;
    tokio::select! {
        biased;
        _ = authenticate() => panic!("the hanging reload ended"),
        answered = tokio::time::timeout(Duration::from_secs(5), authenticate()) => {
            let caller = answered.expect("answered while the reload hangs");
            assert!(caller.is_ok(), "{caller:?}");
        }
    }
}
