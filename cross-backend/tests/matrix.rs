//! The results matrix: the suite's reports on our six backends and on the emulated official
//! servers, put side by side by `conformance::matrix`, looked at in headless Chromium, and
//! kept as docs/matrix.html.
//!
//! - The page renders from `file://`, every report's every case has its cell, and the cells'
//!   colours and the summary's counts are the reports'.
//! - docs/matrix.html holds the same cells (the reasons' wording aside); regenerate it, and
//!   the picture docs/matrix.png, with
//!   `UPDATE_DOCS=1 cargo test -p cross-backend --test matrix`.
//!
//! Without Chromium the page is still checked as text, and the test says the browser part
//! was skipped (under CI, which installs Chromium, a missing browser fails).

#[path = "support/browser.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use conformance::matrix::{Matrix, class};
use conformance::{Report, Selection};
use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{settings, start};
use official_emulations::OFFICIAL;
use serde_json::Value;

/// The credentials the emulations sign with.
const API_KEY: &str = "APIofficial";
const API_SECRET: &str = "official-emulation-secret-0123456789abcdef";

/// Where the docs keep the page and its picture.
fn docs(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs")).join(file)
}

/// `report` with what differs between runs (the time, a loopback port) made fixed, so the
/// page in the docs only changes with the verdicts.
fn fixed(mut report: Report, name: String) -> (String, Value) {
    report.run.name.clone_from(&name);
    report.run.url = "in-process".to_owned();
    report.run.started_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_601_600);
    report.run.case_set = Some(conformance::catalogue::case_set_digest());
    (name, report.json())
}

/// Our six backends on the full contract, then every emulated official server on its
/// profile, labelled as an emulation.
async fn reports() -> Vec<(String, Value)> {
    let mut reports = Vec::new();
    for backend in BACKENDS {
        let server = start(backend, &settings("text"));
        let report = conformance::run(&server.under_test, &Selection::default())
            .await
            .expect("reachable");
        reports.push(fixed(report, backend.name().to_owned()));
    }
    for official in OFFICIAL {
        let server = official_emulations::start(&official.quirks, API_KEY, API_SECRET)
            .await
            .expect("the emulation serves");
        let selection = Selection {
            profile: official.profile,
            ..Selection::default()
        };
        let report = conformance::run(&server, &selection)
            .await
            .expect("reachable");
        reports.push(fixed(report, format!("{} (emulation)", official.name)));
    }
    reports
}

/// `(case, server, outcome)` of every cell of a page.
fn cells(page: &str) -> BTreeSet<(String, String, String)> {
    let attribute = |tag: &str, name: &str| -> String {
        let start = tag
            .find(&format!("{name}=\""))
            .map(|at| at + name.len() + 2);
        start
            .and_then(|start| tag[start..].split('"').next())
            .unwrap_or_default()
            .to_owned()
    };
    page.split("<td class=\"cell ")
        .skip(1)
        .map(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            (
                attribute(tag, "data-case"),
                attribute(tag, "data-server"),
                attribute(tag, "data-outcome"),
            )
        })
        .collect()
}

