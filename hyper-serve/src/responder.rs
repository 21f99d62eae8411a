//! A `tower` service on bare hyper for whatever answers as `token-core` does, a request head
//! and a body stream in and a [`Reply`] out: the token service (the hyper backend) and the
//! metrics port (served by the runtime for every backend) are both served by [`app`].

use std::convert::Infallible;
use std::future::Future;

use http::{Request, Response};
use http_body_util::{BodyDataStream, BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use token_core::service::metrics_port::MetricsPort;
use token_core::{Reply, RequestHead, TokenService};

use crate::translate;

/// Answers one request from its head and its body.
pub trait Responder: Clone + Send + Sync + 'static {
    /// The reply to `head` and its `body`.
    fn respond(
        &self,
        head: &RequestHead<'_>,
        body: BodyDataStream<Incoming>,
    ) -> impl Future<Output = Reply> + Send;
}

impl Responder for TokenService {
    fn respond(
        &self,
        head: &RequestHead<'_>,
        body: BodyDataStream<Incoming>,
    ) -> impl Future<Output = Reply> + Send {
        TokenService::respond(self, head, body)
    }
}

impl Responder for MetricsPort {
    fn respond(
        &self,
        head: &RequestHead<'_>,
        body: BodyDataStream<Incoming>,
    ) -> impl Future<Output = Reply> + Send {
        MetricsPort::respond(self, head, body)
    }
}

/// Every request to `responder`, its head translated with the connection's peer, its reply
/// written as hyper writes replies.
pub fn app<R: Responder>(
    responder: R,
) -> impl tower_service::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |request: Request<Incoming>| {
        let responder = responder.clone();
        async move {
            let (parts, body) = request.into_parts();
            let head = translate::request_head(
                &parts.method,
                translate::target(&parts.uri),
                parts.version,
                &parts.headers,
            )
            .from_peer(translate::peer(&parts.extensions));
            let reply = responder.respond(&head, body.into_data_stream()).await;
            Ok(translate::response(reply, &head))
        }
    })
}
