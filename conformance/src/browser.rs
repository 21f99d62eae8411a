//! CORS proven in a real browser: headless Chromium, on a page served from another origin,
//! fetches a token from the server under test and reads one of its error messages.
//!
//! The `cors/...` cases check the headers one by one; this check shows that a browser agrees
//! with them. The page sends `POST /token` as JSON with an extra `X-Requested-With` header, so
//! Chromium sends a preflight first, then reads the 200 and the 400 only if both carry
//! `Access-Control-Allow-Origin`. A request Chromium blocks surfaces in the page as
//! `TypeError: Failed to fetch`, which fails the case with that message.
//!
//! Chromium is driven through chromedriver with `fantoccini`, a WebDriver client: WebDriver
//! is a handful of JSON-over-HTTP commands, much lighter than the CDP crates, which carry
//! bindings for the whole DevTools protocol and a WebSocket client.
//!
//! Where Chromium or chromedriver is missing, every browser case is a SKIP saying so, never a
//! pass. A browser that is installed but does not start fails the cases.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::case::Level;
use crate::cases::NAMES_REQUIRED;
use crate::judge::judge_token;
use crate::report::{Outcome, Verdict};
use crate::runner::Selection;
use crate::target::{ResponseFormat, Target};

/// ID of the case that fetches a token from the page.
pub const TOKEN: &str = "browser/token";
/// ID of the case that reads an error message from the page.
pub const ERROR_MESSAGE: &str = "browser/error-message";

/// ID of the case that fetches credentials from LiveKit's standard endpoint.
pub const LIVEKIT_ENDPOINT: &str = "browser/livekit-endpoint";

/// The browser cases: ID and requirement.
pub const CHECKS: [(&str, &str); 3] = [
    (
        TOKEN,
        "A page on another origin, in headless Chromium, can POST /token with a preflighted \
         request (JSON and X-Requested-With) and read a valid token for room1/alice.",
    ),
    (
        ERROR_MESSAGE,
        "The same page can read the status 400 and the message of a request without names: \
         errors carry Access-Control-Allow-Origin too.",
    ),
    (
        LIVEKIT_ENDPOINT,
        "The same page can POST /livekit/token as LiveKit's JS SDK does (snake_case JSON, \
         Content-Type: application/json) and read the server URL and a valid token.",
    ),
];

/// Chromium's flags: headless, as root, and quiet on a machine without a network (no
/// background connections, no component or sync updates). `--user-data-dir` is added per
/// start, a fresh empty one.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The room and participant the page asks a token for.
const ROOM: &str = "room1";
const IDENTITY: &str = "alice";

/// How long chromedriver may take to accept connections.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the page's script may run (three fetches of at most 10 s each, see [`PAGE`]).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(35);
/// How long loading the page may take.
const PAGE_LOAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection to the page server may take to send its request.
const PAGE_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The page every check runs in. `conformanceCheck(base, format)` makes both requests and
/// returns what it saw; judging is left to Rust.
const PAGE: &str = r#"<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>conformance: browser check</title>
<script>
// This page has its own origin: every request below is cross-origin, and the extra header
// makes each one preflighted.
async function call(url, body, headers) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      headers: headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    });
  } catch (err) {
    return {thrown: String(err)};
  }
  try {
    return {status: response.status, body: await response.text()};
  } catch (err) {
    return {thrown: "reading the body: " + String(err)};
  }
}

// The token or the message: the whole body as text, `name` of the JSON object as json.
function field(format, text, name) {
  if (format === "text") return text;
  const value = JSON.parse(text)[name];
  if (typeof value !== "string") throw new Error("no string " + name + " in " + text);
  return value;
}

