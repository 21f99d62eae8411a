//! The HTTP contract every backend serves: endpoints, limits, status codes, messages and
//! content types. Backends never choose any of these themselves; they hand
//! `TokenService::respond` the request and copy the
//! `Reply` onto the wire.

use std::fmt;
use std::time::Duration;

use crate::http::auth_failure::AuthFailure;
use crate::http::rate_limited::RateLimited;

/// The largest `POST /token` body accepted, counted in bytes as they arrive (chunked too).
pub const MAX_TOKEN_BODY_BYTES: usize = 16 * 1024;
/// The largest webhook body accepted, read only once its token is verified. LiveKit's events
/// are usually a few KiB, but one may carry a room's and a participant's metadata and
/// attributes, up to 64,000 bytes each by LiveKit's default limits.
pub const MAX_WEBHOOK_BODY_BYTES: usize = 256 * 1024;
/// LiveKit's default `limit.max_room_name_length`, in bytes.
pub const MAX_ROOM_NAME_BYTES: usize = 256;
/// LiveKit's default `limit.max_participant_identity_length`, in bytes.
pub const MAX_IDENTITY_BYTES: usize = 256;
/// LiveKit's default `limit.max_participant_name_length`, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
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

/// The routes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /token`: mint a join token (the OpenVidu tutorials' request).
    Token,
    /// `POST /livekit/token`: LiveKit's standard token endpoint, for SDKs' `TokenSource`.
    TokenSource,
    /// `POST /livekit/webhook`: receive a signed LiveKit event.
    Webhook,
    /// `GET /healthz`: liveness for load balancers and orchestrators.
    Health,
    /// `GET /readyz`: readiness: 503 while production mode has no keys to verify callers.
    Ready,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Self; 5] = [
        Self::Token,
        Self::TokenSource,
        Self::Webhook,
        Self::Health,
        Self::Ready,
    ];

    /// The endpoint at `path`, matched byte for byte: no percent-decoding, no trailing
    /// slash, no case folding, so every backend routes alike.
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|endpoint| endpoint.path() == path)
    }

    /// The path.
    pub fn path(self) -> &'static str {
        match self {
            Self::Token => "/token",
            Self::TokenSource => "/livekit/token",
            Self::Webhook => "/livekit/webhook",
            Self::Health => "/healthz",
            Self::Ready => "/readyz",
        }
    }

    /// The one method it serves (`OPTIONS` aside, and `HEAD` where it is `GET`).
    pub fn method(self) -> &'static str {
        match self {
            Self::Token | Self::TokenSource | Self::Webhook => "POST",
            Self::Health | Self::Ready => "GET",
        }
    }

    /// The `Allow` header of a 405 or a plain `OPTIONS` on this path.
    pub fn allow(self) -> &'static str {
        match self {
            Self::Token | Self::TokenSource | Self::Webhook => "POST, OPTIONS",
            Self::Health | Self::Ready => "GET, HEAD, OPTIONS",
        }
    }

    /// The largest body the endpoint reads, or `None` if it reads none.
    pub fn body_limit(self) -> Option<usize> {
        match self {
            Self::Token | Self::TokenSource => Some(MAX_TOKEN_BODY_BYTES),
            Self::Webhook => Some(MAX_WEBHOOK_BODY_BYTES),
            Self::Health | Self::Ready => None,
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
    /// A field is present but of the wrong JSON type; carries its name and what it must be.
    WrongType(&'static str, &'static str),
    /// A field of the standard endpoint that the policy does not let clients set.
    FieldNotAllowed(&'static str),
    /// A field longer than LiveKit's limit; carries its name and the limit in bytes.
    TooLong(&'static str, usize),
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
    /// The client is over a rate limit; carries which, and for how long.
    TooManyRequests(RateLimited),
    /// Production mode: no valid caller token; carries why, for the log only.
    Unauthenticated(AuthFailure),
    /// Production mode: no usable key to verify callers with; carries when to retry, in s.
    KeysUnavailable(u64),
    /// 503: the shared rate-limit store does not answer and failures close the service;
    /// try again in this many seconds.
    LimitsUnavailable(u64),
    /// Production mode: `participant_identity` is not the caller's identity.
    IdentityMismatch,
    /// Production mode: no rule lets the caller join the room; carries the room's field.
    RoomNotAllowed(&'static str),
    /// Production mode: a field the policy caps is longer; carries its name and the cap.
    OverPolicyCap(&'static str, usize),
    /// Production mode: `room_config` sets more than the dispatch of allowed agents.
    AgentNotAllowed,
    /// Production mode: `room_config` dispatches more agents than the policy's cap.
    TooManyAgents(usize),
    /// The caller's identity, from the named claim, is longer than LiveKit allows.
    CallerIdentityTooLong(String),
    /// Production mode: a field the request must carry is missing; carries its name.
    Required(&'static str),
    /// Production mode: a preflight from an origin not allowed to call.
    OriginNotAllowed,
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
            Self::FieldNotAllowed(_)
            | Self::IdentityMismatch
            | Self::RoomNotAllowed(_)
            | Self::OverPolicyCap(..)
            | Self::AgentNotAllowed
            | Self::TooManyAgents(_)
            | Self::CallerIdentityTooLong(_)
            | Self::OriginNotAllowed => 403,
            Self::Unauthenticated(_) => 401,
            Self::KeysUnavailable(_) | Self::LimitsUnavailable(_) => 503,
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
            | Self::WrongType(..)
            | Self::TooLong(..)
            | Self::Required(_)
            | Self::InvalidWebhookEvent => 400,
            Self::TooManyRequests(_) => 429,
            Self::Internal => 500,
        }
    }

    /// Whether the connection must close after this error: the body was left unread, or
    /// where it ends cannot be trusted.
    pub fn closes_connection(&self) -> bool {
        matches!(
            self,
            Self::PayloadTooLarge(_) | Self::BodyTimeout | Self::BodyUnreadable
        )
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
            Self::WrongType(field, what) => write!(f, "{field} must be {what}"),
            Self::FieldNotAllowed(field) => {
                write!(f, "{field} may not be set by clients of this server")
            }
            Self::TooLong(field, limit) => write!(f, "{field} is longer than {limit} bytes"),
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
            Self::TooManyRequests(limited) => write!(
                f,
                "too many requests: try again in {} s",
                limited.retry_after_seconds
            ),
            // One coarse message whatever the reason: the reason is logged, not told.
            Self::Unauthenticated(_) => {
                f.write_str("a valid bearer token is required in the Authorization header")
            }
            Self::KeysUnavailable(retry) => {
                write!(f, "callers cannot be verified now: try again in {retry} s")
            }
            Self::LimitsUnavailable(retry) => {
                write!(
                    f,
                    "rate limits cannot be checked now: try again in {retry} s"
                )
            }
            Self::IdentityMismatch => {
                f.write_str("participant_identity must be the caller's own identity")
            }
            Self::RoomNotAllowed(field) => {
                write!(f, "{field} names a room this caller may not join")
            }
            Self::OverPolicyCap(field, cap) => {
                write!(
                    f,
                    "{field} is longer than the {cap} bytes this server allows"
                )
            }
            Self::AgentNotAllowed => {
                f.write_str("room_config may only dispatch the agents this server allows")
            }
            Self::TooManyAgents(cap) => {
                write!(f, "room_config may dispatch at most {cap} agents")
            }
            Self::CallerIdentityTooLong(claim) => write!(
                f,
                "the caller's identity (claim {claim}) is longer than the {MAX_IDENTITY_BYTES} \
                 bytes LiveKit allows"
            ),
            Self::Required(field) => write!(f, "{field} is required"),
            Self::OriginNotAllowed => f.write_str("this origin may not call this server"),
            Self::Internal => f.write_str("internal server error"),
        }
    }
}

impl std::error::Error for ContractError {}
