//! The token server on warp: every request handed to `token-core`, its reply sent back.
//!
//! [`app`] builds the filter (tests can call it directly); [`serve`] runs it on a listener
//! until the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;

use hyper_serve::translate;
use token_core::TokenService;
use tower::ServiceExt;
use warp::http::{Method, Version};
use warp::reply::Response;
use warp::{Filter, Rejection};

/// The whole application: one filter taking every request to `token-core`, which routes.
/// warp's path filters cannot match byte for byte (`path::end` accepts a trailing slash) and
/// `warp::cors` cannot give the contract's CORS answers (it never sends `*`). It reads the
/// request line from the [`RequestLine`] that [`serve`] puts in every request's extensions,
/// and the peer from `hyper-serve`'s.
pub fn app(
    service: TokenService,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::method()
        .and(warp::ext::optional::<RequestLine>())
        .and(warp::ext::optional::<translate::Peer>())
        .and(warp::header::headers_cloned())
        // Rejects only a body taken twice, which this one filter never does.
        .and(warp::body::stream())
        .then(
            move |method: Method,
                  line: Option<RequestLine>,
                  peer: Option<translate::Peer>,
                  headers,
                  body| {
                let service = service.clone();
                async move {
                    let line = line.unwrap_or_default();
                    let head =
                        translate::request_head(&method, &line.target, line.version, &headers)
                            .from_peer(peer.map(|translate::Peer(peer)| peer.ip()));
                    translate::response(service.respond(&head, body).await, &head)
                }
            },
        )
}

/// What warp's filters cannot give: the HTTP version (there is no filter for it) and the
/// request target as sent (`path::full` panics on a target without a path, such as
/// `CONNECT host:port`).
#[derive(Debug, Clone, Default)]
pub struct RequestLine {
    version: Version,
    target: String,
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
    let app = warp::service(app(service)).map_request(|mut request: warp::http::Request<_>| {
        let line = RequestLine {
            version: request.version(),
            target: translate::target(request.uri()).to_owned(),
        };
        request.extensions_mut().insert(line);
        request
    });
    hyper_serve::serve(listener, app, max_connections, shutdown).await
}
