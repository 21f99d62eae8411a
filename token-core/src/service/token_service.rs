//! [`TokenService`]: the contract without the HTTP. Every request, whatever its path, method
//! or framing, is answered here; adapters hand over the head and the body stream and copy
//! the [`Reply`] onto the wire.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use bytes::Buf;
use futures_util::Stream;

use crate::http::contract::{ContractError, Endpoint};
use crate::http::head::RequestHead;
use crate::livekit::token::TokenMinter;
use crate::livekit::token_source::FieldPolicy;
use crate::livekit::webhook::WebhookVerifier;
use crate::operations::limits::{Limit, RateLimits};
use crate::operations::log_names::LogNames;
use crate::operations::metrics::Metrics;
use crate::production::{Admission, Production};
use crate::service::config::ServiceConfig;
use crate::service::metrics_port::MetricsPort;
use crate::service::reply::{Reply, ResponseFormat};
use crate::service::request_log::log_request;

/// The contract without the HTTP: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct TokenService {
    pub(super) inner: Arc<Inner>,
}

/// What every clone of a service shares.
pub(super) struct Inner {
    pub(super) minter: TokenMinter,
    pub(super) webhooks: WebhookVerifier,
    pub(super) format: ResponseFormat,
    pub(super) livekit_url: String,
    pub(super) field_policy: FieldPolicy,
    pub(super) log_names: LogNames,
    pub(super) limits: RateLimits,
    pub(super) metrics: Option<Arc<Metrics>>,
    pub(super) max_connections: usize,
    pub(super) production: Option<Admission>,
}

impl TokenService {
    /// Builds the service from a validated configuration; all per-process work happens here.
    pub fn new(config: &ServiceConfig) -> Self {
        let credentials = &config.credentials;
        let production = config.production();
        let metrics = config.metrics.then(|| Arc::new(Metrics::new()));
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
                limits: RateLimits::new(
                    &config.limits,
                    production.is_some(),
                    credentials.signing_secret().expose(),
                    metrics.clone(),
                ),
                metrics,
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
            Some(production) => production.keep_keys_fresh().await,
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
    /// unwanted one up to [`crate::service::discarding::MAX_DISCARDED_BODY_BYTES`], past which the connection closes.
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
            reply.restrict_origin(production.allowed_origin(head));
        }
        let took = started.elapsed();
        let endpoint = Endpoint::from_path(head.path());
        log_request(head.method(), endpoint, reply.status, took);
        if let Some(metrics) = &self.inner.metrics {
            metrics.request(head.method(), endpoint, reply.status, took);
        }
        reply
    }

    /// Counts a failed authentication against its client's limit: past it, the failure is
    /// answered 429 instead (or 503 while a shared store fails and failures close the
    /// service). Valid requests are never refused for earlier failures.
    pub(super) async fn count_failure(
        &self,
        head: &RequestHead<'_>,
        err: ContractError,
    ) -> ContractError {
        if err.status() != 401 {
            return err;
        }
        self.count(|metrics| metrics.auth_failure(&err));
        match self.inner.limits.check(Limit::AuthFailures, head).await {
            Ok(()) => err,
            Err(refusal) => refusal,
        }
    }

    /// Records in the metrics, when they are on.
    pub(super) fn count(&self, record: impl FnOnce(&Metrics)) {
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
    pub(super) fn endpoint_error(&self, endpoint: Endpoint, err: ContractError) -> Reply {
        match endpoint {
            Endpoint::TokenSource => Reply::error(ResponseFormat::Json, &err),
            _ => self.error_reply(err),
        }
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
