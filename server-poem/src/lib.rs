//! The token server on poem: every request handed to `token-core`, its reply sent back.
//!
//! [`app`] builds the endpoint (tests can call it directly); [`serve`] runs it on a listener
//! until the shutdown future resolves, then lets in-flight requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper_serve::translate;
use poem::Addr;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Body, Endpoint, Request, Response, ResponseParts};
use token_core::TokenService;

/// The whole application: one endpoint for every path and method, no `Route`, because
/// `token-core` routes (poem's router answers unknown paths and methods its own way).
pub fn app(service: TokenService) -> impl Endpoint<Output = Response> {
    poem::endpoint::make(move |mut request: Request| {
        let service = service.clone();
        async move {
            let body = request.take_body().into_bytes_stream();
            let head = translate::request_head(
                request.method(),
                translate::target(request.uri()),
                request.version(),
                request.headers(),
            )
            .from_peer(request.remote_addr().as_socket_addr().map(|peer| peer.ip()));
            let reply = service.respond(&head, body).await;
            let (parts, body_text) = translate::response::<String>(reply, &head).into_parts();
            let parts = ResponseParts {
                status: parts.status,
                version: parts.version,
                headers: parts.headers,
                extensions: parts.extensions,
            };
            Response::from_parts(parts, Body::from(body_text))
        }
    })
}

/// Serves [`app`] on `listener` until `shutdown` resolves and in-flight requests are done.
///
/// On `hyper-serve`'s connection loop rather than `poem::Server`, which takes no request-head
/// timeout: each request goes to the endpoint as poem's own server hands it over.
pub async fn serve<F>(
    listener: std::net::TcpListener,
    service: TokenService,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let max_connections = service.max_connections();
    let endpoint = Arc::new(app(service));
    let http = tower::service_fn(move |request: http::Request<Incoming>| {
        let endpoint = Arc::clone(&endpoint);
        async move {
            // The connection's peer, which hyper-serve put in the extensions.
            let remote = request
                .extensions()
                .get::<translate::Peer>()
                .map_or_else(RemoteAddr::default, |&translate::Peer(peer)| {
                    RemoteAddr(Addr::SocketAddr(peer))
                });
            let request = Request::from((request, LocalAddr::default(), remote, Scheme::HTTP));
            let response = endpoint.get_response(request).await;
            Ok::<_, Infallible>(hyper::Response::from(response))
        }
    });
    hyper_serve::serve(listener, http, max_connections, shutdown).await
}
