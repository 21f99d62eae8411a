//! Servers written like the official OpenVidu tutorial servers, for the suite's own tests:
//! our axum backend with the seed's habits layered on top.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use conformance::ServerUnderTest;
use serde_json::Value;

use crate::in_process::{serve_wrapped, settings};

/// How the server resembles the seed's Flask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// Right in everything but one harmless habit: `text/html` on every answer.
    HtmlOnly,
    /// `text/html`, and the seed's real defects: a 500 on a JSON array, `null` or string
    /// body, a token for a numeric room name, and no body limit.
    WithDefects,
}

/// Serves a seed-like server on a free port; it lives as long as the test's runtime.
pub async fn start_seed(seed: Seed) -> ServerUnderTest {
    let service = token_core::TokenService::new(&settings("text").service);
    let app = axum::Router::new()
        .fallback_service(server_axum::app(service))
        .layer(from_fn_with_state(seed, seed_habits));
    serve_wrapped(app).await
}

async fn seed_habits(State(seed): State<Seed>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let request = if seed == Seed::WithDefects && parts.uri.path() == "/token" {
        let Ok(bytes) = to_bytes(body, usize::MAX).await else {
            return StatusCode::BAD_REQUEST.into_response();
        };
        match serde_json::from_slice::<Value>(&bytes) {
            // Flask's request.json[...] on a list, None or str: an uncaught TypeError.
            Ok(Value::Array(_) | Value::Null | Value::String(_)) => {
                return html(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
            Ok(Value::Object(mut fields)) => {
                // A numeric room name becomes a string, as str() would make it.
                if let Some(room) = fields.get_mut("roomName").filter(|r| r.is_number()) {
                    *room = Value::from(room.to_string());
                }
                // No body limit: whatever arrived is accepted, as the valid request it holds.
                if bytes.len() > 16 * 1024 {
                    fields.retain(|name, _| name == "roomName" || name == "participantName");
                }
                let mut parts = parts;
                parts.headers.remove(header::CONTENT_LENGTH);
                parts.headers.remove(header::TRANSFER_ENCODING);
                Request::from_parts(parts, Body::from(Value::Object(fields).to_string()))
            }
            _ => Request::from_parts(parts, Body::from(bytes)),
        }
    } else {
        Request::from_parts(parts, body)
    };
    let mut response = next.run(request).await;
    if response.headers().contains_key(header::CONTENT_TYPE) {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    response
}

fn html(status: StatusCode, text: &'static str) -> Response {
    let mut response = (status, Bytes::from_static(text.as_bytes())).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
