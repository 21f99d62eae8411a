//! The token server on axum: routes, CORS and panics mapped onto `token-core`.
//!
//! [`app`] builds the router (tests call it directly); [`serve`] runs it on a listener until
//! the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONNECTION;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use token_core::{ContractError, Endpoint, Reply, RequestHeaders, TokenService, cors};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};

/// The whole application: every endpoint, 404/405 replies, panics caught, CORS.
pub fn app(service: TokenService) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::exact(HeaderValue::from_static(
            cors::ALLOW_ORIGIN,
        )))
        .allow_methods(AllowMethods::list(cors::ALLOW_METHODS.map(parse_method)))
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(Duration::from_secs(cors::MAX_AGE_SECONDS));
    let mut router = Router::new();
    for endpoint in Endpoint::ALL {
        let method = MethodFilter::try_from(parse_method(endpoint.method()))
            .expect("token-core's endpoint methods are standard");
        let route = on(method, move |State(service), headers, body| {
            handle(endpoint, service, headers, body)
        })
        .fallback(move |State(service): State<TokenService>| async move {
            to_response(service.method_not_allowed(endpoint))
        });
        router = router.route(endpoint.path(), route);
    }
    let panic_service = service.clone();
    router
        .fallback(|State(service): State<TokenService>| async move {
            to_response(service.error_reply(ContractError::NotFound))
        })
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

async fn handle(
    endpoint: Endpoint,
    service: TokenService,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request = RequestHeaders::from_lookup(|name| headers.get(name).map(HeaderValue::as_bytes));
    to_response(
        service
            .handle(endpoint, request, body.into_data_stream())
            .await,
    )
}

fn parse_method(method: &str) -> Method {
    Method::from_bytes(method.as_bytes()).expect("token-core's methods are valid")
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