function claims(jwt) {
  let part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  while (part.length % 4) part += "=";
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

const PREFLIGHTED = {"Content-Type": "application/json", "X-Requested-With": "conformance"};

window.conformanceCheck = async (base, format) => {
  const token = await call(base + "/token", {roomName: "room1", participantName: "alice"}, PREFLIGHTED);
  if (token.status === 200) {
    try {
      token.jwt = field(format, token.body, "token");
      const decoded = claims(token.jwt);
      token.claims = {sub: decoded.sub, room: decoded.video && decoded.video.room};
    } catch (err) {
      token.unreadable = String(err);
    }
  }
  const error = await call(base + "/token", {}, PREFLIGHTED);
  if (error.status !== undefined) {
    try {
      error.message = field(format, error.body, "errorMessage");
    } catch (err) {
      error.unreadable = String(err);
    }
  }
  // As LiveKit's JS SDK's TokenSource.endpoint() sends it.
  const endpoint = await call(
    base + "/livekit/token",
    {room_name: "room1", participant_identity: "alice"},
    {"Content-Type": "application/json"},
  );
  if (endpoint.status >= 200 && endpoint.status < 300) {
    try {
      const answer = JSON.parse(endpoint.body);
      endpoint.serverUrl = answer.server_url;
      endpoint.jwt = answer.participant_token;
    } catch (err) {
      endpoint.unreadable = String(err);
    }
  }
  return {token, error, endpoint};
};
</script>
</head>
<body><p>conformance: this page calls the server under test from its own origin.</p></body>
</html>
"#;

/// What the WebDriver client runs in the page: the page's check, its result handed back.
const SCRIPT: &str = r#"
const [base, format, done] = arguments;
window.conformanceCheck(base, format).then(done, (err) => done({failure: String(err)}));
"#;

/// Where Chromium and chromedriver are.
#[derive(Debug, Clone)]
pub struct Installation {
    /// The browser.
    pub chromium: PathBuf,
    /// The WebDriver server for it.
    pub chromedriver: PathBuf,
}

impl Installation {
    /// Finds `chromium` and `chromedriver` on `PATH` (Debian's packages put them in
    /// `/usr/bin`); the error says which is missing.
    pub fn find() -> Result<Self, String> {
        match (which("chromium"), which("chromedriver")) {
            (Some(chromium), Some(chromedriver)) => Ok(Self {
                chromium,
                chromedriver,
            }),
            (chromium, chromedriver) => {
                let missing: Vec<&str> = [("chromium", chromium), ("chromedriver", chromedriver)]
                    .into_iter()
                    .filter(|(_, found)| found.is_none())
                    .map(|(name, _)| name)
                    .collect();
                Err(format!(
                    "no {} on PATH (install the Debian packages chromium and chromium-driver)",
                    missing.join(" and no ")
                ))
            }
        }
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Why the browser is not there to check with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// Chromium or chromedriver is not installed: the browser cases are skipped.
    NotInstalled(String),
    /// Both are installed but the browser did not start: the browser cases fail.
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotInstalled(why) => write!(f, "chromium not installed: {why}"),
            Self::Failed(why) => write!(f, "the browser did not start: {why}"),
        }
    }
}

impl std::error::Error for StartError {}

impl StartError {
    /// Every browser case, skipped or failed for this reason.
    pub fn outcomes(&self) -> Vec<Outcome> {
        let verdict = match self {
            Self::NotInstalled(_) => Verdict::Skip(self.to_string()),
            Self::Failed(_) => Verdict::Fail(self.to_string()),
        };
        CHECKS
            .iter()
            .map(|&(id, requirement)| Outcome {
                id,
                requirement,
                level: Level::Must,
                duration: Duration::ZERO,
                verdict: verdict.clone(),
            })
            .collect()
    }
}

/// Runs the browser cases against `target`: starts Chromium, checks, closes it. Cases not
/// selected are skipped, and Chromium is not started when none is.
pub async fn run(target: &Target, selection: &Selection) -> Vec<Outcome> {
    let unselected: Vec<Option<String>> = CHECKS
        .iter()
        .map(|(id, _)| selection.why_skipped(id))
        .collect();
    let outcomes = if unselected.iter().all(Option::is_some) {
        Vec::new()
    } else {
        match Browser::start().await {
            Ok(browser) => {
                let outcomes = browser.check(target).await;
                browser.close().await;
                outcomes
            }
            Err(err) => err.outcomes(),
        }
    };
    CHECKS
        .iter()
        .zip(unselected)
        .map(|(&(id, requirement), unselected)| match unselected {
            Some(reason) => Outcome {
                id,
                requirement,
                level: Level::Must,
                duration: Duration::ZERO,
                verdict: Verdict::Skip(reason),
            },
            None => outcomes
                .iter()
                .find(|outcome| outcome.id == id)
                .cloned()
                .unwrap_or(Outcome {
                    id,
                    requirement,
                    level: Level::Must,
                    duration: Duration::ZERO,
                    verdict: Verdict::Fail("the browser check gave no outcome".into()),
                }),
        })
        .collect()
}

