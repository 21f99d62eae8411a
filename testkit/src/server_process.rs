//! A token-server binary running as a child process, the way users run it: settings from the
//! environment, its address learnt from its "listening" log line.

use std::net::SocketAddr;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use conformance::supervisor::{SpawnError, Supervised};

/// How long a binary may take to announce its address.
pub const STARTUP_PATIENCE: Duration = Duration::from_secs(30);

/// Why a server binary is not serving.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// It could not be run.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// It never printed its "listening" line.
    #[error("the server never announced its address; output:\n{0}")]
    Silent(String),
}

/// A running server binary; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    process: Supervised,
    address: SocketAddr,
}

impl ServerProcess {
    /// Starts `command` with captured output and waits for its "listening" line.
    pub fn start(command: Command) -> Result<Self, StartError> {
        let mut process = Supervised::spawn(command)?;
        match process.wait_for_line(STARTUP_PATIENCE, listening_address) {
            Some(address) => Ok(Self { process, address }),
            None => {
                process.stop(Duration::ZERO);
                Err(StartError::Silent(process.output()))
            }
        }
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its process ID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Its base URL, `http://address`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Everything it has printed so far, stdout and stderr interleaved by line.
    pub fn output(&self) -> String {
        self.process.output()
    }

    /// Waits up to `within` for a line containing `needle`.
    pub fn wait_for_output(&self, needle: &str, within: Duration) -> bool {
        self.process.wait_for_output(needle, within)
    }

    /// Sends SIGTERM, as a container runtime or systemd would.
    pub fn terminate(&self) -> std::io::Result<()> {
        self.process.terminate()
    }

    /// Waits up to `within` for the process to exit.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        self.process.wait_for_exit(within)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_address_in_text_and_json_lines() {
        let text = "2026-01-01T00:00:00Z  INFO server_runtime::startup: listening \
                    backend=\"server-axum\" address=127.0.0.1:4321 token_ttl_seconds=21600";
        assert_eq!(listening_address(text), Some(([127, 0, 0, 1], 4321).into()));
        let json = r#"{"fields":{"message":"listening","address":"127.0.0.1:99"}}"#;
        assert_eq!(listening_address(json), Some(([127, 0, 0, 1], 99).into()));
        assert_eq!(
            listening_address("address=127.0.0.1:1 but no announcement"),
            None
        );
    }

    #[test]
    fn a_binary_that_never_listens_is_reported_with_its_output() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo 'configuration error'; exit 2"]);
        let err = ServerProcess::start(command).expect_err("never listens");
        assert!(err.to_string().contains("configuration error"), "{err}");
    }
}
