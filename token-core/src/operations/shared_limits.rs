//! The rate limits kept in a store the replicas share (`RATE_LIMIT_STORE=redis`): one quota
//! per client for the whole deployment, however many replicas serve it.
//!
//! Around each check of the store:
//! - **The local shield.** A key the store refused is refused here until its `Retry-After`,
//!   without asking again: a flood from one client costs the store one round trip per
//!   `Retry-After`, not one per request.
//! - **A timeout.** A check waits at most the store's timeout (`REDIS_TIMEOUT_MS`).
//! - **While the store fails** (no answer in time, an error), the [`StoreFailure`] mode
//!   decides: each replica's own limits in memory, no limits, or 503. The first failure is
//!   logged and the fallback metric set; the store is then asked again after
//!   [`FIRST_RETRY`], by one request while the others keep to the fallback, then twice as
//!   long each time up to [`MAX_RETRY`]. One answer in time and the limits are shared again.
//!   So a request waits for a failing store at most once per retry, never on every check.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::http::contract::ContractError;
use crate::http::rate_limited::Limit;
use crate::operations::client_key::ClientKey;
use crate::operations::keyed_limit::{KeyedLimit, MAX_TRACKED_CLIENTS, whole_seconds};
use crate::operations::limit_store::{SharedLimitStore, SharedStoreConfig, StoreFailure};
use crate::operations::metrics::Metrics;
use crate::operations::recent_clients::RecentClients;

/// The wait before the store is asked again after it first failed.
pub const FIRST_RETRY: Duration = Duration::from_millis(250);
/// The longest wait between two attempts while the store fails: the limits are shared again
/// at most this long after the store recovers.
pub const MAX_RETRY: Duration = Duration::from_secs(5);

/// A shared store, with its shield and its health.
#[derive(Debug)]
pub(crate) struct SharedLimits {
    store: Arc<dyn SharedLimitStore>,
    timeout: Duration,
    failure: StoreFailure,
    /// Until when each refused key stays refused.
    shield: Option<RecentClients<(Limit, ClientKey), Instant>>,
    /// False from a failure until the store answers again.
    answering: AtomicBool,
    retry: Mutex<Retry>,
    metrics: Option<Arc<Metrics>>,
}

/// When to ask a failing store again.
#[derive(Debug)]
struct Retry {
    at: Instant,
    after: Duration,
}

impl SharedLimits {
    pub(crate) fn new(config: &SharedStoreConfig, metrics: Option<Arc<Metrics>>) -> Self {
        Self {
            store: Arc::clone(&config.store),
            timeout: config.timeout,
            failure: config.failure,
            shield: config
                .shield
                .then(|| RecentClients::new(MAX_TRACKED_CLIENTS)),
            answering: AtomicBool::new(true),
            retry: Mutex::new(Retry {
                at: Instant::now(),
                after: FIRST_RETRY,
            }),
            metrics,
        }
    }

    /// Counts one request under `key` against `local`'s quota, in the store; `local` itself
    /// counts only while the store fails and the mode is [`StoreFailure::Local`].
    pub(crate) async fn check(
        &self,
        local: &KeyedLimit,
        key: ClientKey,
    ) -> Result<(), ContractError> {
        let limit = local.limit();
        let now = Instant::now();
        if let Some(shield) = &self.shield
            && let Some(until) = shield.get(&(limit, key))
        {
            if until > now {
                return Err(ContractError::TooManyRequests(local.refusal(until - now)));
            }
            shield.remove(&(limit, key));
        }
        if !self.may_ask(now) {
            return self.fallback(local, key);
        }
        let store_key = format!("{}:{key}", limit.name());
        let asked = tokio::time::timeout(
            self.timeout,
            self.store.check(&store_key, local.quota().into()),
        )
        .await;
        let answered = Instant::now();
        self.count(|metrics| metrics.store_round_trip(answered - now));
        match asked {
            Ok(Ok(wait)) if wait.is_zero() => {
                self.answered();
                Ok(())
            }
            Ok(Ok(wait)) => {
                self.answered();
                if let Some(shield) = &self.shield {
                    shield.put((limit, key), answered + wait);
                }
                Err(ContractError::TooManyRequests(local.refusal(wait)))
            }
            Ok(Err(reason)) => {
                self.failed(&reason);
                self.fallback(local, key)
            }
            Err(_) => {
                self.failed(&format!("no answer within {} ms", self.timeout.as_millis()));
                self.fallback(local, key)
            }
        }
    }

