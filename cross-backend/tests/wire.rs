//! The differential HTTP fuzzer: generated raw HTTP/1.x requests, well-formed or not, sent
//! over TCP to every backend, under every setting that changes answers; every backend must
//! give the same answer. Backends on the same HTTP engine (`cross_backend::backends::Engine`) are
//! compared in full; across engines, `compare::NOISE`'s list says what is left out, and why.
//!
//! A sixth configuration keeps the rate limits in a real Redis (`RATE_LIMIT_STORE=redis`), at
//! a quota no run reaches.
//!
//! `WIRE_FUZZ_CASES` sets the number of requests per configuration (default 1,000: 6,000 per
//! run) and `WIRE_FUZZ_SEED` the seed (fixed by default, so CI runs the same requests every
//! time): `WIRE_FUZZ_CASES=25000 cargo test -p cross-backend --test wire` is the long run.
//! A difference fails with the smallest request proptest can shrink it to.
//!
//! The fuzzer is itself tested: three broken backends, each on hyper beside the six, must
//! each be reported as a difference, and the unbroken wrapper must not.

#[path = "wire/compare.rs"]
mod compare;
#[path = "wire/generate.rs"]
mod generate;

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};

use axum::http::HeaderValue;
use axum::response::Response;
use compare::{AcrossEngines, Exact, Item};
use conformance::ServerUnderTest;
use cross_backend::backends::{BACKENDS, Backend, Engine, Serving};
use cross_backend::in_process::{Running, settings_with, start};
use generate::{Framing, RawRequest, request};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use server_runtime::ShutdownSignal;
use testkit::exchange::exchange;
use testkit::redis_server::RedisServer;
use token_core::TokenService;

/// Every setting that changes answers: both formats, a narrower field policy for the
/// standard endpoint, room configuration allowed and the grant of own metadata updates, and
/// production mode (callers' tokens from the suite's test keys, one allowed origin).
///
/// Rate limits are off: whether a request is over its quota depends on when it arrives, and
/// the six backends get each request a few milliseconds apart. `cross-backend/tests/limits.rs`
/// compares the limited answers byte for byte instead.
const CONFIGURATIONS: &[(&str, &[&str])] = &[
    ("text", &["--rate-limits", "off"]),
    ("json", &["--rate-limits", "off"]),
    (
        "text",
        &[
            "--rate-limits",
            "off",
            "--endpoint-fields",
            "room_name,participant_name",
        ],
    ),
    (
        "json",
        &[
            "--rate-limits",
            "off",
            "--allow-room-config",
            "--can-update-own-metadata",
        ],
    ),
    (
        "json",
        &[
            "--rate-limits",
            "off",
            "--mode",
            "production",
            "--caller-issuer",
            conformance::identity_provider::DEFAULT_ISSUER,
            "--caller-audience",
            conformance::identity_provider::DEFAULT_AUDIENCE,
            "--caller-jwks-file",
            test_keys::JWKS_PATH,
            "--cors-allowed-origins",
            generate::ALLOWED_ORIGIN,
            "--token-policy-file",
            testkit::binary_checks::production::ANY_ROOM_POLICY,
            "--try-production-locally",
        ],
    ),
];

/// Requests per configuration by default (5,000 a run).
const DEFAULT_CASES: u32 = 1_000;
const DEFAULT_SEED: u64 = 0x5eed_0f7e_57ed;

/// A backend under the fuzzer: its name, engine and address.
struct Target {
    name: &'static str,
    engine: Engine,
    address: SocketAddr,
}

/// The first difference found, with the smallest request shrunk to.
#[derive(Debug)]
struct Difference {
    /// The two backends that differ.
    between: (&'static str, &'static str),
    why: String,
    request: String,
}

