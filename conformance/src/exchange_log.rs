//! `--show-exchange`: the raw bytes of each exchange, as the suite's HTTP client wrote and
//! read them on the connection.
//!
//! reqwest logs every read and write of a connection, escaped, when it is built with
//! `connection_verbose`, through the `log` facade; this module's logger keeps those lines
//! until the runner prints them under their case. The scenarios' raw connections are
//! [`Recorded`], which keeps their bytes the same way.

use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// reqwest's log target for a connection's bytes.
const TARGET: &str = "reqwest::connect::verbose";

static CAPTURE: OnceLock<Capture> = OnceLock::new();

#[derive(Debug, Default)]
struct Capture {
    lines: Mutex<Vec<String>>,
}

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target().starts_with(TARGET)
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            self.push(record.args().to_string());
        }
    }

    fn flush(&self) {}
}

impl Capture {
    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(line);
    }
}

/// Starts recording every exchange; `false` when another logger was installed first.
pub fn enable() -> bool {
    let capture = CAPTURE.get_or_init(Capture::default);
    if log::set_logger(capture).is_err() {
        return false;
    }
    log::set_max_level(log::LevelFilter::Trace);
    true
}

/// Whether exchanges are being recorded (the client is then built to log them).
pub fn enabled() -> bool {
    CAPTURE.get().is_some() && log::max_level() == log::LevelFilter::Trace
}

/// The exchanges recorded since the last call, rendered: `>` for bytes sent and `<` for
/// bytes received, one line per `\r\n`-ended line, escaped as Rust byte strings are.
pub fn take() -> String {
    let Some(capture) = CAPTURE.get() else {
        return String::new();
    };
    let lines = std::mem::take(
        &mut *capture
            .lines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    lines.iter().map(|line| render(line)).collect()
}

/// Keeps `bytes` a raw connection `wrote` (or read), in reqwest's form, when recording.
fn raw(wrote: bool, bytes: &[u8]) {
    if let (true, Some(capture)) = (enabled(), CAPTURE.get())
        && !bytes.is_empty()
    {
        let direction = if wrote { "write" } else { "read" };
        // `escape_ascii` escapes as reqwest's log does: CRLF as `\r\n`, quotes as `\"`.
        capture.push(format!("raw {direction}: b\"{}\"", bytes.escape_ascii()));
    }
}

/// A raw connection whose bytes are recorded for `--show-exchange`, as reqwest's are.
#[derive(Debug)]
pub struct Recorded<S>(pub S);

impl<S: AsyncRead + Unpin> AsyncRead for Recorded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.0).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            raw(false, &buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.0).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = polled {
            raw(true, &buf[..written]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Prints the exchanges of the case `id` just run, when recording.
pub fn print_for(id: &str) {
    if enabled() {
        let exchanges = take();
        if exchanges.is_empty() {
            println!("--- {id}: no exchange recorded");
        } else {
            print!("--- {id}\n{exchanges}");
        }
    }
}

/// One of reqwest's lines, `{id:08x} write: b"..."`, `{id:08x} write (vectored):
/// b"..."b"..."` or `{id:08x} read: b"..."`, as lines of `> ` or `< ` and the bytes, split
/// after each escaped CRLF. Inside the escaped bytes a quote is always escaped, so `"b"` only
/// ever joins two buffers.
fn render(line: &str) -> String {
    let (direction, rest) = match line.split_once(' ').map(|(_, rest)| rest) {
        Some(rest) if rest.starts_with("write") => ("> ", rest),
        Some(rest) if rest.starts_with("read") => ("< ", rest),
        _ => return format!("  {line}\n"),
    };
    let payload = rest.split_once(": ").map_or(rest, |(_, payload)| payload);
    let bytes = payload
        .strip_prefix("b\"")
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(payload)
        .replace("\"b\"", "");
    let mut out = String::new();
    for piece in bytes.split_inclusive("\\r\\n") {
        out.push_str(direction);
        out.push_str(piece);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_show_direction_and_split_after_crlf() {
        assert_eq!(
            render(r#"0000002a write: b"POST /token HTTP/1.1\r\nhost: a\r\n\r\n{}""#),
            "> POST /token HTTP/1.1\\r\\n\n> host: a\\r\\n\n> \\r\\n\n> {}\n"
        );
        assert_eq!(
            render(r#"0000002a read: b"HTTP/1.1 200 OK\r\n""#),
            "< HTTP/1.1 200 OK\\r\\n\n"
        );
        assert_eq!(render("something else"), "  something else\n");
        // A raw connection's bytes, as `raw` keeps them.
        let kept = format!(
            "raw write: b\"{}\"",
            b"GET / HTTP/1.1\r\n\r\n\"\xff".escape_ascii()
        );
        assert_eq!(
            render(&kept),
            "> GET / HTTP/1.1\\r\\n\n> \\r\\n\n> \\\"\\xff\n"
        );
        assert_eq!(
            render(r#"0000002a write (vectored): b"a: 1\r\n\r\n"b"{\"x\":1}""#),
            "> a: 1\\r\\n\n> \\r\\n\n> {\\\"x\\\":1}\n"
        );
    }

    proptest::proptest! {
        /// The rendered lines hold what the server sent, whatever it sent (reqwest escapes
        /// every byte to printable ASCII).
        #[test]
        fn any_line_renders_without_losing_bytes(bytes in "[ !#-~]*") {
            let line = format!("00000001 read: b\"{bytes}\"");
            let rendered = render(&line);
            let kept: String = rendered
                .lines()
                .map(|line| line.strip_prefix("< ").unwrap_or(line))
                .collect();
            proptest::prop_assert_eq!(kept, bytes);
        }

        /// Any line at all, from reqwest or not, renders without a panic.
        #[test]
        fn any_text_renders(line in proptest::prelude::any::<String>()) {
            let _ = render(&line);
        }
    }
}
