//! The `cors/...` cases: preflights, and every kind of answer readable from another origin.

use super::BODY_LIMIT;
use super::shapes::{
    ANY_ORIGIN, Headers, JSON, JSON_FROM_PAGE, PREFLIGHT_ALLOWED, TEXT_FROM_PAGE, VALID, case,
    cors_error, exchange, expect, padded_to, post, preflight, request, webhook_request,
};
use super::webhook::EVENT;
use crate::case::Body::Empty;
use crate::case::BodyRule::{Any, Token};
use crate::case::HeaderRule::{AllowsAnyOrigin, AllowsHeaders, AllowsMethod, HasMaxAge};
use crate::case::StatusRule::{Is, Success};
use crate::case::{Case, Expect, ORIGIN, WebhookAuth};
use crate::harm::Defect;

const FROM_PAGE: Headers = &[("origin", ORIGIN)];
/// The extra request headers, Authorization among them, that a page's preflight asks for.
const EXTRA_HEADERS: &str = "authorization,content-type,x-requested-with,x-custom-header";

/// The valid request's token, readable from any origin.
const TOKEN_FOR_ANY_ORIGIN: Expect = expect(
    Is(200),
    Token {
        room: "room1",
        identity: "alice",
    },
    ANY_ORIGIN,
);

/// The `cors/...` cases, in the order they run.
pub const CASES: &[Case] = &[
    case(
        "cors/preflight",
        "A preflight for POST with Content-Type gets 2xx allowing the origin, POST and the \
         header, with a max-age.",
        exchange(preflight("/token"), PREFLIGHT_ALLOWED),
    )
    .sent_by_clients()
    .read_by_clients(),
    case(
        "cors/preflight-other-method",
        "A preflight asking for another method still gets 2xx with the policy (POST, max-age); \
         the browser enforces it.",
        exchange(
            request(
                "OPTIONS",
                "/token",
                &[("origin", ORIGIN), ("access-control-request-method", "PUT")],
                Empty,
            ),
            expect(
                Success,
                Any,
                &[AllowsAnyOrigin, AllowsMethod("POST"), HasMaxAge],
            ),
        ),
    ),
    case(
        "cors/no-origin",
        "A request without Origin gets Access-Control-Allow-Origin: * too, as the seed's \
         Flask-CORS sends it.",
        exchange(post(JSON, VALID), TOKEN_FOR_ANY_ORIGIN),
    ),
    case(
        "cors/preflight-any-headers",
        "A preflight asking for extra headers (including Authorization) gets them all allowed.",
        exchange(
            request(
                "OPTIONS",
                "/token",
                &[
                    ("origin", ORIGIN),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", EXTRA_HEADERS),
                ],
                Empty,
            ),
            expect(
                Success,
                Any,
                &[
                    AllowsAnyOrigin,
                    AllowsMethod("POST"),
                    AllowsHeaders(EXTRA_HEADERS),
                    HasMaxAge,
                ],
            ),
        ),
    ),
    case(
        "cors/token",
        "A token response to a page on another origin allows that origin.",
        exchange(post(JSON_FROM_PAGE, VALID), TOKEN_FOR_ANY_ORIGIN),
    )
    .sent_by_clients()
    .read_by_clients(),
    case(
        "cors/error-400",
        "A 400 allows the origin, so the page can read the message.",
        exchange(post(JSON_FROM_PAGE, b"{}"), cors_error(400)),
    )
    .served_shows(Defect::TokenForInvalidInput)
    .read_by_clients(),
    case(
        "cors/error-404",
        "A 404 allows the origin.",
        exchange(
            request("GET", "/no-such-endpoint", FROM_PAGE, Empty),
            cors_error(404),
        ),
    ),
    case(
        "cors/error-405",
        "A 405 allows the origin.",
        exchange(request("GET", "/token", FROM_PAGE, Empty), cors_error(405)),
    ),
    case(
        "cors/error-413",
        "A 413 allows the origin.",
        exchange(
            request("POST", "/token", JSON_FROM_PAGE, padded_to(BODY_LIMIT + 1)),
            cors_error(413),
        ),
    )
    .served_shows(Defect::HigherBodyLimit),
    case(
        "cors/error-415",
        "A 415 allows the origin.",
        exchange(post(TEXT_FROM_PAGE, VALID), cors_error(415)),
    ),
    case(
        "cors/webhook-401",
        "A 401 from the webhook endpoint allows the origin too.",
        exchange(
            webhook_request(FROM_PAGE, EVENT, WebhookAuth::Missing, 0),
            cors_error(401),
        ),
    )
    .served_shows(Defect::WebhookForgery),
];
