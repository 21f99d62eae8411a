//! The harness on a tiny budget: the structure of what it reports, never its speed.

use std::time::Duration;

use bench::report::Gate;
use bench::server::ContenderSpec;
use server_runtime::Args;
use token_core::TokenService;

/// Serves server-axum in this process, on the dev credentials, and returns its URL.
fn start_axum() -> String {
    // As the bench starts the backends: without rate limits (see `server::start_process`).
    let settings =
        Args::from_args("test", ["test", "--rate-limits", "off"]).expect("valid settings");
    let listener = server_runtime::bind(([127, 0, 0, 1], 0).into()).expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(server_axum::serve(
        listener,
        TokenService::new(&settings.service),
        std::future::pending(),
    ));
    url
}

fn config(contenders: Vec<ContenderSpec>) -> bench::Config {
    bench::Config {
        contenders,
        concurrency: vec![1, 4],
        warmup: Duration::from_millis(100),
        measure: Duration::from_millis(300),
        repetitions: 2,
        bench_exe: env!("CARGO_BIN_EXE_bench").into(),
        ..bench::Config::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tiny_comparison_reports_every_figure() {
    let url = start_axum();
    let config = config(vec![
        ContenderSpec::Baseline,
        ContenderSpec::Url("axum".into(), url),
    ]);
    let report = bench::compare(&config, &|_| {}).await;

    let [baseline, axum] = &report.contenders[..] else {
        panic!("two contenders expected: {report:?}");
    };
    assert_eq!(baseline.gate, Gate::Exempt);
    // All but the cases for servers that allow room_config, which the defaults refuse.
    let needing_room_config = conformance::cases::CASES
        .iter()
        .filter(|case| case.needs == conformance::case::Needs::RoomConfigAllowed)
        .count();
    assert_eq!(
        axum.gate,
        Gate::Passed(conformance::cases::CASES.len() - needing_room_config)
    );
    // The baseline is a process we started: it has process figures; a URL contender has none.
    assert!(baseline.startup_ms.is_some_and(|ms| ms > 0.0));
    assert!(baseline.binary_bytes.is_some_and(|b| b > 0));
    assert!(baseline.peak_rss_kib.is_some_and(|k| k > 0));
    assert!(axum.startup_ms.is_none() && axum.peak_rss_kib.is_none());
    for contender in [baseline, axum] {
        assert_eq!(
            contender
                .rows
                .iter()
                .map(|r| r.concurrency)
                .collect::<Vec<_>>(),
            [1, 4]
        );
        for row in &contender.rows {
            assert!(
                row.rps_min <= row.rps_median && row.rps_median <= row.rps_max,
                "{row:?}"
            );
            assert!(row.rps_min > 0.0, "{row:?}");
            assert!(
                row.p50_us <= row.p90_us && row.p90_us <= row.p99_us,
                "{row:?}"
            );
            assert!(row.p99_us <= row.p999_us, "{row:?}");
            assert_eq!(
                (row.non_2xx, row.errors),
                (0, 0),
                "{}: {row:?}",
                contender.name
            );
            let ratios = row.vs_baseline.as_ref().expect("ratios to the baseline");
            assert!(ratios.rps > 0.0 && ratios.p99 > 0.0);
        }
    }
    // Open loop at three fractions of the ceiling, for both; noisy for the token server only
    // (every answer the contract's); idle cost for the process only.
    for contender in [baseline, axum] {
        assert_eq!(
            contender.open_loop.len(),
            config.open_loop_fractions.len(),
            "{}",
            contender.name
        );
        for row in &contender.open_loop {
            assert!(
                row.achieved_rps > 0.0 && row.p50_us <= row.p99_us,
                "{row:?}"
            );
            // The row is the median run's; the range spans every run's p99.
            let (lowest, highest) = row.p99_range_us;
            assert!(lowest <= row.p99_us && row.p99_us <= highest, "{row:?}");
            assert_eq!(row.unexpected, 0, "{row:?}");
        }
    }
    assert!(baseline.noisy.is_none());
    let noisy = axum.noisy.as_ref().expect("a noisy run");
    assert!(noisy.rps > 0.0 && noisy.unexpected == 0, "{noisy:?}");
    assert!(baseline.idle_kib_per_connection.is_some() && axum.idle_kib_per_connection.is_none());
    assert!(baseline.rows.iter().all(|r| r.cpu_us_per_request.is_some()));
    assert!(axum.rows.iter().all(|r| r.cpu_us_per_request.is_none()));

    let markdown = report.markdown();
    assert!(markdown.contains("| baseline | 1 |") && markdown.contains("| axum | 4 |"));
    assert!(markdown.contains("× baseline") && markdown.contains("cases passed"));
    assert!(
        markdown.contains("| target | req/s c=64 |"),
        "the decision table comes first"
    );
    let svg = report.svg();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // The background, a bar per contender and concurrency in two panels, per contender and
    // open-loop rate in one, no build bars (neither was built here), a legend entry each.
    assert_eq!(
        svg.matches("<rect").count(),
        1 + 2 * 2 * 2 + config.open_loop_fractions.len() * 2 + 2,
        "{svg}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&report).expect("JSON")).expect("JSON");
    // Contenders serialize as "targets", the name in every committed report.json.
    assert_eq!(json["targets"][1]["rows"][0]["concurrency"], 1);
    assert!(json["machine"]["cpus"].as_u64().is_some_and(|n| n >= 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_server_is_not_timed() {
    // The baseline answers every POST with a token: it is no token server.
    let running = bench::server::start_process(
        std::path::Path::new(env!("CARGO_BIN_EXE_bench")),
        &["serve-baseline"],
        None,
    )
    .await
    .expect("baseline starts");
    let url = format!("http://{}", running.address);
    let report = bench::compare(
        &config(vec![ContenderSpec::Url("fake".into(), url)]),
        &|_| {},
    )
    .await;
    let fake = &report.contenders[0];
    assert!(
        matches!(&fake.gate, Gate::Failed(ids) if !ids.is_empty()),
        "{:?}",
        fake.gate
    );
    assert!(fake.rows.is_empty());
    assert!(report.markdown().contains("FAILED, not timed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_soak_counts_every_answer_and_nothing_unexpected() {
    let url = start_axum();
    let config = config(Vec::new());
    let results = bench::soak(
        &config,
        &[ContenderSpec::Url("axum".into(), url)],
        3000,
        &|_| {},
    )
    .await;
    let [axum] = &results[..] else {
        panic!("{results:?}")
    };
    assert_eq!(axum.requests, 3000);
    assert_eq!(axum.unexpected, 0, "{axum:?}");
    assert!(bench::soak_markdown(&results).contains("| axum | 3000 | 0 |"));
}

#[test]
fn backend_selection_names_binaries_and_refuses_unknown_ones() {
    let all = bench::select_backends(&[]).expect("all");
    assert_eq!(all, bench::backends());
    let some = bench::select_backends(&["warp".into(), "server-axum".into()]).expect("two");
    assert_eq!(some, ["server-axum", "server-warp"]);
    let err = bench::select_backends(&["rocket".into()]).expect_err("unknown");
    assert!(err.contains("\"rocket\"") && err.contains("axum"), "{err}");
}

#[test]
fn an_unknown_backend_is_a_usage_error_before_anything_is_built() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--backend", "rocket"])
        .output()
        .expect("run bench");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown backend \"rocket\""), "{stderr}");
}

#[test]
fn render_rewrites_markdown_and_chart_from_the_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let committed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/results/2026-11-28-vm/report.json"
    );
    std::fs::copy(committed, dir.path().join("report.json")).expect("copy the JSON");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("render")
        .arg(dir.path())
        .status()
        .expect("run bench render");
    assert!(status.success());
    let markdown = std::fs::read_to_string(dir.path().join("report.md")).expect("report.md");
    assert!(markdown.contains("| target | req/s c=64 |") && markdown.contains("| poem |"));
    let svg = std::fs::read_to_string(dir.path().join("chart.svg")).expect("chart.svg");
    assert!(svg.starts_with("<svg") && svg.contains("build seconds"));
    let committed_md = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/results/2026-11-28-vm/report.md"
    ))
    .expect("the committed report.md");
    assert_eq!(
        markdown, committed_md,
        "the committed report.md is not its JSON's rendering"
    );
}
