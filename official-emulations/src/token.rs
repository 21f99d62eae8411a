//! Minting LiveKit tokens as each official server's SDK writes them (HS256).

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Map, Value, json};

use super::quirks::{ClaimDefaults, Claims, Grants, NameClaim};

/// The tokens' lifetime: six hours, every SDK's default.
pub const TOKEN_TTL_SECONDS: u32 = 6 * 3600;

/// How a name value goes into the token.
pub(super) fn name_claim(claim: NameClaim, value: &Value) -> Value {
    match (claim, value) {
        (NameClaim::AsSent, value) | (NameClaim::Stringified, value @ Value::String(_)) => {
            value.clone()
        }
        (NameClaim::Stringified | NameClaim::JsonText, value) => Value::from(value.to_string()),
    }
}

/// A join token for `room` and `identity` (already in their claim form), signed with
/// `secret` and issued by `key`.
pub(super) fn mint(
    claims: &Claims,
    key: &str,
    secret: &str,
    room: Value,
    identity: Value,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = test_keys::unix_now();
    let mut payload = Map::new();
    payload.insert("iss".into(), key.into());
    payload.insert("nbf".into(), if claims.nbf_zero { 0 } else { now }.into());
    payload.insert("exp".into(), (now + u64::from(TOKEN_TTL_SECONDS)).into());
    payload.insert("video".into(), video(claims.grants, room));
    if claims.name {
        payload.insert("name".into(), identity.clone());
    }
    payload.insert("sub".into(), identity);
    match claims.defaults {
        ClaimDefaults::Omitted => {}
        ClaimDefaults::EmptyIdentityAndName => {
            payload.insert("identity".into(), "".into());
            payload.insert("name".into(), "".into());
        }
        ClaimDefaults::RustSdk => {
            payload.insert("sip".into(), json!({"admin": false, "call": false}));
            payload.insert("sha256".into(), "".into());
            payload.insert("metadata".into(), "".into());
            payload.insert("attributes".into(), json!({}));
            payload.insert("roomConfig".into(), Value::Null);
        }
    }
    let mut header = Header::new(Algorithm::HS256);
    if !claims.header_typ {
        header.typ = None;
    }
    encode(
        &header,
        &Value::Object(payload),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

fn video(grants: Grants, room: Value) -> Value {
    let mut video = json!({"roomJoin": true, "room": room});
    if grants == Grants::JoinOnly {
        return video;
    }
    let publish = json!({"canPublish": true, "canSubscribe": true, "canPublishData": true});
    let every_other = json!({
        "roomCreate": false,
        "roomList": false,
        "roomRecord": false,
        "roomAdmin": false,
        "canPublishSources": [],
        "canUpdateOwnMetadata": false,
        "ingressAdmin": false,
        "hidden": false,
        "recorder": false,
    });
    let mut extra = vec![publish];
    if grants == Grants::EveryKey {
        extra.push(every_other);
    }
    if let Value::Object(fields) = &mut video {
        for value in extra {
            if let Value::Object(more) = value {
                fields.extend(more);
            }
        }
    }
    video
}
