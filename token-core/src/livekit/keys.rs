//! The LiveKit API keys: which one signs tokens, and every one a webhook may be signed with.
//!
//! LiveKit itself holds several key/secret pairs (for rotation; egress can sign webhooks with
//! its own key), in the form `key: secret`, one pair per line (YAML, read by
//! [`crate::livekit::key_list`]). Where they come from (flags, the environment, files) is the
//! runtime's business; here they are [`Credentials`], valid by construction.

use std::collections::BTreeMap;
use std::fmt;

/// The API key LiveKit's development server (`livekit-server --dev`) accepts.
pub const DEV_API_KEY: &str = "devkey";
/// The API secret LiveKit's development server accepts.
pub const DEV_API_SECRET: &str = "secret";

/// The resolved keys: the one that signs tokens, and every one that may sign webhooks.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    signing_key: String,
    secrets: BTreeMap<String, ApiSecret>,
}

impl Credentials {
    /// LiveKit's development key, `devkey` / `secret`: asked for by name, never a default.
    pub fn development() -> Self {
        Self::single(DEV_API_KEY, ApiSecret::new(DEV_API_SECRET))
    }

    /// `keys`, of which `signing_key` signs tokens; `None` when it is not among them.
    pub fn from_keys(signing_key: String, keys: BTreeMap<String, ApiSecret>) -> Option<Self> {
        keys.contains_key(&signing_key).then_some(Self {
            signing_key,
            secrets: keys,
        })
    }

    /// One key, which signs tokens and is the only one webhooks may be signed with.
    pub fn single(api_key: impl Into<String>, api_secret: ApiSecret) -> Self {
        let signing_key = api_key.into();
        Self {
            secrets: BTreeMap::from([(signing_key.clone(), api_secret)]),
            signing_key,
        }
    }

    /// The key that signs tokens.
    pub fn signing_key(&self) -> &str {
        &self.signing_key
    }

    /// The secret of [`Credentials::signing_key`].
    pub fn signing_secret(&self) -> &ApiSecret {
        &self.secrets[&self.signing_key]
    }

    /// Every key with its secret, the signing one included, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ApiSecret)> {
        self.secrets
            .iter()
            .map(|(key, secret)| (key.as_str(), secret))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("signing_key", &self.signing_key)
            .field("keys", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why `secret` cannot be an API secret, if it cannot: empty, or holding a line break or
/// another control character (a pasted key list or a second line, never part of a secret
/// LiveKit could be given in its YAML key list unquoted).
pub fn secret_problem(secret: &str) -> Option<&'static str> {
    if secret.is_empty() {
        Some("the API secret must not be empty")
    } else if secret.chars().any(char::is_control) {
        Some("the API secret must not hold line breaks or other control characters")
    } else {
        None
    }
}

/// The LiveKit API secret. It prints as `ApiSecret(***)` so it never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiSecret(String);

impl ApiSecret {
    /// Wraps a secret; empty secrets are refused when settings are parsed.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for signing and verifying only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiSecret(***)")
    }
}
