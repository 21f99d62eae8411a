//! Production mode from the environment, over TCP: the binary trusts the suite's identity
//! provider, serves authenticated callers, refuses the rest, and logs why without the token.

use conformance::identity_provider::{
    CALLER, CallerKey, DEFAULT_AUDIENCE, DEFAULT_ISSUER, Forgery, IdentityProvider,
};
use serde_json::json;

use super::{credentialed, start, temp_dir};

const ORIGIN: &str = "https://app.example";
/// The policy the suite's production profile assumes: any caller, any room.
pub const ANY_ROOM_POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/production/any-room.toml"
);
/// The suite's published test keys.
const PUBLISHED_JWKS: &str = test_keys::JWKS_PATH;

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
        .env("CORS_ALLOWED_ORIGINS", ORIGIN)
        .env("TOKEN_POLICY_FILE", ANY_ROOM_POLICY);
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

/// Issue 27: configurations that left production open are refused, each with exit 2 and one
/// line naming the setting: production settings without the mode, LiveKit's development
/// credentials, a short secret, the suite's published keys, an empty policy, a global
/// metadata grant. `TRY_PRODUCTION_LOCALLY` lets docs/production.md's local try-out run,
/// warned at start.
pub fn refuses_an_open_configuration(exe: &str) {
    use conformance::supervisor::Supervised;
    let dir = temp_dir();
    let private_jwks = dir.path().join("jwks.json");
    std::fs::write(
        &private_jwks,
        r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"k","x":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"}]}"#,
    )
    .expect("write the JWKS");
    let empty_policy = dir.path().join("empty.toml");
    std::fs::write(&empty_policy, "# no rule yet\n").expect("write the policy");
    let private_jwks = private_jwks.to_str().expect("UTF-8").to_owned();
    let empty_policy = empty_policy.to_str().expect("UTF-8").to_owned();
    let production = |jwks: &str, policy: &str| {
        vec![
            ("TOKEN_SERVER_MODE", "production".to_owned()),
            ("CALLER_ISSUER", DEFAULT_ISSUER.to_owned()),
            ("CALLER_AUDIENCE", DEFAULT_AUDIENCE.to_owned()),
            ("CALLER_JWKS_FILE", jwks.to_owned()),
            ("CORS_ALLOWED_ORIGINS", ORIGIN.to_owned()),
            ("TOKEN_POLICY_FILE", policy.to_owned()),
        ]
    };
    let own = [
        ("LIVEKIT_API_KEY", "APIown".to_owned()),
        (
            "LIVEKIT_API_SECRET",
            "own-secret-0123456789abcdef0123456789".to_owned(),
        ),
    ];
    let with = |base: Vec<(&'static str, String)>, extra: &[(&'static str, String)]| {
        base.into_iter()
            .chain(extra.iter().cloned())
            .collect::<Vec<_>>()
    };
    let mut without_mode = production(&private_jwks, ANY_ROOM_POLICY);
    without_mode.remove(0);
    let refused: [(&str, Vec<(&str, String)>); 6] = [
        ("TOKEN_SERVER_MODE", with(without_mode, &own)),
        (
            "LIVEKIT_API_SECRET",
            production(&private_jwks, ANY_ROOM_POLICY),
        ),
        (
            "LIVEKIT_API_SECRET",
            with(
                production(&private_jwks, ANY_ROOM_POLICY),
                &[
                    ("LIVEKIT_API_KEY", "APIown".to_owned()),
                    (
                        "LIVEKIT_API_SECRET",
                        "only-31-bytes-0123456789abcdefg".to_owned(),
                    ),
                ],
            ),
        ),
        (
            "CALLER_JWKS_FILE",
            with(production(PUBLISHED_JWKS, ANY_ROOM_POLICY), &own),
        ),
        (
            "TOKEN_POLICY_FILE",
            with(production(&private_jwks, &empty_policy), &own),
        ),
        (
            "TOKEN_CAN_UPDATE_OWN_METADATA",
            with(
                production(&private_jwks, ANY_ROOM_POLICY),
                &[
                    &own[..],
                    &[("TOKEN_CAN_UPDATE_OWN_METADATA", "true".to_owned())],
                ]
                .concat(),
            ),
        ),
    ];
    for (named, variables) in refused {
        let mut command = super::command(exe, dir.path());
        command.envs(variables.iter().map(|(name, value)| (name, value)));
        let mut child = Supervised::spawn(command).expect("start the binary");
        let status = child
            .wait_for_exit(std::time::Duration::from_secs(20))
            .unwrap_or_else(|| panic!("{variables:?} was accepted: the server kept running"));
        let output = child.tail(usize::MAX);
        assert_eq!(status.code(), Some(2), "{variables:?}: {output}");
        assert_eq!(output.lines().count(), 1, "{variables:?}: {output}");
        assert!(
            output.contains(named),
            "{variables:?}: {output} does not name {named}"
        );
        assert!(
            !output.contains("0123456789abcdef"),
            "a secret was printed: {output}"
        );
    }
    // The local try-out: the suite's keys and the development credentials, on one machine.
    let mut trial = super::command(exe, dir.path());
    trial
        .envs(production(PUBLISHED_JWKS, ANY_ROOM_POLICY))
        .env("TRY_PRODUCTION_LOCALLY", "true");
    let server = start(trial);
    assert!(
        server.wait_for_output(
            "TRY_PRODUCTION_LOCALLY is set",
            std::time::Duration::from_secs(20)
        ),
        "the local trial is not warned at start: {}",
        server.output()
    );
}

