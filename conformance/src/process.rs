//! Running a token-server binary as a child process, the way users run it: settings from
//! the environment, address learnt from its "listening" log line.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a binary may take to announce its address.
pub const STARTUP_PATIENCE: Duration = Duration::from_secs(30);

/// Everything a process printed, and a signal for each new line.
type Output = Arc<(Mutex<String>, Condvar)>;

/// A running server binary; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    address: SocketAddr,
    output: Output,
}

impl ServerProcess {
    /// Starts `command` with captured output and waits for its "listening" line.
    pub fn start(mut command: Command) -> Result<Self, String> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|err| format!("cannot start {command:?}: {err}"))?;
        let output: Output = Arc::default();
        let (address_tx, address_rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            collect_lines(stdout, Arc::clone(&output), Some(address_tx.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            collect_lines(stderr, Arc::clone(&output), Some(address_tx));
        }
        match address_rx.recv_timeout(STARTUP_PATIENCE) {
            Ok(address) => Ok(Self {
                child,
                address,
                output,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = output.0.lock().map(|o| o.clone()).unwrap_or_default();
                Err(format!(
                    "the server never announced its address; output:\n{log}"
                ))
            }
        }
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its base URL, `http://address`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Everything it has printed so far, stdout and stderr interleaved by line.
    pub fn output(&self) -> String {
        self.output.0.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// Waits up to `within` for `needle` to appear in its output.
    pub fn wait_for_output(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let Ok(mut output) = self.output.0.lock() else {
            return false;
        };
        while !output.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            output = match self.output.1.wait_timeout(output, left) {
                Ok((output, _)) => output,
                Err(_) => return false,
            };
        }
        true
    }

    /// Sends SIGTERM, as a container runtime or systemd would.
    pub fn terminate(&self) -> Result<(), String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .map_err(|err| format!("cannot run kill: {err}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill -TERM failed: {status}"))
        }
    }

    /// Waits up to `within` for the process to exit.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        wait_for_exit(&mut self.child, within)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits up to `within` for `child` to exit.
pub fn wait_for_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            _ => return None,
        }
    }
}

/// The address in a "listening" log line, in text (`address=...`) or JSON (`"address":"..."`).
pub fn listening_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("listening") {
        return None;
    }
    let rest = line
        .split_once("address=")
        .or_else(|| line.split_once("\"address\":\""))?
        .1;
    rest.split(|c: char| c.is_whitespace() || c == '"' || c == ',')
        .next()?
        .parse()
        .ok()
}

fn collect_lines(
    stream: impl Read + Send + 'static,
    output: Output,
    address: Option<mpsc::Sender<SocketAddr>>,
) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let (Some(tx), Some(found)) = (&address, listening_address(&line)) {
                let _ = tx.send(found);
            }
            if let Ok(mut text) = output.0.lock() {
                text.push_str(&line);
                text.push('\n');
            }
            output.1.notify_all();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_address_in_text_and_json_lines() {
        let text = "2026-01-01T00:00:00Z  INFO token_core::startup: listening \
                    backend=\"server-axum\" address=127.0.0.1:4321 token_ttl_seconds=21600";
        assert_eq!(listening_address(text), Some(([127, 0, 0, 1], 4321).into()));
        let json = r#"{"fields":{"message":"listening","address":"127.0.0.1:99"}}"#;
        assert_eq!(listening_address(json), Some(([127, 0, 0, 1], 99).into()));
        assert_eq!(
            listening_address("address=127.0.0.1:1 but no announcement"),
            None
        );
    }
}
