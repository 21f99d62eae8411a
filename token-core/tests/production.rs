//! Production mode through `TokenService::respond`, as every backend calls it: callers
//! authenticated, the policy applied, CORS restricted to the allowed origins, keys reloaded.
//! The same answers on the wire, on all six backends, are `testkit`'s to prove.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use futures_util::stream;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use test_keys::{JWKS, JWKS_PATH, caller_header, sign_caller_token, unix_now};
use token_core::{HttpVersion, Reply, RequestHead, TokenService};

mod support;

const ISSUER: &str = "https://id.example";
const AUDIENCE: &str = "token-server";
const ORIGIN: &str = "https://app.example";

/// A caller token as the identity provider signs it.
fn caller_token(alg: Algorithm, claims: &Value) -> String {
    sign_caller_token(&caller_header(alg), claims)
}

fn claims(sub: &str) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "exp": unix_now() + 300})
}

fn bearer(sub: &str) -> String {
    format!("Bearer {}", caller_token(Algorithm::ES256, &claims(sub)))
}

fn production(jwks: &str, extra: &[&str]) -> TokenService {
    support::production_service(jwks, ORIGIN, extra)
}

fn jwks_file(dir: &Path, jwks: &str) -> String {
    let path = dir.join("jwks.json");
    std::fs::write(&path, jwks).expect("write the JWKS");
    path.display().to_string()
}

async fn post(service: &TokenService, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut all = vec![("host", "x"), ("content-type", "application/json")];
    all.extend_from_slice(headers);
    let head = RequestHead::new(
        "POST",
        path,
        HttpVersion::Http11,
        all.iter().map(|(name, value)| (*name, value.as_bytes())),
    );
    service
        .respond(&head, stream::iter([Ok::<_, ()>(body.as_bytes())]))
        .await
}

fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

fn body(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).expect("a JSON body")
}

const TOKEN_BODY: &str = r#"{"roomName":"r1","participantName":"Alice A."}"#;

#[tokio::test]
async fn a_valid_caller_gets_a_token_for_its_own_identity() {
    let service = production(JWKS_PATH, &[]);
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        let authorization = format!("Bearer {}", caller_token(alg, &claims("alice")));
        let reply = post(
            &service,
            "/token",
            &[("authorization", &authorization)],
            TOKEN_BODY,
        )
        .await;
        assert_eq!(reply.status, 200, "{alg:?}: {}", reply.body);
        let token = payload(body(&reply)["token"].as_str().expect("a token"));
        assert_eq!(token["sub"], "alice");
        assert_eq!(
            token["name"], "Alice A.",
            "participantName is the display name"
        );
        assert_eq!(token["video"], json!({"roomJoin": true, "room": "r1"}));
        let ttl = token["exp"].as_u64().unwrap_or(0) - token["nbf"].as_u64().unwrap_or(0);
        assert_eq!(ttl, 600, "ten minutes by default in production");
    }
    let reply = post(
        &service,
        "/livekit/token",
        &[("authorization", &bearer("alice"))],
        r#"{"room_name":"r2","participant_identity":"alice","participant_name":"A"}"#,
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let token = payload(body(&reply)["participant_token"].as_str().expect("a token"));
    assert_eq!(
        (token["sub"].as_str(), token["name"].as_str()),
        (Some("alice"), Some("A"))
    );
}

#[tokio::test]
async fn an_identity_longer_than_livekit_takes_is_refused_naming_its_claim() {
    let service = production(JWKS_PATH, &[]);
    let longest = "a".repeat(token_core::http::contract::MAX_IDENTITY_BYTES);
    let reply = post(
        &service,
        "/token",
        &[("authorization", &bearer(&longest))],
        TOKEN_BODY,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let too_long = format!("{longest}a");
    let reply = post(
        &service,
        "/token",
        &[("authorization", &bearer(&too_long))],
        TOKEN_BODY,
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply.body.contains("claim sub"), "{}", reply.body);
}

#[tokio::test]
async fn callers_without_a_valid_token_get_401_with_a_challenge() {
    let service = production(JWKS_PATH, &["--rate-limits", "off"]);
    let expired = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "a", "exp": unix_now() - 3600});
    let cases = [
        (None, "Bearer"),
        (Some("Basic YWxpY2U6cHc=".to_owned()), "Bearer"),
        (
            Some("Bearer not.a.jwt".to_owned()),
            "Bearer error=\"invalid_token\"",
        ),
        (
            Some(format!(
                "Bearer {}",
                caller_token(Algorithm::ES256, &expired)
            )),
            "Bearer error=\"invalid_token\"",
        ),
    ];
    for (authorization, challenge) in cases {
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("authorization", value.as_str()))
            .collect();
        let reply = post(&service, "/token", &headers, TOKEN_BODY).await;
        assert_eq!(reply.status, 401, "{authorization:?}");
        assert_eq!(reply.header("www-authenticate"), Some(challenge));
        assert_eq!(
            reply.header("access-control-expose-headers"),
            Some("WWW-Authenticate")
        );
        assert_eq!(
            body(&reply),
            json!({"errorMessage": "a valid bearer token is required in the Authorization header"}),
            "the same coarse message whatever the reason"
        );
    }
    // An unauthenticated caller learns nothing about its body.
    let reply = post(&service, "/livekit/token", &[], "not json").await;
    assert_eq!(reply.status, 401);
    // Two Authorization lines: which one is meant cannot be known.
    let token = bearer("alice");
    let reply = post(
        &service,
        "/token",
        &[("authorization", &token), ("authorization", &token)],
        TOKEN_BODY,
    )
    .await;
    assert_eq!(reply.status, 401);
}

