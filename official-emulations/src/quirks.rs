//! What differs between the official OpenVidu application servers over HTTP: one field per
//! behaviour, grouped by what it concerns. The values for each server are in `servers/`.

use conformance::ResponseFormat;

/// One official server's behaviour, in everything in which the official servers differ.
#[derive(Debug, Clone, Copy)]
pub struct Quirks {
    /// Whose error answers (404, 405, parse errors, crashes) the server gives.
    pub framework: Framework,
    /// How the app writes its own answers: the token and its error messages.
    pub reply: Reply,
    /// The token's header and claims.
    pub claims: Claims,
    /// Which names get a token, and how they go into it.
    pub names: Names,
    /// How `POST /token` reads its body.
    pub body: Body,
    /// Paths and methods.
    pub routing: Routing,
    /// CORS headers and preflights.
    pub cors: Cors,
    /// `POST /livekit/webhook`, when the server has it.
    pub webhook: Option<Webhook>,
    /// Credentials the server uses whatever it was configured with.
    pub credentials: Credentials,
    /// `Connection: close` on every answer: no keep-alive.
    pub connection_close: bool,
}

/// The framework, known by its own error answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    /// Flask on Werkzeug's development server: HTML error pages (the debugger's in debug mode).
    Flask {
        /// Debug mode: parse errors say why, crashes show the debugger's traceback page.
        debug: bool,
    },
    /// Express 5: HTML pages, `Cannot GET /path`, stack traces outside production.
    Express,
    /// axum 0.7: empty 404 and 405 bodies.
    Axum,
    /// gin: `404 page not found` as text; the app sends errors as JSON strings.
    Gin,
    /// Spring Boot 3: `{"timestamp","status","error","path"}`.
    Spring,
    /// ASP.NET Core minimal API: empty 404/405, the developer exception page on a crash.
    AspNet,
    /// `php -S`: PHP's fatal error text on a crash.
    Php,
    /// Sinatra in development: its HTML 404 ("doesn't know this ditty") and exception pages.
    Sinatra,
}

/// How the app writes its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The body's shape.
    pub shape: Shape,
    /// The `Content-Type` of the app's answers.
    pub content_type: &'static str,
    /// A message per missing field (`roomName is required`) instead of the joint one.
    pub per_field_messages: bool,
}

impl Reply {
    /// The response format the suite should expect.
    pub fn format(&self) -> ResponseFormat {
        match self.shape {
            Shape::Text => ResponseFormat::Text,
            Shape::Json | Shape::JsonPretty => ResponseFormat::Json,
        }
    }
}

/// The shape of the app's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The bare token, or the bare message.
    Text,
    /// `{"token"}` and `{"errorMessage"}`, compact.
    Json,
    /// The same, indented by two spaces (Flask in debug mode).
    JsonPretty,
}

/// The token's header and claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    /// `typ: JWT` in the header (Node's jose leaves it out).
    pub header_typ: bool,
    /// `nbf: 0` instead of now.
    pub nbf_zero: bool,
    /// Which `video` grant keys are written.
    pub grants: Grants,
    /// Claims written with their SDK's empty defaults.
    pub defaults: ClaimDefaults,
    /// `name` set to the participant's name.
    pub name: bool,
}

/// Which `video` grant keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grants {
    /// `roomJoin` and `room` only.
    JoinOnly,
    /// Those, and `canPublish`, `canSubscribe` and `canPublishData` true (Python's SDK).
    PublishDefaults,
    /// Every grant key: false or empty but the join and the publish defaults (older SDKs).
    EveryKey,
}

/// Claims an SDK writes with empty values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimDefaults {
    /// None.
    Omitted,
    /// `identity` and `name` empty (the seed's older Python SDK).
    EmptyIdentityAndName,
    /// `sip: {admin: false, call: false}`, `roomConfig: null`, empty `metadata`, `sha256`
    /// and `attributes` (the older Rust SDK).
    RustSdk,
}

