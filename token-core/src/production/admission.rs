//! Production mode (`TOKEN_SERVER_MODE=production`): only callers with a valid bearer token
//! from the operator's identity provider get tokens, under the operator's policy, and only
//! pages from the allowed origins may call from a browser.
//!
//! [`Production`] is the mode as the runtime resolved it at start-up; [`Admission`] is what a
//! running service admits callers with.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::production::caller_auth::{CallerPolicy, CallerVerifier};
use crate::production::caller_keys::{CallerKeys, KeySource};
use crate::production::policy::TokenPolicy;

/// The default `CALLER_JWKS_CACHE_SECONDS`: ten minutes, as common JWKS clients keep keys.
pub const DEFAULT_JWKS_CACHE_SECONDS: u64 = 600;
/// The default `CALLER_JWKS_MAX_AGE_SECONDS`: keys are kept a day while the JWKS cannot be
/// loaded, then dropped.
pub const DEFAULT_JWKS_MAX_AGE_SECONDS: u64 = 86_400;
/// The longest `CALLER_JWKS_MAX_AGE_SECONDS`: a week.
pub const MAX_JWKS_MAX_AGE_SECONDS: u64 = 7 * 86_400;
/// The default token lifetime in production: ten minutes, enough to join (a participant
/// stays in the room after its token expires).
pub const DEFAULT_PRODUCTION_TTL_SECONDS: u32 = 600;

/// Production mode, resolved.
#[derive(Debug, Clone)]
pub struct Production {
    /// Where callers' keys come from (the runtime fetches them).
    pub jwks: Arc<dyn KeySource>,
    /// What callers' tokens must say.
    pub policy: CallerPolicy,
    /// How long loaded keys are kept.
    pub cache_for: Duration,
    /// How long the last keys loaded are kept while reloads fail.
    pub max_age: Duration,
    /// The keys read at start-up, from a file.
    pub initial: Option<Arc<CallerVerifier>>,
    /// The origins allowed to call from a browser.
    pub origins: AllowedOrigins,
    /// The policy.
    pub rules: TokenPolicy,
}

impl Production {
    /// Callers verified under `policy` with keys from `jwks`, admitted under `rules` from
    /// pages of `origins`; keys cached and kept for the default times, none loaded yet.
    pub fn new(
        jwks: Arc<dyn KeySource>,
        policy: CallerPolicy,
        origins: AllowedOrigins,
        rules: TokenPolicy,
    ) -> Self {
        Self {
            jwks,
            policy,
            cache_for: Duration::from_secs(DEFAULT_JWKS_CACHE_SECONDS),
            max_age: Duration::from_secs(DEFAULT_JWKS_MAX_AGE_SECONDS),
            initial: None,
            origins,
            rules,
        }
    }

    /// What a running service admits callers with. Each service gets its own key cache, so
    /// settings cloned for several servers never share one.
    pub fn admission(&self) -> Admission {
        Admission {
            keys: CallerKeys::new(
                Arc::clone(&self.jwks),
                self.policy.clone(),
                self.cache_for,
                self.max_age,
                self.initial.clone(),
            ),
            origins: self.origins.clone(),
            rules: self.rules.clone(),
        }
    }
}

/// Production mode in a running service: who is admitted, and to what.
#[derive(Debug)]
pub struct Admission {
    /// The callers' keys, kept fresh.
    pub keys: CallerKeys,
    /// The origins allowed to call from a browser.
    pub origins: AllowedOrigins,
    /// The policy.
    pub rules: TokenPolicy,
}

/// The origins whose pages may call the server, each `scheme://host[:port]`, lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Parses `CORS_ALLOWED_ORIGINS`: exact origins only, no `*`, no path.
    pub fn parse(values: &[String]) -> Result<Self, String> {
        let mut origins = Vec::new();
        for value in values
            .iter()
            .map(|value| value.trim())
            .filter(|v| !v.is_empty())
        {
            let invalid = |why: &str| format!("CORS_ALLOWED_ORIGINS {value:?}: {why}");
            let rest = value
                .strip_prefix("https://")
                .or_else(|| value.strip_prefix("http://"))
                .ok_or_else(|| invalid("an origin starts with https:// or http://"))?;
            if rest.is_empty() {
                return Err(invalid("an origin names a host"));
            }
            if rest.contains(['/', '?', '#', '*', '@']) || rest.contains(char::is_whitespace) {
                return Err(invalid(
                    "an origin is scheme://host[:port], without a path, wildcard or user",
                ));
            }
            origins.push(value.to_ascii_lowercase());
        }
        Ok(Self(origins))
    }

    /// The allowed origin a request's `Origin` header names, if it names one; browsers
    /// write origins in lower case, so the match is exact.
    pub fn allowed<'a>(&self, origin: Option<&'a [u8]>) -> Option<&'a str> {
        let origin = std::str::from_utf8(origin?).ok()?;
        self.0
            .iter()
            .any(|allowed| allowed == origin)
            .then_some(origin)
    }
}

impl fmt::Display for AllowedOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact_and_lower_case() {
        let origins = AllowedOrigins::parse(&[
            "https://App.example.com".to_owned(),
            " http://localhost:5080 ".to_owned(),
        ])
        .expect("valid origins");
        assert_eq!(
            origins.allowed(Some(b"https://app.example.com")),
            Some("https://app.example.com")
        );
        assert_eq!(
            origins.allowed(Some(b"http://localhost:5080")),
            Some("http://localhost:5080")
        );
        for other in [
            &b"https://app.example.com."[..],
            b"https://app.example.com:443",
            b"http://app.example.com",
            b"null",
            b"",
        ] {
            assert_eq!(origins.allowed(Some(other)), None);
        }
        assert_eq!(origins.allowed(None), None);
        for invalid in [
            "*",
            "https://*.example.com",
            "https://a.com/",
            "a.com",
            "https://",
            "ftp://a",
        ] {
            assert!(
                AllowedOrigins::parse(&[invalid.to_owned()]).is_err(),
                "{invalid}"
            );
        }
    }
}
