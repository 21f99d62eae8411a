//! The `conformance` command line: output, exit codes, filters, JUnit.
//! Run: `cargo test -p conformance --test cli`.

mod support;

use conformance::case::Needs;
use conformance::cases::CASES;
use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{settings, start};
use support::{against as args, conformance, owned, stdout};

#[tokio::test(flavor = "multi_thread")]
async fn a_conforming_server_exits_0_with_a_summary_line() {
    let server = start(&BACKENDS[0], &settings("text"));
    let output = conformance(args(&server.under_test.base_url, &[])).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    // The cases that need a server allowing room_config, which the defaults refuse.
    let skipped = CASES
        .iter()
        .filter(|case| case.needs == Needs::RoomConfigAllowed)
        .count();
    assert_eq!(skipped, 3);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("PASS ")).count(),
        CASES.len() - skipped
    );
    assert!(
        text.contains("SKIP endpoint/room-config-agents: the server refuses room_config"),
        "{text}"
    );
    assert_eq!(
        text.lines().last(),
        Some(
            format!(
                "{} passed, 0 warned, 0 failed, {skipped} skipped",
                CASES.len() - skipped
            )
            .as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_expectation_exits_1_and_says_why() {
    let server = start(&BACKENDS[0], &settings("text"));
    let mut args = args(&server.under_test.base_url, &["--only", "token/valid"]);
    args[5] = "not-the-secret-0123456789abcdefghijk".to_owned();
    let output = conformance(args).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL token/valid: [token-refused] LiveKit's verifier refuses the token"),
        "{text}"
    );
    assert!(text.ends_with(&format!(
        "0 passed, 0 warned, 1 failed, {} skipped\n",
        CASES.len() - 1
    )));
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_skip_with_a_reason_and_junit_is_written() {
    let server = start(&BACKENDS[0], &settings("text"));
    let dir = tempfile::tempdir().expect("temp dir");
    let junit = dir.path().join("results.xml");
    let output = conformance(args(
        &server.under_test.base_url,
        &[
            "--only",
            "cors/",
            "--skip",
            "cors/error-4",
            "--junit",
            junit.to_str().expect("UTF-8 path"),
        ],
    ))
    .await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("PASS cors/preflight\n"), "{text}");
    assert!(
        text.contains("SKIP cors/error-413: skipped by --skip cors/error-4"),
        "{text}"
    );
    assert!(
        text.contains("SKIP token/valid: not selected by --only"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).expect("JUnit file");
    assert!(xml.contains(&format!("tests=\"{}\"", CASES.len())), "{xml}");
    assert!(xml.contains("name=\"cors/preflight\""), "{xml}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_is_not_judged_and_exits_3() {
    // Bind then drop, so the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let output = conformance(args(&format!("http://127.0.0.1:{port}"), &[])).await;
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("harness error: cannot connect"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_exit_2() {
    for bad in [
        vec!["--url", "http://127.0.0.1:1", "--ttl", "six hours"],
        // Replicas are a running deployment's.
        vec![
            "--url",
            "http://127.0.0.1:1",
            "--url",
            "http://127.0.0.1:2",
            "--spawn",
            "x {port}",
        ],
        vec!["--url", "http://127.0.0.1:1", "--response-format", "xml"],
        vec![],
    ] {
        let output = conformance(owned(&bad)).await;
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_prints_every_case_and_sends_nothing() {
    let output = conformance(vec!["--list".to_owned()]).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0));
    for case in CASES {
        assert!(
            text.lines()
                .any(|line| line.starts_with(case.id) && line.ends_with(case.requirement)),
            "{} missing from --list",
            case.id
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_shows_a_case_and_refuses_an_unknown_one() {
    let output = conformance(owned(&["explain", "webhook/no-expiry"])).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    for part in [
        "webhook/no-expiry\n",
        "Level: MUST (a miss is a FAIL)",
        "MUST webhook-forgery: ",
        "Source: LiveKit's verifiers",
        "  POST /livekit/webhook HTTP/1.1\n",
        "flaw: NoExpiry",
    ] {
        assert!(text.contains(part), "{part:?} in\n{text}");
    }

    let renamed = conformance(owned(&["explain", "caller/forged/oversized"])).await;
    assert_eq!(renamed.status.code(), Some(0));
    assert!(stdout(&renamed).contains("was renamed caller/too-long/token"));

    let unknown = conformance(owned(&["explain", "token/no-such-case"])).await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no case \"token/no-such-case\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn show_exchange_prints_the_bytes_sent_and_received() {
    let server = start(&BACKENDS[0], &settings("text"));
    let output = conformance(args(
        &server.under_test.base_url,
        &["--only", "token/valid", "--show-exchange"],
    ))
    .await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let exchange = text
        .split_once("--- token/valid\n")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    assert!(
        exchange.starts_with("> POST /token HTTP/1.1\\r\\n\n"),
        "{text}"
    );
    assert!(exchange.contains("> content-type: application/json\\r\\n\n"));
    assert!(
        exchange
            .contains("> {\\\"roomName\\\":\\\"room1\\\",\\\"participantName\\\":\\\"alice\\\"}\n")
    );
    assert!(exchange.contains("< HTTP/1.1 200 OK\\r\\n\n"), "{text}");
    // Only the case that ran is shown.
    assert!(!text.contains("--- token/unicode-names"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn show_exchange_records_a_scenarios_raw_connection() {
    let server = start(&BACKENDS[0], &settings("text"));
    let output = conformance(args(
        &server.under_test.base_url,
        &["--only", "http/keep-alive", "--show-exchange"],
    ))
    .await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let exchange = text
        .split_once("--- http/keep-alive\n")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    // Two requests on one connection, and both answers.
    assert_eq!(
        exchange.matches("> POST /token HTTP/1.1\\r\\n\n").count(),
        2,
        "{text}"
    );
    assert_eq!(
        exchange.matches("< HTTP/1.1 200 OK\\r\\n").count(),
        2,
        "{text}"
    );
}
