//! One supervisor for every child process the suite starts (`--spawn`'s server under test,
//! chromedriver) and the test harness starts (backend binaries): output kept line by line,
//! waits on what the process prints or on its exit, signals sent with `rustix`, and a kill
//! when it is dropped, so no child outlives its run.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process, kill_process_group};

/// How much output is kept; past it the oldest lines go (a chatty server must not grow the
/// suite's memory without bound).
const KEPT_BYTES: usize = 8 * 1024 * 1024;

/// The longest line kept whole; a longer one is kept in pieces of this size, so output
/// without a newline cannot grow the suite's memory either.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// How often exit is polled: `std::process::Child` offers no wait with a timeout.
const EXIT_POLL: Duration = Duration::from_millis(20);

/// A child process could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {program}: {source}")]
pub struct SpawnError {
    /// The program, as the command names it.
    pub program: String,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// A running child process with its output captured; killed when dropped.
#[derive(Debug)]
pub struct Supervised {
    child: Child,
    /// Started as the leader of its own process group, so stopping it stops what it started.
    group: bool,
    output: Arc<Output>,
}

/// What the child printed, and a signal for each new line.
#[derive(Debug, Default)]
struct Output {
    kept: Mutex<Kept>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Kept {
    lines: VecDeque<String>,
    bytes: usize,
    /// How many lines were dropped from the front, so positions stay stable.
    dropped: usize,
    /// How many of the two streams reached their end.
    streams_done: usize,
}

impl Supervised {
    /// Starts `command` with no standard input and its standard output and error captured.
    pub fn spawn(command: Command) -> Result<Self, SpawnError> {
        Self::start(command, false)
    }

    /// As [`spawn`](Self::spawn), the child leading a process group of its own: stopping or
    /// dropping it signals the whole group (chromedriver and the browser it starts).
    pub fn spawn_group(mut command: Command) -> Result<Self, SpawnError> {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
        Self::start(command, true)
    }

    fn start(mut command: Command, group: bool) -> Result<Self, SpawnError> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| SpawnError {
            program: command.get_program().to_string_lossy().into_owned(),
            source,
        })?;
        let output = Arc::new(Output::default());
        if let Some(stdout) = child.stdout.take() {
            collect(stdout, Arc::clone(&output));
        }
        if let Some(stderr) = child.stderr.take() {
            collect(stderr, Arc::clone(&output));
        }
        Ok(Self {
            child,
            group,
            output,
        })
    }

    /// Its process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything kept of what it printed, stdout and stderr interleaved by line.
    pub fn output(&self) -> String {
        let kept = self.output.lock();
        kept.lines.iter().fold(String::new(), |mut text, line| {
            text.push_str(line);
            text.push('\n');
            text
        })
    }

    /// Its last `count` lines. Once it has exited, first waits (up to a second) for the
    /// pipes to be read to their end, so its last words are there.
    pub fn tail(&mut self, count: usize) -> String {
        if self.exit_status().is_some() {
            let deadline = Instant::now() + Duration::from_secs(1);
            let _ = self
                .output
                .wait_until(deadline, |kept| kept.streams_done == 2);
        }
        let kept = self.output.lock();
        let skip = kept.lines.len().saturating_sub(count);
        kept.lines
            .iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits up to `within` for a line `find` recognises, and returns what it found; lines
    /// printed before the call count too.
    pub fn wait_for_line<T>(
        &self,
        within: Duration,
        mut find: impl FnMut(&str) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + within;
        let mut next = 0;
        let mut found = None;
        let _ = self.output.wait_until(deadline, |kept| {
            let start = next.max(kept.dropped) - kept.dropped;
            for line in kept.lines.iter().skip(start) {
                next += 1;
                if let Some(value) = find(line) {
                    found = Some(value);
                    return true;
                }
            }
            next = next.max(kept.dropped + kept.lines.len());
            // Both streams closed: nothing more will come.
            kept.streams_done == 2
        });
        found
    }

    /// Waits up to `within` for a line containing `needle`.
    pub fn wait_for_output(&self, needle: &str, within: Duration) -> bool {
        self.wait_for_line(within, |line| line.contains(needle).then_some(()))
            .is_some()
    }

    /// Sends SIGTERM, as a container runtime or systemd would.
    pub fn terminate(&self) -> std::io::Result<()> {
        self.signal(Signal::TERM)
    }

    /// How it ended, if it has.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits up to `within` for it to exit.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(EXIT_POLL),
                _ => return None,
            }
        }
    }

    /// SIGTERM, then SIGKILL when it has not exited after `grace`; returns how it ended.
    pub fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.exit_status() {
            return Some(status);
        }
        let _ = self.terminate();
        self.wait_for_exit(grace).or_else(|| {
            self.kill();
            self.child.wait().ok()
        })
    }

    fn signal(&self, signal: Signal) -> std::io::Result<()> {
        let pid = Pid::from_child(&self.child);
        if self.group {
            kill_process_group(pid, signal)?;
        } else {
            kill_process(pid, signal)?;
        }
        Ok(())
    }

    /// Sends SIGKILL, as a crash or an OOM kill would end it.
    pub fn kill(&mut self) {
        // The group first: its other members may outlive the leader.
        if self.group {
            let _ = self.signal(Signal::KILL);
        }
        let _ = self.child.kill();
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if self.group || self.exit_status().is_none() {
            self.kill();
            let _ = self.child.wait();
        }
    }
}

