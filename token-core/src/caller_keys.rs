//! The keys production mode verifies callers with: the identity provider's JWKS, from a URL
//! or a file, cached and refreshed.
//!
//! - The keys are reloaded when older than the cache time (`CALLER_JWKS_CACHE_SECONDS`,
//!   10 min by default), and early when a token names a `kid` they lack (a rotation), but
//!   never more often than every [`MIN_RELOAD_INTERVAL`], so a flood of unknown `kid`s
//!   cannot flood the identity provider.
//! - A URL is fetched with a timeout and a size cap, without following redirects.
//! - A failed reload keeps the last good keys; with none, callers get 503 and when to retry.
//! - One reload runs at a time; requests that have keys never wait for it.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use crate::caller_auth::{
    AuthFailure, Caller, CallerPolicy, CallerVerifier, bearer_token, removed,
};
use crate::contract::ContractError;
use crate::secret_text::redacted_url;

/// The least time between two reloads: an unknown `kid` or a failure waits this long.
pub const MIN_RELOAD_INTERVAL: Duration = Duration::from_secs(30);
/// How long one fetch of a JWKS URL may take, connecting included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWKS read; identity providers publish a few KiB.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Where the JWKS comes from. A URL shows without the credentials it may hold
/// ([`redacted_url`]), in `Display`, `Debug` and every error.
#[derive(Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// An `https` URL, or `http` on a loopback address.
    Url(reqwest::Url),
    /// A file, read again on the same schedule (a mounted Secret or ConfigMap changes).
    File(PathBuf),
}

impl JwksSource {
    /// Parses `CALLER_JWKS_URL`: https, or http when the host is a loopback address.
    pub fn url(text: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(text)
            .map_err(|err| format!("CALLER_JWKS_URL is not a URL: {err}"))?;
        let host = url.host_str().unwrap_or_default();
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match url.scheme() {
            "https" => Ok(Self::Url(url)),
            "http" if loopback => Ok(Self::Url(url)),
            _ => Err(format!(
                "CALLER_JWKS_URL {} must be https (http only on a loopback address)",
                redacted_url(&url)
            )),
        }
    }

    /// The JWKS document, or why it could not be had.
    async fn fetch(&self, client: &reqwest::Client) -> Result<String, String> {
        match self {
            Self::File(path) => {
                let bytes = tokio::fs::read(path)
                    .await
                    .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
                if bytes.len() > MAX_JWKS_BYTES {
                    return Err(format!("{} is over {MAX_JWKS_BYTES} bytes", path.display()));
                }
                String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))
            }
            Self::Url(url) => {
                let mut response = client
                    .get(url.clone())
                    .header("accept", "application/json")
                    .send()
                    .await
                    .map_err(|err| format!("cannot fetch {self}: {}", err.without_url()))?;
                if !response.status().is_success() {
                    return Err(format!("{self} answered {}", response.status()));
                }
                let mut body = Vec::new();
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|err| format!("cannot read {self}: {}", err.without_url()))?
                {
                    body.extend_from_slice(&chunk);
                    if body.len() > MAX_JWKS_BYTES {
                        return Err(format!("{self} sent over {MAX_JWKS_BYTES} bytes"));
                    }
                }
                String::from_utf8(body).map_err(|_| format!("{self} sent a body that is not UTF-8"))
            }
        }
    }
}

impl std::fmt::Display for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(url) => f.write_str(&redacted_url(url)),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl std::fmt::Debug for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(url) => f.debug_tuple("Url").field(&redacted_url(url)).finish(),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// The callers' keys, loaded and kept fresh.
#[derive(Debug)]
pub struct CallerKeys {
    source: JwksSource,
    policy: CallerPolicy,
    cache_for: Duration,
    client: reqwest::Client,
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
    /// Keys from `source` under `policy`, starting from `initial` when the caller already
    /// has them (a file is read once at start-up, to refuse a bad one there).
    pub fn new(
        source: JwksSource,
        policy: CallerPolicy,
        cache_for: Duration,
        initial: Option<Arc<CallerVerifier>>,
    ) -> Self {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            // Only a broken TLS backend fails here; fetches then fail and are logged.
            .unwrap_or_default();
        let now = Instant::now();
        let loaded = initial.is_some().then_some(now);
        Self {
            source,
            policy,
            cache_for,
            client,
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

    fn current(&self) -> Option<Arc<CallerVerifier>> {
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
        let may_attempt = since_attempt.is_none_or(|since| since >= MIN_RELOAD_INTERVAL)
            || removed!(self.policy.fault(), ReloadThrottle);
        // Another request may have reloaded while this one waited for the lock.
        let fresh_enough = loaded.is_some_and(|at| !unknown_kid && at.elapsed() < self.cache_for);
        if may_attempt && !fresh_enough {
            self.write_state(|state| state.attempted = Some(Instant::now()));
            match self.load().await {
                Ok(verifier) => {
                    let verifier = Arc::new(verifier);
                    self.write_state(|state| {
                        state.verifier = Some(Arc::clone(&verifier));
                        state.loaded = Some(Instant::now());
                    });
                }
                Err(why) => {
                    tracing::warn!(source = %self.source, "callers' keys not reloaded: {why}");
                }
            }
        }
        drop(guard);
        self.current().ok_or_else(|| {
            let attempted = self.read_state(|state| state.attempted);
            let waited = attempted.map_or(Duration::ZERO, |at| at.elapsed());
            let retry = MIN_RELOAD_INTERVAL.saturating_sub(waited).as_secs().max(1);
            ContractError::KeysUnavailable(retry)
        })
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
        let document = self.source.fetch(&self.client).await?;
        let (verifier, skipped) = CallerVerifier::from_jwks(&document, self.policy.clone())?;
        for why in skipped {
            tracing::warn!(source = %self.source, "a caller key is not used: {why}");
        }
        tracing::info!(source = %self.source, "callers' keys loaded");
        Ok(verifier)
    }
}
