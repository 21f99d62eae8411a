//! The HTTP/1.1 load generators. Closed loop ([`run`]): each connection is kept alive and
//! sends its next request as soon as the previous answer arrived. Open loop
//! ([`run_open_loop`]): requests on a fixed schedule, latency from each one's due time.
//! Latency goes into an `hdrhistogram`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What kind of request to send, and the status it must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A valid token request with a distinct participant name: 200.
    Valid,
    /// `{}`: 400.
    Invalid,
    /// One byte over the 16 KiB limit: 413, and the server closes the connection.
    Oversized,
}

impl RequestKind {
    fn expected_status(self) -> u16 {
        match self {
            Self::Valid => 200,
            Self::Invalid => 400,
            Self::Oversized => 413,
        }
    }

    fn body(self, connection: usize, sequence: u64) -> Bytes {
        match self {
            Self::Valid => Bytes::from(format!(
                r#"{{"roomName":"bench","participantName":"participant-{connection}-{sequence}"}}"#
            )),
            Self::Invalid => Bytes::from_static(b"{}"),
            Self::Oversized => Bytes::from(conformance::runner::padded_body(
                conformance::cases::BODY_LIMIT + 1,
            )),
        }
    }
}

/// Which request the `n`-th one is.
pub type Mix = fn(u64) -> RequestKind;

/// Only valid requests.
pub fn all_valid(_: u64) -> RequestKind {
    RequestKind::Valid
}

/// What one load run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Requests answered inside the measurement window.
    pub requests: u64,
    /// Of those, answers with another status than expected.
    pub unexpected_status: u64,
    /// Transport errors (connection refused or reset, malformed response).
    pub errors: u64,
    /// The measurement window.
    pub window: Duration,
    /// Latency in microseconds, of answers inside the window.
    pub latency: Histogram<u64>,
}

impl LoadResult {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64()
    }
}

/// When to stop: after a time window, or after a number of requests.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// Warm up, then measure for this long.
    Time {
        /// Unmeasured time first.
        warmup: Duration,
        /// Measured time.
        measure: Duration,
    },
    /// Send this many requests in all (everything measured).
    Requests(u64),
}

/// Drives `connections` keep-alive connections against `address` until the budget is spent.
/// The `Authorization` every request carries (a production-mode caller's token), if any.
pub type Authorization = Option<Arc<str>>;

/// Runs closed-loop load: `connections` keep-alive connections, each sending `mix`'s next
/// request (with `authorization`) as soon as the previous answer arrived, for `budget`.
pub async fn run(
    address: SocketAddr,
    connections: usize,
    budget: Budget,
    mix: Mix,
    authorization: Authorization,
) -> LoadResult {
    let started = Instant::now();
    let (measure_from, deadline) = match budget {
        Budget::Time { warmup, measure } => (started + warmup, Some(started + warmup + measure)),
        Budget::Requests(_) => (started, None),
    };
    let sent = Arc::new(AtomicU64::new(0));
    let limit = match budget {
        Budget::Requests(total) => total,
        Budget::Time { .. } => u64::MAX,
    };
    let mut tasks = Vec::with_capacity(connections);
    for connection in 0..connections {
        let sent = Arc::clone(&sent);
        let authorization = authorization.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome::new();
            'connect: while deadline.is_none_or(|d| Instant::now() < d) {
                let Ok(mut sender) = connect(address).await else {
                    outcome.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                loop {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        break 'connect;
                    }
                    let sequence = sent.fetch_add(1, Ordering::Relaxed);
                    if sequence >= limit {
                        break 'connect;
                    }
                    let kind = mix(sequence);
                    let begin = Instant::now();
                    let status = exchange(
                        &mut sender,
                        kind,
                        connection,
                        sequence,
                        authorization.as_deref(),
                    )
                    .await;
                    let end = Instant::now();
                    if end < measure_from || deadline.is_some_and(|d| end > d) {
                        if status.is_err() {
                            continue 'connect;
                        }
                        continue;
                    }
                    match status {
                        Ok(status) => {
                            outcome.requests += 1;
                            if status != kind.expected_status() {
                                outcome.unexpected_status += 1;
                            }
                            let micros =
                                u64::try_from((end - begin).as_micros()).unwrap_or(u64::MAX);
                            outcome.latency.saturating_record(micros.max(1));
                            if kind == RequestKind::Oversized {
                                // The server closes after a 413: start a new connection.
                                continue 'connect;
                            }
                        }
                        Err(_) => {
                            outcome.errors += 1;
                            continue 'connect;
                        }
                    }
                }
            }
            outcome
        }));
    }
    let total = Outcome::sum(tasks).await;
    let window = match deadline {
        Some(deadline) => deadline - measure_from,
        None => started.elapsed(),
    };
    LoadResult {
        requests: total.requests,
        unexpected_status: total.unexpected_status,
        errors: total.errors,
        window,
        latency: total.latency,
    }
}

