//! The metrics port (`METRICS_PORT`) as its own small service: token-core's
//! [`MetricsPort`] answers, served on `hyper-serve` whatever the backend of the token port.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::TcpListener;

use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_serve::translate;
use token_core::service::metrics_port::MetricsPort;

/// Serves `port` on `listener`, at most `max_connections` at once (the token port's cap),
/// until `shutdown` resolves and in-flight scrapes are done.
pub async fn serve<F>(
    listener: TcpListener,
    port: MetricsPort,
    max_connections: usize,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()>,
{
    hyper_serve::serve(listener, app(port), max_connections, shutdown).await
}

/// Every request to [`MetricsPort::respond`], its reply written as hyper writes replies.
fn app(
    port: MetricsPort,
) -> impl tower_service::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |request: Request<Incoming>| {
        let port = port.clone();
        async move {
            let (parts, body) = request.into_parts();
            let head = translate::request_head(
                &parts.method,
                translate::target(&parts.uri),
                parts.version,
                &parts.headers,
            );
            let reply = port.respond(&head, body.into_data_stream()).await;
            Ok(translate::response(reply, &head))
        }
    })
}
