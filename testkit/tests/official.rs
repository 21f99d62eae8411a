//! The official OpenVidu application servers, emulated from the table of their quirks
//! (`testkit::official`), each judged by the suite with its profile. Every verdict is printed;
//! only what is certain today is asserted.
//! Run: `cargo test -p testkit --test official -- --nocapture`.

use std::collections::BTreeMap;

use conformance::judge::decode_segment;
use conformance::profile::Profile;
use conformance::{Report, Selection, ServerUnderTest, Verdict};
use serde_json::{Value, json};
use testkit::exchange::exchange;
use testkit::official::{GO, NODE, OFFICIAL, PHP, PYTHON, Quirks, RUBY, RUST, SEED, start};

/// Production-shaped credentials, so that servers that ignore them show it.
const API_KEY: &str = "APIofficial";
const API_SECRET: &str = "official-emulation-secret-0123456789abcdef";

/// The seed's defects the suite has always failed it on.
const SEED_DEFECTS: &[&str] = &[
    "token/room-number",
    "token/array-body",
    "token/null-body",
    "token/string-body",
    "token/oversized",
    "token/oversized-chunked",
    "cors/error-413",
];

/// Webhooks a verifying receiver refuses.
const WEBHOOK_FORGERIES: &[&str] = &[
    "webhook/missing-authorization",
    "webhook/garbage-authorization",
    "webhook/bearer-prefix",
    "webhook/wrong-secret",
    "webhook/wrong-key",
    "webhook/tampered-body",
    "webhook/trailing-newline",
    "webhook/expired",
    "webhook/no-hash",
    "webhook/url-safe-hash",
    "webhook/unpadded-hash",
    "webhook/join-token",
];

/// A verdict's kind, as the report's lines start (no answer counts as a failure there too).
fn kind(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Warn(_) => "WARN",
        Verdict::Fail(_) | Verdict::NoAnswer(_) => "FAIL",
        Verdict::Skip(_) => "SKIP",
    }
}

/// One server's verdicts, `(case id, PASS/WARN/FAIL/SKIP)` sorted by case id: what
/// per-server expectations compare against.
fn verdicts(report: &Report) -> Vec<(&'static str, &'static str)> {
    let mut verdicts: Vec<_> = report
        .outcomes
        .iter()
        .map(|outcome| (outcome.id, kind(&outcome.verdict)))
        .collect();
    verdicts.sort_unstable();
    verdicts
}

/// The IDs of `server`'s cases of `which` kind.
fn ids<'a>(verdicts: &'a [(&'static str, &'static str)], which: &str) -> Vec<&'a str> {
    verdicts
        .iter()
        .filter(|(_, kind)| *kind == which)
        .map(|(id, _)| *id)
        .collect()
}