#[test]
fn the_readmes_example_policy_is_valid() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/production/policy.toml"
    );
    token_core::production::policy::TokenPolicy::from_file(std::path::Path::new(path))
        .expect("examples/production/policy.toml is a valid policy");
}

#[test]
fn production_never_mints_without_a_caller_even_through_reply() {
    let service = production(JWKS_PATH, &[]);
    let head = RequestHead::new(
        "POST",
        "/token",
        HttpVersion::Http11,
        [
            ("host", &b"x"[..]),
            ("content-type", &b"application/json"[..]),
        ],
    );
    let reply = service.reply(token_core::Endpoint::Token, &head, TOKEN_BODY.as_bytes());
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert!(
        service
            .mint(Some(b"application/json"), TOKEN_BODY.as_bytes())
            .is_err()
    );
}

#[tokio::test]
async fn cors_names_only_allowed_origins_and_always_varies() {
    let service = production(JWKS_PATH, &[]);
    let token = bearer("alice");
    let allowed = post(
        &service,
        "/token",
        &[("authorization", &token), ("origin", ORIGIN)],
        TOKEN_BODY,
    )
    .await;
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(allowed.header("vary"), Some("Origin"));
    assert_eq!(allowed.header("access-control-allow-credentials"), None);
    for origin in [Some("https://evil.example"), None] {
        let headers: Vec<(&str, &str)> = [("authorization", token.as_str())]
            .into_iter()
            .chain(origin.map(|origin| ("origin", origin)))
            .collect();
        let reply = post(&service, "/token", &headers, TOKEN_BODY).await;
        assert_eq!(
            reply.status, 200,
            "the browser, not the server, withholds it"
        );
        assert_eq!(reply.header("access-control-allow-origin"), None);
        assert_eq!(reply.header("vary"), Some("Origin"));
    }
    let preflight = |origin: &'static str| {
        RequestHead::new(
            "OPTIONS",
            "/livekit/token",
            HttpVersion::Http11,
            [
                ("host", &b"x"[..]),
                ("origin", origin.as_bytes()),
                ("access-control-request-method", b"POST"),
                (
                    "access-control-request-headers",
                    b"authorization,content-type",
                ),
            ],
        )
    };
    let empty = || stream::iter([Ok::<_, ()>(&b""[..])]);
    let reply = service.respond(&preflight(ORIGIN), empty()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("authorization, content-type")
    );
    let refused = service
        .respond(&preflight("https://evil.example"), empty())
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(refused.header("access-control-allow-methods"), None);
}

