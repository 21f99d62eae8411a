//! Properties of the framework-free contract, over generated input.

use std::time::Duration;

use base64::Engine as _;
use livekit_api::access_token::{AccessToken, TokenVerifier};
use proptest::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use token_core::livekit::keys::ApiSecret;
use token_core::livekit::keys::Credentials;
use token_core::service::config::{Mode, Tutorial};
use token_core::{Endpoint, HttpVersion, RequestHead, ServiceConfig, TokenService};

const KEY: &str = "APIproperties";
const SECRET: &str = "property-secret-0123456789abcdefgh";

/// A `POST /token` head with these headers (and a `Host`).
fn head<'a>(headers: &[(&'a str, &'a [u8])]) -> RequestHead<'a> {
    RequestHead::new(
        "POST",
        "/token",
        HttpVersion::Http11,
        std::iter::once(("host", &b"localhost"[..])).chain(headers.iter().copied()),
    )
}

fn service() -> TokenService {
    tutorial_service(false)
}

/// A tutorial service signing with `KEY`, clients allowed `room_config` or not.
fn tutorial_service(allow_room_config: bool) -> TokenService {
    let credentials = Credentials::single(KEY, ApiSecret::new(SECRET));
    let tutorial = Tutorial {
        allow_room_config,
        ..Tutorial::default()
    };
    TokenService::new(&ServiceConfig::new(credentials, Mode::Tutorial(tutorial)))
}

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".*".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("roomName".to_owned()),
                    Just("participantName".to_owned()),
                    ".*"
                ],
                inner,
                0..4
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        json_value().prop_map(|value| value.to_string().into_bytes()),
    ]
}

/// JSON objects with the standard endpoint's fields, of any type.
fn source_body() -> impl Strategy<Value = Vec<u8>> {
    let field = prop::sample::select(vec![
        "room_name",
        "participant_identity",
        "participant_name",
        "participant_metadata",
        "participant_attributes",
        "room_config",
    ]);
    prop::collection::vec((field, json_value()), 0..6).prop_map(|fields| {
        let object: serde_json::Map<String, Value> = fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        Value::Object(object).to_string().into_bytes()
    })
}

fn content_type() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        Just(Some(b"application/json".to_vec())),
        "[a-zA-Z/+;= .*-]{0,40}".prop_map(|s| Some(s.into_bytes())),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Some),
    ]
}

fn is_one_line(text: &str) -> bool {
    !text.is_empty() && !text.contains('\n')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes under any content type never panic, and always get a defined status
    /// with a one-line plain-text message.
    #[test]
    fn any_request_gets_a_defined_answer(content_type in content_type(), body in body()) {
        let headers: Vec<_> = content_type.iter().map(|t| ("content-type", t.as_slice())).collect();
        let reply = service().reply(Endpoint::Token, &head(&headers), &body);
        prop_assert!([200, 400, 415].contains(&reply.status), "status {}", reply.status);
        prop_assert_eq!(reply.header("content-type"), Some("text/plain; charset=utf-8"));
        prop_assert!(is_one_line(&reply.body));
    }

    /// Any body to the standard endpoint, under any content type and any field policy, gets
    /// 201 with credentials LiveKit's verifier accepts (and beside them the token's room and
    /// display name, if any), or a JSON error with a 4xx status.
    #[test]
    fn any_standard_endpoint_request_gets_credentials_or_a_json_error(
        content_type in content_type(),
        body in prop_oneof![body(), source_body()],
        allow_room_config in any::<bool>(),
    ) {
        let service = tutorial_service(allow_room_config);
        let headers: Vec<_> = content_type.iter().map(|t| ("content-type", t.as_slice())).collect();
        let reply = service.reply(Endpoint::TokenSource, &head(&headers), &body);
        prop_assert_eq!(reply.header("content-type"), Some("application/json"));
        let answer: Value = serde_json::from_str(&reply.body).expect("JSON");
        if reply.status == 201 {
            prop_assert_eq!(answer["server_url"].as_str(), Some("ws://localhost:7880"));
            let token = answer["participant_token"].as_str().unwrap_or_default();
            let claims = TokenVerifier::with_api_key(KEY, SECRET)
                .verify(token)
                .map_err(|err| TestCaseError::fail(format!("{err:?}")))?;
            prop_assert!(!claims.sub.is_empty() && !claims.video.room.is_empty());
            // The names the SDKs read beside the token are the token's own.
            prop_assert_eq!(answer["room_name"].as_str(), Some(claims.video.room.as_str()));
            let name = (!claims.name.is_empty()).then_some(claims.name.as_str());
            prop_assert_eq!(answer.get("participant_name").map(Value::as_str), name.map(Some));
        } else {
            prop_assert!([400, 403, 415].contains(&reply.status), "status {}", reply.status);
            prop_assert!(answer["errorMessage"].as_str().is_some_and(is_one_line));
        }
    }

    /// Any non-empty Unicode names mint a token LiveKit's verifier accepts, names verbatim.
    #[test]
    fn any_names_round_trip_through_the_official_verifier(
        room in ".+",
        participant in ".+",
    ) {
        let body = serde_json::json!({"roomName": room, "participantName": participant});
        let head = head(&[("content-type", b"application/json")]);
        let reply = service().reply(Endpoint::Token, &head, body.to_string().as_bytes());
        prop_assert_eq!(reply.status, 200, "{}", reply.body);
        let claims = TokenVerifier::with_api_key(KEY, SECRET)
            .verify(&reply.body)
            .map_err(|err| TestCaseError::fail(format!("{err:?}")))?;
        prop_assert_eq!(claims.sub, participant);
        prop_assert_eq!(claims.video.room, room);
        prop_assert!(claims.video.room_join);
    }

    /// No webhook body verifies under a token from another secret, for another body, or
    /// under an arbitrary Authorization value.
    #[test]
    fn no_webhook_verifies_without_the_right_signature(
        body in body(),
        other in body(),
        garbage in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let hash = |bytes: &[u8]| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
        };
        let sign = |secret: &str, hash: &str| {
            AccessToken::with_api_key(KEY, secret)
                .with_ttl(Duration::from_secs(300))
                .with_sha256(hash)
                .to_jwt()
                .expect("sign")
        };
        let mut forgeries = vec![
            sign("another-secret-0123456789abcdefghij", &hash(&body)),
            String::from_utf8_lossy(&garbage).into_owned(),
        ];
        if other != body {
            forgeries.push(sign(SECRET, &hash(&other)));
        }
        for authorization in &forgeries {
            let head = head(&[("authorization", authorization.as_bytes())]);
            let reply = service().reply(Endpoint::Webhook, &head, &body);
            prop_assert_eq!(reply.status, 401, "{}", reply.body);
        }
    }
}
