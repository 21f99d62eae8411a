//! [`Reply`]: a complete response, built only here, in the configured format, with the CORS
//! policy's headers on every one but the refusal of broken framing, which copies the engines'.

use std::borrow::Cow;

use serde::Serialize;

use crate::http::auth_failure::AuthFailure;
use crate::http::contract::{APPLICATION_JSON, ContractError, TEXT_PLAIN};
use crate::http::cors;
use crate::livekit::token_source::SourceRequest;
use crate::operations::metrics::OPENMETRICS_TEXT;

/// A response header: lower-case name and value.
pub type Header = (&'static str, Cow<'static, str>);

/// A complete response, ready for any framework to send as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Every header, in order, except the ones the HTTP engine writes: `Date`,
    /// `Content-Length` (from the body) and `Connection` (see [`Reply::close_connection`]).
    pub headers: Vec<Header>,
    /// Close the connection after this reply (`Connection: close`): set when the connection
    /// cannot safely carry another request, because the rest of the body was left unread or
    /// its framing was broken.
    pub close_connection: bool,
    /// The body; the engine leaves it out when answering `HEAD`, keeping its length.
    pub body: String,
}

impl Reply {
    fn new(status: u16, content_type: Option<&'static str>, body: String) -> Self {
        let mut headers = Vec::with_capacity(2);
        headers.push((
            "access-control-allow-origin",
            Cow::Borrowed(cors::ALLOW_ORIGIN),
        ));
        if let Some(content_type) = content_type {
            headers.push(("content-type", Cow::Borrowed(content_type)));
        }
        Self {
            status,
            headers,
            close_connection: false,
            body,
        }
    }

