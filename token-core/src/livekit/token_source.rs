//! LiveKit's standard token endpoint, the one every LiveKit client SDK's endpoint
//! `TokenSource` calls: `POST /livekit/token` with optional snake_case fields, answered
//! `201 {"server_url", "participant_token", "room_name", "participant_name"}` (the last only
//! when the token has a display name).
//!
//! The rules, in the order they are checked:
//! 1. the content type is JSON, the body non-empty UTF-8 holding one JSON object (as for
//!    `POST /token`);
//! 2. each known field, when present and not `null`, has its type: strings, an object of
//!    strings for `participant_attributes`, an object for `room_config` (400 naming it);
//! 3. each field set is one the [`FieldPolicy`] lets clients set (else 403 naming it);
//! 4. names and metadata are within LiveKit's own limits (400 naming the field).
//!
//! A missing or empty `room_name` or `participant_identity` is generated:
//! `room-` / `participant-` and 16 random hexadecimal digits. Unknown fields are ignored.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::http::contract::ContractError;
use crate::livekit::request::parse_object;

pub use crate::http::contract::{MAX_IDENTITY_BYTES, MAX_NAME_BYTES, MAX_ROOM_NAME_BYTES};
/// LiveKit's default `limit.max_metadata_size`, in bytes. The 16 KiB body limit is lower, so
/// it is stated for completeness.
pub const MAX_METADATA_BYTES: usize = 64_000;
/// LiveKit's default `limit.max_attributes_size` (keys and values together), in bytes.
pub const MAX_ATTRIBUTES_BYTES: usize = 64_000;

/// An optional field of the request, as clients spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClientField {
    /// `room_name`.
    RoomName,
    /// `participant_identity`.
    ParticipantIdentity,
    /// `participant_name`.
    ParticipantName,
    /// `participant_metadata`.
    ParticipantMetadata,
    /// `participant_attributes`.
    ParticipantAttributes,
    /// `room_config`: LiveKit's `RoomConfiguration`, with agent dispatch.
    RoomConfig,
}

impl ClientField {
    /// Every field.
    pub const ALL: [Self; 6] = [
        Self::RoomName,
        Self::ParticipantIdentity,
        Self::ParticipantName,
        Self::ParticipantMetadata,
        Self::ParticipantAttributes,
        Self::RoomConfig,
    ];

    /// The JSON key.
    pub fn key(self) -> &'static str {
        match self {
            Self::RoomName => "room_name",
            Self::ParticipantIdentity => "participant_identity",
            Self::ParticipantName => "participant_name",
            Self::ParticipantMetadata => "participant_metadata",
            Self::ParticipantAttributes => "participant_attributes",
            Self::RoomConfig => "room_config",
        }
    }

    /// The field whose JSON key is `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.key() == key)
    }
}

impl fmt::Display for ClientField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Which fields clients may set. LiveKit's docs: "for fields clients aren't allowed to set,
/// return a 4xx".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPolicy {
    allowed: Vec<ClientField>,
}

impl FieldPolicy {
    /// The fields allowed unless configured otherwise: all but `room_config`, since agent
    /// dispatch starts paid work.
    pub const DEFAULT: [ClientField; 5] = [
        ClientField::RoomName,
        ClientField::ParticipantIdentity,
        ClientField::ParticipantName,
        ClientField::ParticipantMetadata,
        ClientField::ParticipantAttributes,
    ];

    /// A policy allowing exactly `allowed`.
    pub fn new(allowed: impl IntoIterator<Item = ClientField>) -> Self {
        let mut allowed: Vec<_> = allowed.into_iter().collect();
        allowed.sort();
        allowed.dedup();
        Self { allowed }
    }

    /// Whether clients may set `field`.
    pub fn allows(&self, field: ClientField) -> bool {
        self.allowed.contains(&field)
    }
}

impl Default for FieldPolicy {
    fn default() -> Self {
        Self::new(Self::DEFAULT)
    }
}

/// A valid request to the standard endpoint, with the generated names filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRequest {
    /// The room (`video.room`).
    pub room_name: String,
    /// The identity (`sub`).
    pub participant_identity: String,
    /// The display name (`name`).
    pub participant_name: Option<String>,
    /// `metadata`.
    pub participant_metadata: Option<String>,
    /// `attributes`.
    pub participant_attributes: Option<BTreeMap<String, String>>,
    /// `roomConfig`, with its keys in camelCase as LiveKit's encoders write it.
    pub room_config: Option<Value>,
}

impl SourceRequest {
    /// Parses and validates a request; `random` supplies the generated names' digits.
    pub fn parse(
        content_type: Option<&[u8]>,
        body: &[u8],
        policy: &FieldPolicy,
        random: impl FnMut() -> u64,
    ) -> Result<Self, ContractError> {
        Ok(SourceFields::parse(content_type, body, policy)?.completed(random))
    }
}

