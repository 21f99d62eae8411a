//! The contract, case by case. IDs are stable: rename one only with the contract's change.
//!
//! `conformance --list` prints this table; it is the reference for what a token server must do.

use crate::case::Body::{Bytes, Chunked, Empty, Padded};
use crate::case::BodyRule::{Any, ErrorLine, ErrorMessage, Token};
use crate::case::HeaderRule::{
    AllowHeaderLists, AllowsAnyOrigin, AllowsHeaders, AllowsMethod, HasMaxAge,
};
use crate::case::StatusRule::{Is, Success};
use crate::case::{Case, Check, Expect, Request, Scenario};

/// The one fixed error message.
pub const NAMES_REQUIRED: &str = "roomName and participantName are required";
/// The largest body the contract accepts.
pub const BODY_LIMIT: usize = 16 * 1024;

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

const fn case(id: &'static str, requirement: &'static str, check: Check) -> Case {
    Case {
        id,
        requirement,
        check,
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
    // --- http: routing and connections -------------------------------------------------------
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
];

/// The case with this ID, if any.
pub fn find(id: &str) -> Option<&'static Case> {
    CASES.iter().find(|case| case.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for case in CASES {
            assert!(seen.insert(case.id), "duplicate id {}", case.id);
            let (area, name) = case.id.split_once('/').expect("area/name");
            assert!(["token", "http", "cors"].contains(&area), "{}", case.id);
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