/// Starts `quirks` and runs the suite's `profile` against it.
async fn judge(quirks: Quirks, profile: Profile) -> Report {
    let server = start(&quirks, API_KEY, API_SECRET)
        .await
        .expect("the emulation serves");
    let selection = Selection {
        profile,
        ..Selection::default()
    };
    conformance::run(&server, &selection)
        .await
        .expect("the suite reaches the server")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_official_server_is_judged_with_its_profile() {
    let runs: Vec<_> = OFFICIAL
        .iter()
        .map(|(name, quirks, profile)| (*name, *profile, tokio::spawn(judge(*quirks, *profile))))
        .collect();
    let mut judged = BTreeMap::new();
    for (name, profile, run) in runs {
        let report = run.await.expect("the run finished");
        println!("===== {name} ({})\n{report}\n", profile.name());
        let unanswered: Vec<_> = report
            .outcomes
            .iter()
            .filter(|outcome| matches!(outcome.verdict, Verdict::NoAnswer(_)))
            .map(|outcome| outcome.id)
            .collect();
        assert!(
            unanswered.is_empty(),
            "{name} did not answer {unanswered:?}"
        );
        judged.insert(name, verdicts(&report));
    }
    for (name, verdicts) in &judged {
        println!("----- {name}");
        println!("FAIL {:?}", ids(verdicts, "FAIL"));
        println!("WARN {:?}", ids(verdicts, "WARN"));
    }

    let fails = |name: &str, expected: &[&str]| {
        let failed = ids(&judged[name], "FAIL");
        let missing: Vec<_> = expected.iter().filter(|id| !failed.contains(id)).collect();
        assert!(missing.is_empty(), "{name} does not fail {missing:?}");
    };
    fails("seed", SEED_DEFECTS);
    // Never verifies, always 200; go verifies but answers 200 all the same; ruby checks
    // only the JWT (with credentials of its own) and answers 200.
    for name in ["node", "go", "ruby"] {
        fails(name, WEBHOOK_FORGERIES);
    }
    // Names go into the token as JSON text: `""` and `null` get tokens, and so does every
    // valid request, with quoted names.
    fails(
        "rust",
        &[
            "token/valid",
            "token/room-empty",
            "token/participant-empty",
            "token/room-null",
            "token/participant-null",
        ],
    );
    // They sign with `devkey` whatever key they were given.
    fails("go", &["token/valid"]);
    fails("ruby", &["token/valid"]);
}

/// A valid token request's response from `server`.
async fn valid_request(server: &ServerUnderTest) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/token"))
        .header("content-type", "application/json")
        .body(r#"{"roomName":"r1","participantName":"p1"}"#)
        .send()
        .await
        .expect("an answer")
}

/// The JWT of a token answer (bare or in `{"token"}`).
fn jwt_of(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(fields)) => fields["token"].as_str().unwrap_or_default().to_owned(),
        _ => body.to_owned(),
    }
}

#[tokio::test]
async fn the_emulations_answer_as_their_servers_do() {
    let start = |quirks| async move {
        start(quirks, API_KEY, API_SECRET)
            .await
            .expect("the emulation serves")
    };

    let seed = start(&SEED).await;
    let answer = valid_request(&seed).await;
    assert_eq!(answer.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(answer.headers()["connection"], "close");
    let claims = decode_segment(&answer.text().await.expect("a body"), 1).expect("a JWT");
    assert_eq!(
        (&claims["identity"], &claims["name"]),
        (&json!(""), &json!(""))
    );
    assert_eq!(claims["video"]["roomAdmin"], false);
    // `Connection: close` is not only said: the connection is closed.
    let address = seed
        .authority()
        .expect("an address")
        .parse()
        .expect("ip:port");
    let request = b"POST /token HTTP/1.1\r\nHost: seed\r\nContent-Type: application/json\r\n\
                    Content-Length: 2\r\n\r\n{}";
    assert!(exchange(address, request, false, false).await.closed);

    let python = valid_request(&start(&PYTHON).await).await;
    assert!(
        python
            .text()
            .await
            .expect("a body")
            .starts_with("{\n  \"token\": ")
    );

    let node = valid_request(&start(&NODE).await).await;
    let jwt = jwt_of(&node.text().await.expect("a body"));
    assert_eq!(
        decode_segment(&jwt, 0).expect("a header"),
        json!({"alg": "HS256"})
    );
    assert_eq!(decode_segment(&jwt, 1).expect("claims")["nbf"], 0);

    let rust = valid_request(&start(&RUST).await).await;
    let claims = decode_segment(&jwt_of(&rust.text().await.expect("a body")), 1).expect("claims");
    assert_eq!(claims["sub"], "\"p1\"");
    assert_eq!(claims["name"], "\"p1\"");
    assert_eq!(claims["video"]["room"], "\"r1\"");
    assert_eq!(claims["sip"], json!({"admin": false, "call": false}));
    assert_eq!(claims["roomConfig"], Value::Null);

    for quirks in [&GO, &RUBY] {
        let answer = valid_request(&start(quirks).await).await;
        let claims = decode_segment(&jwt_of(&answer.text().await.expect("a body")), 1);
        assert_eq!(claims.expect("claims")["iss"], "devkey");
    }

    let php = start(&PHP).await;
    let options = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, php.url("/token"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(options.status(), 200);
    assert_eq!(
        options.text().await.expect("a body"),
        r#"{"errorMessage":"Unsupported endpoint or method"}"#
    );
}
