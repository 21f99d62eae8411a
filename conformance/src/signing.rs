//! Signing webhooks as LiveKit does, correctly or with one deliberate flaw.
//!
//! LiveKit puts a raw HS256 JWT in `Authorization`: `iss` = API key, valid five minutes,
//! `sha256` = standard padded base64 of the SHA-256 of the exact body. The suite signs
//! valid webhooks two ways, with its own code and with LiveKit's SDK, which must agree.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use livekit_api::access_token::AccessToken;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::case::{Flaw, Signer, WebhookAuth};
use crate::clock::unix_now;
use crate::error::SigningError;
use crate::server_under_test::ServerUnderTest;

/// How long LiveKit's webhook tokens live.
pub const WEBHOOK_TTL: Duration = Duration::from_secs(300);

/// The standard, padded base64 SHA-256 of `body`, as in the `sha256` claim.
pub fn body_hash(body: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(body))
}

/// The body to send and the `Authorization` header (if any) for a webhook case.
pub fn webhook_request(
    server: &ServerUnderTest,
    event: &[u8],
    auth: WebhookAuth,
    pad_to: usize,
) -> Result<(Vec<u8>, Option<String>), SigningError> {
    let mut body = event.to_vec();
    if body.len() < pad_to {
        body.resize(pad_to, b' ');
    }
    let header = match auth {
        WebhookAuth::Missing => None,
        WebhookAuth::Literal(value) => Some(value.to_owned()),
        WebhookAuth::Signed { signer, flaw } => {
            if flaw == Flaw::UrlSafeHash {
                // Only a hash with `+` or `/` differs between the two alphabets: pad the
                // body with JSON whitespace until its hash has one.
                while !body_hash(&body).contains(['+', '/']) {
                    body.push(b' ');
                }
            }
            Some(sign(server, signer, flaw, &body)?)
        }
    };
    Ok((body, header))
}

/// An `Authorization` value for `body`, made by `signer` with `flaw`.
pub fn sign(
    server: &ServerUnderTest,
    signer: Signer,
    flaw: Flaw,
    body: &[u8],
) -> Result<String, SigningError> {
    let digest = Sha256::digest(body);
    let hash = match flaw {
        Flaw::HashOf(other) => Some(body_hash(other)),
        Flaw::UrlSafeHash => Some(URL_SAFE.encode(digest)),
        Flaw::UnpaddedHash => Some(STANDARD.encode(digest).trim_end_matches('=').to_owned()),
        Flaw::NoHash | Flaw::JoinToken => None,
        _ => Some(STANDARD.encode(digest)),
    };
    let key = match flaw {
        Flaw::WrongKey => "APIsomeoneelse",
        _ => server.api_key.as_str(),
    };
    let secret = match flaw {
        Flaw::WrongSecret => "not-the-secret-0123456789abcdefghij",
        _ => server.api_secret.as_str(),
    };
    let token = match signer {
        Signer::Suite => suite_token(key, secret, flaw, hash.as_deref())?,
        Signer::LiveKit => livekit_token(key, secret, flaw, hash.as_deref())?,
    };
    Ok(match flaw {
        Flaw::BearerPrefix => format!("Bearer {token}"),
        _ => token,
    })
}

fn suite_token(
    key: &str,
    secret: &str,
    flaw: Flaw,
    hash: Option<&str>,
) -> Result<String, SigningError> {
    let now = unix_now();
    let (nbf, exp) = match flaw {
        Flaw::Expired => (now - 420, now - 120),
        _ => (now, now.saturating_add_unsigned(WEBHOOK_TTL.as_secs())),
    };
    let mut claims = json!({"iss": key, "nbf": nbf, "exp": exp});
    if flaw == Flaw::NoExpiry
        && let Some(claims) = claims.as_object_mut()
    {
        claims.remove("exp");
    }
    if let Some(hash) = hash {
        claims["sha256"] = Value::from(hash);
    }
    if flaw == Flaw::JoinToken {
        claims["sub"] = Value::from("alice");
        claims["video"] = json!({"roomJoin": true, "room": "room1"});
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(SigningError::Suite)
}

fn livekit_token(
    key: &str,
    secret: &str,
    flaw: Flaw,
    hash: Option<&str>,
) -> Result<String, SigningError> {
    let mut token = AccessToken::with_api_key(key, secret).with_ttl(WEBHOOK_TTL);
    match flaw {
        Flaw::Expired => return Err(SigningError::ExpiredByLiveKit),
        Flaw::NoExpiry => return Err(SigningError::WithoutExpiryByLiveKit),
        Flaw::JoinToken => {
            token =
                token
                    .with_identity("alice")
                    .with_grants(livekit_api::access_token::VideoGrants {
                        room_join: true,
                        room: "room1".into(),
                        ..Default::default()
                    });
        }
        _ => {}
    }
    if let Some(hash) = hash {
        token = token.with_sha256(hash);
    }
    token.to_jwt().map_err(SigningError::LiveKit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::TokenVerifier;
    use livekit_api::webhooks::WebhookReceiver;

    const EVENT: &str = r#"{"event":"room_started","room":{"sid":"RM_x","name":"room1"},"id":"EV_1","createdAt":"1700000001"}"#;

    fn server() -> ServerUnderTest {
        ServerUnderTest::new("http://127.0.0.1:1")
            .with_credentials("APIsigning", "signing-secret-0123456789abcdefghij")
    }

    fn official_receiver() -> WebhookReceiver {
        WebhookReceiver::new(TokenVerifier::with_api_key(
            "APIsigning",
            "signing-secret-0123456789abcdefghij",
        ))
    }

    #[test]
    fn both_signers_make_tokens_livekit_accepts() {
        for signer in [Signer::Suite, Signer::LiveKit] {
            let token = sign(&server(), signer, Flaw::None, EVENT.as_bytes()).expect("sign");
            let event = official_receiver().receive(EVENT, &token);
            assert!(event.is_ok(), "{signer:?}: {event:?}");
        }
    }

    #[test]
    fn livekit_rejects_every_flaw() {
        for flaw in [
            Flaw::BearerPrefix,
            Flaw::WrongSecret,
            Flaw::WrongKey,
            Flaw::HashOf(b"{}"),
            Flaw::Expired,
            Flaw::NoExpiry,
            Flaw::NoHash,
            Flaw::UnpaddedHash,
            Flaw::JoinToken,
        ] {
            let token = sign(&server(), Signer::Suite, flaw, EVENT.as_bytes()).expect("sign");
            assert!(
                official_receiver().receive(EVENT, &token).is_err(),
                "{flaw:?}"
            );
        }
        let (body, header) = webhook_request(
            &server(),
            EVENT.as_bytes(),
            WebhookAuth::Signed {
                signer: Signer::Suite,
                flaw: Flaw::UrlSafeHash,
            },
            0,
        )
        .expect("sign");
        let body = String::from_utf8(body).expect("UTF-8");
        let header = header.expect("a header");
        assert!(official_receiver().receive(&body, &header).is_err());
    }

    #[test]
    fn padding_keeps_the_body_json() {
        let (body, _) =
            webhook_request(&server(), EVENT.as_bytes(), WebhookAuth::Missing, 4096).expect("ok");
        assert_eq!(body.len(), 4096);
        assert!(serde_json::from_slice::<Value>(&body).is_ok());
    }
}
