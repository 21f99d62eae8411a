//! Project Wycheproof's JSON Web Signature vectors (C2SP, `testvectors_v1/
//! json_web_signature_test.json`), read from the file `--wycheproof` names. The suite does not
//! carry them: no package registry it is built from has them, so the user brings the file from
//! a checkout of the Wycheproof repository.
//!
//! Only the `invalid` vectors are usable. Every vector's payload is the bytes `foo`, not JWT
//! claims, so even a `valid` one names no caller, and a server refuses it at the claims if
//! not at the signature: the vectors show a server that admits a token it could not have
//! verified, not one that merely skips a step. A group's vectors are used when its public key
//! is one callers may sign with under the allow-list the production cases assume (RS256,
//! ES256, EdDSA); the identity provider then publishes that key in its JWKS under the group's
//! `kid`, unless the `kid` is one of the suite's own. Vectors an HTTP header cannot carry are
//! left out.

use std::collections::BTreeSet;

use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::Value;

use super::keys::{CallerKey, suite_kids};

/// The usable vectors of one file, and the public keys they are checked under.
#[derive(Debug, Clone, PartialEq)]
pub struct JwsVectors {
    keys: Vec<Value>,
    vectors: Vec<JwsVector>,
}

/// One invalid vector: a JWS no server may admit as a caller's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsVector {
    /// The vector's `tcId`, unique in its file.
    pub tc_id: u64,
    /// What the vector does wrong, in Wycheproof's words (`rejectsModifiedSignature`).
    pub comment: String,
    /// The JWS, as sent after `Bearer `.
    pub jws: String,
}

/// Why a file is no set of usable JSON Web Signature vectors.
#[derive(Debug, thiserror::Error)]
pub enum VectorsError {
    /// Not JSON of Wycheproof's test-vector shape.
    #[error("not Wycheproof's test vectors: {0}")]
    Shape(#[from] serde_json::Error),
    /// A group of another type: another file of Wycheproof's.
    #[error("test group {index} is of type {kind:?}, not JsonWebSignature")]
    OtherType {
        /// The group's place in the file, from 0.
        index: usize,
        /// Its `type`.
        kind: String,
    },
    /// Nothing usable: no invalid vector under a key callers may sign with.
    #[error("no invalid vector under an RS256, ES256 or EdDSA key")]
    NoneUsable,
}

/// A test-vector file, as far as the suite reads it.
#[derive(Deserialize)]
struct File {
    #[serde(rename = "testGroups")]
    test_groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(rename = "type")]
    kind: String,
    /// Read only once the group is known to be of signatures.
    #[serde(default)]
    public: Option<Value>,
    tests: Vec<Value>,
}

#[derive(Deserialize)]
struct Test {
    #[serde(rename = "tcId")]
    tc_id: u64,
    #[serde(default)]
    comment: String,
    jws: String,
    result: String,
}

impl JwsVectors {
    /// The usable vectors of a Wycheproof JSON Web Signature file's text.
    pub fn parse(text: &str) -> Result<Self, VectorsError> {
        let file: File = serde_json::from_str(text)?;
        let reserved = suite_kids();
        let mut kids = BTreeSet::new();
        let mut keys = Vec::new();
        let mut vectors = Vec::new();
        for (index, group) in file.test_groups.into_iter().enumerate() {
            if group.kind != "JsonWebSignature" {
                return Err(VectorsError::OtherType {
                    index,
                    kind: group.kind,
                });
            }
            let Some((kid, public)) = group.public.as_ref().and_then(callers_key) else {
                continue;
            };
            if reserved.contains(kid) {
                continue;
            }
            // The first key under a `kid` is published; a later group's vectors under the same
            // `kid` are still sent, and must be refused all the same.
            if kids.insert(kid.to_owned()) {
                keys.push(public.clone());
            }
            for test in group.tests {
                let test: Test = serde_json::from_value(test)?;
                if test.result == "invalid" && header_safe(&test.jws) {
                    vectors.push(JwsVector {
                        tc_id: test.tc_id,
                        comment: test.comment,
                        jws: test.jws,
                    });
                }
            }
        }
        if vectors.is_empty() {
            return Err(VectorsError::NoneUsable);
        }
        Ok(Self { keys, vectors })
    }

    /// The public keys to publish, one per `kid`.
    pub fn keys(&self) -> &[Value] {
        &self.keys
    }

    /// The invalid vectors to send, in the file's order.
    pub fn vectors(&self) -> &[JwsVector] {
        &self.vectors
    }
}

/// A group's public key and its `kid`, when callers may sign with its algorithm.
fn callers_key(public: &Value) -> Option<(&str, &Value)> {
    let kid = public.get("kid")?.as_str()?;
    let alg: Algorithm = serde_json::from_value(public.get("alg")?.clone()).ok()?;
    CallerKey::PUBLISHED
        .iter()
        .any(|key| key.algorithm() == alg)
        .then_some((kid, public))
}

