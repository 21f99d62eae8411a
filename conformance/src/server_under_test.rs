//! The server under test and what the suite expects of its configuration.

use std::fmt;

use crate::error::Error;

/// The shape of token and error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ResponseFormat {
    /// The seed's contract: the JWT, or the message, as `text/plain; charset=utf-8`.
    #[default]
    Text,
    /// OpenVidu 3's: `{"token": ...}` and `{"errorMessage": ...}` as `application/json`.
    Json,
}

/// A server to check, and the settings it was started with.
#[derive(Clone)]
pub struct ServerUnderTest {
    /// Base URL, e.g. `http://127.0.0.1:6080` (no trailing slash needed).
    pub base_url: String,
    /// The name reports give it (`--name`); its URL when `None`.
    pub name: Option<String>,
    /// The API key the server signs with (the expected `iss`).
    pub api_key: String,
    /// The API secret the server signs with.
    pub api_secret: String,
    /// The expected token lifetime, `exp - nbf`.
    pub ttl_seconds: u32,
    /// The expected body format.
    pub format: ResponseFormat,
    /// The `server_url` the standard endpoint must answer.
    pub livekit_url: String,
    /// Whether the server lets clients set `room_config` on the standard endpoint.
    pub room_config_allowed: bool,
}

/// The `server_url` a server answers by default: the local LiveKit development server.
pub const DEFAULT_LIVEKIT_URL: &str = "ws://localhost:7880";

impl ServerUnderTest {
    /// A server on the LiveKit dev credentials and the default TTL, in text format.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            name: None,
            api_key: "devkey".to_owned(),
            api_secret: "secret".to_owned(),
            ttl_seconds: 21_600,
            format: ResponseFormat::Text,
            livekit_url: DEFAULT_LIVEKIT_URL.to_owned(),
            room_config_allowed: false,
        }
    }

    /// The name reports give it: `--name`, or its URL.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.base_url)
    }

    /// Sets the credentials the server signs with.
    pub fn with_credentials(mut self, api_key: &str, api_secret: &str) -> Self {
        api_key.clone_into(&mut self.api_key);
        api_secret.clone_into(&mut self.api_secret);
        self
    }

    /// `host:port` of the base URL, which must be `http://`.
    pub fn authority(&self) -> Result<String, Error> {
        authority(&self.base_url)
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }
}

impl fmt::Debug for ServerUnderTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerUnderTest")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("ttl_seconds", &self.ttl_seconds)
            .field("format", &self.format)
            .field("livekit_url", &self.livekit_url)
            .field("room_config_allowed", &self.room_config_allowed)
            .finish_non_exhaustive()
    }
}

/// `host:port` of an `http://` base URL (the port is 80 when the URL names none).
pub fn authority(base_url: &str) -> Result<String, Error> {
    let invalid = |reason| Error::InvalidUrl {
        url: base_url.to_owned(),
        reason,
    };
    let url = reqwest::Url::parse(base_url).map_err(|_| invalid("not a URL"))?;
    if url.scheme() != "http" {
        return Err(invalid("only http:// URLs are supported"));
    }
    let host = url.host_str().ok_or_else(|| invalid("no host"))?;
    Ok(format!(
        "{host}:{}",
        url.port_or_known_default().unwrap_or(80)
    ))
}