impl Output {
    fn lock(&self) -> MutexGuard<'_, Kept> {
        // A reader thread that panicked leaves the lines it kept; they are still worth showing.
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until `done` holds or `deadline` passes; `done` runs on every change.
    fn wait_until(&self, deadline: Instant, mut done: impl FnMut(&Kept) -> bool) -> bool {
        let mut kept = self.lock();
        loop {
            if done(&kept) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            kept = match self.changed.wait_timeout(kept, left) {
                Ok((kept, _)) => kept,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    fn push(&self, line: String) {
        let mut kept = self.lock();
        kept.bytes += line.len();
        kept.lines.push_back(line);
        while kept.bytes > KEPT_BYTES && kept.lines.len() > 1 {
            if let Some(old) = kept.lines.pop_front() {
                kept.bytes -= old.len();
                kept.dropped += 1;
            }
        }
        drop(kept);
        self.changed.notify_all();
    }

    fn stream_done(&self) {
        self.lock().streams_done += 1;
        self.changed.notify_all();
    }
}

/// Reads `stream` to its end, line by line: bytes that are not UTF-8 are replaced, and a
/// line longer than [`MAX_LINE_BYTES`] is kept in pieces, so the child's output never stops
/// being drained and never grows one line without bound.
fn collect(stream: impl Read + Send + 'static, output: Arc<Output>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            let mut limited = (&mut reader).take(MAX_LINE_BYTES as u64);
            match limited.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = line.strip_suffix(b"\n").unwrap_or(&line);
                    let text = text.strip_suffix(b"\r").unwrap_or(text);
                    output.push(String::from_utf8_lossy(text).into_owned());
                }
            }
        }
        output.stream_done();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn waits_for_a_line_and_keeps_both_streams() {
        let mut child =
            Supervised::spawn(shell("echo one; echo two >&2; echo 'port=4321'; sleep 30"))
                .expect("sh starts");
        let port = child.wait_for_line(Duration::from_secs(10), |line| {
            line.strip_prefix("port=")?.parse::<u16>().ok()
        });
        assert_eq!(port, Some(4321));
        assert!(child.wait_for_output("two", Duration::from_secs(10)));
        let output = child.output();
        assert!(
            output.contains("one\n") && output.contains("two\n"),
            "{output}"
        );
        let status = child.stop(Duration::from_secs(5)).expect("stopped");
        assert!(!status.success(), "sleep ends by SIGTERM: {status}");
    }

    #[test]
    fn a_line_that_never_comes_is_not_found_once_the_child_exits() {
        let mut child = Supervised::spawn(shell("echo nothing here")).expect("sh starts");
        let started = Instant::now();
        assert!(!child.wait_for_output("listening", Duration::from_secs(30)));
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "waited past the exit"
        );
        assert_eq!(child.tail(5), "nothing here");
    }

    #[test]
    fn bytes_that_are_not_text_and_endless_lines_do_not_stop_the_reading() {
        let mut child = Supervised::spawn(shell(
            "printf 'bad \\377\\376 bytes\\n'; head -c 300000 /dev/zero | tr '\\0' x; \
             echo; echo port=4321; sleep 30",
        ))
        .expect("sh starts");
        let port = child.wait_for_line(Duration::from_secs(10), |line| {
            line.strip_prefix("port=")?.parse::<u16>().ok()
        });
        assert_eq!(port, Some(4321));
        let longest = child.output().lines().map(str::len).max().unwrap_or(0);
        assert!(
            longest <= MAX_LINE_BYTES,
            "a line of {longest} bytes kept whole"
        );
        let _ = child.stop(Duration::from_secs(5));
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let err = Supervised::spawn(Command::new("/nonexistent/program")).expect_err("no start");
        assert!(err.to_string().contains("/nonexistent/program"), "{err}");
    }
}
