//! Callers' tokens: valid ones for any identity and claims, and forged ones, each with one
//! deliberate flaw from RFC 8725's and OWASP's attacks on JWTs.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::keys::{ATTACKER_KID, CallerKey, JWKS, OCT_SECRET, ROTATED_JWK};
use super::{ASSUMED_LEEWAY_SECONDS, CALLER};
use crate::clock::unix_now;

/// A caller's token with one deliberate flaw: RFC 8725's and OWASP's attacks on JWTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// `alg: none` and no signature.
    AlgNone,
    /// A valid header and payload, the signature cut off.
    NoSignature,
    /// HS256, keyed with the RSA public key's modulus, as if the JWK were a shared secret.
    HmacWithPublicKey,
    /// PS256 under the JWKS's copy of the RSA key without an `alg`: only the allow-list
    /// (RS256, ES256, EdDSA by default) refuses it.
    AlgNotAllowed,
    /// PS256 under the RSA key whose JWK says RS256.
    AlgNotTheJwk,
    /// ES256 under the RSA key's `kid`.
    AlgNotTheKeys,
    /// HS256 with the `oct` key the JWKS carries.
    SharedSecretKey,
    /// RS256 with the RSA key under the `kid` of the JWKS's `use: enc` copy of it.
    EncryptionKey,
    /// Expired two seconds beyond the leeway.
    Expired,
    /// `nbf` two seconds beyond the leeway ahead.
    NotYetValid,
    /// `exp` as a string.
    StringExpiry,
    /// `nbf` as a string.
    StringNotBefore,
    /// Another issuer.
    WrongIssuer,
    /// No `iss`.
    NoIssuer,
    /// Another audience.
    WrongAudience,
    /// No `aud`.
    NoAudience,
    /// No `sub`.
    NoSubject,
    /// No `exp`.
    NoExpiry,
    /// Signed with an unpublished key, whose JWKS a `jku` header points to.
    JkuHeader,
    /// Signed with an unpublished key, whose certificate an `x5u` header points to.
    X5uHeader,
    /// Signed with an unpublished key, carried in a `jwk` header.
    JwkHeader,
    /// A `kid` crafted for path traversal and SQL injection.
    KidInjection,
    /// A `kid` the JWKS does not hold.
    UnknownKid,
    /// Three segments that are not base64url JSON.
    Malformed,
    /// A valid token padded past 8 KiB with a claim.
    Oversized,
}

impl Forgery {
    /// Every forgery.
    pub const ALL: [Self; 25] = [
        Self::AlgNone,
        Self::NoSignature,
        Self::HmacWithPublicKey,
        Self::AlgNotAllowed,
        Self::AlgNotTheJwk,
        Self::AlgNotTheKeys,
        Self::SharedSecretKey,
        Self::EncryptionKey,
        Self::Expired,
        Self::NotYetValid,
        Self::StringExpiry,
        Self::StringNotBefore,
        Self::WrongIssuer,
        Self::NoIssuer,
        Self::WrongAudience,
        Self::NoAudience,
        Self::NoSubject,
        Self::NoExpiry,
        Self::JkuHeader,
        Self::X5uHeader,
        Self::JwkHeader,
        Self::KidInjection,
        Self::UnknownKid,
        Self::Malformed,
        Self::Oversized,
    ];
}

