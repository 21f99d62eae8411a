//! Judging LiveKit tokens: LiveKit's own verifier first, then the claims, strictly.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use livekit_api::access_token::TokenVerifier;
use serde_json::Value;

use super::shorten;
use crate::case::Credentials;
use crate::server_under_test::ServerUnderTest;

/// Claims a join token may carry in `video` without granting more than joining one room.
const HARMLESS_VIDEO_GRANTS: &[&str] = &[
    "room",
    "roomJoin",
    "canPublish",
    "canSubscribe",
    "canPublishData",
    "canPublishSources",
    "canUpdateOwnMetadata",
];

/// Judges a token: LiveKit's own verifier must accept it, then the claims are checked
/// strictly: issuer, identity, room, the join grant and nothing more, TTL and `nbf`.
pub fn judge_token(
    jwt: &str,
    room: &str,
    identity: &str,
    server: &ServerUnderTest,
) -> Result<(), String> {
    judge_join_token(jwt, room, identity, server, false)
}

/// [`judge_token`], also accepting a `roomConfig` when `room_config` (agent dispatch asked
/// for on the standard endpoint).
fn judge_join_token(
    jwt: &str,
    room: &str,
    identity: &str,
    server: &ServerUnderTest,
    room_config: bool,
) -> Result<(), String> {
    if jwt.trim() != jwt || jwt.split('.').count() != 3 {
        return Err(format!("body is not exactly a JWT: {}", shorten(jwt)));
    }
    let verifier = TokenVerifier::with_api_key(&server.api_key, &server.api_secret);
    if let Err(err) = verifier.verify(jwt) {
        return Err(format!("LiveKit's verifier rejects the token: {err:?}"));
    }
    let header = decode_segment(jwt, 0)?;
    if header.get("alg") != Some(&Value::from("HS256")) {
        return Err(format!("JWT header {header} is not HS256"));
    }
    let claims = decode_segment(jwt, 1)?;
    let mut failures = Vec::new();
    let mut expect_claim = |name: &str, actual: Option<&Value>, expected: Value| {
        if actual != Some(&expected) {
            failures.push(format!(
                "{name} is {} (expected {expected})",
                actual.map_or("missing".to_owned(), Value::to_string)
            ));
        }
    };
    expect_claim("iss", claims.get("iss"), server.api_key.as_str().into());
    expect_claim("sub", claims.get("sub"), identity.into());
    let video = claims.get("video");
    expect_claim("video.room", video.and_then(|v| v.get("room")), room.into());
    expect_claim(
        "video.roomJoin",
        video.and_then(|v| v.get("roomJoin")),
        true.into(),
    );
    if let Some(Value::Object(grants)) = video {
        for (name, value) in grants {
            let granted = !matches!(value, Value::Bool(false) | Value::Null);
            if granted && !HARMLESS_VIDEO_GRANTS.contains(&name.as_str()) {
                failures.push(format!("video.{name} = {value} grants more than joining"));
            }
        }
    }
    for name in [
        "sip",
        "roomConfig",
        "roomPreset",
        "agent",
        "inference",
        "observability",
    ] {
        if claims.get(name).is_some() && !(room_config && name == "roomConfig") {
            failures.push(format!("extra grant {name}"));
        }
    }
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    let exp = claims.get("exp").and_then(Value::as_i64);
    match (nbf, exp) {
        (Some(nbf), Some(exp)) => {
            if exp - nbf != i64::from(server.ttl_seconds) {
                failures.push(format!(
                    "exp - nbf = {} s (expected a TTL of {} s)",
                    exp - nbf,
                    server.ttl_seconds
                ));
            }
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            // LiveKit allows 60 s of clock skew; the same bound is asked of `nbf` = now.
            if (nbf - now).abs() > 60 {
                failures.push(format!("nbf is {} s away from now", nbf - now));
            }
        }
        _ => failures.push("nbf and exp must both be integers".to_owned()),
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// Judges the standard endpoint's token: a join token for the room and identity asked for
/// (or generated names) that carries the name, metadata, attributes and agent asked for.
pub(super) fn judge_endpoint_token(
    jwt: &str,
    expected: &Credentials,
    server: &ServerUnderTest,
) -> Result<(), String> {
    let claims = decode_segment(jwt, 1)?;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
    let room_claim = claims
        .get("video")
        .and_then(|video| video.get("room"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let generated = |value: &str, prefix: &str| {
        value
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.len() >= 8)
    };
    let mut failures = Vec::new();
    let room = match expected.room {
        Some(room) => room,
        None if generated(room_claim, "room-") => room_claim,
        None => {
            failures.push(format!("generated room {room_claim:?} is not room-..."));
            room_claim
        }
    };
    let identity = match expected.identity {
        Some(identity) => identity,
        None if generated(claim("sub"), "participant-") => claim("sub"),
        None => {
            failures.push(format!(
                "generated identity {:?} is not participant-...",
                claim("sub")
            ));
            claim("sub")
        }
    };
    if let Err(reason) = judge_join_token(jwt, room, identity, server, expected.agent.is_some()) {
        failures.push(reason);
    }
    for (name, wanted) in [("name", expected.name), ("metadata", expected.metadata)] {
        if claim(name) != wanted.unwrap_or_default() {
            failures.push(format!("{name} is {:?} (expected {wanted:?})", claim(name)));
        }
    }
    let attributes = claims.get("attributes").cloned().unwrap_or_default();
    let wanted: serde_json::Map<String, Value> = expected
        .attributes
        .iter()
        .map(|(key, value)| ((*key).to_owned(), Value::from(*value)))
        .collect();
    let empty = attributes.is_null() || attributes == Value::Object(Default::default());
    if !(attributes == Value::Object(wanted.clone()) || (wanted.is_empty() && empty)) {
        failures.push(format!("attributes are {attributes} (expected {wanted:?})"));
    }
    if let Some(agent) = expected.agent {
        let named = claims
            .get("roomConfig")
            .and_then(|config| config.get("agents"))
            .and_then(|agents| agents.get(0))
            .and_then(|first| first.get("agentName"));
        if named != Some(&Value::from(agent)) {
            failures.push(format!(
                "roomConfig.agents[0].agentName is {named:?} (expected {agent:?})"
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// Decodes one base64url segment of a JWT as JSON.
pub fn decode_segment(jwt: &str, index: usize) -> Result<Value, String> {
    let segment = jwt.split('.').nth(index).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|err| format!("JWT segment {index} is not base64url: {err}"))?;
    serde_json::from_slice(&bytes).map_err(|err| format!("JWT segment {index} is not JSON: {err}"))
}
