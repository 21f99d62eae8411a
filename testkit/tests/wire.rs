//! The differential HTTP fuzzer: generated raw HTTP/1.1 requests, well-formed or not, sent over
//! TCP to every backend in both response formats; every backend must give the same answer.
//! Backends on the same HTTP engine (`testkit::backends::Engine`) are compared in full: the
//! status line with its reason, every header value in the order received, the body, interim
//! answers and the connection's fate, the clock and random names aside. Across engines the
//! list below says what is left out, and why.
//!
//! `WIRE_FUZZ_CASES` sets the number of requests per format (default 2,000, so 4,000 per run)
//! and `WIRE_FUZZ_SEED` the seed (fixed by default, so CI runs the same requests every time):
//! `WIRE_FUZZ_CASES=50000 cargo test -p testkit --test wire` is the long run.
//! A difference fails with the smallest request proptest can shrink it to.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use serde_json::Value;
use testkit::backends::{BACKENDS, Engine};
use testkit::exchange::{RawAnswer, exchange};
use testkit::in_process::{FORMATS, Running, comparable_body, settings, start};

/// The one list of what is not compared between engines, each with its reason (between
/// backends on one engine, only item 1 is left out). Nothing else is left out.
///
/// 1. `Date`: the clock; in bodies, what `testkit::in_process::comparable_body` leaves out of tokens
///    (`nbf`/`exp`, and generated room names and identities, random by contract).
/// 2. Interim `100 Continue` responses: the engine sends them, not the application
///    (actix-http as soon as it reads `Expect: 100-continue`, hyper when the body is first
///    read); the final response and the connection are compared.
/// 3. Answers the HTTP engine makes before any application code runs (recognised by the
///    missing `Access-Control-Allow-Origin`, which `token-core` puts on every reply): actix-http
///    answers a bare 400 or 431 itself to framing that hyper hands to the application, where
///    `token-core` refuses it with its own 400; status and connection close are compared, not
///    headers, body or the status line's version.
/// 4. Two framings hyper rewrites before the application sees them, so `token-core` cannot
///    refuse them as actix-http does: `Content-Length` together with `Transfer-Encoding`
///    (hyper drops the length, reads the chunked body and closes after answering) and the
///    same `Content-Length` repeated (hyper keeps one). For these only the smuggling property
///    is compared: no backend answers anything but the request and the probe sent after it.
/// 5. In answers to HTTP/1.0 requests, the status line's version and the `Connection` header:
///    actix-http takes the version from the last request it parsed (with an HTTP/1.1 request
///    pipelined behind, that one's: then it writes neither `HTTP/1.0` nor `keep-alive`), and
///    writes no `Connection: close` in HTTP/1.0, where closing is the default; hyper echoes
///    the request's version and writes the application's `close` (plus `keep-alive` if the
///    request asked for it). Whether the connection stays open is compared.
/// 6. The `Connection` header in answers to a request whose own `Connection` asks for an
///    upgrade (and not to close): actix-http then writes `Connection: upgrade` itself, whatever
///    the application says, and closes; `token-core` closes too, so hyper writes `close`.
///    Whether the connection closed is compared.
/// 7. A request head between 128 KiB and 192 KiB is not generated: both engines refuse heads
///    over 128 KiB with 431, but actix-http checks the size between reads, so near the limit
///    it may have read the whole head first (hyper checks the parsed head too: see
///    `hyper_serve::configure`).
const NOISE: &[&str] = &["date"];

/// Requests per format by default.
const DEFAULT_CASES: u32 = 2_000;
const DEFAULT_SEED: u64 = 0x5eed_0f7e_57ed;

