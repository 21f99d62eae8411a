//! A stated [`Credential`] made concrete: the token the suite's identity provider signs or
//! forges, and where the request carries it (a header, a cookie, the query string).

use serde_json::json;

use super::TOO_LONG;
use super::case::Credential;
use crate::clock::unix_now;
use crate::identity_provider::{ASSUMED_LEEWAY_SECONDS, CALLER, CallerKey, IdentityProvider};

/// How a request presents a credential.
#[derive(Debug, Default)]
pub(super) struct Presented {
    /// Appended to the path (`?access_token=...`), if anything.
    pub(super) query: String,
    /// The header carrying it, if any.
    pub(super) header: Option<(&'static str, String)>,
}

/// The identity claim over LiveKit's limit.
pub(super) fn long_identity() -> String {
    "i".repeat(TOO_LONG)
}

/// The room name over LiveKit's limit.
pub(super) fn long_room() -> String {
    "r".repeat(TOO_LONG)
}

/// How `credential` is presented, with tokens from `provider`.
pub(super) fn present(provider: &IdentityProvider, credential: Credential) -> Presented {
    let authorization = |value: String| Presented {
        query: String::new(),
        header: Some(("authorization", value)),
    };
    let valid = || provider.token(CallerKey::P256, CALLER, &json!({}));
    match credential {
        Credential::Missing => Presented::default(),
        Credential::Basic => authorization("Basic YWxpY2U6cGFzc3dvcmQ=".to_owned()),
        Credential::Valid(key) => authorization(provider.bearer(key)),
        Credential::WithinLeeway { not_before } => {
            let now = unix_now();
            let extra = if not_before {
                json!({"nbf": now + ASSUMED_LEEWAY_SECONDS - 5})
            } else {
                json!({"exp": now - ASSUMED_LEEWAY_SECONDS + 5})
            };
            let token = provider.token(CallerKey::Ed25519, CALLER, &extra);
            authorization(format!("Bearer {token}"))
        }
        Credential::LongIdentity => {
            let token = provider.token(CallerKey::P256, &long_identity(), &json!({}));
            authorization(format!("Bearer {token}"))
        }
        Credential::Forged(forgery) => {
            authorization(format!("Bearer {}", provider.forged(forgery)))
        }
        Credential::InQuery => Presented {
            query: format!("?access_token={}", valid()),
            header: None,
        },
        Credential::InCookie => Presented {
            query: String::new(),
            header: Some(("cookie", format!("access_token={}", valid()))),
        },
    }
}
