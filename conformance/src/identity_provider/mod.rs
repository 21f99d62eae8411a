//! The identity provider the suite plays to judge a server in production mode: it serves a
//! JWKS on loopback and signs callers' tokens with its keys (RSA, P-256, Ed25519), valid or
//! with one deliberate flaw, so any server configured to trust that JWKS can be checked.
//!
//! The JWKS also holds two keys no server may use, a shared secret (`oct`) and an RSA key
//! for encryption (`use: enc`), and the RSA key again without an `alg`, so that only the
//! algorithm allow-list stands between it and a PS256 token. The keys are fixed test keys
//! (`conformance/keys`): a server trusts them only when told to trust this provider, which
//! only a test does.
//!
//! - `keys`: the keys, and the JWKS documents made of them.
//! - `forging`: callers' tokens, valid or forged.
//! - `wycheproof`: Wycheproof's JSON Web Signature vectors, read from a file, whose keys the
//!   provider publishes when given them.
//! - `jwks_server`: the JWKS endpoint, on the suite's loopback HTTP server.

mod forging;
mod jwks_server;
mod keys;
mod wycheproof;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

pub use forging::{Forgery, caller_claims, caller_token, forged_token};
use jwks_server::{Serving, Shared};
pub use keys::CallerKey;
pub use wycheproof::{JwsVector, JwsVectors, VectorsError};

use crate::local_server::LocalServer;

/// The issuer the suite's tokens carry unless told otherwise.
pub const DEFAULT_ISSUER: &str = "https://conformance.invalid";
/// The audience the suite's tokens carry unless told otherwise.
pub const DEFAULT_AUDIENCE: &str = "livekit-token-server";
/// The leeway the suite assumes servers allow on `exp` and `nbf`, in seconds.
pub const ASSUMED_LEEWAY_SECONDS: i64 = 60;
/// The identity of the suite's callers.
pub const CALLER: &str = "alice";

/// The suite's identity provider, serving its JWKS on a loopback port until dropped.
#[derive(Debug)]
pub struct IdentityProvider {
    issuer: String,
    audience: String,
    shared: Arc<Shared>,
    server: LocalServer,
    vectors: Option<JwsVectors>,
}

impl IdentityProvider {
    /// Starts serving the JWKS on `127.0.0.1:port` (0: a free port).
    pub async fn start(port: u16, issuer: &str, audience: &str) -> std::io::Result<Self> {
        Self::start_with(port, issuer, audience, None).await
    }

    /// Starts serving the JWKS, with the keys of Wycheproof's `vectors` in it from the first
    /// fetch when given.
    pub async fn start_with(
        port: u16,
        issuer: &str,
        audience: &str,
        vectors: Option<JwsVectors>,
    ) -> std::io::Result<Self> {
        let extra_keys = vectors
            .as_ref()
            .map(|v| v.keys().to_vec())
            .unwrap_or_default();
        let shared = Arc::new(Shared::new(extra_keys));
        let server = jwks_server::start(port, Arc::clone(&shared)).await?;
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            shared,
            server,
            vectors,
        })
    }

    /// Wycheproof's vectors, whose keys the JWKS carries, when the provider was given them.
    pub fn jws_vectors(&self) -> Option<&JwsVectors> {
        self.vectors.as_ref()
    }

    fn address(&self) -> SocketAddr {
        self.server.address()
    }

    /// The JWKS URL a server under test is configured with.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks.json", self.address())
    }

    /// The issuer of the provider's tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience of the provider's tokens.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// How many times the JWKS has been fetched.
    pub fn fetches(&self) -> usize {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// How many times anything an attacker's header points to (`jku`, `x5u`) was fetched:
    /// a server must never fetch it.
    pub fn attacker_fetches(&self) -> usize {
        self.shared.attacker_fetches.load(Ordering::SeqCst)
    }

    /// Publishes the rotated key beside the others.
    pub fn rotate(&self) {
        self.shared.set(Serving::Keys { rotated: true });
    }

    /// Answers 503 to every fetch from now on (`false`: serves the keys again).
    pub fn go_down(&self, down: bool) {
        self.shared.set(if down {
            Serving::Down
        } else {
            Serving::Keys { rotated: false }
        });
    }

    /// A valid token for `sub` with `extra` claims, signed with `key`.
    pub fn token(&self, key: CallerKey, sub: &str, extra: &Value) -> String {
        caller_token(&self.issuer, &self.audience, key, sub, extra)
    }

    /// `Bearer` and a valid token for [`CALLER`] signed with `key`: an `Authorization` value.
    pub fn bearer(&self, key: CallerKey) -> String {
        format!("Bearer {}", self.token(key, CALLER, &serde_json::json!({})))
    }

    /// A token for [`CALLER`] with one deliberate flaw; `jku` and `x5u` point to this
    /// provider, which counts any fetch of them.
    pub fn forged(&self, forgery: Forgery) -> String {
        forged_token(
            &self.issuer,
            &self.audience,
            &format!("http://{}", self.address()),
            forgery,
        )
    }
}
