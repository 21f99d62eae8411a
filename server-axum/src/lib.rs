//! The token server on axum: routes, CORS and body limits mapped onto `token-core`.
//!
//! [`app`] builds the router (tests call it directly); [`serve`] runs it on a listener until
//! the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONNECTION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use token_core::body::read_body;
use token_core::contract::TOKEN_PATH;
use token_core::{ContractError, Reply, TokenService, cors};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

/// The whole application: `POST /token`, 404/405 replies, panics caught, CORS.
pub fn app(service: TokenService) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::exact(HeaderValue::from_static(
            cors::ALLOW_ORIGIN,
        )))
        .allow_methods(AllowMethods::list(cors::ALLOW_METHODS.map(|method| {
            Method::from_bytes(method.as_bytes()).expect("token-core's methods are valid")
        })))
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(cors::MAX_AGE_SECONDS));
    let panic_service = service.clone();
    Router::new()
        .route(TOKEN_PATH, post(token).fallback(method_not_allowed))
        .fallback(not_found)
        // Inside the CORS layer, so a 500 from a panic still carries the CORS headers.
        .layer(CatchPanicLayer::custom(move |_| {
            to_response(panic_service.error_reply(ContractError::Internal))
        }))
        .layer(cors)
        .with_state(service)
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
    let listener = tokio::net::TcpListener::from_std(listener)?;
    axum::serve(listener, app(service))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn token(State(service): State<TokenService>, headers: HeaderMap, body: Body) -> Response {
    let reply = match read_body(body.into_data_stream()).await {
        Ok(body) => {
            service.token_reply(headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes), &body)
        }
        Err(err) => service.error_reply(err),
    };
    to_response(reply)
}

async fn method_not_allowed(State(service): State<TokenService>) -> Response {
    to_response(service.error_reply(ContractError::MethodNotAllowed))
}

async fn not_found(State(service): State<TokenService>) -> Response {
    to_response(service.error_reply(ContractError::NotFound))
}

fn to_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = reply.headers();
    let mut response = (status, reply.body).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if reply.close_connection {
        // hyper closes the connection after a response carrying `Connection: close`.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
