//! Production mode (`TOKEN_SERVER_MODE=production`): only callers with a valid bearer token
//! from the operator's identity provider get tokens, under the operator's policy, and only
//! pages from the allowed origins may call from a browser.
//!
//! [`Production`] is the mode as the runtime resolved it at start-up; [`Admission`] owns its
//! decisions in a running service.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use crate::http::auth_failure::AuthFailure;
use crate::http::contract::{ContractError, MAX_IDENTITY_BYTES};
use crate::http::head::RequestHead;
use crate::production::caller_auth::{Caller, CallerPolicy, CallerVerifier};
use crate::production::caller_keys::{CallerKeys, KeySource};
use crate::production::origins::AllowedOrigins;
use crate::production::policy::{Asked, Grants, TokenPolicy};

/// The default `CALLER_JWKS_CACHE_SECONDS`: ten minutes, as common JWKS clients keep keys.
pub const DEFAULT_JWKS_CACHE_SECONDS: u64 = 600;
/// The default `CALLER_JWKS_MAX_AGE_SECONDS`: keys are kept a day while the JWKS cannot be
/// loaded, then dropped.
pub const DEFAULT_JWKS_MAX_AGE_SECONDS: u64 = 86_400;
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

/// Production mode in a running service, the one home of its decisions: who the caller is,
/// what the policy grants, which origin may read the answer, whether callers can be
/// verified at all.
#[derive(Debug)]
pub struct Admission {
    keys: CallerKeys,
    origins: AllowedOrigins,
    rules: TokenPolicy,
}

impl Admission {
    /// Who sent `head`: its bearer token verified against the callers' keys (401 without a
    /// valid one, 503 without keys to verify it with).
    pub async fn authenticate(&self, head: &RequestHead<'_>) -> Result<Caller, ContractError> {
        if head.has_authorization() && head.authorization().is_none() {
            // Several `Authorization` lines: which one is meant cannot be known.
            return Err(ContractError::Unauthenticated(AuthFailure::Malformed));
        }
        self.keys.authenticate(head.authorization()).await
    }

    /// Whether LiveKit would take `caller`'s identity: too long, and the refusal names the
    /// claim at fault.
    pub fn check_identity(&self, caller: &Caller) -> Result<(), ContractError> {
        if caller.identity.len() > MAX_IDENTITY_BYTES {
            let claim = self.keys.policy().identity_claim.clone();
            return Err(ContractError::CallerIdentityTooLong(claim));
        }
        Ok(())
    }

    /// The grants the policy gives `caller` for what it asked, or why it refuses.
    pub fn judge(&self, caller: &Caller, asked: &Asked<'_>) -> Result<Grants, ContractError> {
        self.rules.judge(caller, asked)
    }

    /// The allowed origin `head` comes from, if it names one: only that origin may read the
    /// answer from a browser.
    pub fn allowed_origin<'a>(&self, head: &RequestHead<'a>) -> Option<&'a str> {
        self.origins.allowed(head.origin())
    }

    /// Whether callers can be verified now (`GET /readyz`); otherwise the 503.
    pub fn ready(&self) -> Result<(), ContractError> {
        self.keys.ready()
    }

    /// Loads the callers' keys now and keeps them fresh; never returns.
    pub async fn keep_keys_fresh(&self) -> Infallible {
        self.keys.keep_fresh().await
    }
}
