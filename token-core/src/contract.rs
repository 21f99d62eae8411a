//! The HTTP contract every backend serves: endpoints, limits, status codes, messages and
//! content types. Backends never choose any of these themselves; they hand
//! [`TokenService::handle`] the request's headers and body stream and copy the [`Reply`]
//! onto the wire.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Buf;
use futures_util::Stream;
use serde::Serialize;

use crate::body::read_body;
use crate::config::{ResponseFormat, Settings};
use crate::request::TokenRequest;
use crate::token::TokenMinter;
use crate::webhook::WebhookVerifier;

/// The largest `POST /token` body accepted, counted in bytes as they arrive (chunked too).
pub const MAX_TOKEN_BODY_BYTES: usize = 16 * 1024;
/// The largest webhook body accepted; LiveKit's events are a few KiB.
pub const MAX_WEBHOOK_BODY_BYTES: usize = 1024 * 1024;
/// How long a client may take to send a request head, counted from the connection opening
/// or from the previous response: a stalled client is dropped, an idle keep-alive connection
/// is closed. One value for both because hyper's header timer bounds both.
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request body; then 408.
pub const REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests may run after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Content type of text replies.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// Content type of JSON replies.
pub const APPLICATION_JSON: &str = "application/json";
/// The one error message the contract fixes word for word (the OpenVidu tutorials' own).
pub const NAMES_REQUIRED: &str = "roomName and participantName are required";

/// With the `fault-injection` feature (tests only), a token request for this participant
/// panics inside the handler, to prove panics become 500s.
#[cfg(feature = "fault-injection")]
pub const PANIC_PARTICIPANT: &str = "__panic__";

/// The routes of the contract. Adapters route each to [`TokenService::handle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /token`: mint a join token.
    Token,
    /// `POST /livekit/webhook`: receive a signed LiveKit event.
    Webhook,
    /// `GET /healthz`: liveness and readiness for load balancers.
    Health,
}

impl Endpoint {
    /// Every endpoint, for adapters that build their routes in a loop.
    pub const ALL: [Self; 3] = [Self::Token, Self::Webhook, Self::Health];

    /// The path.
    pub fn path(self) -> &'static str {
        match self {
            Self::Token => "/token",
            Self::Webhook => "/livekit/webhook",
            Self::Health => "/healthz",
        }
    }

    /// The one method it answers (CORS preflights aside).
    pub fn method(self) -> &'static str {
        match self {
            Self::Token | Self::Webhook => "POST",
            Self::Health => "GET",
        }
    }

    /// The `Allow` header of a 405 on this path.
    pub fn allow(self) -> &'static str {
        match self {
            Self::Token | Self::Webhook => "POST, OPTIONS",
            Self::Health => "GET, OPTIONS",
        }
    }

    /// The largest body accepted.
    pub fn body_limit(self) -> usize {
        match self {
            Self::Token => MAX_TOKEN_BODY_BYTES,
            Self::Webhook => MAX_WEBHOOK_BODY_BYTES,
            Self::Health => 0,
        }
    }
}

/// The request headers the contract reads. Adapters fill it with
/// [`RequestHeaders::from_lookup`], so which headers matter is decided here.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestHeaders<'a> {
    /// `Content-Type`, raw.
    pub content_type: Option<&'a [u8]>,
    /// `Authorization`, raw (webhooks).
    pub authorization: Option<&'a [u8]>,
}

