//! The `token/...` cases: `POST /token`, its names, its bodies, their content type and size.

use super::shapes::{JSON, VALID, case, error, exchange, expect, padded_to, post, request, token};
use super::{BODY_LIMIT, NAMES_REQUIRED};
use crate::case::Body::{Chunked, Padded};
use crate::case::BodyRule::ErrorMessage;
use crate::case::StatusRule::Is;
use crate::case::{Case, Expect};
use crate::harm::Defect;

/// A body far past any limit a token request needs, and within what the contract's servers
/// read before answering 413 (the limit and a 1 MiB drain), so the answer can be read.
const MEGABYTE: usize = 1024 * 1024;

/// A 400 with exactly the fixed message.
const NAMES_MISSING: Expect = expect(Is(400), ErrorMessage(NAMES_REQUIRED), &[]);

/// The `token/...` cases, in the order they run.
pub const CASES: &[Case] = &[
    // --- token: the happy path -------------------------------------------------------------
    case(
        "token/valid",
        "A valid request gets 200 and a LiveKit token for that room and identity, nothing else.",
        exchange(post(JSON, VALID), token("room1", "alice")),
    ).sent_by_clients().read_by_clients(),
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
    ).sent_by_clients().read_by_clients(),
    case(
        "token/escaped-unicode-names",
        "JSON escapes in names are decoded, not kept as text.",
        exchange(
            post(JSON, br#"{"roomName":"caf\u00e9","participantName":"\ud83c\udfa5 cam"}"#),
            token("café", "🎥 cam"),
        ),
    ).sent_by_clients().read_by_clients(),
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
    ).sent_by_clients().read_by_clients(),
    case(
        "token/whitespace-verbatim",
        "Names are not trimmed.",
        exchange(
            post(JSON, br#"{"roomName":" room1 ","participantName":"\talice "}"#),
            token(" room1 ", "\talice "),
        ),
    ).sent_by_clients().read_by_clients(),
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
            request("POST", "/token", JSON, Chunked(VALID)),
            token("room1", "alice"),
        ),
    ),
    case(
        "token/body-at-limit",
        "A body of exactly 16 KiB is accepted.",
        exchange(
            request("POST", "/token", JSON, padded_to(BODY_LIMIT)),
            token("room1", "alice"),
        ),
    ),
    // --- token: names missing or of the wrong type ------------------------------------------
    case(
        "token/names-missing",
        "An empty object gets 400 with exactly the fixed message.",
        exchange(post(JSON, b"{}"), NAMES_MISSING),
    ).served_shows(Defect::TokenForInvalidInput).read_by_clients(),
    case(
        "token/room-missing",
        "A missing roomName gets 400 with exactly the fixed message.",
        exchange(post(JSON, br#"{"participantName":"alice"}"#), NAMES_MISSING),
    ).served_shows(Defect::TokenForInvalidInput).read_by_clients(),
    case(
        "token/participant-missing",
        "A missing participantName gets 400 with exactly the fixed message.",
        exchange(post(JSON, br#"{"roomName":"room1"}"#), NAMES_MISSING),
    ).served_shows(Defect::TokenForInvalidInput).read_by_clients(),
    case(
        "token/room-empty",
        "An empty roomName gets 400 with exactly the fixed message.",
        exchange(
            post(JSON, br#"{"roomName":"","participantName":"alice"}"#),
            NAMES_MISSING,
        ),
    ).served_shows(Defect::TokenForInvalidInput).read_by_clients(),
    case(
        "token/participant-empty",
        "An empty participantName gets 400 with exactly the fixed message.",
        exchange(
            post(JSON, br#"{"roomName":"room1","participantName":""}"#),
            NAMES_MISSING,
        ),
    ).served_shows(Defect::TokenForInvalidInput).read_by_clients(),
    case(
        "token/room-null",
        "A null roomName gets 400 with exactly the fixed message.",
        exchange(
            post(JSON, br#"{"roomName":null,"participantName":"alice"}"#),
            NAMES_MISSING,
        ),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/participant-null",
        "A null participantName gets 400 with exactly the fixed message.",
        exchange(
            post(JSON, br#"{"roomName":"room1","participantName":null}"#),
            NAMES_MISSING,
        ),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/room-number",
        "A roomName that is a number gets 400 with a message.",
        exchange(post(JSON, br#"{"roomName":42,"participantName":"alice"}"#), error(400)),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/participant-bool",
        "A participantName that is a boolean gets 400 with a message.",
        exchange(post(JSON, br#"{"roomName":"room1","participantName":true}"#), error(400)),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/room-array",
        "A roomName that is an array gets 400 with a message.",
        exchange(
            post(JSON, br#"{"roomName":["room1"],"participantName":"alice"}"#),
            error(400),
        ),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/participant-object",
        "A participantName that is an object gets 400 with a message.",
        exchange(
            post(JSON, br#"{"roomName":"room1","participantName":{"name":"alice"}}"#),
            error(400),
        ),
    ).served_shows(Defect::TokenForInvalidInput),
    // --- token: bodies that are not a JSON object -------------------------------------------
    case(
        "token/malformed-json",
        "A body that is not JSON gets 400 with a message, never a 500.",
        exchange(post(JSON, br#"{"roomName":"room1","#), error(400)),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/empty-body",
        "An empty body gets 400 with a message.",
        exchange(post(JSON, b""), error(400)),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/array-body",
        "A JSON array gets 400 with a message, even one holding both names.",
        exchange(post(JSON, br#"["room1","alice"]"#), error(400)),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/null-body",
        "A JSON null gets 400 with a message, never a 500.",
        exchange(post(JSON, b"null"), error(400)),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/string-body",
        "A JSON string gets 400 with a message.",
        exchange(post(JSON, br#""room1""#), error(400)),
    ).served_shows(Defect::TokenForInvalidInput),
    case(
        "token/invalid-utf8",
        "A body that is not UTF-8 gets 400 with a message.",
        exchange(
            post(JSON, b"{\"roomName\":\"room\xff\",\"participantName\":\"alice\"}"),
            error(400),
        ),
    ).served_shows(Defect::TokenForInvalidInput),
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
            request("POST", "/token", JSON, padded_to(BODY_LIMIT + 1)),
            error(413),
        ),
    )
    .served_shows(Defect::HigherBodyLimit),
    case(
        "token/megabyte-body",
        "A body of a megabyte gets 413: the server bounds what it reads.",
        exchange(
            request("POST", "/token", JSON, padded_to(MEGABYTE)),
            error(413),
        ),
    )
    .served_shows(Defect::NoBodyLimit),
    case(
        "token/oversized-chunked",
        "A chunked body that grows past 16 KiB gets 413.",
        exchange(
            request(
                "POST",
                "/token",
                JSON,
                Padded {
                    len: 64 * 1024,
                    chunked: true,
                },
            ),
            error(413),
        ),
    )
    .served_shows(Defect::HigherBodyLimit),
];
