//! The token server on hyper alone: no framework, the same work as the others, so the bench
//! can tell what each framework costs on top.
//!
//! [`app`] is the service (tests can call it directly); [`serve`] runs it on a listener until
//! the shutdown future resolves, then lets in-flight requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::io;

use http::{Request, Response};
use http_body_util::BodyExt;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_serve::translate;
use token_core::TokenService;

/// The whole application: every request to `token-core`, which routes.
pub fn app(
    service: TokenService,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |request: Request<Incoming>| {
        let service = service.clone();
        async move {
            let (parts, body) = request.into_parts();
            let head = translate::request_head(
                &parts.method,
                translate::target(&parts.uri),
                parts.version,
                &parts.headers,
            )
            .from_peer(translate::peer(&parts.extensions));
            let reply = service.respond(&head, body.into_data_stream()).await;
            Ok(translate::response(reply, &head))
        }
    })
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
