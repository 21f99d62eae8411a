//! Verifying a caller's bearer token against the identity provider's JWKS, in production
//! mode ([`crate::production::caller_keys`] keeps the JWKS fresh).
//!
//! `jsonwebtoken` does the cryptography; this module closes its traps, as RFC 8725 asks:
//! - `iss`, `aud`, `sub` and `exp` are required (jsonwebtoken checks a claim only when it is
//!   present unless told to require it), and `nbf` is checked when present (off by default);
//! - the algorithm comes from an allow-list that never holds `HS*` or `none`, and must match
//!   the key's type and curve and its `alg` when the JWK names one (`DecodingKey::from_jwk`
//!   ignores both);
//! - `oct` keys, keys for encryption and RSA keys under [`MIN_RSA_BITS`] are never used
//!   (`from_jwk` accepts them);
//! - the `jku`, `x5u` and `jwk` headers are ignored: keys come only from the operator's JWKS;
//! - a token whose `typ` names another kind of token (a logout token, a security event) is
//!   refused (RFC 8725 §3.11): only the [`TokenType`]s of the policy are accepted;
//! - a claim named `email` counts only with `email_verified: true` (as the identity, a
//!   refusal; for policy rules, left out), or anyone who can make the provider sign an
//!   address they do not own becomes its owner.

use std::fmt;

use base64::Engine as _;

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

pub use crate::http::auth_failure::AuthFailure;
pub use crate::production::caller_policy::{
    CallerPolicy, DEFAULT_ALGORITHMS, DEFAULT_LEEWAY_SECONDS, DEFAULT_TOKEN_TYPES, EMAIL_CLAIM,
    EMAIL_VERIFIED_CLAIM, MAX_LEEWAY_SECONDS, MAX_TOKEN_BYTES, MIN_RSA_BITS, TokenType, UNTYPED,
};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The value of the identity claim.
    pub identity: String,
    /// Every claim, for policy rules.
    pub claims: Map<String, Value>,
}

/// One usable key of the JWKS.
struct VerificationKey {
    kid: Option<String>,
    /// The `alg` the JWK names, if any.
    alg: Option<Algorithm>,
    /// The algorithms its type and curve can verify.
    fits: &'static [Algorithm],
    key: DecodingKey,
}

/// Verifies callers' tokens with the keys of one JWKS under one policy.
pub struct CallerVerifier {
    policy: CallerPolicy,
    keys: Vec<VerificationKey>,
}

impl CallerVerifier {
    /// A verifier from a JWKS document. Keys that cannot verify signatures under the policy
    /// (`oct`, `use: enc`, unknown types or curves) are left out, each with why in the second
    /// value; a JWKS with no usable key at all is an error.
    pub fn from_jwks(jwks: &str, policy: CallerPolicy) -> Result<(Self, Vec<String>), String> {
        policy.check()?;
        let document: Value =
            serde_json::from_str(jwks).map_err(|err| format!("the JWKS is not JSON: {err}"))?;
        let entries = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("the JWKS has no \"keys\" array")?;
        if !policy.allows_published_keys
            && let Some(index) = entries
                .iter()
                .position(crate::production::published_keys::is_published)
        {
            return Err(format!(
                "key {index} of the JWKS is a test key published in this server's repository, \
                 so anyone can sign callers with it (TRY_PRODUCTION_LOCALLY=true allows it, \
                 for trying production mode on one machine only)"
            ));
        }
        let mut keys = Vec::new();
        let mut skipped = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match usable_key(entry) {
                Ok(key) => keys.push(key),
                Err(why) => match entry.get("kid").and_then(Value::as_str) {
                    Some(kid) => skipped.push(format!("key {index} (kid {kid:?}): {why}")),
                    None => skipped.push(format!("key {index}: {why}")),
                },
            }
        }
        if keys.is_empty() {
            return Err(format!(
                "the JWKS has no usable key ({})",
                skipped.join("; ")
            ));
        }
        Ok((Self { policy, keys }, skipped))
    }

    /// Verifies an `Authorization` header's bearer token.
    pub fn verify(&self, authorization: Option<&[u8]>) -> Result<Caller, AuthFailure> {
        let token = bearer_token(authorization)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthFailure::Malformed)?;
        let allowed = self.policy.algorithms.contains(&header.alg);
        if !allowed {
            return Err(AuthFailure::AlgorithmNotAllowed);
        }
        let typ = header.typ.as_deref();
        if !self.policy.token_types.iter().any(|kind| kind.matches(typ)) {
            return Err(AuthFailure::WrongTokenType);
        }
        let key = self.key_for(header.kid.as_deref(), header.alg)?;
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.set_issuer(&[&self.policy.issuer]);
        validation.set_audience(&[&self.policy.audience]);
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.validate_exp = true;
        validation.leeway = self.policy.leeway_seconds;
        let mut claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|err| failure(err.kind()))?
            .claims;
        // An address the provider did not check is nobody's: neither the identity nor
        // anything a policy rule can match.
        let verified = claims.get(EMAIL_VERIFIED_CLAIM) == Some(&Value::Bool(true));
        if !verified
            && claims.remove(EMAIL_CLAIM).is_some()
            && self.policy.identity_claim == EMAIL_CLAIM
        {
            return Err(AuthFailure::EmailNotVerified);
        }
        let identity = claims
            .get(&self.policy.identity_claim)
            .and_then(Value::as_str)
            .filter(|identity| !identity.is_empty())
            .ok_or(AuthFailure::NoIdentity)?
            .to_owned();
        Ok(Caller { identity, claims })
    }

    /// The key for a token's `kid` and algorithm: by `kid` when it has one, else the only
    /// key that fits the algorithm.
    fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<&VerificationKey, AuthFailure> {
        let key = match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|key| key.kid.as_deref() == Some(kid))
                .ok_or(AuthFailure::UnknownKey)?,
            None => {
                let mut fitting = self.keys.iter().filter(|key| key.fits.contains(&alg));
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => key,
                    _ => return Err(AuthFailure::UnknownKey),
                }
            }
        };
        let alg_agrees = key.alg.is_none_or(|named| named == alg);
        if !alg_agrees || !key.fits.contains(&alg) {
            return Err(AuthFailure::KeyMismatch);
        }
        Ok(key)
    }
}

