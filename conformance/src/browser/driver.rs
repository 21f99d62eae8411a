//! The chromedriver child process: started on a free loopback port, killed with its Chromium.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::supervisor::Supervised;

/// How long chromedriver may take to accept connections.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(10);

/// chromedriver on a free loopback port; killed, with the Chromium it started, when dropped.
#[derive(Debug)]
pub(super) struct Driver {
    /// In its own process group, so that dropping it ends Chromium too.
    process: Supervised,
    url: String,
    log: PathBuf,
}

impl Driver {
    /// Starts chromedriver and waits until it accepts connections. A free port is found by
    /// binding and releasing it, so another program may take it first: that start is retried.
    pub(super) async fn start(program: &Path, dir: &Path) -> Result<Self, String> {
        let mut last_error = String::new();
        for attempt in 0..3 {
            let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .map_err(|err| format!("cannot find a free port: {err}"))?
                .port();
            let log = dir.join(format!("chromedriver-{attempt}.log"));
            let mut command = Command::new(program);
            command
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()));
            let process = Supervised::spawn_group(command).map_err(|err| err.to_string())?;
            let mut driver = Self {
                process,
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

    /// Where chromedriver listens, e.g. `http://127.0.0.1:40123`.
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    async fn wait_until_ready(&mut self, port: u16) -> Result<(), String> {
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        loop {
            if let Some(status) = self.process.exit_status() {
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
    pub(super) fn log_tail(&self) -> String {
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
