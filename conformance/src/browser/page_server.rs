//! The page's own origin: the suite's loopback HTTP server, serving `page.html`.

use std::io;

use hyper::header::{CACHE_CONTROL, HeaderValue};
use hyper::{Method, StatusCode};

use crate::local_server::{HEADER_READ_TIMEOUT, LocalServer, response};

/// The page every check runs in, served as is: nothing is filled in, so the room and
/// identity it asks for are written in it and must stay those the verdicts expect. Its
/// `conformanceCheck(base, format)` makes the requests and returns what it saw; judging is
/// left to Rust.
const PAGE: &str = include_str!("page.html");

/// The page's own origin: a loopback port serving [`PAGE`] at `/`, on the suite's loopback
/// HTTP server (a client that does not send its request head in time is dropped).
#[derive(Debug)]
pub(super) struct PageServer {
    url: String,
    /// Serves until dropped.
    _server: LocalServer,
}

impl PageServer {
    /// Listens on a free loopback port and serves from a task of its own until dropped.
    pub(super) async fn start() -> io::Result<Self> {
        let server = LocalServer::start(0, HEADER_READ_TIMEOUT, |request| {
            let is_page = request.method() == Method::GET
                && request.uri().path_and_query().map(|target| target.as_str()) == Some("/");
            let mut answer = if is_page {
                response(StatusCode::OK, "text/html; charset=utf-8", PAGE.to_owned())
            } else {
                let body = "not found".to_owned();
                response(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", body)
            };
            answer
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            answer
        })
        .await?;
        let url = format!("http://{}/", server.address());
        Ok(Self {
            url,
            _server: server,
        })
    }

    /// The page's URL, e.g. `http://127.0.0.1:40123/`.
    pub(super) fn url(&self) -> &str {
        &self.url
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

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