/// Production mode's readiness: `/readyz` answers 503 (with `Retry-After`) while the
/// identity provider is down, from start-up and without any caller asking; the binary keeps
/// retrying on its own, and answers 200 once the keys are loaded. `/healthz` is 200 all along;
/// keeping the keys fresh does not hold up SIGTERM.
pub async fn readiness_waits_for_the_callers_keys(exe: &str) {
    let provider = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .await
        .expect("the identity provider starts");
    provider.go_down(true);
    let dir = temp_dir();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[[rule]]\nrooms = [\"*\"]\n").expect("write the policy");
    let mut command = credentialed(exe, dir.path());
    command
        .env("TOKEN_SERVER_MODE", "production")
        .env("CALLER_ISSUER", DEFAULT_ISSUER)
        .env("CALLER_AUDIENCE", DEFAULT_AUDIENCE)
        .env("CALLER_JWKS_URL", provider.jwks_url())
        .env("CORS_ALLOWED_ORIGINS", ORIGIN)
        .env("TOKEN_POLICY_FILE", &policy)
        // The suite's identity provider signs with the repository's own test keys.
        .env("TRY_PRODUCTION_LOCALLY", "true");
    let mut server = start(command);
    let patience = std::time::Duration::from_secs(40);
    assert!(
        server.wait_for_output("callers' keys not reloaded", patience),
        "the keys were not fetched at start-up: {}",
        server.output()
    );
    let client = conformance::runner::client().expect("an HTTP client");
    let readyz = format!("{}/readyz", server.url());
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let not_ready = client
            .request(method.clone(), &readyz)
            .send()
            .await
            .expect("a response");
        assert_eq!(not_ready.status(), 503, "{method} /readyz without keys");
        let retry = not_ready
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        assert!(
            retry.is_some_and(|seconds| (1..=30).contains(&seconds)),
            "{retry:?}"
        );
    }
    let health = client
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .expect("a response");
    assert_eq!(health.status(), 200, "liveness does not wait for the keys");

    provider.go_down(false);
    assert!(
        server.wait_for_output("callers' keys loaded", patience),
        "the keys were not fetched again without callers: {}",
        server.output()
    );
    let ready = client.get(&readyz).send().await.expect("a response");
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.expect("a body"), "ok");
    assert!(
        provider.fetches() >= 2,
        "{} fetches of the JWKS",
        provider.fetches()
    );
    server.terminate().expect("SIGTERM");
    let exit = server.wait_for_exit(std::time::Duration::from_secs(15));
    let logs = server.output();
    assert!(
        exit.is_some_and(|status| status.success()),
        "{exit:?}: {logs}"
    );
    assert!(
        !logs.contains("path=\"/token\"") && !logs.contains("path=/token"),
        "a caller was served: {logs}"
    );
}
