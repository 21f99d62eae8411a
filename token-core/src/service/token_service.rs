//! [`TokenService`]: the contract without the HTTP. Every request, whatever its path, method
//! or framing, is answered here; adapters hand over the head and the body stream and copy
//! the [`Reply`] onto the wire.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Buf;
use futures_util::{FutureExt as _, Stream};

use crate::http::body::read_body;
use crate::http::contract::{ContractError, Endpoint, MAX_IDENTITY_BYTES, MAX_WEBHOOK_BODY_BYTES};
use crate::http::head::RequestHead;
use crate::operations::limits::{Limit, RateLimits};
use crate::operations::log_names::LogNames;
use crate::operations::metrics::Metrics;
use crate::production::caller_auth::{AuthFailure, Caller};
use crate::production::policy::{Asked, GrantPreset};
use crate::production::{Admission, Production};
use crate::service::config::ServiceConfig;
use crate::service::discarding::discarding;
use crate::service::metrics_port::MetricsPort;
use crate::service::reply::ResponseFormat;

use crate::livekit::request::TokenRequest;
use crate::livekit::token::TokenMinter;
use crate::livekit::token_source::{FieldPolicy, SourceFields, SourceRequest};
use crate::livekit::webhook::{VouchedHash, WebhookVerifier};
use crate::service::reply::{Reply, SuccessBody};

/// The contract without the HTTP: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct TokenService {
    inner: Arc<Inner>,
}

struct Inner {
    minter: TokenMinter,
    webhooks: WebhookVerifier,
    format: ResponseFormat,
    livekit_url: String,
    field_policy: FieldPolicy,
    log_names: LogNames,
    limits: RateLimits,
    metrics: Option<Arc<Metrics>>,
    max_connections: usize,
    production: Option<Admission>,
}

impl TokenService {
    /// Builds the service from a validated configuration; all per-process work happens here.
    pub fn new(config: &ServiceConfig) -> Self {
        let credentials = &config.credentials;
        let production = config.production();
        Self {
            inner: Arc::new(Inner {
                minter: TokenMinter::new(
                    credentials.signing_key(),
                    credentials.signing_secret(),
                    config.token_ttl,
                )
                .granting_own_metadata_updates(config.can_update_own_metadata()),
                webhooks: WebhookVerifier::new(credentials),
                format: config.response_format,
                livekit_url: config.livekit_url.clone(),
                field_policy: config.field_policy(),
                log_names: LogNames::new(config.log_names, credentials.signing_secret().expose()),
                limits: RateLimits::new(&config.limits, production.is_some()),
                metrics: config.metrics.then(|| Arc::new(Metrics::new())),
                max_connections: config.max_connections,
                production: production.map(Production::admission),
            }),
        }
    }

    /// The metrics port's service (`GET /metrics`, see [`crate::operations::metrics`]) over this
    /// service's metrics, when they are on. The runtime serves it on its own listener.
    pub fn metrics_port(&self) -> Option<MetricsPort> {
        self.inner.metrics.clone().map(MetricsPort::new)
    }

    /// Production mode: loads the callers' keys now and keeps them loaded whether or not
    /// callers arrive ([`crate::production::caller_keys::CallerKeys::keep_fresh`]); in tutorial mode,
    /// nothing. It never returns: servers run it beside serving and drop it when they stop
    /// (`server_runtime::serve_all`).
    pub async fn keep_keys_fresh(&self) -> std::convert::Infallible {
        match &self.inner.production {
            Some(production) => production.keys.keep_fresh().await,
            None => std::future::pending().await,
        }
    }

    /// The most connections a server serves at once (`SERVER_MAX_CONNECTIONS`); every
    /// engine waits to accept more until one closes.
    pub fn max_connections(&self) -> usize {
        self.inner.max_connections
    }