#[derive(Debug, Clone)]
enum Framing {
    /// `Content-Length` of the body.
    Length,
    /// Chunked, in chunks of this size.
    Chunked(usize),
    /// No framing header: the body bytes follow the head as if they were the next request.
    Unframed,
    /// Both `Content-Length` and `Transfer-Encoding: chunked`.
    LengthAndChunked,
    /// `Content-Length` twice, equal.
    LengthTwice,
    /// `Content-Length` twice, the second one more.
    ConflictingLengths,
    /// This `Content-Length` value instead of the body's.
    BadLength(&'static str),
    /// A `Content-Length` longer than the body: the client then half-closes.
    Truncated,
    /// A chunk size that is not hexadecimal.
    BadChunkSize,
    /// This `Transfer-Encoding`, then a chunked body.
    Coding(&'static str),
}

#[derive(Debug, Clone)]
struct RawRequest {
    method: &'static str,
    path: String,
    query: &'static str,
    version: &'static str,
    hosts: Vec<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    framing: Framing,
    suffix: &'static str,
}

impl RawRequest {
    fn bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "{} {}{} {}\r\n",
            self.method, self.path, self.query, self.version
        )
        .into_bytes();
        let mut line = |name: &str, value: &str| {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        };
        for host in &self.hosts {
            line("Host", host);
        }
        for (name, value) in &self.headers {
            line(name, value);
        }
        let length = self.body.len().to_string();
        let mut body = self.body.clone();
        match &self.framing {
            Framing::Length => line("Content-Length", &length),
            Framing::Unframed => {}
            Framing::LengthAndChunked => {
                line("Content-Length", &length);
                line("Transfer-Encoding", "chunked");
                body = chunked(&self.body, 7, "");
            }
            Framing::LengthTwice => {
                line("Content-Length", &length);
                line("Content-Length", &length);
            }
            Framing::ConflictingLengths => {
                line("Content-Length", &length);
                line("Content-Length", &(self.body.len() + 1).to_string());
            }
            Framing::BadLength(value) => line("Content-Length", value),
            Framing::Truncated => line("Content-Length", &(self.body.len() + 10).to_string()),
            Framing::Chunked(size) => {
                line("Transfer-Encoding", "chunked");
                body = chunked(&self.body, *size, "");
            }
            Framing::BadChunkSize => {
                line("Transfer-Encoding", "chunked");
                body = chunked(&self.body, 5, "zz");
            }
            Framing::Coding(coding) => {
                line("Transfer-Encoding", coding);
                body = chunked(&self.body, 5, "");
            }
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
        out.extend_from_slice(self.suffix.as_bytes());
        out
    }

    fn half_closes(&self) -> bool {
        matches!(self.framing, Framing::Truncated)
    }

    /// Normalisation 6: `Connection` asks for an upgrade, not to close.
    fn asks_upgrade(&self) -> bool {
        let options = || {
            self.headers
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("connection"))
                .flat_map(|(_, value)| value.split(','))
                .map(str::trim)
        };
        options().any(|o| o.eq_ignore_ascii_case("upgrade"))
            && !options().any(|o| o.eq_ignore_ascii_case("close"))
    }

    /// Normalisation 4: framings hyper rewrites before the application sees them.
    fn rewritten_by_hyper(&self) -> bool {
        matches!(
            self.framing,
            Framing::LengthAndChunked | Framing::LengthTwice
        )
    }
}

impl fmt::Display for RawRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.bytes();
        let shown = &bytes[..bytes.len().min(2048)];
        write!(f, "{}", String::from_utf8_lossy(shown).escape_debug())?;
        if bytes.len() > shown.len() {
            write!(f, "... ({} bytes)", bytes.len())?;
        }
        Ok(())
    }
}

fn chunked(body: &[u8], size: usize, bad_size: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(size.max(1)) {
        if bad_size.is_empty() {
            out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        } else {
            out.extend_from_slice(format!("{bad_size}\r\n").as_bytes());
        }
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn method() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        4 => Just("POST"),
        2 => Just("GET"),
        2 => Just("OPTIONS"),
        1 => Just("HEAD"),
        1 => prop::sample::select(vec![
            "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "post", "get", "Options", "BREW",
            "M-SEARCH",
        ]),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "/token",
        "/livekit/webhook",
        "/livekit/token",
        "/livekit/token",
        "/healthz",
        "/",
        "/nope",
        "*",
        "/token/",
        "/Token",
        "//token",
        "/tok%65n",
        "/healthz/",
        "/livekit//webhook",
        "/%2ftoken",
        "/token%00",
        "/tøken",
        "/token?",
        "http://localhost/token",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        8 => fixed,
        1 => (1usize..4000).prop_map(|n| format!("/{}", "a".repeat(n))),
    ]
}

