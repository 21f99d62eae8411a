//! The connection loop of the hyper-based backends (axum, warp, poem, hyper), written once.
//!
//! `axum::serve`, `warp::serve` and `poem::Server` accept no head timeout, so none could bound
//! how long a client may take to send its request head; this loop gives them all the same
//! HTTP/1.1 settings from `token-core` (actix-web has its own server and is given the same
//! values; salvo's own server runs hyper and takes them from [`configure`]):
//! - a request head must arrive within [`REQUEST_HEAD_TIMEOUT`] of the connection opening or
//!   of the previous response (hyper's header timer also bounds idle keep-alive time);
//! - `TCP_NODELAY` (actix-web is told to set it too);
//! - actix-http's fixed head limits and its half-close, so every engine refuses alike;
//! - as actix-server does, at most `SERVER_MAX_CONNECTIONS` connections at once (more wait
//!   to be accepted) and a growing pause after a failed accept (`admission`);
//! - on shutdown: stop accepting, close idle connections at once, let in-flight requests
//!   finish for at most [`SHUTDOWN_GRACE`].
//!
//! Each request carries its connection's peer address as a [`translate::Peer`] extension.
//! [`translate`] turns `http` requests into `token-core`'s heads and replies into responses,
//! for every backend built on `http` 1.x; [`responder`] is the service on bare hyper.

use std::error::Error as StdError;
use std::future::Future;
use std::io;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
pub use token_core::http::contract::{REQUEST_HEAD_TIMEOUT, SHUTDOWN_GRACE};

mod admission;
pub mod responder;
pub mod translate;

pub use admission::{AcceptBackoff, Admitted, ConnectionLimit};

/// The most header lines a request head may have (actix-http's fixed limit).
pub const MAX_HEADERS: usize = 96;
/// The most bytes a request head may take (actix-http's fixed limit).
pub const MAX_HEAD_BYTES: usize = 128 * 1024;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Gives a hyper HTTP/1 builder the contract's settings. Also for servers that run hyper
/// themselves (salvo), so every hyper connection is configured in this one place.
pub fn configure(http: &mut http1::Builder) {
    http.timer(TokioTimer::new())
        .header_read_timeout(REQUEST_HEAD_TIMEOUT)
        .keep_alive(true)
        // actix-http's fixed limits, so an oversized head gets the same 431 on every backend.
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEAD_BYTES)
        // The buffer limit is checked between reads, and one read may take a whole head of up
        // to twice the limit (a 200,000-byte head was once answered 200); this checks the
        // parsed head itself.
        .max_header_size(MAX_HEAD_BYTES)
        // actix-http's default: a client that half-closes after its request still gets the
        // answer.
        .half_close(true);
}

/// Serves `service` on `listener` until `shutdown` resolves, then drains connections. At
/// most `max_connections` are served at once: the next is accepted when one closes.
pub async fn serve<S, B, F>(
    listener: std::net::TcpListener,
    service: S,
    max_connections: usize,
    shutdown: F,
) -> io::Result<()>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    F: Future<Output = ()>,
{
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let mut http = http1::Builder::new();
    configure(&mut http);
    let connections = GracefulShutdown::new();
    let limit = ConnectionLimit::new(max_connections);
    let mut backoff = AcceptBackoff::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = limit.admit() => permit,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff.reset();
                    (stream, translate::Peer(peer))
                }
                Err(err) => {
                    // Out of file descriptors, or a connection reset before accept: keep
                    // serving the others, and give the system time to recover.
                    tracing::warn!("accept failed: {err}");
                    backoff.wait().await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {err}");
        }
        // Every request carries its connection's peer, for per-client limits.
        let inner = TowerToHyperService::new(service.clone());
        let with_peer = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(peer);
            hyper::service::Service::call(&inner, request)
        });
        let connection = http.serve_connection(TokioIo::new(stream), with_peer);
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!("connection ended with an error: {err}");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = connections.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("shutdown grace period over: dropping the remaining connections");
        }
    }
    Ok(())
}
