//! A keyed hash of names a server must tell apart without keeping them: room and participant
//! names in logs ([`crate::operations::log_names`]), callers' identities in the rate limits'
//! keys ([`crate::operations::client_key`]). HMAC-SHA-256 under a key derived from the API
//! secret and a purpose: replicas that share the secret agree, nobody without it can test a
//! guess, and no hash is ever computed with the signing secret itself.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// HMAC-SHA-256 under a key of its own purpose.
#[derive(Clone)]
pub struct KeyedHash {
    key: [u8; 32],
}

impl KeyedHash {
    /// The hash for `purpose` (a fixed text naming it), keyed by `secret`.
    pub fn new(purpose: &str, secret: &str) -> Self {
        Self {
            key: Sha256::new()
                .chain_update(purpose.as_bytes())
                .chain_update(b"\0")
                .chain_update(secret.as_bytes())
                .finalize()
                .into(),
        }
    }

    /// The hash of `value`.
    pub fn of(&self, value: &str) -> [u8; 32] {
        // HMAC takes keys of any length: this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(value.as_bytes());
                mac.finalize().into_bytes().into()
            }
            Err(_) => [0; 32],
        }
    }
}

impl std::fmt::Debug for KeyedHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHash(***)")
    }
}