#[tokio::test]
async fn the_policy_decides_identities_rooms_grants_and_fields() {
    let dir = tempfile::tempdir().expect("a directory");
    let rules = dir.path().join("policy.toml");
    std::fs::write(
        &rules,
        r#"
        max_metadata_bytes = 8
        [[rule]]
        rooms = ["user-{sub}-*"]
        [[rule]]
        rooms = ["lobby"]
        grants = "viewer"
        "#,
    )
    .expect("write the policy");
    let service = production(
        JWKS_PATH,
        &["--token-policy-file", rules.to_str().expect("UTF-8")],
    );
    let token = bearer("alice");
    let headers = [("authorization", token.as_str())];
    let ask = |body: &'static str| post(&service, "/livekit/token", &headers, body);
    let refusal = |reply: &Reply| (reply.status, body(reply)["errorMessage"].clone());

    let own = ask(r#"{"room_name":"user-alice-1"}"#).await;
    assert_eq!(own.status, 201, "{}", own.body);
    let lobby = ask(r#"{"room_name":"lobby"}"#).await;
    let grant = &payload(body(&lobby)["participant_token"].as_str().expect("a token"))["video"];
    assert_eq!(
        grant,
        &json!({"roomJoin": true, "room": "lobby", "canPublish": false, "canPublishData": false})
    );
    assert_eq!(
        refusal(&ask(r#"{"room_name":"user-bob-1"}"#).await),
        (
            403,
            json!("room_name names a room this caller may not join")
        )
    );
    assert_eq!(
        refusal(&ask(r#"{"room_name":"lobby","participant_identity":"bob"}"#).await),
        (
            403,
            json!("participant_identity must be the caller's own identity")
        )
    );
    assert_eq!(
        refusal(&ask(r#"{"room_name":"lobby","participant_metadata":"123456789"}"#).await),
        (
            403,
            json!("participant_metadata is longer than the 8 bytes this server allows")
        )
    );
    assert_eq!(
        refusal(&ask(r#"{"room_config":{"agents":[]}}"#).await),
        (
            403,
            json!("room_config may not be set by clients of this server")
        )
    );
    assert_eq!(
        refusal(&ask("{}").await),
        (400, json!("room_name is required"))
    );
    let token_endpoint = post(
        &service,
        "/token",
        &[("authorization", &token)],
        r#"{"roomName":"elsewhere","participantName":"A"}"#,
    )
    .await;
    assert_eq!(
        refusal(&token_endpoint),
        (403, json!("roomName names a room this caller may not join"))
    );
}

#[tokio::test]
async fn each_caller_has_its_own_quota_from_any_address() {
    let service = production(JWKS_PATH, &["--token-rate-limit", "2/h"]);
    let (alice, bob) = (bearer("alice"), bearer("bob"));
    let ask = |authorization: &str| {
        let headers = [("authorization", authorization.to_owned())];
        let service = &service;
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            post(service, "/token", &headers, TOKEN_BODY).await
        }
    };
    assert_eq!(ask(&alice).await.status, 200);
    assert_eq!(ask(&alice).await.status, 200);
    let limited = ask(&alice).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.header("ratelimit-policy"),
        Some("\"callers\";q=2;w=3600")
    );
    assert_eq!(
        ask(&bob).await.status,
        200,
        "another caller has its own quota"
    );
}

#[tokio::test]
async fn without_keys_callers_get_503_and_when_to_retry() {
    // Nothing listens on port 9 of the loopback: the fetch fails at once.
    let service = production("http://127.0.0.1:9/jwks", &[]);
    let reply = post(
        &service,
        "/token",
        &[("authorization", &bearer("alice"))],
        TOKEN_BODY,
    )
    .await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    let retry: u64 = reply
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=30).contains(&retry), "{retry}");
    // Without a token the keys do not matter.
    let reply = post(&service, "/token", &[], TOKEN_BODY).await;
    assert_eq!(reply.status, 401);
}

#[tokio::test(start_paused = true)]
async fn rotated_keys_are_picked_up_and_removed_ones_refused() {
    let dir = tempfile::tempdir().expect("a directory");
    let mut document: Value = serde_json::from_str(JWKS).expect("JSON");
    let all_keys = document["keys"].clone();
    // Start with the RSA key only.
    document["keys"] = json!([all_keys[0].clone()]);
    let path = jwks_file(dir.path(), &document.to_string());
    let service = &production(&path, &[]);
    let ask = |alg| {
        let token = format!("Bearer {}", caller_token(alg, &claims("alice")));
        async move {
            post(service, "/token", &[("authorization", &token)], TOKEN_BODY)
                .await
                .status
        }
    };
    assert_eq!(ask(Algorithm::RS256).await, 200);
    // The provider adds the P-256 key; a token naming it is refused until a reload is due.
    document["keys"] = all_keys.clone();
    jwks_file(dir.path(), &document.to_string());
    assert_eq!(
        ask(Algorithm::ES256).await,
        401,
        "no reload within 30 s of the last"
    );
    tokio::time::advance(Duration::from_secs(31)).await;
    assert_eq!(ask(Algorithm::ES256).await, 200, "an unknown kid reloads");
    // The provider removes the RSA key: refused once the cache time has passed.
    document["keys"] = json!([all_keys[1].clone()]);
    jwks_file(dir.path(), &document.to_string());
    assert_eq!(ask(Algorithm::RS256).await, 200, "cached for ten minutes");
    tokio::time::advance(Duration::from_secs(601)).await;
    assert_eq!(ask(Algorithm::RS256).await, 401);
    // A broken file keeps the last good keys.
    jwks_file(dir.path(), "{not json");
    tokio::time::advance(Duration::from_secs(601)).await;
    assert_eq!(ask(Algorithm::ES256).await, 200);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Any `Authorization` bytes that are not a valid caller token get 401, never a token, a
    /// panic or a 500: the bearer parser and the verifier meet untrusted bytes first.
    #[test]
    fn any_authorization_header_is_refused_with_401(
        value in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        scheme in proptest::prop_oneof![
            proptest::prelude::Just(&b""[..]),
            proptest::prelude::Just(&b"Bearer "[..]),
            proptest::prelude::Just(&b"bearer  "[..]),
        ],
    ) {
        let service = production(JWKS_PATH, &[]);
        let authorization = [scheme, &value[..]].concat();
        let head = RequestHead::new(
            "POST",
            "/token",
            HttpVersion::Http11,
            [
                ("host", &b"x"[..]),
                ("content-type", b"application/json"),
                ("authorization", &authorization[..]),
            ],
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let reply = runtime.block_on(
            service.respond(&head, stream::iter([Ok::<_, ()>(TOKEN_BODY.as_bytes())])),
        );
        proptest::prop_assert_eq!(reply.status, 401, "{}", reply.body);
    }
}