struct Outcome {
    requests: u64,
    unexpected_status: u64,
    errors: u64,
    latency: Histogram<u64>,
    /// When the last measured answer arrived (open loop only).
    last_answer: Option<Instant>,
}

impl Outcome {
    fn new() -> Self {
        Self {
            requests: 0,
            unexpected_status: 0,
            errors: 0,
            // 1 µs to 60 s at three significant figures.
            latency: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
            last_answer: None,
        }
    }
}

impl Outcome {
    /// Every connection task's outcome, added up.
    async fn sum(tasks: Vec<tokio::task::JoinHandle<Self>>) -> Self {
        let mut total = Self::new();
        for task in tasks {
            if let Ok(outcome) = task.await {
                total.requests += outcome.requests;
                total.unexpected_status += outcome.unexpected_status;
                total.errors += outcome.errors;
                total.last_answer = total.last_answer.max(outcome.last_answer);
                let _ = total.latency.add(&outcome.latency);
            }
        }
        total
    }
}

/// Sends one `POST /token` of `kind` and reads the whole answer; returns its status.
async fn exchange(
    sender: &mut http1::SendRequest<Full<Bytes>>,
    kind: RequestKind,
    connection: usize,
    sequence: u64,
    authorization: Option<&str>,
) -> Result<u16, hyper::Error> {
    let mut request = http::Request::post("/token")
        .header("host", "bench")
        .header("content-type", "application/json");
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let request = request
        .body(Full::new(kind.body(connection, sequence)))
        .expect("a valid request");
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    response.into_body().collect().await?;
    Ok(status)
}

async fn connect(address: SocketAddr) -> Result<http1::SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(|err| err.to_string())?;
    stream.set_nodelay(true).map_err(|err| err.to_string())?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| err.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Drives a constant request rate, wrk2-style: `connections` keep-alive connections share
/// `rate` requests per second, each on its own fixed schedule, and latency is measured from
/// each request's intended send time, so a stalled server is charged for the requests it
/// kept waiting (no coordinated omission). Only valid requests.
pub async fn run_open_loop(
    address: SocketAddr,
    connections: usize,
    rate: f64,
    warmup: Duration,
    measure: Duration,
) -> OpenLoopResult {
    let connections = connections.max(1);
    let interval = Duration::from_secs_f64(connections as f64 / rate.max(1.0));
    let started = Instant::now();
    let measure_from = started + warmup;
    let deadline = measure_from + measure;
    let stall_watch = tokio::spawn(longest_stall(measure_from, deadline));
    let mut tasks = Vec::with_capacity(connections);
    for connection in 0..connections {
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome::new();
            // Connections start spread over one interval, so requests are evenly spaced.
            let offset = interval.mul_f64(connection as f64 / connections as f64);
            let mut intended = started + offset;
            let mut sequence = 0u64;
            'connect: while intended < deadline {
                let Ok(mut sender) = connect(address).await else {
                    outcome.errors += 1;
                    intended += interval;
                    continue;
                };
                while intended < deadline {
                    wait_until(intended).await;
                    sequence += 1;
                    let status =
                        exchange(&mut sender, RequestKind::Valid, connection, sequence, None).await;
                    let end = Instant::now();
                    let counted = intended >= measure_from;
                    let latency = end.saturating_duration_since(intended);
                    intended += interval;
                    if !counted {
                        if status.is_err() {
                            continue 'connect;
                        }
                        continue;
                    }
                    outcome.last_answer = outcome.last_answer.max(Some(end));
                    match status {
                        Ok(status) => {
                            outcome.requests += 1;
                            if status != 200 {
                                outcome.unexpected_status += 1;
                            }
                            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                            outcome.latency.saturating_record(micros.max(1));
                        }
                        Err(_) => {
                            outcome.errors += 1;
                            continue 'connect;
                        }
                    }
                }
            }
            outcome
        }));
    }
    let total = Outcome::sum(tasks).await;
    // Until the last answer to a request due in the window: a generator or server that falls
    // behind the schedule shows as a lower rate than asked for.
    let answered_until = total.last_answer.map(|last| last - measure_from);
    OpenLoopResult {
        load: LoadResult {
            requests: total.requests,
            unexpected_status: total.unexpected_status,
            errors: total.errors,
            window: answered_until.map_or(measure, |until| until.max(measure)),
            latency: total.latency,
        },
        generator_stall: stall_watch.await.unwrap_or(Duration::MAX),
    }
}

