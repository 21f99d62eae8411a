//! The page's own origin: a tiny HTTP server on loopback that serves `page.html`.

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The page every check runs in, served as is: nothing is filled in, so the room and
/// identity it asks for are written in it and must stay those the verdicts expect. Its
/// `conformanceCheck(base, format)` makes the requests and returns what it saw; judging is
/// left to Rust.
const PAGE: &str = include_str!("page.html");

/// How long a connection to the page server may take to send its request.
const PAGE_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The page's own origin: a loopback port serving [`PAGE`] at `/`.
///
/// The HTTP/1.1 here is hand-written: the library has no HTTP server dependency (axum is
/// only a dev-dependency), and one static page needs no more than a request line read and
/// a fixed response written.
#[derive(Debug)]
pub(super) struct PageServer {
    url: String,
    task: JoinHandle<()>,
}

impl PageServer {
    /// Listens on a free loopback port and serves from a task of its own until dropped.
    pub(super) async fn start() -> io::Result<Self> {
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

    /// The page's URL, e.g. `http://127.0.0.1:40123/`.
    pub(super) fn url(&self) -> &str {
        &self.url
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
    use crate::browser::verdicts::{IDENTITY, ROOM};

    #[test]
    fn the_page_asks_for_the_room_and_identity_the_verdicts_expect() {
        let token = format!(r#"{{roomName: "{ROOM}", participantName: "{IDENTITY}"}}"#);
        let endpoint = format!(r#"{{room_name: "{ROOM}", participant_identity: "{IDENTITY}"}}"#);
        assert!(PAGE.contains(&token), "page.html lacks {token}");
        assert!(PAGE.contains(&endpoint), "page.html lacks {endpoint}");
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