impl<'a> RequestHeaders<'a> {
    /// Reads the headers through `lookup`, which maps a lower-case header name to its raw
    /// value in the framework's header map.
    pub fn from_lookup(lookup: impl Fn(&'static str) -> Option<&'a [u8]>) -> Self {
        Self {
            content_type: lookup("content-type"),
            authorization: lookup("authorization"),
        }
    }
}

/// Every way a request can fail, with its status and one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractError {
    /// No route at this path.
    NotFound,
    /// The path exists but not for this method; carries the `Allow` value.
    MethodNotAllowed(&'static str),
    /// The body was larger than the endpoint's limit, in bytes.
    PayloadTooLarge(usize),
    /// The body is not sent as JSON (`application/json` or `application/*+json`).
    UnsupportedMediaType,
    /// The connection failed while the body was being read.
    BodyUnreadable,
    /// The body did not arrive within [`REQUEST_BODY_TIMEOUT`].
    BodyTimeout,
    /// The body is not UTF-8.
    NotUtf8,
    /// The body is empty.
    EmptyBody,
    /// The body is not JSON; carries the parser's one-line reason.
    InvalidJson(String),
    /// The body is JSON but not an object.
    NotAnObject,
    /// `roomName` or `participantName` is missing, `null` or empty.
    NamesRequired,
    /// A name is present but is not a JSON string; carries the field's name.
    NotAString(&'static str),
    /// A webhook without an `Authorization` header.
    MissingAuthorization,
    /// A webhook whose `Authorization` is not a valid token for our key; carries why.
    InvalidAuthorization(&'static str),
    /// A valid webhook token without a `sha256` claim.
    MissingBodyHash,
    /// A valid webhook token whose `sha256` is not the hash of the body received.
    BodyHashMismatch,
    /// A verified webhook body that is not a JSON object with a string `event`.
    InvalidWebhookEvent,
    /// The server failed; nothing the client can fix.
    Internal,
}

impl ContractError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::BodyTimeout => 408,
            Self::PayloadTooLarge(_) => 413,
            Self::UnsupportedMediaType => 415,
            Self::MissingAuthorization
            | Self::InvalidAuthorization(_)
            | Self::MissingBodyHash
            | Self::BodyHashMismatch => 401,
            Self::BodyUnreadable
            | Self::NotUtf8
            | Self::EmptyBody
            | Self::InvalidJson(_)
            | Self::NotAnObject
            | Self::NamesRequired
            | Self::NotAString(_)
            | Self::InvalidWebhookEvent => 400,
            Self::Internal => 500,
        }
    }
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("not found: the token endpoint is POST /token"),
            Self::MethodNotAllowed(allow) => write!(f, "method not allowed: use {allow}"),
            Self::PayloadTooLarge(limit) => write!(f, "request body is larger than {limit} bytes"),
            Self::UnsupportedMediaType => {
                f.write_str("request body must be sent as Content-Type: application/json")
            }
            Self::BodyUnreadable => f.write_str("request body could not be read"),
            Self::BodyTimeout => write!(
                f,
                "request body did not arrive within {} s",
                REQUEST_BODY_TIMEOUT.as_secs()
            ),
            Self::NotUtf8 => f.write_str("request body is not valid UTF-8"),
            Self::EmptyBody => f.write_str("request body is empty: expected a JSON object"),
            Self::InvalidJson(reason) => write!(f, "request body is not valid JSON: {reason}"),
            Self::NotAnObject => f.write_str("request body must be a JSON object"),
            Self::NamesRequired => f.write_str(NAMES_REQUIRED),
            Self::NotAString(field) => write!(f, "{field} must be a string"),
            Self::MissingAuthorization => f.write_str("Authorization header is required"),
            Self::InvalidAuthorization(why) => {
                write!(
                    f,
                    "Authorization header is not a valid webhook token: {why}"
                )
            }
            Self::MissingBodyHash => f.write_str("webhook token has no sha256 claim"),
            Self::BodyHashMismatch => {
                f.write_str("request body does not match the webhook token's sha256 claim")
            }
            Self::InvalidWebhookEvent => {
                f.write_str("webhook body must be a JSON object with a string \"event\"")
            }
            Self::Internal => f.write_str("internal server error"),
        }
    }
}

impl std::error::Error for ContractError {}

/// A complete response, ready for any framework to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Value of the `Content-Type` header.
    pub content_type: &'static str,
    /// Value of the `Allow` header, sent with 405 only.
    pub allow: Option<&'static str>,
    /// Close the connection after this reply (`Connection: close`): set when the rest of
    /// the request body was left unread, so the connection cannot carry another request.
    pub close_connection: bool,
    /// The body.
    pub body: String,
}

impl Reply {
    /// Every header the reply carries, as `(lower-case name, value)`, except `Connection`,
    /// which frameworks manage themselves (see [`Reply::close_connection`]).
    ///
    /// The iterator does not borrow the reply, so the body can be moved out meanwhile.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'static str)> + use<> {
        std::iter::once(("content-type", self.content_type))
            .chain(self.allow.map(|allow| ("allow", allow)))
    }

    fn success(format: ResponseFormat, body: SuccessBody<'_>) -> Self {
        let (content_type, body) = match (format, body) {
            (ResponseFormat::Text, SuccessBody::Token(text) | SuccessBody::Status(text)) => {
                (TEXT_PLAIN, text.to_owned())
            }
            (ResponseFormat::Json, body) => (APPLICATION_JSON, json(&body)),
        };
        Self {
            status: 200,
            content_type,
            allow: None,
            close_connection: false,
            body,
        }
    }

    fn error(format: ResponseFormat, err: &ContractError) -> Self {
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
        Self {
            status: err.status(),
            content_type,
            allow: match err {
                ContractError::MethodNotAllowed(allow) => Some(allow),
                _ => None,
            },
            close_connection: matches!(
                err,
                ContractError::PayloadTooLarge(_) | ContractError::BodyTimeout
            ),
            body,
        }
    }
}

