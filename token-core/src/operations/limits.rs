//! Rate limits per client address: token requests, and failed authentications.
//!
//! Each limit is a GCRA quota (`600/min`: a burst of 600, then one more every 100 ms), kept
//! per client address (see [`crate::http::client_address`]), IPv6 by /64
//! since one host holds a whole /64. A refused request gets 429 with `Retry-After` and the
//! IETF draft's `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers-09).
//!
//! [`RateLimits`] decides where each check is counted: in this process's memory
//! ([`crate::operations::keyed_limit`], the default), or in a store the replicas share
//! (`RATE_LIMIT_STORE=redis`, [`crate::operations::shared_limits`]), where the same quotas
//! hold for the whole deployment and memory counts only while the store fails.

use std::num::NonZeroU32;
use std::sync::Arc;

use crate::http::client_address::{ProxyHeader, TrustedProxies};
use crate::http::contract::ContractError;
use crate::http::head::RequestHead;
use crate::operations::client_key::{CallerKeys, ClientKey};
use crate::operations::keyed_limit::KeyedLimit;
use crate::operations::limit_store::SharedStoreConfig;
use crate::operations::metrics::Metrics;
use crate::operations::shared_limits::SharedLimits;

pub use crate::http::rate_limited::{Limit, RateLimited, RateQuota};

/// The default `TOKEN_RATE_LIMIT`: a tutorial page asks for a few tokens, a busy office
/// behind one address a few a second.
pub const DEFAULT_TOKEN_RATE_LIMIT: &str = "600/min";
/// The default `AUTH_FAILURE_RATE_LIMIT`: LiveKit signs every webhook right, so failures are
/// rare unless someone guesses.
pub const DEFAULT_AUTH_FAILURE_RATE_LIMIT: &str = "60/min";
/// [`DEFAULT_TOKEN_RATE_LIMIT`] as a quota.
pub const DEFAULT_TOKEN_QUOTA: RateQuota = RateQuota::new(count(600), 60);
/// [`DEFAULT_AUTH_FAILURE_RATE_LIMIT`] as a quota.
pub const DEFAULT_AUTH_FAILURE_QUOTA: RateQuota = RateQuota::new(count(60), 60);

const fn count(value: u32) -> NonZeroU32 {
    match NonZeroU32::new(value) {
        Some(count) => count,
        None => NonZeroU32::MIN,
    }
}

/// Every limit of a server, and the proxies trusted to name clients.
#[derive(Debug)]
pub struct RateLimits {
    tokens: Option<KeyedLimit>,
    auth_failures: Option<KeyedLimit>,
    callers: Option<KeyedLimit>,
    /// The store replicas share, when there is one; the limits above then count only
    /// while it fails.
    shared: Option<SharedLimits>,
    trusted: TrustedProxies,
    caller_keys: CallerKeys,
    metrics: Option<Arc<Metrics>>,
}

impl RateLimits {
    /// The limits `config` asks for (none when they are off); callers' own quota only in
    /// production mode. Callers are counted by a hash keyed by `secret`, the API secret
    /// every replica shares.
    pub fn new(
        config: &LimitConfig,
        production: bool,
        secret: &str,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        let on = config.on;
        Self {
            tokens: on.then(|| KeyedLimit::new(Limit::Tokens, config.tokens)),
            auth_failures: on.then(|| KeyedLimit::new(Limit::AuthFailures, config.auth_failures)),
            callers: (on && production).then(|| KeyedLimit::new(Limit::Callers, config.tokens)),
            shared: config
                .store
                .as_ref()
                .filter(|_| on)
                .map(|store| SharedLimits::new(store, metrics.clone())),
            trusted: config
                .trusted_proxies
                .clone()
                .reading(config.trusted_proxy_header),
            caller_keys: CallerKeys::new(secret),
            metrics,
        }
    }

