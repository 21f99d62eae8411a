//! The production profile on a server this repository did not write: a Node server
//! (`fixtures/node-production`: express, cors, `livekit-server-sdk`, callers verified by `jose`
//! against the JWKS URL), spawned by the `conformance` command line as a CI user would, over
//! real TCP. Its verdicts are held exactly (the `insta` snapshot
//! `snapshots/foreign_production__verdicts.snap`: every case, its outcome and defects), and
//! its only FAIL is harm.
//! Needs `node` and the fixture's npm packages (`npm ci` in the fixture; `.ci/run` does it):
//! a visible skip without them, a failure under CI.
//! Run: `cargo test -p conformance --test foreign_production`; after a deliberate change of
//! verdicts, `INSTA_UPDATE=always` on the run, then review the snapshot's diff.

mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use support::{TRUST_THE_SUITE, conformance, owned, stdout};

/// The FAILs this server earns, each real harm: a caller token without `exp` is admitted
/// (`jwtVerify` requires `exp` only when asked to), so a leaked one never stops working.
const REAL_HARM: &[&str] = &["caller/forged/no-expiry"];

/// The fixture's directory, or `None` after saying why the test is skipped.
fn fixture_or_skip() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/node-production"
    ));
    let why = match Command::new("node").arg("--version").output() {
        Err(err) => Some(format!("node is not installed: {err}")),
        Ok(_) if !dir.join("node_modules").is_dir() => Some(format!(
            "its npm packages are not installed (run `npm ci` in {})",
            dir.display()
        )),
        Ok(_) => None,
    };
    let Some(why) = why else {
        return Some(dir);
    };
    testkit::missing_tool::skip_outside_ci("the foreign production server", &why);
    None
}

/// Each case as `VERDICT id [defects]`, in run order, then the totals.
fn render(report: &Value) -> String {
    let mut text = String::new();
    for case in report["cases"].as_array().into_iter().flatten() {
        let mut defects: Vec<&str> = case["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|finding| finding["defect"].as_str())
            .collect();
        defects.dedup();
        let outcome = case["outcome"].as_str().unwrap_or("?").to_uppercase();
        let id = case["id"].as_str().unwrap_or("?");
        if defects.is_empty() {
            text.push_str(&format!("{outcome} {id}\n"));
        } else {
            text.push_str(&format!("{outcome} {id} [{}]\n", defects.join(", ")));
        }
    }
    let summary = &report["summary"];
    text.push_str(&format!(
        "{} passed, {} warned, {} failed, {} skipped\n",
        summary["passed"], summary["warned"], summary["failed"], summary["skipped"]
    ));
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_production_server_gets_its_exact_verdicts_and_fails_only_on_harm() {
    let Some(fixture) = fixture_or_skip() else {
        return;
    };
    let out = tempfile::tempdir().expect("temp dir");
    let json = out.path().join("report.json");
    // Vectors in Wycheproof's format: jose, verifying with the JWKS, must refuse each.
    let vectors = out.path().join("json_web_signature_test.json");
    std::fs::write(&vectors, test_keys::wycheproof_format::file()).expect("write the vectors");
    let mut args = owned(&TRUST_THE_SUITE);
    args.extend(owned(&[
        "--wycheproof",
        vectors.to_str().expect("UTF-8 path"),
        "--profile",
        "production",
        "--spawn",
        "node server.js",
        "--cwd",
        fixture.to_str().expect("UTF-8 path"),
        "--env",
        "SERVER_PORT={port}",
        "--env",
        "LIVEKIT_API_KEY=APInodefixture",
        "--env",
        "LIVEKIT_API_SECRET=node-fixture-secret-0123456789abcdefghij",
        "--json",
        json.to_str().expect("UTF-8 path"),
    ]));
    let output = conformance(args).await;
    let text = stdout(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = std::fs::read_to_string(&json)
        .ok()
        .and_then(|written| serde_json::from_str(&written).ok())
        .unwrap_or_else(|| panic!("no JSON report:\n{text}\n{stderr}"));
    println!("{text}");
    // A production report meets the schema too (its IDs have two slashes).
    let errors = support::schema_errors(&report);
    assert!(errors.is_empty(), "{errors:#?}");

    // Every case answered and judged: none skipped, none unanswered.
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(
        cases.len(),
        conformance::production::caller_cases().count(),
        "{text}"
    );
    let unjudged: Vec<&Value> = cases
        .iter()
        .filter(|case| !matches!(case["outcome"].as_str(), Some("pass" | "warn" | "fail")))
        .collect();
    assert!(unjudged.is_empty(), "{unjudged:#?}\n{stderr}");

    // Its FAILs are exactly the harm it does; the exit status says so.
    let failed: Vec<&str> = cases
        .iter()
        .filter(|case| case["outcome"] == "fail")
        .filter_map(|case| case["id"].as_str())
        .collect();
    assert_eq!(failed, REAL_HARM, "{text}");
    assert_eq!(output.status.code(), Some(1), "{text}\n{stderr}");

    // The exact verdicts.
    insta::assert_snapshot!("verdicts", render(&report));
}