/// A valid request to the standard endpoint as sent: names not generated yet, empty ones
/// as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFields {
    /// `room_name`, when set and not empty.
    pub room_name: Option<String>,
    /// `participant_identity`, when set and not empty.
    pub participant_identity: Option<String>,
    /// `participant_name`, when set and not empty.
    pub participant_name: Option<String>,
    /// `participant_metadata`, when set and not empty.
    pub participant_metadata: Option<String>,
    /// `participant_attributes`, when set.
    pub participant_attributes: Option<BTreeMap<String, String>>,
    /// `room_config`, camelCase, when set.
    pub room_config: Option<Value>,
}

impl SourceFields {
    /// Parses and validates a request by the rules of the module.
    pub fn parse(
        content_type: Option<&[u8]>,
        body: &[u8],
        policy: &FieldPolicy,
    ) -> Result<Self, ContractError> {
        let mut fields = parse_object(content_type, body)?;
        let mut present = Vec::new();
        let take_string = |fields: &mut Map<String, Value>, field: ClientField| match fields
            .remove(field.key())
        {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(ContractError::WrongType(field.key(), "a string")),
        };
        let room_name = take_string(&mut fields, ClientField::RoomName)?;
        let identity = take_string(&mut fields, ClientField::ParticipantIdentity)?;
        let name = take_string(&mut fields, ClientField::ParticipantName)?;
        let metadata = take_string(&mut fields, ClientField::ParticipantMetadata)?;
        let attributes = match fields.remove(ClientField::ParticipantAttributes.key()) {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(
                map.into_iter()
                    .map(|(key, value)| match value {
                        Value::String(value) => Ok((key, value)),
                        _ => Err(ContractError::WrongType(
                            ClientField::ParticipantAttributes.key(),
                            "an object of strings",
                        )),
                    })
                    .collect::<Result<BTreeMap<_, _>, _>>()?,
            ),
            Some(_) => {
                return Err(ContractError::WrongType(
                    ClientField::ParticipantAttributes.key(),
                    "an object of strings",
                ));
            }
        };
        let room_config = match fields.remove(ClientField::RoomConfig.key()) {
            None | Some(Value::Null) => None,
            Some(config @ Value::Object(_)) => Some(camel_case_keys(config)),
            Some(_) => {
                return Err(ContractError::WrongType(
                    ClientField::RoomConfig.key(),
                    "an object",
                ));
            }
        };
        for (field, set) in [
            (ClientField::RoomName, room_name.is_some()),
            (ClientField::ParticipantIdentity, identity.is_some()),
            (ClientField::ParticipantName, name.is_some()),
            (ClientField::ParticipantMetadata, metadata.is_some()),
            (ClientField::ParticipantAttributes, attributes.is_some()),
            (ClientField::RoomConfig, room_config.is_some()),
        ] {
            if set {
                present.push(field);
            }
        }
        if let Some(refused) = present.iter().find(|field| !policy.allows(**field)) {
            return Err(ContractError::FieldNotAllowed(refused.key()));
        }
        for (field, value, limit) in [
            (ClientField::RoomName, &room_name, MAX_ROOM_NAME_BYTES),
            (
                ClientField::ParticipantIdentity,
                &identity,
                MAX_IDENTITY_BYTES,
            ),
            (ClientField::ParticipantName, &name, MAX_NAME_BYTES),
            (
                ClientField::ParticipantMetadata,
                &metadata,
                MAX_METADATA_BYTES,
            ),
        ] {
            if value.as_ref().is_some_and(|text| text.len() > limit) {
                return Err(ContractError::TooLong(field.key(), limit));
            }
        }
        if attributes.as_ref().map_or(0, attributes_size) > MAX_ATTRIBUTES_BYTES {
            return Err(ContractError::TooLong(
                ClientField::ParticipantAttributes.key(),
                MAX_ATTRIBUTES_BYTES,
            ));
        }
        let set = |value: Option<String>| value.filter(|text| !text.is_empty());
        Ok(Self {
            room_name: set(room_name),
            participant_identity: set(identity),
            participant_name: set(name),
            participant_metadata: set(metadata),
            participant_attributes: attributes,
            room_config,
        })
    }

    /// The bytes of `participant_attributes`, keys and values together, when set.
    pub fn attributes_bytes(&self) -> Option<usize> {
        self.participant_attributes.as_ref().map(attributes_size)
    }

    /// The request with missing names generated: `room-` / `participant-` and 16 random
    /// hexadecimal digits.
    pub fn completed(self, mut random: impl FnMut() -> u64) -> SourceRequest {
        let mut or_generated = |value: Option<String>, prefix: &str| {
            value.unwrap_or_else(|| format!("{prefix}-{:016x}", random()))
        };
        SourceRequest {
            room_name: or_generated(self.room_name, "room"),
            participant_identity: or_generated(self.participant_identity, "participant"),
            participant_name: self.participant_name,
            participant_metadata: self.participant_metadata,
            participant_attributes: self.participant_attributes,
            room_config: self.room_config,
        }
    }
}