/// Whether an `Authorization` header can carry `Bearer {jws}`: visible ASCII and spaces.
fn header_safe(jws: &str) -> bool {
    jws.bytes().all(|byte| (b' '..=b'~').contains(&byte))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn group(kind: &str, public: Value, tests: Value) -> Value {
        json!({"type": kind, "public": public, "tests": tests})
    }

    fn test(tc_id: u64, result: &str, jws: &str) -> Value {
        json!({"tcId": tc_id, "comment": format!("case {tc_id}"), "jws": jws, "result": result, "flags": []})
    }

    fn key(alg: &str, kid: &str) -> Value {
        json!({"kty": "EC", "alg": alg, "kid": kid, "crv": "P-256", "x": "x", "y": "y"})
    }

    fn parse(groups: Value) -> Result<JwsVectors, VectorsError> {
        JwsVectors::parse(&json!({"numberOfTests": 0, "testGroups": groups}).to_string())
    }

    #[test]
    fn only_invalid_vectors_under_keys_callers_may_use_are_taken() {
        let vectors = parse(json!([
            group(
                "JsonWebSignature",
                key("ES256", "kid-ec"),
                json!([
                    test(1, "valid", "a.b.c"),
                    test(2, "invalid", "a.b.d"),
                    test(3, "acceptable", "a.b.e"),
                    test(4, "invalid", "line\nbreak"),
                    test(5, "invalid", ""),
                ])
            ),
            // HS256: a shared secret, no public key, and never a caller's algorithm.
            json!({"type": "JsonWebSignature", "private": {"kty": "oct", "k": "c2VjcmV0"}, "tests": [test(6, "invalid", "x")]}),
            group("JsonWebSignature", key("ES384", "kid-384"), json!([test(7, "invalid", "y")])),
            group("JsonWebSignature", key("ES256", "p256-1"), json!([test(8, "invalid", "z")])),
            group("JsonWebSignature", json!({"alg": "EdDSA"}), json!([test(9, "invalid", "w")])),
            group("JsonWebSignature", key("ES256", "kid-ec"), json!([test(10, "invalid", "v")])),
        ]))
        .expect("usable vectors");
        let taken: Vec<_> = vectors.vectors().iter().map(|v| v.tc_id).collect();
        assert_eq!(taken, [2, 5, 10]);
        assert_eq!(vectors.keys(), [key("ES256", "kid-ec")]);
        assert_eq!(vectors.vectors()[0].comment, "case 2");
    }

    #[test]
    fn a_file_of_other_vectors_or_none_usable_is_refused_saying_why() {
        let other = parse(json!([group("JsonWebKey", key("ES256", "k"), json!([]))]));
        assert_eq!(
            other.expect_err("another type").to_string(),
            "test group 0 is of type \"JsonWebKey\", not JsonWebSignature"
        );
        let none = parse(json!([group(
            "JsonWebSignature",
            key("ES256", "k"),
            json!([test(1, "valid", "a.b.c")])
        )]));
        assert!(matches!(none, Err(VectorsError::NoneUsable)));
        let not_json = JwsVectors::parse("{\"testGroups\": 3}").expect_err("a shape error");
        assert!(
            not_json
                .to_string()
                .starts_with("not Wycheproof's test vectors")
        );
    }

    proptest! {
        /// Any text is either refused with a reason or gives only invalid, header-safe vectors
        /// and keys of callers' algorithms: reading never panics.
        #[test]
        fn any_text_parses_or_is_refused(text in any::<String>()) {
            check(JwsVectors::parse(&text));
        }

        /// The same over structured input close to the real shape, where most of it parses.
        #[test]
        fn any_file_of_groups_parses_or_is_refused(
            groups in prop::collection::vec(
                (
                    prop::sample::select(vec!["JsonWebSignature", "JsonWebKey"]),
                    prop::sample::select(vec!["RS256", "ES256", "EdDSA", "HS256", "none", "PS256"]),
                    prop::sample::select(vec!["kid-a", "kid-b", "p256-1", "attacker"]),
                    prop::collection::vec(
                        (any::<u64>(), prop::sample::select(vec!["valid", "invalid", "acceptable"]), ".{0,12}"),
                        0..4,
                    ),
                ),
                0..4,
            )
        ) {
            let groups: Vec<Value> = groups
                .into_iter()
                .map(|(kind, alg, kid, tests)| {
                    let tests: Vec<Value> = tests
                        .into_iter()
                        .map(|(tc_id, result, jws)| test(tc_id, result, &jws))
                        .collect();
                    group(kind, key(alg, kid), Value::from(tests))
                })
                .collect();
            check(parse(Value::from(groups)));
        }
    }

    fn check(parsed: Result<JwsVectors, VectorsError>) {
        let Ok(vectors) = parsed else { return };
        assert!(!vectors.vectors().is_empty());
        assert!(vectors.vectors().iter().all(|v| header_safe(&v.jws)));
        let reserved = suite_kids();
        for key in vectors.keys() {
            let (kid, _) = callers_key(key).expect("a caller's key");
            assert!(!reserved.contains(kid));
        }
    }
}
