//! The baseline: a bare hyper server answering `POST /token` with a fixed, pre-computed token
//! of the usual size. Same connection loop as the hyper-based backends, no routing, no JSON,
//! no signing: the ceiling of this machine for this exchange.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

/// Answers every `POST /token` with the same token.
#[derive(Debug, Clone)]
pub struct FixedToken {
    token: Bytes,
}

impl FixedToken {
    /// A token minted once, for a participant name as long as the load generator's.
    pub fn new() -> Self {
        let settings = server_runtime::Args::from_args("baseline", ["baseline"])
            .expect("default settings are valid");
        let token = token_core::TokenService::new(&settings.service)
            .mint(
                Some(b"application/json"),
                br#"{"roomName":"bench","participantName":"participant-12-345678"}"#,
            )
            .expect("a valid request mints");
        Self {
            token: Bytes::from(token),
        }
    }
}

impl Default for FixedToken {
    fn default() -> Self {
        Self::new()
    }
}

impl tower_service::Service<Request<Incoming>> for FixedToken {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let token = self.token.clone();
        Box::pin(async move {
            // Read the body as the backends do, so keep-alive works the same way.
            let _ = request.into_body().collect().await;
            let mut response = Response::new(Full::new(token));
            *response.status_mut() = StatusCode::OK;
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(response)
        })
    }
}

/// Serves the baseline until `shutdown` resolves.
pub async fn serve(
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    // The backends' default connection cap, so the baseline is served alike.
    let max_connections =
        usize::try_from(token_core::service::config::DEFAULT_MAX_CONNECTIONS).unwrap_or(usize::MAX);
    hyper_serve::serve(listener, FixedToken::new(), max_connections, shutdown).await
}