/// Headless Chromium with the check's page open, ready to check any number of servers.
/// Close it with [`Browser::close`]; dropping it kills chromedriver and Chromium.
#[derive(Debug)]
pub struct Browser {
    // Fields drop in this order: the session, the page, the processes, then their files.
    client: Client,
    page: PageServer,
    driver: Driver,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Finds Chromium and chromedriver, starts both with a fresh profile and opens the page.
    pub async fn start() -> Result<Self, StartError> {
        let installed = Installation::find().map_err(StartError::NotInstalled)?;
        Self::start_with(&installed)
            .await
            .map_err(StartError::Failed)
    }

    /// Starts the given Chromium and chromedriver, with a fresh profile, and opens the page.
    pub async fn start_with(installed: &Installation) -> Result<Self, String> {
        let profile = tempfile::Builder::new()
            .prefix("conformance-chromium-")
            .tempdir()
            .map_err(|err| format!("cannot make a profile directory: {err}"))?;
        let page = PageServer::start()
            .await
            .map_err(|err| format!("cannot serve the page: {err}"))?;
        let driver = Driver::start(&installed.chromedriver, profile.path()).await?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|&arg| arg.to_owned()).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "chrome".into());
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": installed.chromium.to_string_lossy(),
                "args": args,
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .map_err(|err| {
                format!(
                    "chromedriver did not start Chromium: {err}{}",
                    driver.log_tail()
                )
            })?;
        let browser = Self {
            client,
            page,
            driver,
            profile,
        };
        match browser.open_page().await {
            Ok(()) => Ok(browser),
            Err(err) => {
                browser.close().await;
                Err(err)
            }
        }
    }

    async fn open_page(&self) -> Result<(), String> {
        self.client
            .update_timeouts(TimeoutConfiguration::new(
                Some(SCRIPT_TIMEOUT),
                Some(PAGE_LOAD_TIMEOUT),
                None,
            ))
            .await
            .map_err(|err| format!("cannot set the timeouts: {err}"))?;
        self.client
            .goto(&self.page.url)
            .await
            .map_err(|err| format!("cannot open the page {}: {err}", self.page.url))
    }

    /// The page's origin, e.g. `http://127.0.0.1:40123`.
    pub fn page_origin(&self) -> &str {
        self.page.url.trim_end_matches('/')
    }

    /// Runs the browser cases against `target` from the page; one outcome per case of
    /// [`CHECKS`]. The browser stays open for the next server.
    ///
    /// Chromium caches preflights per origin and URL: checking the same URL twice in one
    /// session may not preflight again.
    pub async fn check(&self, target: &Target) -> Vec<Outcome> {
        let format = match target.format {
            ResponseFormat::Text => "text",
            ResponseFormat::Json => "json",
        };
        let base = target.base_url.trim_end_matches('/');
        let ran = self
            .client
            .execute_async(SCRIPT, vec![base.into(), format.into()])
            .await;
        let results = match ran {
            Ok(seen) => match seen.get("failure") {
                Some(failure) => {
                    let why = format!("the page's check threw: {}", text(failure));
                    [Err(why.clone()), Err(why.clone()), Err(why)]
                }
                None => [
                    judge_token_seen(&seen["token"], target),
                    judge_error_seen(&seen["error"], target.format),
                    judge_endpoint_seen(&seen["endpoint"], target),
                ],
            },
            Err(err) => {
                let why = format!("the page's check did not finish: {err}");
                [Err(why.clone()), Err(why.clone()), Err(why)]
            }
        };
        CHECKS
            .iter()
            .zip(results)
            .map(|(&(id, requirement), result)| Outcome {
                id,
                requirement,
                level: Level::Must,
                duration: Duration::ZERO,
                verdict: match result {
                    Ok(()) => Verdict::Pass,
                    Err(reason) => Verdict::Fail(reason),
                },
            })
            .collect()
    }

    /// Ends the WebDriver session (Chromium quits), then stops chromedriver.
    pub async fn close(self) {
        let Self {
            client,
            page,
            driver,
            profile,
        } = self;
        // Errors are ignored: dropping the driver kills whatever is left.
        let _ = client.close().await;
        drop(page);
        drop(driver);
        drop(profile);
    }
}

/// A JSON value as text, strings without their quotes.
fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    format!("{short:?}")
}

