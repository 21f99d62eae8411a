//! The answers themselves: each framework's own error pages, the app's replies in the
//! server's shape, and fixed answers.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::quirks::{Canned, Framework, Reply, Shape};

/// A response with this status, content type and body.
pub(super) fn respond(status: u16, content_type: Option<&'static str>, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// What the request was, for pages that name it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Asked<'a> {
    pub method: &'a str,
    pub path: &'a str,
}

/// The framework's own answer with `status`; `detail` says what went wrong where the
/// framework would.
pub(super) fn framework_error(
    framework: Framework,
    status: u16,
    asked: Asked<'_>,
    detail: &str,
) -> Response {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .unwrap_or("Error");
    match framework {
        Framework::Flask { debug } => werkzeug(status, reason, debug, detail),
        Framework::Express => express(status, asked, detail),
        Framework::Axum => match status {
            413 => respond(
                413,
                Some("text/plain; charset=utf-8"),
                "Failed to buffer the request body: length limit exceeded".into(),
            ),
            _ => respond(status, None, String::new()),
        },
        Framework::Gin => match status {
            404 => respond(404, Some("text/plain"), "404 page not found".into()),
            // The tutorial's `context.JSON(400, err.Error())`: the Go error as a JSON string.
            _ => respond(
                status,
                Some("application/json; charset=utf-8"),
                json!(detail).to_string(),
            ),
        },
        Framework::Spring => respond(
            status,
            Some("application/json"),
            json!({
                "timestamp": "2026-01-01T00:00:00.000+00:00",
                "status": status,
                "error": reason,
                "path": asked.path,
            })
            .to_string(),
        ),
        Framework::AspNet => match status {
            // The developer exception page, as `dotnet run` (Development) shows it to a
            // client that does not ask for HTML.
            500 => respond(
                500,
                Some("text/plain; charset=utf-8"),
                format!("System.Text.Json.JsonException: {detail}\n   at Program.<Main>$\n"),
            ),
            _ => respond(status, None, String::new()),
        },
        Framework::Php => respond(
            status,
            Some("application/json"),
            format!(
                "<br />\n<b>Fatal error</b>:  Uncaught TypeError: {detail} in \
                 /app/index.php:30\n"
            ),
        ),
        Framework::Sinatra => sinatra(status, asked, detail),
    }
}

fn werkzeug(status: u16, reason: &str, debug: bool, detail: &str) -> Response {
    if debug && status == 500 {
        return respond(
            500,
            Some("text/html; charset=utf-8"),
            format!(
                "<!doctype html>\n<html lang=en>\n  <head>\n    <title>{detail}\n // Werkzeug \
                 Debugger</title>\n  </head>\n  <body>\n    <h1>{detail}</h1>\n  </body>\n</html>\n"
            ),
        );
    }
    let description = match status {
        400 if debug => format!("Failed to decode JSON object: {detail}"),
        400 => "The browser (or proxy) sent a request that this server could not understand."
            .to_owned(),
        404 => "The requested URL was not found on the server. If you entered the URL manually \
                please check your spelling and try again."
            .to_owned(),
        405 => "The method is not allowed for the requested URL.".to_owned(),
        415 => "Did not attempt to load JSON data because the request Content-Type was not \
                &#39;application/json&#39;."
            .to_owned(),
        _ => "The server encountered an internal error and was unable to complete your request. \
              Either the server is overloaded or there is an error in the application."
            .to_owned(),
    };
    respond(
        status,
        Some("text/html; charset=utf-8"),
        format!(
            "<!doctype html>\n<html lang=en>\n<title>{status} {reason}</title>\n<h1>{reason}</h1>\n\
             <p>{description}</p>\n"
        ),
    )
}

fn express(status: u16, asked: Asked<'_>, detail: &str) -> Response {
    let message = match status {
        404 => format!("Cannot {} {}", asked.method, asked.path),
        // Outside production Express shows the error's stack.
        _ => format!("{detail}<br> &nbsp; &nbsp;at file:///app/index.js:25:30"),
    };
    let mut response = respond(
        status,
        Some("text/html; charset=utf-8"),
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>Error</title>\n</head>\n<body>\n<pre>{message}</pre>\n</body>\n</html>\n"
        ),
    );
    let headers = response.headers_mut();
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn sinatra(status: u16, asked: Asked<'_>, detail: &str) -> Response {
    let body = match status {
        404 => "<!DOCTYPE html>\n<html>\n<head>\n</head>\n<body>\n  <h2>Sinatra doesn’t know this \
                ditty.</h2>\n</body>\n</html>\n"
            .to_owned(),
        _ => format!(
            "<!DOCTYPE html>\n<html>\n<head>\n  <title>{detail} at {}</title>\n</head>\n<body>\n  \
             <h1>{detail}</h1>\n</body>\n</html>\n",
            asked.path
        ),
    };
    respond(status, Some("text/html;charset=utf-8"), body)
}

/// The app's token answer.
pub(super) fn token_reply(reply: &Reply, jwt: &str) -> Response {
    app_reply(reply, 200, "token", jwt)
}

/// The app's error answer.
pub(super) fn error_reply(reply: &Reply, status: u16, message: &str) -> Response {
    app_reply(reply, status, "errorMessage", message)
}

fn app_reply(reply: &Reply, status: u16, key: &str, value: &str) -> Response {
    let body = match reply.shape {
        Shape::Text => value.to_owned(),
        Shape::Json => json!({ key: value }).to_string(),
        // Flask's debug-mode JSON: indented, and a newline after it.
        Shape::JsonPretty => format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({ key: value })).unwrap_or_default()
        ),
    };
    respond(status, Some(reply.content_type), body)
}

/// A fixed answer.
pub(super) fn canned(canned: Canned, framework: Framework, asked: Asked<'_>) -> Response {
    match canned {
        Canned::Text {
            status,
            content_type,
            body,
        } => respond(status, content_type, body.to_owned()),
        Canned::Framework(status) => framework_error(framework, status, asked, "refused"),
    }
}
