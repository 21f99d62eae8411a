//! The token server on actix-web: every request handed to `token-core`, its reply sent back.
//!
//! [`app`] builds the application (tests can call it directly); [`serve`] runs it on a
//! listener until the shutdown future resolves, then lets in-flight requests finish.

use std::borrow::Cow;
use std::future::Future;
use std::io;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{StatusCode, Version};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use token_core::http::contract::{REQUEST_HEAD_TIMEOUT, SHUTDOWN_GRACE};
use token_core::{HttpVersion, Reply, RequestHead, TokenService};

/// The whole application: one default service taking every request to `token-core`, which
/// routes. actix-web's router percent-decodes paths before matching (`/tok%65n` would be
/// `/token`) and `actix-cors` cannot give the contract's CORS answers.
pub fn app(
    service: TokenService,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(service))
        .default_service(web::to(handle))
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
    // actix-web caps connections per worker: the server's cap shared out among them.
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let per_worker = service.max_connections().div_ceil(workers);
    let server = HttpServer::new(move || app(service.clone()))
        // The same settings hyper-serve gives the hyper-based backends.
        .workers(workers)
        .max_connections(per_worker)
        .tcp_nodelay(true)
        .client_request_timeout(REQUEST_HEAD_TIMEOUT)
        .keep_alive(REQUEST_HEAD_TIMEOUT)
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        // After an answer that closes, hyper closes at once; actix-http would otherwise read
        // and drop what the client still sends for up to a second first.
        .client_disconnect_timeout(Duration::ZERO)
        .listen(listener)?
        // Signals are the caller's business: it hands us `shutdown` instead.
        .disable_signals()
        .run();
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.await;
        handle.stop(true).await;
    });
    server.await
}

async fn handle(
    service: web::Data<TokenService>,
    request: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let version = if request.version() == Version::HTTP_10 {
        HttpVersion::Http10
    } else {
        HttpVersion::Http11
    };
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()));
    let uri = request.uri();
    let target = uri
        .path_and_query()
        .map_or(uri.path(), |target| target.as_str());
    let head = RequestHead::new(request.method().as_str(), target, version, headers)
        .from_peer(request.peer_addr().map(|peer| peer.ip()));
    to_response(service.respond(&head, body).await)
}

fn to_response(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in reply.headers {
        let value = match value {
            Cow::Borrowed(value) => HeaderValue::from_static(value),
            Cow::Owned(value) => match HeaderValue::try_from(value) {
                Ok(value) => value,
                // token-core only echoes header names, which are valid values.
                Err(_) => continue,
            },
        };
        response.insert_header((HeaderName::from_static(name), value));
    }
    if reply.close_connection {
        // actix-web drops a hand-set `Connection` header; this is its way to send one.
        response.force_close();
    }
    response.body(reply.body)
}
