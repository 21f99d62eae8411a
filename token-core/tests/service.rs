//! `TokenService` as adapters call it, in tutorial mode: every error's shape in both formats,
//! routing by path and method, framing, unwanted bodies, rate limits and trusted proxies,
//! failed authentications and their metrics.

use std::num::NonZeroU32;

use base64::Engine as _;
use futures_util::stream;
use sha2::{Digest, Sha256};
use token_core::http::contract::{APPLICATION_JSON, ContractError, NAMES_REQUIRED, TEXT_PLAIN};
use token_core::http::head::HttpVersion;
use token_core::livekit::keys::{ApiSecret, Credentials, DEV_API_SECRET};
use token_core::operations::limits::{Limit, RateLimited, RateQuota};
use token_core::service::config::{Mode, Tutorial};
use token_core::service::discarding::MAX_DISCARDED_BODY_BYTES;
use token_core::service::reply::ResponseFormat;
use token_core::{Reply, RequestHead, ServiceConfig, TokenService};

fn config() -> ServiceConfig {
    ServiceConfig::new(
        Credentials::development(),
        Mode::Tutorial(Tutorial::default()),
    )
}

fn service(format: &str) -> TokenService {
    let mut config = config();
    config.response_format = match format {
        "json" => ResponseFormat::Json,
        _ => ResponseFormat::Text,
    };
    TokenService::new(&config)
}

const LIMITED: RateLimited = RateLimited {
    limit: Limit::Tokens,
    quota: RateQuota::new(NonZeroU32::MIN, 60),
    retry_after_seconds: 60,
};

const ERRORS: [ContractError; 21] = [
    ContractError::BodyTimeout,
    ContractError::NotFound,
    ContractError::MethodNotAllowed("POST, OPTIONS"),
    ContractError::PayloadTooLarge(16),
    ContractError::UnsupportedMediaType,
    ContractError::BodyUnreadable,
    ContractError::NotUtf8,
    ContractError::EmptyBody,
    ContractError::InvalidJson(String::new()),
    ContractError::NotAnObject,
    ContractError::NamesRequired,
    ContractError::WrongType("roomName", "a string"),
    ContractError::FieldNotAllowed("room_config"),
    ContractError::TooLong("room_name", 256),
    ContractError::MissingAuthorization,
    ContractError::InvalidAuthorization("expired"),
    ContractError::MissingBodyHash,
    ContractError::BodyHashMismatch,
    ContractError::InvalidWebhookEvent,
    ContractError::TooManyRequests(LIMITED),
    ContractError::Internal,
];

fn head<'a>(method: &'a str, path: &'a str, headers: &[(&'a str, &'a str)]) -> RequestHead<'a> {
    RequestHead::new(
        method,
        path,
        HttpVersion::Http11,
        std::iter::once(("host", &b"localhost"[..])).chain(
            headers
                .iter()
                .map(|(name, value)| (*name, value.as_bytes())),
        ),
    )
}

const JSON: (&str, &str) = ("content-type", "application/json");

async fn respond(service: &TokenService, head: &RequestHead<'_>, body: &'static [u8]) -> Reply {
    service
        .respond(head, stream::iter([Ok::<_, ()>(body)]))
        .await
}

#[test]
fn every_error_is_one_line_of_plain_text_with_cors() {
    let service = service("text");
    for err in ERRORS {
        let reply = service.error_reply(err.clone());
        assert_eq!(reply.header("content-type"), Some(TEXT_PLAIN));
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
        assert!(
            !reply.body.is_empty() && !reply.body.contains('\n'),
            "{err:?}"
        );
        assert!((400..600).contains(&reply.status), "{err:?}");
        assert_eq!(
            reply.header("allow").is_some(),
            reply.status == 405,
            "{err:?}"
        );
    }
}

#[test]
fn every_error_is_an_error_message_object_in_json() {
    let service = service("json");
    for err in ERRORS {
        let reply = service.error_reply(err.clone());
        assert_eq!(reply.header("content-type"), Some(APPLICATION_JSON));
        let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
        assert_eq!(body, serde_json::json!({"errorMessage": err.to_string()}));
    }
}

#[test]
fn names_required_is_word_for_word_in_both_formats() {
    let reply = service("text").error_reply(ContractError::NamesRequired);
    assert_eq!((reply.status, reply.body.as_str()), (400, NAMES_REQUIRED));
    let reply = service("json").error_reply(ContractError::NamesRequired);
    assert_eq!(
        reply.body,
        r#"{"errorMessage":"roomName and participantName are required"}"#
    );
}

#[tokio::test]
async fn tokens_in_json_are_a_token_object() {
    let head = head("POST", "/token", &[JSON]);
    let body = br#"{"roomName":"r","participantName":"p"}"#;
    let reply = respond(&service("json"), &head, body).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some(APPLICATION_JSON));
    let value: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    assert_eq!(value.as_object().map(|o| o.len()), Some(1));
    assert_eq!(
        value["token"].as_str().map(|t| t.split('.').count()),
        Some(3)
    );
    let reply = respond(&service("text"), &head, body).await;
    assert_eq!(
        (reply.status, reply.header("content-type")),
        (200, Some(TEXT_PLAIN))
    );
    assert_eq!(reply.body.split('.').count(), 3);
}

