//! Production mode gives the same bytes on every backend: one sequence of requests (valid
//! callers with each key, every forgery of the suite's identity provider, CORS from allowed
//! and other origins, each policy refusal) goes to each backend, configured to trust the
//! provider's JWKS, and every answer is compared; each status is checked as well.
//! Run: `cargo test -p cross-backend --test production`.

use conformance::identity_provider::{
    CALLER, CallerKey, DEFAULT_AUDIENCE, DEFAULT_ISSUER, Forgery, IdentityProvider, JwsVectors,
};
use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{production_settings, start};
use serde_json::json;
use testkit::exchange::exchange;

const ORIGIN: &str = "https://app.example";

/// The policy every backend runs under.
const POLICY: &str = r#"
max_metadata_bytes = 16

[[rule]]
claim = "groups"
equals = "staff"
rooms = ["*"]
grants = "hidden"

[[rule]]
rooms = ["user-{sub}-*"]

[[rule]]
rooms = ["studio-*"]
agents = ["helper"]

[[rule]]
rooms = ["lobby"]
grants = "viewer"
"#;

fn request(path: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text.into_bytes()
}

fn preflight(origin: &str) -> Vec<u8> {
    format!(
        "OPTIONS /livekit/token HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n\
         Access-Control-Request-Method: POST\r\n\
         Access-Control-Request-Headers: authorization, content-type\r\n\r\n"
    )
    .into_bytes()
}