/// Which names get a token, and how they go into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    /// How an accepted name goes into the token.
    pub claim: NameClaim,
    /// `""`.
    pub empty: NameRule,
    /// `null`.
    pub null: NameRule,
    /// A number or a boolean.
    pub scalar: NameRule,
    /// An array or an object.
    pub compound: NameRule,
}

/// How an accepted name goes into the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameClaim {
    /// As sent: a number stays a number in `sub` or `video.room`.
    AsSent,
    /// Strings as sent, anything else as its text (`42` → `"42"`).
    Stringified,
    /// Every value as its JSON text, quotes included (`"p1"` → `"\"p1\""`).
    JsonText,
}

/// What one name value gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// A token.
    Accepted,
    /// This refusal.
    Refused(Refusal),
}

/// A refusal of a token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The app's 400 for missing names (per field when the app words it so).
    NamesMissing,
    /// The app's 400 with its joint message, whatever was missing.
    NamesRequired,
    /// The framework's own error answer with this status.
    Framework(u16),
}

/// How `POST /token` reads its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body {
    /// Which media types are parsed as JSON.
    pub media_types: MediaTypes,
    /// Not JSON.
    pub malformed: Refusal,
    /// No body at all.
    pub empty: Refusal,
    /// A JSON array.
    pub array: Refusal,
    /// JSON `null`.
    pub null: Refusal,
    /// A JSON string or number.
    pub scalar: Refusal,
    /// Bytes that are not UTF-8 become U+FFFD instead of being malformed.
    pub replaces_invalid_utf8: bool,
    /// The largest body read, and what a larger one gets; `None`: no limit.
    pub limit: Option<Limit>,
}

/// Which media types are parsed as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaTypes {
    /// The body is parsed whatever the `Content-Type`.
    Ignored,
    /// `application/json` (any case, any parameters), and `application/*+json` when `suffix`.
    Json {
        /// `application/*+json` is JSON too.
        suffix: bool,
        /// What other media types get.
        otherwise: Refusal,
    },
}

/// A body limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The largest body read, in bytes.
    pub bytes: usize,
    /// What a larger one gets.
    pub over: Refusal,
}

/// Paths and methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routing {
    /// Paths are percent-decoded before matching (`/tok%65n` is `/token`).
    pub percent_decoded: bool,
    /// What `/token/` is.
    pub trailing_slash: TrailingSlash,
    /// What another method on a known path gets.
    pub wrong_method: WrongMethod,
    /// A plain `OPTIONS` on a known path gets 200 with this `Allow`, from the framework.
    pub options_allow: Option<&'static str>,
    /// What an unknown path gets.
    pub unknown_path: UnknownPath,
}

/// What `/token/` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailingSlash {
    /// Another, unknown path.
    Unknown,
    /// The same path.
    Matches,
    /// A `307` to the path without the slash (gin's `RedirectTrailingSlash`).
    Redirect307,
}

/// What another method on a known path gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongMethod {
    /// The framework's 405, with this `Allow` header if any.
    NotAllowed {
        /// The `Allow` header.
        allow: Option<&'static str>,
    },
    /// What an unknown path gets.
    AsUnknownPath,
}

/// What an unknown path gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownPath {
    /// The framework's 404.
    NotFound,
    /// The app's 200 `{"errorMessage":"Unsupported endpoint or method"}` (PHP's script).
    Unsupported,
}

/// CORS headers and preflights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cors {
    /// `Access-Control-Allow-Origin` on answers.
    pub origin: AllowOrigin,
    /// Whether the framework's 404 and 405 carry it too.
    pub on_routing_errors: bool,
    /// `Access-Control-Allow-Headers` on every answer, preflight or not (PHP's script).
    pub allow_headers_everywhere: Option<&'static str>,
    /// The CORS layer's preflight handling; `None`: there is none.
    pub preflight: Option<Preflight>,
}

