//! Parsing and validating a `POST /token` request.
//!
//! The rules, in the order they are checked:
//! 1. the content type is `application/json` or `application/*+json` (parameters allowed);
//! 2. the body is non-empty UTF-8 holding one JSON object;
//! 3. `roomName` and `participantName`, when present and not `null`, are strings;
//! 4. both are non-empty;
//! 5. neither is longer than LiveKit allows (256 bytes), or LiveKit would refuse the token.
//!
//! Names are kept verbatim: no trimming, no Unicode normalisation, no re-quoting.

use serde_json::{Map, Value};

use crate::http::contract::{ContractError, MAX_IDENTITY_BYTES, MAX_ROOM_NAME_BYTES};

/// A valid token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The room to join (`video.room` in the token).
    pub room_name: String,
    /// The participant's identity (`sub` in the token).
    pub participant_name: String,
}

impl TokenRequest {
    /// Parses a request from its raw `Content-Type` header and body.
    pub fn parse(content_type: Option<&[u8]>, body: &[u8]) -> Result<Self, ContractError> {
        let mut fields = parse_object(content_type, body)?;
        let room_name = take_name(&mut fields, "roomName")?;
        let participant_name = take_name(&mut fields, "participantName")?;
        let (Some(room_name), Some(participant_name)) = (room_name, participant_name) else {
            return Err(ContractError::NamesRequired);
        };
        // The participant's name is its identity in tutorial mode and its display name in
        // production: LiveKit's limit is 256 bytes for both.
        for (field, value, limit) in [
            ("roomName", &room_name, MAX_ROOM_NAME_BYTES),
            ("participantName", &participant_name, MAX_IDENTITY_BYTES),
        ] {
            if value.len() > limit {
                return Err(ContractError::TooLong(field, limit));
            }
        }
        Ok(Self {
            room_name,
            participant_name,
        })
    }
}

/// Rules 1 and 2, shared with the standard endpoint's requests: a JSON content type and a
/// non-empty UTF-8 body holding one JSON object.
pub fn parse_object(
    content_type: Option<&[u8]>,
    body: &[u8],
) -> Result<Map<String, Value>, ContractError> {
    if !is_json_media_type(content_type) {
        return Err(ContractError::UnsupportedMediaType);
    }
    let text = std::str::from_utf8(body).map_err(|_| ContractError::NotUtf8)?;
    if text.trim().is_empty() {
        return Err(ContractError::EmptyBody);
    }
    let value: Value =
        serde_json::from_str(text).map_err(|err| ContractError::InvalidJson(err.to_string()))?;
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err(ContractError::NotAnObject),
    }
}

/// A name field: `None` when missing, `null` or empty; an error when not a string.
fn take_name(
    fields: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, ContractError> {
    match fields.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) if name.is_empty() => Ok(None),
        Some(Value::String(name)) => Ok(Some(name)),
        Some(_) => Err(ContractError::WrongType(field, "a string")),
    }
}