impl fmt::Debug for CallerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerVerifier")
            .field("policy", &self.policy)
            .field("keys", &self.keys.len())
            .finish()
    }
}

/// The token of `Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive).
pub(crate) fn bearer_token(authorization: Option<&[u8]>) -> Result<&str, AuthFailure> {
    let value = authorization.ok_or(AuthFailure::Missing)?;
    let value = std::str::from_utf8(value).map_err(|_| AuthFailure::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthFailure::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthFailure::Missing);
    }
    let token = token.trim_start_matches(' ');
    let well_formed = !token.is_empty()
        && token.len() <= MAX_TOKEN_BYTES
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if well_formed {
        Ok(token)
    } else {
        Err(AuthFailure::Malformed)
    }
}

/// A JWK as a verification key, or why it is not one.
fn usable_key(entry: &Value) -> Result<VerificationKey, String> {
    let jwk: Jwk = serde_json::from_value(entry.clone())
        .map_err(|err| format!("not a JWK jsonwebtoken reads ({err})"))?;
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err("not for signatures (use)".to_owned()),
    }
    if let Some(operations) = &jwk.common.key_operations
        && !operations.contains(&KeyOperations::Verify)
    {
        return Err("not for verifying (key_ops)".to_owned());
    }
    let fits: &'static [Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            let bits = modulus_bits(&rsa.n).ok_or("an RSA modulus that is not base64url")?;
            if bits < MIN_RSA_BITS {
                return Err(format!(
                    "an RSA key of {bits} bits, under the {MIN_RSA_BITS} required"
                ));
            }
            &[Algorithm::RS256, Algorithm::PS256]
        }
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            &[Algorithm::ES256]
        }
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P384 => {
            &[Algorithm::ES384]
        }
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            &[Algorithm::EdDSA]
        }
        AlgorithmParameters::OctetKey(_) => {
            return Err("a shared secret (oct) is never a caller's key".to_owned());
        }
        _ => return Err("an unsupported key type or curve".to_owned()),
    };
    let alg = match jwk.common.key_algorithm {
        None => None,
        Some(named) => Some(
            signing_algorithm(named)
                .filter(|alg| fits.contains(alg))
                .ok_or("its alg does not fit its key type")?,
        ),
    };
    let key = DecodingKey::from_jwk(&jwk).map_err(|err| format!("unreadable ({err})"))?;
    Ok(VerificationKey {
        kid: jwk.common.key_id,
        alg,
        fits,
        key,
    })
}

/// The size in bits of an RSA modulus written in base64url, as JWKs write it (RFC 7518
/// §6.3.1.1: big-endian, without leading zero bytes, though some providers add one).
fn modulus_bits(n: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(n.trim_end_matches('='))
        .ok()?;
    let significant = bytes.iter().position(|byte| *byte != 0)?;
    let leading = usize::try_from(bytes[significant].leading_zeros()).ok()?;
    Some((bytes.len() - significant) * 8 - leading)
}

/// The signing algorithm a JWK's `alg` names, if it names one this module verifies.
fn signing_algorithm(named: KeyAlgorithm) -> Option<Algorithm> {
    Some(match named {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

fn failure(kind: &jsonwebtoken::errors::ErrorKind) -> AuthFailure {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::InvalidSignature => AuthFailure::BadSignature,
        ErrorKind::ExpiredSignature => AuthFailure::Expired,
        ErrorKind::ImmatureSignature => AuthFailure::NotYetValid,
        ErrorKind::InvalidIssuer => AuthFailure::WrongIssuer,
        ErrorKind::InvalidAudience => AuthFailure::WrongAudience,
        ErrorKind::InvalidAlgorithm => AuthFailure::AlgorithmNotAllowed,
        ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidClaimFormat(_) => {
            AuthFailure::MissingClaim
        }
        _ => AuthFailure::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rule of a bearer token's shape refuses on its own: the length bounds the work
    /// before any decoding, the alphabet keeps anything but a JWS out.
    #[test]
    fn a_bearer_token_is_refused_by_each_rule_of_its_shape() {
        let bearer = |token: &str| format!("Bearer {token}").into_bytes();
        assert_eq!(bearer_token(Some(&bearer("a.b.c"))), Ok("a.b.c"));
        // Identity providers' tokens run to a few KiB.
        let large = "a".repeat(6 * 1024);
        assert_eq!(bearer_token(Some(&bearer(&large))), Ok(large.as_str()));
        let longest = "a".repeat(MAX_TOKEN_BYTES);
        assert_eq!(bearer_token(Some(&bearer(&longest))), Ok(longest.as_str()));
        for refused in [String::new(), format!("{longest}a"), "a$b".to_owned()] {
            assert_eq!(
                bearer_token(Some(&bearer(&refused))),
                Err(AuthFailure::Malformed),
                "{refused}"
            );
        }
    }
}
