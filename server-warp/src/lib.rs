//! The token server on warp: routes and CORS mapped onto `token-core`.
//!
//! [`app`] builds the filter (tests can call it directly); [`serve`] runs it on a listener
//! until the shutdown future resolves, then lets in-flight requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::io;

use token_core::contract::log_request;
use token_core::{ContractError, Endpoint, Reply, RequestHeaders, TokenService, cors};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::{CONNECTION, HeaderMap, HeaderName, HeaderValue};
use warp::http::{Method, StatusCode};
use warp::reply::Response;

/// The whole application: CORS preflights, every endpoint, 404/405 replies, one log line per
/// request.
///
/// CORS is written out here with `token-core`'s values because `warp::cors` cannot meet the
/// contract: it never sends `*` (it echoes the origin without `Vary: Origin`), answers 403
/// to any request header it was not told about, and skips rejections.
pub fn app(
    service: TokenService,
) -> impl Filter<Extract = (impl warp::Reply,), Error = Infallible> + Clone + Send + Sync + 'static
{
    let preflight = warp::options()
        .and(warp::header::value("access-control-request-method"))
        .and(warp::header::headers_cloned())
        .map(|_, headers: HeaderMap| {
            let requested = headers
                .get("access-control-request-headers")
                .and_then(|value| value.to_str().ok());
            let mut response = Response::new(warp::hyper::body::Bytes::new().into());
            for (name, value) in cors::preflight_headers(requested) {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response
                        .headers_mut()
                        .insert(HeaderName::from_static(name), value);
                }
            }
            response
        });
    let not_found = service.clone();
    let routes = Endpoint::ALL
        .map(|endpoint| route(endpoint, service.clone()))
        .into_iter()
        .reduce(|routes, route| routes.or(route).unify().boxed())
        .expect("there are endpoints")
        // Every route answers its own errors, so the one rejection left is "no such path".
        .recover(move |_| {
            let reply = not_found.error_reply(ContractError::NotFound);
            async move { Ok::<_, Infallible>(to_response(reply)) }
        })
        .unify()
        .map(|mut response: Response| {
            response.headers_mut().insert(
                "access-control-allow-origin",
                HeaderValue::from_static(cors::ALLOW_ORIGIN),
            );
            response
        });
    preflight.or(routes).unify().with(warp::log::custom(|info| {
        log_request(
            info.method().as_str(),
            info.path(),
            info.status().as_u16(),
            info.elapsed(),
        );
    }))
}

/// `endpoint`'s path: its own method goes to `token-core`, any other gets the 405.
fn route(endpoint: Endpoint, service: TokenService) -> BoxedFilter<(Response,)> {
    let path = endpoint
        .path()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .fold(warp::any().boxed(), |path, segment| {
            path.and(warp::path(segment)).boxed()
        })
        .and(warp::path::end());
    let method = warp::method()
        .and_then(move |method: Method| async move {
            if method.as_str() == endpoint.method() {
                Ok(())
            } else {
                Err(warp::reject())
            }
        })
        .untuple_one();
    let with_service = warp::any().map(move || service.clone());
    let matching = method
        .and(with_service.clone())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .then(
            move |service: TokenService, headers: HeaderMap, body| async move {
                let request = RequestHeaders::from_lookup(|name| {
                    headers.get(name).map(HeaderValue::as_bytes)
                });
                to_response(service.handle(endpoint, request, body).await)
            },
        );
    let other_method = with_service
        .map(move |service: TokenService| to_response(service.method_not_allowed(endpoint)));
    path.and(matching.or(other_method).unify()).boxed()
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
    hyper_serve::serve(listener, warp::service(app(service)), shutdown).await
}

fn to_response(reply: Reply) -> Response {
    let headers = reply.headers();
    let mut response = Response::new(reply.body.into());
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
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
