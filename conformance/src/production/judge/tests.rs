//! The production judge's tests: each expectation against answers that meet it or miss it,
//! and any answer judged without a panic.

use proptest::prelude::*;
use reqwest::header::HeaderValue;
use serde_json::json;

use super::super::TOO_LONG;
use super::super::case::{CallerCheck, Credential};
use super::super::cases::caller_cases;
use super::*;
use crate::identity_provider::CallerKey;

fn signed(secret: &str, claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

fn answer_with(status: u16, body: String) -> Answer {
    Answer {
        status,
        headers: HeaderMap::new(),
        body,
    }
}

#[test]
fn only_the_development_secret_is_the_development_secret() {
    let claims = json!({"iss": "devkey", "sub": "alice"});
    assert!(signed_with_dev_secret(&signed(DEV_API_SECRET, &claims)));
    // Expired or not, LiveKit's claims or none: the signature is what anyone can make.
    assert!(signed_with_dev_secret(&signed(
        DEV_API_SECRET,
        &json!({"exp": 1})
    )));
    assert!(!signed_with_dev_secret(&signed(
        "a-production-secret-0123456789abcdef",
        &claims
    )));
    assert!(!signed_with_dev_secret("not.a.jwt"));
}

#[test]
fn a_name_over_the_limit_is_refused_minted_or_shortened() {
    let room = "r".repeat(TOO_LONG);
    let token_for = |room: &str| {
        json!({"token": signed("s", &json!({"sub": "alice", "video": {"room": room}}))}).to_string()
    };
    let judged = |got: Answer| {
        not_minted(
            &got,
            TokenEndpoint::Tutorial,
            400,
            Over::Room,
            Defect::AcceptsHarmlessly,
        )
        .into_iter()
        .map(|finding| finding.defect)
        .collect::<Vec<_>>()
    };
    assert_eq!(judged(answer_with(400, String::new())), []);
    assert_eq!(
        judged(answer_with(200, token_for(&room))),
        [Defect::AcceptsHarmlessly]
    );
    assert_eq!(
        judged(answer_with(200, token_for(&room[..LIVEKIT_NAME_LIMIT]))),
        [Defect::WrongIdentityOrRoom]
    );
    assert_eq!(
        judged(answer_with(200, "{}".to_owned())),
        [Defect::AcceptsHarmlessly]
    );
    assert_eq!(
        judged(answer_with(403, String::new())),
        [Defect::OtherStatus]
    );
    assert_eq!(
        judged(answer_with(500, String::new())),
        [Defect::ServerError]
    );
    let identity = "i".repeat(TOO_LONG);
    let standard = json!({"participant_token": signed("s", &json!({"sub": identity}))});
    let got = answer_with(201, standard.to_string());
    let findings = not_minted(
        &got,
        TokenEndpoint::Standard,
        403,
        Over::Identity,
        Defect::AcceptsHarmlessly,
    );
    assert_eq!(findings[0].defect, Defect::AcceptsHarmlessly);
    // Shortened to the limit, two long identities would share one: harm, whatever the case.
    let shortened =
        json!({"participant_token": signed("s", &json!({"sub": &identity[..LIVEKIT_NAME_LIMIT]}))});
    let got = answer_with(201, shortened.to_string());
    let findings = not_minted(
        &got,
        TokenEndpoint::Standard,
        403,
        Over::Identity,
        Defect::AcceptsHarmlessly,
    );
    assert_eq!(findings[0].defect, Defect::WrongIdentityOrRoom);
}

#[test]
fn a_refusal_of_a_token_in_the_header_must_say_invalid_token() {
    let mut got = answer_with(401, String::new());
    got.headers.insert(
        "www-authenticate",
        HeaderValue::from_static("Bearer realm=\"livekit\""),
    );
    let request = |credential| CallerRequest::Post {
        endpoint: TokenEndpoint::Tutorial,
        credential,
        body: Body::Tutorial,
        origin: None,
    };
    let missing = judge(
        &request(Credential::Missing),
        Expected::Refused,
        Defect::CallerForgery,
        &got,
    );
    assert_eq!(missing, []);
    let forged = judge(
        &request(Credential::Forged(
            crate::identity_provider::Forgery::AlgNone,
        )),
        Expected::Refused,
        Defect::CallerForgery,
        &got,
    );
    assert_eq!(
        forged.iter().map(|f| f.defect).collect::<Vec<_>>(),
        [Defect::NoChallenge]
    );
    let admitted = judge(
        &request(Credential::Valid(CallerKey::P256)),
        Expected::Admitted(200),
        Defect::RefusesClientRequest,
        &got,
    );
    assert_eq!(
        admitted.iter().map(|f| f.defect).collect::<Vec<_>>(),
        [Defect::RefusesClientRequest]
    );
}

proptest! {
    /// Whatever a server answers, every production case's judge returns findings: no
    /// status, header or body makes it panic.
    #[test]
    fn any_answer_is_judged_without_panic(
        status in 100u16..1000,
        challenge in proptest::option::of("[ -~]{0,16}"),
        origin in proptest::option::of("[ -~]{0,16}"),
        body in prop_oneof![
            "\\PC{0,64}",
            "[a-zA-Z0-9_-]{0,16}\\.[a-zA-Z0-9_-]{0,24}\\.[a-zA-Z0-9_-]{0,8}",
            "[ -~]{0,24}".prop_map(|token| json!({"token": token}).to_string()),
            "[ -~]{0,24}".prop_map(|token| json!({"participant_token": token}).to_string()),
        ],
    ) {
        let mut got = answer_with(status, body);
        if let Some(value) = challenge.and_then(|value| HeaderValue::from_str(&value).ok()) {
            got.headers.insert("www-authenticate", value);
        }
        if let Some(value) = origin.and_then(|value| HeaderValue::from_str(&value).ok()) {
            got.headers.insert("access-control-allow-origin", value.clone());
            got.headers.insert("access-control-allow-headers", value.clone());
            got.headers.insert("vary", value);
        }
        for case in caller_cases() {
            if let CallerCheck::Exchange { request, expect } = case.check {
                let _ = judge(&request, expect, case.defect, &got);
            }
        }
        for endpoint in TokenEndpoint::ALL {
            if let Some(token) = endpoint.token(&got) {
                let _ = signed_with_dev_secret(&token);
            }
        }
    }
}

/// Issue 30: a server that admitted a validly signed token padded past 8 KiB was told it
/// admitted a forgery (MUST), though its caller is authenticated. Admitting it, or a valid
/// token in the query or a cookie, is taste now; every forgery proper and a missing or
/// other-scheme credential stay harm, and a 5xx stays a server fault.
#[test]
fn an_admitted_valid_caller_is_taste_and_a_forgery_harm() {
    let served = answer_with(200, json!({"token": "x"}).to_string());
    let failed = answer_with(500, String::new());
    let mut taste = Vec::new();
    for case in caller_cases() {
        let CallerCheck::Exchange {
            request: request @ CallerRequest::Post { credential, .. },
            expect: Expected::Refused,
        } = case.check
        else {
            continue;
        };
        let defects = |got| {
            judge(&request, Expected::Refused, case.defect, got)
                .iter()
                .map(|finding| finding.defect)
                .collect::<Vec<_>>()
        };
        let expected = match credential {
            Credential::Forged(crate::identity_provider::Forgery::Oversized)
            | Credential::InQuery
            | Credential::InCookie => {
                taste.push(case.id);
                Defect::AcceptsHarmlessly
            }
            _ => Defect::CallerForgery,
        };
        assert_eq!(defects(&served), [expected], "{}", case.id);
        assert_eq!(defects(&failed), [Defect::ServerError], "{}", case.id);
    }
    assert_eq!(
        taste,
        [
            "caller/refused/token-in-query",
            "caller/refused/token-in-cookie",
            "caller/too-long/token",
        ]
    );
}
