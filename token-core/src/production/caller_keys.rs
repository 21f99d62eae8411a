//! The keys production mode verifies callers with: the identity provider's JWKS, from a URL
//! or a file, cached and refreshed.
//!
//! - The keys are reloaded when older than the cache time (`CALLER_JWKS_CACHE_SECONDS`,
//!   10 min by default), and early when a token names a `kid` they lack (a rotation), but
//!   never more often than every [`MIN_RELOAD_INTERVAL`], so a flood of unknown `kid`s
//!   cannot flood the identity provider.
//! - The keys come from a [`KeySource`] the runtime hands over (a URL fetched over HTTPS, a
//!   file): this module decides when to fetch and what to trust, never how.
//! - A failed reload keeps the last good keys, but never longer than the maximum age
//!   (`CALLER_JWKS_MAX_AGE_SECONDS`, a day by default) after the last good load, so a key
//!   the provider removed is not trusted for ever; with none, callers get 503 and when to
//!   retry, and the server is not ready (`GET /readyz`).
//! - Servers load the keys at start-up and keep them fresh whether or not callers arrive
//!   ([`CallerKeys::keep_fresh`]), retrying a failure after [`FIRST_RETRY`], then twice as
//!   long each time up to [`MIN_RELOAD_INTERVAL`].
//! - One reload runs at a time; requests that have keys never wait for it.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use crate::http::contract::ContractError;
use crate::production::caller_auth::{
    AuthFailure, Caller, CallerPolicy, CallerVerifier, bearer_token,
};

/// The least time between two reloads: an unknown `kid` or a failure waits this long.
pub const MIN_RELOAD_INTERVAL: Duration = Duration::from_secs(30);
/// The wait before the first retry of a failed load in the background; each failure
/// doubles it, up to [`MIN_RELOAD_INTERVAL`].
pub const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The JWKS document a [`KeySource`] fetched, or why it could not (one line, no secret).
pub type Fetched<'a> = Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>>;

/// Where callers' keys come from: the runtime's I/O behind the core's decisions. Its
/// `Display` is how logs name it, so it must not show a credential (a URL's user, password
/// or query).
pub trait KeySource: fmt::Display + fmt::Debug + Send + Sync {
    /// Fetches the JWKS document once, now.
    fn fetch(&self) -> Fetched<'_>;
}