#[tokio::test]
async fn health_is_ok_in_every_format_for_get_and_head() {
    for format in ["text", "json"] {
        for method in ["GET", "HEAD"] {
            let reply = respond(&service(format), &head(method, "/healthz", &[]), b"").await;
            assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
            assert!(!reply.close_connection);
        }
    }
}

#[tokio::test]
async fn paths_match_byte_for_byte() {
    let service = service("text");
    let body = br#"{"roomName":"r","participantName":"p"}"#;
    for path in [
        "/token/", "/Token", "/tok%65n", "//token", "/token/x", "*", "",
    ] {
        let reply = respond(&service, &head("POST", path, &[JSON]), body).await;
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    }
    let reply = respond(&service, &head("POST", "/token", &[JSON]), body).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn options_preflights_head_and_other_methods() {
    let service = service("json");
    let preflight = head(
        "OPTIONS",
        "/token",
        &[
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "X-A, content-type"),
        ],
    );
    let reply = respond(&service, &preflight, b"").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "");
    assert_eq!(reply.header("content-type"), None);
    assert_eq!(reply.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("x-a, content-type")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("3600"));
    assert_eq!(reply.header("allow"), None);

    let plain = respond(&service, &head("OPTIONS", "/healthz", &[]), b"").await;
    assert_eq!(
        (plain.status, plain.header("allow")),
        (200, Some("GET, HEAD, OPTIONS"))
    );
    assert_eq!(plain.header("access-control-allow-methods"), None);

    let unknown = respond(
        &service,
        &head(
            "OPTIONS",
            "/nope",
            &[("access-control-request-method", "POST")],
        ),
        b"",
    )
    .await;
    assert_eq!(unknown.status, 404);

    for method in ["GET", "HEAD", "post", "PUT", "BREW"] {
        let reply = respond(&service, &head(method, "/token", &[]), b"").await;
        assert_eq!(
            (reply.status, reply.header("allow")),
            (405, Some("POST, OPTIONS")),
            "{method}"
        );
    }
}

#[tokio::test]
async fn broken_framing_is_400_and_closes_without_reading() {
    let service = service("text");
    let head = RequestHead::new(
        "POST",
        "/token",
        HttpVersion::Http11,
        [("content-type", &b"application/json"[..])],
    );
    let never_read = stream::pending::<Result<&[u8], ()>>();
    let reply = service.respond(&head, never_read).await;
    // The engines' own bare refusal: no CORS header, no body.
    assert_eq!(reply.status, 400);
    assert!(reply.close_connection);
    assert!(reply.headers.is_empty() && reply.body.is_empty());
}

#[tokio::test]
async fn unwanted_bodies_are_read_and_too_long_ones_close() {
    static LONG: [u8; MAX_DISCARDED_BODY_BYTES + 1] = [b'x'; MAX_DISCARDED_BODY_BYTES + 1];
    let service = service("text");
    let short = respond(&service, &head("POST", "/nope", &[]), b"12345").await;
    assert_eq!((short.status, short.close_connection), (404, false));
    let long = respond(&service, &head("POST", "/nope", &[]), &LONG).await;
    assert_eq!((long.status, long.close_connection), (404, true));
    let long = respond(&service, &head("GET", "/healthz", &[]), &LONG).await;
    assert_eq!((long.status, long.close_connection), (200, true));
}

/// A tutorial service signing with `APIlimits`, its configuration changed by `change`.
fn limited_service(change: impl FnOnce(&mut ServiceConfig)) -> TokenService {
    let mut config = config();
    config.credentials = Credentials::single("APIlimits", ApiSecret::new(DEV_API_SECRET));
    change(&mut config);
    TokenService::new(&config)
}

fn quota(text: &str) -> RateQuota {
    text.parse().expect("a quota")
}

fn from<'a>(head: RequestHead<'a>, peer: &str) -> RequestHead<'a> {
    head.from_peer(Some(peer.parse().expect("an address")))
}

fn webhook(authorization: &str) -> RequestHead<'_> {
    from(
        head(
            "POST",
            "/livekit/webhook",
            &[("authorization", authorization)],
        ),
        "203.0.113.9",
    )
}