/// What one open-loop run measured.
#[derive(Debug, Clone)]
pub struct OpenLoopResult {
    /// The answers, their rate and latency.
    pub load: LoadResult,
    /// The longest time the load generator itself did not run its tasks: every request due
    /// meanwhile was sent that much late, whatever the server, so a p99 near it is the
    /// generator's (or the machine's), not the server's.
    pub generator_stall: Duration,
}

/// How often the stall watch looks at the clock.
const STALL_PROBE: Duration = Duration::from_millis(1);

/// The longest delay past a due wake-up between `from` and `until`: a task of the load
/// generator's runtime, woken every [`STALL_PROBE`] as precisely as the requests are sent.
async fn longest_stall(from: Instant, until: Instant) -> Duration {
    let mut longest = Duration::ZERO;
    let mut due = Instant::now() + STALL_PROBE;
    while due < until {
        wait_until(due).await;
        let now = Instant::now();
        if due >= from {
            longest = longest.max(now - due);
        }
        due = now + STALL_PROBE;
    }
    longest
}

/// How late tokio's timer may fire: it works in whole milliseconds.
const TIMER_GRANULARITY: Duration = Duration::from_millis(1);

/// Waits until `instant`, to within microseconds rather than the timer's millisecond (which
/// would add up to 1 ms to every open-loop latency): sleeps until one granule before, then
/// yields to the runtime until the instant. The load generator has a core of its own when
/// the machine has two (see `server::pin_self`).
async fn wait_until(instant: Instant) {
    if let Some(early) = instant.checked_sub(TIMER_GRANULARITY)
        && early > Instant::now()
    {
        tokio::time::sleep_until(early.into()).await;
    }
    while Instant::now() < instant {
        tokio::task::yield_now().await;
    }
}

/// The noisy mix: of every ten requests, eight valid, one invalid (`{}`, 400) and one
/// oversized (413, after which the connection is opened again).
pub fn noisy(sequence: u64) -> RequestKind {
    match sequence % 10 {
        8 => RequestKind::Invalid,
        9 => RequestKind::Oversized,
        _ => RequestKind::Valid,
    }
}

/// Opens `count` keep-alive connections, each answered once, and keeps them open until the
/// returned guard is dropped: the idle load of the idle-cost measurement.
pub async fn idle_connections(
    address: SocketAddr,
    count: usize,
) -> Result<IdleConnections, String> {
    let mut senders = Vec::with_capacity(count);
    for connection in 0..count {
        let mut sender = connect(address).await?;
        exchange(&mut sender, RequestKind::Valid, connection, 0, None)
            .await
            .map_err(|err| err.to_string())?;
        senders.push(sender);
    }
    Ok(IdleConnections { _senders: senders })
}

/// Idle keep-alive connections, closed when dropped.
#[derive(Debug)]
pub struct IdleConnections {
    _senders: Vec<http1::SendRequest<Full<Bytes>>>,
}
