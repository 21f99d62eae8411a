//! `POST /livekit/webhook` as each official server receives it.

use axum::body::{Body, to_bytes};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::pages::{Asked, canned, framework_error};
use super::quirks::{Verification, Webhook};
use super::server::{Official, essence};

/// Answers a webhook delivery as `hook` says.
pub(super) async fn receive(
    official: &Official,
    hook: &Webhook,
    parts: &Parts,
    body: Body,
    asked: Asked<'_>,
) -> Response {
    let framework = official.quirks.framework;
    if let Some(consumes) = hook.consumes
        && essence(&parts.headers).as_deref() != Some(consumes)
    {
        return framework_error(framework, 415, asked, "Content-Type not supported");
    }
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let Ok(body) = to_bytes(body, hook.limit.unwrap_or(usize::MAX)).await else {
        return framework_error(framework, 413, asked, "request entity too large");
    };
    let reply = |answer| canned(answer, framework, asked);
    let Some(authorization) = authorization else {
        return reply(hook.missing);
    };
    let verified = match hook.verification {
        Verification::Nothing => return reply(hook.accepted),
        Verification::TokenOnly => verify(official, authorization, None),
        Verification::Full => verify(official, authorization, Some(&body)),
    };
    if !verified {
        reply(hook.rejected)
    } else if hook.verification == Verification::Full && !is_event(&body) {
        reply(hook.not_an_event)
    } else {
        reply(hook.accepted)
    }
}

/// Whether `authorization` is a valid HS256 token of the server's key (LiveKit's leeway of
/// 60 s) and, when `body` is given, its `sha256` claim is exactly the body's hash.
fn verify(official: &Official, authorization: &str, body: Option<&[u8]>) -> bool {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[official.key.as_str()]);
    let Ok(token) = decode::<Value>(
        authorization,
        &DecodingKey::from_secret(official.secret.as_bytes()),
        &validation,
    ) else {
        return false;
    };
    match body {
        None => true,
        Some(body) => {
            let hash = STANDARD.encode(Sha256::digest(body));
            token.claims.get("sha256").and_then(Value::as_str) == Some(hash.as_str())
        }
    }
}

/// A JSON object whose `event`, if any, is a string: what LiveKit's receivers parse.
fn is_event(body: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => fields.get("event").is_none_or(Value::is_string),
        _ => false,
    }
}
