//! One server for every official one: routing as the quirks say, then the token or webhook
//! handler, CORS and the connection header around them. Written on axum's fallback alone so
//! that nothing of axum's own routing shows through.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;

use super::cors;
use super::pages::{Asked, error_reply, framework_error, respond};
use super::quirks::{Quirks, TrailingSlash, UnknownPath, WrongMethod};
use super::{token_request, webhook};

/// A server's quirks and the credentials it really signs and verifies with.
#[derive(Debug)]
pub(super) struct Official {
    pub quirks: Quirks,
    pub key: String,
    pub secret: String,
}

/// The app: every request goes to [`handle`].
pub(super) fn app(quirks: Quirks, api_key: &str, api_secret: &str) -> Router {
    let official = Official {
        quirks,
        key: quirks.credentials.key.unwrap_or(api_key).to_owned(),
        secret: quirks.credentials.secret.unwrap_or(api_secret).to_owned(),
    };
    Router::new()
        .fallback(handle)
        .with_state(Arc::new(official))
}

/// What a path is to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Resolved {
    Token,
    Webhook,
    RedirectTo(String),
    Unknown,
}

impl Resolved {
    pub(super) fn is_route(&self) -> bool {
        matches!(self, Self::Token | Self::Webhook)
    }
}

async fn handle(State(official): State<Arc<Official>>, request: Request) -> Response {
    let quirks = &official.quirks;
    let (parts, body) = request.into_parts();
    let resolved = resolve(quirks, parts.uri.path());
    let asked = Asked {
        method: parts.method.as_str(),
        path: parts.uri.path(),
    };
    let mut response = if let Some(answer) = cors::preflight(&quirks.cors, &parts, &resolved) {
        answer
    } else {
        let routed = resolved.is_route()
            && (parts.method == Method::POST
                || parts.method == Method::OPTIONS && quirks.routing.options_allow.is_some());
        let mut response = match (&resolved, &parts.method, quirks.routing.options_allow) {
            (Resolved::Token, &Method::POST, _) => {
                token_request::answer(&official, &parts, body, asked).await
            }
            (Resolved::Webhook, &Method::POST, _) => match &quirks.webhook {
                Some(hook) => webhook::receive(&official, hook, &parts, body, asked).await,
                None => unknown_path(quirks, asked),
            },
            (Resolved::RedirectTo(to), _, _) => redirect(to),
            (Resolved::Unknown, _, _) => unknown_path(quirks, asked),
            (_, &Method::OPTIONS, Some(allow)) => {
                with_allow(respond(200, None, String::new()), allow)
            }
            _ => wrong_method(quirks, asked),
        };
        cors::decorate(&quirks.cors, &parts, &mut response, !routed);
        response
    };
    if quirks.connection_close {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// What `raw_path` is, decoded and with its trailing slash handled as the quirks say.
fn resolve(quirks: &Quirks, raw_path: &str) -> Resolved {
    let path = if quirks.routing.percent_decoded {
        percent_decoded(raw_path)
    } else {
        Cow::Borrowed(raw_path)
    };
    let exact = |path: &str| match path {
        "/token" => Resolved::Token,
        "/livekit/webhook" if quirks.webhook.is_some() => Resolved::Webhook,
        _ => Resolved::Unknown,
    };
    match (exact(&path), path.strip_suffix('/')) {
        (Resolved::Unknown, Some(trimmed)) if exact(trimmed).is_route() => {
            match quirks.routing.trailing_slash {
                TrailingSlash::Unknown => Resolved::Unknown,
                TrailingSlash::Matches => exact(trimmed),
                TrailingSlash::Redirect307 => Resolved::RedirectTo(trimmed.to_owned()),
            }
        }
        (resolved, _) => resolved,
    }
}

/// `path` with every `%XX` decoded.
fn percent_decoded(path: &str) -> Cow<'_, str> {
    if !path.contains('%') {
        return Cow::Borrowed(path);
    }
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| path.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                at += 3;
            }
            None => {
                decoded.push(bytes[at]);
                at += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&decoded).into_owned())
}

fn unknown_path(quirks: &Quirks, asked: Asked<'_>) -> Response {
    match quirks.routing.unknown_path {
        UnknownPath::NotFound => framework_error(quirks.framework, 404, asked, "not found"),
        UnknownPath::Unsupported => {
            error_reply(&quirks.reply, 200, "Unsupported endpoint or method")
        }
    }
}

fn wrong_method(quirks: &Quirks, asked: Asked<'_>) -> Response {
    match quirks.routing.wrong_method {
        WrongMethod::NotAllowed { allow } => {
            let response = framework_error(quirks.framework, 405, asked, "method not allowed");
            match allow {
                Some(allow) => with_allow(response, allow),
                None => response,
            }
        }
        WrongMethod::AsUnknownPath => unknown_path(quirks, asked),
    }
}

fn redirect(to: &str) -> Response {
    let mut response = respond(307, None, String::new());
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

pub(super) fn with_allow(mut response: Response, allow: &'static str) -> Response {
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// The media type of a request, lowercased, without parameters.
pub(super) fn essence(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}
