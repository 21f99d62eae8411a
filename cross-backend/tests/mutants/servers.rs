//! The mutant servers: our axum backend wrapped, outside its routing, CORS and `Allow`
//! handling, by a layer that gives it one defect of [`Defect`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use conformance::ServerUnderTest;
use conformance::cases::SOURCE_PATH;
use conformance::judge::decode_segment;
use cross_backend::in_process::{API_KEY, API_SECRET, settings};
use serde_json::Value;
use token_core::livekit::keys::ApiSecret;
use token_core::livekit::keys::Credentials;
use token_core::livekit::token_source::ClientField;
use token_core::service::config::{Mode, Tutorial};
use tokio::sync::Mutex;

use crate::Defect;

const LIMIT: usize = 16 * 1024;
/// A LiveKit URL without a scheme, as an operator might configure it.
const SCHEMELESS_LIVEKIT_URL: &str = "localhost:7880";

#[derive(Clone)]
struct Mutant {
    defect: Defect,
    broken: Arc<AtomicBool>,
    reading: Arc<Mutex<()>>,
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_owned(),
    )
        .into_response()
}

/// Rewrites the names of a JSON request body.
fn rewrite_names(body: &Bytes, rewrite: impl Fn(&mut Value)) -> Bytes {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            rewrite(&mut value);
            Bytes::from(value.to_string())
        }
        Err(_) => body.clone(),
    }
}

/// Rewrites the fields of a JSON object body.
fn rewrite_fields(body: &Bytes, rewrite: impl Fn(&mut serde_json::Map<String, Value>)) -> Bytes {
    rewrite_names(body, |value| {
        if let Value::Object(fields) = value {
            rewrite(fields);
        }
    })
}

fn each_name(value: &mut Value, change: impl Fn(&mut Value)) {
    if let Value::Object(fields) = value {
        for name in ["roomName", "participantName"] {
            change(fields.entry(name).or_insert(Value::Null));
        }
    }
}

