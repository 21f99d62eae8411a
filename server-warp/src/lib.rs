//! The token server on warp: every request handed to `token-core`, its reply sent back.
//!
//! [`app`] builds the filter (tests can call it directly); [`serve`] runs it on a listener
//! until the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;

use hyper_serve::translate;
use token_core::TokenService;
use tower::ServiceExt;
use warp::filters::path::FullPath;
use warp::http::{Method, Version};
use warp::reply::Response;
use warp::{Filter, Rejection};

/// The whole application: one filter taking every request to `token-core`, which routes.
/// warp's path filters cannot match byte for byte (`path::end` accepts a trailing slash) and
/// `warp::cors` cannot give the contract's CORS answers (it never sends `*`).
pub fn app(
    service: TokenService,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::method()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        // warp has no filter for the HTTP version; `serve` copies it into the extensions.
        .and(warp::ext::optional::<Version>())
        .and(warp::header::headers_cloned())
        // Rejects only a body taken twice, which this one filter never does.
        .and(warp::body::stream())
        .then(
            move |method: Method,
                  path: FullPath,
                  query: String,
                  version: Option<Version>,
                  headers,
                  body| {
                let service = service.clone();
                async move {
                    let target = match query.as_str() {
                        "" => path.as_str().to_owned(),
                        query => format!("{}?{query}", path.as_str()),
                    };
                    let head = translate::request_head(
                        &method,
                        &target,
                        version.unwrap_or_default(),
                        &headers,
                    );
                    translate::response(service.respond(&head, body).await)
                }
            },
        )
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
        let version = request.version();
        request.extensions_mut().insert(version);
        request
    });
    hyper_serve::serve(listener, app, max_connections, shutdown).await
}
