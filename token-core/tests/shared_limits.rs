//! The shared store seen from the core, with a store that answers as each test says and a
//! paused clock: the shield spares the store a refused client's requests, a check never
//! waits past the timeout, a failing store is asked again on a doubling schedule, and each
//! failure mode answers as documented. The real Redis: `cross-backend/tests/shared_limits.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use token_core::operations::limit_store::{
    GcraArgs, SharedLimitStore, SharedStoreConfig, StoreCheck, StoreFailure,
};
use token_core::operations::limits::{Limit, LimitConfig, RateLimits};
use token_core::operations::shared_limits::{FIRST_RETRY, MAX_RETRY};
use token_core::{ContractError, HttpVersion, RequestHead};

/// What the store answers.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// Allowed.
    Allow,
    /// Refused for this long.
    Refuse(Duration),
    /// An error.
    Fail,
    /// Nothing, ever.
    Hang,
}

#[derive(Debug)]
struct Store {
    answer: Mutex<Answer>,
    checks: AtomicUsize,
}

impl Store {
    fn new(answer: Answer) -> Arc<Self> {
        Arc::new(Self {
            answer: Mutex::new(answer),
            checks: AtomicUsize::new(0),
        })
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().expect("lock") = answer;
    }

    fn checks(&self) -> usize {
        self.checks.load(Ordering::SeqCst)
    }
}

impl std::fmt::Display for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("test store")
    }
}

impl SharedLimitStore for Store {
    fn check<'a>(&'a self, _key: &'a str, _gcra: GcraArgs) -> StoreCheck<'a> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        let answer = *self.answer.lock().expect("lock");
        Box::pin(async move {
            match answer {
                Answer::Allow => Ok(Duration::ZERO),
                Answer::Refuse(wait) => Ok(wait),
                Answer::Fail => Err("ERR refused".to_owned()),
                Answer::Hang => std::future::pending().await,
            }
        })
    }

    fn ping(&self) -> StoreCheck<'_> {
        self.check(
            "ping",
            GcraArgs {
                interval_micros: 1,
                burst: 1,
            },
        )
    }
}

fn limits(store: &Arc<Store>, failure: StoreFailure, shield: bool) -> RateLimits {
    let shared: Arc<dyn SharedLimitStore> = store.clone();
    let config = LimitConfig {
        tokens: "2/min".parse().expect("a quota"),
        store: Some(SharedStoreConfig {
            failure,
            shield,
            ..SharedStoreConfig::new(shared)
        }),
        ..LimitConfig::default()
    };
    RateLimits::new(
        &config,
        false,
        "a-secret-of-at-least-32-bytes-0123456789",
        None,
    )
}

fn head() -> RequestHead<'static> {
    RequestHead::new("POST", "/token", HttpVersion::Http11, [])
        .from_peer(Some([203, 0, 113, 9].into()))
}

async fn check(limits: &RateLimits) -> Result<(), ContractError> {
    limits.check(Limit::Tokens, &head()).await
}

