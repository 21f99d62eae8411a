//! Production mode from the environment, over TCP: the binary trusts the suite's identity
//! provider, serves authenticated callers, refuses the rest, and logs why without the token.

use conformance::identity_provider::{
    CALLER, CallerKey, DEFAULT_AUDIENCE, DEFAULT_ISSUER, Forgery, IdentityProvider,
};
use serde_json::json;

use super::{credentialed, start, temp_dir};

const ORIGIN: &str = "https://app.example";

/// Configured by `TOKEN_SERVER_MODE=production` and the `CALLER_*` variables, the binary
/// mints a token for the caller's identity, refuses a missing or forged token with 401 and
/// a challenge, names only the allowed origin, and logs the mode and each refusal's reason,
/// never the token.
pub async fn admits_only_authenticated_callers(exe: &str) {
    let provider = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .await
        .expect("the identity provider starts");
    let dir = temp_dir();
    let mut command = credentialed(exe, dir.path());
    command
        .env("TOKEN_SERVER_MODE", "production")
        // The suite's JWKS holds this repository's test keys: production refuses them
        // unless it is tried locally.
        .env("TRY_PRODUCTION_LOCALLY", "true")
        .env("CALLER_ISSUER", DEFAULT_ISSUER)
        .env("CALLER_AUDIENCE", DEFAULT_AUDIENCE)
        .env("CALLER_JWKS_URL", provider.jwks_url())
        .env("CORS_ALLOWED_ORIGINS", ORIGIN);
    let mut server = start(command);
    let client = conformance::runner::client().expect("an HTTP client");
    let token_url = format!("{}/token", server.url());
    let body = r#"{"roomName":"room1","participantName":"Alice"}"#;
    let post = |authorization: Option<String>| {
        let mut request = client
            .post(&token_url)
            .header("content-type", "application/json")
            .header("origin", ORIGIN)
            .body(body);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        request.send()
    };

    let caller_token = provider.token(CallerKey::Rsa, CALLER, &json!({}));
    let admitted = post(Some(format!("Bearer {caller_token}")))
        .await
        .expect("a response");
    assert_eq!(admitted.status(), 200);
    assert_eq!(admitted.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(admitted.headers()["vary"], "Origin");
    let jwt = admitted.text().await.expect("a body");
    let claims = conformance::judge::decode_segment(&jwt, 1).expect("a JWT");
    assert_eq!(claims["sub"], CALLER, "the identity is the caller's");
    assert_eq!(
        claims["name"], "Alice",
        "participantName is the display name"
    );
    assert_eq!(
        claims["exp"].as_u64().unwrap_or(0) - claims["nbf"].as_u64().unwrap_or(0),
        600,
        "production tokens live ten minutes by default"
    );

    let missing = post(None).await.expect("a response");
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    // `alg: none` is no algorithm jsonwebtoken knows: the header is malformed.
    let forged_token = provider.forged(Forgery::AlgNone);
    let forged = post(Some(format!("Bearer {forged_token}")))
        .await
        .expect("a response");
    assert_eq!(forged.status(), 401);
    assert_eq!(
        forged.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );

    let preflight = client
        .request(reqwest::Method::OPTIONS, &token_url)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("a response");
    assert_eq!(preflight.status(), 403);
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    server.terminate().expect("SIGTERM");
    server.wait_for_exit(std::time::Duration::from_secs(10));
    let logs = server.output();
    assert!(logs.contains("stopped"), "no complete log: {logs}");
    assert!(
        logs.contains("production mode") && logs.contains(&provider.jwks_url()),
        "the mode and the JWKS are not logged: {logs}"
    );
    assert!(
        logs.contains("caller not authenticated") && logs.contains("malformed"),
        "a refusal's reason is not logged: {logs}"
    );
    for token in [&caller_token, &forged_token] {
        let signature = token.rsplit('.').next().unwrap_or(token);
        assert!(
            signature.is_empty() || !logs.contains(signature),
            "a caller's token reached the logs: {logs}"
        );
    }
    let payload = caller_token.split('.').nth(1).unwrap_or_default();
    assert!(
        !logs.contains(payload),
        "a caller's token reached the logs: {logs}"
    );
}
