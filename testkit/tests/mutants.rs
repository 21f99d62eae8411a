//! The suite is proven to catch bugs: each mutant is our axum backend with one deliberate
//! defect (the ones official tutorial servers actually have, and more). The control, the same
//! wrapper with no defect, must pass every case without a WARN; every mutant must miss a
//! contract check (a case without an answer does not count) at the level the harm model gives
//! its defect: a FAIL for the serious, a WARN and no FAIL for the cosmetic
//! ([`CAUGHT_AT_SHOULD`]); and every case must miss against at least one mutant.
//! Run: `cargo test -p testkit --test mutants`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use conformance::cases::{CASES, SOURCE_PATH};
use conformance::harm::Defect as Harm;
use conformance::harm::Level;
use conformance::judge::decode_segment;
use conformance::{Report, Selection, ServerUnderTest, Verdict, run};
use serde_json::Value;
use testkit::in_process::{API_KEY, API_SECRET, settings};
use testkit::official::NOT_SHOWN_BY_OFFICIAL_SERVERS;
use token_core::config::{Mode, Tutorial};
use token_core::keys::ApiSecret;
use token_core::keys::Credentials;
use token_core::token_source::ClientField;
use tokio::sync::Mutex;

/// Declares `Defect` and `DEFECTS`, the list of every variant, from one list.
macro_rules! defects {
    ($($variant:ident,)*) => {
        /// One defect each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Defect {
            $($variant,)*
        }

        const DEFECTS: &[Defect] = &[$(Defect::$variant,)*];
    };
}

defects! {
    // The control: the wrapper itself, with no defect.
    Control,
    // Tokens.
    WrongTtl,
    WrongIssuer,
    WrongSecret,
    AdminGrant,
    RequotedIdentity,
    TrimmedNames,
    LossyUnicodeNames,
    NonAsciiNamesRefused,
    TokenAsJsonContentType,
    QuotedTokenBody,
    // Validation.
    EmptyNamesAccepted,
    NonStringNamesCoerced,
    ArrayBodyAccepted,
    UnknownFieldsRejected,
    WrongFixedMessage,
    ServerErrorOnUnparsableBody,
    ServerErrorOnNonObjectBody,
    // Content type and size.
    NoUnsupportedMediaType,
    OnlyExactApplicationJson,
    NoBodyLimit,
    LimitOffByOne,
    ChunkedBodiesRefused,
    // Errors and routing.
    HtmlErrorPages,
    MultiLineErrors,
    WrongMethodIs404,
    NoAllowHeader,
    PrefixRouting,
    PercentDecodedPaths,
    NoHead,
    OptionsIsAlways405,
    OptionsAnswersEverywhere,
    // Connections.
    NoKeepAlive,
    StopsServingAfterOversizedBody,
    SilentCloseAfter413,
    OneRequestBodyAtATime,
    // CORS.
    NoCorsOnErrors,
    EchoedOriginWithoutVary,
    NoPreflight,
    PreflightOnlyForPost,
    CorsOnlyWithOrigin,
    PreflightAllowsOnlyContentType,
    NoMaxAge,
    // The standard endpoint.
    CamelCaseCredentials,
    OkInsteadOfCreated,
    NoServerUrl,
    AttributesDropped,
    NameDropped,
    ServerUrlOfAnotherServer,
    RoomConfigPolicyIgnored,
    RoomConfigAlwaysAccepted,
    AgentsDropped,
    IdentityNotGenerated,
    // Webhooks and formats.
    AcceptsEveryWebhook,
    IgnoresWebhookBodyHash,
    TextWhereJsonIsExpected,
}

/// The mutants whose defect does no harm to an official client, LiveKit or security: the
/// harm model's SHOULDs. Each must be caught by a WARN and by no FAIL (so the judge is
/// neither too lenient nor too strict); every other mutant must be caught by a FAIL.
const CAUGHT_AT_SHOULD: &[Defect] = &[
    // LiveKit accepts the token; only the configured lifetime is not honoured.
    Defect::WrongTtl,
    // Clients read the text whatever its type.
    Defect::TokenAsJsonContentType,
    Defect::WrongFixedMessage,
    // Another 4xx of the class, or a request served that is as valid as a real one.
    Defect::NoUnsupportedMediaType,
    Defect::LimitOffByOne,
    Defect::WrongMethodIs404,
    // No official client sends a chunked body (browsers' fetch sends a length).
    Defect::ChunkedBodiesRefused,
    // HTTP niceties.
    Defect::NoAllowHeader,
    Defect::NoHead,
    Defect::OptionsIsAlways405,
    Defect::NoKeepAlive,
    Defect::NoMaxAge,
    Defect::OkInsteadOfCreated,
    // Routing RFC 3986 or a framework's non-strict routing allows.
    Defect::PrefixRouting,
    Defect::PercentDecodedPaths,
    // CORS no official client's page needs: browsers always send Origin; the official
    // clients preflight only POST with Content-Type.
    Defect::PreflightOnlyForPost,
    Defect::CorsOnlyWithOrigin,
    Defect::PreflightAllowsOnlyContentType,
    // The browser reads the echoed origin; only a shared cache could mix origins up.
    Defect::EchoedOriginWithoutVary,
    // One request cannot tell a fixed identity from a generated one of another form.
    Defect::IdentityNotGenerated,
];

