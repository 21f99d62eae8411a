//! Receiving LiveKit webhooks, verified exactly as LiveKit's own receivers verify them.
//!
//! LiveKit signs each event with an HS256 JWT in the raw `Authorization` header (no
//! `Bearer`): `iss` is the API key, the token lives five minutes, and its `sha256` claim is
//! the standard, padded base64 of the SHA-256 of the exact body bytes. The token is checked
//! first, from the head alone ([`WebhookVerifier::verify_token`]), so a forger's body is
//! never read; then the body is hashed as received, before any JSON parsing, and compared in
//! constant time ([`VouchedHash::receive`]).
//!
//! With several API keys ([`Credentials`]), the event is verified with the secret of the key
//! its `iss` names, as LiveKit's own receivers do with a key provider.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::contract::ContractError;
use crate::livekit::keys::ApiSecret;
use crate::livekit::keys::Credentials;
use crate::operations::log_names::LogNames;

/// Clock skew LiveKit's verifiers allow on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 60;

/// Checks webhook signatures for every API key; built once per process.
pub struct WebhookVerifier {
    signing: KeyVerifier,
    others: BTreeMap<String, KeyVerifier>,
}

/// What verifies the events one API key signs.
struct KeyVerifier {
    key: DecodingKey,
    validation: Validation,
}

#[derive(Deserialize)]
struct WebhookClaims {
    sha256: Option<String>,
}

/// The one claim read before the signature is checked: which key's secret checks it.
#[derive(Deserialize)]
struct Issuer {
    iss: Option<String>,
}

/// The fields of LiveKit's `WebhookEvent` this server uses; the rest is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// `event`, e.g. `participant_joined`.
    pub event: String,
    /// `id`, e.g. `EV_3bxUTa5mS3Sv`.
    pub id: Option<String>,
    /// `room.name`.
    pub room: Option<String>,
    /// `participant.identity`.
    pub participant: Option<String>,
}

impl WebhookVerifier {
    /// A verifier for webhooks signed with any of these keys.
    pub fn new(credentials: &Credentials) -> Self {
        let signing_key = credentials.signing_key();
        Self {
            signing: KeyVerifier::new(signing_key, credentials.signing_secret()),
            others: credentials
                .iter()
                .filter(|(api_key, _)| *api_key != signing_key)
                .map(|(api_key, secret)| (api_key.to_owned(), KeyVerifier::new(api_key, secret)))
                .collect(),
        }
    }

    /// The verifier of the key `token` names as its issuer; for an unknown or missing
    /// issuer the signing key's, whose checks then give the reason (a bad signature, or
    /// another issuer), as with a single key.
    fn for_token(&self, token: &str) -> &KeyVerifier {
        // With one key there is nothing to choose: no claim is read twice.
        if self.others.is_empty() {
            return &self.signing;
        }
        let issuer = jsonwebtoken::dangerous::insecure_decode::<Issuer>(token)
            .ok()
            .and_then(|data| data.claims.iss);
        issuer
            .and_then(|iss| self.others.get(&iss))
            .unwrap_or(&self.signing)
    }

    /// Verifies the `Authorization` header, then the raw body, then reads the event: the
    /// service's two steps in one, for tests.
    #[cfg(test)]
    pub fn receive(
        &self,
        authorization: Option<&[u8]>,
        body: &[u8],
    ) -> Result<WebhookEvent, ContractError> {
        self.verify_token(authorization)?.receive(body)
    }

    /// Verifies the `Authorization` header alone (signature, issuer, expiry, a body hash
    /// claimed), before any of the body is read.
    pub fn verify_token(&self, authorization: Option<&[u8]>) -> Result<VouchedHash, ContractError> {
        let token = authorization
            .filter(|value| !value.is_empty())
            .ok_or(ContractError::MissingAuthorization)?;
        let token = std::str::from_utf8(token)
            .map_err(|_| ContractError::InvalidAuthorization("not a JWT"))?;
        let verifier = self.for_token(token);
        let claims =
            jsonwebtoken::decode::<WebhookClaims>(token, &verifier.key, &verifier.validation)
                .map_err(|err| ContractError::InvalidAuthorization(reason(err.kind())))?
                .claims;
        claims
            .sha256
            .filter(|hash| !hash.is_empty())
            .map(VouchedHash)
            .ok_or(ContractError::MissingBodyHash)
    }
}

