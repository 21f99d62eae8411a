//! Public keys whose private halves are published in this repository: the conformance
//! suite's identity provider signs callers with them, and so can anyone who follows "Try it
//! locally" in docs/production.md. A production server that trusted one would let anyone
//! in, so it refuses a JWKS holding any of them unless `TRY_PRODUCTION_LOCALLY` is set.
//!
//! A key is known by its public material (RSA `n`, EC `x` and `y`, OKP `x`), never by its
//! `kid`, which anyone may rename. `token_core`'s tests check that this list names every
//! public key under `conformance/keys`.

use serde_json::Value;

/// The published keys: the JWK's `kty` and its public material, as in the JWK.
const PUBLISHED: [(&str, &str); 4] = [
    (
        "RSA",
        "22YNnKxKyHoYYzTgZTXQjEMsi7cwwIoMGTW_lBtoohlngR3JHkQqeJP--gz203b9TIStvKZYi_8BHMJpfOeJXJ8pNKymmKCuILVEQDgnJrFTI2slbWZAb9-6N08436YQIAKNfYlgqvDDHtuYktlw5x8Pg0lLbK3aeTdCGrQaNb8uVNqShax5wTJulYaueCdxttGfBHhWqBl0tFAb_48SOr5BWGPQugteTQk_AqjvLMLddgLOhT9ZOTM98ZmqbI5qillfamFfjMqjpG0I6a7BKlu8Kjf74EFJmAFxO4bBkEDJ0P9xoZjYXxbJ7ZMwDVemjBBhB2VZO3zsO7GzLE5CAQ",
    ),
    (
        "EC",
        "E4Ze-CAKMNotGGZOJJZySjn_vRGvZ97hicHkyd1z-6o.Y5F0ncQHJJz82vQD47J_6hxlFA3Vu3xg4fpx6SBBxqo",
    ),
    (
        "EC",
        "-toQVP2vlwf_X9AMmJJ5hm6E7WQFexYX6b-gk_EUJL0.hdZrClCZ-eynh9OMkmINPzIkA_gMxjFEBT6u5zMifeI",
    ),
    ("OKP", "x-IL1xYJLU2Qk-_labEMR2iISiBmnekeoyW_a2iZcJI"),
];

/// Whether a JWK is one of the published keys.
pub fn is_published(jwk: &Value) -> bool {
    material(jwk).is_some_and(|(kty, material)| {
        PUBLISHED
            .iter()
            .any(|(known_kty, known)| *known_kty == kty && *known == material)
    })
}

/// A JWK's type and public material, as [`PUBLISHED`] writes them.
fn material(jwk: &Value) -> Option<(&str, String)> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    // Base64url may be padded or not; the material compared is the unpadded form.
    let unpadded = |value: &str| value.trim_end_matches('=').to_owned();
    let kty = field("kty")?;
    let material = match kty {
        "RSA" => unpadded(field("n")?),
        "EC" => format!("{}.{}", unpadded(field("x")?), unpadded(field("y")?)),
        "OKP" => unpadded(field("x")?),
        _ => return None,
    };
    Some((kty, material))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every public key in the suite's keys folder, found by reading it, is known.
    #[test]
    fn every_public_key_in_the_repository_is_listed() {
        let mut seen = 0;
        for entry in std::fs::read_dir(test_keys::KEYS_DIR).expect("the test keys' folder") {
            let path = entry.expect("an entry").path();
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let document: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("readable"))
                    .expect("JSON");
            let jwks = match document.get("keys").and_then(Value::as_array) {
                Some(keys) => keys.clone(),
                None => vec![document],
            };
            for jwk in jwks {
                assert!(
                    is_published(&jwk),
                    "{} holds an unlisted key: {jwk}",
                    path.display()
                );
                seen += 1;
            }
        }
        assert_eq!(
            seen,
            PUBLISHED.len(),
            "a listed key is no longer in the repository"
        );
    }

    #[test]
    fn other_keys_and_other_shapes_are_not_published() {
        for jwk in [
            serde_json::json!({"kty": "OKP", "x": "AAAA"}),
            serde_json::json!({"kty": "RSA"}),
            serde_json::json!({"kty": "oct", "k": "x-IL1xYJLU2Qk-_labEMR2iISiBmnekeoyW_a2iZcJI"}),
            serde_json::json!("x-IL1xYJLU2Qk-_labEMR2iISiBmnekeoyW_a2iZcJI"),
        ] {
            assert!(!is_published(&jwk), "{jwk}");
        }
        let padded =
            serde_json::json!({"kty": "OKP", "x": "x-IL1xYJLU2Qk-_labEMR2iISiBmnekeoyW_a2iZcJI="});
        assert!(is_published(&padded));
    }
}