/// Success bodies: the token, or a status word. In JSON, `{"token": ...}` / `{"status": ...}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum SuccessBody<'a> {
    Token(&'a str),
    Status(&'a str),
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

/// The contract without the HTTP: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct TokenService {
    inner: Arc<Inner>,
}

struct Inner {
    minter: TokenMinter,
    webhooks: WebhookVerifier,
    format: ResponseFormat,
}

impl TokenService {
    /// Builds the service from validated settings; all per-process work happens here.
    pub fn new(settings: &Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                minter: TokenMinter::new(
                    &settings.api_key,
                    &settings.api_secret,
                    settings.token_ttl(),
                ),
                webhooks: WebhookVerifier::new(&settings.api_key, &settings.api_secret),
                format: settings.response_format,
            }),
        }
    }

    /// Answers a request routed to `endpoint`: reads the body stream under the endpoint's
    /// limit, then replies as [`TokenService::reply`] does.
    pub async fn handle<S, B, E>(
        &self,
        endpoint: Endpoint,
        headers: RequestHeaders<'_>,
        body: S,
    ) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        if endpoint.body_limit() == 0 {
            return self.reply(endpoint, headers, &[]);
        }
        match read_body(body, endpoint.body_limit()).await {
            Ok(body) => self.reply(endpoint, headers, &body),
            Err(err) => self.error_reply(err),
        }
    }

    /// Answers a request routed to `endpoint` whose whole body has been read.
    ///
    /// A panic below this point becomes a 500 with the usual error body, so no framework's
    /// handling of panics (a dropped connection, a dead worker) is ever reached.
    pub fn reply(&self, endpoint: Endpoint, headers: RequestHeaders<'_>, body: &[u8]) -> Reply {
        let answer = std::panic::AssertUnwindSafe(|| self.reply_or_panic(endpoint, headers, body));
        std::panic::catch_unwind(answer)
            .unwrap_or_else(|_| self.error_reply(ContractError::Internal))
    }

    fn reply_or_panic(
        &self,
        endpoint: Endpoint,
        headers: RequestHeaders<'_>,
        body: &[u8],
    ) -> Reply {
        let format = self.inner.format;
        let result = match endpoint {
            Endpoint::Token => self
                .mint(headers.content_type, body)
                .map(|jwt| Reply::success(format, SuccessBody::Token(&jwt))),
            Endpoint::Webhook => self
                .inner
                .webhooks
                .receive(headers.authorization, body)
                .map(|event| {
                    event.log();
                    Reply::success(format, SuccessBody::Status("ok"))
                }),
            // Probes read the status; plain `ok` in every format keeps them trivial.
            Endpoint::Health => Ok(Reply::success(
                ResponseFormat::Text,
                SuccessBody::Status("ok"),
            )),
        };
        result.unwrap_or_else(|err| self.error_reply(err))
    }

    /// Validates a token request and mints its token: the whole contract of `POST /token`.
    pub fn mint(&self, content_type: Option<&[u8]>, body: &[u8]) -> Result<String, ContractError> {
        let request = TokenRequest::parse(content_type, body)?;
        #[cfg(feature = "fault-injection")]
        if request.participant_name == PANIC_PARTICIPANT {
            panic!("fault injection: a handler panics");
        }
        self.inner
            .minter
            .mint(&request, SystemTime::now())
            .map_err(|_| ContractError::Internal)
    }

    /// The reply for an error, in the configured format. Adapters use it for what only they
    /// can see: an unknown path, a wrong method, a panic.
    pub fn error_reply(&self, err: ContractError) -> Reply {
        Reply::error(self.inner.format, &err)
    }

    /// The 405 for `endpoint`'s path.
    pub fn method_not_allowed(&self, endpoint: Endpoint) -> Reply {
        self.error_reply(ContractError::MethodNotAllowed(endpoint.allow()))
    }
}