    /// Whether the service is ready: always, unless failures close it and the store does
    /// not answer now.
    pub(crate) async fn ready(&self) -> Result<(), ContractError> {
        if self.failure != StoreFailure::Closed {
            return Ok(());
        }
        match tokio::time::timeout(self.timeout, self.store.ping()).await {
            Ok(Ok(_)) => {
                self.answered();
                Ok(())
            }
            Ok(Err(reason)) => {
                self.failed(&reason);
                Err(self.unavailable())
            }
            Err(_) => {
                self.failed(&format!("no answer within {} ms", self.timeout.as_millis()));
                Err(self.unavailable())
            }
        }
    }

    /// [`SharedLimits::ready`] from the last answer, without asking the store.
    pub(crate) fn ready_now(&self) -> Result<(), ContractError> {
        if self.failure == StoreFailure::Closed && !self.answering.load(Ordering::Acquire) {
            return Err(self.unavailable());
        }
        Ok(())
    }

    /// Whether to ask the store now: always while it answers; while it fails, one request
    /// once the retry time has come, which sets the next.
    fn may_ask(&self, now: Instant) -> bool {
        if self.answering.load(Ordering::Acquire) {
            return true;
        }
        let mut retry = self.lock_retry();
        if now < retry.at {
            return false;
        }
        retry.at = now + retry.after;
        retry.after = (retry.after * 2).min(MAX_RETRY);
        true
    }

    fn answered(&self) {
        if !self.answering.swap(true, Ordering::AcqRel) {
            self.lock_retry().after = FIRST_RETRY;
            self.count(|metrics| metrics.store_fallback(false));
            tracing::info!(store = %self.store, "the rate-limit store answers again: limits are shared");
        }
    }

    fn failed(&self, reason: &str) {
        self.count(Metrics::store_error);
        if self.answering.swap(false, Ordering::AcqRel) {
            let mut retry = self.lock_retry();
            retry.at = Instant::now() + FIRST_RETRY;
            retry.after = FIRST_RETRY * 2;
            drop(retry);
            self.count(|metrics| metrics.store_fallback(true));
            tracing::warn!(
                store = %self.store,
                reason,
                fallback = self.failure.name(),
                "the rate-limit store fails: {}",
                match self.failure {
                    StoreFailure::Local => "each replica limits clients on its own",
                    StoreFailure::Open => "no limits until it answers",
                    StoreFailure::Closed => "token requests get 503 until it answers",
                }
            );
        }
    }

    fn fallback(&self, local: &KeyedLimit, key: ClientKey) -> Result<(), ContractError> {
        match self.failure {
            StoreFailure::Local => local.check_key(key).map_err(ContractError::TooManyRequests),
            StoreFailure::Open => Ok(()),
            StoreFailure::Closed => Err(self.unavailable()),
        }
    }

    /// 503, with the whole seconds until the store is asked again (at least 1).
    fn unavailable(&self) -> ContractError {
        let wait = self
            .lock_retry()
            .at
            .saturating_duration_since(Instant::now());
        ContractError::LimitsUnavailable(whole_seconds(wait))
    }

    fn lock_retry(&self) -> std::sync::MutexGuard<'_, Retry> {
        // Two plain values, valid whatever a panic interrupted.
        self.retry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn count(&self, record: impl FnOnce(&Metrics)) {
        if let Some(metrics) = &self.metrics {
            record(metrics);
        }
    }
}
