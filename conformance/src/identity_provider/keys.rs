//! The identity provider's keys: the fixed test keys in `conformance/keys` (RSA, P-256,
//! Ed25519, and a P-256 key published only after a rotation), and the JWKS documents served
//! from them, with the traps no server may use.

use std::collections::BTreeSet;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

/// The published keys' JWKS.
pub(super) const JWKS: &str = include_str!("../../keys/caller-jwks.json");
/// The rotated key's JWK.
pub(super) const ROTATED_JWK: &str = include_str!("../../keys/caller-rotated-jwk.json");
const RSA: &[u8] = include_bytes!("../../keys/caller-rsa.pkcs1.der");
const P256: &[u8] = include_bytes!("../../keys/caller-p256.pkcs8.der");
const P256_ROTATED: &[u8] = include_bytes!("../../keys/caller-p256-rotated.pkcs8.der");
const ED25519: &[u8] = include_bytes!("../../keys/caller-ed25519.pkcs8.der");
/// The secret of the `oct` key the JWKS carries as a trap.
pub(super) const OCT_SECRET: &[u8] = b"a-shared-secret-no-server-may-use";

/// A signing key of the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKey {
    /// RSA 2048, `kid` `rsa-1`, RS256.
    Rsa,
    /// P-256, `kid` `p256-1`, ES256.
    P256,
    /// Ed25519, `kid` `ed25519-1`, EdDSA.
    Ed25519,
    /// P-256, `kid` `p256-rotated`: published only after [`IdentityProvider::rotate`](super::IdentityProvider::rotate).
    Rotated,
}

impl CallerKey {
    /// The three keys published from the start.
    pub const PUBLISHED: [Self; 3] = [Self::Rsa, Self::P256, Self::Ed25519];

    pub(super) fn algorithm(self) -> Algorithm {
        match self {
            Self::Rsa => Algorithm::RS256,
            Self::P256 | Self::Rotated => Algorithm::ES256,
            Self::Ed25519 => Algorithm::EdDSA,
        }
    }

    pub(super) fn kid(self) -> &'static str {
        match self {
            Self::Rsa => "rsa-1",
            Self::P256 => "p256-1",
            Self::Ed25519 => "ed25519-1",
            Self::Rotated => "p256-rotated",
        }
    }

    pub(super) fn encoding_key(self) -> EncodingKey {
        match self {
            Self::Rsa => EncodingKey::from_rsa_der(RSA),
            Self::P256 => EncodingKey::from_ec_der(P256),
            Self::Rotated => EncodingKey::from_ec_der(P256_ROTATED),
            Self::Ed25519 => EncodingKey::from_ed_der(ED25519),
        }
    }
}

/// The JWKS as served: the published keys, the rotated one if published, the traps, and
/// `extra` keys (Wycheproof's, when given).
pub(super) fn jwks_document(rotated: bool, extra: &[Value]) -> String {
    let mut jwks: Value = serde_json::from_str(JWKS).unwrap_or_default();
    let rsa = jwks["keys"][0].clone();
    if let Some(keys) = jwks["keys"].as_array_mut() {
        if rotated && let Ok(key) = serde_json::from_str(ROTATED_JWK) {
            keys.push(key);
        }
        keys.extend_from_slice(extra);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(OCT_SECRET);
        keys.push(json!({"kty": "oct", "kid": "oct-1", "alg": "HS256", "k": secret}));
        // The RSA key again, without `alg`: for signatures under any RSA algorithm allowed,
        // and marked for encryption only.
        let mut any_rsa = rsa;
        if let Some(key) = any_rsa.as_object_mut() {
            key.remove("alg");
        }
        let mut encryption = any_rsa.clone();
        any_rsa["kid"] = json!("rsa-noalg");
        keys.push(any_rsa);
        encryption["kid"] = json!("rsa-enc");
        encryption["use"] = json!("enc");
        keys.push(encryption);
    }
    jwks.to_string()
}

/// Every `kid` the suite's own keys use, in its JWKS or in its forgeries' headers: keys
/// from elsewhere are never published under them.
pub(super) fn suite_kids() -> BTreeSet<String> {
    let jwks: Value = serde_json::from_str(&jwks_document(true, &[])).unwrap_or_default();
    let published = jwks["keys"].as_array().into_iter().flatten();
    published
        .filter_map(|key| key["kid"].as_str())
        .chain([ATTACKER_KID])
        .map(str::to_owned)
        .collect()
}

/// The `kid` of the attacker's key, which only headers pointing elsewhere name.
pub(super) const ATTACKER_KID: &str = "attacker";

/// The attacker's own JWKS, which `jku` points to: no server may fetch it.
pub(super) fn attacker_jwks() -> String {
    let mut key: Value = serde_json::from_str(ROTATED_JWK).unwrap_or_default();
    key["kid"] = json!(ATTACKER_KID);
    json!({"keys": [key]}).to_string()
}