/// The status and body of one request made by the page, or why the page got neither.
fn fetched(seen: &Value) -> Result<(u64, String), String> {
    if let Some(thrown) = seen.get("thrown") {
        return Err(format!(
            "fetch threw {}: the browser blocked the response (CORS) or could not reach the \
             server",
            text(thrown)
        ));
    }
    match (seen.get("status").and_then(Value::as_u64), seen.get("body")) {
        (Some(status), Some(Value::String(body))) => Ok((status, body.clone())),
        _ => Err(format!("the page reported nothing usable: {seen}")),
    }
}

fn judge_endpoint_seen(seen: &Value, target: &Target) -> Result<(), String> {
    let (status, body) = fetched(seen)?;
    if !(200..300).contains(&status) {
        return Err(format!(
            "status {status} (expected 2xx), body {}",
            shorten(&body)
        ));
    }
    if let Some(why) = seen.get("unreadable") {
        return Err(format!("the page could not read the answer: {}", text(why)));
    }
    if seen.get("serverUrl").and_then(Value::as_str) != Some(target.livekit_url.as_str()) {
        return Err(format!(
            "server_url is {} (expected {:?})",
            seen.get("serverUrl").unwrap_or(&Value::Null),
            target.livekit_url
        ));
    }
    match seen.get("jwt").and_then(Value::as_str) {
        Some(jwt) => judge_token(jwt, ROOM, IDENTITY, target),
        None => Err("the page read no participant_token".to_owned()),
    }
}

fn judge_token_seen(seen: &Value, target: &Target) -> Result<(), String> {
    let (status, body) = fetched(seen)?;
    if status != 200 {
        return Err(format!(
            "status {status} (expected 200), body {}",
            shorten(&body)
        ));
    }
    if let Some(why) = seen.get("unreadable") {
        return Err(format!("the page could not read the token: {}", text(why)));
    }
    let jwt = seen
        .get("jwt")
        .and_then(Value::as_str)
        .ok_or("the page found no token")?;
    judge_token(jwt, ROOM, IDENTITY, target)?;
    let claims = &seen["claims"];
    if claims["sub"] != IDENTITY || claims["room"] != ROOM {
        return Err(format!(
            "claims decoded in the page are {claims} (expected sub {IDENTITY:?}, room {ROOM:?})"
        ));
    }
    Ok(())
}

fn judge_error_seen(seen: &Value, format: ResponseFormat) -> Result<(), String> {
    let (status, body) = fetched(seen)?;
    if status != 400 {
        return Err(format!(
            "status {status} (expected 400), body {}",
            shorten(&body)
        ));
    }
    if let Some(why) = seen.get("unreadable") {
        return Err(format!(
            "the page could not read the message: {}",
            text(why)
        ));
    }
    let message = seen
        .get("message")
        .and_then(Value::as_str)
        .ok_or("the page found no message")?;
    // As in the other cases, a single trailing newline is still one line of text.
    let message = match format {
        ResponseFormat::Text => message.strip_suffix('\n').unwrap_or(message),
        ResponseFormat::Json => message,
    };
    if message == NAMES_REQUIRED {
        Ok(())
    } else {
        Err(format!(
            "error message {message:?} (expected exactly {NAMES_REQUIRED:?})"
        ))
    }
}

/// chromedriver on a free loopback port; killed, with the Chromium it started, when dropped.
#[derive(Debug)]
struct Driver {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Driver {
    /// Starts chromedriver and waits until it accepts connections. A free port is found by
    /// binding and releasing it, so another program may take it first: that start is retried.
    async fn start(program: &Path, dir: &Path) -> Result<Self, String> {
        let mut last_error = String::new();
        for attempt in 0..3 {
            let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .map_err(|err| format!("cannot find a free port: {err}"))?
                .port();
            let log = dir.join(format!("chromedriver-{attempt}.log"));
            let child = Command::new(program)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Its own process group, so that dropping it can end Chromium too.
                .process_group(0)
                .spawn()
                .map_err(|err| format!("cannot run {}: {err}", program.display()))?;
            let mut driver = Self {
                child,
                url: format!("http://127.0.0.1:{port}"),
                log,
            };
            match driver.wait_until_ready(port).await {
                Ok(()) => return Ok(driver),
                Err(err) => last_error = err,
            }
        }
        Err(last_error)
    }

