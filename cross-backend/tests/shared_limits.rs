//! The limits shared by replicas through a real Redis (`RATE_LIMIT_STORE=redis`): three
//! replicas on three different backends serve a client one quota, not three; and while Redis
//! is killed, paused or refusing, every answer comes within the timeout, none is a 5xx (but
//! `closed`'s 503), and the limits are shared again once Redis is back. The controls keep the
//! limits in memory, where each replica gives its own quota.
//! Run: `cargo test -p cross-backend --test shared_limits`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use conformance::harm::Level;
use conformance::identity_provider::{
    CALLER, CallerKey, DEFAULT_AUDIENCE, DEFAULT_ISSUER, IdentityProvider,
};
use conformance::profile::Profile;
use conformance::replicas::Probe;
use conformance::report::{Outcome, Verdict};
use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{Running, production_settings, settings_with, start};
use server_runtime::Config;
use testkit::exposition;
use testkit::redis_server::RedisServer;

/// A quota whose refill (one request every 2 s) is at most one more during a burst.
const QUOTA: u32 = 30;
const TOKEN_RATE_LIMIT: &str = "30/min";
/// A quota that refills in a second: the suite's check across replicas waits one window.
const FAST_RATE_LIMIT: &str = "20/s";
const AUTH_FAILURE_RATE_LIMIT: &str = "5/min";
/// The store's timeout in these tests; an answer may take it plus normal service time.
const TIMEOUT_MS: u64 = 50;
/// Far above a loopback request's service time, far below a paused Redis.
const SERVICE_MARGIN: Duration = Duration::from_secs(1);
/// How long a replica may take to use Redis again after it returns (the retry backoff is
/// at most 5 s).
const RECOVERY_PATIENCE: Duration = Duration::from_secs(20);

/// Three replicas on three backends, each with its own settings (its own connection to the
/// store, its own memory), with `store` flags.
fn replicas(store: &[&str]) -> Vec<Running> {
    replicas_of(store, TOKEN_RATE_LIMIT, |flags| {
        settings_with("text", flags)
    })
}

/// [`replicas`] in production mode, trusting the identity provider at `jwks_url`.
fn production_replicas(store: &[&str], jwks_url: &str) -> Vec<Running> {
    replicas_of(store, TOKEN_RATE_LIMIT, |flags| {
        production_settings("text", jwks_url, "https://app.example", flags)
    })
}

fn replicas_of(
    store: &[&str],
    token_rate_limit: &str,
    settings: impl Fn(&[&str]) -> Config,
) -> Vec<Running> {
    let timeout = TIMEOUT_MS.to_string();
    let mut flags = vec![
        "--token-rate-limit",
        token_rate_limit,
        "--auth-failure-rate-limit",
        AUTH_FAILURE_RATE_LIMIT,
        "--trusted-proxies",
        "127.0.0.1",
        "--metrics-port",
        "0",
        "--redis-timeout-ms",
    ];
    flags.push(&timeout);
    flags.extend(store);
    if !store.contains(&"redis") {
        // The Redis settings are refused without the Redis store.
        flags.truncate(flags.len() - 2);
    }
    ["axum", "actix", "warp"]
        .iter()
        .map(|name| {
            let backend = BACKENDS
                .iter()
                .find(|backend| backend.name() == *name)
                .expect("a backend");
            start(backend, &settings(&flags))
        })
        .collect()
}

/// [`replicas`] sharing `redis`, with `failure` as `RATE_LIMIT_STORE_FAILURE`.
fn sharing(redis: &RedisServer, failure: &'static str) -> Vec<Running> {
    let flags = redis_flags(redis, failure);
    replicas(&flags.iter().map(String::as_str).collect::<Vec<_>>())
}

