//! A real `redis-server` (Debian's package) for the shared rate limits' tests, started on a
//! free loopback port with nothing persisted, and `redis-cli` to act on it. Outside CI a
//! missing `redis-server` is a visible skip; under CI (`CI` set) a failure, since `.ci/run`
//! installs it.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;
use std::time::Duration;

use conformance::supervisor::Supervised;

/// How long Redis may take to say it accepts connections.
const STARTUP_PATIENCE: Duration = Duration::from_secs(20);

/// A `redis-server` child process; stopped when dropped.
#[derive(Debug)]
pub struct RedisServer {
    process: Option<Supervised>,
    port: u16,
}

impl RedisServer {
    /// Starts one on a free port, or `None` after saying why the calling test is skipped.
    pub fn start_or_skip(test: &str) -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            crate::missing_tool::skip_outside_ci(
                test,
                "redis-server is not installed (apt-get install redis-server)",
            );
            return None;
        }
        let port = free_port();
        let mut server = Self {
            process: None,
            port,
        };
        server.restart();
        Some(server)
    }

    /// Its URL, `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it at once, as a crash would: connections drop, nothing is saved.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
            let _ = process.wait_for_exit(STARTUP_PATIENCE);
        }
    }

    /// Starts it again on the same port, empty, and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let mut command = Command::new("redis-server");
        command.args([
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]);
        let process = Supervised::spawn(command).expect("run redis-server");
        assert!(
            process.wait_for_output("Ready to accept connections", STARTUP_PATIENCE),
            "redis-server did not start:\n{}",
            process.output()
        );
        self.process = Some(process);
    }

    /// Runs one command with `redis-cli` and returns its reply as text.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("run redis-cli");
        assert!(output.status.success(), "redis-cli {args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port free now (Redis cannot be asked for port 0 and tell which it took).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}