    async fn wait_until_ready(&mut self, port: u16) -> Result<(), String> {
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver exited: {status}{}", self.log_tail()));
            }
            if TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "chromedriver did not listen on port {port} within {} s{}",
                    DRIVER_START_TIMEOUT.as_secs(),
                    self.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The last lines of chromedriver's log, for error messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(5)..].join(" | ");
        if tail.is_empty() {
            String::new()
        } else {
            format!(" (chromedriver's log: {tail})")
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // After a clean close Chromium is gone already; otherwise the whole group goes, so no
        // Chromium outlives the check. (`kill` the command: the crate forbids unsafe code.)
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The page's own origin: a loopback port serving [`PAGE`] at `/`.
///
/// The HTTP/1.1 here is hand-written: the library has no HTTP server dependency (axum is
/// only a dev-dependency), and one static page needs no more than a request line read and
/// a fixed response written.
#[derive(Debug)]
struct PageServer {
    url: String,
    task: JoinHandle<()>,
}

impl PageServer {
    async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let url = format!("http://{}/", listener.local_addr()?);
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(serve_page(stream));
                    }
                    // Out of descriptors, say: wait instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        Ok(Self { url, task })
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers one request on `stream`: the page for `GET /`, 404 otherwise, then closes.
async fn serve_page(mut stream: TcpStream) {
    let mut head = Vec::new();
    let read = tokio::time::timeout(PAGE_REQUEST_TIMEOUT, async {
        let mut buf = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(n) if n > 0 && head.len() < 64 * 1024 => head.extend_from_slice(&buf[..n]),
                _ => return false,
            }
        }
        true
    })
    .await;
    if !matches!(read, Ok(true)) {
        return;
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let is_page =
        request.parse(&head).is_ok() && request.method == Some("GET") && request.path == Some("/");
    let (status, content_type, body) = if is_page {
        ("200 OK", "text/html; charset=utf-8", PAGE)
    } else {
        ("404 Not Found", "text/plain; charset=utf-8", "not found")
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(format: ResponseFormat) -> Target {
        let mut target = Target::new("http://127.0.0.1:1");
        target.format = format;
        target
    }

    #[test]
    fn a_thrown_fetch_fails_with_its_message() {
        let seen = json!({"thrown": "TypeError: Failed to fetch"});
        let reason = judge_token_seen(&seen, &target(ResponseFormat::Text))
            .expect_err("a blocked fetch fails");
        assert!(reason.contains("TypeError: Failed to fetch"), "{reason}");
        let reason = judge_error_seen(&seen, ResponseFormat::Json).expect_err("fails too");
        assert!(reason.contains("TypeError: Failed to fetch"), "{reason}");
    }

    #[test]
    fn the_error_needs_400_and_the_exact_message() {
        let seen = |status: u16, message: &str| json!({"status": status, "body": message, "message": message});
        let text = ResponseFormat::Text;
        assert_eq!(judge_error_seen(&seen(400, NAMES_REQUIRED), text), Ok(()));
        let with_newline = format!("{NAMES_REQUIRED}\n");
        assert_eq!(judge_error_seen(&seen(400, &with_newline), text), Ok(()));
        assert!(judge_error_seen(&seen(422, NAMES_REQUIRED), text).is_err());
        assert!(judge_error_seen(&seen(400, "names are required"), text).is_err());
    }

    #[test]
    fn missing_programs_skip_and_broken_ones_fail() {
        let skipped = StartError::NotInstalled("no chromium".into()).outcomes();
        assert_eq!(skipped.len(), CHECKS.len());
        assert!(skipped.iter().all(|o| matches!(
            &o.verdict,
            Verdict::Skip(why) if why.starts_with("chromium not installed: ")
        )));
        let failed = StartError::Failed("crashed".into()).outcomes();
        assert!(failed.iter().all(|o| matches!(o.verdict, Verdict::Fail(_))));
    }

    #[tokio::test]
    async fn the_page_server_serves_the_page_and_nothing_else() {
        let page = PageServer::start().await.expect("page server starts");
        let address = page.url.trim_start_matches("http://").trim_end_matches('/');
        for (path, expected) in [("/", "200 OK"), ("/favicon.ico", "404 Not Found")] {
            let mut stream = TcpStream::connect(address).await.expect("connects");
            let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
            stream
                .write_all(request.as_bytes())
                .await
                .expect("request sent");
            let mut response = String::new();
            stream
                .read_to_string(&mut response)
                .await
                .expect("response read");
            assert!(
                response.starts_with(&format!("HTTP/1.1 {expected}\r\n")),
                "{response}"
            );
            if path == "/" {
                assert!(response.ends_with(PAGE), "{response}");
            }
        }
    }
}
