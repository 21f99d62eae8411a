//! The contract, case by case. IDs are stable: rename one only with the contract's change.
//!
//! `conformance --list` prints this table; it is the reference for what a token server must do.

use crate::case::Body::{Bytes, Chunked, Empty, Padded, Webhook};
use crate::case::BodyRule;
use crate::case::BodyRule::{
    Acknowledged, Any, ErrorLine, ErrorMessage, JsonErrorNaming, PlainText, Token,
};
use crate::case::HeaderRule::{
    AllowHeaderLists, AllowsAnyOrigin, AllowsHeaders, AllowsMethod, HasMaxAge,
};
use crate::case::StatusRule::{Documented, Is, Success};
use crate::case::{
    Case, Check, Credentials, Expect, Flaw, Needs, Request, Scenario, Signer, WebhookAuth,
};

/// The one fixed error message.
pub const NAMES_REQUIRED: &str = "roomName and participantName are required";
/// The largest token request body the contract accepts.
pub const BODY_LIMIT: usize = 16 * 1024;
/// The largest webhook body the contract accepts.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;
/// The webhook path.
pub const WEBHOOK_PATH: &str = "/livekit/webhook";

/// A `participant_joined` event as LiveKit's server sends it (protobuf JSON).
macro_rules! participant_joined {
    () => {
        r#"{"event":"participant_joined","room":{"sid":"RM_hycBMAjmt6Ub","name":"room1","emptyTimeout":300,"creationTime":"1700000000","numParticipants":1},"participant":{"sid":"PA_39FbS2ZgAmAp","identity":"alice","state":"ACTIVE","joinedAt":"1700000001","name":"Alice"},"id":"EV_3bxUTa5mS3Sv","createdAt":"1700000001"}"#
    };
}
const EVENT: &[u8] = participant_joined!().as_bytes();
const EVENT_WITH_NEWLINE: &[u8] = concat!(participant_joined!(), "\n").as_bytes();
const EVENT_WITH_UNKNOWN_FIELDS: &[u8] = br#"{"event":"room_started","room":{"sid":"RM_x","name":"room1","futureField":{"a":[1,2]}},"id":"EV_2","createdAt":"1700000002","roomEndReason":"UNKNOWN","somethingNew":true}"#;
const TAMPERED_EVENT: &[u8] = br#"{"event":"participant_joined","room":{"sid":"RM_hycBMAjmt6Ub","name":"room2"},"participant":{"identity":"mallory"},"id":"EV_3bxUTa5mS3Sv","createdAt":"1700000001"}"#;

const fn signed(signer: Signer, flaw: Flaw) -> WebhookAuth {
    WebhookAuth::Signed { signer, flaw }
}

const fn webhook(event: &'static [u8], auth: WebhookAuth) -> Request {
    Request {
        method: "POST",
        path: WEBHOOK_PATH,
        headers: &[],
        body: Webhook {
            event,
            auth,
            pad_to: 0,
        },
    }
}

const ACKNOWLEDGED: Expect = Expect {
    status: Is(200),
    body: Acknowledged,
    headers: &[],
};

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];
const JSON_FROM_PAGE: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("origin", crate::case::ORIGIN),
];
const FROM_PAGE: &[(&str, &str)] = &[("origin", crate::case::ORIGIN)];
const VALID: &[u8] = br#"{"roomName":"room1","participantName":"alice"}"#;

const fn post(headers: &'static [(&'static str, &'static str)], body: &'static [u8]) -> Request {
    Request {
        method: "POST",
        path: "/token",
        headers,
        body: Bytes(body),
    }
}

const fn exchange(request: Request, expect: Expect) -> Check {
    Check::Exchange { request, expect }
}

const fn token(room: &'static str, identity: &'static str) -> Expect {
    Expect {
        status: Is(200),
        body: Token { room, identity },
        headers: &[],
    }
}

const fn error(status: u16) -> Expect {
    Expect {
        status: Is(status),
        body: ErrorLine,
        headers: &[],
    }
}

const NAMES_MISSING: Expect = Expect {
    status: Is(400),
    body: ErrorMessage(NAMES_REQUIRED),
    headers: &[],
};

