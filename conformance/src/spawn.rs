//! `--spawn`: start the server under test, wait until its port answers, stop it afterwards,
//! as Dredd's `--server` does, so a CI job is one command for a server in any language.

use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::supervisor::Supervised;

/// How long a server may take to exit after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);
/// How many of the server's last output lines a failure report shows.
pub const TAIL_LINES: usize = 40;
/// The placeholder replaced by a free port in the command, `--env` values and `--url`.
pub const PORT_PLACEHOLDER: &str = "{port}";

/// How to start the server under test.
#[derive(Debug, Clone)]
pub struct SpawnSpec {
    /// A shell command line (run by `sh -c`), with [`PORT_PLACEHOLDER`] where the port goes.
    pub command: String,
    /// Extra environment variables, `{port}` allowed in values.
    pub env: Vec<(String, String)>,
    /// The working directory, if not the current one.
    pub cwd: Option<PathBuf>,
    /// How long the server may take to accept connections.
    pub ready_timeout: Duration,
}

/// A free loopback port, for the `{port}` placeholder.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// Replaces every `{port}` in `text`.
pub fn fill_port(text: &str, port: u16) -> String {
    text.replace(PORT_PLACEHOLDER, &port.to_string())
}

/// The server under test, running; stop it with [`Spawned::stop`] (dropping kills it).
#[derive(Debug)]
pub struct Spawned {
    process: Supervised,
}

impl Spawned {
    /// Starts the server with `port` filled in.
    pub fn start(spec: &SpawnSpec, port: u16) -> Result<Self, Error> {
        // `exec` makes the server the shell's own process, so SIGTERM reaches it.
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("exec {}", fill_port(&spec.command, port)));
        for (name, value) in &spec.env {
            command.env(name, fill_port(value, port));
        }
        if let Some(dir) = &spec.cwd {
            command.current_dir(dir);
        }
        Ok(Self {
            process: Supervised::spawn(command)?,
        })
    }

    /// Waits until `address` accepts a connection; fails when the server exits first or the
    /// time runs out.
    pub fn wait_until_listening(&mut self, address: &str, within: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.process.exit_status() {
                return Err(Error::Exited {
                    status,
                    address: address.to_owned(),
                });
            }
            if resolve(address).is_some_and(|addr| {
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            }) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::NotListening {
                    address: address.to_owned(),
                    seconds: within.as_secs_f64(),
                });
            }
            // Polling the port is the observable event; between attempts, a short pause.
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last [`TAIL_LINES`] lines it printed.
    pub fn tail(&mut self) -> String {
        self.process.tail(TAIL_LINES)
    }

    /// SIGTERM, then SIGKILL after [`STOP_GRACE`]; returns how it ended.
    pub fn stop(mut self) -> Option<ExitStatus> {
        self.process.stop(STOP_GRACE)
    }
}

fn resolve(address: &str) -> Option<SocketAddr> {
    address.to_socket_addrs().ok()?.next()
}