/// Sends `cases` generated requests to every target; the first difference, if any.
fn fuzz(
    runtime: &tokio::runtime::Runtime,
    targets: &[Target],
    signer: &ServerUnderTest,
    cases: u32,
    max_shrink_iters: u32,
    reached: &mut BTreeSet<String>,
) -> Result<(), Difference> {
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed()),
        failure_persistence: None,
        max_shrink_iters,
        ..Config::default()
    };
    let between = std::cell::Cell::new(("", ""));
    let seen = std::cell::RefCell::new(std::mem::take(reached));
    let mut runner = TestRunner::new(config);
    let result = runner.run(&request(), |request| {
        let bytes = request.bytes(signer);
        let pieces = request.pieces(&bytes);
        let head_request = request.method == "HEAD";
        let answers: Vec<(&Target, Exact)> = runtime.block_on(async {
            let mut answers = Vec::new();
            for target in targets {
                let answer =
                    exchange(target.address, &pieces, head_request, request.half_closes()).await;
                answers.push((target, Exact::of(&answer)));
            }
            answers
        });
        // What was reached, as the last backend (on hyper, which sends `100 Continue` only
        // when the body is read) answered.
        let mut seen = seen.borrow_mut();
        let kind = answers[answers.len() - 1].1.kind();
        seen.insert(format!("{} {} {kind}", request.method, request.path));
        if pieces.len() > 1 {
            seen.insert(format!("in pieces: {kind}"));
        }
        seen.insert(format!("{}: {kind}", request.version));
        compare(&request, &answers).map_err(|(pair, why)| {
            between.set(pair);
            TestCaseError::fail(why)
        })
    });
    *reached = seen.into_inner();
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, request)) => Err(Difference {
            between: between.get(),
            why: why.to_string(),
            request: request.to_string(),
        }),
        Err(TestError::Abort(why)) => Err(Difference {
            between: ("", ""),
            why: why.to_string(),
            request: String::new(),
        }),
    }
}

type Mismatch = ((&'static str, &'static str), String);

