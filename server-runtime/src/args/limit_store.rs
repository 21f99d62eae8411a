//! Where the rate limits are kept, as given (`RATE_LIMIT_STORE`, `REDIS_URL[_FILE]`,
//! `REDIS_KEY_PREFIX`, `REDIS_TIMEOUT_MS`, `RATE_LIMIT_STORE_FAILURE`, `RATE_LIMIT_SHIELD`),
//! resolved into the core's [`SharedStoreConfig`] over a [`RedisStore`].
//!
//! `REDIS_URL` may carry a password: clap takes it as [`SecretText`], and every message
//! names the setting, never the URL.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use token_core::operations::limit_store::{DEFAULT_STORE_TIMEOUT, SharedStoreConfig, StoreFailure};

use super::values::SwitchArg;
use crate::redis_store::RedisStore;
use crate::secret_text::SecretText;

/// The default `REDIS_KEY_PREFIX`.
pub const DEFAULT_KEY_PREFIX: &str = "livekit-token-server:";

/// The store settings as given.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitStoreArgs {
    /// Where the rate limits are kept: `memory` (each process counts on its own, so every
    /// replica gives a client a quota) or `redis` (one count for every replica sharing
    /// REDIS_URL).
    #[arg(long, env = "RATE_LIMIT_STORE", value_enum, default_value_t = StoreArg::Memory)]
    pub rate_limit_store: StoreArg,

    /// The Redis of RATE_LIMIT_STORE=redis: `redis://[user:password@]host[:port][/db]`, or
    /// `rediss://` for TLS. Never logged with its credentials.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<SecretText>,

    /// A file holding REDIS_URL (a Docker or Kubernetes secret); trailing line breaks are
    /// ignored. Instead of REDIS_URL.
    #[arg(long, env = "REDIS_URL_FILE")]
    pub redis_url_file: Option<PathBuf>,

    /// The prefix of every key the limits keep in Redis (deployments sharing one Redis set
    /// one each).
    #[arg(long, env = "REDIS_KEY_PREFIX", default_value = DEFAULT_KEY_PREFIX)]
    pub redis_key_prefix: String,

    /// The longest a request waits for Redis, in milliseconds; past it,
    /// RATE_LIMIT_STORE_FAILURE applies.
    #[arg(
        long,
        env = "REDIS_TIMEOUT_MS",
        default_value_t = DEFAULT_STORE_TIMEOUT.as_millis() as u32,
        value_parser = clap::value_parser!(u32).range(1..=10_000)
    )]
    pub redis_timeout_ms: u32,

    /// While Redis fails: `local` (each replica limits on its own, in memory), `open` (no
    /// limits) or `closed` (token requests get 503, and /readyz says not ready).
    #[arg(long, env = "RATE_LIMIT_STORE_FAILURE", value_enum, default_value_t = FailureArg::Local)]
    pub rate_limit_store_failure: FailureArg,

    /// `off` asks Redis about every request, even from a client it has just refused (to
    /// measure what the local shield saves).
    #[arg(long, env = "RATE_LIMIT_SHIELD", value_enum, default_value_t = SwitchArg::On)]
    pub rate_limit_shield: SwitchArg,
}

/// `RATE_LIMIT_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StoreArg {
    /// In this process's memory.
    #[default]
    Memory,
    /// In Redis, shared by every replica.
    Redis,
}

/// `RATE_LIMIT_STORE_FAILURE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailureArg {
    /// Each replica limits on its own, in memory.
    #[default]
    Local,
    /// No limits.
    Open,
    /// Token requests get 503.
    Closed,
}

impl From<FailureArg> for StoreFailure {
    fn from(failure: FailureArg) -> Self {
        match failure {
            FailureArg::Local => Self::Local,
            FailureArg::Open => Self::Open,
            FailureArg::Closed => Self::Closed,
        }
    }
}

impl LimitStoreArgs {
    /// The shared store, with `RATE_LIMIT_STORE=redis`; `given` names the Redis settings
    /// given on the command line or in the environment, refused without it. What is only
    /// risky goes to `warnings`.
    pub fn resolve(
        &self,
        given: &[String],
        limits_on: bool,
        warnings: &mut Vec<String>,
    ) -> Result<Option<SharedStoreConfig>, String> {
        if self.rate_limit_store == StoreArg::Memory {
            if given.is_empty() {
                return Ok(None);
            }
            // The operator believes the limits are shared; they would not be.
            return Err(format!(
                "{} set without RATE_LIMIT_STORE=redis: set it to share the limits, or \
                 remove them",
                given.join(", ")
            ));
        }
        if !limits_on {
            return Err(
                "RATE_LIMIT_STORE=redis with RATE_LIMITS=off: there are no limits \
                        to share"
                    .to_owned(),
            );
        }
        let (url, setting) = match (&self.redis_url, &self.redis_url_file) {
            (Some(_), Some(_)) => {
                return Err("set REDIS_URL or REDIS_URL_FILE, not both".to_owned());
            }
            (Some(url), None) => (url.clone(), "REDIS_URL"),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|err| {
                    format!("cannot read REDIS_URL_FILE {}: {err}", path.display())
                })?;
                let url = SecretText::from(text.trim_end_matches(['\n', '\r']));
                (url, "REDIS_URL_FILE")
            }
            (None, None) => {
                return Err("RATE_LIMIT_STORE=redis needs REDIS_URL or REDIS_URL_FILE".to_owned());
            }
        };
        let timeout = Duration::from_millis(u64::from(self.redis_timeout_ms));
        let store = RedisStore::new(&url, setting, &self.redis_key_prefix, timeout)?;
        if store.is_plaintext_to_another_host() {
            warnings.push(
                "REDIS_URL is redis:// to another host: its password and the limits cross \
                 the network in clear (rediss:// uses TLS)"
                    .to_owned(),
            );
        }
        let failure = StoreFailure::from(self.rate_limit_store_failure);
        if failure == StoreFailure::Open {
            warnings.push(
                "RATE_LIMIT_STORE_FAILURE=open serves without any rate limit while Redis does \
                 not answer"
                    .to_owned(),
            );
        }
        Ok(Some(SharedStoreConfig {
            store: Arc::new(store),
            timeout,
            failure,
            shield: self.rate_limit_shield == SwitchArg::On,
        }))
    }
}