/// `application/json` or `application/<anything>+json`, any case, any parameters.
pub fn is_json_media_type(content_type: Option<&[u8]>) -> bool {
    let Some(mime) = content_type
        .and_then(|raw| std::str::from_utf8(raw).ok())
        .and_then(|text| text.parse::<mime::Mime>().ok())
    else {
        return false;
    };
    mime.type_() == mime::APPLICATION
        && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&[u8]> = Some(b"application/json");

    fn parse(body: &str) -> Result<TokenRequest, ContractError> {
        TokenRequest::parse(JSON, body.as_bytes())
    }

    #[test]
    fn media_types() {
        let cases: &[(Option<&str>, bool)] = &[
            (Some("application/json"), true),
            (Some("application/json; charset=utf-8"), true),
            (Some("Application/JSON;Charset=UTF-8"), true),
            (Some("application/webhook+json"), true),
            (Some("application/vnd.api+json; x=1"), true),
            (None, false),
            (Some(""), false),
            (Some("text/plain"), false),
            (Some("text/json"), false),
            (Some("application/x-www-form-urlencoded"), false),
            (Some("application/jsonx"), false),
            (Some("application/json-patch"), false),
            (Some("multipart/form-data; boundary=x"), false),
            (Some("application"), false),
            (Some("json"), false),
        ];
        for (content_type, expected) in cases {
            assert_eq!(
                is_json_media_type(content_type.map(str::as_bytes)),
                *expected,
                "{content_type:?}"
            );
        }
        assert!(!is_json_media_type(Some(b"application/json\xff")));
    }

    #[test]
    fn validation_rules() {
        use ContractError::*;
        let ok = |room: &str, who: &str| {
            Ok(TokenRequest {
                room_name: room.to_owned(),
                participant_name: who.to_owned(),
            })
        };
        // LiveKit refuses room names and identities over 256 bytes (bytes, not characters).
        let names =
            |room: &str, who: &str| format!(r#"{{"roomName":"{room}","participantName":"{who}"}}"#);
        let long_room = names(&"r".repeat(257), "p");
        let long_name = names("r", &"é".repeat(129));
        let longest = names(&"r".repeat(256), &"é".repeat(128));
        let cases: Vec<(&str, Result<TokenRequest, ContractError>)> = vec![
            (r#"{"roomName":"r","participantName":"p"}"#, ok("r", "p")),
            (
                r#"{"participantName":"p","extra":[1,{"a":null}],"roomName":"r"}"#,
                ok("r", "p"),
            ),
            (
                r#"{"roomName":" r ","participantName":"\"p\""}"#,
                ok(" r ", "\"p\""),
            ),
            (
                r#"{"roomName":"Sala ñ 会議","participantName":"Zoë 🎥"}"#,
                ok("Sala ñ 会議", "Zoë 🎥"),
            ),
            (
                " \n{\"roomName\":\"r\",\"participantName\":\"p\"}\n",
                ok("r", "p"),
            ),
            ("{}", Err(NamesRequired)),
            (r#"{"roomName":"r"}"#, Err(NamesRequired)),
            (&long_room, Err(TooLong("roomName", 256))),
            (&long_name, Err(TooLong("participantName", 256))),
            (&longest, ok(&"r".repeat(256), &"é".repeat(128))),
            (r#"{"participantName":"p"}"#, Err(NamesRequired)),
            (
                r#"{"roomName":"","participantName":"p"}"#,
                Err(NamesRequired),
            ),
            (
                r#"{"roomName":"r","participantName":""}"#,
                Err(NamesRequired),
            ),
            (
                r#"{"roomName":null,"participantName":"p"}"#,
                Err(NamesRequired),
            ),
            (
                r#"{"roomName":"r","participantName":null}"#,
                Err(NamesRequired),
            ),
            (
                r#"{"roomName":1,"participantName":"p"}"#,
                Err(WrongType("roomName", "a string")),
            ),
            (
                r#"{"roomName":true,"participantName":"p"}"#,
                Err(WrongType("roomName", "a string")),
            ),
            (
                r#"{"roomName":["r"],"participantName":"p"}"#,
                Err(WrongType("roomName", "a string")),
            ),
            (
                r#"{"roomName":"r","participantName":{}}"#,
                Err(WrongType("participantName", "a string")),
            ),
            (
                r#"{"roomName":"r","participantName":1.5}"#,
                Err(WrongType("participantName", "a string")),
            ),
            (
                r#"{"participantName":7}"#,
                Err(WrongType("participantName", "a string")),
            ),
            ("", Err(EmptyBody)),
            ("  \n", Err(EmptyBody)),
            ("[]", Err(NotAnObject)),
            (r#"["r","p"]"#, Err(NotAnObject)),
            ("null", Err(NotAnObject)),
            ("\"s\"", Err(NotAnObject)),
            ("42", Err(NotAnObject)),
        ];
        for (body, expected) in cases {
            assert_eq!(parse(body), expected, "{body}");
        }
    }

    #[test]
    fn malformed_bodies() {
        for body in [
            "{",
            "{\"roomName\":",
            "not json",
            "{\"a\":1}}",
            "{'roomName':'r'}",
        ] {
            assert!(
                matches!(parse(body), Err(ContractError::InvalidJson(_))),
                "{body}"
            );
        }
        assert_eq!(
            TokenRequest::parse(JSON, b"{\"roomName\":\"\xff\"}"),
            Err(ContractError::NotUtf8)
        );
    }

    #[test]
    fn media_type_is_checked_first() {
        assert_eq!(
            TokenRequest::parse(Some(b"text/plain"), b"garbage"),
            Err(ContractError::UnsupportedMediaType)
        );
        assert_eq!(
            TokenRequest::parse(None, br#"{"roomName":"r","participantName":"p"}"#),
            Err(ContractError::UnsupportedMediaType)
        );
    }
}