/// Backends on one engine: everything but the noise; across engines: what the list allows.
fn compare(request: &RawRequest, answers: &[(&Target, Exact)]) -> Result<(), Mismatch> {
    for (target, answer) in answers {
        // A generated request never makes a server wait, so a timeout is a hang.
        if answer.hung() {
            return Err((
                (target.name, target.name),
                format!("{} hung: {answer:?}", target.name),
            ));
        }
    }
    for engine in [Engine::ActixHttp, Engine::Hyper] {
        let mut same = answers.iter().filter(|(t, _)| t.engine == engine);
        if let Some((first, first_answer)) = same.next() {
            for (target, answer) in same {
                if answer != first_answer {
                    return Err((
                        (first.name, target.name),
                        format!(
                            "both on {engine:?}: {} answered\n  {first_answer:?}\n{} answered\n  {answer:?}",
                            first.name, target.name
                        ),
                    ));
                }
            }
        }
    }
    let (first, first_answer) = &answers[0];
    let expected = AcrossEngines::of(request, first_answer);
    for (target, answer) in &answers[1..] {
        let across = AcrossEngines::of(request, answer);
        if across != expected {
            return Err((
                (first.name, target.name),
                format!(
                    "{} answered\n  {expected:?}\n{} answered\n  {across:?}",
                    first.name, target.name
                ),
            ));
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("WIRE_FUZZ_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn seed() -> u64 {
    std::env::var("WIRE_FUZZ_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Starts `backends` under one configuration.
fn start_all(
    runtime: &tokio::runtime::Runtime,
    backends: &[&Backend],
    (format, extra): (&str, &[&str]),
) -> (Vec<Running>, Vec<Target>) {
    let settings = settings_with(format, extra);
    let servers: Vec<Running> = runtime.block_on(async {
        backends
            .iter()
            .map(|backend| start(backend, &settings))
            .collect()
    });
    let targets = backends
        .iter()
        .zip(&servers)
        .map(|(backend, server)| Target {
            name: backend.name(),
            engine: backend.engine,
            address: server.address(),
        })
        .collect();
    (servers, targets)
}

#[test]
fn every_backend_gives_every_request_the_same_answer() {
    let runtime = runtime();
    let backends: Vec<&Backend> = BACKENDS.iter().collect();
    let mut reached = BTreeSet::new();
    for &configuration in CONFIGURATIONS {
        let (servers, targets) = start_all(&runtime, &backends, configuration);
        let under_test = &servers[0].under_test;
        if let Err(difference) = fuzz(&runtime, &targets, under_test, cases(), 2_000, &mut reached)
        {
            panic!(
                "backends differ ({configuration:?}): {}\nthe smallest such request:\n{}",
                difference.why, difference.request
            );
        }
    }
    let missed: Vec<&&str> = MUST_REACH
        .iter()
        .filter(|outcome| !reached.contains(**outcome))
        .collect();
    assert!(
        missed.is_empty(),
        "the generated requests never reached {missed:?}; they reached {reached:#?}"
    );
}

/// With the limits kept in a shared Redis, every request is checked there (at a quota no run
/// reaches, so that when a request arrives does not matter) and the answers still agree.
#[test]
fn every_backend_gives_every_request_the_same_answer_with_the_limits_in_redis() {
    let Some(redis) = RedisServer::start_or_skip("the fuzzer with the Redis store") else {
        return;
    };
    let url = redis.url();
    let configuration: (&str, &[&str]) = (
        "text",
        &[
            "--rate-limits",
            "on",
            "--token-rate-limit",
            "1000000/s",
            "--auth-failure-rate-limit",
            "1000000/s",
            "--rate-limit-store",
            "redis",
            "--redis-url",
            &url,
            // A loaded machine may take longer than the default 50 ms; the fallback would
            // still answer alike, but this run is about the store.
            "--redis-timeout-ms",
            "2000",
        ],
    );
    let runtime = runtime();
    let backends: Vec<&Backend> = BACKENDS.iter().collect();
    let (servers, targets) = start_all(&runtime, &backends, configuration);
    let mut reached = BTreeSet::new();
    if let Err(difference) = fuzz(
        &runtime,
        &targets,
        &servers[0].under_test,
        cases(),
        2_000,
        &mut reached,
    ) {
        panic!(
            "backends differ with the Redis store: {}\nthe smallest such request:\n{}",
            difference.why, difference.request
        );
    }
    assert!(reached.contains("POST /token 200"), "{reached:#?}");
    // The keys themselves expire a millisecond after their request at this quota.
    let calls: u64 = redis
        .cli(&["INFO", "commandstats"])
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|calls| calls.parse().ok())
        .unwrap_or(0);
    assert!(calls > 0, "the requests were counted in Redis");
}

/// Answers the generated requests must reach, so that the comparison is not vacuous: every
/// endpoint's success and refusals, the engines' own refusals, interim answers, requests
/// in several writes and other versions.
const MUST_REACH: &[&str] = &[
    "POST /token 200",
    "POST /token 400",
    "POST /token 400 bare",
    "POST /token 413",
    "POST /token 415",
    "POST /livekit/token 201",
    "POST /livekit/token 403",
    // Production mode's own answers.
    "POST /token 401",
    "POST /livekit/token 401",
    // From another origin: refused, and without CORS headers ("bare").
    "OPTIONS /token 403 bare",
    "POST /livekit/webhook 200",
    "POST /livekit/webhook 401",
    "OPTIONS /token 200",
    "GET /healthz 200",
    "HEAD /healthz 200",
    "GET /token 405",
    "POST /nope 404",
    "HTTP/1.1: 431 bare",
    "POST /token 200 interim",
    "in pieces: 200",
    "HTTP/1.0: 200",
    ": 400 bare",
];

/// One request for each item of the list that applies across engines, on which the engines
/// still differ without it: the list holds nothing that is no longer true.
fn witnesses() -> Vec<(Item, RawRequest)> {
    let token = |version| RawRequest {
        method: "POST",
        path: "/token".to_owned(),
        version,
        headers: vec![("Content-Type", "application/json".to_owned())],
        body: br#"{"roomName":"r","participantName":"p"}"#.to_vec(),
        ..RawRequest::default()
    };
    vec![
        (
            Item::ExpectContinue,
            RawRequest {
                headers: vec![("Expect", "100-continue".to_owned())],
                body: Vec::new(),
                ..token("HTTP/1.1")
            },
        ),
        (
            Item::Http10,
            RawRequest {
                framing: Framing::Unframed,
                body: Vec::new(),
                ..token("HTTP/1.0")
            },
        ),
        (
            Item::PipelinedBehindClose,
            RawRequest {
                headers: vec![("Connection", "close".to_owned())],
                suffix: "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
                ..RawRequest::default()
            },
        ),
        (
            Item::RewrittenByHyper,
            RawRequest {
                framing: Framing::LengthAndChunked,
                ..token("HTTP/1.1")
            },
        ),
        (
            Item::ProbeBehindLeftOvers,
            RawRequest {
                method: "POST",
                path: "/nope".to_owned(),
                // Not a method: the probe behind it is refused by the engine itself.
                suffix: "{}",
                ..RawRequest::default()
            },
        ),
        (
            Item::Http2Preface,
            RawRequest {
                preface: true,
                ..RawRequest::default()
            },
        ),
    ]
}

#[test]
fn every_difference_on_the_list_is_still_there() {
    let runtime = runtime();
    let backends: Vec<&Backend> = [Engine::ActixHttp, Engine::Hyper]
        .into_iter()
        .filter_map(|engine| BACKENDS.iter().find(|backend| backend.engine == engine))
        .collect();
    let (servers, targets) = start_all(&runtime, &backends, CONFIGURATIONS[0]);
    for (item, request) in witnesses() {
        let bytes = request.bytes(&servers[0].under_test);
        let [actix, hyper] = [&targets[0], &targets[1]].map(|target| {
            let answer = runtime.block_on(exchange(
                target.address,
                &[&bytes],
                false,
                request.half_closes(),
            ));
            Exact::of(&answer)
        });
        assert_eq!(
            AcrossEngines::of(&request, &actix),
            AcrossEngines::of(&request, &hyper),
            "{item:?}: the engines differ beyond the list on {request}"
        );
        assert_ne!(
            AcrossEngines::of_except(&request, &actix, Some(item)),
            AcrossEngines::of_except(&request, &hyper, Some(item)),
            "{item:?}: the engines now agree on {request}; take the item off the list"
        );
    }
}

/// A broken backend must be told apart from the six, by a difference in what it answers.
fn fuzzer_reports(mutant: &'static Backend) -> Result<(), Difference> {
    let runtime = runtime();
    let backends: Vec<&Backend> = BACKENDS.iter().chain([mutant]).collect();
    let (servers, targets) = start_all(&runtime, &backends, CONFIGURATIONS[0]);
    let mut reached = BTreeSet::new();
    fuzz(
        &runtime,
        &targets,
        &servers[0].under_test,
        500,
        100,
        &mut reached,
    )
}

fn assert_caught(mutant: &'static Backend) {
    match fuzzer_reports(mutant) {
        Ok(()) => panic!("the fuzzer found no difference with {}", mutant.name()),
        Err(difference) => {
            assert!(
                [difference.between.0, difference.between.1].contains(&mutant.name()),
                "the difference is not the mutant's: {difference:?}"
            );
            assert!(
                !difference.why.contains("timed out"),
                "caught only by a timeout: {difference:?}"
            );
        }
    }
}

#[test]
fn the_unbroken_wrapper_is_not_reported() {
    if let Err(difference) = fuzzer_reports(&mutants::CONTROL) {
        panic!("the control differs: {difference:?}");
    }
}

#[test]
fn a_backend_that_drops_cors_on_one_path_is_reported() {
    assert_caught(&mutants::NO_CORS_ON_404);
}

#[test]
fn a_backend_that_changes_one_header_value_is_reported() {
    assert_caught(&mutants::SHORT_PREFLIGHT_CACHE);
}

#[test]
fn a_backend_that_does_not_close_is_reported() {
    assert_caught(&mutants::NO_CLOSE_ON_400);
}

/// Broken backends: axum's, its responses altered by one layer.
mod mutants {
    use super::*;

    macro_rules! mutant {
        ($name:ident, $binary:literal, $alter:expr) => {
            pub static $name: Backend = Backend {
                binary: $binary,
                framework: "axum, altered",
                notes: "a deliberately broken backend",
                engine: Engine::Hyper,
                serve: |listener, service, shutdown| serve(listener, service, shutdown, $alter),
            };
        };
    }

    mutant!(CONTROL, "mutant-control", |_| {});
    mutant!(NO_CORS_ON_404, "mutant-no-cors-on-404", |response| {
        if response.status() == 404 {
            response.headers_mut().remove("access-control-allow-origin");
        }
    });
    mutant!(
        SHORT_PREFLIGHT_CACHE,
        "mutant-short-preflight-cache",
        |response| {
            if let Some(value) = response.headers_mut().get_mut("access-control-max-age") {
                *value = HeaderValue::from_static("600");
            }
        }
    );
    mutant!(NO_CLOSE_ON_400, "mutant-no-close-on-400", |response| {
        if response.status() == 400 {
            response.headers_mut().remove("connection");
        }
    });

    fn serve(
        listener: TcpListener,
        service: TokenService,
        shutdown: ShutdownSignal,
        alter: fn(&mut Response),
    ) -> Serving {
        let max_connections = service.max_connections();
        let app = server_axum::app(service).layer(axum::middleware::map_response(
            move |mut response: Response| async move {
                alter(&mut response);
                response
            },
        ));
        Box::pin(hyper_serve::serve(listener, app, max_connections, shutdown))
    }
}