/// The size of attributes as LiveKit counts it: keys and values together, in bytes.
fn attributes_size(attributes: &BTreeMap<String, String>) -> usize {
    attributes
        .iter()
        .map(|(key, value)| key.len() + value.len())
        .sum()
}

/// The map fields of `RoomConfiguration`: their keys are data, not field names.
const MAP_FIELDS: [&str; 1] = ["tags"];

/// Renames every field name from snake_case to camelCase, as protobuf's JSON encoding (and so
/// every LiveKit encoder) writes `RoomConfiguration`; camelCase names stay as they are, and
/// the keys of map fields are kept verbatim.
fn camel_case_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let key = camel_case(&key);
                    let value = if MAP_FIELDS.contains(&key.as_str()) {
                        value
                    } else {
                        camel_case_keys(value)
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&[u8]> = Some(b"application/json");

    fn parse(body: &str, policy: &FieldPolicy) -> Result<SourceRequest, ContractError> {
        let mut next = 0;
        SourceRequest::parse(JSON, body.as_bytes(), policy, || {
            next += 1;
            next
        })
    }

    #[test]
    fn absent_names_are_generated_and_unique() {
        let request = parse("{}", &FieldPolicy::default()).expect("valid");
        assert_eq!(request.room_name, "room-0000000000000001");
        assert_eq!(request.participant_identity, "participant-0000000000000002");
        assert_eq!(request.participant_name, None);
        let request = parse(
            r#"{"room_name":"","participant_identity":null}"#,
            &FieldPolicy::default(),
        )
        .expect("valid");
        assert!(request.room_name.starts_with("room-"));
    }

    #[test]
    fn every_field_is_kept() {
        let body = r#"{"room_name":"r","participant_identity":"i","participant_name":"n",
            "participant_metadata":"{\"a\":1}","participant_attributes":{"k":"v"},
            "room_config":{"agents":[{"agent_name":"a","metadata":"m"}],"empty_timeout":5},
            "unknown":[1]}"#;
        let policy = FieldPolicy::new(ClientField::ALL);
        let request = parse(body, &policy).expect("valid");
        assert_eq!(request.room_name, "r");
        assert_eq!(request.participant_identity, "i");
        assert_eq!(request.participant_name.as_deref(), Some("n"));
        assert_eq!(request.participant_metadata.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(
            request.participant_attributes,
            Some(BTreeMap::from([("k".to_owned(), "v".to_owned())]))
        );
        assert_eq!(
            request.room_config,
            Some(serde_json::json!({"agents":[{"agentName":"a","metadata":"m"}],"emptyTimeout":5}))
        );
    }

    #[test]
    fn wrong_types_name_the_field() {
        let policy = FieldPolicy::new(ClientField::ALL);
        let cases = [
            (r#"{"room_name":5}"#, "room_name must be a string"),
            (
                r#"{"participant_identity":true}"#,
                "participant_identity must be a string",
            ),
            (
                r#"{"participant_attributes":{"k":1}}"#,
                "participant_attributes must be an object of strings",
            ),
            (
                r#"{"participant_attributes":["k"]}"#,
                "participant_attributes must be an object of strings",
            ),
            (
                r#"{"room_config":"agents"}"#,
                "room_config must be an object",
            ),
        ];
        for (body, message) in cases {
            let err = parse(body, &policy).expect_err(body);
            assert_eq!(
                (err.status(), err.to_string()),
                (400, message.to_owned()),
                "{body}"
            );
        }
    }

    #[test]
    fn the_policy_refuses_with_403() {
        let err = parse(r#"{"room_config":{"agents":[]}}"#, &FieldPolicy::default())
            .expect_err("refused");
        assert_eq!(err.status(), 403);
        assert!(err.to_string().contains("room_config"), "{err}");
        let only_room = FieldPolicy::new([ClientField::RoomName]);
        let err =
            parse(r#"{"room_name":"r","participant_name":"n"}"#, &only_room).expect_err("refused");
        assert_eq!(err, ContractError::FieldNotAllowed("participant_name"));
        assert!(parse(r#"{"room_name":"r","participant_name":null}"#, &only_room).is_ok());
    }

    #[test]
    fn livekits_limits_hold() {
        let policy = FieldPolicy::default();
        let at = format!(
            r#"{{"participant_identity":"{}"}}"#,
            "x".repeat(MAX_IDENTITY_BYTES)
        );
        assert!(parse(&at, &policy).is_ok());
        let over = format!(r#"{{"participant_identity":"{}"}}"#, "é".repeat(129));
        assert_eq!(
            parse(&over, &policy),
            Err(ContractError::TooLong(
                "participant_identity",
                MAX_IDENTITY_BYTES
            ))
        );
        let over = format!(
            r#"{{"room_name":"{}"}}"#,
            "x".repeat(MAX_ROOM_NAME_BYTES + 1)
        );
        assert_eq!(parse(&over, &policy).map_err(|e| e.status()), Err(400));
    }
}