async fn inject(State(mutant): State<Mutant>, request: Request, next: Next) -> Response {
    use Defect::*;
    let defect = mutant.defect;
    if defect == StopsServingAfterOversizedBody && mutant.broken.load(Ordering::SeqCst) {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "gave up");
    }
    if defect == NoPreflight && request.method() == Method::OPTIONS {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "no");
    }
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if defect == NoHead && request.method() == Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "no");
    }
    if defect == OptionsIsAlways405 && request.method() == Method::OPTIONS && !preflight {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "no");
    }
    if defect == OptionsAnswersEverywhere && request.method() == Method::OPTIONS {
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header(header::ACCESS_CONTROL_ALLOW_METHODS, "POST")
            .header(header::ACCESS_CONTROL_MAX_AGE, "3600")
            .header(header::ALLOW, "POST, OPTIONS")
            .body(Body::empty())
            .expect("a valid response");
    }
    if defect == PreflightOnlyForPost
        && preflight
        && request.headers()[header::ACCESS_CONTROL_REQUEST_METHOD] != "POST"
    {
        return plain(StatusCode::BAD_REQUEST, "Requested method is not allowed");
    }
    let without_origin = !request.headers().contains_key(header::ORIGIN);
    let source = request.uri().path() == SOURCE_PATH;
    let webhook = request.uri().path() == "/livekit/webhook";
    if defect == AcceptsEveryWebhook && webhook {
        return plain(StatusCode::OK, "ok");
    }
    if defect == AcceptsWebhookWithoutExpiry && webhook && without_expiry(request.headers()) {
        return plain(StatusCode::OK, "ok");
    }
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
    if defect == ChunkedBodiesRefused && chunked {
        return plain(StatusCode::LENGTH_REQUIRED, "length required");
    }
    let (mut parts, body) = request.into_parts();
    if defect == PrefixRouting && parts.uri.path().starts_with("/token") {
        parts.uri = "/token".parse().expect("static URI");
    }
    if defect == PercentDecodedPaths && parts.uri.path().contains('%') {
        let decoded = parts.uri.path().replace("%65", "e").replace("%2f", "/");
        parts.uri = decoded.parse().unwrap_or(parts.uri);
    }
    if defect == NoUnsupportedMediaType {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    if defect == OnlyExactApplicationJson
        && parts.method == Method::POST
        && parts
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v != "application/json")
    {
        return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, "use application/json");
    }
    if defect == SilentCloseAfter413 && chunked {
        // Stop reading at the limit and leave the rest unread, without saying so.
        if to_bytes(body, LIMIT).await.is_err() {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "too large");
        }
        return plain(StatusCode::BAD_REQUEST, "try again");
    }
    let guard = match defect {
        OneRequestBodyAtATime => Some(mutant.reading.lock().await),
        _ => None,
    };
    let Ok(mut bytes) = to_bytes(body, usize::MAX).await else {
        return plain(StatusCode::BAD_REQUEST, "unreadable");
    };
    drop(guard);
    match defect {
        IgnoresWebhookBodyHash if webhook => {
            if let Some(resigned) = resign_for(&parts.headers, &bytes) {
                parts.headers.insert(header::AUTHORIZATION, resigned);
            }
        }
        StopsServingAfterOversizedBody if bytes.len() > LIMIT => {
            mutant.broken.store(true, Ordering::SeqCst);
        }
        NoBodyLimit if bytes.len() > LIMIT => {
            bytes = Bytes::from_static(br#"{"roomName":"room1","participantName":"alice"}"#);
        }
        LimitOffByOne if bytes.len() >= LIMIT => {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "too large");
        }
        ServerErrorOnUnparsableBody if serde_json::from_slice::<Value>(&bytes).is_err() => {
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "TypeError");
        }
        ServerErrorOnNonObjectBody
            if serde_json::from_slice::<Value>(&bytes).is_ok_and(|v| !v.is_object()) =>
        {
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "AttributeError");
        }
        // As an official starter's endpoint did: it read room_config.agents[0].
        ServerErrorOnEmptyRoomConfig
            if serde_json::from_slice::<Value>(&bytes).is_ok_and(|v| {
                v.get("room_config").is_some_and(|config| {
                    config.is_object() && config.pointer("/agents/0").is_none()
                })
            }) =>
        {
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "IndexError");
        }
        UnknownFieldsRejected
            if serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.as_object().map(|o| o.len() > 2))
                .unwrap_or(false) =>
        {
            return plain(StatusCode::BAD_REQUEST, "unknown field");
        }
        RequotedIdentity => {
            bytes = rewrite_names(&bytes, |v| {
                each_name(v, |name| {
                    if let Value::String(text) = name {
                        *text = format!("\"{text}\"");
                    }
                })
            });
        }
        TrimmedNames => {
            bytes = rewrite_names(&bytes, |v| {
                each_name(v, |name| {
                    if let Value::String(text) = name {
                        *text = text.trim().to_owned();
                    }
                })
            });
        }
        LossyUnicodeNames => {
            bytes = rewrite_names(&bytes, |v| {
                each_name(v, |name| {
                    if let Value::String(text) = name {
                        *text = text
                            .chars()
                            .map(|c| if c.is_ascii() { c } else { '?' })
                            .collect();
                    }
                })
            });
        }
        EmptyNamesAccepted => {
            bytes = rewrite_names(&bytes, |v| {
                each_name(v, |name| {
                    if name.is_null() || name.as_str() == Some("") {
                        *name = Value::from("someone");
                    }
                })
            });
        }
        NonStringNamesCoerced => {
            bytes = rewrite_names(&bytes, |v| {
                each_name(v, |name| {
                    if !name.is_null() && !name.is_string() {
                        *name = Value::from(name.to_string());
                    }
                })
            });
        }
        AttributesDropped if source => {
            bytes = rewrite_fields(&bytes, |fields| {
                fields.remove("participant_attributes");
            });
        }
        NameDropped if source => {
            bytes = rewrite_fields(&bytes, |fields| {
                fields.remove("participant_name");
            });
        }
        // As a server that only takes ASCII names would: `\u` escapes pass, UTF-8 does not.
        NonAsciiNamesRefused if !source && !webhook && !bytes.is_ascii() => {
            return plain(StatusCode::BAD_REQUEST, "names must be ASCII");
        }
        RoomConfigAlwaysAccepted | AgentsDropped if source => {
            // The room configuration dropped silently: where the policy refuses it, instead
            // of a 403; where it allows it (AgentsDropped), instead of reaching the token.
            bytes = rewrite_fields(&bytes, |fields| {
                fields.remove("room_config");
            });
        }
        IdentityNotGenerated if source => {
            bytes = rewrite_fields(&bytes, |fields| {
                fields
                    .entry("participant_identity")
                    .or_insert_with(|| Value::from("anonymous"));
            });
        }
        ArrayBodyAccepted => {
            bytes = rewrite_names(&bytes, |v| {
                if let Value::Array(items) = v {
                    *v = serde_json::json!({"roomName": items.first(), "participantName": items.get(1)});
                }
            });
        }
        _ => {}
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::TRANSFER_ENCODING);
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let mut response = alter_response(defect, response).await;
    if defect == CorsOnlyWithOrigin && without_origin {
        response
            .headers_mut()
            .remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
    }
    response
}

