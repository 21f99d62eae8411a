//! `--spawn`: start the server under test, wait until its port answers, stop it afterwards,
//! as Dredd's `--server` does, so a CI job is one command for a server in any language.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to exit after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);
/// How many of the server's last output lines are kept for a failure report.
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
    child: Child,
    tail: Arc<Mutex<VecDeque<String>>>,
    /// How many of the two output readers reached the end of their stream.
    readers_done: Arc<AtomicUsize>,
}

impl Spawned {
    /// Starts the server with `port` filled in.
    pub fn start(spec: &SpawnSpec, port: u16) -> Result<Self, String> {
        // `exec` makes the server the shell's own process, so SIGTERM reaches it.
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("exec {}", fill_port(&spec.command, port)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &spec.env {
            command.env(name, fill_port(value, port));
        }
        if let Some(dir) = &spec.cwd {
            command.current_dir(dir);
        }
        let mut child = command
            .spawn()
            .map_err(|err| format!("cannot start {:?}: {err}", spec.command))?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let readers_done = Arc::new(AtomicUsize::new(0));
        if let Some(stdout) = child.stdout.take() {
            keep_tail(stdout, Arc::clone(&tail), Arc::clone(&readers_done));
        }
        if let Some(stderr) = child.stderr.take() {
            keep_tail(stderr, Arc::clone(&tail), Arc::clone(&readers_done));
        }
        Ok(Self {
            child,
            tail,
            readers_done,
        })
    }

    /// Waits until `address` accepts a connection; fails when the server exits first or the
    /// time runs out.
    pub fn wait_until_listening(&mut self, address: &str, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}) before accepting connections on {address}"
                ));
            }
            if resolve(address).is_some_and(|addr| {
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            }) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the server did not accept connections on {address} within {} s",
                    within.as_secs_f64()
                ));
            }
            // Polling the port is the observable event; between attempts, a short pause.
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last [`TAIL_LINES`] lines it printed. Once it has exited, waits (up to a second)
    /// for its last lines to be read.
    pub fn tail(&mut self) -> String {
        if let Ok(Some(_)) = self.child.try_wait() {
            let deadline = Instant::now() + Duration::from_secs(1);
            while self.readers_done.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
        }
        self.tail
            .lock()
            .map(|lines| lines.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// SIGTERM, then SIGKILL after [`STOP_GRACE`]; returns how it ended.
    pub fn stop(mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let exited = crate::process::wait_for_exit(&mut self.child, STOP_GRACE);
        if exited.is_none() {
            let _ = self.child.kill();
            return self.child.wait().ok();
        }
        exited
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `host:port` of a base URL.
pub fn authority(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    Some(format!(
        "{}:{}",
        parsed.host_str()?,
        parsed.port_or_known_default()?
    ))
}

fn resolve(address: &str) -> Option<SocketAddr> {
    address.to_socket_addrs().ok()?.next()
}

fn keep_tail(
    stream: impl Read + Send + 'static,
    tail: Arc<Mutex<VecDeque<String>>>,
    done: Arc<AtomicUsize>,
) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut lines) = tail.lock() {
                if lines.len() == TAIL_LINES {
                    lines.pop_front();
                }
                lines.push_back(line);
            }
        }
        done.fetch_add(1, Ordering::SeqCst);
    });
}
