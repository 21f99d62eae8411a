//! The suite as a CI user runs it: severity levels and `--strict`, profiles, `--spawn`, the JSON
//! report against its schema, JUnit levels, baselines, and the generated CONTRACT.md.
//! Run: `cargo test -p conformance --test ci`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use cross_backend::seed::{Seed, start_seed};
use support::{TRUST_THE_SUITE, against, conformance, owned, stdout};

fn ids(text: &str, verdict: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix(verdict))
        .map(|rest| rest.split(':').next().unwrap_or_default().trim().to_owned())
        .collect()
}

/// The seed's defects, and nothing else, fail: a 500 on array, `null` and string bodies, a
/// token for a numeric room name, no body limit (a megabyte accepted).
const SEED_DEFECTS: &[&str] = &[
    "token/room-number",
    "token/array-body",
    "token/null-body",
    "token/string-body",
    "token/megabyte-body",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_text_html_seed_only_warns_and_strict_fails_it() {
    let seed = start_seed(Seed::HtmlOnly).await;
    let output = conformance(against(&seed.base_url, &["--profile", "openvidu-basic"])).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(ids(&text, "FAIL ").is_empty(), "{text}");
    let warned = ids(&text, "WARN ");
    assert!(warned.contains(&"token/valid".to_owned()), "{text}");
    assert!(
        text.contains("WARN token/valid: [body-style] Content-Type \"text/html"),
        "{text}"
    );
    assert!(
        text.contains("SKIP webhook/valid-suite-signed: not part of the openvidu-basic profile"),
        "{text}"
    );
    let summary = text.lines().last().unwrap_or_default();
    assert!(
        summary.contains(&format!("{} warned, 0 failed", warned.len())),
        "{summary}"
    );

    let strict = conformance(against(
        &seed.base_url,
        &["--profile", "openvidu-basic", "--strict"],
    ))
    .await;
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seed_with_defects_fails_exactly_on_them() {
    let seed = start_seed(Seed::WithDefects).await;
    let output = conformance(against(&seed.base_url, &["--profile", "openvidu-basic"])).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let mut failed = ids(&text, "FAIL ");
    failed.sort();
    let mut expected: Vec<String> = SEED_DEFECTS.iter().map(|id| (*id).to_owned()).collect();
    expected.sort();
    assert_eq!(failed, expected, "{text}");
    // The summary names the defects, each with its cases.
    for line in [
        "  FAIL mints tokens for invalid input: 1 case (token/room-number) [token-for-invalid-input]",
        "  FAIL no body limit (a megabyte accepted): 1 case (token/megabyte-body) [no-body-limit]",
        "  WARN a body limit above the contract's: 3 cases (token/oversized, token/oversized-chunked, cors/error-413) [higher-body-limit]",
        "  FAIL 5xx for a client's request: 3 cases (token/array-body, token/null-body, token/string-body) [server-error]",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_baseline_gates_on_new_failures_and_fixed_cases() {
    let seed = start_seed(Seed::WithDefects).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline.txt");
    let path = |p: &Path| p.to_str().expect("UTF-8 path").to_owned();
    let profile = ["--profile", "openvidu-basic"];

    let written = conformance(against(
        &seed.base_url,
        &[&profile[..], &["--write-baseline", &path(&baseline)]].concat(),
    ))
    .await;
    assert_eq!(written.status.code(), Some(1));
    let text = std::fs::read_to_string(&baseline).expect("baseline written");
    for id in SEED_DEFECTS {
        assert!(
            text.lines().any(|line| line == *id),
            "{id} missing:\n{text}"
        );
    }

    // Unchanged: every failure is known.
    let same = conformance(against(
        &seed.base_url,
        &[&profile[..], &["--expect", &path(&baseline)]].concat(),
    ))
    .await;
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    assert!(stdout(&same).contains(&format!(
        "baseline: {} known, 0 new, 0 fixed",
        SEED_DEFECTS.len()
    )));

    // A case listed that now passes must leave the baseline.
    std::fs::write(&baseline, format!("{text}token/valid\n")).expect("write");
    let fixed = conformance(against(
        &seed.base_url,
        &[&profile[..], &["--expect", &path(&baseline)]].concat(),
    ))
    .await;
    assert_eq!(fixed.status.code(), Some(1));
    assert!(stdout(&fixed).contains("fixed: token/valid (remove it from the baseline)"));

    // A failure not listed is new.
    let without_one = text.replace("token/array-body\n", "");
    std::fs::write(&baseline, without_one).expect("write");
    let new = conformance(against(
        &seed.base_url,
        &[&profile[..], &["--expect", &path(&baseline)]].concat(),
    ))
    .await;
    assert_eq!(new.status.code(), Some(1));
    assert!(
        stdout(&new).contains("new failure: token/array-body"),
        "{}",
        stdout(&new)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_json_report_meets_its_schema_and_junit_carries_levels() {
    let seed = start_seed(Seed::WithDefects).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let output = conformance(against(
        &seed.base_url,
        &[
            "--profile",
            "openvidu-basic",
            "--name",
            "seed (emulated)",
            "--json",
            json.to_str().expect("UTF-8"),
            "--junit",
            junit.to_str().expect("UTF-8"),
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON written")).expect("JSON");
    let errors = support::schema_errors(&report);
    assert!(errors.is_empty(), "{errors:#?}");
    // And the schema can fail: a report without its version does not pass.
    let mut broken = report.clone();
    broken
        .as_object_mut()
        .expect("object")
        .remove("schema_version");
    assert!(!support::report_schema().is_valid(&broken));

    assert_eq!(report["profile"], "openvidu-basic");
    assert_eq!(report["summary"]["failed"], SEED_DEFECTS.len());
    let case = |id: &str| {
        report["cases"]
            .as_array()
            .and_then(|cases| cases.iter().find(|c| c["id"] == id))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(case("token/array-body")["outcome"], "fail");
    assert_eq!(case("token/valid")["outcome"], "warn");
    assert_eq!(case("token/valid")["level"], "MUST");
    assert_eq!(case("webhook/valid-suite-signed")["outcome"], "skip");
    assert_eq!(report["schema_version"], 3);
    assert_eq!(report["target"]["name"], "seed (emulated)");
    assert_eq!(report["target"]["url"], seed.base_url.as_str());
    assert_eq!(
        report["suite"]["case_set"],
        conformance::catalogue::case_set_digest()
    );
    assert_eq!(report["suite"]["version"], conformance::suite::VERSION);
    let started = report["started_at"].as_str().unwrap_or_default();
    assert!(
        started.len() == 20 && started.ends_with('Z'),
        "RFC 3339 in UTC to the second: {started}"
    );
    assert!(
        stdout(&output).starts_with(&format!(
            "token-server-conformance {} (cases {}), profile openvidu-basic, seed (emulated) ({}), {started}\n",
            conformance::suite::VERSION,
            conformance::catalogue::case_set_digest(),
            seed.base_url
        )),
        "the text report names what judged the server:\n{}",
        stdout(&output)
    );
    assert_eq!(
        case("token/array-body")["findings"][0]["defect"],
        "server-error"
    );
    assert_eq!(case("token/array-body")["findings"][0]["level"], "MUST");
    let defect = |id: &str| {
        report["defects"]
            .as_array()
            .and_then(|defects| defects.iter().find(|d| d["id"] == id))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        defect("no-body-limit")["cases"],
        serde_json::json!(["token/megabyte-body"])
    );
    assert_eq!(defect("higher-body-limit")["level"], "SHOULD");
    assert_eq!(defect("body-style")["level"], "SHOULD");

    let xml = std::fs::read_to_string(&junit).expect("JUnit written");
    for property in [
        format!(
            "name=\"suite-version\" value=\"{}\"",
            conformance::suite::VERSION
        ),
        format!(
            "name=\"case-set\" value=\"{}\"",
            conformance::catalogue::case_set_digest()
        ),
        "name=\"profile\" value=\"openvidu-basic\"".to_owned(),
        "name=\"target-name\" value=\"seed (emulated)\"".to_owned(),
        format!("timestamp=\"{}", &started[..19]),
    ] {
        assert!(xml.contains(&property), "{property} in {xml}");
    }
    assert!(xml.contains("name=\"level\" value=\"MUST\""), "{xml}");
    assert!(xml.contains("WARN: [body-style] Content-Type"), "{xml}");
    assert!(
        xml.contains("name=\"defect:server-error\" value=\"MUST 5xx for a client&apos;s request: token/array-body token/null-body token/string-body\""),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("failures=\"{}\"", SEED_DEFECTS.len())),
        "{xml}"
    );
}

/// A backend binary, built next to this crate's binary when it is not there yet.
fn backend_binary() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_conformance"))
        .parent()
        .expect("a target directory");
    let exe = dir.join("server-axum");
    if !exe.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "server-axum"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        assert!(
            build.status().expect("run cargo").success(),
            "cannot build server-axum"
        );
    }
    exe
}

#[tokio::test(flavor = "multi_thread")]
async fn spawn_starts_judges_and_stops_a_real_backend() {
    let exe = backend_binary();
    let dir = tempfile::tempdir().expect("temp dir");
    let output = conformance(owned(&[
        "--spawn",
        exe.to_str().expect("UTF-8"),
        "--env",
        "SERVER_HOST=127.0.0.1",
        "--env",
        "SERVER_PORT={port}",
        "--env",
        "TOKEN_RESPONSE_FORMAT=json",
        "--cwd",
        dir.path().to_str().expect("UTF-8"),
        "--profile",
        "openvidu-v3",
        "--strict",
    ]))
    .await;
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("PASS webhook/valid-livekit-signed"), "{text}");
    assert!(
        text.contains("SKIP http/healthz: not part of the openvidu-v3 profile"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_production_profile_fills_its_placeholders_and_fails_an_open_server() {
    let exe = backend_binary();
    let dir = tempfile::tempdir().expect("temp dir");
    let vectors = dir.path().join("json_web_signature_test.json");
    std::fs::write(&vectors, test_keys::wycheproof_format::file()).expect("write the vectors");
    let args = |production: bool| {
        let mut args = vec![
            "--wycheproof",
            vectors.to_str().expect("UTF-8"),
            "--spawn",
            exe.to_str().expect("UTF-8"),
            "--env",
            "SERVER_HOST=127.0.0.1",
            "--env",
            "SERVER_PORT={port}",
            "--cwd",
            dir.path().to_str().expect("UTF-8"),
            "--profile",
            "production",
            // They wait up to 30 s each; cross-backend judges every backend on them.
            "--skip",
            "caller/keys/rotation",
            "--skip",
            "caller/keys/source-down",
            "--strict",
        ];
        if production {
            // Production refuses LiveKit's development credentials, short secrets and this
            // repository's test keys (the suite's JWKS) unless told it is tried locally.
            args.extend([
                "--env",
                "TOKEN_SERVER_MODE=production",
                "--env",
                "TRY_PRODUCTION_LOCALLY=true",
                "--env",
                concat!(
                    "TOKEN_POLICY_FILE=",
                    env!("CARGO_MANIFEST_DIR"),
                    "/../examples/production/any-room.toml"
                ),
                "--env",
                "LIVEKIT_API_KEY=APIconformance",
                "--env",
                "LIVEKIT_API_SECRET=conformance-production-secret-0123456789",
            ]);
            args.extend(TRUST_THE_SUITE);
        }
        owned(&args)
    };
    let output = conformance(args(true)).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("PASS caller/forged/alg-none"), "{text}");
    assert!(text.contains("PASS caller/forged/wycheproof"), "{text}");
    // The tutorial contract gives anyone a token: every forgery is admitted.
    let open = conformance(args(false)).await;
    let text = stdout(&open);
    assert_eq!(open.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL caller/forged/alg-none"), "{text}");
    assert!(text.contains("caller-forgery"), "{text}");
    assert!(
        text.contains("FAIL caller/forged/wycheproof")
            && text.contains("tcId 2 (rejectsModifiedSignature)"),
        "{text}"
    );
}

/// `--wycheproof` is refused, in one line naming it, outside the production profile and for a
/// file that is not Wycheproof's JSON Web Signature vectors; nothing is run.
#[tokio::test(flavor = "multi_thread")]
async fn wycheproof_files_are_checked_before_anything_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let other = dir.path().join("json_web_key_test.json");
    std::fs::write(
        &other,
        r#"{"testGroups": [{"type": "JsonWebKey", "tests": []}]}"#,
    )
    .expect("write");
    let missing = dir.path().join("missing.json");
    let other_type = r#"test group 0 is of type "JsonWebKey", not JsonWebSignature"#;
    for (profile, file, says) in [
        (
            "full",
            &other,
            "applies to the production profile only".to_owned(),
        ),
        (
            "production",
            &other,
            format!("{}: {other_type}", other.display()),
        ),
        (
            "production",
            &missing,
            format!("{}: No such file", missing.display()),
        ),
    ] {
        let file = file.to_str().expect("UTF-8");
        let args = [
            "--url",
            "http://127.0.0.1:1",
            "--profile",
            profile,
            "--wycheproof",
            file,
        ];
        let says = format!("--wycheproof {says}");
        let output = conformance(owned(&args)).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&says), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing runs");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn spawn_reports_servers_that_exit_or_never_listen() {
    let exits = conformance(owned(&["--spawn", "echo starting on {port}; exit 7"])).await;
    let stderr = String::from_utf8_lossy(&exits.stderr);
    assert_eq!(exits.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("harness error: the server exited"),
        "{stderr}"
    );
    assert!(exits.stdout.is_empty(), "no case is judged");
    assert!(
        stderr.contains("starting on"),
        "the server's output is shown: {stderr}"
    );

    let silent = conformance(owned(&[
        "--spawn",
        "sleep 30 # {port}",
        "--ready-timeout",
        "0.5",
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&silent.stderr);
    assert_eq!(silent.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("did not accept connections"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jwks_that_cannot_be_served_is_a_harness_error_not_a_fail() {
    // The port the suite is told to serve its JWKS on is taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("its address").port().to_string();
    let output = conformance(owned(&[
        "--profile",
        "production",
        "--url",
        "http://127.0.0.1:1",
        "--jwks-port",
        &port,
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("harness error: cannot serve the JWKS"),
        "{stderr}"
    );
    assert!(!stdout(&output).contains("FAIL"), "nothing is judged");
}

#[test]
fn contract_md_is_the_generated_table() {
    let contract = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/CONTRACT.md"))
        .expect("conformance/CONTRACT.md");
    for args in [
        &["--list", "--format", "markdown", "--browser"][..],
        &["--list", "--format", "markdown", "--profile", "production"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_conformance"))
            .args(args)
            .output()
            .expect("run conformance");
        let table = String::from_utf8_lossy(&output.stdout);
        assert!(table.lines().count() > 10, "{table}");
        assert!(
            contract.contains(table.as_ref()),
            "conformance/CONTRACT.md is stale: regenerate its table with\n  \
             cargo run -p conformance -- {}",
            args.join(" ")
        );
    }
}

#[test]
fn the_readme_lists_every_defect_with_its_level() {
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/conformance.md"
    ))
    .expect("docs/conformance.md");
    let table = conformance::harm::markdown_table();
    assert!(
        readme.contains(&table),
        "docs/conformance.md's defect table is stale; it must read:\n{table}"
    );
}

#[test]
fn the_readme_lists_every_backend() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let table = cross_backend::backends::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's backend table is stale; it must read:\n{table}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn matrix_puts_reports_side_by_side_with_badges() {
    let seed = start_seed(Seed::WithDefects).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).to_str().expect("UTF-8").to_owned();
    for (name, profile) in [("seed", "openvidu-basic"), ("seed as v3", "openvidu-v3")] {
        let json = path(&format!("{profile}.json"));
        conformance(against(
            &seed.base_url,
            &["--profile", profile, "--name", name, "--json", &json],
        ))
        .await;
    }
    let output = conformance(owned(&[
        "matrix",
        &path("openvidu-basic.json"),
        &path("openvidu-v3.json"),
        "--html",
        &path("matrix.html"),
        "--badges",
        &path("badges"),
    ]))
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let page = std::fs::read_to_string(path("matrix.html")).expect("the page");
    assert!(page.contains(">seed</th>") && page.contains(">seed as v3</th>"));
    assert!(
        page.contains("data-case=\"token/array-body\" data-server=\"0\" data-outcome=\"fail\"")
    );
    let badge: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(path("badges/seed.json")).expect("the seed's badge"),
    )
    .expect("JSON");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(path("openvidu-basic.json")).expect("the report"),
    )
    .expect("JSON");
    assert_eq!(
        badge,
        serde_json::json!({
            "schemaVersion": 1,
            "label": "token server conformance",
            "message": format!(
                "{} fail, {} warn (openvidu-basic)",
                SEED_DEFECTS.len(),
                report["summary"]["warned"]
            ),
            "color": "red",
        })
    );
    assert!(dir.path().join("badges/seed-as-v3.json").exists());

    // A report of another schema version is refused, naming the file.
    let old = path("old.json");
    std::fs::write(&old, r#"{"schema_version": 2}"#).expect("write");
    let refused = conformance(owned(&["matrix", &old, "--html", &path("x.html")])).await;
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("old.json: schema_version 2 is not 3"),
        "{stderr}"
    );
}
