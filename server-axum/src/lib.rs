//! The token server on axum: every request handed to `token-core`, its reply sent back.
//!
//! [`app`] builds the router (tests call it directly); [`serve`] runs it on a listener until
//! the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use hyper_serve::translate;
use token_core::TokenService;

/// The whole application. One fallback and no axum routes, because `token-core` routes: axum's
/// method router and `tower-http`'s CORS layer answer `HEAD`, `OPTIONS` and unknown paths
/// their own way, not the contract's.
pub fn app(service: TokenService) -> Router {
    Router::new().fallback(handle).with_state(service)
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

async fn handle(State(service): State<TokenService>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let head = translate::request_head(
        &parts.method,
        translate::target(&parts.uri),
        parts.version,
        &parts.headers,
    )
    .from_peer(translate::peer(&parts.extensions));
    let reply = service.respond(&head, body.into_data_stream()).await;
    translate::response::<Body>(reply, &head)
}