    /// Counts one token request (`head`) of an authenticated caller, in production mode:
    /// one identity gets one quota from every address. `Err` is the answer: 429, or 503
    /// while a shared store fails and failures close the service.
    pub async fn check_caller(
        &self,
        identity: &str,
        head: &RequestHead<'_>,
    ) -> Result<(), ContractError> {
        match &self.callers {
            Some(keyed) => {
                self.check_key(keyed, self.caller_keys.of(identity), head)
                    .await
            }
            None => Ok(()),
        }
    }

    /// Counts one request of `head`'s client against `limit`. A request whose client is
    /// unknown (an adapter that knows no peer) is not limited.
    pub async fn check(&self, limit: Limit, head: &RequestHead<'_>) -> Result<(), ContractError> {
        let keyed = match limit {
            Limit::Tokens => &self.tokens,
            Limit::AuthFailures => &self.auth_failures,
            Limit::Callers => &self.callers,
        };
        match (keyed, head.client_address(&self.trusted)) {
            (Some(keyed), Some(client)) => self.check_key(keyed, ClientKey::of(client), head).await,
            _ => Ok(()),
        }
    }

    /// Whether the limits let the service take requests (`GET /readyz`): not while a shared
    /// store fails and failures close the service.
    pub async fn ready(&self) -> Result<(), ContractError> {
        match &self.shared {
            Some(shared) => shared.ready().await,
            None => Ok(()),
        }
    }

    /// [`RateLimits::ready`] from what is known now, without asking the store.
    pub fn ready_now(&self) -> Result<(), ContractError> {
        match &self.shared {
            Some(shared) => shared.ready_now(),
            None => Ok(()),
        }
    }

    /// Counts `head`'s request under `key`. A tunnel request (`CONNECT`, `Upgrade`), which
    /// every backend answers and closes, is counted by this replica alone, never waiting on a
    /// shared store: actix-http reads the bytes behind its head as a body and closes the
    /// connection, unanswered, if they break while the answer waits.
    async fn check_key(
        &self,
        keyed: &KeyedLimit,
        key: ClientKey,
        head: &RequestHead<'_>,
    ) -> Result<(), ContractError> {
        let checked = match &self.shared {
            Some(shared) if !head.is_tunnel() => shared.check(keyed, key).await,
            _ => keyed.check_key(key).map_err(ContractError::TooManyRequests),
        };
        if let (Err(ContractError::TooManyRequests(_)), Some(metrics)) = (&checked, &self.metrics) {
            metrics.rate_limited(keyed.limit());
        }
        checked
    }
}

/// The rate limits asked for, and who names the client.
#[derive(Debug, Clone)]
pub struct LimitConfig {
    /// Whether any limit applies (`RATE_LIMITS`).
    pub on: bool,
    /// Token requests per client address, and per caller in production.
    pub tokens: RateQuota,
    /// Failed authentications per client address.
    pub auth_failures: RateQuota,
    /// Proxies whose forwarding header names the client.
    pub trusted_proxies: TrustedProxies,
    /// The header they name it in.
    pub trusted_proxy_header: ProxyHeader,
    /// A store the replicas share the limits in; `None` keeps them in this process's memory.
    pub store: Option<SharedStoreConfig>,
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            on: true,
            tokens: DEFAULT_TOKEN_QUOTA,
            auth_failures: DEFAULT_AUTH_FAILURE_QUOTA,
            trusted_proxies: TrustedProxies::default(),
            trusted_proxy_header: ProxyHeader::default(),
            store: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(text: &str) -> RateQuota {
        text.parse().expect("a quota")
    }

    #[test]
    fn quotas_read_and_print_alike() {
        for text in ["600/min", "10/s", "1000/h", "1/s"] {
            assert_eq!(quota(text).to_string(), text);
        }
        for bad in [
            "",
            "600",
            "0/min",
            "-1/s",
            "10/day",
            "ten/s",
            "2000000000/s",
        ] {
            assert!(bad.parse::<RateQuota>().is_err(), "{bad}");
        }
    }
}
