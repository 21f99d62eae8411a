//! The shapes cases are written in: const-fn constructors and the pieces several areas share.

use crate::case::Body::{self, Bytes, Empty, Padded, Webhook};
use crate::case::BodyRule::{self, Any, ErrorLine, JsonErrorNaming, Token};
use crate::case::HeaderRule::{
    self, AllowHeaderLists, AllowsAnyOrigin, AllowsHeaders, AllowsMethod, HasMaxAge,
};
use crate::case::StatusRule::{self, Is, Success};
use crate::case::{
    Case, Check, Credentials, Expect, Flaw, Needs, ORIGIN, Request, Signer, WebhookAuth,
};

use super::{SOURCE_PATH, WEBHOOK_PATH};
use crate::harm::Stakes;

/// Request headers, sent as given.
pub(super) type Headers = &'static [(&'static str, &'static str)];

pub(super) const JSON: Headers = &[("content-type", "application/json")];
// `FROM_PAGE`: sent by a page on another origin, so with an `Origin` header.
pub(super) const JSON_FROM_PAGE: Headers =
    &[("content-type", "application/json"), ("origin", ORIGIN)];
pub(super) const TEXT_FROM_PAGE: Headers = &[("content-type", "text/plain"), ("origin", ORIGIN)];
/// A preflight for a JSON `POST`, as a browser (and LiveKit's JS SDK) makes it.
const PREFLIGHT_FOR_JSON_POST: Headers = &[
    ("origin", ORIGIN),
    ("access-control-request-method", "POST"),
    ("access-control-request-headers", "content-type"),
];

/// A valid token request: room `room1`, participant `alice`.
pub(super) const VALID: &[u8] = super::TUTORIAL_BODY.as_bytes();

/// A response any page may read.
pub(super) const ANY_ORIGIN: &[HeaderRule] = &[AllowsAnyOrigin];

/// A 405 whose `Allow` header lists `POST`.
pub(super) const ONLY_POST_ALLOWED: Expect =
    expect(Is(405), ErrorLine, &[AllowHeaderLists("POST")]);

/// The CORS policy granted to [`PREFLIGHT_FOR_JSON_POST`].
pub(super) const PREFLIGHT_ALLOWED: Expect = expect(
    Success,
    Any,
    &[
        AllowsAnyOrigin,
        AllowsMethod("POST"),
        AllowsHeaders("content-type"),
        HasMaxAge,
    ],
);

pub(super) const fn case(id: &'static str, requirement: &'static str, check: Check) -> Case {
    Case {
        id,
        requirement,
        check,
        needs: Needs::Nothing,
        stakes: Stakes::NOBODYS,
    }
}

pub(super) const fn case_needing(
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
        stakes: Stakes::NOBODYS,
    }
}

pub(super) const fn exchange(request: Request, expect: Expect) -> Check {
    Check::Exchange { request, expect }
}

pub(super) const fn request(
    method: &'static str,
    path: &'static str,
    headers: Headers,
    body: Body,
) -> Request {
    Request {
        method,
        path,
        headers,
        body,
    }
}

/// A token request to `/token`.
pub(super) const fn post(headers: Headers, body: &'static [u8]) -> Request {
    request("POST", "/token", headers, Bytes(body))
}

/// A JSON request to the standard endpoint from a page.
pub(super) const fn source(body: &'static [u8]) -> Request {
    request("POST", SOURCE_PATH, JSON_FROM_PAGE, Bytes(body))
}

/// The preflight of a JSON `POST` to `path`.
pub(super) const fn preflight(path: &'static str) -> Request {
    request("OPTIONS", path, PREFLIGHT_FOR_JSON_POST, Empty)
}

/// A valid token request padded to exactly `len` bytes, sent with a `Content-Length`.
pub(super) const fn padded_to(len: usize) -> Body {
    Padded {
        len,
        chunked: false,
    }
}

pub(super) const fn signed(signer: Signer, flaw: Flaw) -> WebhookAuth {
    WebhookAuth::Signed { signer, flaw }
}

/// A webhook delivery of `event`, its body padded to `pad_to` bytes (0: not padded).
pub(super) const fn webhook_request(
    headers: Headers,
    event: &'static [u8],
    auth: WebhookAuth,
    pad_to: usize,
) -> Request {
    request(
        "POST",
        WEBHOOK_PATH,
        headers,
        Webhook {
            event,
            auth,
            pad_to,
        },
    )
}

/// A webhook delivery of `event` as LiveKit's server sends it: no extra header, no padding.
pub(super) const fn webhook(event: &'static [u8], auth: WebhookAuth) -> Request {
    webhook_request(&[], event, auth, 0)
}

pub(super) const fn expect(
    status: StatusRule,
    body: BodyRule,
    headers: &'static [HeaderRule],
) -> Expect {
    Expect {
        status,
        body,
        headers,
    }
}

pub(super) const fn token(room: &'static str, identity: &'static str) -> Expect {
    expect(Is(200), Token { room, identity }, &[])
}

pub(super) const fn error(status: u16) -> Expect {
    expect(Is(status), ErrorLine, &[])
}

pub(super) const fn cors_error(status: u16) -> Expect {
    expect(Is(status), ErrorLine, ANY_ORIGIN)
}

pub(super) const fn credentials(expected: &'static Credentials) -> Expect {
    expect(Success, BodyRule::Credentials(expected), ANY_ORIGIN)
}

pub(super) const fn source_error(status: u16, field: &'static str) -> Expect {
    expect(Is(status), JsonErrorNaming(field), ANY_ORIGIN)
}
