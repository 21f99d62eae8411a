//! The servers under test: our release binaries, the baseline, or a URL; and what `/proc`
//! says about their processes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::server_process::ServerProcess;

/// Credentials every spawned backend runs with (a production-shaped secret).
pub const API_KEY: &str = "APIbench";
/// The secret paired with [`API_KEY`].
pub const API_SECRET: &str = "bench-secret-0123456789abcdefghijkl";

/// The CPU the servers are pinned to, when the machine has two or more.
pub const SERVER_CPU: usize = 0;
/// The CPU the load generator is pinned to.
pub const LOAD_CPU: usize = 1;

/// A server to measure.
#[derive(Debug, Clone)]
pub enum ContenderSpec {
    /// The bare hyper server answering a fixed body: the ceiling.
    Baseline,
    /// One of our backends' release binaries.
    Binary(String),
    /// Any server, by URL (no process figures).
    Url(String, String),
}

impl ContenderSpec {
    /// Its name in the report.
    pub fn name(&self) -> &str {
        match self {
            Self::Baseline => "baseline",
            Self::Binary(name) => name.trim_start_matches("server-"),
            Self::Url(name, _) => name,
        }
    }
}

/// A started server: a process we own, or a URL.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub address: SocketAddr,
    /// The process, when we started it.
    pub process: Option<ServerProcess>,
    /// Time from spawning to the first 200 on `POST /token`.
    pub startup: Option<Duration>,
    /// Size of the executable.
    pub binary_bytes: Option<u64>,
    /// The process's empty working directory, kept as long as the process runs.
    pub workdir: Option<tempfile::TempDir>,
}

/// Logical CPUs of the machine (not of this process, which may be pinned to one).
pub fn machine_cpus() -> usize {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| info.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(1)
        .max(1)
}

/// Whether this machine can give the servers and the load generator a core each.
pub fn can_pin() -> bool {
    machine_cpus() >= 2 && Path::new("/usr/bin/taskset").exists()
}

/// Pins this process (and every thread it starts afterwards) to the load generator's CPU.
pub fn pin_self() -> bool {
    can_pin()
        && Command::new("taskset")
            .args([
                "-cp",
                &LOAD_CPU.to_string(),
                &std::process::id().to_string(),
            ])
            .output()
            .is_ok_and(|output| output.status.success())
}

/// Starts `executable` (with `args`), pinned to the server CPU when possible, on a free
/// port, with the bench credentials, and waits for its first 200 (asked with
/// `authorization`, a caller's token in production mode).
pub async fn start_process(
    executable: &Path,
    args: &[&str],
    authorization: Option<&str>,
) -> Result<Running, String> {
    let mut command = if can_pin() {
        let mut command = Command::new("taskset");
        command
            .arg("-c")
            .arg(SERVER_CPU.to_string())
            .arg(executable);
        command
    } else {
        Command::new(executable)
    };
    // An empty working directory: no stray `.env` can change the settings.
    let dir = tempfile::tempdir().map_err(|err| format!("no temporary directory: {err}"))?;
    testkit::binary_checks::isolate(command.args(args))
        .current_dir(dir.path())
        .env("LIVEKIT_API_KEY", API_KEY)
        .env("LIVEKIT_API_SECRET", API_SECRET)
        // One address sends tens of thousands of requests a second here, far past any quota
        // fit for production; `--cost` measures what the limits cost, at a quota never met.
        .env("RATE_LIMITS", "off")
        // Request lines cost the same on every backend; warnings and errors still show.
        .env("RUST_LOG", "warn,server_runtime::startup=info");
    let spawned = Instant::now();
    let process = ServerProcess::start(command).map_err(|err| err.to_string())?;
    let address = process.address();
    let startup = first_token(address, authorization)
        .await
        .map(|()| spawned.elapsed())?;
    Ok(Running {
        address,
        process: Some(process),
        startup: Some(startup),
        binary_bytes: std::fs::metadata(executable).ok().map(|m| m.len()),
        workdir: Some(dir),
    })
}

/// Polls `POST /token` until it answers 200.
async fn first_token(address: SocketAddr, authorization: Option<&str>) -> Result<(), String> {
    let client = conformance::runner::client().map_err(|err| err.to_string())?;
    let url = format!("http://{address}/token");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let mut request = client
            .post(&url)
            .header("content-type", "application/json")
            .body(r#"{"roomName":"bench","participantName":"first"}"#);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let answer = request.send().await;
        if answer.is_ok_and(|response| response.status() == 200) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Err(format!("{address} never answered a token request"))
}

/// The directory of this executable: where `cargo build --release` puts the backends too.
pub fn binary_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|err| err.to_string())?;
    exe.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| "no directory for the bench executable".to_owned())
}

/// CPU time (user + system) a process has used so far.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second(),
    ))
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A `/proc/<pid>/status` figure in KiB: `VmHWM` (peak RSS) or `VmRSS` (current).
pub fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}
