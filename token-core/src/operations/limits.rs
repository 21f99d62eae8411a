//! Rate limits per client address: token requests, and failed authentications.
//!
//! Each limit is a GCRA quota from `governor` (`600/min`: a burst of 600, then one more
//! every 100 ms), kept per client address (see [`crate::http::client_address`]), IPv6 by /64
//! since one host holds a whole /64. A refused request gets 429 with `Retry-After` and the
//! IETF draft's `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers-09).
//!
//! Memory stays bounded whatever addresses arrive: addresses whose state no longer differs
//! from a fresh one are dropped regularly, and past [`MAX_TRACKED_CLIENTS`] the client seen
//! least recently is forgotten (see [`crate::operations::recent_clients`]), so a flood of addresses never
//! makes other clients share its quota.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};

use crate::http::client_address::{ProxyHeader, TrustedProxies};
use crate::http::head::RequestHead;
use crate::operations::recent_clients::RecentClients;

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

/// The most client keys one limit tracks; past it the one seen least recently is forgotten.
pub const MAX_TRACKED_CLIENTS: usize = 100_000;
/// Checks between two sweeps of stale addresses.
const SWEEP_EVERY: u32 = 4_096;

/// The key a client is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ClientKey {
    V4(u32),
    /// The /64 prefix.
    V6(u64),
    /// An authenticated caller, by a keyed hash of its identity: no identity is kept.
    Caller(u64),
}

impl ClientKey {
    fn of(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V4(v4) => Self::V4(u32::from(v4)),
            IpAddr::V6(v6) => Self::V6((u128::from(v6) >> 64) as u64),
        }
    }
}

/// Every limit of a server, and the proxies trusted to name clients.
#[derive(Debug, Default)]
pub struct RateLimits {
    tokens: Option<KeyedLimit>,
    auth_failures: Option<KeyedLimit>,
    callers: Option<KeyedLimit>,
    trusted: TrustedProxies,
    /// Keys the hash of callers' identities, so they cannot be chosen to collide.
    identity_hasher: std::hash::RandomState,
}

impl RateLimits {
    /// The limits `config` asks for (none when they are off); callers' own quota only in
    /// production mode.
    pub fn new(config: &LimitConfig, production: bool) -> Self {
        let on = config.on;
        Self {
            tokens: on.then(|| KeyedLimit::new(Limit::Tokens, config.tokens)),
            auth_failures: on.then(|| KeyedLimit::new(Limit::AuthFailures, config.auth_failures)),
            callers: (on && production).then(|| KeyedLimit::new(Limit::Callers, config.tokens)),
            trusted: config
                .trusted_proxies
                .clone()
                .reading(config.trusted_proxy_header),
            identity_hasher: std::hash::RandomState::new(),
        }
    }

    /// Counts one token request of an authenticated caller, in production mode: one
    /// identity gets one quota from every address.
    pub fn check_caller(&self, identity: &str) -> Result<(), RateLimited> {
        use std::hash::BuildHasher as _;
        match &self.callers {
            Some(keyed) => {
                keyed.check_key(ClientKey::Caller(self.identity_hasher.hash_one(identity)))
            }
            None => Ok(()),
        }
    }

    /// Counts one request of `head`'s client against `limit`. A request whose client is
    /// unknown (an adapter that knows no peer) is not limited.
    pub fn check(&self, limit: Limit, head: &RequestHead<'_>) -> Result<(), RateLimited> {
        let keyed = match limit {
            Limit::Tokens => &self.tokens,
            Limit::AuthFailures => &self.auth_failures,
            Limit::Callers => &self.callers,
        };
        match (keyed, head.client_address(&self.trusted)) {
            (Some(keyed), Some(client)) => keyed.check(client),
            _ => Ok(()),
        }
    }
}

/// The rate limits asked for, and who names the client.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            on: true,
            tokens: DEFAULT_TOKEN_QUOTA,
            auth_failures: DEFAULT_AUTH_FAILURE_QUOTA,
            trusted_proxies: TrustedProxies::default(),
            trusted_proxy_header: ProxyHeader::default(),
        }
    }
}

type Limiter = governor::RateLimiter<ClientKey, RecentClients<ClientKey>, DefaultClock>;

/// One limit's quota, per client address.
pub struct KeyedLimit {
    limit: Limit,
    quota: RateQuota,
    limiter: Limiter,
    checks: AtomicU32,
}

impl KeyedLimit {
    /// `limit` with `quota` for each client.
    pub fn new(limit: Limit, quota: RateQuota) -> Self {
        Self {
            limit,
            quota,
            limiter: governor::RateLimiter::new(
                governor_quota(quota),
                RecentClients::new(MAX_TRACKED_CLIENTS),
                DefaultClock::default(),
            ),
            checks: AtomicU32::new(0),
        }
    }

