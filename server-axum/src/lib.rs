//! The token server on axum: routes, CORS and request logs mapped onto `token-core`.
//!
//! [`app`] builds the router (tests call it directly); [`serve`] runs it on a listener until
//! the shutdown future resolves, then lets in-flight requests finish.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::CONNECTION;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use token_core::contract::RequestTimer;
use token_core::{ContractError, Endpoint, Reply, RequestHeaders, TokenService, cors};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use tower_layer::Layer;
use tower_service::Service;

/// The whole application: every endpoint, 404/405 replies, CORS, one log line per request.
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
        let route = on(method, move |State(service), request| {
            handle(endpoint, service, request)
        })
        .fallback(move |State(service): State<TokenService>| async move {
            to_response(service.method_not_allowed(endpoint))
        });
        router = router.route(endpoint.path(), route);
    }
    router
        .fallback(|State(service): State<TokenService>| async move {
            to_response(service.error_reply(ContractError::NotFound))
        })
        .layer(cors)
        .layer(RequestLogLayer)
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
    hyper_serve::serve(listener, app(service), shutdown).await
}

/// One log line per request through `token-core`. A plain layer rather than
/// `middleware::from_fn`, which clones and boxes the whole route on every request: measured
/// with callgrind, that was a tenth of axum's instructions per token request.
#[derive(Debug, Clone, Copy)]
struct RequestLogLayer;

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestLog { inner }
    }
}

#[derive(Debug, Clone)]
struct RequestLog<S> {
    inner: S,
}

impl<S> Service<Request> for RequestLog<S>
where
    S: Service<Request, Response = Response>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let timer = RequestTimer::start(request.method().as_str(), request.uri().path());
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            timer.finish(response.status().as_u16());
            Ok(response)
        })
    }
}

async fn handle(endpoint: Endpoint, service: TokenService, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers =
        RequestHeaders::from_lookup(|name| parts.headers.get(name).map(HeaderValue::as_bytes));
    to_response(
        service
            .handle(endpoint, headers, body.into_data_stream())
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