/// The cells every report asks for: each of its cases, with its outcome.
fn expected_cells(reports: &[(String, Value)]) -> BTreeSet<(String, String, String)> {
    let all_ids: BTreeSet<String> = reports
        .iter()
        .flat_map(|(_, report)| report["cases"].as_array().cloned().unwrap_or_default())
        .map(|case| case["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut cells = BTreeSet::new();
    for (index, (_, report)) in reports.iter().enumerate() {
        for id in &all_ids {
            let outcome = report["cases"]
                .as_array()
                .and_then(|cases| cases.iter().find(|case| case["id"] == id.as_str()))
                .map_or("absent", |case| case["outcome"].as_str().unwrap_or("?"));
            cells.insert((id.clone(), index.to_string(), outcome.to_owned()));
        }
    }
    cells
}

#[tokio::test(flavor = "multi_thread")]
async fn the_matrix_shows_every_report_and_the_docs_hold_it() {
    let reports = reports().await;
    let matrix = Matrix::from_reports(&reports).expect("reports of this schema");
    let page = matrix.html(
        "Token server conformance: this repository's backends and the official servers (emulated)",
    );

    // As text: one cell per case and report, with the report's outcome.
    let expected = expected_cells(&reports);
    assert_eq!(cells(&page), expected);
    for (name, _) in &reports {
        assert!(page.contains(&format!(">{name}</th>")), "{name}'s column");
    }
    assert!(
        !page.contains(" src=") && !page.contains(" href=") && !page.contains("url("),
        "no external asset"
    );

    // The docs hold the same page.
    let kept = docs("matrix.html");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&kept, &page).expect("write docs/matrix.html");
    }
    let in_docs = std::fs::read_to_string(&kept).unwrap_or_default();
    assert_eq!(
        cells(&in_docs),
        expected,
        "docs/matrix.html is stale: UPDATE_DOCS=1 cargo test -p cross-backend --test matrix"
    );

    // In a browser, from file://.
    let Some(browser) = support::browser_or_skip("the matrix's browser check").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("matrix.html");
    std::fs::write(&file, &page).expect("write the page");
    browser
        .go_to(&format!("file://{}", file.display()))
        .await
        .expect("the page opens");
    let seen = browser
        .evaluate(
            "const cells = [...document.querySelectorAll('td.cell')].map(td => ({
                 case: td.dataset.case, server: td.dataset.server, outcome: td.dataset.outcome,
                 class: td.className, background: getComputedStyle(td).backgroundColor,
                 shown: td.getBoundingClientRect().width > 0,
             }));
             const summary = [...document.querySelectorAll('#summary tbody tr')].map(tr =>
                 [...tr.querySelectorAll('td')].slice(1, 6).map(td => Number(td.textContent)));
             return { cells, summary, title: document.title };",
        )
        .await
        .expect("the page answers");
    let screenshot = browser.screenshot(1280, 1600).await.expect("a screenshot");
    browser.close().await;

    let rendered: BTreeSet<(String, String, String)> = seen["cells"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|cell| {
            let text = |name: &str| cell[name].as_str().unwrap_or_default().to_owned();
            assert_eq!(cell["shown"], true, "{cell}");
            assert_eq!(
                text("class"),
                format!("cell {}", class(Some(&text("outcome"))))
            );
            (text("case"), text("server"), text("outcome"))
        })
        .collect();
    assert_eq!(
        rendered, expected,
        "every case of every report has its cell"
    );
    // One colour per outcome, and different outcomes apart.
    let mut colours: Vec<(String, String)> = seen["cells"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|cell| {
            let text = |name: &str| cell[name].as_str().unwrap_or_default().to_owned();
            (text("outcome"), text("background"))
        })
        .collect();
    colours.sort();
    colours.dedup();
    let outcomes: BTreeSet<&String> = colours.iter().map(|(outcome, _)| outcome).collect();
    let backgrounds: BTreeSet<&String> = colours.iter().map(|(_, colour)| colour).collect();
    assert_eq!(
        outcomes.len(),
        colours.len(),
        "one colour per outcome: {colours:?}"
    );
    assert_eq!(
        backgrounds.len(),
        colours.len(),
        "outcomes told apart: {colours:?}"
    );
    for (outcome, colour) in &colours {
        let expected = match outcome.as_str() {
            "pass" => "rgb(218, 251, 225)",
            "warn" => "rgb(255, 248, 197)",
            "fail" => "rgb(255, 235, 233)",
            "skip" => "rgb(246, 248, 250)",
            "absent" => "rgb(255, 255, 255)",
            other => panic!("no outcome {other} in these reports"),
        };
        assert_eq!(colour, expected, "{outcome}");
    }
    // The summary's counts are the reports'.
    let counts: Vec<Vec<u64>> = reports
        .iter()
        .map(|(_, report)| {
            ["passed", "warned", "failed", "skipped", "harness_errors"]
                .iter()
                .map(|name| report["summary"][name].as_u64().unwrap_or(u64::MAX))
                .collect()
        })
        .collect();
    let shown: Vec<Vec<u64>> = seen["summary"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|n| n.as_u64().unwrap_or(u64::MAX))
                .collect()
        })
        .collect();
    assert_eq!(shown, counts);
    assert!(screenshot.starts_with(b"\x89PNG"), "a PNG");
    let picture = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("matrix.png");
    std::fs::write(&picture, &screenshot).expect("write the screenshot");
    println!("screenshot: {}", picture.display());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(docs("matrix.png"), &screenshot).expect("write docs/matrix.png");
    }
}
