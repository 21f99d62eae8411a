//! The official OpenVidu application servers, emulated from the table of their quirks
//! (`official_emulations`), each judged by the suite with its profile, and the verdicts held
//! exactly: which cases FAIL and WARN and by which defect (the `insta` snapshot
//! `snapshots/official__verdicts.snap`), the MUST defects each server really has (from
//! `shared/reference/official-servers.md`), a judge whose severity is mutated is caught, and
//! docs/conformance.md's table is these runs.
//! Run: `cargo test -p official-emulations --test official -- --nocapture`; after a
//! deliberate change of verdicts, `cargo insta review` (or `INSTA_UPDATE=always` on the run,
//! then review the snapshot's diff) accepts the new verdicts.

use std::collections::BTreeSet;

use conformance::harm::Defect;
use conformance::harm::Level;
use conformance::judge::decode_segment;
use conformance::profile::Profile;
use conformance::{Report, Selection, ServerUnderTest, Verdict};
use official_emulations::{
    GO, NODE, NOT_SHOWN_BY_OFFICIAL_SERVERS, OFFICIAL, PHP, PYTHON, Quirks, RUBY, RUST, SEED,
    SHOWN_ONLY_ACROSS_REPLICAS, SHOWN_ONLY_IN_PRODUCTION, markdown_table, start,
};
use serde_json::{Value, json};
use testkit::exchange::exchange;

/// Production-shaped credentials, so that servers that ignore them show it.
const API_KEY: &str = "APIofficial";
const API_SECRET: &str = "official-emulation-secret-0123456789abcdef";

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

/// Every official server's report, in [`OFFICIAL`]'s order.
async fn judge_all() -> Vec<(&'static str, Report)> {
    let runs: Vec<_> = OFFICIAL
        .iter()
        .map(|official| {
            let run = tokio::spawn(judge(official.quirks, official.profile));
            (official.name, run)
        })
        .collect();
    let mut reports = Vec::new();
    for (name, run) in runs {
        reports.push((name, run.await.expect("the run finished")));
    }
    reports
}

/// The verdicts as the snapshot holds them: per server, each defect with its level
/// and cases, then the totals.
fn render(reports: &[(&str, Report)]) -> String {
    let mut text = String::new();
    for (name, report) in reports {
        text.push_str(&format!("== {name}\n"));
        for (defect, ids) in report.defects() {
            text.push_str(&format!(
                "{} {}: {}\n",
                defect.level().as_str(),
                defect.id(),
                ids.join(" ")
            ));
        }
        text.push_str(&format!("{}\n", report.summary()));
    }
    text
}

/// Each case's verdict kind under the severity `level_of`.
fn kinds(report: &Report, level_of: impl Fn(Defect) -> Level + Copy) -> Vec<&'static str> {
    report
        .outcomes
        .iter()
        .map(|outcome| match &outcome.verdict {
            Verdict::Skip(_) => "SKIP",
            Verdict::NoAnswer(_) => "NO ANSWER",
            _ => match Verdict::from_findings_at(&outcome.findings, level_of) {
                Verdict::Pass => "PASS",
                Verdict::Warn(_) => "WARN",
                _ => "FAIL",
            },
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_official_server_gets_its_exact_verdict() {
    let reports = judge_all().await;
    for (name, report) in &reports {
        println!("===== {name}\n{report}\n");
        let unanswered = report.unanswered_ids();
        assert!(
            unanswered.is_empty(),
            "{name} did not answer {unanswered:?}"
        );
    }

    // Every real defect kind is a FAIL, and nothing else is.
    for (name, report) in &reports {
        let failing: BTreeSet<Defect> = report
            .defects()
            .into_iter()
            .map(|(defect, _)| defect)
            .filter(|defect| defect.level() == Level::Must)
            .collect();
        let real = OFFICIAL
            .iter()
            .find(|official| official.name == *name)
            .map(|official| {
                official
                    .real_defects
                    .iter()
                    .copied()
                    .collect::<BTreeSet<_>>()
            })
            .unwrap_or_default();
        assert_eq!(failing, real, "{name}'s MUST defects");
    }

    // The exact verdicts: every case's defects, so every FAIL and WARN.
    let rendered = render(&reports);
    // A change is reviewed with `cargo insta review` (or accepted with INSTA_UPDATE=always).
    insta::assert_snapshot!("verdicts", rendered);

    // docs/conformance.md's table is these runs.
    let table = markdown_table(&reports);
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/conformance.md"
    ))
    .expect("docs/conformance.md");
    assert!(
        readme.contains(&table),
        "docs/conformance.md's table of the official servers is stale; it must read:\n{table}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_judge_with_one_level_changed_is_caught() {
    let reports = judge_all().await;
    let shown: BTreeSet<Defect> = reports
        .iter()
        .flat_map(|(_, report)| report.defects())
        .map(|(defect, _)| defect)
        .collect();
    let not_shown: BTreeSet<Defect> = Defect::ALL
        .iter()
        .copied()
        .filter(|defect| !shown.contains(defect))
        .collect();
    assert_eq!(
        not_shown,
        NOT_SHOWN_BY_OFFICIAL_SERVERS
            .iter()
            .chain(SHOWN_ONLY_IN_PRODUCTION)
            .chain(SHOWN_ONLY_ACROSS_REPLICAS)
            .copied()
            .collect(),
        "the defects no official server shows (the mutants, the production mutants, the \
         production judge's tests and the replicas' test pin their levels)"
    );
    let honest: Vec<Vec<&str>> = reports
        .iter()
        .map(|(_, report)| kinds(report, Defect::level))
        .collect();
    let mut undetected = Vec::new();
    for flipped in shown {
        let level_of = move |defect: Defect| match (defect == flipped, defect.level()) {
            (true, Level::Must) => Level::Should,
            (true, Level::Should) => Level::Must,
            (false, level) => level,
        };
        let mutated: Vec<Vec<&str>> = reports
            .iter()
            .map(|(_, report)| kinds(report, level_of))
            .collect();
        if mutated == honest {
            undetected.push(flipped);
        }
    }
    assert!(
        undetected.is_empty(),
        "levels no official server's verdict depends on: {undetected:?}"
    );
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
    assert!(exchange(address, &[request], false, false).await.closed);

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