/// The requests, in order, and the status each must get.
fn sequence(provider: &IdentityProvider) -> Vec<(String, Vec<u8>, u16)> {
    let bearer = |token: String| format!("Bearer {token}");
    let alice = bearer(provider.token(CallerKey::P256, CALLER, &json!({})));
    // LiveKit refuses identities and room names over 256 bytes.
    let long_identity = bearer(provider.token(CallerKey::P256, &"a".repeat(257), &json!({})));
    let long_room = format!(r#"{{"room_name":"{}"}}"#, "r".repeat(257));
    let token_body = r#"{"roomName":"user-alice-1","participantName":"Alice"}"#;
    let mut sequence = Vec::new();
    for key in CallerKey::PUBLISHED {
        let authorization = bearer(provider.token(key, CALLER, &json!({})));
        sequence.push((
            format!("valid {key:?} caller"),
            request(
                "/token",
                &[("Authorization", &authorization), ("Origin", ORIGIN)],
                token_body,
            ),
            200,
        ));
    }
    let leeway = conformance::identity_provider::ASSUMED_LEEWAY_SECONDS;
    let now = i64::try_from(test_keys::unix_now()).expect("a clock before 2^63 s");
    for (what, extra) in [
        (
            "expired within the leeway",
            json!({"exp": now - leeway + 5}),
        ),
        (
            "not yet valid within the leeway",
            json!({"nbf": now + leeway - 5}),
        ),
    ] {
        let authorization = bearer(provider.token(CallerKey::Ed25519, CALLER, &extra));
        sequence.push((
            what.to_owned(),
            request("/token", &[("Authorization", &authorization)], token_body),
            200,
        ));
    }
    sequence.push((
        "no Authorization".to_owned(),
        request("/token", &[("Origin", ORIGIN)], token_body),
        401,
    ));
    sequence.push((
        "another scheme".to_owned(),
        request(
            "/token",
            &[("Authorization", "Basic YWxpY2U6cHc=")],
            token_body,
        ),
        401,
    ));
    for forgery in Forgery::ALL {
        let authorization = bearer(provider.forged(forgery));
        sequence.push((
            format!("forged: {forgery:?}"),
            request(
                "/livekit/token",
                &[("Authorization", &authorization)],
                r#"{"room_name":"user-alice-1"}"#,
            ),
            401,
        ));
    }
    let raw = provider.token(CallerKey::P256, CALLER, &json!({}));
    sequence.push((
        "token in the query".to_owned(),
        request(&format!("/token?access_token={raw}"), &[], token_body),
        401,
    ));
    sequence.push((
        "token in a cookie".to_owned(),
        request(
            "/token",
            &[("Cookie", &format!("access_token={raw}"))],
            token_body,
        ),
        401,
    ));
    sequence.push((
        "another origin".to_owned(),
        request(
            "/token",
            &[
                ("Authorization", &alice),
                ("Origin", "https://evil.example"),
            ],
            token_body,
        ),
        200,
    ));
    sequence.push((
        "preflight, allowed origin".to_owned(),
        preflight(ORIGIN),
        200,
    ));
    sequence.push((
        "preflight, another origin".to_owned(),
        preflight("https://evil.example"),
        403,
    ));
    let staff = bearer(provider.token(CallerKey::Rsa, "bob", &json!({"groups": ["staff"]})));
    for (what, authorization, body, status) in [
        (
            "own room",
            &alice,
            r#"{"room_name":"user-alice-2","participant_name":"A"}"#,
            201,
        ),
        (
            "viewer in the lobby",
            &alice,
            r#"{"room_name":"lobby"}"#,
            201,
        ),
        (
            "staff anywhere, hidden",
            &staff,
            r#"{"room_name":"user-alice-2"}"#,
            201,
        ),
        (
            "another's room",
            &alice,
            r#"{"room_name":"user-bob-1"}"#,
            403,
        ),
        (
            "another identity",
            &alice,
            r#"{"room_name":"lobby","participant_identity":"bob"}"#,
            403,
        ),
        (
            "own identity",
            &alice,
            r#"{"room_name":"lobby","participant_identity":"alice"}"#,
            201,
        ),
        (
            "metadata over the cap",
            &alice,
            r#"{"room_name":"lobby","participant_metadata":"01234567890123456"}"#,
            403,
        ),
        (
            "allowed agent",
            &alice,
            r#"{"room_name":"studio-1","room_config":{"agents":[{"agent_name":"helper"}]}}"#,
            201,
        ),
        (
            "another agent",
            &alice,
            r#"{"room_name":"studio-1","room_config":{"agents":[{"agent_name":"other"}]}}"#,
            403,
        ),
        (
            "an agent from a rule that dispatches none",
            &alice,
            r#"{"room_name":"lobby","room_config":{"agents":[{"agent_name":"helper"}]}}"#,
            403,
        ),
        (
            "two agents",
            &alice,
            r#"{"room_name":"studio-1","room_config":{"agents":[{"agent_name":"helper"},{"agent_name":"helper"}]}}"#,
            403,
        ),
        (
            "an identity over 256 bytes",
            &long_identity,
            r#"{"room_name":"lobby"}"#,
            403,
        ),
        ("a room name over 256 bytes", &alice, &long_room, 400),
        ("no room", &alice, "{}", 400),
    ] {
        sequence.push((
            what.to_owned(),
            request("/livekit/token", &[("Authorization", authorization)], body),
            status,
        ));
    }
    sequence.push((
        "tutorial's room on /token, not allowed".to_owned(),
        request(
            "/token",
            &[("Authorization", &alice)],
            r#"{"roomName":"room1","participantName":"alice"}"#,
        ),
        403,
    ));
    sequence
}

/// Production mode trusting `jwks_url`, under [`POLICY`] (written at `policy`).
fn settings_for(format: &str, jwks_url: &str, policy: &std::path::Path) -> server_runtime::Config {
    let policy = policy.to_str().expect("a UTF-8 path");
    production_settings(
        format,
        jwks_url,
        ORIGIN,
        &["--token-policy-file", policy, "--rate-limits", "off"],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn production_answers_are_the_same_bytes_on_every_backend() {
    let provider = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .await
        .expect("the identity provider starts");
    let dir = tempfile::tempdir().expect("a directory");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).expect("write the policy");
    for format in ["text", "json"] {
        let settings = settings_for(format, &provider.jwks_url(), &policy);
        let mut first: Option<(&str, Vec<_>)> = None;
        for backend in BACKENDS {
            // Counted from before the start: the server loads the keys at once.
            let fetches_before = provider.fetches();
            let server = start(backend, &settings);
            let mut answers = Vec::new();
            // Made anew for each backend: the tokens' times are seconds from their limits.
            for (what, request, status) in &sequence(&provider) {
                let answer = exchange(server.address(), &[request], false, false).await;
                let got = answer.response.as_ref().map(|response| response.status);
                assert_eq!(got, Ok(*status), "{} ({format}): {what}", backend.name());
                answers.push((what.clone(), answer.comparable()));
            }
            // Every unknown `kid` above came within 30 s of the first load: one fetch.
            assert_eq!(
                provider.fetches() - fetches_before,
                1,
                "{}: unknown kids must not make the server fetch the JWKS again",
                backend.name()
            );
            match &first {
                None => first = Some((backend.name(), answers)),
                Some((name, expected)) => {
                    for ((what, want), (_, got)) in expected.iter().zip(&answers) {
                        assert_eq!(
                            got,
                            want,
                            "{} and {name} answer {what:?} differently ({format})",
                            backend.name()
                        );
                    }
                }
            }
        }
    }
    assert_eq!(
        provider.attacker_fetches(),
        0,
        "jku and x5u must be ignored"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_keys_every_backend_answers_503_alike() {
    let provider = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .await
        .expect("the identity provider starts");
    provider.go_down(true);
    let dir = tempfile::tempdir().expect("a directory");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).expect("write the policy");
    let settings = settings_for("json", &provider.jwks_url(), &policy);
    let alice = format!(
        "Bearer {}",
        provider.token(CallerKey::P256, CALLER, &json!({}))
    );
    let body = r#"{"roomName":"user-alice-1","participantName":"Alice"}"#;
    let mut first = None;
    for backend in BACKENDS {
        let server = start(backend, &settings);
        let mut answer = exchange(
            server.address(),
            &[&request("/token", &[("Authorization", &alice)], body)],
            false,
            false,
        )
        .await;
        let response = answer.response.as_ref().expect("an answer");
        assert_eq!(response.status, 503, "{}", backend.name());
        let retry: u64 = response
            .header("retry-after")
            .first()
            .and_then(|value| value.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=30).contains(&retry), "{retry}");
        // The seconds left may differ by one between backends started apart.
        if let Ok(response) = &mut answer.response {
            let seconds = retry.to_string();
            let body = String::from_utf8_lossy(&response.body).replace(&seconds, "<n>");
            response.body = body.into_bytes();
            response
                .headers
                .insert("retry-after".to_owned(), vec!["<n>".to_owned()]);
        }
        let comparable = answer.comparable();
        match &first {
            None => first = Some((backend.name(), comparable)),
            Some((name, expected)) => assert_eq!(
                &comparable,
                expected,
                "{} and {name} answer differently",
                backend.name()
            ),
        }
    }
}

/// The suite's production profile, rotation and vectors in Wycheproof's format included,
/// passes every backend without a WARN or a SKIP.
#[tokio::test(flavor = "multi_thread")]
async fn the_production_profile_passes_every_backend() {
    let runs = BACKENDS.iter().map(|backend| async move {
        let vectors = JwsVectors::parse(&test_keys::wycheproof_format::file())
            .expect("vectors in Wycheproof's format");
        let provider =
            IdentityProvider::start_with(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE, Some(vectors))
                .await
                .expect("the identity provider starts");
        let settings = production_settings(
            "text",
            &provider.jwks_url(),
            conformance::production::ALLOWED_ORIGIN,
            &["--rate-limits", "off"],
        );
        let server = start(backend, &settings);
        let report = conformance::production::run(
            &server.under_test,
            &provider,
            &conformance::Selection::default(),
        )
        .await
        .expect("the server answers");
        (backend.name(), report)
    });
    // Concurrently: each waits about 30 s for the rotated key.
    for (name, report) in futures_util::future::join_all(runs).await {
        assert!(
            report.passed() == report.outcomes.len(),
            "{name} misses production cases:\n{report}"
        );
    }
}
