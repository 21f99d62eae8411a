//! The store replicas share their rate limits in (`RATE_LIMIT_STORE=redis`), seen from the
//! core: what one check asks of it and what it answers. The store itself (a Redis client)
//! is the runtime's; the arithmetic is [`GCRA_SCRIPT`], the same on every replica.
//!
//! What the service does around a check (the local shield, the timeout, the fallback while
//! the store fails) is [`crate::operations::shared_limits`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::http::rate_limited::RateQuota;

/// The Lua script a store runs for one check: GCRA over one key, on the store's own clock.
/// Its arguments are a [`GcraArgs`]; it answers 0 (allowed) or the microseconds to wait.
pub const GCRA_SCRIPT: &str = include_str!("gcra.lua");

/// The default `REDIS_TIMEOUT_MS`: a round trip inside one data centre takes well under a
/// millisecond, so 50 ms means the store is in trouble.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_millis(50);

/// What a check answers: [`Duration::ZERO`] when the request is allowed, otherwise how long
/// until it would be; or why the store could not answer (one line, no secret).
pub type StoreCheck<'a> = Pin<Box<dyn Future<Output = Result<Duration, String>> + Send + 'a>>;

/// A store the replicas of one deployment share. Its `Display` is how logs name it, so it
/// must not show a credential (a URL's password).
pub trait SharedLimitStore: fmt::Display + fmt::Debug + Send + Sync {
    /// Runs [`GCRA_SCRIPT`] once for `key` (the store adds its own prefix).
    fn check<'a>(&'a self, key: &'a str, gcra: GcraArgs) -> StoreCheck<'a>;

    /// Asks the store whether it answers at all (`/readyz` when failures close the service).
    fn ping(&self) -> StoreCheck<'_>;
}

/// A quota as [`GCRA_SCRIPT`] takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcraArgs {
    /// One request comes back every this many microseconds (at least 1).
    pub interval_micros: u64,
    /// How many requests may come at once.
    pub burst: u32,
}

impl From<RateQuota> for GcraArgs {
    fn from(quota: RateQuota) -> Self {
        let window_micros = u64::from(quota.window_seconds()) * 1_000_000;
        Self {
            interval_micros: (window_micros / u64::from(quota.count().get())).max(1),
            burst: quota.count().get(),
        }
    }
}

/// `RATE_LIMIT_STORE_FAILURE`: what the limits do while the store does not answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreFailure {
    /// Each replica counts on its own, in memory, until the store answers again.
    #[default]
    Local,
    /// No limits until the store answers again.
    Open,
    /// Token requests get 503 with `Retry-After`, and `/readyz` says not ready.
    Closed,
}

impl StoreFailure {
    /// The setting's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// A shared store and how the limits use it.
#[derive(Debug, Clone)]
pub struct SharedStoreConfig {
    /// The store.
    pub store: Arc<dyn SharedLimitStore>,
    /// The longest a request waits for one check (`REDIS_TIMEOUT_MS`).
    pub timeout: Duration,
    /// What happens while the store fails.
    pub failure: StoreFailure,
    /// Refuse a key known to be over its quota locally, until its `Retry-After`, without
    /// asking the store (`RATE_LIMIT_SHIELD`, on by default).
    pub shield: bool,
}

impl SharedStoreConfig {
    /// `store` with the default timeout, the `local` fallback and the shield on.
    pub fn new(store: Arc<dyn SharedLimitStore>) -> Self {
        Self {
            store,
            timeout: DEFAULT_STORE_TIMEOUT,
            failure: StoreFailure::Local,
            shield: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_become_an_interval_and_a_burst() {
        for (quota, interval_micros, burst) in [
            ("600/min", 100_000, 600),
            ("60/min", 1_000_000, 60),
            ("10/s", 100_000, 10),
            ("1000/h", 3_600_000, 1000),
            // Faster than a request a microsecond rounds up to one.
            ("5000000/s", 1, 5_000_000),
        ] {
            let quota: RateQuota = quota.parse().expect("a quota");
            assert_eq!(
                GcraArgs::from(quota),
                GcraArgs {
                    interval_micros,
                    burst
                },
                "{quota}"
            );
        }
    }
}
