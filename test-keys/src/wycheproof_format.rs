//! JSON Web Signature vectors in Project Wycheproof's file format (`testGroups` of type
//! `JsonWebSignature`, each with its `public` JWK and `tests` of `tcId`, `comment`, `jws`,
//! `result`), made with the test keys, for the tests of the suite's `--wycheproof`. Wycheproof's
//! own file is in no registry this repository builds from, so the tests use these: like
//! Wycheproof's, every payload is `foo`, and each invalid vector is one of its attack classes.
//! The file also holds what the suite must leave out: valid vectors, a vector no header can
//! carry, a group with only a shared secret, and a group whose algorithm callers do not use.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::{ED25519_PKCS8_DER, JWKS, P256_PKCS8_DER};

/// The `kid` of the vectors' P-256 key (the test key's material).
pub const ES256_KID: &str = "wycheproof-format-es256";
/// The `kid` of the vectors' Ed25519 key (the test key's material).
pub const EDDSA_KID: &str = "wycheproof-format-eddsa";

/// The `tcId`s the suite must send, in order: the invalid vectors under the ES256 and EdDSA
/// keys that a header can carry.
pub const SENT: [u64; 11] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14];

/// The payload of every vector, as Wycheproof's: `foo`.
const PAYLOAD: &str = "Zm9v";

/// The whole file, as text.
pub fn file() -> String {
    let p256 = jwk("p256-1", ES256_KID);
    let ed25519 = jwk("ed25519-1", EDDSA_KID);
    let mut rs384 = jwk("rsa-1", "wycheproof-format-rs384");
    rs384["alg"] = json!("RS384");

    let es256 = EncodingKey::from_ec_der(P256_PKCS8_DER);
    let header = segment(&json!({"alg": "ES256", "kid": ES256_KID}));
    let signature = sign(&header, PAYLOAD, &es256, Algorithm::ES256);
    let signed = format!("{header}.{PAYLOAD}.{signature}");
    let none = segment(&json!({"alg": "none", "kid": ES256_KID}));
    // HS256 under the EC key's `kid`, keyed with the public key's bytes as a shared secret.
    let hs256 = segment(&json!({"alg": "HS256", "kid": ES256_KID}));
    let public_bytes = p256["x"].as_str().unwrap_or_default().as_bytes().to_vec();
    let confused = sign(
        &hs256,
        PAYLOAD,
        &EncodingKey::from_secret(&public_bytes),
        Algorithm::HS256,
    );
    // An attacker's key embedded in a `jwk` header, under the group's `kid`.
    let ed = EncodingKey::from_ed_der(ED25519_PKCS8_DER);
    let embedded = segment(&json!({"alg": "EdDSA", "kid": ES256_KID, "jwk": ed25519}));
    let embedded_signature = sign(&embedded, PAYLOAD, &ed, Algorithm::EdDSA);
    let json_serialization = json!({
        "payload": PAYLOAD,
        "signatures": [{"protected": header, "signature": signature}],
    });

    let eddsa_header = segment(&json!({"alg": "EdDSA", "kid": EDDSA_KID}));
    let eddsa_signature = sign(&eddsa_header, PAYLOAD, &ed, Algorithm::EdDSA);

    json!({
        "algorithm": "JSON Web Signature",
        "numberOfTests": 16,
        "header": ["Made with this repository's test keys, in Wycheproof's format."],
        "testGroups": [
            {
                "type": "JsonWebSignature",
                "comment": "es256",
                "public": p256,
                "tests": [
                    test(1, "acceptsValid", &signed, "valid"),
                    test(2, "rejectsModifiedSignature", &format!("{header}.{PAYLOAD}.{}", modified(&signature)), "invalid"),
                    test(3, "rejectsMissingSignature", &format!("{header}.{PAYLOAD}."), "invalid"),
                    test(4, "rejectsMissingSignatureAndSeparator", &format!("{header}.{PAYLOAD}"), "invalid"),
                    test(5, "rejectsModifiedPayload", &format!("{header}.WG9v.{signature}"), "invalid"),
                    test(6, "rejectsNoneAlgorithmAndMissingSignature", &format!("{none}.{PAYLOAD}."), "invalid"),
                    test(7, "rejectsExtraComponent", &format!("{signed}.foo"), "invalid"),
                    test(8, "rejectsSymmetryConfusionAttacks", &format!("{hs256}.{PAYLOAD}.{confused}"), "invalid"),
                    test(9, "rejectsEmptyString", "", "invalid"),
                    test(10, "rejectsValidJsonSerialization", &json_serialization.to_string(), "invalid"),
                    test(11, "rejectsAttackerProvidedEmbeddedJwk", &format!("{embedded}.{PAYLOAD}.{embedded_signature}"), "invalid"),
                    test(12, "rejectsLineBreak", &format!("{header}.\n{PAYLOAD}.{signature}"), "invalid"),
                ],
            },
            {
                "type": "JsonWebSignature",
                "comment": "eddsa",
                "public": ed25519,
                "tests": [
                    test(13, "acceptsValid", &format!("{eddsa_header}.{PAYLOAD}.{eddsa_signature}"), "valid"),
                    test(14, "rejectsModifiedSignature", &format!("{eddsa_header}.{PAYLOAD}.{}", modified(&eddsa_signature)), "invalid"),
                ],
            },
            {
                "type": "JsonWebSignature",
                "comment": "hs256",
                "private": {"kty": "oct", "kid": "wycheproof-format-hs256", "alg": "HS256", "k": "c2VjcmV0"},
                "tests": [test(15, "rejectsModifiedSignature", &format!("{hs256}.{PAYLOAD}.AAAA"), "invalid")],
            },
            {
                "type": "JsonWebSignature",
                "comment": "rs384",
                "public": rs384,
                "tests": [test(16, "rejectsMissingSignature", "e30.Zm9v.", "invalid")],
            },
        ],
    })
    .to_string()
}

/// The test JWKS's key `kid`, renamed `as_kid`.
fn jwk(kid: &str, as_kid: &str) -> Value {
    let jwks: Value = serde_json::from_str(JWKS).expect("the test JWKS is JSON");
    let mut key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|key| key["kid"] == kid))
        .cloned()
        .expect("the test JWKS holds the key");
    key["kid"] = json!(as_kid);
    key
}

fn test(tc_id: u64, comment: &str, jws: &str, result: &str) -> Value {
    json!({"tcId": tc_id, "comment": comment, "jws": jws, "result": result, "flags": []})
}

fn segment(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

fn sign(header: &str, payload: &str, key: &EncodingKey, alg: Algorithm) -> String {
    jsonwebtoken::crypto::sign(format!("{header}.{payload}").as_bytes(), key, alg)
        .expect("a test key signs")
}

/// `signature` with its first character changed.
fn modified(signature: &str) -> String {
    let replacement = if signature.starts_with('A') { "B" } else { "A" };
    format!("{replacement}{}", &signature[1..])
}
