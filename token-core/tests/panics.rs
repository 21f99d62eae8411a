//! A panic inside a request's handling becomes a 500 with the usual error body and CORS
//! headers, and the service keeps serving: proven with a key source that panics, a test-only
//! implementation of the core's `KeySource`, so no product code exists for it.

use std::sync::Arc;

use futures_util::stream;
use token_core::livekit::keys::Credentials;
use token_core::production::caller_auth::CallerPolicy;
use token_core::production::caller_keys::{Fetched, KeySource};
use token_core::production::policy::TokenPolicy;
use token_core::production::{AllowedOrigins, Production};
use token_core::service::config::Mode;
use token_core::{HttpVersion, Reply, RequestHead, ServiceConfig, TokenService};

const ORIGIN: &str = "https://app.example";

/// A key source whose every fetch panics.
#[derive(Debug)]
struct Panicking;

impl KeySource for Panicking {
    fn fetch(&self) -> Fetched<'_> {
        Box::pin(async { panic!("a key source panics") })
    }
}

impl std::fmt::Display for Panicking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("panicking")
    }
}

fn service() -> TokenService {
    let rules = TokenPolicy::from_toml("[[rule]]\nrooms = [\"*\"]\n").expect("a policy");
    let origins = AllowedOrigins::parse(&[ORIGIN.to_owned()]).expect("an origin");
    let policy = CallerPolicy::new("https://id.example", "token-server");
    let production = Production::new(Arc::new(Panicking), policy, origins, rules);
    TokenService::new(&ServiceConfig::new(
        Credentials::development(),
        Mode::Production(Box::new(production)),
    ))
}

async fn request(service: &TokenService, method: &str, path: &str, body: &'static str) -> Reply {
    let head = RequestHead::new(
        method,
        path,
        HttpVersion::Http11,
        [
            ("host", &b"x"[..]),
            ("origin", ORIGIN.as_bytes()),
            ("content-type", b"application/json"),
            ("authorization", b"Bearer a.b.c"),
        ],
    );
    service
        .respond(&head, stream::iter([Ok::<_, ()>(body.as_bytes())]))
        .await
}

#[tokio::test]
async fn a_panic_becomes_a_500_and_the_next_request_is_served() {
    let service = service();
    let body = r#"{"roomName":"room1","participantName":"alice"}"#;
    let reply = request(&service, "POST", "/token", body).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, "internal server error");
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(
        !reply.close_connection,
        "the body was read: the connection carries on"
    );
    let health = request(&service, "GET", "/healthz", "").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    // The same request again is answered, not hung on a lock the panic left behind.
    let again = request(&service, "POST", "/token", body).await;
    assert!(matches!(again.status, 500 | 503), "{}", again.status);
}
