//! CORS as each official server's CORS layer does it: the preflights it answers itself, and
//! the headers it adds to every other answer.

use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ALLOW,
    ORIGIN, VARY,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::Response;

use super::pages::respond;
use super::quirks::{AllowHeaders, AllowMethods, AllowOrigin, Cors, Preflight, PreflightScope};
use super::server::Resolved;

/// The CORS layer's own answer to `parts`, when it answers it instead of the app.
pub(super) fn preflight(cors: &Cors, parts: &Parts, resolved: &Resolved) -> Option<Response> {
    let preflight = cors.preflight?;
    if parts.method != Method::OPTIONS {
        return None;
    }
    let origin = parts.headers.contains_key(ORIGIN);
    let method = parts.headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    let route = resolved.is_route();
    let answers = match preflight.scope {
        PreflightScope::DecoratesOnly => false,
        PreflightScope::EveryOptions => true,
        PreflightScope::OptionsWithOrigin => origin,
        PreflightScope::OptionsWithOriginAndMethod => origin && method,
        PreflightScope::RoutesWithOrigin => origin && route,
        PreflightScope::RoutesWithOriginAndMethod => origin && method && route,
    };
    if !answers {
        return None;
    }
    let mut response = respond(preflight.status, None, String::new());
    if route && let Some(allow) = preflight.allow {
        insert(response.headers_mut(), ALLOW, allow);
    }
    if granted(&preflight, &parts.headers) {
        allow_origin(cors, &parts.headers, response.headers_mut());
        preflight_headers(&preflight, &parts.headers, response.headers_mut());
    }
    Some(response)
}

/// Adds the CORS headers an answer the app or the framework made gets; `routing_error`:
/// it is the framework's 404 or 405.
pub(super) fn decorate(cors: &Cors, parts: &Parts, response: &mut Response, routing_error: bool) {
    let headers = response.headers_mut();
    if let Some(allowed) = cors.allow_headers_everywhere {
        insert(headers, ACCESS_CONTROL_ALLOW_HEADERS, allowed);
    }
    if routing_error && !cors.on_routing_errors {
        return;
    }
    allow_origin(cors, &parts.headers, headers);
    // flask-cors: an OPTIONS answer to a preflight gets the policy, whatever its status.
    if let Some(preflight) = cors.preflight
        && preflight.scope == PreflightScope::DecoratesOnly
        && parts.method == Method::OPTIONS
        && parts.headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
    {
        preflight_headers(&preflight, &parts.headers, headers);
    }
}

/// Whether the layer grants the requested method and headers; if not, it answers without
/// any CORS header and the browser refuses.
fn granted(preflight: &Preflight, request: &HeaderMap) -> bool {
    let requested = |name| {
        request
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let listed = |list: &str, item: &str| {
        list.split(',')
            .any(|entry| entry.trim().eq_ignore_ascii_case(item.trim()))
    };
    let method_granted = preflight
        .grants_only
        .is_none_or(|methods| listed(methods, &requested(ACCESS_CONTROL_REQUEST_METHOD)));
    let headers_granted = match preflight.headers {
        AllowHeaders::MirrorWithin(allowed) => requested(ACCESS_CONTROL_REQUEST_HEADERS)
            .split(',')
            .filter(|header| !header.trim().is_empty())
            .all(|header| listed(allowed, header)),
        AllowHeaders::Mirror | AllowHeaders::List(_) => true,
    };
    method_granted && headers_granted
}

fn preflight_headers(preflight: &Preflight, request: &HeaderMap, headers: &mut HeaderMap) {
    match preflight.methods {
        AllowMethods::List(methods) => insert(headers, ACCESS_CONTROL_ALLOW_METHODS, methods),
        AllowMethods::Requested => mirror(
            request,
            ACCESS_CONTROL_REQUEST_METHOD,
            ACCESS_CONTROL_ALLOW_METHODS,
            headers,
        ),
        AllowMethods::Omitted => {}
    }
    match preflight.headers {
        AllowHeaders::List(allowed) => insert(headers, ACCESS_CONTROL_ALLOW_HEADERS, allowed),
        AllowHeaders::Mirror | AllowHeaders::MirrorWithin(_) => {
            mirror(
                request,
                ACCESS_CONTROL_REQUEST_HEADERS,
                ACCESS_CONTROL_ALLOW_HEADERS,
                headers,
            );
        }
    }
    if let Some(seconds) = preflight.max_age {
        headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(seconds));
    }
}

/// `Access-Control-Allow-Origin` (and `Vary`) as `cors.origin` says.
fn allow_origin(cors: &Cors, request: &HeaderMap, headers: &mut HeaderMap) {
    let origin = request.get(ORIGIN);
    let (value, vary) = match (cors.origin, origin) {
        (AllowOrigin::Star, _) | (AllowOrigin::EchoOrStar, None) => {
            (HeaderValue::from_static("*"), false)
        }
        (AllowOrigin::StarIfOrigin, Some(_)) => (HeaderValue::from_static("*"), false),
        (AllowOrigin::EchoOrStar, Some(origin)) => (origin.clone(), true),
        (AllowOrigin::EchoIfOrigin, Some(origin)) => (origin.clone(), false),
        (AllowOrigin::StarIfOrigin | AllowOrigin::EchoIfOrigin, None) => return,
    };
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
    if vary {
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
}

/// The request's `requested` header, if any, as the answer's `allowed`.
fn mirror(
    request: &HeaderMap,
    requested: HeaderName,
    allowed: HeaderName,
    headers: &mut HeaderMap,
) {
    if let Some(value) = request.get(requested) {
        headers.insert(allowed, value.clone());
    }
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}
