//! The key a client is counted under: an IPv4 address, an IPv6 /64 (one host holds a whole
//! /64), or in production an authenticated caller by a keyed hash of its identity, so no
//! identity is kept, in memory or in a shared store. Its `Display` is its name in a shared
//! store: the same on every replica that shares the API secret.

use std::fmt;
use std::net::IpAddr;

use crate::operations::keyed_hash::KeyedHash;

/// Bytes of a caller's keyed hash kept: 128 bits, no collision in any real deployment.
const CALLER_HASH_BYTES: usize = 16;

/// The key a client is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// An IPv4 address.
    V4(u32),
    /// The /64 prefix of an IPv6 address.
    V6(u64),
    /// An authenticated caller, by a keyed hash of its identity.
    Caller([u8; CALLER_HASH_BYTES]),
}

impl ClientKey {
    /// The key of a client address; an IPv4-mapped IPv6 address is its IPv4 one.
    pub fn of(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V4(v4) => Self::V4(u32::from(v4)),
            IpAddr::V6(v6) => Self::V6((u128::from(v6) >> 64) as u64),
        }
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(address) => write!(f, "v4:{address:08x}"),
            Self::V6(prefix) => write!(f, "v6:{prefix:016x}"),
            Self::Caller(hash) => {
                f.write_str("caller:")?;
                hash.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
            }
        }
    }
}

/// Turns callers' identities into keys, keyed by the API secret.
#[derive(Debug, Clone)]
pub struct CallerKeys {
    hash: KeyedHash,
}

impl CallerKeys {
    /// Keys under `secret` (the API secret every replica shares).
    pub fn new(secret: &str) -> Self {
        Self {
            hash: KeyedHash::new("livekit-token-server rate limits", secret),
        }
    }

    /// The key of the caller `identity`.
    pub fn of(&self, identity: &str) -> ClientKey {
        let mut kept = [0; CALLER_HASH_BYTES];
        kept.copy_from_slice(&self.hash.of(identity)[..CALLER_HASH_BYTES]);
        ClientKey::Caller(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_are_fixed_width_and_never_the_identity() {
        let address = |text: &str| ClientKey::of(text.parse().expect("an address"));
        assert_eq!(address("203.0.113.9").to_string(), "v4:cb007109");
        assert_eq!(address("::ffff:203.0.113.9").to_string(), "v4:cb007109");
        assert_eq!(
            address("2001:db8:1:2::77").to_string(),
            "v6:20010db800010002"
        );
        let callers = CallerKeys::new("a-secret-of-at-least-32-bytes-0123456789");
        let alice = callers.of("alice@example.com").to_string();
        assert!(
            alice.starts_with("caller:") && alice.len() == 7 + 32,
            "{alice}"
        );
        assert!(!alice.contains("alice"));
        assert_eq!(callers.of("alice@example.com").to_string(), alice, "stable");
        assert_ne!(callers.of("bob@example.com").to_string(), alice);
        let other = CallerKeys::new("another-secret-of-at-least-32-bytes-01234");
        assert_ne!(other.of("alice@example.com").to_string(), alice, "keyed");
    }
}