/// The callers' keys, loaded and kept fresh.
#[derive(Debug)]
pub struct CallerKeys {
    source: Arc<dyn KeySource>,
    policy: CallerPolicy,
    cache_for: Duration,
    max_age: Duration,
    state: RwLock<KeyState>,
    reloading: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct KeyState {
    verifier: Option<Arc<CallerVerifier>>,
    loaded: Option<Instant>,
    attempted: Option<Instant>,
}

impl CallerKeys {
    /// Keys from `source` under `policy`, reloaded after `cache_for` and kept at most
    /// `max_age` after their last good load, starting from `initial` when the caller
    /// already has them (a file is read once at start-up, to refuse a bad one there).
    pub fn new(
        source: Arc<dyn KeySource>,
        policy: CallerPolicy,
        cache_for: Duration,
        max_age: Duration,
        initial: Option<Arc<CallerVerifier>>,
    ) -> Self {
        let now = Instant::now();
        let loaded = initial.is_some().then_some(now);
        Self {
            source,
            policy,
            cache_for,
            max_age: max_age.max(cache_for),
            state: RwLock::new(KeyState {
                verifier: initial,
                loaded,
                attempted: loaded,
            }),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// What callers' tokens must say.
    pub fn policy(&self) -> &CallerPolicy {
        &self.policy
    }

    /// Whether callers can be verified now: keys loaded and not past their maximum age;
    /// otherwise the 503 callers get, with when to retry.
    pub fn ready(&self) -> Result<(), ContractError> {
        match self.current() {
            Some(_) => Ok(()),
            None => Err(self.unavailable()),
        }
    }

    /// Loads the keys now unless they are fresh, then keeps them so, whether or not callers
    /// arrive: reloaded when the cache time has passed, a failure retried after
    /// [`FIRST_RETRY`], twice as long after each further failure, at most
    /// [`MIN_RELOAD_INTERVAL`]. It never returns: servers run it beside serving and drop it
    /// when they stop.
    pub async fn keep_fresh(&self) -> Infallible {
        let mut backoff = FIRST_RETRY;
        loop {
            let wait = match self.refresh().await {
                Some(fresh_for) => {
                    backoff = FIRST_RETRY;
                    fresh_for
                }
                None => {
                    let wait = backoff;
                    backoff = (backoff * 2).clamp(FIRST_RETRY, MIN_RELOAD_INTERVAL);
                    wait
                }
            };
            // Never a busy loop, whatever the cache time: at least a second between looks.
            tokio::time::sleep(wait.max(FIRST_RETRY)).await;
        }
    }

    /// Loads the keys unless they are fresh: how long they stay fresh, or `None` when they
    /// could not be loaded.
    async fn refresh(&self) -> Option<Duration> {
        let _reloading = self.reloading.lock().await;
        match self.fresh_for() {
            Some(fresh_for) => Some(fresh_for),
            None => self.attempt().await.then_some(self.cache_for),
        }
    }

    /// How long the keys stay fresh, if they are.
    fn fresh_for(&self) -> Option<Duration> {
        self.current()?;
        let loaded = self.read_state(|state| state.loaded)?;
        self.cache_for
            .checked_sub(loaded.elapsed())
            .filter(|left| !left.is_zero())
    }

    /// Authenticates the caller of a request from its `Authorization` header: 401 without a
    /// valid token, 503 when there are no keys to verify one with.
    pub async fn authenticate(
        &self,
        authorization: Option<&[u8]>,
    ) -> Result<Caller, ContractError> {
        // A request without a token is refused without touching the keys.
        bearer_token(authorization).map_err(ContractError::Unauthenticated)?;
        let verifier = match self.current() {
            Some(verifier) if !self.is_stale() => verifier,
            _ => self.reload(false).await?,
        };
        match verifier.verify(authorization) {
            Err(AuthFailure::UnknownKey) => {
                // Perhaps a rotation: reload once, if the last load is old enough.
                let reloaded = self.reload(true).await?;
                reloaded
                    .verify(authorization)
                    .map_err(ContractError::Unauthenticated)
            }
            verified => verified.map_err(ContractError::Unauthenticated),
        }
    }

    /// The keys to verify with: `None` before the first good load, and once the last good
    /// load is older than the maximum age (then they are dropped, and that is logged once).
    fn current(&self) -> Option<Arc<CallerVerifier>> {
        let (verifier, loaded) = self.read_state(|state| (state.verifier.clone(), state.loaded));
        let verifier = verifier?;
        if loaded.is_some_and(|at| at.elapsed() < self.max_age) {
            return Some(verifier);
        }
        let mut dropped = false;
        self.write_state(|state| {
            // Another request may have loaded new keys meanwhile.
            if state.loaded == loaded {
                dropped = state.verifier.take().is_some();
            }
        });
        if dropped {
            tracing::warn!(
                source = %self.source,
                max_age_seconds = self.max_age.as_secs(),
                "callers' keys dropped: not loaded again within their maximum age \
                 (CALLER_JWKS_MAX_AGE_SECONDS); callers get 503 until the JWKS loads"
            );
        }
        self.read_state(|state| state.verifier.clone())
    }

    fn is_stale(&self) -> bool {
        self.read_state(|state| state.loaded.is_none_or(|at| at.elapsed() >= self.cache_for))
    }

    fn read_state<T>(&self, read: impl FnOnce(&KeyState) -> T) -> T {
        // A panic while holding the lock cannot leave the state half-written: each write
        // is one assignment. So a poisoned lock is read as it is.
        read(
            &self
                .state
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// Reloads the keys when the last attempt is old enough, and answers the keys to use:
    /// the new ones, else the last good ones, else 503.
    ///
    /// `unknown_kid`: the reload is asked for by a token whose key is missing, rather than
    /// by age; then a request with keys waits for the reload instead of using the old ones.
    async fn reload(&self, unknown_kid: bool) -> Result<Arc<CallerVerifier>, ContractError> {
        let have = self.current();
        let guard = match (&have, unknown_kid) {
            // Keys that are merely old keep serving while another request reloads them.
            (Some(keys), false) => match self.reloading.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok(Arc::clone(keys)),
            },
            _ => self.reloading.lock().await,
        };
        let (attempted, loaded) = self.read_state(|state| (state.attempted, state.loaded));
        let since_attempt = attempted.map(|at| at.elapsed());
        let may_attempt = since_attempt.is_none_or(|since| since >= MIN_RELOAD_INTERVAL);
        // Another request may have reloaded while this one waited for the lock.
        let fresh_enough = loaded.is_some_and(|at| !unknown_kid && at.elapsed() < self.cache_for);
        if may_attempt && !fresh_enough {
            self.attempt().await;
        }
        drop(guard);
        self.current().ok_or_else(|| self.unavailable())
    }

    /// The 503 of a server without keys, with when to retry: when a reload may be tried
    /// again.
    fn unavailable(&self) -> ContractError {
        let attempted = self.read_state(|state| state.attempted);
        let waited = attempted.map_or(Duration::ZERO, |at| at.elapsed());
        let retry = MIN_RELOAD_INTERVAL.saturating_sub(waited).as_secs().max(1);
        ContractError::KeysUnavailable(retry)
    }

    /// Loads the keys once, now, under the reload lock: new keys replace the old ones; after
    /// a failure the old ones stay. Whether it loaded them.
    async fn attempt(&self) -> bool {
        self.write_state(|state| state.attempted = Some(Instant::now()));
        match self.load().await {
            Ok(verifier) => {
                let verifier = Arc::new(verifier);
                self.write_state(|state| {
                    state.verifier = Some(Arc::clone(&verifier));
                    state.loaded = Some(Instant::now());
                });
                // Logged once they are in use: whoever waits for this line finds them.
                tracing::info!(source = %self.source, "callers' keys loaded");
                true
            }
            Err(why) => {
                tracing::warn!(source = %self.source, "callers' keys not reloaded: {why}");
                false
            }
        }
    }

    fn write_state(&self, write: impl FnOnce(&mut KeyState)) {
        write(
            &mut self
                .state
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
    }

    async fn load(&self) -> Result<CallerVerifier, String> {
        let document = self.source.fetch().await?;
        let (verifier, skipped) = CallerVerifier::from_jwks(&document, self.policy.clone())?;
        for why in skipped {
            tracing::warn!(source = %self.source, "a caller key is not used: {why}");
        }
        Ok(verifier)
    }
}