impl fmt::Debug for TokenService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenService")
            .field("minter", &self.inner.minter)
            .field("format", &self.inner.format)
            .finish_non_exhaustive()
    }
}

/// Times one request for its log line: started when the request arrives, finished with the
/// response's status.
#[derive(Debug)]
pub struct RequestTimer {
    method: String,
    path: String,
    started: Instant,
}

impl RequestTimer {
    /// Starts timing a request for `method` and `path` (no query string).
    pub fn start(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            started: Instant::now(),
        }
    }

    /// Logs the request's line with its status and latency.
    pub fn finish(self, status: u16) {
        log_request(&self.method, &self.path, status, self.started.elapsed());
    }
}

/// Logs one line per request (method, path, status, latency) at info. Never the query string
/// (LiveKit clients may put `access_token` there), headers or bodies.
pub fn log_request(method: &str, path: &str, status: u16, latency: Duration) {
    tracing::info!(
        target: "request",
        method,
        path,
        status,
        latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(format: &str) -> TokenService {
        let settings = Settings::from_args("test", ["test", "--response-format", format])
            .expect("valid settings");
        TokenService::new(&settings)
    }

    const ERRORS: [ContractError; 18] = [
        ContractError::BodyTimeout,
        ContractError::NotFound,
        ContractError::MethodNotAllowed("POST, OPTIONS"),
        ContractError::PayloadTooLarge(16),
        ContractError::UnsupportedMediaType,
        ContractError::BodyUnreadable,
        ContractError::NotUtf8,
        ContractError::EmptyBody,
        ContractError::InvalidJson(String::new()),
        ContractError::NotAnObject,
        ContractError::NamesRequired,
        ContractError::NotAString("roomName"),
        ContractError::MissingAuthorization,
        ContractError::InvalidAuthorization("expired"),
        ContractError::MissingBodyHash,
        ContractError::BodyHashMismatch,
        ContractError::InvalidWebhookEvent,
        ContractError::Internal,
    ];

    #[test]
    fn every_error_is_one_line_of_plain_text() {
        let service = service("text");
        for err in ERRORS {
            let reply = service.error_reply(err.clone());
            assert_eq!(reply.content_type, TEXT_PLAIN);
            assert!(
                !reply.body.is_empty() && !reply.body.contains('\n'),
                "{err:?}"
            );
            assert!((400..600).contains(&reply.status), "{err:?}");
            assert_eq!(reply.allow.is_some(), reply.status == 405, "{err:?}");
            assert_eq!(
                reply.close_connection,
                matches!(reply.status, 408 | 413),
                "{err:?}"
            );
        }
    }

    #[test]
    fn every_error_is_an_error_message_object_in_json() {
        let service = service("json");
        for err in ERRORS {
            let reply = service.error_reply(err.clone());
            assert_eq!(reply.content_type, APPLICATION_JSON);
            let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
            assert_eq!(body, serde_json::json!({"errorMessage": err.to_string()}));
        }
    }

    #[test]
    fn names_required_is_word_for_word_in_both_formats() {
        let reply = service("text").error_reply(ContractError::NamesRequired);
        assert_eq!((reply.status, reply.body.as_str()), (400, NAMES_REQUIRED));
        let reply = service("json").error_reply(ContractError::NamesRequired);
        assert_eq!(
            reply.body,
            r#"{"errorMessage":"roomName and participantName are required"}"#
        );
    }

    #[test]
    fn tokens_in_json_are_a_token_object() {
        let headers = RequestHeaders {
            content_type: Some(b"application/json"),
            authorization: None,
        };
        let body = br#"{"roomName":"r","participantName":"p"}"#;
        let reply = service("json").reply(Endpoint::Token, headers, body);
        assert_eq!((reply.status, reply.content_type), (200, APPLICATION_JSON));
        let value: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        assert_eq!(value.as_object().map(|o| o.len()), Some(1));
        assert_eq!(
            value["token"].as_str().map(|t| t.split('.').count()),
            Some(3)
        );
        let reply = service("text").reply(Endpoint::Token, headers, body);
        assert_eq!((reply.status, reply.content_type), (200, TEXT_PLAIN));
        assert_eq!(reply.body.split('.').count(), 3);
    }

    #[test]
    fn health_is_ok_in_every_format() {
        for format in ["text", "json"] {
            let reply = service(format).reply(Endpoint::Health, RequestHeaders::default(), b"");
            assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
        }
    }
}