    /// Answers any request, and logs its line. This is the one entry point of adapters.
    ///
    /// In order: broken framing gets 400 and a closed connection, without reading the body;
    /// a tunnel request (`CONNECT`, WebSocket upgrade) is answered as if it had no body, and
    /// the connection closed; an unknown path 404; a preflight on a known path the policy;
    /// another `OPTIONS` the path's `Allow`; `HEAD` what `GET` gets; the path's own method
    /// its endpoint; any other method 405. Every body is read before answering: the endpoint's under its limit, an
    /// unwanted one up to [`crate::http::body::MAX_DISCARDED_BODY_BYTES`], past which the connection closes.
    pub async fn respond<S, B, E>(&self, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        let started = Instant::now();
        let mut reply = self.decide(head, body).await;
        if matches!(head.method(), "GET" | "HEAD") && head.has_body() {
            // RFC 9110 §9.3.1-2: content in a GET or HEAD has no meaning and invites request
            // smuggling, so the connection is closed after it (actix-http even writes the
            // HEAD answer's body when a request pipelined behind such a body was read).
            reply.close_connection = true;
        }
        if head.asks_close() {
            // Engines do it too, but actix-http forgets it on `Expect: 100-continue`, or when
            // it has read a pipelined request behind this one.
            reply.close_connection = true;
        }
        if let Some(production) = &self.inner.production {
            reply.restrict_origin(production.origins.allowed(head.origin()));
        }
        let took = started.elapsed();
        let endpoint = Endpoint::from_path(head.path());
        log_request(head.method(), endpoint, reply.status, took);
        if let Some(metrics) = &self.inner.metrics {
            metrics.request(head.method(), endpoint, reply.status, took);
        }
        reply
    }

    async fn decide<S, B, E>(&self, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        if let Some(reason) = head.framing_error() {
            tracing::debug!("request refused: bad framing: {reason}");
            return Reply::bad_framing();
        }
        if head.is_tunnel() {
            let no_body = futures_util::stream::empty::<Result<&[u8], ()>>();
            let mut reply = self.route(head, no_body).await;
            reply.close_connection = true;
            return reply;
        }
        self.route(head, body).await
    }

    async fn route<S, B, E>(&self, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        let Some(endpoint) = Endpoint::from_path(head.path()) else {
            return discarding(body, self.error_reply(ContractError::NotFound)).await;
        };
        let method = head.method();
        let reply =
            if method == endpoint.method() || (method == "HEAD" && endpoint.method() == "GET") {
                return self.handle(endpoint, head, body).await;
            } else if head.is_preflight() {
                match &self.inner.production {
                    Some(production) if production.origins.allowed(head.origin()).is_none() => {
                        self.endpoint_error(endpoint, ContractError::OriginNotAllowed)
                    }
                    _ => Reply::preflight(head.requested_headers()),
                }
            } else if method == "OPTIONS" {
                Reply::options(endpoint.allow())
            } else {
                self.error_reply(ContractError::MethodNotAllowed(endpoint.allow()))
            };
        discarding(body, reply).await
    }

    /// Answers a request for `endpoint` in its own method: counts a token request against
    /// its client's limit, reads the body under the endpoint's limit, then replies as
    /// [`TokenService::reply`] does.
    async fn handle<S, B, E>(&self, endpoint: Endpoint, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        if matches!(endpoint, Endpoint::Token | Endpoint::TokenSource)
            && let Err(limited) = self.inner.limits.check(Limit::Tokens, head)
        {
            self.count(|metrics| metrics.rate_limited(Limit::Tokens));
            let refusal = self.endpoint_error(endpoint, ContractError::TooManyRequests(limited));
            return discarding(body, refusal).await;
        }
        if endpoint == Endpoint::Webhook {
            return self.receive_webhook(head, body).await;
        }
        let Some(limit) = endpoint.body_limit() else {
            return discarding(body, self.reply(endpoint, head, &[])).await;
        };
        match read_body(body, limit).await {
            Ok(body) => {
                // A panic while authenticating is a 500 too, like one while replying.
                let authenticated = std::panic::AssertUnwindSafe(self.authenticate(endpoint, head))
                    .catch_unwind()
                    .await
                    .unwrap_or(Err(ContractError::Internal));
                match authenticated {
                    Ok(caller) => {
                        self.reply_to(endpoint, head, &body, Sender::from(caller.as_ref()))
                    }
                    Err(err) => self.endpoint_error(endpoint, err),
                }
            }
            Err(err) => self.endpoint_error(endpoint, err),
        }
    }

