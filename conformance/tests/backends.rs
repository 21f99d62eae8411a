//! Every case against every backend in-process, and the backends against each other.

mod support;

use std::collections::BTreeSet;

use conformance::case::{Check, Request};
use conformance::cases::CASES;
use conformance::judge::{Observed, decode_segment};
use conformance::runner::{client, send};
use conformance::{Selection, run};
use serde_json::Value;
use support::{BACKENDS, FORMATS, settings, start};

#[tokio::test(flavor = "multi_thread")]
async fn every_backend_passes_every_case_in_both_formats() {
    let mut failures = Vec::new();
    for backend in BACKENDS {
        for (_, format) in FORMATS {
            let server = start(backend, &settings(format));
            let report = run(&server.target, &Selection::default())
                .await
                .expect("reachable");
            println!("--- {} ({format})\n{report}", backend.name);
            if report.passed() != CASES.len() {
                failures.push(format!(
                    "{} ({format}): {:?}",
                    backend.name,
                    report.failed_ids()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "failing cases: {failures:#?}");
}

/// What is compared between backends. Everything else is left out on purpose, for the
/// reason given, and this is the only place such choices are made:
/// - header order, `date`: framework noise the contract does not fix;
/// - `content-length`: follows from the body, which is compared;
/// - `vary`: each CORS middleware words it differently, and with `*` no `Vary` is needed;
/// - tokens are compared by decoded claims without `nbf`/`exp`, since they are minted at
///   different instants (the suite checks `exp - nbf` on each backend);
/// - `access-control-allow-headers` is compared as a case-insensitive set;
/// - `Allow` is compared only on 405, where the contract sets it: axum also adds it to
///   responses passing its method router, such as preflights;
/// - `Connection` is compared only on 413, where the contract sets it: elsewhere it reflects
///   how a framework treats a body the handler did not read (actix says `close`, hyper
///   drains small bodies and keeps the connection);
/// - CORS headers are compared only when the request carries `Origin`: without one a response
///   is not read by a browser, and tower-http sends them anyway while actix-cors does not.
#[derive(Debug, PartialEq)]
struct Comparable {
    status: u16,
    content_type: Option<String>,
    allow: Option<String>,
    connection: Option<String>,
    allow_origin: Option<String>,
    allow_methods: Option<String>,
    allow_headers: BTreeSet<String>,
    max_age: Option<String>,
    body: Value,
}

fn comparable(request: &Request, observed: &Observed) -> Comparable {
    let header = |name: &str| {
        observed
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let from_page = request.headers.iter().any(|(name, _)| *name == "origin");
    let cors_header = |name: &str| header(name).filter(|_| from_page);
    let text = String::from_utf8_lossy(&observed.body).into_owned();
    let body = match decode_segment(&text, 1) {
        Ok(Value::Object(mut claims)) if observed.status == 200 => {
            claims.remove("nbf");
            claims.remove("exp");
            let header = decode_segment(&text, 0).unwrap_or_default();
            serde_json::json!({"jwt header": header, "claims": claims})
        }
        _ => Value::String(text),
    };
    Comparable {
        status: observed.status,
        content_type: header("content-type"),
        allow: header("allow").filter(|_| observed.status == 405),
        connection: header("connection")
            .map(|v| v.to_ascii_lowercase())
            .filter(|_| observed.status == 413),
        allow_origin: cors_header("access-control-allow-origin"),
        allow_methods: cors_header("access-control-allow-methods"),
        allow_headers: cors_header("access-control-allow-headers")
            .map(|list| {
                list.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        max_age: cors_header("access-control-max-age"),
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
        .map(|backend| (backend.name, start(backend, &settings(format))))
        .collect();
    let client = client();
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
            let observed = send(&client, &server.target, &request)
                .await
                .unwrap_or_else(|err| panic!("{id} on {name}: {err}"));
            answers.push((*name, comparable(&request, &observed)));
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