const LIMIT: usize = 16 * 1024;

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
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(API_SECRET.as_bytes()),
    )
    .ok()?;
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
                let resigned = jsonwebtoken::encode(
                    &jsonwebtoken::Header::default(),
                    &claims,
                    &jsonwebtoken::EncodingKey::from_secret(API_SECRET.as_bytes()),
                )
                .expect("sign");
                bytes = Bytes::from(resigned);
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
async fn start(defect: Defect) -> ServerUnderTest {
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
        // The policy lets clients dispatch agents while the operator asked for none.
        Defect::AgentsDropped | Defect::RoomConfigPolicyIgnored => {
            settings.mode = Mode::Tutorial(Tutorial {
                allow_room_config: true,
                ..Tutorial::default()
            });
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
    let mut under_test = testkit::in_process::serve_wrapped(app).await;
    under_test.room_config_allowed = settings.field_policy().allows(ClientField::RoomConfig)
        && defect != Defect::RoomConfigPolicyIgnored;
    // The server answers text; every other mutant is judged in the format it speaks.
    if defect == Defect::TextWhereJsonIsExpected {
        under_test.format = conformance::ResponseFormat::Json;
    }
    under_test
}

/// Whether a contract check FAILs under the severity `level_of`; an exchange that got no
/// answer (a mutant that closes mid-upload) proves nothing either way.
fn fails_at(report: &Report, level_of: impl Fn(Harm) -> Level + Copy) -> bool {
    report.outcomes.iter().any(|outcome| {
        !matches!(outcome.verdict, Verdict::NoAnswer(_) | Verdict::Skip(_))
            && matches!(
                Verdict::from_findings_at(&outcome.findings, level_of),
                Verdict::Fail(_)
            )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_mutant_fails_and_every_case_catches_one() {
    let control = run(&start(Defect::Control).await, &Selection::default())
        .await
        .expect("reachable");
    assert_eq!(
        control.contract_missed_ids(),
        Vec::<&str>::new(),
        "the wrapper without a defect must pass, without a WARN:\n{control}"
    );
    assert_eq!(control.failed(), 0, "{control}");
    let mut caught: BTreeSet<&str> = BTreeSet::new();
    let mut survivors = Vec::new();
    let mut wrong_level = Vec::new();
    let mut reports = Vec::new();
    let mutants = &DEFECTS[1..];
    for &defect in mutants {
        let under_test = start(defect).await;
        let report = run(&under_test, &Selection::default())
            .await
            .expect("reachable");
        let failed = report.contract_missed_ids();
        println!("{defect:?}: caught by {failed:?}");
        let should = CAUGHT_AT_SHOULD.contains(&defect);
        let fails = fails_at(&report, Harm::level);
        if failed.is_empty() {
            survivors.push(defect);
        } else if should == fails {
            wrong_level.push(format!(
                "{defect:?} (expected caught at {}): {}",
                if should { "SHOULD" } else { "MUST" },
                report
                    .to_string()
                    .lines()
                    .filter(|l| l.starts_with("FAIL") || l.starts_with("WARN"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        caught.extend(failed);
        reports.push((defect, report));
    }
    // A judge whose severity is mutated is caught: flipping the level of a defect no
    // official server shows (the official servers' test pins the others) puts some mutant
    // at the wrong level.
    let mut undetected = Vec::new();
    for &flipped in NOT_SHOWN_BY_OFFICIAL_SERVERS {
        let level_of = move |harm: Harm| match (harm == flipped, harm.level()) {
            (true, Level::Must) => Level::Should,
            (true, Level::Should) => Level::Must,
            (false, level) => level,
        };
        let still_right = reports.iter().all(|(defect, report)| {
            CAUGHT_AT_SHOULD.contains(defect) != fails_at(report, level_of)
        });
        if still_right {
            undetected.push(flipped);
        }
    }
    let uncaught: Vec<&str> = CASES
        .iter()
        .map(|case| case.id)
        .filter(|id| !caught.contains(id))
        .collect();
    println!(
        "mutation coverage: {} of {} cases fail against at least one of {} mutants ({:.0}%)",
        CASES.len() - uncaught.len(),
        CASES.len(),
        mutants.len(),
        100.0 * (CASES.len() - uncaught.len()) as f64 / CASES.len() as f64
    );
    assert!(
        survivors.is_empty(),
        "mutants the suite does not catch: {survivors:?}"
    );
    assert!(
        wrong_level.is_empty(),
        "mutants caught at the wrong level:\n{}",
        wrong_level.join("\n")
    );
    assert!(
        undetected.is_empty(),
        "levels no mutant's verdict depends on: {undetected:?}"
    );
    assert!(
        uncaught.is_empty(),
        "cases no mutant makes fail: {uncaught:?}"
    );
}