/// Whether the webhook token in `headers` carries no `exp` (its signature unchecked): what a
/// receiver that does not require `exp` lets through, as LiveKit's did before August 2026.
fn without_expiry(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|token| decode_segment(token, 1).ok())
        .is_some_and(|claims| claims.get("exp").is_none())
}

/// A valid webhook token re-signed with the hash of `body`: what a receiver that skips the
/// hash check would accept.
fn resign_for(headers: &axum::http::HeaderMap, body: &[u8]) -> Option<HeaderValue> {
    let token = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let key = jsonwebtoken::DecodingKey::from_secret(API_SECRET.as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&[API_KEY]);
    validation.validate_aud = false;
    let mut claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()?
        .claims;
    claims.get("sha256")?;
    claims["sha256"] = Value::from(conformance::signing::body_hash(body));
    let token = test_keys::sign_with_secret(API_SECRET, &claims);
    HeaderValue::from_str(&token).ok()
}

async fn alter_response(defect: Defect, response: Response) -> Response {
    use Defect::*;
    let (mut parts, body) = response.into_parts();
    let mut bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let headers = &mut parts.headers;
    let error = parts.status.is_client_error() || parts.status.is_server_error();
    match defect {
        AdminGrant if parts.status == StatusCode::OK => {
            let jwt = String::from_utf8_lossy(&bytes).into_owned();
            if let Ok(mut claims) = decode_segment(&jwt, 1) {
                claims["video"]["roomAdmin"] = Value::Bool(true);
                bytes = Bytes::from(test_keys::sign_with_secret(API_SECRET, &claims));
            }
        }
        TokenAsJsonContentType if parts.status == StatusCode::OK => {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        QuotedTokenBody if parts.status == StatusCode::OK => {
            bytes = Bytes::from(format!("\"{}\"", String::from_utf8_lossy(&bytes)));
        }
        WrongFixedMessage if bytes == "roomName and participantName are required" => {
            bytes = Bytes::from_static(b"roomName is required");
        }
        HtmlErrorPages if error => {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            bytes = Bytes::from_static(b"<!doctype html><title>Error</title><p>Bad request</p>");
        }
        MultiLineErrors if error => {
            let mut text = bytes.to_vec();
            text.extend_from_slice(b"\n    at handler (server.js:42:7)");
            bytes = Bytes::from(text);
        }
        WrongMethodIs404 if parts.status == StatusCode::METHOD_NOT_ALLOWED => {
            parts.status = StatusCode::NOT_FOUND;
        }
        NoAllowHeader => {
            headers.remove(header::ALLOW);
        }
        NoKeepAlive => {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        NoCorsOnErrors if error => {
            headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        }
        EchoedOriginWithoutVary => {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("http://localhost:5173"),
            );
            headers.remove(header::VARY);
        }
        PreflightAllowsOnlyContentType
            if headers.contains_key(header::ACCESS_CONTROL_ALLOW_HEADERS) =>
        {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            );
        }
        NoMaxAge => {
            headers.remove(header::ACCESS_CONTROL_MAX_AGE);
        }
        CamelCaseCredentials | NoServerUrl if parts.status == StatusCode::CREATED => {
            if let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&bytes) {
                let url = body.remove("server_url");
                if defect == CamelCaseCredentials {
                    let token = body.remove("participant_token");
                    body.insert("serverUrl".to_owned(), url.unwrap_or_default());
                    body.insert("participantToken".to_owned(), token.unwrap_or_default());
                }
                bytes = Bytes::from(Value::Object(body).to_string());
            }
        }
        OkInsteadOfCreated if parts.status == StatusCode::CREATED => {
            parts.status = StatusCode::OK;
        }
        ServerUrlOfAnotherServer if parts.status == StatusCode::CREATED => {
            if let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&bytes) {
                body.insert(
                    "server_url".to_owned(),
                    Value::from("wss://another-livekit.example"),
                );
                bytes = Bytes::from(Value::Object(body).to_string());
            }
        }
        _ => {}
    }
    headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// Serves the mutant on a free port; the server lives as long as the test's runtime.