    /// Counts one request from `client`; `Err` when it is over the quota.
    pub fn check(&self, client: IpAddr) -> Result<(), RateLimited> {
        self.check_key(ClientKey::of(client))
    }

    /// Counts one request under `key`.
    fn check_key(&self, key: ClientKey) -> Result<(), RateLimited> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            // Gives back the memory of clients whose state is that of a fresh one.
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            // The limiter's own clock: a new one would calibrate itself (about 18 µs here).
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            at_least_one_second(RateLimited {
                limit: self.limit,
                quota: self.quota,
                retry_after_seconds: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            })
        })
    }

    /// How many client keys are tracked.
    pub fn tracked(&self) -> usize {
        self.limiter.len()
    }
}

/// `quota` as `governor`'s: a burst of `count`, one more every window/count.
fn governor_quota(quota: RateQuota) -> governor::Quota {
    let window = Duration::from_secs(u64::from(quota.window_seconds()));
    governor::Quota::with_period(window / quota.count().get())
        .unwrap_or_else(|| governor::Quota::per_second(quota.count()))
        .allow_burst(quota.count())
}

/// A wait under a second still needs `Retry-After: 1`: 0 would invite an immediate retry.
fn at_least_one_second(mut limited: RateLimited) -> RateLimited {
    limited.retry_after_seconds = limited.retry_after_seconds.max(1);
    limited
}

impl fmt::Debug for KeyedLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimit")
            .field("limit", &self.limit)
            .field("quota", &self.quota)
            .finish_non_exhaustive()
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

    #[test]
    fn a_burst_is_allowed_then_refused_with_the_time_to_wait() {
        let limit = KeyedLimit::new(Limit::Tokens, quota("3/min"));
        let client = "203.0.113.9".parse().expect("address");
        for _ in 0..3 {
            assert_eq!(limit.check(client), Ok(()));
        }
        let refused = limit.check(client).expect_err("over the quota");
        assert_eq!(refused.limit, Limit::Tokens);
        // One request comes back every 20 s.
        assert!(
            (19..=20).contains(&refused.retry_after_seconds),
            "{refused:?}"
        );
        assert_eq!(refused.policy_field(), "\"tokens\";q=3;w=60");
        assert_eq!(
            refused.limit_field(),
            format!("\"tokens\";r=0;t={}", refused.retry_after_seconds)
        );
        // Another client is counted apart.
        assert_eq!(
            limit.check("203.0.113.10".parse().expect("address")),
            Ok(())
        );
    }

    #[test]
    fn one_ipv6_host_is_its_slash_64() {
        let limit = KeyedLimit::new(Limit::AuthFailures, quota("2/h"));
        for address in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"] {
            assert_eq!(limit.check(address.parse().expect("address")), Ok(()));
        }
        assert!(
            limit
                .check("2001:db8:1:2::77".parse().expect("address"))
                .is_err()
        );
        assert_eq!(
            limit.check("2001:db8:1:3::1".parse().expect("address")),
            Ok(())
        );
    }

    /// Issue 27: past the table's size every client used to share one quota, so one client
    /// holding many IPv6 /64s throttled everyone. Now each client stays limited on its own.
    #[test]
    fn a_flood_of_addresses_bounds_memory_and_throttles_nobody_else() {
        // Slow enough that no address of the flood is stale before the end.
        let limit = KeyedLimit::new(Limit::Tokens, quota("2/h"));
        let regular: IpAddr = "203.0.113.9".parse().expect("address");
        assert_eq!(limit.check(regular), Ok(()));
        let flood = 3 * MAX_TRACKED_CLIENTS as u64;
        let slash_64 = |n: u64| {
            IpAddr::V6(std::net::Ipv6Addr::from(
                (0x2001_0db8_u128 << 96) | (u128::from(n) << 64) | 1,
            ))
        };
        let refused = (0..flood)
            .filter(|&n| limit.check(slash_64(n)).is_err())
            .count();
        assert_eq!(refused, 0, "every /64 of the flood is a client of its own");
        let tracked = limit.tracked();
        assert!(
            tracked <= MAX_TRACKED_CLIENTS + 16,
            "{tracked} keys tracked"
        );
        // A client never seen before is served, not made to share the flood's quota.
        let newcomer: IpAddr = "198.51.100.7".parse().expect("address");
        assert_eq!(limit.check(newcomer), Ok(()));
        assert_eq!(limit.check(newcomer), Ok(()));
        // And each client is still limited: the newcomer's third request, a /64's third.
        assert!(limit.check(newcomer).is_err());
        let last = slash_64(flood - 1);
        assert_eq!(limit.check(last), Ok(()));
        assert!(limit.check(last).is_err());
    }
}
