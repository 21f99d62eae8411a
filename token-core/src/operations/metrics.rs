//! Prometheus metrics (`prometheus-client`), recorded here so that every backend reports the
//! same numbers, and served as OpenMetrics text on a port of their own (`METRICS_PORT`), as
//! LiveKit serves its own.
//!
//! No label carries an identity, a room or anything a client chooses freely: methods outside
//! the standard ones are `_OTHER` and unknown paths `unmatched`, so the number of series stays
//! fixed whatever clients send.

use std::fmt;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::http::contract::{ContractError, Endpoint};
use crate::http::rate_limited::Limit;

/// The content type of the exposition.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The path that serves it on the metrics port.
pub const METRICS_PATH: &str = "/metrics";

/// Request durations in seconds: from 100 µs (a token is minted in tens of µs) to 10 s (the
/// body timeout).
const DURATION_BUCKETS: [f64; 16] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Round trips to the shared rate-limit store in seconds: from 100 µs (a store beside the
/// server) to 1 s (far past any timeout worth setting).
const STORE_BUCKETS: [f64; 12] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// The methods that keep their name in labels (RFC 9110's); any other is `_OTHER`, as
/// OpenTelemetry's HTTP conventions do.
const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    /// `webhook` (a LiveKit signature) or `caller` (a caller's bearer token, production).
    credential: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

type DurationFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// Every metric of one server.
pub struct Metrics {
    registry: Registry,
    request_duration: DurationFamily,
    tokens_issued: Family<EndpointLabels, Counter>,
    webhooks: Family<ResultLabels, Counter>,
    auth_failures: Family<ReasonLabels, Counter>,
    rate_limited: Family<LimitLabels, Counter>,
    store_duration: Histogram,
    store_errors: Counter,
    store_fallback: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric, registered and at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let request_duration =
            DurationFamily::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        registry.register_with_unit(
            "http_server_request_duration",
            "Time from the request head to the answer, by method, route and status",
            prometheus_client::registry::Unit::Seconds,
            request_duration.clone(),
        );
        let tokens_issued = Family::default();
        registry.register(
            "token_server_tokens_issued",
            "Tokens minted, by endpoint",
            Clone::clone(&tokens_issued),
        );
        let webhooks = Family::default();
        registry.register(
            "token_server_webhooks",
            "Webhooks received, by the result of their verification",
            Clone::clone(&webhooks),
        );
        let auth_failures = Family::default();
        registry.register(
            "token_server_auth_failures",
            "Failed authentications, by credential (webhook, caller) and reason",
            Clone::clone(&auth_failures),
        );
        let rate_limited = Family::default();
        registry.register(
            "token_server_rate_limited",
            "Requests refused with 429, by limit",
            Clone::clone(&rate_limited),
        );
        let store_duration = Histogram::new(STORE_BUCKETS);
        registry.register_with_unit(
            "token_server_rate_limit_store_duration",
            "Time a check of the shared rate-limit store took, answered or not",
            prometheus_client::registry::Unit::Seconds,
            store_duration.clone(),
        );
        let store_errors = Counter::default();
        registry.register(
            "token_server_rate_limit_store_errors",
            "Checks of the shared rate-limit store that failed or timed out",
            store_errors.clone(),
        );
        let store_fallback = Gauge::default();
        registry.register(
            "token_server_rate_limit_store_fallback",
            "1 while the shared rate-limit store fails and RATE_LIMIT_STORE_FAILURE is in force",
            store_fallback.clone(),
        );
        Self {
            registry,
            request_duration,
            tokens_issued,
            webhooks,
            auth_failures,
            rate_limited,
            store_duration,
            store_errors,
            store_fallback,
        }
    }

    /// One answered request: its method, route (the endpoint's path, or `unmatched`), status
    /// and duration.
    pub fn request(&self, method: &str, endpoint: Option<Endpoint>, status: u16, took: Duration) {
        let labels = RequestLabels {
            method: KNOWN_METHODS
                .iter()
                .find(|known| **known == method)
                .copied()
                .unwrap_or("_OTHER"),
            route: endpoint.map_or("unmatched", Endpoint::path),
            status,
        };
        self.request_duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// A token minted on `endpoint`.
    pub fn token_issued(&self, endpoint: Endpoint) {
        let labels = EndpointLabels {
            endpoint: endpoint.path(),
        };
        self.tokens_issued.get_or_create(&labels).inc();
    }

    /// A webhook answered with `outcome`: accepted, or why not (`malformed` when its body
    /// could not be read, so it was never verified).
    pub fn webhook(&self, outcome: Result<(), &ContractError>) {
        let result = match outcome {
            Ok(()) => "accepted",
            Err(err) => match err.status() {
                401 => "unauthorized",
                429 => "rate_limited",
                _ if *err == ContractError::InvalidWebhookEvent => "invalid_event",
                _ => "malformed",
            },
        };
        self.webhooks.get_or_create(&ResultLabels { result }).inc();
    }

    /// A failed authentication, when `err` is one (a 401).
    pub fn auth_failure(&self, err: &ContractError) {
        let (credential, reason) = match err {
            ContractError::MissingAuthorization => ("webhook", "missing"),
            // A short phrase from a fixed set ("bad signature", "expired", ...).
            ContractError::InvalidAuthorization(why) => ("webhook", *why),
            ContractError::MissingBodyHash => ("webhook", "no body hash"),
            ContractError::BodyHashMismatch => ("webhook", "body hash mismatch"),
            ContractError::Unauthenticated(failure) => ("caller", failure.reason()),
            _ => return,
        };
        self.auth_failures
            .get_or_create(&ReasonLabels { credential, reason })
            .inc();
    }

    /// A request refused by `limit`.
    pub fn rate_limited(&self, limit: Limit) {
        let labels = LimitLabels {
            limit: limit.name(),
        };
        self.rate_limited.get_or_create(&labels).inc();
    }

    /// One check of the shared store, which took `took`.
    pub fn store_round_trip(&self, took: Duration) {
        self.store_duration.observe(took.as_secs_f64());
    }

    /// A check of the shared store that failed or timed out.
    pub fn store_error(&self) {
        self.store_errors.inc();
    }

    /// Whether the fallback of a failing shared store is in force.
    pub fn store_fallback(&self, in_force: bool) {
        self.store_fallback.set(i64::from(in_force));
    }

    /// The exposition, in OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_every_metric_and_bounded_labels() {
        let metrics = Metrics::new();
        metrics.request(
            "POST",
            Some(Endpoint::Token),
            200,
            Duration::from_micros(80),
        );
        metrics.request("BREW", None, 404, Duration::from_millis(2));
        metrics.token_issued(Endpoint::TokenSource);
        metrics.webhook(Err(&ContractError::InvalidAuthorization("expired")));
        metrics.webhook(Err(&ContractError::PayloadTooLarge(1)));
        metrics.auth_failure(&ContractError::InvalidAuthorization("expired"));
        metrics.auth_failure(&ContractError::NotFound);
        metrics.rate_limited(Limit::Tokens);
        metrics.store_round_trip(Duration::from_micros(300));
        metrics.store_error();
        metrics.store_fallback(true);
        let text = metrics.encode();
        for line in [
            "# TYPE http_server_request_duration_seconds histogram",
            "http_server_request_duration_seconds_bucket{le=\"0.0001\",method=\"POST\",route=\"/token\",status=\"200\"} 1",
            "http_server_request_duration_seconds_count{method=\"_OTHER\",route=\"unmatched\",status=\"404\"} 1",
            "token_server_tokens_issued_total{endpoint=\"/livekit/token\"} 1",
            "token_server_webhooks_total{result=\"unauthorized\"} 1",
            "token_server_webhooks_total{result=\"malformed\"} 1",
            "token_server_auth_failures_total{credential=\"webhook\",reason=\"expired\"} 1",
            "token_server_rate_limited_total{limit=\"tokens\"} 1",
            "token_server_rate_limit_store_duration_seconds_bucket{le=\"0.0005\"} 1",
            "token_server_rate_limit_store_errors_total 1",
            "token_server_rate_limit_store_fallback 1",
        ] {
            assert!(
                text.lines().any(|got| got == line),
                "no {line:?} in\n{text}"
            );
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert_eq!(text.matches("token_server_auth_failures_total{").count(), 1);
    }
}