fn hosts() -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![
        12 => Just(vec!["localhost:6080"]),
        1 => Just(vec![]),
        1 => Just(vec!["localhost", "localhost"]),
        1 => prop::sample::select(vec!["", "a b", "[::1]:80", "x:y", "example.com"]).prop_map(|h| vec![h]),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let origin = prop::option::weighted(0.5, Just(("Origin", "http://localhost:5173".to_owned())));
    let preflight = prop::option::weighted(
        0.3,
        (
            prop::sample::select(vec!["POST", "PUT", "GET", "", "DELETE"]),
            prop::option::of(prop::sample::select(vec![
                "content-type",
                "Content-Type, X-Requested-With",
                "authorization,x-a",
                "",
                " , ",
                "a b",
            ])),
        ),
    );
    let content_type = prop::option::weighted(
        0.8,
        prop::sample::select(vec![
            "application/json",
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/webhook+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "",
        ]),
    );
    let extra = prop::sample::select(vec![
        vec![],
        vec![],
        vec![],
        vec![("Authorization", "Bearer abc")],
        vec![("Authorization", "garbage")],
        vec![("Content-Type", "text/plain")],
        vec![("Expect", "100-continue")],
        vec![("Connection", "close")],
        vec![("Connection", "keep-alive")],
        vec![("Upgrade", "websocket"), ("Connection", "upgrade")],
        vec![("X-A", "1"), ("X-A", "2")],
        vec![("Access-Control-Request-Headers", "x-b")],
        vec![("Expect", "100-continue"), ("Connection", "close")],
    ]);
    let bulk = prop_oneof![
        8 => Just(vec![]),
        1 => (90usize..100).prop_map(|n| (0..n).map(|i| ("X-Many", i.to_string())).collect()),
        1 => prop::sample::select(vec![1_000usize, 60_000, 110_000, 200_000])
            .prop_map(|n| vec![("X-Long", "v".repeat(n))]),
    ];
    (origin, preflight, content_type, extra, bulk).prop_map(
        |(origin, preflight, content_type, extra, bulk)| {
            let mut headers: Vec<(&'static str, String)> = Vec::new();
            headers.extend(origin);
            if let Some((method, requested)) = preflight {
                headers.push(("Access-Control-Request-Method", method.to_owned()));
                if let Some(requested) = requested {
                    headers.push(("Access-Control-Request-Headers", requested.to_owned()));
                }
            }
            if let Some(content_type) = content_type {
                headers.push(("Content-Type", content_type.to_owned()));
            }
            headers.extend(extra.into_iter().map(|(n, v)| (n, v.to_owned())));
            headers.extend(bulk);
            headers
        },
    )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let fixed = prop::sample::select(vec![
        &br#"{"roomName":"room1","participantName":"alice"}"#[..],
        br#"{"roomName":"r","participantName":"p","extra":[1]}"#,
        br#"{"roomName":"","participantName":"p"}"#,
        br#"{"roomName":5,"participantName":"p"}"#,
        br#"{"roomName":"r"}"#,
        br#"{}"#,
        br#"[]"#,
        br#"null"#,
        br#"{"roomName":"r""#,
        b"\xff\xfe",
        b"",
        br#"{"event":"room_started","id":"EV_1","room":{"name":"r"}}"#,
        br#"{"room_name":"r","participant_identity":"i","participant_attributes":{"k":"v"}}"#,
        br#"{"room_config":{"agents":[{"agent_name":"a"}]}}"#,
        br#"{"participant_attributes":{"k":1}}"#,
    ])
    .prop_map(<[u8]>::to_vec);
    prop_oneof![
        10 => fixed,
        1 => prop::sample::select(vec![16 * 1024, 16 * 1024 + 1, 40 * 1024]).prop_map(padded),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// A valid token request padded with JSON whitespace to `len` bytes.
fn padded(len: usize) -> Vec<u8> {
    let mut body = br#"{"roomName":"room1","participantName":"alice"}"#.to_vec();
    body.resize(len, b' ');
    body
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        12 => Just(Framing::Length),
        3 => (1usize..20).prop_map(Framing::Chunked),
        1 => Just(Framing::Unframed),
        1 => Just(Framing::LengthAndChunked),
        1 => Just(Framing::LengthTwice),
        1 => Just(Framing::ConflictingLengths),
        1 => prop::sample::select(vec!["abc", "+5", "-1", "1 2", ""]).prop_map(Framing::BadLength),
        1 => Just(Framing::Truncated),
        1 => Just(Framing::BadChunkSize),
        1 => prop::sample::select(vec!["gzip, chunked", "gzip", "identity", "chunked, chunked"])
            .prop_map(Framing::Coding),
    ]
}

fn request() -> impl Strategy<Value = RawRequest> {
    (
        method(),
        path(),
        prop::sample::select(vec!["", "", "", "?a=1", "?access_token=secret"]),
        prop_oneof![9 => Just("HTTP/1.1"), 1 => Just("HTTP/1.0")],
        hosts(),
        headers(),
        body(),
        framing(),
        prop_oneof![9 => Just(""), 1 => prop::sample::select(vec!["\r\n", "garbage", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"])],
    )
        .prop_map(
            |(method, path, query, version, hosts, headers, body, framing, suffix)| {
                let mut request = RawRequest {
                    method,
                    path,
                    query,
                    version,
                    hosts,
                    headers,
                    body,
                    framing,
                    suffix,
                };
                // Only the probe follows these, so an answer to anything else was smuggled.
                if request.rewritten_by_hyper() {
                    request.suffix = "";
                }
                request
            },
        )
}

/// One backend's answer, as compared.
#[derive(Debug, PartialEq)]
enum Comparable {
    /// A reply of `token-core`'s: everything but the noise list.
    Contract {
        version: String,
        status: u16,
        headers: BTreeMap<String, Vec<String>>,
        body: Value,
        next: Option<u16>,
        closed: bool,
    },
    /// Normalisation 3: an answer made by the engine.
    Engine { status: u16, closed: bool },
    /// Normalisation 4: only what a smuggled request would change.
    Smuggling { answered_only_the_probe: bool },
    /// No response at all.
    Failed(String),
}

impl Comparable {
    fn into_engine(self) -> Self {
        match self {
            Self::Contract { status, closed, .. } => Self::Engine { status, closed },
            other => other,
        }
    }
}

fn comparable(request: &RawRequest, answer: RawAnswer) -> Comparable {
    let response = match answer.response {
        Ok(response) => response,
        Err(err) => return Comparable::Failed(err),
    };
    if request.rewritten_by_hyper() {
        return Comparable::Smuggling {
            answered_only_the_probe: matches!(answer.next, None | Some(200)),
        };
    }
    if response.header("access-control-allow-origin").is_empty() {
        return Comparable::Engine {
            status: response.status,
            closed: answer.closed,
        };
    }
    let mut headers = response.headers.clone();
    for noise in NOISE {
        headers.remove(*noise);
    }
    if request.version == "HTTP/1.0" || request.asks_upgrade() {
        headers.remove("connection");
    }
    for values in headers.values_mut() {
        values.sort();
    }
    Comparable::Contract {
        version: if request.version == "HTTP/1.0" {
            String::new()
        } else {
            response.version
        },
        status: response.status,
        headers,
        body: comparable_body(&response.body),
        next: answer.next,
        closed: answer.closed,
    }
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

#[test]
fn every_backend_gives_every_request_the_same_answer() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    for (_, format) in FORMATS {
        let servers: Vec<(&str, Running)> = runtime.block_on(async {
            BACKENDS
                .iter()
                .map(|backend| (backend.name(), start(backend, &settings(format))))
                .collect()
        });
        let addresses: Vec<(&str, Engine, SocketAddr)> = servers
            .iter()
            .map(|(name, server)| (*name, engine_of(name), address_of(server)))
            .collect();
        let config = Config {
            cases: cases(),
            rng_seed: RngSeed::Fixed(seed()),
            failure_persistence: None,
            max_shrink_iters: 2_000,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&request(), |request| {
            let bytes = request.bytes();
            let head_request = request.method == "HEAD";
            let (answers, exact): Answers<'_> = runtime.block_on(async {
                    let (mut answers, mut exact) = (Vec::new(), Vec::new());
                    for (name, engine, address) in &addresses {
                        let answer =
                            exchange(*address, &bytes, head_request, request.half_closes()).await;
                        exact.push((*engine, *name, Exact::of(&answer)));
                        answers.push((*name, comparable(&request, answer)));
                    }
                    (answers, exact)
                });
            // Backends on one engine: everything, the clock and random names aside.
            for engine in [Engine::ActixHttp, Engine::Hyper] {
                let mut same = exact.iter().filter(|(e, _, _)| *e == engine);
                if let Some((_, first_name, first)) = same.next() {
                    for (_, name, answer) in same {
                        if answer != first {
                            return Err(TestCaseError::fail(format!(
                                "{format}, both on {engine:?}: {first_name} answered\n  \
                                 {first:?}\n{name} answered\n  {answer:?}"
                            )));
                        }
                    }
                }
            }
            // Normalisation 3: where one engine answered itself, compare what all share.
            let answers = if answers.iter().any(|(_, a)| matches!(a, Comparable::Engine { .. })) {
                answers.into_iter().map(|(name, answer)| (name, answer.into_engine())).collect()
            } else {
                answers
            };
            let (first_name, first) = &answers[0];
            if let Comparable::Failed(why) = first {
                return Err(TestCaseError::fail(format!("{first_name}: {why}")));
            }
            for (name, answer) in &answers[1..] {
                if answer != first {
                    return Err(TestCaseError::fail(format!(
                        "{format}: {first_name} answered\n  {first:?}\n{name} answered\n  {answer:?}"
                    )));
                }
            }
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(why, request)) => {
                panic!(
                    "backends differ ({format} format): {why}\nthe smallest such request:\n{request}"
                )
            }
            Err(err) => panic!("{err}"),
        }
        drop(servers);
    }
}

fn engine_of(name: &str) -> Engine {
    BACKENDS
        .iter()
        .find(|backend| backend.name() == name)
        .map_or(Engine::Hyper, |backend| backend.engine)
}

/// One backend's answer compared with a backend on the same engine: the status line with
/// its reason, every header value in the order received (`Date` aside), the body as
/// `comparable_body` sees it, interim answers, and what the connection did.
#[derive(Debug, PartialEq)]
struct Exact {
    response: Result<ExactResponse, String>,
    interim: usize,
    next: Option<u16>,
    closed: bool,
}

/// A response as [`Exact`] compares it.
#[derive(Debug, PartialEq)]
struct ExactResponse {
    version: String,
    status: u16,
    reason: String,
    headers: BTreeMap<String, Vec<String>>,
    body: Value,
}

/// Every backend's answer to one request: as compared across engines, and exactly.
type Answers<'a> = (Vec<(&'a str, Comparable)>, Vec<(Engine, &'a str, Exact)>);

impl Exact {
    fn of(answer: &RawAnswer) -> Self {
        let response = answer.response.as_ref().map(|response| {
            let mut headers = response.headers.clone();
            for noise in NOISE {
                headers.remove(*noise);
            }
            ExactResponse {
                version: response.version.clone(),
                status: response.status,
                reason: response.reason.clone(),
                headers,
                body: comparable_body(&response.body),
            }
        });
        Self {
            response: response.map_err(Clone::clone),
            interim: answer.interim,
            next: answer.next,
            closed: answer.closed,
        }
    }
}

fn address_of(server: &Running) -> SocketAddr {
    server
        .under_test
        .base_url
        .trim_start_matches("http://")
        .parse()
        .expect("a socket address")
}