/// A token for [`CALLER`] from `issuer` for `audience` with one deliberate flaw; `jku` and
/// `x5u` headers point under `attacker_url`.
pub fn forged_token(issuer: &str, audience: &str, attacker_url: &str, forgery: Forgery) -> String {
    let now = unix_now();
    let leeway = ASSUMED_LEEWAY_SECONDS;
    let mut claims = caller_claims(issuer, audience, CALLER);
    let attacker = |header: Header, claims: &Value| {
        jsonwebtoken::encode(&header, claims, &CallerKey::Rotated.encoding_key())
            .unwrap_or_default()
    };
    match forgery {
        Forgery::AlgNone => {
            let header = segment(&json!({"alg": "none", "typ": "JWT"}));
            return format!("{header}.{}.", segment(&claims));
        }
        Forgery::NoSignature => {
            let token = sign(CallerKey::P256, &claims);
            let cut = token.rfind('.').map_or(token.len(), |dot| dot + 1);
            return token[..cut].to_owned();
        }
        Forgery::HmacWithPublicKey => {
            let jwks: Value = serde_json::from_str(JWKS).unwrap_or_default();
            let modulus = jwks["keys"][0]["n"].as_str().unwrap_or_default().to_owned();
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(CallerKey::Rsa.kid().to_owned());
            let key = EncodingKey::from_secret(modulus.as_bytes());
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::AlgNotAllowed | Forgery::AlgNotTheJwk => {
            let mut header = Header::new(Algorithm::PS256);
            header.kid = Some(if forgery == Forgery::AlgNotAllowed {
                "rsa-noalg".to_owned()
            } else {
                CallerKey::Rsa.kid().to_owned()
            });
            let key = CallerKey::Rsa.encoding_key();
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::AlgNotTheKeys => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(CallerKey::Rsa.kid().to_owned());
            let key = CallerKey::P256.encoding_key();
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::SharedSecretKey => {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("oct-1".to_owned());
            let key = EncodingKey::from_secret(OCT_SECRET);
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::EncryptionKey => {
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some("rsa-enc".to_owned());
            let key = CallerKey::Rsa.encoding_key();
            return jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default();
        }
        Forgery::Expired => claims["exp"] = json!(now - leeway - 2),
        Forgery::NotYetValid => claims["nbf"] = json!(now + leeway + 2),
        Forgery::StringExpiry => claims["exp"] = json!((now + 300).to_string()),
        Forgery::StringNotBefore => claims["nbf"] = json!(now.to_string()),
        Forgery::WrongIssuer => claims["iss"] = json!(format!("{issuer}.evil")),
        Forgery::NoIssuer => without(&mut claims, "iss"),
        Forgery::WrongAudience => claims["aud"] = json!("another-service"),
        Forgery::NoAudience => without(&mut claims, "aud"),
        Forgery::NoSubject => without(&mut claims, "sub"),
        Forgery::NoExpiry => without(&mut claims, "exp"),
        Forgery::JkuHeader => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(ATTACKER_KID.to_owned());
            header.jku = Some(format!("{attacker_url}/attacker-jwks.json"));
            return attacker(header, &claims);
        }
        Forgery::X5uHeader => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(ATTACKER_KID.to_owned());
            header.x5u = Some(format!("{attacker_url}/attacker.pem"));
            return attacker(header, &claims);
        }
        Forgery::JwkHeader => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(CallerKey::Rotated.kid().to_owned());
            header.jwk = serde_json::from_str(ROTATED_JWK).ok();
            return attacker(header, &claims);
        }
        Forgery::KidInjection => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some("../../../../dev/null' OR '1'='1".to_owned());
            return attacker(header, &claims);
        }
        Forgery::UnknownKid => {
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(format!("unknown-{now}"));
            return attacker(header, &claims);
        }
        Forgery::Malformed => return "eyJub3QiOiJqc29uIn0.%%%.@@@".to_owned(),
        Forgery::Oversized => claims["padding"] = json!("x".repeat(9 * 1024)),
    }
    sign(CallerKey::P256, &claims)
}

/// The claims of a valid caller token for `sub`, valid for five minutes.
pub fn caller_claims(issuer: &str, audience: &str, sub: &str) -> Value {
    let now = unix_now();
    json!({"iss": issuer, "aud": audience, "sub": sub, "iat": now, "exp": now + 300})
}

/// A valid caller token for `sub` with `extra` claims, signed with the provider's `key`
/// (whose public half is in `conformance/keys/caller-jwks.json`), without serving anything.
pub fn caller_token(
    issuer: &str,
    audience: &str,
    key: CallerKey,
    sub: &str,
    extra: &Value,
) -> String {
    let mut claims = caller_claims(issuer, audience, sub);
    if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
        claims.extend(extra.clone());
    }
    sign(key, &claims)
}

fn without(claims: &mut Value, name: &str) {
    if let Some(claims) = claims.as_object_mut() {
        claims.remove(name);
    }
}

fn sign(key: CallerKey, claims: &Value) -> String {
    let mut header = Header::new(key.algorithm());
    header.kid = Some(key.kid().to_owned());
    // Signing with a fixed, valid key cannot fail.
    jsonwebtoken::encode(&header, claims, &key.encoding_key()).unwrap_or_default()
}

fn segment(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}