pub async fn start(defect: Defect) -> ServerUnderTest {
    let mut settings = settings("text").service;
    match defect {
        Defect::WrongTtl => {
            settings.token_ttl *= 2;
        }
        Defect::WrongIssuer => {
            let secret = settings.credentials.signing_secret().clone();
            settings.credentials = Credentials::single("APIsomeoneelse", secret);
        }
        Defect::WrongSecret => {
            let key = settings.credentials.signing_key().to_owned();
            let secret = ApiSecret::new("another-secret-0123456789abcdefghij");
            settings.credentials = Credentials::single(key, secret);
        }
        // The policy lets clients dispatch agents while the operator asked for none; or it
        // lets them, and an empty room_config breaks the server.
        Defect::AgentsDropped
        | Defect::RoomConfigPolicyIgnored
        | Defect::ServerErrorOnEmptyRoomConfig => {
            settings.mode = Mode::Tutorial(Tutorial {
                allow_room_config: true,
                ..Tutorial::default()
            });
        }
        // As a LIVEKIT_URL of `localhost:7880` would, where nothing checks it at start-up.
        Defect::ServerUrlWithoutScheme => {
            settings.livekit_url = SCHEMELESS_LIVEKIT_URL.to_owned();
        }
        _ => {}
    }
    let service = token_core::TokenService::new(&settings);
    let mutant = Mutant {
        defect,
        broken: Arc::default(),
        reading: Arc::default(),
    };
    // The defect wraps the whole backend, outside its routing, CORS and `Allow` handling.
    let app = axum::Router::new()
        .fallback_service(server_axum::app(service))
        .layer(from_fn_with_state(mutant, inject));
    let mut under_test = cross_backend::in_process::serve_wrapped(app).await;
    under_test.room_config_allowed = settings.field_policy().allows(ClientField::RoomConfig)
        && defect != Defect::RoomConfigPolicyIgnored;
    if defect == Defect::ServerUrlWithoutScheme {
        SCHEMELESS_LIVEKIT_URL.clone_into(&mut under_test.livekit_url);
    }
    // The server answers text; every other mutant is judged in the format it speaks.
    if defect == Defect::TextWhereJsonIsExpected {
        under_test.format = conformance::ResponseFormat::Json;
    }
    under_test
}