const fn cors_error(status: u16) -> Expect {
    Expect {
        status: Is(status),
        body: ErrorLine,
        headers: &[AllowsAnyOrigin],
    }
}

/// The standard endpoint's path.
pub const SOURCE_PATH: &str = "/livekit/token";
const SOURCE_EVERY_FIELD: &[u8] = r#"{"room_name":"room1","participant_identity":"zoe-1","participant_name":"Zoé","participant_metadata":"{\"level\":3}","participant_attributes":{"team":"blue","snake_key":"v"}}"#.as_bytes();
const SOURCE_WITH_AGENT: &[u8] = br#"{"room_name":"room1","participant_identity":"zoe-1","room_config":{"agents":[{"agent_name":"my-agent","metadata":"m"}]}}"#;
const SOURCE_LONG_IDENTITY: &[u8] = concat!(
    r#"{"participant_identity":""#,
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    r#""}"#
)
.as_bytes();

/// A JSON request to the standard endpoint from a page.
const fn source(body: &'static [u8]) -> Request {
    Request {
        method: "POST",
        path: SOURCE_PATH,
        headers: JSON_FROM_PAGE,
        body: Bytes(body),
    }
}

const fn credentials(expected: &'static Credentials) -> Expect {
    Expect {
        status: Success,
        body: BodyRule::Credentials(expected),
        headers: &[AllowsAnyOrigin],
    }
}

const fn source_error(status: u16, field: &'static str) -> Expect {
    Expect {
        status: Is(status),
        body: JsonErrorNaming(field),
        headers: &[AllowsAnyOrigin],
    }
}

const fn case(id: &'static str, requirement: &'static str, check: Check) -> Case {
    Case {
        id,
        requirement,
        check,
        needs: Needs::Nothing,
    }
}

const fn case_needing(
    id: &'static str,
    requirement: &'static str,
    needs: Needs,
    check: Check,
) -> Case {
    Case {
        id,
        requirement,
        check,
        needs,
    }
}

