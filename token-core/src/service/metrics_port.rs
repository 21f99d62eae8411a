//! The metrics port (`METRICS_PORT`): its answers, apart from the token endpoints'. The
//! runtime serves it on a listener of its own.

use std::sync::Arc;

use bytes::Buf;
use futures_util::Stream;

use crate::http::head::RequestHead;
use crate::operations::metrics::{METRICS_PATH, Metrics};
use crate::service::discarding::discarding;
use crate::service::reply::Reply;

/// The metrics port: `GET /metrics` answers the exposition, any other path 404, any other
/// method 405. Scrapes are not requests of the contract: neither logged nor counted.
#[derive(Debug, Clone)]
pub struct MetricsPort {
    metrics: Arc<Metrics>,
}

impl MetricsPort {
    /// The port over `metrics`, shared with the token service that records them.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }

    /// Answers any request to the metrics port, its body read and discarded first.
    pub async fn respond<S, B, E>(&self, head: &RequestHead<'_>, body: S) -> Reply
    where
        S: Stream<Item = Result<B, E>>,
        B: Buf,
    {
        if head.framing_error().is_some() {
            return Reply::bad_framing();
        }
        let reply = match (head.path() == METRICS_PATH, head.method()) {
            (true, "GET" | "HEAD") => Reply::metrics(self.metrics.encode()),
            (true, _) => Reply::metrics_refusal(405, "method not allowed: use GET, HEAD"),
            (false, _) => Reply::metrics_refusal(404, "not found: metrics are at GET /metrics"),
        };
        let mut reply = discarding(body, reply).await;
        if matches!(head.method(), "GET" | "HEAD") && head.has_body() {
            reply.close_connection = true;
        }
        if head.asks_close() {
            reply.close_connection = true;
        }
        reply
    }
}
