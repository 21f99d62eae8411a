//! The Redis store of the shared rate limits (`RATE_LIMIT_STORE=redis`): the core's GCRA
//! script run with `EVALSHA` (loaded again after `NOSCRIPT`, as when Redis restarted), over
//! one multiplexed connection that `redis`'s connection manager re-establishes with backoff.
//! What a failure means for requests is the core's ([`token_core::operations::shared_limits`]).

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use token_core::operations::limit_store::{GCRA_SCRIPT, GcraArgs, SharedLimitStore, StoreCheck};
use token_core::operations::shared_limits::MAX_RETRY;
use tokio::sync::OnceCell;

use crate::secret_text::{SecretText, redacted_url};

/// The least time a connection attempt is given, whatever `REDIS_TIMEOUT_MS`: a TLS
/// handshake takes a few round trips. Requests still wait at most the timeout.
const MIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A Redis server the limits are kept in.
pub struct RedisStore {
    client: redis::Client,
    /// Made on first use: the manager needs the runtime, which settings are read before.
    connection: OnceCell<ConnectionManager>,
    script: redis::Script,
    prefix: String,
    timeout: Duration,
    /// The URL without its credentials, for logs.
    shown: String,
    /// Whether the host is the loopback.
    loopback: bool,
}

impl RedisStore {
    /// The store at `url` (`redis://` or `rediss://`), its keys under `prefix`, each
    /// command given `timeout`. Nothing is connected yet. The error names `setting`, where
    /// the URL came from, never the URL.
    pub fn new(
        url: &SecretText,
        setting: &str,
        prefix: &str,
        timeout: Duration,
    ) -> Result<Self, String> {
        let invalid = || {
            format!(
                "{setting} is not a redis:// or rediss:// URL with a host \
                 (redis://[user:password@]host[:port][/db])"
            )
        };
        let parsed = reqwest::Url::parse(url.expose()).map_err(|_| invalid())?;
        if !matches!(parsed.scheme(), "redis" | "rediss") || parsed.host_str().is_none() {
            return Err(invalid());
        }
        let client = redis::Client::open(url.expose()).map_err(|_| invalid())?;
        Ok(Self {
            client,
            connection: OnceCell::new(),
            script: redis::Script::new(GCRA_SCRIPT),
            prefix: prefix.to_owned(),
            timeout,
            shown: redacted_url(&parsed),
            loopback: parsed.host_str().is_some_and(is_loopback),
        })
    }

    /// Whether commands and the password cross a network in clear: `redis://` to a host
    /// other than the loopback.
    pub fn is_plaintext_to_another_host(&self) -> bool {
        self.shown.starts_with("redis://") && !self.loopback
    }

    async fn connection(&self) -> Result<ConnectionManager, String> {
        self.connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(self.timeout))
                    .set_connection_timeout(Some(self.timeout.max(MIN_CONNECT_TIMEOUT)))
                    .set_max_delay(MAX_RETRY)
                    // The core decides when to ask a failing store again; a request is
                    // better answered by the fallback than by retries.
                    .set_number_of_retries(1);
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            })
            .await
            .cloned()
            .map_err(|err| reason(&err))
    }
}

impl SharedLimitStore for RedisStore {
    fn check<'a>(&'a self, key: &'a str, gcra: GcraArgs) -> StoreCheck<'a> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let wait: u64 = self
                .script
                .key(format!("{}{key}", self.prefix))
                .arg(gcra.interval_micros)
                .arg(gcra.burst)
                .invoke_async(&mut connection)
                .await
                .map_err(|err| reason(&err))?;
            Ok(Duration::from_micros(wait))
        })
    }

    fn ping(&self) -> StoreCheck<'_> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
                .map_err(|err| reason(&err))?;
            Ok(Duration::ZERO)
        })
    }
}

/// Whether a URL's host is the loopback (an IPv6 address comes in brackets).
fn is_loopback(host: &str) -> bool {
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(address) => address.is_loopback(),
        Err(_) => host == "localhost",
    }
}

/// A Redis error as one line. `redis`'s messages carry the server's reply or the I/O error,
/// never the URL or its password (`redis_store` tests hold it).
fn reason(err: &redis::RedisError) -> String {
    err.to_string().replace(['\n', '\r'], " ")
}

impl fmt::Display for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.shown)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
