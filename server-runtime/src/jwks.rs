//! The fetchers of callers' keys: token-core's [`KeySource`] over a URL (`reqwest`, rustls)
//! or a file. The core decides when to fetch and what to trust; these only fetch.
//!
//! - A URL is `https`, or `http` on a loopback address; it is fetched with a timeout and a
//!   size cap, without following redirects, and shows without the credentials it may hold
//!   ([`redacted_url`]) in `Display`, `Debug` and every error.
//! - A file is read again on the same schedule (a mounted Secret or ConfigMap changes).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use token_core::production::caller_keys::{Fetched, KeySource};

use crate::secret_text::redacted_url;

/// How long one fetch of a JWKS URL may take, connecting included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWKS read; identity providers publish a few KiB.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// The JWKS at a URL (`CALLER_JWKS_URL`).
#[derive(Clone)]
pub struct UrlSource {
    url: reqwest::Url,
    client: reqwest::Client,
}

impl UrlSource {
    /// Parses `CALLER_JWKS_URL`: https, or http when the host is a loopback address.
    pub fn parse(text: &str) -> Result<Self, String> {
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
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(format!(
                    "CALLER_JWKS_URL {} must be https (http only on a loopback address)",
                    redacted_url(&url)
                ));
            }
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            // Only a broken TLS backend fails here; fetches then fail and are logged.
            .unwrap_or_default();
        Ok(Self { url, client })
    }

    async fn fetch_document(&self) -> Result<String, String> {
        let mut response = self
            .client
            .get(self.url.clone())
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

impl KeySource for UrlSource {
    fn fetch(&self) -> Fetched<'_> {
        Box::pin(self.fetch_document())
    }
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redacted_url(&self.url))
    }
}

impl fmt::Debug for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Url")
            .field(&redacted_url(&self.url))
            .finish()
    }
}

/// The JWKS in a file (`CALLER_JWKS_FILE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSource {
    path: PathBuf,
}

impl FileSource {
    /// The file at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    async fn read(&self) -> Result<String, String> {
        let path = &self.path;
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(format!("{} is over {MAX_JWKS_BYTES} bytes", path.display()));
        }
        String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))
    }
}

impl KeySource for FileSource {
    fn fetch(&self) -> Fetched<'_> {
        Box::pin(self.read())
    }
}

impl fmt::Display for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())
    }
}
