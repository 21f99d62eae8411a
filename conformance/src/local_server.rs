//! The suite's own HTTP servers on loopback (the identity provider's JWKS, the browser
//! check's page), on hyper: one request per connection, each answered from the request
//! alone, and a client that does not send its whole request head within the timeout is
//! dropped, so a silent connection cannot hold a task forever.

use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How long a client may take to send its request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A loopback HTTP server, serving from a task of its own until dropped.
#[derive(Debug)]
pub struct LocalServer {
    address: SocketAddr,
    task: JoinHandle<()>,
}

impl LocalServer {
    /// Listens on `127.0.0.1:port` (0: a free port) and answers each request with
    /// `respond`; clients get `header_read_timeout` to send their request head.
    pub async fn start<R>(port: u16, header_read_timeout: Duration, respond: R) -> io::Result<Self>
    where
        R: Fn(&Request<Incoming>) -> Response<String> + Send + Sync + 'static,
    {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let address = listener.local_addr()?;
        let task = tokio::spawn(serve(listener, header_read_timeout, Arc::new(respond)));
        Ok(Self { address, task })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A response with `status`, `content_type` and `body`.
pub fn response(status: StatusCode, content_type: &'static str, body: String) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn serve<R>(listener: TcpListener, header_read_timeout: Duration, respond: Arc<R>)
where
    R: Fn(&Request<Incoming>) -> Response<String> + Send + Sync + 'static,
{
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of descriptors, say: wait instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let respond = Arc::clone(&respond);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let answer = respond(&request);
                async move { Ok::<_, Infallible>(answer) }
            });
            // A connection that fails (silent, garbled, gone) ends only itself.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use proptest::prelude::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    /// A bound on any wait, so that a regression fails instead of hanging; never what a
    /// test asserts on.
    const HANG: Duration = Duration::from_secs(20);

    async fn hello(timeout: Duration) -> LocalServer {
        LocalServer::start(0, timeout, |request| {
            let body = format!("hello {}", request.uri().path());
            response(StatusCode::OK, "text/plain", body)
        })
        .await
        .expect("the server starts")
    }

    /// Reads until the server closes the connection: what it sent, and when it closed.
    async fn until_closed(stream: &mut TcpStream) -> (Vec<u8>, Instant) {
        let mut got = Vec::new();
        let read = tokio::time::timeout(HANG, stream.read_to_end(&mut got)).await;
        assert!(read.is_ok(), "the connection is still open after {HANG:?}");
        (got, Instant::now())
    }

    #[tokio::test]
    async fn a_request_gets_its_answer_and_the_connection_closes() {
        let server = hello(HEADER_READ_TIMEOUT).await;
        let mut stream = TcpStream::connect(server.address())
            .await
            .expect("connects");
        stream
            .write_all(b"GET /page HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("request sent");
        let (got, _) = until_closed(&mut stream).await;
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nhello /page"), "{text}");
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_within_the_timeout() {
        let timeout = Duration::from_millis(300);
        let server = hello(timeout).await;
        for sent in [&b""[..], b"GET / HTTP/1.1\r\nHo"] {
            let mut stream = TcpStream::connect(server.address())
                .await
                .expect("connects");
            let connected = Instant::now();
            stream.write_all(sent).await.expect("sent");
            let (_, closed) = until_closed(&mut stream).await;
            let open_for = closed - connected;
            assert!(
                open_for >= timeout,
                "closed after {open_for:?}, before the timeout"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Whatever bytes a client sends, the server answers or closes, and keeps serving.
        #[test]
        fn any_request_bytes_end_in_an_answer_or_a_close(
            sent in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let server = hello(HEADER_READ_TIMEOUT).await;
                let mut stream = TcpStream::connect(server.address()).await.expect("connects");
                // The server may close before reading everything: that is an answer too.
                let _ = stream.write_all(&sent).await;
                let _ = stream.shutdown().await;
                let mut got = Vec::new();
                let read = tokio::time::timeout(HANG, stream.read_to_end(&mut got)).await;
                assert!(read.is_ok(), "no answer nor close for {sent:?}");
                let mut stream = TcpStream::connect(server.address()).await.expect("connects");
                stream
                    .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    .await
                    .expect("request sent");
                let (got, _) = until_closed(&mut stream).await;
                assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
            });
        }
    }
}
