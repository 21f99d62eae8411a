//! Every case against every backend in-process, and the backends against each other.
//! Run: `cargo test -p cross-backend --test backends`.

use std::collections::BTreeMap;

use conformance::case::{Check, Request};
use conformance::cases::CASES;
use conformance::judge::Observed;
use conformance::runner::{client, send};
use conformance::{Selection, run};
use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{FORMATS, settings, settings_with, start};
use serde_json::Value;
use testkit::comparable::comparable_body;

#[tokio::test(flavor = "multi_thread")]
async fn every_backend_passes_every_case_in_both_formats() {
    let mut failures = Vec::new();
    // The third configuration lets clients set room_config and names another server URL.
    let agents = settings_with(
        "json",
        &[
            "--allow-room-config",
            "--livekit-url",
            "wss://example.livekit.cloud",
        ],
    );
    for backend in BACKENDS {
        for settings in [settings("text"), settings("json"), agents.clone()] {
            let format = settings.service.response_format;
            let server = start(backend, &settings);
            let report = run(&server.under_test, &Selection::default())
                .await
                .expect("reachable");
            println!("--- {} ({format:?})\n{report}", backend.name());
            // Skipped: the cases for the other room_config setting.
            let other_setting = CASES
                .iter()
                .filter(|case| case.needs.unmet(&server.under_test).is_some())
                .count();
            if report.failed() > 0 || report.warned() > 0 || report.skipped() != other_setting {
                failures.push(format!(
                    "{} ({format:?}): {:?}",
                    backend.name(),
                    report.failed_ids()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "failing cases: {failures:#?}");
}

/// What is compared between backends: the status, every header with all its values (order
/// aside) but `date` (the clock), and the body as [`comparable_body`] says (tokens by claims,
/// without the instants and generated names). Nothing else is left out; `tests/wire.rs`
/// compares raw requests the same way.
#[derive(Debug, PartialEq)]
struct Comparable {
    status: u16,
    headers: BTreeMap<String, Vec<String>>,
    body: Value,
}

fn comparable(observed: &Observed) -> Comparable {
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in observed.headers.keys() {
        if name == "date" {
            continue;
        }
        let mut values: Vec<String> = observed
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        values.sort();
        headers.insert(name.as_str().to_owned(), values);
    }
    let body = comparable_body(&observed.body);
    Comparable {
        status: observed.status,
        headers,
        body,
    }
}

/// Requests the data cases do not already send, but on which backends must still agree.
const EXTRA_REQUESTS: &[Request] = &[
    Request {
        method: "DELETE",
        path: "/token",
        headers: &[("origin", "http://localhost:5173")],
        body: conformance::case::Body::Empty,
    },
    Request {
        method: "POST",
        path: "/token",
        headers: &[("content-type", "application/json")],
        body: conformance::case::Body::Bytes(br#"{"roomName":"r","participantName":5}"#),
    },
    Request {
        method: "POST",
        path: "/token",
        headers: &[("content-type", "application/json")],
        body: conformance::case::Body::Bytes(br#"{"roomName":"r""#),
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn backends_answer_alike_in_both_formats() {
    for (_, format) in FORMATS {
        answer_alike(format).await;
    }
}

async fn answer_alike(format: &str) {
    let servers: Vec<_> = BACKENDS
        .iter()
        .map(|backend| (backend.name(), start(backend, &settings(format))))
        .collect();
    let client = client().expect("an HTTP client");
    let requests = CASES
        .iter()
        .filter_map(|case| match case.check {
            Check::Exchange { request, .. } => Some((case.id, request)),
            Check::Scenario(_) => None,
        })
        .chain(EXTRA_REQUESTS.iter().map(|request| ("extra", *request)));
    let mut differences = Vec::new();
    let mut compared = 0;
    for (id, request) in requests {
        let mut answers = Vec::new();
        for (name, server) in &servers {
            let observed = send(&client, &server.under_test, &request)
                .await
                .unwrap_or_else(|err| panic!("{id} on {name}: {err}"));
            answers.push((*name, comparable(&observed)));
        }
        let (first_name, first) = &answers[0];
        for (name, answer) in &answers[1..] {
            if answer != first {
                differences.push(format!(
                    "{format}: {id} {} {}: {first_name} {first:?}\n  vs {name} {answer:?}",
                    request.method, request.path
                ));
            }
        }
        compared += 1;
    }
    assert!(compared > 40, "only {compared} requests compared");
    assert!(
        differences.is_empty(),
        "{} differences, the first ones:\n{}",
        differences.len(),
        differences[..differences.len().min(5)].join("\n")
    );
}
