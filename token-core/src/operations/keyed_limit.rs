//! One limit's quota per client, in this process's memory: a GCRA quota from `governor`
//! (`600/min`: a burst of 600, then one more every 100 ms) kept per [`ClientKey`] in a
//! bounded table ([`crate::operations::recent_clients`]). It is every limit with the default
//! store, and a replica's own while a shared store fails.
//!
//! Memory stays bounded whatever addresses arrive: addresses whose state no longer differs
//! from a fresh one are dropped regularly, and past [`MAX_TRACKED_CLIENTS`] the client seen
//! least recently is forgotten, so a flood of addresses never makes other clients share its
//! quota.

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};

use crate::http::rate_limited::{Limit, RateLimited, RateQuota};
use crate::operations::client_key::ClientKey;
use crate::operations::recent_clients::RecentClients;

/// The most client keys one limit tracks; past it the one seen least recently is forgotten.
pub const MAX_TRACKED_CLIENTS: usize = 100_000;
/// Checks between two sweeps of stale addresses.
const SWEEP_EVERY: u32 = 4_096;

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

    /// What it counts.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Its quota, per client.
    pub fn quota(&self) -> RateQuota {
        self.quota
    }

    /// The refusal of a request that may come again after `wait`.
    pub fn refusal(&self, wait: Duration) -> RateLimited {
        RateLimited {
            limit: self.limit,
            quota: self.quota,
            retry_after_seconds: whole_seconds(wait),
        }
    }

    /// Counts one request under `key`.
    pub(crate) fn check_key(&self, key: ClientKey) -> Result<(), RateLimited> {
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
            self.refusal(not_until.wait_time_from(self.limiter.clock().now()))
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

impl fmt::Debug for KeyedLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimit")
            .field("limit", &self.limit)
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

/// `wait` in whole seconds, rounded up, at least 1: 0 would invite an immediate retry.
pub fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(text: &str) -> RateQuota {
        text.parse().expect("a quota")
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