fn retry_after(refusal: Result<(), ContractError>) -> u64 {
    match refusal {
        Err(ContractError::TooManyRequests(limited)) => limited.retry_after_seconds,
        other => panic!("expected a 429, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_shield_refuses_locally_until_the_retry_after() {
    let store = Store::new(Answer::Refuse(Duration::from_millis(9_500)));
    let limits = limits(&store, StoreFailure::Local, true);
    assert_eq!(retry_after(check(&limits).await), 10);
    for _ in 0..100 {
        assert!(retry_after(check(&limits).await) <= 10);
    }
    assert_eq!(store.checks(), 1, "the store was asked once");
    tokio::time::advance(Duration::from_millis(9_000)).await;
    assert_eq!(retry_after(check(&limits).await), 1);
    assert_eq!(store.checks(), 1);
    tokio::time::advance(Duration::from_millis(500)).await;
    store.answer(Answer::Allow);
    assert_eq!(check(&limits).await, Ok(()));
    assert_eq!(store.checks(), 2, "asked again once the wait was over");
}

#[tokio::test(start_paused = true)]
async fn without_the_shield_the_store_is_asked_every_time() {
    let store = Store::new(Answer::Refuse(Duration::from_secs(10)));
    let limits = limits(&store, StoreFailure::Local, false);
    for _ in 0..10 {
        assert_eq!(retry_after(check(&limits).await), 10);
    }
    assert_eq!(store.checks(), 10);
}

#[tokio::test(start_paused = true)]
async fn a_store_that_never_answers_costs_one_timeout_then_a_doubling_retry() {
    let store = Store::new(Answer::Hang);
    let limits = limits(&store, StoreFailure::Local, true);
    let started = tokio::time::Instant::now();
    assert_eq!(check(&limits).await, Ok(()), "the local limits serve");
    assert_eq!(started.elapsed(), Duration::from_millis(50), "the timeout");
    // Until the first retry the local limits answer at once: 2/min, then 429.
    assert_eq!(check(&limits).await, Ok(()));
    assert!(matches!(
        check(&limits).await,
        Err(ContractError::TooManyRequests(_))
    ));
    assert_eq!(store.checks(), 1);
    // Then one request asks again at each retry, after a wait that doubles up to the cap;
    // that request itself waits the timeout.
    let timeout = Duration::from_millis(50);
    let mut wait = FIRST_RETRY;
    let mut next = FIRST_RETRY * 2;
    let mut asked = 1;
    for _ in 0..8 {
        tokio::time::advance(wait - Duration::from_millis(1)).await;
        let _ = check(&limits).await;
        assert_eq!(store.checks(), asked, "not before the retry");
        tokio::time::advance(Duration::from_millis(1)).await;
        let _ = check(&limits).await;
        asked += 1;
        assert_eq!(store.checks(), asked, "at the retry, after {wait:?}");
        wait = next - timeout;
        next = (next * 2).min(MAX_RETRY);
    }
    // Back: shared again at the next retry, and from then on every request asks.
    store.answer(Answer::Allow);
    tokio::time::advance(MAX_RETRY).await;
    assert_eq!(check(&limits).await, Ok(()));
    assert_eq!(check(&limits).await, Ok(()));
    assert_eq!(store.checks(), asked + 2);
}

#[tokio::test(start_paused = true)]
async fn each_failure_mode_answers_as_documented() {
    let store = Store::new(Answer::Fail);
    let open = limits(&store, StoreFailure::Open, true);
    for _ in 0..10 {
        assert_eq!(check(&open).await, Ok(()), "no limits");
    }
    assert_eq!(open.ready().await, Ok(()), "open stays ready");
    let closed = limits(&store, StoreFailure::Closed, true);
    match check(&closed).await {
        Err(ContractError::LimitsUnavailable(retry)) => assert_eq!(retry, 1),
        other => panic!("expected a 503, got {other:?}"),
    }
    assert!(matches!(
        closed.ready().await,
        Err(ContractError::LimitsUnavailable(_))
    ));
    store.answer(Answer::Allow);
    assert_eq!(closed.ready().await, Ok(()), "ready once the store answers");
    assert_eq!(check(&closed).await, Ok(()));
    let local = limits(&store, StoreFailure::Local, true);
    assert_eq!(local.ready().await, Ok(()), "local does not ask");
}

/// A service whose limits are kept in `store`, serving clients at 203.0.113.9.
fn service(store: &Arc<Store>) -> token_core::TokenService {
    use token_core::livekit::keys::Credentials;
    use token_core::service::config::{Mode, Tutorial};
    let shared: Arc<dyn SharedLimitStore> = store.clone();
    let mut config = token_core::ServiceConfig::new(
        Credentials::development(),
        Mode::Tutorial(Tutorial::default()),
    );
    config.limits.store = Some(SharedStoreConfig::new(shared));
    token_core::TokenService::new(&config)
}

/// Found by the differential fuzzer with the Redis store: while the service waited on the
/// store, actix-http found a body's chunked framing broken and closed the connection without
/// an answer, where hyper's backends answered. A body that breaks before the store answers is
/// now answered at once, without waiting for the store.
#[tokio::test(start_paused = true)]
async fn a_body_that_breaks_while_the_store_thinks_is_answered_at_once() {
    use futures_util::stream;
    let store = Store::new(Answer::Hang);
    let service = service(&store);
    let broken = || stream::iter([Err::<&'static [u8], _>("broken chunk")]);
    for (target, headers, status) in [
        ("/token", ("content-type", &b"application/json"[..]), 400),
        ("/livekit/webhook", ("authorization", &b"forged"[..]), 401),
    ] {
        let headers = [
            ("host", &b"x"[..]),
            headers,
            ("transfer-encoding", &b"chunked"[..]),
        ];
        let head = RequestHead::new("POST", target, HttpVersion::Http11, headers)
            .from_peer(Some([203, 0, 113, 9].into()));
        let started = tokio::time::Instant::now();
        let reply = service.respond(&head, broken()).await;
        assert_eq!(reply.status, status, "{target}: {}", reply.body);
        assert!(reply.close_connection, "{target}");
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "{target} waited on the store"
        );
    }
}

/// The third the fuzzer found: a tunnel request, whose bytes behind the head actix-http reads
/// as a body while the core reads none, is counted by this replica alone, never waiting.
#[tokio::test(start_paused = true)]
async fn a_tunnel_request_never_waits_on_the_store() {
    use futures_util::stream;
    let store = Store::new(Answer::Hang);
    let service = service(&store);
    let headers = [
        ("host", &b"x"[..]),
        ("content-type", b"application/json"),
        ("upgrade", b"h2c"),
        ("connection", b"Upgrade"),
        ("transfer-encoding", b"chunked"),
    ];
    let head = RequestHead::new("POST", "/token", HttpVersion::Http11, headers)
        .from_peer(Some([203, 0, 113, 9].into()));
    let started = tokio::time::Instant::now();
    let broken = stream::iter([Err::<&'static [u8], _>("broken chunk")]);
    let reply = service.respond(&head, broken).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.close_connection);
    assert_eq!(started.elapsed(), Duration::ZERO, "waited on the store");
    assert_eq!(store.checks(), 0);
}