fn redis_flags(redis: &RedisServer, failure: &'static str) -> Vec<String> {
    [
        "--rate-limit-store",
        "redis",
        "--redis-url",
        &redis.url(),
        "--rate-limit-store-failure",
        failure,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// What the replicas answered to a burst, by status; and the slowest answer.
#[derive(Debug, Default)]
struct Burst {
    statuses: BTreeMap<u16, usize>,
    slowest: Duration,
}

impl Burst {
    fn count(&self, status: u16) -> usize {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    /// No 5xx but those `allowed`, every answer within the timeout plus service time.
    fn assert_harmless(&self, allowed_5xx: &[u16], what: &str) {
        for status in self.statuses.keys() {
            assert!(
                *status < 500 || allowed_5xx.contains(status),
                "{what}: {self:?}"
            );
        }
        assert!(
            self.slowest < Duration::from_millis(TIMEOUT_MS) + SERVICE_MARGIN,
            "{what}: an answer took {:?}",
            self.slowest
        );
    }
}

/// `POST /token` to `base`.
fn token_request(http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/token"))
        .header("content-type", "application/json")
        .body(r#"{"roomName":"room1","participantName":"alice"}"#)
}

/// `count` requests of one caller (its bearer token), each from an address of its own,
/// spread round-robin over `replicas`.
async fn caller_burst(replicas: &[Running], token: &str, count: usize) -> Burst {
    let http = reqwest::Client::new();
    let mut burst = Burst::default();
    for n in 0..count {
        let base = &replicas[n % replicas.len()].under_test.base_url;
        let response = token_request(&http, base)
            .header("authorization", format!("Bearer {token}"))
            .header(
                "x-forwarded-for",
                format!("198.18.{}.{}", n / 250, n % 250 + 1),
            )
            .send()
            .await
            .expect("an answer");
        *burst
            .statuses
            .entry(response.status().as_u16())
            .or_default() += 1;
    }
    burst
}

/// `count` requests from `client`, spread round-robin over `replicas`: `POST /token`, or a
/// forged webhook.
async fn burst(replicas: &[Running], client: &str, count: usize, forged: bool) -> Burst {
    let http = reqwest::Client::new();
    let mut burst = Burst::default();
    for n in 0..count {
        let base = &replicas[n % replicas.len()].under_test.base_url;
        let request = if forged {
            http.post(format!("{base}/livekit/webhook"))
                .header("authorization", "forged")
                .body("{}")
        } else {
            token_request(&http, base)
        };
        let started = Instant::now();
        let response = request
            .header("x-forwarded-for", client)
            .send()
            .await
            .expect("an answer");
        burst.slowest = burst.slowest.max(started.elapsed());
        *burst
            .statuses
            .entry(response.status().as_u16())
            .or_default() += 1;
    }
    burst
}

/// The fallback gauge of `replica`'s metrics.
async fn fallback_in_force(replica: &Running) -> bool {
    let address = replica.metrics_address.expect("a metrics port");
    let text = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("a scrape")
        .text()
        .await
        .expect("a body");
    let samples = exposition::parse(&text).expect("an exposition");
    samples.get("token_server_rate_limit_store_fallback") == Some(&1.0)
}

/// Sends a request through each replica until none is in its fallback: Redis is used again.
async fn wait_until_shared(replicas: &[Running]) {
    let deadline = Instant::now() + RECOVERY_PATIENCE;
    loop {
        let mut falling_back = false;
        for (n, replica) in replicas.iter().enumerate() {
            burst(
                std::slice::from_ref(replica),
                &format!("192.0.2.{n}"),
                1,
                false,
            )
            .await;
            falling_back |= fallback_in_force(replica).await;
        }
        if !falling_back {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replicas never used Redis again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The served share of a burst of three quotas across three replicas: one quota, plus at
/// most one request the refill brought back during the burst.
fn assert_one_quota(burst: &Burst, what: &str) {
    let served = burst.count(200);
    let quota = QUOTA as usize;
    assert!(
        (quota..=quota + 1).contains(&served),
        "{what}: {served} served, {burst:?}"
    );
    assert_eq!(burst.count(200) + burst.count(429), 3 * quota, "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_replicas_in_memory_give_a_client_three_quotas() {
    // The control: the bug the Redis store fixes.
    let replicas = replicas(&[]);
    let tokens = burst(&replicas, "198.51.100.7", 3 * QUOTA as usize, false).await;
    assert_eq!(tokens.count(200), 3 * QUOTA as usize, "{tokens:?}");
    let forged = burst(&replicas, "198.51.100.8", 15, true).await;
    assert_eq!(forged.count(401), 15, "{forged:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_replicas_sharing_redis_give_a_client_one_quota() {
    let Some(redis) = RedisServer::start_or_skip("the shared quota") else {
        return;
    };
    let replicas = sharing(&redis, "local");
    let tokens = burst(&replicas, "198.51.100.7", 3 * QUOTA as usize, false).await;
    assert_one_quota(&tokens, "token requests");
    // Another client has a quota of its own.
    let other = burst(&replicas, "198.51.100.9", 3, false).await;
    assert_eq!(other.count(200), 3, "{other:?}");
    // Forged webhooks: five failures for the whole deployment, then 429.
    let forged = burst(&replicas, "198.51.100.8", 15, true).await;
    assert_eq!(forged.count(401), 5, "{forged:?}");
    assert_eq!(forged.count(429), 10, "{forged:?}");
    // The keys carry the prefix, never an address in clear, and expire.
    let keys = redis.cli(&["KEYS", "*"]);
    assert!(
        keys.lines()
            .all(|key| key.starts_with("livekit-token-server:")),
        "{keys}"
    );
    assert!(!keys.contains("198.51.100"), "{keys}");
    let ttl: i64 = redis
        .cli(&["PTTL", "livekit-token-server:tokens:v4:c6336407"])
        .parse()
        .expect("a TTL");
    assert!((1..=60_000).contains(&ttl), "{ttl}");
}

/// The suite's `limits/per-replica` check, on the replicas' URLs.
async fn judged_across(replicas: &[Running]) -> Outcome {
    let urls: Vec<String> = replicas
        .iter()
        .map(|replica| replica.under_test.base_url.clone())
        .collect();
    let probe = Probe::for_profile(Profile::Full, None);
    let client = conformance::runner::client().expect("a client");
    conformance::replicas::run(&client, &urls, &probe).await
}

/// The suite tells a deployment whose replicas share their limits from one whose replicas
/// each keep their own: the same three replicas, with a one-second window so the check's
/// wait for a refill is short.
#[tokio::test(flavor = "multi_thread")]
async fn the_suite_warns_of_limits_held_per_replica() {
    let Some(redis) = RedisServer::start_or_skip("the suite's check across replicas") else {
        return;
    };
    let settings = |flags: &[&str]| settings_with("text", flags);
    let in_memory = judged_across(&replicas_of(&[], FAST_RATE_LIMIT, settings)).await;
    assert!(
        matches!(&in_memory.verdict, Verdict::Warn(why) if why.contains("[limits-per-replica]")),
        "{in_memory:?}"
    );
    assert_eq!(in_memory.findings.len(), 1, "{in_memory:?}");
    assert_eq!(in_memory.findings[0].defect.level(), Level::Should);

    let flags = redis_flags(&redis, "local");
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let shared = judged_across(&replicas_of(&flags, FAST_RATE_LIMIT, settings)).await;
    assert_eq!(shared.verdict, Verdict::Pass, "{shared:?}");

    // One URL is no deployment to judge.
    let one = replicas_of(&[], FAST_RATE_LIMIT, settings);
    let client = conformance::runner::client().expect("a client");
    let probe = Probe::for_profile(Profile::Full, None);
    let alone =
        conformance::replicas::run(&client, &[one[0].under_test.base_url.clone()], &probe).await;
    assert!(matches!(alone.verdict, Verdict::Skip(_)), "{alone:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_callers_quota_holds_from_several_addresses_across_replicas() {
    let provider = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .await
        .expect("the identity provider starts");
    let token = provider.token(CallerKey::Ed25519, CALLER, &serde_json::json!({}));
    // The control: in memory each replica gives the caller its own quota.
    let in_memory = production_replicas(&[], &provider.jwks_url());
    let served = caller_burst(&in_memory, &token, 3 * QUOTA as usize).await;
    assert_eq!(served.count(200), 3 * QUOTA as usize, "{served:?}");
    let Some(redis) = RedisServer::start_or_skip("the caller's shared quota") else {
        return;
    };
    let flags = redis_flags(&redis, "local");
    let shared = production_replicas(
        &flags.iter().map(String::as_str).collect::<Vec<_>>(),
        &provider.jwks_url(),
    );
    let burst = caller_burst(&shared, &token, 3 * QUOTA as usize).await;
    assert_one_quota(&burst, "one caller from ninety addresses");
    let keys = redis.cli(&["KEYS", "livekit-token-server:callers:*"]);
    assert_eq!(keys.lines().count(), 1, "{keys}");
    assert!(!keys.contains(CALLER), "{keys}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_fallback_outlives_redis_killed_paused_or_refusing() {
    let Some(mut redis) = RedisServer::start_or_skip("the local fallback") else {
        return;
    };
    let replicas = sharing(&redis, "local");

    // Killed in the middle of a burst: each replica then counts on its own.
    let before = burst(&replicas, "203.0.113.1", 12, false).await;
    redis.kill();
    let during = burst(&replicas, "203.0.113.1", 4 * QUOTA as usize, false).await;
    before.assert_harmless(&[], "before the kill");
    during.assert_harmless(&[], "Redis killed");
    for replica in &replicas {
        assert!(fallback_in_force(replica).await, "the fallback is in force");
    }
    // Each replica limits on its own, from a fresh count: a quota each (plus the refill).
    let quota = QUOTA as usize;
    assert!(
        (3 * quota..=3 * quota + 3).contains(&during.count(200)),
        "{during:?}"
    );
    redis.restart();
    wait_until_shared(&replicas).await;
    assert_one_quota(
        &burst(&replicas, "203.0.113.2", 3 * QUOTA as usize, false).await,
        "after the restart",
    );

    // Paused far longer than the timeout: answers keep coming within it.
    assert_eq!(redis.cli(&["CLIENT", "PAUSE", "3000", "ALL"]), "OK");
    let paused = burst(&replicas, "203.0.113.3", 20, false).await;
    paused.assert_harmless(&[], "Redis paused");
    assert_eq!(paused.count(200), 20, "{paused:?}");
    assert_eq!(redis.cli(&["CLIENT", "UNPAUSE"]), "OK");
    wait_until_shared(&replicas).await;

    // Refusing every write with an error (out of memory).
    assert_eq!(redis.cli(&["CONFIG", "SET", "maxmemory", "1"]), "OK");
    let refusing = burst(&replicas, "203.0.113.4", 20, false).await;
    refusing.assert_harmless(&[], "Redis refusing");
    assert_eq!(refusing.count(200), 20, "{refusing:?}");
    for replica in &replicas {
        assert!(fallback_in_force(replica).await, "the fallback is in force");
    }
    assert_eq!(redis.cli(&["CONFIG", "SET", "maxmemory", "0"]), "OK");
    wait_until_shared(&replicas).await;
    assert_one_quota(
        &burst(&replicas, "203.0.113.5", 3 * QUOTA as usize, false).await,
        "after the errors",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_answers_503_and_is_not_ready_while_redis_is_down() {
    let Some(mut redis) = RedisServer::start_or_skip("the closed fallback") else {
        return;
    };
    let replicas = sharing(&redis, "closed");
    let http = reqwest::Client::new();
    let ready = |replica: &Running| {
        http.get(format!("{}/readyz", replica.under_test.base_url))
            .send()
    };
    for replica in &replicas {
        assert_eq!(ready(replica).await.expect("ready").status(), 200);
    }
    redis.kill();
    let down = burst(&replicas, "203.0.113.6", 9, false).await;
    down.assert_harmless(&[503], "Redis down, closed");
    assert_eq!(down.count(503), 9, "{down:?}");
    let response = token_request(&http, &replicas[0].under_test.base_url)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 503);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=5).contains(&retry), "{retry}");
    for replica in &replicas {
        assert_eq!(ready(replica).await.expect("an answer").status(), 503);
    }
    redis.restart();
    for replica in &replicas {
        let deadline = Instant::now() + RECOVERY_PATIENCE;
        while ready(replica).await.expect("an answer").status() != 200 {
            assert!(Instant::now() < deadline, "never ready again");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_one_quota(
        &burst(&replicas, "203.0.113.7", 3 * QUOTA as usize, false).await,
        "after the restart",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn open_serves_without_limits_while_redis_is_down() {
    let Some(mut redis) = RedisServer::start_or_skip("the open fallback") else {
        return;
    };
    let replicas = sharing(&redis, "open");
    redis.kill();
    let down = burst(&replicas, "203.0.113.8", 3 * QUOTA as usize, false).await;
    down.assert_harmless(&[], "Redis down, open");
    assert_eq!(down.count(200), 3 * QUOTA as usize, "{down:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_password_is_a_failure_that_never_shows_it() {
    use server_runtime::redis_store::RedisStore;
    use token_core::operations::limit_store::{GcraArgs, SharedLimitStore};
    let Some(redis) = RedisServer::start_or_skip("the refused password") else {
        return;
    };
    assert_eq!(
        redis.cli(&["CONFIG", "SET", "requirepass", "the-right-one"]),
        "OK"
    );
    let password = "a-wrong-redis-password-0123456789";
    let url = redis
        .url()
        .replace("redis://", &format!("redis://default:{password}@"));
    let store = RedisStore::new(
        &url.as_str().into(),
        "REDIS_URL",
        "test:",
        Duration::from_millis(500),
    )
    .expect("a valid URL");
    let gcra = GcraArgs {
        interval_micros: 1_000_000,
        burst: 1,
    };
    let reason = store.check("key", gcra).await.expect_err("refused");
    assert!(!reason.contains(password), "{reason}");
    assert!(!format!("{store} {store:?}").contains(password));
}
