//! The catalogue: every case of every profile, by ID, and the digest of their data that a
//! report states as its case set, so a report says exactly what judged the server
//! (web-platform-tests records its revision the same way).

use sha2::{Digest, Sha256};

/// `sha256:` and the first 16 hex digits of a SHA-256 over every case of every profile (the
/// HTTP cases, the production profile's, the browser checks), each as its full data: it
/// changes whenever a case is added, removed or changes what it sends or expects.
pub fn case_set_digest() -> String {
    let mut hash = Sha256::new();
    for case in crate::cases::CASES {
        hash.update(format!("{case:?}\n"));
    }
    for case in crate::production::caller_cases() {
        hash.update(format!("{case:?}\n"));
    }
    for check in crate::browser::CHECKS {
        hash.update(format!("{check:?}\n"));
    }
    hash.update(format!(
        "{:?}\n",
        (crate::replicas::ID, crate::replicas::REQUIREMENT)
    ));
    let digest = hash.finalize();
    let hex: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// The ID of every case of every profile: the HTTP cases, the production profile's, the
/// browser checks and the check across replicas.
pub fn case_ids() -> impl Iterator<Item = &'static str> {
    crate::cases::CASES
        .iter()
        .map(|case| case.id)
        .chain(crate::production::caller_cases().map(|case| case.id))
        .chain(crate::browser::CHECKS.iter().map(|(id, _)| *id))
        .chain(std::iter::once(crate::replicas::ID))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_stable_and_short() {
        let digest = case_set_digest();
        assert_eq!(digest, case_set_digest());
        assert_eq!(digest.len(), "sha256:".len() + 16, "{digest}");
        assert!(
            digest["sha256:".len()..]
                .chars()
                .all(|c| c.is_ascii_hexdigit())
        );
    }
}
