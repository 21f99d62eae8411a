//! Translation between `http` 1.x types (hyper, axum, warp, poem, salvo) and `token-core`'s,
//! written once for every backend on that crate. Only translation: every decision is
//! `token-core`'s.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use http::header::{CONNECTION, CONTENT_LENGTH};
use http::{
    Extensions, HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, Uri, Version,
};
use token_core::{HttpVersion, Reply, RequestHead};

/// The contract's view of a request head: every header line, the raw path and query.
pub fn request_head<'a>(
    method: &'a Method,
    target: &'a str,
    version: Version,
    headers: &'a HeaderMap,
) -> RequestHead<'a> {
    let version = if version == Version::HTTP_10 {
        HttpVersion::Http10
    } else {
        HttpVersion::Http11
    };
    RequestHead::new(
        method.as_str(),
        target,
        version,
        headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
    )
}

/// The remote address of the connection a request came on, which [`crate::serve`] puts in
/// every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// The peer's IP address from a request's extensions, if [`crate::serve`] put it there.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<Peer>().map(|Peer(address)| address.ip())
}

/// The request target's path and query as sent (origin form, also for an absolute-form
/// request), or `*`.
pub fn target(uri: &Uri) -> &str {
    uri.path_and_query()
        .map_or(uri.path(), |target| target.as_str())
}

/// The reply to `head` as a response, every header as `token-core` set it.
pub fn response<B: From<String>>(reply: Reply, head: &RequestHead<'_>) -> Response<B> {
    // Written here, not left to hyper: in answers to `HEAD`, hyper writes the length of an
    // empty body only for some frameworks' body types (axum's, not warp's), actix-http always.
    let length = HeaderValue::from(reply.body.len());
    let mut response = Response::new(B::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        let value = match value {
            Cow::Borrowed(value) => HeaderValue::from_static(value),
            Cow::Owned(value) => match HeaderValue::try_from(value) {
                Ok(value) => value,
                // token-core only echoes header names, which are valid values.
                Err(_) => continue,
            },
        };
        headers.insert(HeaderName::from_static(name), value);
    }
    headers.insert(CONTENT_LENGTH, length);
    // hyper closes the connection after a response carrying `Connection: close`. Where
    // closing is the default (HTTP/1.0 without `keep-alive`), it closes anyway and, as
    // actix-http, writes no `Connection` header.
    if reply.close_connection && !head.closes_by_default() {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
