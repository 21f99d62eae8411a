//! `POST /token` as each official server reads it: the media type, the body, the names, and
//! the answer each of them gets.

use std::borrow::Cow;

use axum::body::{Body as RequestBody, to_bytes};
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::Value;

use super::pages::{Asked, error_reply, framework_error, token_reply};
use super::quirks::{MediaTypes, NameRule, Names, Refusal};
use super::server::{Official, essence};
use super::token::{mint, name_claim};

/// The joint message every tutorial uses.
const NAMES_REQUIRED: &str = "roomName and participantName are required";

/// Answers a token request as the server would.
pub(super) async fn answer(
    official: &Official,
    parts: &Parts,
    body: RequestBody,
    asked: Asked<'_>,
) -> Response {
    let quirks = &official.quirks;
    let refused = |refusal, detail| refuse(official, refusal, "roomName", asked, detail);
    if let MediaTypes::Json { suffix, otherwise } = quirks.body.media_types
        && !is_json(essence(&parts.headers).as_deref(), suffix)
    {
        return refused(
            otherwise,
            "Cannot read properties of undefined (reading 'roomName')",
        );
    }
    let limit = quirks.body.limit;
    let Ok(bytes) = to_bytes(body, limit.map_or(usize::MAX, |limit| limit.bytes)).await else {
        let over = limit.map_or(Refusal::Framework(400), |limit| limit.over);
        return refused(over, "PayloadTooLargeError: request entity too large");
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) if quirks.body.replaces_invalid_utf8 => String::from_utf8_lossy(&bytes),
        Err(_) => return refused(quirks.body.malformed, "invalid UTF-8"),
    };
    if text.trim().is_empty() {
        return refused(quirks.body.empty, "EOF");
    }
    let fields = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(fields)) => fields,
        Ok(Value::Array(_)) => return refused(quirks.body.array, "cannot unmarshal array"),
        Ok(Value::Null) => return refused(quirks.body.null, "the body is null"),
        Ok(_) => return refused(quirks.body.scalar, "cannot unmarshal a scalar"),
        Err(_) => return refused(quirks.body.malformed, "the body is not JSON"),
    };
    let mut claims = Vec::with_capacity(2);
    for field in ["roomName", "participantName"] {
        let value = fields.get(field);
        match accepted(&quirks.names, value) {
            Ok(claim) => claims.push(claim),
            Err(refusal) => {
                let detail = format!(
                    "cannot unmarshal {} into field {field} of type string",
                    kind(value)
                );
                return refuse(official, refusal, field, asked, &detail);
            }
        }
    }
    // Popped in reverse: the participant's, then the room's.
    let (Some(identity), Some(room)) = (claims.pop(), claims.pop()) else {
        return framework_error(quirks.framework, 500, asked, "no names");
    };
    let minted = mint(
        &quirks.claims,
        &official.key,
        &official.secret,
        room,
        identity,
    );
    match minted {
        Ok(jwt) => token_reply(&quirks.reply, &jwt),
        Err(_) => framework_error(quirks.framework, 500, asked, "cannot sign the token"),
    }
}

/// Whether a media type is JSON to the server.
fn is_json(essence: Option<&str>, suffix: bool) -> bool {
    match essence {
        Some("application/json") => true,
        Some(other) => suffix && other.starts_with("application/") && other.ends_with("+json"),
        None => false,
    }
}

/// One name as it goes into the token, or why it is refused.
fn accepted(names: &Names, value: Option<&Value>) -> Result<Value, Refusal> {
    let rule = match value {
        None => NameRule::Refused(Refusal::NamesMissing),
        Some(Value::Null) => names.null,
        Some(Value::String(name)) if name.is_empty() => names.empty,
        Some(Value::String(_)) => NameRule::Accepted,
        Some(Value::Number(_) | Value::Bool(_)) => names.scalar,
        Some(Value::Array(_) | Value::Object(_)) => names.compound,
    };
    match rule {
        NameRule::Accepted => Ok(name_claim(names.claim, value.unwrap_or(&Value::Null))),
        NameRule::Refused(refusal) => Err(refusal),
    }
}

/// What a JSON value is, as parsers name it.
fn kind(value: Option<&Value>) -> &'static str {
    match value {
        None | Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "bool",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

/// The answer `refusal` gets; `field` is the first name found missing.
fn refuse(
    official: &Official,
    refusal: Refusal,
    field: &str,
    asked: Asked<'_>,
    detail: &str,
) -> Response {
    let quirks = &official.quirks;
    match refusal {
        Refusal::NamesMissing if quirks.reply.per_field_messages => {
            error_reply(&quirks.reply, 400, &format!("{field} is required"))
        }
        Refusal::NamesMissing | Refusal::NamesRequired => {
            error_reply(&quirks.reply, 400, NAMES_REQUIRED)
        }
        Refusal::Framework(status) => framework_error(quirks.framework, status, asked, detail),
    }
}
