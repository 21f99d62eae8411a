//! Response bodies made comparable across servers: what differs by design (the instant a
//! token was minted, generated names) taken out, the rest kept exactly.

use conformance::judge::decode_segment;
use serde_json::Value;

/// A response body as the differential tests compare it. Tokens (bare, in `{"token": ...}`
/// or in the standard endpoint's `participant_token`) are compared by their JWT header and
/// claims, without what differs by design: `nbf` and `exp` (minted at different instants) and
/// generated room names and identities (random, `room-<16 hex>` / `participant-<16 hex>`, also
/// in the standard endpoint's `room_name`).
/// Anything else is compared as text.
pub fn comparable_body(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body).into_owned();
    let (jwt, envelope) = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut fields)) => {
            let jwt = ["token", "participant_token"]
                .iter()
                .find_map(|key| fields.get(*key).and_then(Value::as_str).map(str::to_owned));
            for key in ["token", "participant_token"] {
                if let Some(value) = fields.get_mut(key) {
                    *value = Value::from("<jwt>");
                }
            }
            unrandomise(fields.get_mut("room_name"), "room-");
            (jwt, Value::Object(fields))
        }
        _ => (Some(text.clone()), Value::Null),
    };
    if let Some(jwt) = jwt
        && let (Ok(header), Ok(Value::Object(mut claims))) =
            (decode_segment(&jwt, 0), decode_segment(&jwt, 1))
    {
        claims.remove("nbf");
        claims.remove("exp");
        unrandomise(claims.get_mut("sub"), "participant-");
        unrandomise(
            claims
                .get_mut("video")
                .and_then(|video| video.get_mut("room")),
            "room-",
        );
        return serde_json::json!({
            "jwt header": header,
            "claims": claims,
            "envelope": envelope,
            "length": text.len(),
        });
    }
    Value::String(text)
}

/// Replaces a generated name (`prefix` and 16 hexadecimal digits) by a placeholder.
fn unrandomise(value: Option<&mut Value>, prefix: &str) {
    if let Some(value) = value
        && let Some(digits) = value.as_str().and_then(|text| text.strip_prefix(prefix))
        && digits.len() == 16
        && digits.bytes().all(|b| b.is_ascii_hexdigit())
    {
        *value = Value::from(format!("{prefix}<random>"));
    }
}
