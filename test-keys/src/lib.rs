//! The one home of this repository's test keys and signing helpers (dev-only, not published).
//! The caller keys are the ones the conformance suite publishes (`conformance/keys`, which its
//! identity provider signs with); every test that loads them or signs a token for a test reads
//! them from here: `token-core`'s tests, `testkit`, `cross-backend`, the suite's tests and the
//! bench. The suite's own signing (its identity provider, its webhooks) is product code and
//! stays in `conformance`.

pub mod wycheproof_format;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// The folder of the suite's published keys (every JWKS and private key under it).
pub const KEYS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance/keys");

/// The path of the published JWKS (public halves of the caller keys), for `--caller-jwks-file`.
pub const JWKS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../conformance/keys/caller-jwks.json"
);

/// The published JWKS itself.
pub const JWKS: &str = include_str!("../../conformance/keys/caller-jwks.json");

/// The RSA caller key (PKCS#1 DER), `kid` `rsa-1` in [`JWKS`].
pub const RSA_PKCS1_DER: &[u8] = include_bytes!("../../conformance/keys/caller-rsa.pkcs1.der");

/// The P-256 caller key (PKCS#8 DER), `kid` `p256-1` in [`JWKS`].
pub const P256_PKCS8_DER: &[u8] = include_bytes!("../../conformance/keys/caller-p256.pkcs8.der");

/// The Ed25519 caller key (PKCS#8 DER), `kid` `ed25519-1` in [`JWKS`].
pub const ED25519_PKCS8_DER: &[u8] =
    include_bytes!("../../conformance/keys/caller-ed25519.pkcs8.der");

/// The private caller key that signs `alg`, and its `kid` in [`JWKS`]; `None` when no test
/// key has that algorithm.
pub fn caller_key(alg: Algorithm) -> Option<(EncodingKey, &'static str)> {
    match alg {
        Algorithm::RS256 | Algorithm::PS256 => {
            Some((EncodingKey::from_rsa_der(RSA_PKCS1_DER), "rsa-1"))
        }
        Algorithm::ES256 => Some((EncodingKey::from_ec_der(P256_PKCS8_DER), "p256-1")),
        Algorithm::EdDSA => Some((EncodingKey::from_ed_der(ED25519_PKCS8_DER), "ed25519-1")),
        _ => None,
    }
}

/// A header for `alg` naming its test key's `kid`, as an identity provider writes it.
pub fn caller_header(alg: Algorithm) -> Header {
    let mut header = Header::new(alg);
    header.kid = caller_key(alg).map(|(_, kid)| kid.to_owned());
    header
}

/// `claims` under `header`, signed with the test key of the header's algorithm (whatever
/// `kid` the header names). Panics when no test key has that algorithm: a test's mistake.
pub fn sign_caller_token(header: &Header, claims: &impl Serialize) -> String {
    let (key, _) =
        caller_key(header.alg).unwrap_or_else(|| panic!("no test key for {:?}", header.alg));
    jsonwebtoken::encode(header, claims, &key).expect("a test key signs")
}

/// `claims` signed with HS256 and `secret`, as LiveKit signs its tokens and webhooks.
pub fn sign_with_secret(secret: &str, claims: &impl Serialize) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 signs any claims")
}

/// Seconds since the Unix epoch (0 for a clock before it).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation, decode, jwk::JwkSet};
    use serde_json::{Value, json};

    use super::*;

    /// Every test key signs a token the published JWKS verifies under its `kid`.
    #[test]
    fn every_caller_key_is_in_the_published_jwks() {
        let jwks: JwkSet = serde_json::from_str(JWKS).expect("the published JWKS parses");
        let claims = json!({"sub": "alice", "exp": unix_now() + 60});
        for alg in [
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
        ] {
            let header = caller_header(alg);
            let token = sign_caller_token(&header, &claims);
            let kid = header.kid.expect("a kid");
            let jwk = jwks.find(&kid).expect("the kid is published");
            let key = DecodingKey::from_jwk(jwk).expect("a usable JWK");
            let mut validation = Validation::new(alg);
            validation.validate_aud = false;
            let decoded = decode::<Value>(&token, &key, &validation).expect("verifies");
            assert_eq!(decoded.claims["sub"], "alice", "{alg:?}");
        }
        assert!(caller_key(Algorithm::HS256).is_none());
        assert!(std::path::Path::new(JWKS_PATH).is_file(), "{JWKS_PATH}");
        assert!(std::path::Path::new(KEYS_DIR).is_dir(), "{KEYS_DIR}");
    }

    #[test]
    fn a_token_signed_with_a_secret_verifies_with_it() {
        let token = sign_with_secret("s3cret", &json!({"iss": "APIkey", "exp": unix_now() + 60}));
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&["APIkey"]);
        let key = DecodingKey::from_secret(b"s3cret");
        decode::<Value>(&token, &key, &validation).expect("verifies");
        assert!(decode::<Value>(&token, &DecodingKey::from_secret(b"other"), &validation).is_err());
    }
}
