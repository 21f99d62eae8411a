//! The token server on warp: routes, CORS and body limits mapped onto `token-core`.
//!
//! [`app`] builds the filter (tests can call it directly); [`serve`] runs it on a listener
//! until the shutdown future resolves, then lets in-flight requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::io;

use futures_util::Stream;
use token_core::body::read_body;
use token_core::contract::TOKEN_PATH;
use token_core::{ContractError, Reply, TokenService, cors};
use warp::http::StatusCode;
use warp::http::header::{CONNECTION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use warp::reply::Response;
use warp::{Buf, Filter};

/// The whole application: CORS preflights, `POST /token`, 404/405 replies.
///
/// CORS is written out here with `token-core`'s values because `warp::cors` cannot meet the
/// contract: it never sends `*` (it echoes the origin without `Vary: Origin`), answers 403
/// to any request header it was not told about, and skips rejections.
pub fn app(
    service: TokenService,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
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
    let with_service = warp::any().map(move || service.clone());
    let post_token = warp::post()
        .and(with_service.clone())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .then(token);
    let other_method = with_service.clone().map(|service: TokenService| {
        to_response(service.error_reply(ContractError::MethodNotAllowed))
    });
    let token_path = warp::path(TOKEN_PATH.trim_start_matches('/')).and(warp::path::end());
    let routes = token_path
        .and(post_token.or(other_method).unify())
        // Every route above answers its own errors, so the one rejection left is "no route".
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
    preflight.or(routes).unify()
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
    warp::serve(app(service))
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    Ok(())
}

async fn token(
    service: TokenService,
    headers: HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Send,
) -> Response {
    let reply = match read_body(body).await {
        Ok(body) => {
            service.token_reply(headers.get(CONTENT_TYPE).map(HeaderValue::as_bytes), &body)
        }
        Err(err) => service.error_reply(err),
    };
    to_response(reply)
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