/// The body hash a verified webhook token vouches for.
#[derive(Debug)]
pub struct VouchedHash(String);

impl VouchedHash {
    /// Checks the body against the hash, then reads the event.
    pub fn receive(&self, body: &[u8]) -> Result<WebhookEvent, ContractError> {
        let actual = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body));
        if !bool::from(actual.as_bytes().ct_eq(self.0.as_bytes())) {
            return Err(ContractError::BodyHashMismatch);
        }
        WebhookEvent::parse(body).ok_or(ContractError::InvalidWebhookEvent)
    }
}

impl KeyVerifier {
    fn new(api_key: &str, api_secret: &ApiSecret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[api_key]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.leeway = LEEWAY_SECONDS;
        Self {
            key: DecodingKey::from_secret(api_secret.expose().as_bytes()),
            validation,
        }
    }
}

/// A short, secret-free reason for a rejected token.
fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not valid yet",
        ErrorKind::InvalidIssuer => "issued for another API key",
        ErrorKind::InvalidAlgorithm => "not HS256",
        ErrorKind::MissingRequiredClaim(_) => "a required claim (exp, iss) is missing",
        _ => "not a JWT",
    }
}

impl WebhookEvent {
    fn parse(body: &[u8]) -> Option<Self> {
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            event: text(fields.get("event"))?,
            id: text(fields.get("id")),
            room: text(fields.get("room").and_then(|room| room.get("name"))),
            participant: text(
                fields
                    .get("participant")
                    .and_then(|participant| participant.get("identity")),
            ),
        })
    }

    /// Logs the event in one line (never the token that carried it), names as `names` shows
    /// them.
    pub fn log(&self, names: &LogNames) {
        fn shown<'a>(names: &LogNames, name: Option<&'a str>) -> Cow<'a, str> {
            name.map_or(Cow::Borrowed("-"), |name| names.show(name))
        }
        tracing::info!(
            event = %self.event,
            id = self.id.as_deref().unwrap_or("-"),
            room = %shown(names, self.room.as_deref()),
            participant = %shown(names, self.participant.as_deref()),
            "webhook received"
        );
    }
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("other_keys", &self.others.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::AccessToken;
    use livekit_api::webhooks::WebhookReceiver;
    use std::time::Duration;

    const KEY: &str = "APIwebhooks";
    const SECRET: &str = "webhook-secret-of-at-least-32-bytes!";
    const BODY: &str = r#"{"event":"participant_joined","room":{"sid":"RM_1","name":"room1"},"participant":{"sid":"PA_1","identity":"alice","joinedAt":"1700000001"},"id":"EV_1","createdAt":"1700000001"}"#;

    fn verifier() -> WebhookVerifier {
        verifier_for(KEY, SECRET)
    }

    fn hash(body: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))
    }

    /// Signed by LiveKit's own SDK, as its server does.
    fn official(secret: &str, sha256: &str) -> String {
        AccessToken::with_api_key(KEY, secret)
            .with_ttl(Duration::from_secs(300))
            .with_sha256(sha256)
            .to_jwt()
            .expect("sign")
    }

    #[test]
    fn accepts_what_livekit_signs_and_reads_the_event() {
        let token = official(SECRET, &hash(BODY.as_bytes()));
        let event = verifier()
            .receive(Some(token.as_bytes()), BODY.as_bytes())
            .expect("valid");
        assert_eq!(
            event,
            WebhookEvent {
                event: "participant_joined".into(),
                id: Some("EV_1".into()),
                room: Some("room1".into()),
                participant: Some("alice".into()),
            }
        );
        // LiveKit's own receiver agrees.
        let receiver = WebhookReceiver::new(
            livekit_api::access_token::TokenVerifier::with_api_key(KEY, SECRET),
        );
        assert!(receiver.receive(BODY, &token).is_ok());
    }

    #[test]
    fn rejects_every_forgery() {
        let good = official(SECRET, &hash(BODY.as_bytes()));
        // A body whose hash has a `+` or `/`, so the URL-safe alphabet differs.
        let odd_body = (0..)
            .map(|i| format!("{{\"event\":\"e{i}\"}}"))
            .find(|body| hash(body.as_bytes()).contains(['+', '/']))
            .expect("some hash has + or /");
        let url_safe =
            base64::engine::general_purpose::URL_SAFE.encode(Sha256::digest(odd_body.as_bytes()));
        let unpadded = hash(BODY.as_bytes()).trim_end_matches('=').to_owned();
        let cases: Vec<(&str, Option<String>, &[u8], ContractError)> = vec![
            (
                "missing",
                None,
                BODY.as_bytes(),
                ContractError::MissingAuthorization,
            ),
            (
                "empty",
                Some(String::new()),
                BODY.as_bytes(),
                ContractError::MissingAuthorization,
            ),
            (
                "bearer",
                Some(format!("Bearer {good}")),
                BODY.as_bytes(),
                ContractError::InvalidAuthorization("not a JWT"),
            ),
            (
                "wrong secret",
                Some(official(
                    "another-secret-of-at-least-32-bytes",
                    &hash(BODY.as_bytes()),
                )),
                BODY.as_bytes(),
                ContractError::InvalidAuthorization("bad signature"),
            ),
            (
                "tampered body",
                Some(good.clone()),
                br#"{"event":"room_finished"}"#,
                ContractError::BodyHashMismatch,
            ),
            (
                "no hash",
                Some(official(SECRET, "")),
                BODY.as_bytes(),
                ContractError::MissingBodyHash,
            ),
            (
                "url-safe hash",
                Some(official(SECRET, &url_safe)),
                odd_body.as_bytes(),
                ContractError::BodyHashMismatch,
            ),
            (
                "unpadded hash",
                Some(official(SECRET, &unpadded)),
                BODY.as_bytes(),
                ContractError::BodyHashMismatch,
            ),
        ];
        for (name, token, body, expected) in cases {
            let got = verifier().receive(token.as_deref().map(str::as_bytes), body);
            assert_eq!(got, Err(expected), "{name}");
        }
    }

    #[test]
    fn a_verified_body_must_be_an_event() {
        for body in [&b"[]"[..], b"{}", br#"{"event":5}"#, b"not json"] {
            let token = official(SECRET, &hash(body));
            assert_eq!(
                verifier().receive(Some(token.as_bytes()), body),
                Err(ContractError::InvalidWebhookEvent)
            );
        }
    }

    #[test]
    fn each_key_verifies_what_it_signed() {
        const OTHER: &str = "APIegress";
        const OTHER_SECRET: &str = "egress-secret-of-at-least-32-bytes!!";
        let keys = format!("{KEY}: {SECRET}\n{OTHER}: {OTHER_SECRET}");
        let keys = crate::livekit::key_list::parse(&keys).expect("a key list");
        let credentials = crate::livekit::keys::Credentials::from_keys(KEY.to_owned(), keys)
            .expect("KEY is listed");
        let verifier = WebhookVerifier::new(&credentials);
        let body = BODY.as_bytes();
        let signed = |key: &str, secret: &str| {
            AccessToken::with_api_key(key, secret)
                .with_ttl(Duration::from_secs(300))
                .with_sha256(&hash(body))
                .to_jwt()
                .expect("sign")
        };
        for (key, secret) in [(KEY, SECRET), (OTHER, OTHER_SECRET)] {
            let token = signed(key, secret);
            assert!(
                verifier.receive(Some(token.as_bytes()), body).is_ok(),
                "{key}"
            );
        }
        // A key's name with another key's secret, and a key nobody configured.
        for (key, secret, reason) in [
            (OTHER, SECRET, "bad signature"),
            (KEY, OTHER_SECRET, "bad signature"),
            ("APIunknown", SECRET, "issued for another API key"),
        ] {
            let token = signed(key, secret);
            assert_eq!(
                verifier.receive(Some(token.as_bytes()), body),
                Err(ContractError::InvalidAuthorization(reason)),
                "{key}"
            );
        }
        // The single-key verifier refuses the other key's events.
        let token = signed(OTHER, OTHER_SECRET);
        assert_eq!(
            verifier_for(KEY, SECRET).receive(Some(token.as_bytes()), body),
            Err(ContractError::InvalidAuthorization("bad signature"))
        );
    }

    fn verifier_for(key: &str, secret: &str) -> WebhookVerifier {
        WebhookVerifier::new(&Credentials::single(key, ApiSecret::new(secret)))
    }
}
