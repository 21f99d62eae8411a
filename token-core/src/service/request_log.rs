//! The request log: one line per request of the contract.

use std::time::Duration;

use crate::http::contract::Endpoint;

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