    /// Answers `POST /livekit/webhook`: the token in `Authorization` is verified from the
    /// head alone, and a forged one answered at once with the connection closed, its body
    /// never read; a verified one's body is read (at most [`MAX_WEBHOOK_BODY_BYTES`]) and
    /// checked against the hash the token vouches for.
    async fn receive_webhook<S, B, E>(&self, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        let verify = || self.verify_webhook(head);
        let vouched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(verify))
            .unwrap_or(Err(ContractError::Internal));
        let refused = match vouched {
            Ok(vouched) => match read_body(body, MAX_WEBHOOK_BODY_BYTES).await {
                Ok(body) => {
                    let sender = Sender::LiveKit(&vouched);
                    return self.reply_to(Endpoint::Webhook, head, &body, sender);
                }
                Err(err) => err,
            },
            Err(err) => {
                // A 401, or the 429 it becomes past the failure limit: counted as answered.
                let refusal = self.count_failure(head, err);
                self.count(|metrics| metrics.webhook(Err(&refusal)));
                let mut reply = self.error_reply(refusal);
                reply.close_connection = true;
                return reply;
            }
        };
        // Too large, too slow or broken: never received.
        self.count(|metrics| metrics.webhook(Err(&refused)));
        self.error_reply(refused)
    }

    /// A webhook's `Authorization`, verified.
    fn verify_webhook(&self, head: &RequestHead<'_>) -> Result<VouchedHash, ContractError> {
        if head.has_authorization() && head.authorization().is_none() {
            return Err(ContractError::InvalidAuthorization(
                "more than one Authorization header",
            ));
        }
        self.inner.webhooks.verify_token(head.authorization())
    }

    /// In production mode, the caller of a token endpoint, authenticated by its bearer
    /// token: 401 (or 429 past the failure limit) without a valid one, 503 without keys to
    /// verify it with. `None` in tutorial mode and for the other endpoints.
    async fn authenticate(
        &self,
        endpoint: Endpoint,
        head: &RequestHead<'_>,
    ) -> Result<Option<Caller>, ContractError> {
        let Some(production) = &self.inner.production else {
            return Ok(None);
        };
        if !matches!(endpoint, Endpoint::Token | Endpoint::TokenSource) {
            return Ok(None);
        }
        let authenticated = if head.has_authorization() && head.authorization().is_none() {
            // Several `Authorization` lines: which one is meant cannot be known.
            Err(ContractError::Unauthenticated(AuthFailure::Malformed))
        } else {
            production.keys.authenticate(head.authorization()).await
        };
        match authenticated {
            Ok(caller) => {
                if caller.identity.len() > MAX_IDENTITY_BYTES {
                    // LiveKit would refuse the token: say which claim is at fault.
                    let claim = production.keys.policy().identity_claim.clone();
                    return Err(ContractError::CallerIdentityTooLong(claim));
                }
                if let Err(limited) = self.inner.limits.check_caller(&caller.identity) {
                    self.count(|metrics| metrics.rate_limited(Limit::Callers));
                    return Err(ContractError::TooManyRequests(limited));
                }
                Ok(Some(caller))
            }
            Err(err) => {
                if let ContractError::Unauthenticated(failure) = &err {
                    tracing::info!(reason = %failure, "caller not authenticated");
                }
                Err(self.count_failure(head, err))
            }
        }
    }

    /// Answers a request for `endpoint` in its own method whose whole body has been read.
    ///
    /// A panic below this point becomes a 500 with the usual error body, so no framework's
    /// handling of panics (a dropped connection, a dead worker) is ever reached.
    pub fn reply(&self, endpoint: Endpoint, head: &RequestHead<'_>, body: &[u8]) -> Reply {
        self.reply_to(endpoint, head, body, Sender::Unknown)
    }

    /// [`TokenService::reply`] to a `sender` already authenticated.
    fn reply_to(
        &self,
        endpoint: Endpoint,
        head: &RequestHead<'_>,
        body: &[u8],
        sender: Sender<'_>,
    ) -> Reply {
        let answer =
            std::panic::AssertUnwindSafe(|| self.reply_or_panic(endpoint, head, body, sender));
        std::panic::catch_unwind(answer)
            .unwrap_or_else(|_| self.endpoint_error(endpoint, ContractError::Internal))
    }

    fn reply_or_panic(
        &self,
        endpoint: Endpoint,
        head: &RequestHead<'_>,
        body: &[u8],
        sender: Sender<'_>,
    ) -> Reply {
        let caller = match sender {
            Sender::Caller(caller) => Some(caller),
            _ => None,
        };
        let format = self.inner.format;
        let issued = || self.count(|metrics| metrics.token_issued(endpoint));
        let result = match endpoint {
            Endpoint::Token => self
                .mint_to(head.content_type(), body, caller)
                .inspect(|_| issued())
                .map(|jwt| Reply::success(format, SuccessBody::Token(&jwt))),
            Endpoint::TokenSource => self
                .mint_source_to(head.content_type(), body, caller)
                .inspect(|_| issued())
                .map(|(request, jwt)| Reply::created(&self.inner.livekit_url, &jwt, &request)),
            Endpoint::Webhook => {
                let received = match sender {
                    Sender::LiveKit(vouched) => vouched.receive(body),
                    _ => self
                        .verify_webhook(head)
                        .and_then(|vouched| vouched.receive(body)),
                }
                .map(|event| event.log(&self.inner.log_names))
                .map_err(|err| self.count_failure(head, err));
                self.count(|metrics| metrics.webhook(received.as_ref().copied()));
                received.map(|()| Reply::success(format, SuccessBody::Status("ok")))
            }
            // Probes read the status; plain `ok` in every format keeps them trivial.
            Endpoint::Health => Ok(Reply::success(
                ResponseFormat::Text,
                SuccessBody::Status("ok"),
            )),
            // Ready once production mode can verify callers; tutorial mode always is.
            Endpoint::Ready => match &self.inner.production {
                Some(production) => production.keys.ready(),
                None => Ok(()),
            }
            .map(|()| Reply::success(ResponseFormat::Text, SuccessBody::Status("ok"))),
        };
        result.unwrap_or_else(|err| self.endpoint_error(endpoint, err))
    }

    /// Validates a token request and mints its token: the whole contract of `POST /token`
    /// in tutorial mode.
    pub fn mint(&self, content_type: Option<&[u8]>, body: &[u8]) -> Result<String, ContractError> {
        self.mint_to(content_type, body, None)
    }

    /// [`TokenService::mint`] for `caller`, authenticated in production mode: the identity is
    /// the caller's, `participantName` the display name, the room and grants the policy's.
    fn mint_to(
        &self,
        content_type: Option<&[u8]>,
        body: &[u8],
        caller: Option<&Caller>,
    ) -> Result<String, ContractError> {
        let request = TokenRequest::parse(content_type, body)?;
        let minter = &self.inner.minter;
        let now = SystemTime::now();
        let jwt = match (caller, &self.inner.production) {
            (Some(caller), Some(production)) => {
                let asked = Asked {
                    room: Some(&request.room_name),
                    room_field: "roomName",
                    ..Asked::default()
                };
                let grants = production.rules.judge(caller, &asked)?;
                minter.mint_for_caller(&caller.identity, &request, grants, now)
            }
            // Production mode never mints without a caller, whoever calls this.
            (None, Some(_)) => return Err(ContractError::Unauthenticated(AuthFailure::Missing)),
            (_, None) => minter.mint(&request, now),
        };
        jwt.map_err(|_| ContractError::Internal)
    }

    /// Validates a standard endpoint request and mints its token in tutorial mode; the
    /// request comes back with the names it was given or generated.
    pub fn mint_source(
        &self,
        content_type: Option<&[u8]>,
        body: &[u8],
    ) -> Result<(SourceRequest, String), ContractError> {
        self.mint_source_to(content_type, body, None)
    }

    /// [`TokenService::mint_source`] for `caller`, authenticated in production mode: the
    /// identity is the caller's, the room must be named (unless the policy generates names)
    /// and allowed, and what the client sets must pass the policy.
    fn mint_source_to(
        &self,
        content_type: Option<&[u8]>,
        body: &[u8],
        caller: Option<&Caller>,
    ) -> Result<(SourceRequest, String), ContractError> {
        let fields = SourceFields::parse(content_type, body, &self.inner.field_policy)?;
        let (request, grants) = match (caller, &self.inner.production) {
            (Some(caller), Some(production)) => {
                let asked = Asked {
                    room: fields.room_name.as_deref(),
                    room_field: "room_name",
                    identity: fields.participant_identity.as_deref(),
                    metadata: fields.participant_metadata.as_deref(),
                    attributes_bytes: fields.attributes_bytes(),
                    room_config: fields.room_config.as_ref(),
                };
                let grants = production.rules.judge(caller, &asked)?;
                let own = SourceFields {
                    participant_identity: Some(caller.identity.clone()),
                    ..fields
                };
                (own.completed(random_u64), grants)
            }
            // Production mode never mints without a caller, whoever calls this.
            (None, Some(_)) => return Err(ContractError::Unauthenticated(AuthFailure::Missing)),
            (_, None) => (fields.completed(random_u64), GrantPreset::Publisher.into()),
        };
        let jwt = self
            .inner
            .minter
            .mint_source(&request, grants, SystemTime::now())
            .map_err(|_| ContractError::Internal)?;
        Ok((request, jwt))
    }

    /// Counts a failed authentication against its client's limit: past it, the failure is
    /// answered 429 instead. Valid requests are never refused for earlier failures.
    fn count_failure(&self, head: &RequestHead<'_>, err: ContractError) -> ContractError {
        if err.status() != 401 {
            return err;
        }
        self.count(|metrics| metrics.auth_failure(&err));
        match self.inner.limits.check(Limit::AuthFailures, head) {
            Ok(()) => err,
            Err(limited) => {
                self.count(|metrics| metrics.rate_limited(Limit::AuthFailures));
                ContractError::TooManyRequests(limited)
            }
        }
    }

    /// Records in the metrics, when they are on.
    fn count(&self, record: impl FnOnce(&Metrics)) {
        if let Some(metrics) = &self.inner.metrics {
            record(metrics);
        }
    }

    /// The reply for an error, in the configured format.
    pub fn error_reply(&self, err: ContractError) -> Reply {
        Reply::error(self.inner.format, &err)
    }

    /// The reply for an error on `endpoint`: the standard endpoint speaks JSON whatever the
    /// configured format, as LiveKit's SDKs expect.
    fn endpoint_error(&self, endpoint: Endpoint, err: ContractError) -> Reply {
        match endpoint {
            Endpoint::TokenSource => Reply::error(ResponseFormat::Json, &err),
            _ => self.error_reply(err),
        }
    }
}