    /// The value of header `name`, if the reply has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| *header == name)
            .map(|(_, value)| value.as_ref())
    }

    /// A success: the token, or a status word. In JSON `{"token": ...}` / `{"status": ...}`.
    pub(crate) fn success(format: ResponseFormat, body: SuccessBody<'_>) -> Self {
        let (content_type, body) = match (format, body) {
            (ResponseFormat::Text, SuccessBody::Token(text) | SuccessBody::Status(text)) => {
                (TEXT_PLAIN, text.to_owned())
            }
            (ResponseFormat::Json, body) => (APPLICATION_JSON, json(&body)),
        };
        Self::new(200, Some(content_type), body)
    }

    /// The standard endpoint's success: 201 with the server URL, the token, the room it
    /// grants (as sent or generated) and the display name when one was set, in snake_case,
    /// the only case Swift's SDK decodes (Swift, Android and Flutter read the names as optional
    /// strings; JS and Rust ignore them).
    pub(crate) fn created(
        server_url: &str,
        participant_token: &str,
        request: &SourceRequest,
    ) -> Self {
        let body = json(&CreatedBody {
            server_url,
            participant_token,
            room_name: &request.room_name,
            participant_name: request.participant_name.as_deref(),
        });
        Self::new(201, Some(APPLICATION_JSON), body)
    }

    /// An error: its status, its one-line message in the format's shape, `Allow` on 405.
    pub(crate) fn error(format: ResponseFormat, err: &ContractError) -> Self {
        let message = err.to_string();
        let (content_type, body) = match format {
            ResponseFormat::Text => (TEXT_PLAIN, message),
            ResponseFormat::Json => (
                APPLICATION_JSON,
                json(&ErrorBody {
                    error_message: &message,
                }),
            ),
        };
        let mut reply = Self::new(err.status(), Some(content_type), body);
        match err {
            ContractError::MethodNotAllowed(allow) => {
                reply.headers.push(("allow", Cow::Borrowed(allow)));
            }
            ContractError::TooManyRequests(limited) => reply.headers.extend([
                (
                    "retry-after",
                    Cow::Owned(limited.retry_after_seconds.to_string()),
                ),
                ("ratelimit-policy", Cow::Owned(limited.policy_field())),
                ("ratelimit", Cow::Owned(limited.limit_field())),
                // So that a page can read when to retry.
                (
                    "access-control-expose-headers",
                    Cow::Borrowed(cors::EXPOSE_RATE_LIMIT_HEADERS),
                ),
            ]),
            ContractError::Unauthenticated(failure) => reply.headers.extend([
                // RFC 6750 §3: an error code only when a token was sent.
                (
                    "www-authenticate",
                    Cow::Borrowed(if *failure == AuthFailure::Missing {
                        "Bearer"
                    } else {
                        "Bearer error=\"invalid_token\""
                    }),
                ),
                (
                    "access-control-expose-headers",
                    Cow::Borrowed("WWW-Authenticate"),
                ),
            ]),
            ContractError::KeysUnavailable(retry_after_seconds)
            | ContractError::LimitsUnavailable(retry_after_seconds) => reply.headers.extend([
                ("retry-after", Cow::Owned(retry_after_seconds.to_string())),
                (
                    "access-control-expose-headers",
                    Cow::Borrowed("Retry-After"),
                ),
            ]),
            _ => {}
        }
        reply.close_connection = err.closes_connection();
        reply
    }

    /// Production mode's CORS: the wildcard becomes the request's origin when it is allowed,
    /// and goes otherwise; `Vary: Origin` either way, since the answer depends on it. A reply
    /// without CORS headers (the refusal of broken framing) stays as it is.
    pub(crate) fn restrict_origin(&mut self, allowed: Option<&str>) {
        let Some(at) = self
            .headers
            .iter()
            .position(|(name, _)| *name == "access-control-allow-origin")
        else {
            return;
        };
        let vary = ("vary", Cow::Borrowed("Origin"));
        match allowed {
            Some(origin) => {
                self.headers[at].1 = Cow::Owned(origin.to_owned());
                self.headers.insert(at + 1, vary);
            }
            None => self.headers[at] = vary,
        }
    }

    /// The refusal of a request whose framing breaks RFC 9112: exactly the bare 400 that
    /// actix-http and hyper send for heads they cannot parse (no CORS header, no body, the
    /// connection closed), because actix-http refuses most such framing itself before any
    /// application code runs. No browser sends broken framing, so no page misses the CORS
    /// header.
    pub(crate) fn bad_framing() -> Self {
        Self {
            status: 400,
            headers: Vec::new(),
            close_connection: true,
            body: String::new(),
        }
    }

    /// The answer to a CORS preflight on a known path: the policy, whatever method it asks
    /// for (the browser enforces the policy), and the requested headers allowed by name.
    pub(crate) fn preflight(requested_headers: Option<String>) -> Self {
        let mut reply = Self::new(200, None, String::new());
        reply.headers.extend([
            (
                "access-control-allow-methods",
                Cow::Borrowed(cors::ALLOW_METHODS),
            ),
            (
                "access-control-max-age",
                Cow::Borrowed(cors::MAX_AGE_SECONDS),
            ),
        ]);
        if let Some(requested) = requested_headers {
            reply
                .headers
                .push(("access-control-allow-headers", Cow::Owned(requested)));
        }
        reply
    }

    /// The metrics port's exposition. Without CORS headers: no page has any business
    /// reading it.
    pub(crate) fn metrics(exposition: String) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type", Cow::Borrowed(OPENMETRICS_TEXT))],
            close_connection: false,
            body: exposition,
        }
    }

    /// The metrics port's 404 or 405 (with `Allow`), in text, without CORS headers.
    pub(crate) fn metrics_refusal(status: u16, message: &'static str) -> Self {
        let mut headers = vec![("content-type", Cow::Borrowed(TEXT_PLAIN))];
        if status == 405 {
            headers.push(("allow", Cow::Borrowed("GET, HEAD")));
        }
        Self {
            status,
            headers,
            close_connection: false,
            body: message.to_owned(),
        }
    }

    /// The answer to an `OPTIONS` that is not a preflight: the methods of the path.
    pub(crate) fn options(allow: &'static str) -> Self {
        let mut reply = Self::new(200, None, String::new());
        reply.headers.push(("allow", Cow::Borrowed(allow)));
        reply
    }
}

/// Success bodies: the token, or a status word.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum SuccessBody<'a> {
    Token(&'a str),
    Status(&'a str),
}

#[derive(Serialize)]
struct CreatedBody<'a> {
    server_url: &'a str,
    participant_token: &'a str,
    room_name: &'a str,
    // A token without a `name` claim has no display name to report.
    #[serde(skip_serializing_if = "Option::is_none")]
    participant_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    error_message: &'a str,
}

fn json(body: &impl Serialize) -> String {
    // Serialising a struct of strings cannot fail.
    serde_json::to_string(body).unwrap_or_default()
}

/// The shape of reply bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormat {
    /// `text/plain; charset=utf-8`: the JWT, or the error message.
    #[default]
    Text,
    /// `application/json`: `{"token": ...}`, or `{"errorMessage": ...}`.
    Json,
}