/// `Access-Control-Allow-Origin` on answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowOrigin {
    /// `*` on every answer.
    Star,
    /// The request's origin with `Vary: Origin`, `*` without one (flask-cors).
    EchoOrStar,
    /// `*`, only when the request has an `Origin`.
    StarIfOrigin,
    /// The request's origin without `Vary`, only when there is one (sinatra-cors).
    EchoIfOrigin,
}

/// The CORS layer's preflight handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preflight {
    /// Which `OPTIONS` requests it answers itself.
    pub scope: PreflightScope,
    /// The status it answers with.
    pub status: u16,
    /// `Access-Control-Allow-Methods`.
    pub methods: AllowMethods,
    /// Only these methods (comma-separated) are granted; a preflight for another gets its
    /// answer without any CORS header.
    pub grants_only: Option<&'static str>,
    /// `Access-Control-Allow-Headers`.
    pub headers: AllowHeaders,
    /// `Access-Control-Max-Age`.
    pub max_age: Option<u32>,
    /// `Allow` on its answers for known paths.
    pub allow: Option<&'static str>,
}

/// Which `OPTIONS` requests the CORS layer answers itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreflightScope {
    /// None: the framework answers, and preflight headers are added to answers of an
    /// `OPTIONS` with `Access-Control-Request-Method` (flask-cors).
    DecoratesOnly,
    /// Every `OPTIONS`, on any path.
    EveryOptions,
    /// Every `OPTIONS` with an `Origin`, on any path.
    OptionsWithOrigin,
    /// Every `OPTIONS` with an `Origin` and `Access-Control-Request-Method`, on any path.
    OptionsWithOriginAndMethod,
    /// An `OPTIONS` with an `Origin` on a known path.
    RoutesWithOrigin,
    /// An `OPTIONS` with an `Origin` and `Access-Control-Request-Method` on a known path.
    RoutesWithOriginAndMethod,
}

/// `Access-Control-Allow-Methods` of a preflight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowMethods {
    /// This list.
    List(&'static str),
    /// The requested method.
    Requested,
    /// None.
    Omitted,
}

/// `Access-Control-Allow-Headers` of a preflight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowHeaders {
    /// The requested headers, whatever they are.
    Mirror,
    /// This list, whatever was requested.
    List(&'static str),
    /// The requested headers when all are in this list; otherwise no CORS header at all.
    MirrorWithin(&'static str),
}

/// `POST /livekit/webhook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Webhook {
    /// What is checked.
    pub verification: Verification,
    /// The only media type accepted; others get the framework's 415.
    pub consumes: Option<&'static str>,
    /// The answer without an `Authorization` header.
    pub missing: Canned,
    /// The answer when the check fails.
    pub rejected: Canned,
    /// The answer to a verified body that is not an event.
    pub not_an_event: Canned,
    /// The answer to an accepted webhook.
    pub accepted: Canned,
    /// The largest body read (larger: the framework's 413); `None`: no limit.
    pub limit: Option<usize>,
}

/// What a webhook receiver checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The JWT (HS256, issuer, expiry) and the body's `sha256`, as LiveKit's receivers do.
    Full,
    /// The JWT only, not the body hash.
    TokenOnly,
    /// Nothing.
    Nothing,
}

/// A fixed answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canned {
    /// This status, content type and body.
    Text {
        /// The status.
        status: u16,
        /// The `Content-Type`, if any.
        content_type: Option<&'static str>,
        /// The body.
        body: &'static str,
    },
    /// The framework's own error answer with this status.
    Framework(u16),
}

/// Credentials the server uses whatever it was configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials {
    /// The API key it signs and verifies with.
    pub key: Option<&'static str>,
    /// The API secret it signs and verifies with.
    pub secret: Option<&'static str>,
}

impl Credentials {
    /// The configured ones.
    pub const CONFIGURED: Self = Self {
        key: None,
        secret: None,
    };
}