/// Who sent a body, as far as it is known before the body is parsed.
#[derive(Debug, Clone, Copy)]
enum Sender<'a> {
    /// Not authenticated (tutorial mode), or not yet ([`TokenService::reply`]).
    Unknown,
    /// A caller authenticated by its bearer token, in production mode.
    Caller(&'a Caller),
    /// LiveKit, by a verified webhook token.
    LiveKit(&'a VouchedHash),
}

impl<'a> From<Option<&'a Caller>> for Sender<'a> {
    fn from(caller: Option<&'a Caller>) -> Self {
        caller.map_or(Self::Unknown, Self::Caller)
    }
}

/// 64 random bits for generated room names and identities, from the operating system. Should
/// it ever fail, the clock's nanoseconds still make names unique enough to join.
fn random_u64() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_nanos() as u64)
    })
}

impl fmt::Debug for TokenService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenService")
            .field("minter", &self.inner.minter)
            .field("format", &self.inner.format)
            .finish_non_exhaustive()
    }
}

/// Logs one line per request (method, route, status, latency) at info: the route is the
/// endpoint's path, or `other` for any other path, whose raw bytes (up to the head's limit)
/// a client chooses. Never the query string (LiveKit clients may put `access_token` there),
/// headers or bodies.
pub fn log_request(method: &str, endpoint: Option<Endpoint>, status: u16, latency: Duration) {
    let path = endpoint.map_or("other", Endpoint::path);
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
    use futures_util::stream;

    use super::*;
    use crate::http::contract::{APPLICATION_JSON, NAMES_REQUIRED, TEXT_PLAIN};
    use crate::http::head::HttpVersion;
    use crate::livekit::keys::Credentials;
    use crate::operations::limits::{RateLimited, RateQuota};
    use crate::service::config::{Mode, Tutorial};
    use crate::service::discarding::MAX_DISCARDED_BODY_BYTES;
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    use std::num::NonZeroU32;

    fn config() -> ServiceConfig {
        ServiceConfig::new(
            Credentials::development(),
            Mode::Tutorial(Tutorial::default()),
        )
    }

    fn service(format: &str) -> TokenService {
        let mut config = config();
        config.response_format = match format {
            "json" => ResponseFormat::Json,
            _ => ResponseFormat::Text,
        };
        TokenService::new(&config)
    }

    const LIMITED: RateLimited = RateLimited {
        limit: Limit::Tokens,
        quota: RateQuota::new(NonZeroU32::MIN, 60),
        retry_after_seconds: 60,
    };

    const ERRORS: [ContractError; 21] = [
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
        ContractError::WrongType("roomName", "a string"),
        ContractError::FieldNotAllowed("room_config"),
        ContractError::TooLong("room_name", 256),
        ContractError::MissingAuthorization,
        ContractError::InvalidAuthorization("expired"),
        ContractError::MissingBodyHash,
        ContractError::BodyHashMismatch,
        ContractError::InvalidWebhookEvent,
        ContractError::TooManyRequests(LIMITED),
        ContractError::Internal,
    ];

    fn head<'a>(method: &'a str, path: &'a str, headers: &[(&'a str, &'a str)]) -> RequestHead<'a> {
        RequestHead::new(
            method,
            path,
            HttpVersion::Http11,
            std::iter::once(("host", &b"localhost"[..])).chain(
                headers
                    .iter()
                    .map(|(name, value)| (*name, value.as_bytes())),
            ),
        )
    }

    const JSON: (&str, &str) = ("content-type", "application/json");

    async fn respond(service: &TokenService, head: &RequestHead<'_>, body: &'static [u8]) -> Reply {
        service
            .respond(head, stream::iter([Ok::<_, ()>(body)]))
            .await
    }

    #[test]
    fn every_error_is_one_line_of_plain_text_with_cors() {
        let service = service("text");
        for err in ERRORS {
            let reply = service.error_reply(err.clone());
            assert_eq!(reply.header("content-type"), Some(TEXT_PLAIN));
            assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
            assert!(
                !reply.body.is_empty() && !reply.body.contains('\n'),
                "{err:?}"
            );
            assert!((400..600).contains(&reply.status), "{err:?}");
            assert_eq!(
                reply.header("allow").is_some(),
                reply.status == 405,
                "{err:?}"
            );
        }
    }

    #[test]
    fn every_error_is_an_error_message_object_in_json() {
        let service = service("json");
        for err in ERRORS {
            let reply = service.error_reply(err.clone());
            assert_eq!(reply.header("content-type"), Some(APPLICATION_JSON));
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

    #[tokio::test]
    async fn tokens_in_json_are_a_token_object() {
        let head = head("POST", "/token", &[JSON]);
        let body = br#"{"roomName":"r","participantName":"p"}"#;
        let reply = respond(&service("json"), &head, body).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some(APPLICATION_JSON));
        let value: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        assert_eq!(value.as_object().map(|o| o.len()), Some(1));
        assert_eq!(
            value["token"].as_str().map(|t| t.split('.').count()),
            Some(3)
        );
        let reply = respond(&service("text"), &head, body).await;
        assert_eq!(
            (reply.status, reply.header("content-type")),
            (200, Some(TEXT_PLAIN))
        );
        assert_eq!(reply.body.split('.').count(), 3);
    }

    #[tokio::test]
    async fn health_is_ok_in_every_format_for_get_and_head() {
        for format in ["text", "json"] {
            for method in ["GET", "HEAD"] {
                let reply = respond(&service(format), &head(method, "/healthz", &[]), b"").await;
                assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
                assert!(!reply.close_connection);
            }
        }
    }

    #[tokio::test]
    async fn paths_match_byte_for_byte() {
        let service = service("text");
        let body = br#"{"roomName":"r","participantName":"p"}"#;
        for path in [
            "/token/", "/Token", "/tok%65n", "//token", "/token/x", "*", "",
        ] {
            let reply = respond(&service, &head("POST", path, &[JSON]), body).await;
            assert_eq!(reply.status, 404, "{path}");
            assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        }
        let reply = respond(&service, &head("POST", "/token", &[JSON]), body).await;
        assert_eq!(reply.status, 200);
    }

    #[tokio::test]
    async fn options_preflights_head_and_other_methods() {
        let service = service("json");
        let preflight = head(
            "OPTIONS",
            "/token",
            &[
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "X-A, content-type"),
            ],
        );
        let reply = respond(&service, &preflight, b"").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, "");
        assert_eq!(reply.header("content-type"), None);
        assert_eq!(reply.header("access-control-allow-methods"), Some("POST"));
        assert_eq!(
            reply.header("access-control-allow-headers"),
            Some("x-a, content-type")
        );
        assert_eq!(reply.header("access-control-max-age"), Some("3600"));
        assert_eq!(reply.header("allow"), None);

        let plain = respond(&service, &head("OPTIONS", "/healthz", &[]), b"").await;
        assert_eq!(
            (plain.status, plain.header("allow")),
            (200, Some("GET, HEAD, OPTIONS"))
        );
        assert_eq!(plain.header("access-control-allow-methods"), None);

        let unknown = respond(
            &service,
            &head(
                "OPTIONS",
                "/nope",
                &[("access-control-request-method", "POST")],
            ),
            b"",
        )
        .await;
        assert_eq!(unknown.status, 404);

        for method in ["GET", "HEAD", "post", "PUT", "BREW"] {
            let reply = respond(&service, &head(method, "/token", &[]), b"").await;
            assert_eq!(
                (reply.status, reply.header("allow")),
                (405, Some("POST, OPTIONS")),
                "{method}"
            );
        }
    }

    #[tokio::test]
    async fn broken_framing_is_400_and_closes_without_reading() {
        let service = service("text");
        let head = RequestHead::new(
            "POST",
            "/token",
            HttpVersion::Http11,
            [("content-type", &b"application/json"[..])],
        );
        let never_read = stream::pending::<Result<&[u8], ()>>();
        let reply = service.respond(&head, never_read).await;
        // The engines' own bare refusal: no CORS header, no body.
        assert_eq!(reply, Reply::bad_framing());
        assert_eq!(reply.status, 400);
        assert!(reply.close_connection);
        assert!(reply.headers.is_empty() && reply.body.is_empty());
    }

    #[tokio::test]
    async fn unwanted_bodies_are_read_and_too_long_ones_close() {
        static LONG: [u8; MAX_DISCARDED_BODY_BYTES + 1] = [b'x'; MAX_DISCARDED_BODY_BYTES + 1];
        let service = service("text");
        let short = respond(&service, &head("POST", "/nope", &[]), b"12345").await;
        assert_eq!((short.status, short.close_connection), (404, false));
        let long = respond(&service, &head("POST", "/nope", &[]), &LONG).await;
        assert_eq!((long.status, long.close_connection), (404, true));
        let long = respond(&service, &head("GET", "/healthz", &[]), &LONG).await;
        assert_eq!((long.status, long.close_connection), (200, true));
    }

    /// A tutorial service signing with `APIlimits`, its configuration changed by `change`.
    fn limited_service(change: impl FnOnce(&mut ServiceConfig)) -> TokenService {
        let mut config = config();
        config.credentials = Credentials::single(
            "APIlimits",
            crate::livekit::keys::ApiSecret::new(crate::livekit::keys::DEV_API_SECRET),
        );
        change(&mut config);
        TokenService::new(&config)
    }

    fn quota(text: &str) -> RateQuota {
        text.parse().expect("a quota")
    }

    fn from<'a>(head: RequestHead<'a>, peer: &str) -> RequestHead<'a> {
        head.from_peer(Some(peer.parse().expect("an address")))
    }

    fn webhook(authorization: &str) -> RequestHead<'_> {
        from(
            head(
                "POST",
                "/livekit/webhook",
                &[("authorization", authorization)],
            ),
            "203.0.113.9",
        )
    }

    #[tokio::test]
    async fn token_requests_past_the_limit_get_429_with_when_to_retry() {
        let service = limited_service(|config| config.limits.tokens = quota("2/min"));
        let body = br#"{"roomName":"r","participantName":"p"}"#;
        let token = || from(head("POST", "/token", &[JSON]), "203.0.113.9");
        for _ in 0..2 {
            assert_eq!(respond(&service, &token(), body).await.status, 200);
        }
        let refused = respond(&service, &token(), body).await;
        assert_eq!(refused.status, 429);
        assert!(!refused.close_connection, "the body was read");
        assert_eq!(refused.header("access-control-allow-origin"), Some("*"));
        let retry: u64 = refused
            .header("retry-after")
            .and_then(|value| value.parse().ok())
            .expect("Retry-After in seconds");
        assert!((29..=30).contains(&retry), "{retry}");
        assert_eq!(
            refused.header("ratelimit-policy"),
            Some("\"tokens\";q=2;w=60")
        );
        assert_eq!(
            refused.header("ratelimit"),
            Some(format!("\"tokens\";r=0;t={retry}").as_str())
        );
        assert_eq!(
            refused.header("access-control-expose-headers"),
            Some("Retry-After, RateLimit, RateLimit-Policy")
        );
        assert_eq!(
            refused.body,
            format!("too many requests: try again in {retry} s")
        );
        // The standard endpoint shares the quota and answers in JSON.
        let source = from(head("POST", "/livekit/token", &[JSON]), "203.0.113.9");
        let refused = respond(&service, &source, b"{}").await;
        assert_eq!(refused.status, 429);
        assert_eq!(refused.header("content-type"), Some(APPLICATION_JSON));
        // Other clients, other paths and preflights are not counted.
        let other = from(head("POST", "/token", &[JSON]), "203.0.113.10");
        assert_eq!(respond(&service, &other, body).await.status, 200);
        let health = from(head("GET", "/healthz", &[]), "203.0.113.9");
        assert_eq!(respond(&service, &health, b"").await.status, 200);
        let preflight = from(
            head(
                "OPTIONS",
                "/token",
                &[("access-control-request-method", "POST")],
            ),
            "203.0.113.9",
        );
        assert_eq!(respond(&service, &preflight, b"").await.status, 200);
    }

    #[tokio::test]
    async fn limits_follow_trusted_proxies_and_can_be_turned_off() {
        let body = br#"{"roomName":"r","participantName":"p"}"#;
        let behind = |client: &'static str| {
            from(
                head("POST", "/token", &[JSON, ("x-forwarded-for", client)]),
                "10.0.0.2",
            )
        };
        let proxied = limited_service(|config| {
            config.limits.tokens = quota("1/h");
            config.limits.trusted_proxies = "10.0.0.0/8".parse().expect("networks");
        });
        assert_eq!(
            respond(&proxied, &behind("198.51.100.1"), body)
                .await
                .status,
            200
        );
        assert_eq!(
            respond(&proxied, &behind("198.51.100.2"), body)
                .await
                .status,
            200
        );
        assert_eq!(
            respond(&proxied, &behind("198.51.100.1"), body)
                .await
                .status,
            429
        );
        // Untrusted, the proxy is the client: one quota for everyone behind it.
        let direct = limited_service(|config| config.limits.tokens = quota("1/h"));
        assert_eq!(
            respond(&direct, &behind("198.51.100.1"), body).await.status,
            200
        );
        assert_eq!(
            respond(&direct, &behind("198.51.100.2"), body).await.status,
            429
        );
        let off = limited_service(|config| {
            config.limits.tokens = quota("1/h");
            config.limits.on = false;
        });
        for _ in 0..3 {
            assert_eq!(
                respond(&off, &behind("198.51.100.1"), body).await.status,
                200
            );
        }
    }

    #[tokio::test]
    async fn failed_authentications_past_the_limit_get_429_but_valid_ones_pass() {
        let service = limited_service(|config| config.limits.auth_failures = quota("2/h"));
        let statuses = futures_util::future::join_all(
            (0..3).map(|_| async { respond(&service, &webhook("forged"), b"{}").await.status }),
        )
        .await;
        assert_eq!(statuses, [401, 401, 429]);
        // A validly signed event from the same client is still accepted.
        let event = br#"{"event":"room_started"}"#;
        let hash = Sha256::digest(event);
        let signed = livekit_api::access_token::AccessToken::with_api_key("APIlimits", "secret")
            .with_sha256(&base64::engine::general_purpose::STANDARD.encode(hash))
            .to_jwt()
            .expect("sign");
        assert_eq!(
            respond(&service, &webhook(&signed), event).await.status,
            200
        );
        // Counted as answered: the failure past the limit is a rate-limited webhook.
        let counted = limited_service(|config| {
            config.limits.auth_failures = quota("1/h");
            config.metrics = true;
        });
        for expected in [401, 429] {
            let reply = respond(&counted, &webhook("forged"), b"{}").await;
            assert_eq!(reply.status, expected);
            assert!(
                reply.close_connection,
                "a forged webhook's body is never read"
            );
        }
        let metrics = counted.metrics_port().expect("metrics on");
        let scrape = metrics
            .respond(
                &head("GET", "/metrics", &[]),
                stream::iter([Ok::<_, ()>(&b""[..])]),
            )
            .await
            .body;
        for line in [
            "token_server_webhooks_total{result=\"unauthorized\"} 1",
            "token_server_webhooks_total{result=\"rate_limited\"} 1",
        ] {
            assert!(scrape.contains(line), "{line} not in\n{scrape}");
        }
        // Failures are not token requests.
        let token = from(head("POST", "/token", &[JSON]), "203.0.113.9");
        let body = br#"{"roomName":"r","participantName":"p"}"#;
        assert_eq!(respond(&service, &token, body).await.status, 200);
    }
}
