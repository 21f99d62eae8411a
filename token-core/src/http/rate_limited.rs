//! The vocabulary of a 429: which limit refused a request, its quota (`600/min`), and the
//! `Retry-After`, `RateLimit` and `RateLimit-Policy` fields it answers with
//! (draft-ietf-httpapi-ratelimit-headers-09). The limiter itself is
//! `operations::limits`.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

/// A quota: `count` requests per `window`, written `600/min`, `10/s` or `1000/h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    count: NonZeroU32,
    window_seconds: u32,
}

impl RateQuota {
    /// `count` requests per `window_seconds`.
    pub const fn new(count: NonZeroU32, window_seconds: u32) -> Self {
        Self {
            count,
            window_seconds,
        }
    }

    /// How many requests the window allows.
    pub fn count(self) -> NonZeroU32 {
        self.count
    }

    /// The window, in seconds.
    pub fn window_seconds(self) -> u32 {
        self.window_seconds
    }
}

impl FromStr for RateQuota {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || format!("{text:?} is not a quota such as 600/min, 10/s or 1000/h");
        let (count, window) = text.split_once('/').ok_or_else(usage)?;
        let count = count.trim().parse::<NonZeroU32>().map_err(|_| usage())?;
        let window_seconds = match window.trim() {
            "s" => 1,
            "min" => 60,
            "h" => 3600,
            _ => return Err(usage()),
        };
        // Past one request a nanosecond, GCRA's period would round to nothing.
        if u64::from(count.get()) > u64::from(window_seconds) * 1_000_000_000 {
            return Err(format!("{text:?} is more than one request per nanosecond"));
        }
        Ok(Self::new(count, window_seconds))
    }
}

impl fmt::Display for RateQuota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let window = match self.window_seconds {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{window}", self.count)
    }
}

/// What a limit counts; its name is the policy's name in the `RateLimit` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Requests to the token endpoints (`TOKEN_RATE_LIMIT`).
    Tokens,
    /// Failed authentications, e.g. a webhook with a bad signature (`AUTH_FAILURE_RATE_LIMIT`).
    AuthFailures,
    /// Production mode: token requests per authenticated caller, wherever they come from
    /// (`TOKEN_RATE_LIMIT` again).
    Callers,
}

impl Limit {
    /// The policy's name in the `RateLimit` fields.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tokens => "tokens",
            Self::AuthFailures => "auth-failures",
            Self::Callers => "callers",
        }
    }
}

/// A request over a limit: what the 429 says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    /// The limit that refused it.
    pub limit: Limit,
    /// Its quota.
    pub quota: RateQuota,
    /// Whole seconds until the next request would be allowed (at least 1).
    pub retry_after_seconds: u64,
}

impl RateLimited {
    /// `RateLimit-Policy`: the policy's name, quota and window.
    pub fn policy_field(&self) -> String {
        format!(
            "\"{}\";q={};w={}",
            self.limit.name(),
            self.quota.count,
            self.quota.window_seconds
        )
    }

    /// `RateLimit`: nothing remains, and when that changes.
    pub fn limit_field(&self) -> String {
        format!(
            "\"{}\";r=0;t={}",
            self.limit.name(),
            self.retry_after_seconds
        )
    }
}
