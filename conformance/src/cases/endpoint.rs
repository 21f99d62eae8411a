//! The `endpoint/...` cases: LiveKit's standard token endpoint, `POST /livekit/token`.

use super::shapes::{
    JSON_FROM_PAGE, PREFLIGHT_ALLOWED, TEXT_FROM_PAGE, case, case_needing, credentials, exchange,
    expect, padded_to, preflight, request, source, source_error,
};
use super::{BODY_LIMIT, SOURCE_PATH};
use crate::case::Body::Bytes;
use crate::case::BodyRule::{Any, ServerUrlScheme};
use crate::case::StatusRule::{Documented, Success};
use crate::case::{Case, Credentials, Needs};
use crate::harm::Defect;

const SOURCE_EVERY_FIELD: &[u8] = r#"{"room_name":"room1","participant_identity":"zoe-1","participant_name":"Zoé","participant_metadata":"{\"level\":3}","participant_attributes":{"team":"blue","snake_key":"v"}}"#.as_bytes();
/// `room_config` as an official starter's endpoint sent it, empty, and with no agent: a 5xx
/// for either once broke agent dispatch (LiveKit, 2026).
const SOURCE_EMPTY_ROOM_CONFIG: &[u8] =
    br#"{"room_name":"room1","participant_identity":"zoe-1","room_config":{}}"#;
const SOURCE_NO_AGENTS: &[u8] =
    br#"{"room_name":"room1","participant_identity":"zoe-1","room_config":{"agents":[]}}"#;
const SOURCE_WITH_AGENT: &[u8] = br#"{"room_name":"room1","participant_identity":"zoe-1","room_config":{"agents":[{"agent_name":"my-agent","metadata":"m"}]}}"#;
const SOURCE_LONG_IDENTITY: &[u8] = concat!(
    r#"{"participant_identity":""#,
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    r#""}"#
)
.as_bytes();

/// The room and identity the requests name, everything else generated.
const ZOE_IN_ROOM1: Credentials = Credentials {
    room: Some("room1"),
    identity: Some("zoe-1"),
    ..Credentials::GENERATED
};

