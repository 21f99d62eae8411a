//! The `http/...` cases: routing, methods and connections.

use super::shapes::{
    ANY_ORIGIN, JSON, ONLY_POST_ALLOWED, VALID, case, error, exchange, expect, request,
};
use crate::case::Body::{Bytes, Empty};
use crate::case::BodyRule::{Any, ErrorLine, PlainText};
use crate::case::HeaderRule::{self, AllowHeaderLists, AllowsAnyOrigin};
use crate::case::StatusRule::{Is, Success};
use crate::case::{Case, Check, ORIGIN, Scenario};
use crate::harm::Defect;

/// `Allow: POST`, readable from any origin: the answer to `/token`'s other methods.
const POST_ALLOWED_ANY_ORIGIN: &[HeaderRule] = &[AllowHeaderLists("POST"), AllowsAnyOrigin];

/// The `http/...` cases, in the order they run.
pub const CASES: &[Case] = &[
    case(
        "http/healthz",
        "GET /healthz answers 200 with the plain-text body ok, in every response format.",
        exchange(
            request("GET", "/healthz", &[], Empty),
            expect(Is(200), PlainText("ok"), &[]),
        ),
    ),
    case(
        "http/healthz-post",
        "POST /healthz gets 405 with an Allow header listing GET.",
        exchange(
            request("POST", "/healthz", JSON, Bytes(VALID)),
            expect(Is(405), ErrorLine, &[AllowHeaderLists("GET")]),
        ),
    ),
    case(
        "http/get-token",
        "GET /token gets 405 with an Allow header listing POST.",
        exchange(request("GET", "/token", &[], Empty), ONLY_POST_ALLOWED),
    ),
    case(
        "http/put-token",
        "PUT /token gets 405 with an Allow header listing POST.",
        exchange(
            request("PUT", "/token", JSON, Bytes(VALID)),
            ONLY_POST_ALLOWED,
        ),
    ),
    case(
        "http/unknown-path",
        "An unknown path gets 404 with a message.",
        exchange(request("GET", "/no-such-endpoint", &[], Empty), error(404)),
    ),
    case(
        "http/head-healthz",
        "HEAD is answered wherever GET is: HEAD /healthz gets 200 with GET's headers and no body.",
        exchange(
            request("HEAD", "/healthz", &[], Empty),
            expect(Is(200), PlainText(""), ANY_ORIGIN),
        ),
    ),
    case(
        "http/head-token",
        "HEAD on /token, which has no GET, gets 405 with Allow.",
        exchange(
            request("HEAD", "/token", &[], Empty),
            expect(Is(405), Any, POST_ALLOWED_ANY_ORIGIN),
        ),
    ),
    case(
        "http/options-plain",
        "OPTIONS without Access-Control-Request-Method is not a preflight: 2xx with Allow.",
        exchange(
            request("OPTIONS", "/token", &[], Empty),
            expect(Success, Any, POST_ALLOWED_ANY_ORIGIN),
        ),
    ),
    case(
        "http/options-unknown-path",
        "OPTIONS on an unknown path gets 404, preflight or not.",
        exchange(
            request(
                "OPTIONS",
                "/no-such-endpoint",
                &[
                    ("origin", ORIGIN),
                    ("access-control-request-method", "POST"),
                ],
                Empty,
            ),
            error(404),
        ),
    ),
    case(
        "http/trailing-slash",
        "Paths match exactly: POST /token/ gets 404, not a token.",
        exchange(request("POST", "/token/", JSON, Bytes(VALID)), error(404)),
    )
    .served_shows(Defect::LenientRouting),
    case(
        "http/percent-encoded-path",
        "Paths are not percent-decoded: POST /tok%65n gets 404, not a token.",
        exchange(request("POST", "/tok%65n", JSON, Bytes(VALID)), error(404)),
    )
    .served_shows(Defect::LenientRouting),
    case(
        "http/post-unknown-path",
        "POST to an unknown path gets 404, not a token.",
        exchange(request("POST", "/tokens", JSON, Bytes(VALID)), error(404)),
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
];