#[tokio::test]
async fn token_requests_past_the_limit_get_429_with_when_to_retry() {
    let service = limited_service(|config| config.limits.tokens = quota("2/min"));
    let body = br#"{"roomName":"r","participantName":"p"}"#;
    let token = || from(head("POST", "/token", &[JSON]), "203.0.113.9");
    for _ in 0..2 {
        assert_eq!(respond(&service, &token(), body).await.status, 200);
    }
    let refused = respond(&service, &token(), body).await;
    assert_eq!(refused.status, 429);
    assert!(!refused.close_connection, "the body was read");
    assert_eq!(refused.header("access-control-allow-origin"), Some("*"));
    let retry: u64 = refused
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert!((29..=30).contains(&retry), "{retry}");
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some("\"tokens\";q=2;w=60")
    );
    assert_eq!(
        refused.header("ratelimit"),
        Some(format!("\"tokens\";r=0;t={retry}").as_str())
    );
    assert_eq!(
        refused.header("access-control-expose-headers"),
        Some("Retry-After, RateLimit, RateLimit-Policy")
    );
    assert_eq!(
        refused.body,
        format!("too many requests: try again in {retry} s")
    );
    // The standard endpoint shares the quota and answers in JSON.
    let source = from(head("POST", "/livekit/token", &[JSON]), "203.0.113.9");
    let refused = respond(&service, &source, b"{}").await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("content-type"), Some(APPLICATION_JSON));
    // Other clients, other paths and preflights are not counted.
    let other = from(head("POST", "/token", &[JSON]), "203.0.113.10");
    assert_eq!(respond(&service, &other, body).await.status, 200);
    let health = from(head("GET", "/healthz", &[]), "203.0.113.9");
    assert_eq!(respond(&service, &health, b"").await.status, 200);
    let preflight = from(
        head(
            "OPTIONS",
            "/token",
            &[("access-control-request-method", "POST")],
        ),
        "203.0.113.9",
    );
    assert_eq!(respond(&service, &preflight, b"").await.status, 200);
}

#[tokio::test]
async fn limits_follow_trusted_proxies_and_can_be_turned_off() {
    let body = br#"{"roomName":"r","participantName":"p"}"#;
    let behind = |client: &'static str| {
        from(
            head("POST", "/token", &[JSON, ("x-forwarded-for", client)]),
            "10.0.0.2",
        )
    };
    let proxied = limited_service(|config| {
        config.limits.tokens = quota("1/h");
        config.limits.trusted_proxies = "10.0.0.0/8".parse().expect("networks");
    });
    assert_eq!(
        respond(&proxied, &behind("198.51.100.1"), body)
            .await
            .status,
        200
    );
    assert_eq!(
        respond(&proxied, &behind("198.51.100.2"), body)
            .await
            .status,
        200
    );
    assert_eq!(
        respond(&proxied, &behind("198.51.100.1"), body)
            .await
            .status,
        429
    );
    // Untrusted, the proxy is the client: one quota for everyone behind it.
    let direct = limited_service(|config| config.limits.tokens = quota("1/h"));
    assert_eq!(
        respond(&direct, &behind("198.51.100.1"), body).await.status,
        200
    );
    assert_eq!(
        respond(&direct, &behind("198.51.100.2"), body).await.status,
        429
    );
    let off = limited_service(|config| {
        config.limits.tokens = quota("1/h");
        config.limits.on = false;
    });
    for _ in 0..3 {
        assert_eq!(
            respond(&off, &behind("198.51.100.1"), body).await.status,
            200
        );
    }
}

#[tokio::test]
async fn failed_authentications_past_the_limit_get_429_but_valid_ones_pass() {
    let service = limited_service(|config| config.limits.auth_failures = quota("2/h"));
    let statuses = futures_util::future::join_all(
        (0..3).map(|_| async { respond(&service, &webhook("forged"), b"{}").await.status }),
    )
    .await;
    assert_eq!(statuses, [401, 401, 429]);
    // A validly signed event from the same client is still accepted.
    let event = br#"{"event":"room_started"}"#;
    let hash = Sha256::digest(event);
    let signed = livekit_api::access_token::AccessToken::with_api_key("APIlimits", "secret")
        .with_sha256(&base64::engine::general_purpose::STANDARD.encode(hash))
        .to_jwt()
        .expect("sign");
    assert_eq!(
        respond(&service, &webhook(&signed), event).await.status,
        200
    );
    // Counted as answered: the failure past the limit is a rate-limited webhook.
    let counted = limited_service(|config| {
        config.limits.auth_failures = quota("1/h");
        config.metrics = true;
    });
    for expected in [401, 429] {
        let reply = respond(&counted, &webhook("forged"), b"{}").await;
        assert_eq!(reply.status, expected);
        assert!(
            reply.close_connection,
            "a forged webhook's body is never read"
        );
    }
    let metrics = counted.metrics_port().expect("metrics on");
    let scrape = metrics
        .respond(
            &head("GET", "/metrics", &[]),
            stream::iter([Ok::<_, ()>(&b""[..])]),
        )
        .await
        .body;
    for line in [
        "token_server_webhooks_total{result=\"unauthorized\"} 1",
        "token_server_webhooks_total{result=\"rate_limited\"} 1",
    ] {
        assert!(scrape.contains(line), "{line} not in\n{scrape}");
    }
    // Failures are not token requests.
    let token = from(head("POST", "/token", &[JSON]), "203.0.113.9");
    let body = br#"{"roomName":"r","participantName":"p"}"#;
    assert_eq!(respond(&service, &token, body).await.status, 200);
}