/// The `endpoint/...` cases, in the order they run.
pub const CASES: &[Case] = &[
    case(
        "endpoint/generated-names",
        "POST /livekit/token with {} gets 2xx credentials for a generated room-... and \
         participant-..., and the configured server_url.",
        exchange(source(b"{}"), credentials(&Credentials::GENERATED)),
    ).sent_by_clients().read_by_clients(),
    case(
        "endpoint/server-url-scheme",
        "The standard endpoint's server_url is a ws, wss, http or https URL with a host, \
         as LiveKit's clients connect to.",
        exchange(source(b"{}"), expect(Success, ServerUrlScheme, &[])),
    ),
    case(
        "endpoint/created-201",
        "The standard endpoint answers 201, as LiveKit's docs state (SDKs accept any 2xx).",
        exchange(source(b"{}"), expect(Documented(201), Any, &[])),
    ),
    case(
        "endpoint/every-field",
        "room_name, participant_identity, participant_name, participant_metadata and \
         participant_attributes all reach the token (video.room, sub, name, metadata, \
         attributes).",
        exchange(
            source(SOURCE_EVERY_FIELD),
            credentials(&Credentials {
                name: Some("Zoé"),
                metadata: Some(r#"{"level":3}"#),
                attributes: &[("team", "blue"), ("snake_key", "v")],
                ..ZOE_IN_ROOM1
            }),
        ),
    ).sent_by_clients().read_by_clients(),
    case(
        "endpoint/unknown-fields-ignored",
        "Unknown fields (roomName, a future field) are ignored.",
        exchange(
            source(br#"{"room_name":"room1","participant_identity":"zoe-1","roomName":"other","future":[1]}"#),
            credentials(&ZOE_IN_ROOM1),
        ),
    ),
    case_needing(
        "endpoint/room-config-agents",
        "Where room_config is allowed, room_config.agents reaches the token as \
         roomConfig.agents[].agentName, as LiveKit's encoders write it.",
        Needs::RoomConfigAllowed,
        exchange(
            source(SOURCE_WITH_AGENT),
            credentials(&Credentials {
                agent: Some("my-agent"),
                ..ZOE_IN_ROOM1
            }),
        ),
    ).sent_by_clients().read_by_clients(),
    case_needing(
        "endpoint/room-config-refused",
        "By default room_config (agent dispatch) is refused with 403 naming it.",
        Needs::RoomConfigRefused,
        exchange(source(SOURCE_WITH_AGENT), source_error(403, "room_config")),
    ).served_shows(Defect::PolicyBypass),
    case_needing(
        "endpoint/room-config-empty",
        "Where room_config is allowed, an empty one ({}) gets credentials, never a 5xx.",
        Needs::RoomConfigAllowed,
        exchange(source(SOURCE_EMPTY_ROOM_CONFIG), credentials(&ZOE_IN_ROOM1)),
    ),
    case_needing(
        "endpoint/room-config-empty-refused",
        "By default an empty room_config ({}) is refused like any other: 403 naming it, \
         never a 5xx.",
        Needs::RoomConfigRefused,
        exchange(source(SOURCE_EMPTY_ROOM_CONFIG), source_error(403, "room_config")),
    ).served_shows(Defect::AcceptsHarmlessly),
    case_needing(
        "endpoint/room-config-no-agents",
        "Where room_config is allowed, one with an empty agents list gets credentials \
         without an agent, never a 5xx.",
        Needs::RoomConfigAllowed,
        exchange(source(SOURCE_NO_AGENTS), credentials(&ZOE_IN_ROOM1)),
    ),
    case_needing(
        "endpoint/room-config-no-agents-refused",
        "By default a room_config with an empty agents list is refused: 403 naming it, never \
         a 5xx.",
        Needs::RoomConfigRefused,
        exchange(source(SOURCE_NO_AGENTS), source_error(403, "room_config")),
    ).served_shows(Defect::AcceptsHarmlessly),
    case(
        "endpoint/room-name-number",
        "A room_name that is not a string gets 400 naming it, in JSON.",
        exchange(source(br#"{"room_name":5}"#), source_error(400, "room_name")),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "endpoint/attribute-not-a-string",
        "An attribute value that is not a string gets 400 naming participant_attributes.",
        exchange(
            source(br#"{"participant_attributes":{"k":1}}"#),
            source_error(400, "participant_attributes"),
        ),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "endpoint/room-config-not-an-object",
        "A room_config that is not an object gets 400 naming it.",
        exchange(source(br#"{"room_config":"agents"}"#), source_error(400, "room_config")),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "endpoint/identity-too-long",
        "An identity over LiveKit's 256-byte limit gets 400 naming it.",
        exchange(source(SOURCE_LONG_IDENTITY), source_error(400, "participant_identity")),
    ).served_shows(Defect::AcceptsHarmlessly),
    case(
        "endpoint/text-plain",
        "A body not sent as JSON gets 415, in JSON.",
        exchange(
            request("POST", SOURCE_PATH, TEXT_FROM_PAGE, Bytes(b"{}")),
            source_error(415, ""),
        ),
    ),
    case(
        "endpoint/oversized",
        "A body over 16 KiB gets 413, in JSON.",
        exchange(
            request("POST", SOURCE_PATH, JSON_FROM_PAGE, padded_to(BODY_LIMIT + 1)),
            source_error(413, ""),
        ),
    ).served_shows(Defect::HigherBodyLimit),
    case(
        "endpoint/preflight",
        "A preflight for the standard endpoint, as LiveKit's JS SDK makes it, gets 2xx with the \
         policy.",
        exchange(preflight(SOURCE_PATH), PREFLIGHT_ALLOWED),
    ).sent_by_clients().read_by_clients(),
];
