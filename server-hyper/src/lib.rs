//! The token server on hyper alone: no framework, the same work as the others, so the bench
//! can tell what each framework costs on top.
//!
//! [`app`] is the service (tests can call it directly); [`serve`] runs it on a listener until
//! the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;

use http::{Request, Response};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use token_core::TokenService;

/// The whole application: every request to `token-core`, which routes.
pub fn app(
    service: TokenService,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, std::convert::Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    hyper_serve::responder::app(service)
}

/// Serves [`app`] on `listener` until `shutdown` resolves and in-flight requests are done.
pub async fn serve<F>(
    listener: std::net::TcpListener,
    service: TokenService,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let max_connections = service.max_connections();
    hyper_serve::serve(listener, app(service), max_connections, shutdown).await
}
