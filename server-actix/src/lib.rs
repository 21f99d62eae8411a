//! The token server on actix-web: routes, CORS and body limits mapped onto `token-core`.
//!
//! [`app`] builds the application (tests can call it directly); [`serve`] runs it on a
//! listener until the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use token_core::body::read_body;
use token_core::contract::TOKEN_PATH;
use token_core::{ContractError, Reply, TokenService, cors};

/// The whole application: `POST /token`, 404/405 replies, CORS.
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
    let cors = Cors::default()
        .allow_any_origin()
        // Without this actix-cors echoes the origin; the contract's policy is the wildcard.
        .send_wildcard()
        .allowed_methods(cors::ALLOW_METHODS)
        .allow_any_header()
        .max_age(usize::try_from(cors::MAX_AGE_SECONDS).ok());
    App::new()
        .app_data(web::Data::new(service))
        .service(
            web::resource(TOKEN_PATH)
                .route(web::post().to(token))
                .default_service(web::to(method_not_allowed)),
        )
        .default_service(web::to(not_found))
        .wrap(cors)
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
    let server = HttpServer::new(move || app(service.clone()))
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

async fn token(
    service: web::Data<TokenService>,
    request: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let reply = match read_body(body).await {
        Ok(body) => service.token_reply(
            request
                .headers()
                .get(CONTENT_TYPE)
                .map(|value| value.as_bytes()),
            &body,
        ),
        Err(err) => service.error_reply(err),
    };
    to_response(reply)
}

async fn method_not_allowed(service: web::Data<TokenService>) -> HttpResponse {
    to_response(service.error_reply(ContractError::MethodNotAllowed))
}

async fn not_found(service: web::Data<TokenService>) -> HttpResponse {
    to_response(service.error_reply(ContractError::NotFound))
}

fn to_response(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for header in reply.headers() {
        response.insert_header(header);
    }
    if reply.close_connection {
        // actix-web drops a hand-set `Connection` header; this is its way to send one.
        response.force_close();
    }
    response.body(reply.body)
}