/// Every case, in the order they run.
pub const CASES: &[Case] = &[
    // --- token: the happy path -------------------------------------------------------------
    case(
        "token/valid",
        "A valid request gets 200 and a LiveKit token for that room and identity, nothing else.",
        exchange(post(JSON, VALID), token("room1", "alice")),
    ),
    case(
        "token/unicode-names",
        "Names are any Unicode and are used verbatim.",
        exchange(
            post(
                JSON,
                r#"{"roomName":"Sala ñ 会議 🎥","participantName":"Zoë Ødegård"}"#.as_bytes(),
            ),
            token("Sala ñ 会議 🎥", "Zoë Ødegård"),
        ),
    ),
    case(
        "token/escaped-unicode-names",
        "JSON escapes in names are decoded, not kept as text.",
        exchange(
            post(JSON, br#"{"roomName":"caf\u00e9","participantName":"\ud83c\udfa5 cam"}"#),
            token("café", "🎥 cam"),
        ),
    ),
    case(
        "token/quotes-verbatim",
        "Names containing quotes and backslashes are neither re-quoted nor unescaped twice.",
        exchange(
            post(
                JSON,
                br#"{"roomName":"it's \"r\"","participantName":"\"alice\" \\o/"}"#,
            ),
            token("it's \"r\"", "\"alice\" \\o/"),
        ),
    ),
    case(
        "token/whitespace-verbatim",
        "Names are not trimmed.",
        exchange(
            post(JSON, br#"{"roomName":" room1 ","participantName":"\talice "}"#),
            token(" room1 ", "\talice "),
        ),
    ),
    case(
        "token/unknown-fields-ignored",
        "Unknown fields are ignored.",
        exchange(
            post(
                JSON,
                br#"{"roomName":"room1","participantName":"alice","roomAdmin":true,"video":{"roomAdmin":true},"ttl":1}"#,
            ),
            token("room1", "alice"),
        ),
    ),
    case(
        "token/content-type-charset",
        "application/json with a charset parameter is accepted.",
        exchange(
            post(&[("content-type", "application/json; charset=utf-8")], VALID),
            token("room1", "alice"),
        ),
    ),
    case(
        "token/content-type-case-insensitive",
        "The media type is matched case-insensitively.",
        exchange(
            post(&[("content-type", "Application/JSON;Charset=UTF-8")], VALID),
            token("room1", "alice"),
        ),
    ),
    case(
        "token/content-type-plus-json",
        "Any application/*+json media type is accepted.",
        exchange(
            post(&[("content-type", "application/vnd.openvidu+json")], VALID),
            token("room1", "alice"),
        ),
    ),
    case(
        "token/chunked-body",
        "A body sent with chunked transfer encoding is accepted.",
        exchange(
            Request {
                method: "POST",
                path: "/token",
                headers: JSON,
                body: Chunked(VALID),
            },
            token("room1", "alice"),
        ),
    ),
    case(
        "token/body-at-limit",
        "A body of exactly 16 KiB is accepted.",
        exchange(
            Request {
                method: "POST",
                path: "/token",
                headers: JSON,
                body: Padded {
                    len: BODY_LIMIT,
                    chunked: false,
                },
            },
            token("room1", "alice"),
        ),
    ),
    // --- token: names missing or of the wrong type ------------------------------------------
    case(
        "token/names-missing",
        "An empty object gets 400 with exactly the fixed message.",
        exchange(post(JSON, b"{}"), NAMES_MISSING),
    ),
    case(
        "token/room-missing",
        "A missing roomName gets 400 with exactly the fixed message.",
        exchange(post(JSON, br#"{"participantName":"alice"}"#), NAMES_MISSING),
    ),
    case(
        "token/participant-missing",
        "A missing participantName gets 400 with exactly the fixed message.",
        exchange(post(JSON, br#"{"roomName":"room1"}"#), NAMES_MISSING),
    ),
    case(
        "token/room-empty",
        "An empty roomName gets 400 with exactly the fixed message.",
        exchange(
            post(JSON, br#"{"roomName":"","participantName":"alice"}"#),
            NAMES_MISSING,
        ),
    ),
    case(
        "token/participant-empty",
        "An empty participantName gets 400 with exactly the fixed message.",
        exchange(
            post(JSON, br#"{"roomName":"room1","participantName":""}"#),
            NAMES_MISSING,
        ),
    ),
    case(
        "token/room-null",
        "A null roomName gets 400 with exactly the fixed message.",
        exchange(
            post(JSON, br#"{"roomName":null,"participantName":"alice"}"#),
            NAMES_MISSING,
        ),
    ),
    case(
        "token/participant-null",
        "A null participantName gets 400 with exactly the fixed message.",
        exchange(
            post(JSON, br#"{"roomName":"room1","participantName":null}"#),
            NAMES_MISSING,
        ),
    ),
    case(
        "token/room-number",
        "A roomName that is a number gets 400 with a message.",
        exchange(post(JSON, br#"{"roomName":42,"participantName":"alice"}"#), error(400)),
    ),
    case(
        "token/participant-bool",
        "A participantName that is a boolean gets 400 with a message.",
        exchange(post(JSON, br#"{"roomName":"room1","participantName":true}"#), error(400)),
    ),
    case(
        "token/room-array",
        "A roomName that is an array gets 400 with a message.",
        exchange(
            post(JSON, br#"{"roomName":["room1"],"participantName":"alice"}"#),
            error(400),
        ),
    ),
    case(
        "token/participant-object",
        "A participantName that is an object gets 400 with a message.",
        exchange(
            post(JSON, br#"{"roomName":"room1","participantName":{"name":"alice"}}"#),
            error(400),
        ),
    ),
    // --- token: bodies that are not a JSON object -------------------------------------------
    case(
        "token/malformed-json",
        "A body that is not JSON gets 400 with a message, never a 500.",
        exchange(post(JSON, br#"{"roomName":"room1","#), error(400)),
    ),
    case(
        "token/empty-body",
        "An empty body gets 400 with a message.",
        exchange(post(JSON, b""), error(400)),
    ),
    case(
        "token/array-body",
        "A JSON array gets 400 with a message, even one holding both names.",
        exchange(post(JSON, br#"["room1","alice"]"#), error(400)),
    ),
    case(
        "token/null-body",
        "A JSON null gets 400 with a message, never a 500.",
        exchange(post(JSON, b"null"), error(400)),
    ),
    case(
        "token/string-body",
        "A JSON string gets 400 with a message.",
        exchange(post(JSON, br#""room1""#), error(400)),
    ),
    case(
        "token/invalid-utf8",
        "A body that is not UTF-8 gets 400 with a message.",
        exchange(
            post(JSON, b"{\"roomName\":\"room\xff\",\"participantName\":\"alice\"}"),
            error(400),
        ),
    ),
    // --- token: content type ----------------------------------------------------------------
    case(
        "token/no-content-type",
        "A body without a Content-Type gets 415.",
        exchange(post(&[], VALID), error(415)),
    ),
    case(
        "token/text-plain",
        "A body sent as text/plain gets 415.",
        exchange(post(&[("content-type", "text/plain")], VALID), error(415)),
    ),
    case(
        "token/form-urlencoded",
        "A body sent as a form gets 415.",
        exchange(
            post(
                &[("content-type", "application/x-www-form-urlencoded")],
                b"roomName=room1&participantName=alice",
            ),
            error(415),
        ),
    ),
    case(
        "token/json-lookalike-media-type",
        "A media type that merely resembles JSON (application/jsonx) gets 415.",
        exchange(post(&[("content-type", "application/jsonx")], VALID), error(415)),
    ),
    case(
        "token/text-json",
        "text/json is not a JSON media type of the contract and gets 415.",
        exchange(post(&[("content-type", "text/json")], VALID), error(415)),
    ),
    // --- token: size -------------------------------------------------------------------------
    case(
        "token/oversized",
        "A body one byte over 16 KiB gets 413.",
        exchange(
            Request {
                method: "POST",
                path: "/token",
                headers: JSON,
                body: Padded {
                    len: BODY_LIMIT + 1,
                    chunked: false,
                },
            },
            error(413),
        ),
    ),
    case(
        "token/oversized-chunked",
        "A chunked body that grows past 16 KiB gets 413.",
        exchange(
            Request {
                method: "POST",
                path: "/token",
                headers: JSON,
                body: Padded {
                    len: 64 * 1024,
                    chunked: true,
                },
            },
            error(413),
        ),
    ),
    // --- webhook: LiveKit events, verified as LiveKit's receivers verify them ----------------
    case(
        "webhook/valid-suite-signed",
        "A webhook signed like LiveKit's server does (by the suite's own code) is acknowledged.",
        exchange(webhook(EVENT, signed(Signer::Suite, Flaw::None)), ACKNOWLEDGED),
    ),
    case(
        "webhook/valid-livekit-signed",
        "A webhook signed by LiveKit's official SDK is acknowledged.",
        exchange(webhook(EVENT, signed(Signer::LiveKit, Flaw::None)), ACKNOWLEDGED),
    ),
    case(
        "webhook/unknown-fields-ignored",
        "Unknown fields of a signed event are ignored.",
        exchange(
            webhook(EVENT_WITH_UNKNOWN_FIELDS, signed(Signer::LiveKit, Flaw::None)),
            ACKNOWLEDGED,
        ),
    ),
    case(
        "webhook/missing-authorization",
        "A webhook without an Authorization header gets 401.",
        exchange(webhook(EVENT, WebhookAuth::Missing), error(401)),
    ),
    case(
        "webhook/garbage-authorization",
        "A webhook whose Authorization is not a JWT gets 401.",
        exchange(webhook(EVENT, WebhookAuth::Literal("not-a-jwt")), error(401)),
    ),
    case(
        "webhook/bearer-prefix",
        "A webhook token with a Bearer prefix gets 401, as with LiveKit's receivers.",
        exchange(webhook(EVENT, signed(Signer::LiveKit, Flaw::BearerPrefix)), error(401)),
    ),
    case(
        "webhook/wrong-secret",
        "A webhook signed with another secret gets 401.",
        exchange(webhook(EVENT, signed(Signer::Suite, Flaw::WrongSecret)), error(401)),
    ),
    case(
        "webhook/wrong-key",
        "A webhook issued for another API key gets 401.",
        exchange(webhook(EVENT, signed(Signer::Suite, Flaw::WrongKey)), error(401)),
    ),
    case(
        "webhook/tampered-body",
        "A body changed after signing gets 401.",
        exchange(
            webhook(TAMPERED_EVENT, signed(Signer::Suite, Flaw::HashOf(EVENT))),
            error(401),
        ),
    ),
    case(
        "webhook/trailing-newline",
        "A newline added to the body after signing gets 401: the exact bytes are hashed.",
        exchange(
            webhook(EVENT_WITH_NEWLINE, signed(Signer::Suite, Flaw::HashOf(EVENT))),
            error(401),
        ),
    ),
    case(
        "webhook/expired",
        "A webhook token expired beyond the 60 s leeway gets 401.",
        exchange(webhook(EVENT, signed(Signer::Suite, Flaw::Expired)), error(401)),
    ),
    case(
        "webhook/no-hash",
        "A webhook token without a sha256 claim gets 401.",
        exchange(webhook(EVENT, signed(Signer::Suite, Flaw::NoHash)), error(401)),
    ),
    case(
        "webhook/url-safe-hash",
        "A sha256 claim in URL-safe base64 gets 401: LiveKit uses the standard alphabet.",
        exchange(webhook(EVENT, signed(Signer::Suite, Flaw::UrlSafeHash)), error(401)),
    ),
    case(
        "webhook/unpadded-hash",
        "A sha256 claim without base64 padding gets 401.",
        exchange(webhook(EVENT, signed(Signer::Suite, Flaw::UnpaddedHash)), error(401)),
    ),
    case(
        "webhook/join-token",
        "An ordinary join token used as webhook authorization gets 401.",
        exchange(webhook(EVENT, signed(Signer::LiveKit, Flaw::JoinToken)), error(401)),
    ),
    case(
        "webhook/not-an-event",
        "A correctly signed body that is not a JSON object gets 400.",
        exchange(webhook(b"[\"participant_joined\"]", signed(Signer::Suite, Flaw::None)), error(400)),
    ),
    case(
        "webhook/event-not-a-string",
        "A correctly signed object whose event is not a string gets 400.",
        exchange(webhook(br#"{"event":7,"id":"EV_1"}"#, signed(Signer::Suite, Flaw::None)), error(400)),
    ),
    case(
        "webhook/oversized",
        "A webhook body over 1 MiB gets 413.",
        exchange(
            Request {
                method: "POST",
                path: WEBHOOK_PATH,
                headers: &[],
                body: Webhook {
                    event: EVENT,
                    auth: signed(Signer::Suite, Flaw::None),
                    pad_to: WEBHOOK_BODY_LIMIT + 1,
                },
            },
            error(413),
        ),
    ),
    case(
        "webhook/get",
        "GET on the webhook path gets 405 with an Allow header listing POST.",
        exchange(
            Request {
                method: "GET",
                path: WEBHOOK_PATH,
                headers: &[],
                body: Empty,
            },
            Expect {
                status: Is(405),
                body: ErrorLine,
                headers: &[AllowHeaderLists("POST")],
            },
        ),
    ),
    // --- http: routing and connections -------------------------------------------------------
    case(
        "http/healthz",
        "GET /healthz answers 200 with the plain-text body ok, in every response format.",
        exchange(
            Request {
                method: "GET",
                path: "/healthz",
                headers: &[],
                body: Empty,
            },
            Expect {
                status: Is(200),
                body: PlainText("ok"),
                headers: &[],
            },
        ),
    ),
    case(
        "http/healthz-post",
        "POST /healthz gets 405 with an Allow header listing GET.",
        exchange(
            Request {
                method: "POST",
                path: "/healthz",
                headers: JSON,
                body: Bytes(VALID),
            },
            Expect {
                status: Is(405),
                body: ErrorLine,
                headers: &[AllowHeaderLists("GET")],
            },
        ),
    ),
    case(
        "http/get-token",
        "GET /token gets 405 with an Allow header listing POST.",
        exchange(
            Request {
                method: "GET",
                path: "/token",
                headers: &[],
                body: Empty,
            },
            Expect {
                status: Is(405),
                body: ErrorLine,
                headers: &[AllowHeaderLists("POST")],
            },
        ),
    ),
    case(
        "http/put-token",
        "PUT /token gets 405 with an Allow header listing POST.",
        exchange(
            Request {
                method: "PUT",
                path: "/token",
                headers: JSON,
                body: Bytes(VALID),
            },
            Expect {
                status: Is(405),
                body: ErrorLine,
                headers: &[AllowHeaderLists("POST")],
            },
        ),
    ),
    case(
        "http/unknown-path",
        "An unknown path gets 404 with a message.",
        exchange(
            Request {
                method: "GET",
                path: "/no-such-endpoint",
                headers: &[],
                body: Empty,
            },
            error(404),
        ),
    ),
    case(
        "http/head-healthz",
        "HEAD is answered wherever GET is: HEAD /healthz gets 200 with GET's headers and no body.",
        exchange(
            Request {
                method: "HEAD",
                path: "/healthz",
                headers: &[],
                body: Empty,
            },
            Expect {
                status: Is(200),
                body: PlainText(""),
                headers: &[AllowsAnyOrigin],
            },
        ),
    ),
    case(
        "http/head-token",
        "HEAD on /token, which has no GET, gets 405 with Allow.",
        exchange(
            Request {
                method: "HEAD",
                path: "/token",
                headers: &[],
                body: Empty,
            },
            Expect {
                status: Is(405),
                body: Any,
                headers: &[AllowHeaderLists("POST"), AllowsAnyOrigin],
            },
        ),
    ),
    case(
        "http/options-plain",
        "OPTIONS without Access-Control-Request-Method is not a preflight: 2xx with Allow.",
        exchange(
            Request {
                method: "OPTIONS",
                path: "/token",
                headers: &[],
                body: Empty,
            },
            Expect {
                status: Success,
                body: Any,
                headers: &[AllowHeaderLists("POST"), AllowsAnyOrigin],
            },
        ),
    ),
    case(
        "http/options-unknown-path",
        "OPTIONS on an unknown path gets 404, preflight or not.",
        exchange(
            Request {
                method: "OPTIONS",
                path: "/no-such-endpoint",
                headers: &[
                    ("origin", crate::case::ORIGIN),
                    ("access-control-request-method", "POST"),
                ],
                body: Empty,
            },
            error(404),
        ),
    ),
    case(
        "http/trailing-slash",
        "Paths match exactly: POST /token/ gets 404, not a token.",
        exchange(
            Request {
                method: "POST",
                path: "/token/",
                headers: JSON,
                body: Bytes(VALID),
            },
            error(404),
        ),
    ),
    case(
        "http/percent-encoded-path",
        "Paths are not percent-decoded: POST /tok%65n gets 404, not a token.",
        exchange(
            Request {
                method: "POST",
                path: "/tok%65n",
                headers: JSON,
                body: Bytes(VALID),
            },
            error(404),
        ),
    ),
    case(
        "http/post-unknown-path",
        "POST to an unknown path gets 404, not a token.",
        exchange(
            Request {
                method: "POST",
                path: "/tokens",
                headers: JSON,
                body: Bytes(VALID),
            },
            error(404),
        ),
    ),
    case(
        "http/keep-alive",
        "Two requests on one kept-alive connection are both answered.",
        Check::Scenario(Scenario::KeepAlive),
    ),
    case(
        "http/serves-after-oversized",
        "After refusing an oversized chunked body the server keeps serving.",
        Check::Scenario(Scenario::ServesAfterOversizedBody),
    ),
    case(
        "http/connection-after-413",
        "After a 413 the connection is either closed with Connection: close or still usable.",
        Check::Scenario(Scenario::ConnectionUsableAfterRefusal),
    ),
    case(
        "http/stalled-client",
        "A client that stalls mid-request does not delay another client.",
        Check::Scenario(Scenario::StalledClientDoesNotBlock),
    ),
    // --- endpoint: LiveKit's standard token endpoint ----------------------------------------
    case(
        "endpoint/generated-names",
        "POST /livekit/token with {} gets 2xx credentials for a generated room-... and \
         participant-..., and the configured server_url.",
        exchange(source(b"{}"), credentials(&Credentials::GENERATED)),
    ),
    case(
        "endpoint/created-201",
        "The standard endpoint answers 201, as LiveKit's docs state (SDKs accept any 2xx).",
        exchange(
            source(b"{}"),
            Expect {
                status: Documented(201),
                body: Any,
                headers: &[],
            },
        ),
    ),
    case(
        "endpoint/every-field",
        "room_name, participant_identity, participant_name, participant_metadata and \
         participant_attributes all reach the token (video.room, sub, name, metadata, \
         attributes).",
        exchange(
            source(SOURCE_EVERY_FIELD),
            credentials(&Credentials {
                room: Some("room1"),
                identity: Some("zoe-1"),
                name: Some("Zoé"),
                metadata: Some(r#"{"level":3}"#),
                attributes: &[("team", "blue"), ("snake_key", "v")],
                agent: None,
            }),
        ),
    ),
    case(
        "endpoint/unknown-fields-ignored",
        "Unknown fields (roomName, a future field) are ignored.",
        exchange(
            source(br#"{"room_name":"room1","participant_identity":"zoe-1","roomName":"other","future":[1]}"#),
            credentials(&Credentials {
                room: Some("room1"),
                identity: Some("zoe-1"),
                ..Credentials::GENERATED
            }),
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
                room: Some("room1"),
                identity: Some("zoe-1"),
                agent: Some("my-agent"),
                ..Credentials::GENERATED
            }),
        ),
    ),
    case_needing(
        "endpoint/room-config-refused",
        "By default room_config (agent dispatch) is refused with 403 naming it.",
        Needs::RoomConfigRefused,
        exchange(source(SOURCE_WITH_AGENT), source_error(403, "room_config")),
    ),
    case(
        "endpoint/room-name-number",
        "A room_name that is not a string gets 400 naming it, in JSON.",
        exchange(source(br#"{"room_name":5}"#), source_error(400, "room_name")),
    ),
    case(
        "endpoint/attribute-not-a-string",
        "An attribute value that is not a string gets 400 naming participant_attributes.",
        exchange(
            source(br#"{"participant_attributes":{"k":1}}"#),
            source_error(400, "participant_attributes"),
        ),
    ),
    case(
        "endpoint/room-config-not-an-object",
        "A room_config that is not an object gets 400 naming it.",
        exchange(source(br#"{"room_config":"agents"}"#), source_error(400, "room_config")),
    ),
    case(
        "endpoint/identity-too-long",
        "An identity over LiveKit's 256-byte limit gets 400 naming it.",
        exchange(source(SOURCE_LONG_IDENTITY), source_error(400, "participant_identity")),
    ),
    case(
        "endpoint/text-plain",
        "A body not sent as JSON gets 415, in JSON.",
        exchange(
            Request {
                method: "POST",
                path: SOURCE_PATH,
                headers: &[("content-type", "text/plain"), ("origin", crate::case::ORIGIN)],
                body: Bytes(b"{}"),
            },
            source_error(415, ""),
        ),
    ),
    case(
        "endpoint/oversized",
        "A body over 16 KiB gets 413, in JSON.",
        exchange(
            Request {
                method: "POST",
                path: SOURCE_PATH,
                headers: JSON_FROM_PAGE,
                body: Padded {
                    len: BODY_LIMIT + 1,
                    chunked: false,
                },
            },
            source_error(413, ""),
        ),
    ),
    case(
        "endpoint/preflight",
        "A preflight for the standard endpoint, as LiveKit's JS SDK makes it, gets 2xx with the \
         policy.",
        exchange(
            Request {
                method: "OPTIONS",
                path: SOURCE_PATH,
                headers: &[
                    ("origin", crate::case::ORIGIN),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "content-type"),
                ],
                body: Empty,
            },
            Expect {
                status: Success,
                body: Any,
                headers: &[
                    AllowsAnyOrigin,
                    AllowsMethod("POST"),
                    AllowsHeaders("content-type"),
                    HasMaxAge,
                ],
            },
        ),
    ),
    // --- cors -------------------------------------------------------------------------------
    case(
        "cors/preflight",
        "A preflight for POST with Content-Type gets 2xx allowing the origin, POST and the \
         header, with a max-age.",
        exchange(
            Request {
                method: "OPTIONS",
                path: "/token",
                headers: &[
                    ("origin", crate::case::ORIGIN),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "content-type"),
                ],
                body: Empty,
            },
            Expect {
                status: Success,
                body: Any,
                headers: &[
                    AllowsAnyOrigin,
                    AllowsMethod("POST"),
                    AllowsHeaders("content-type"),
                    HasMaxAge,
                ],
            },
        ),
    ),
    case(
        "cors/preflight-other-method",
        "A preflight asking for another method still gets 2xx with the policy (POST, max-age); \
         the browser enforces it.",
        exchange(
            Request {
                method: "OPTIONS",
                path: "/token",
                headers: &[
                    ("origin", crate::case::ORIGIN),
                    ("access-control-request-method", "PUT"),
                ],
                body: Empty,
            },
            Expect {
                status: Success,
                body: Any,
                headers: &[AllowsAnyOrigin, AllowsMethod("POST"), HasMaxAge],
            },
        ),
    ),
    case(
        "cors/no-origin",
        "A request without Origin gets Access-Control-Allow-Origin: * too, as the seed's \
         Flask-CORS sends it.",
        exchange(
            post(JSON, VALID),
            Expect {
                status: Is(200),
                body: Token {
                    room: "room1",
                    identity: "alice",
                },
                headers: &[AllowsAnyOrigin],
            },
        ),
    ),
    case(
        "cors/preflight-any-headers",
        "A preflight asking for extra headers (including Authorization) gets them all allowed.",
        exchange(
            Request {
                method: "OPTIONS",
                path: "/token",
                headers: &[
                    ("origin", crate::case::ORIGIN),
                    ("access-control-request-method", "POST"),
                    (
                        "access-control-request-headers",
                        "authorization,content-type,x-requested-with,x-custom-header",
                    ),
                ],
                body: Empty,
            },
            Expect {
                status: Success,
                body: Any,
                headers: &[
                    AllowsAnyOrigin,
                    AllowsMethod("POST"),
                    AllowsHeaders("authorization,content-type,x-requested-with,x-custom-header"),
                    HasMaxAge,
                ],
            },
        ),
    ),
    case(
        "cors/token",
        "A token response to a page on another origin allows that origin.",
        exchange(
            post(JSON_FROM_PAGE, VALID),
            Expect {
                status: Is(200),
                body: Token {
                    room: "room1",
                    identity: "alice",
                },
                headers: &[AllowsAnyOrigin],
            },
        ),
    ),
    case(
        "cors/error-400",
        "A 400 allows the origin, so the page can read the message.",
        exchange(post(JSON_FROM_PAGE, b"{}"), cors_error(400)),
    ),
    case(
        "cors/error-404",
        "A 404 allows the origin.",
        exchange(
            Request {
                method: "GET",
                path: "/no-such-endpoint",
                headers: FROM_PAGE,
                body: Empty,
            },
            cors_error(404),
        ),
    ),
    case(
        "cors/error-405",
        "A 405 allows the origin.",
        exchange(
            Request {
                method: "GET",
                path: "/token",
                headers: FROM_PAGE,
                body: Empty,
            },
            cors_error(405),
        ),
    ),
    case(
        "cors/error-413",
        "A 413 allows the origin.",
        exchange(
            Request {
                method: "POST",
                path: "/token",
                headers: JSON_FROM_PAGE,
                body: Padded {
                    len: BODY_LIMIT + 1,
                    chunked: false,
                },
            },
            cors_error(413),
        ),
    ),
    case(
        "cors/error-415",
        "A 415 allows the origin.",
        exchange(
            post(&[("content-type", "text/plain"), ("origin", crate::case::ORIGIN)], VALID),
            cors_error(415),
        ),
    ),
    case(
        "cors/webhook-401",
        "A 401 from the webhook endpoint allows the origin too.",
        exchange(
            Request {
                method: "POST",
                path: WEBHOOK_PATH,
                headers: FROM_PAGE,
                body: Webhook {
                    event: EVENT,
                    auth: WebhookAuth::Missing,
                    pad_to: 0,
                },
            },
            cors_error(401),
        ),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for case in CASES {
            assert!(seen.insert(case.id), "duplicate id {}", case.id);
            let (area, name) = case.id.split_once('/').expect("area/name");
            assert!(
                ["token", "endpoint", "webhook", "http", "cors"].contains(&area),
                "{}",
                case.id
            );
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                case.id
            );
            assert!(case.requirement.ends_with('.'), "{}", case.id);
        }
    }
}
