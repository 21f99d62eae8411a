//! Checks that need raw control of connections: keep-alive, oversized uploads, stalled
//! clients. They speak HTTP/1.1 over a plain TCP stream, parsed with `httparse`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::case::Scenario;
use crate::runner::error_chain;
use crate::target::Target;

/// How long a scenario waits for the server before failing.
pub const PATIENCE: Duration = Duration::from_secs(5);

const VALID: &str = r#"{"roomName":"room1","participantName":"alice"}"#;

/// Runs one scenario.
pub async fn run(
    scenario: Scenario,
    client: &reqwest::Client,
    target: &Target,
) -> Result<(), String> {
    match scenario {
        Scenario::KeepAlive => keep_alive(target).await,
        Scenario::ServesAfterOversizedBody => serves_after_oversized(client, target).await,
        Scenario::StalledClientDoesNotBlock => stalled_client(client, target).await,
        Scenario::ConnectionUsableAfterRefusal => connection_after_refusal(target).await,
    }
}

/// Fails when nothing accepts connections at the target's address.
pub async fn probe(target: &Target) -> Result<(), String> {
    connect(target).await.map(drop)
}

fn authority(target: &Target) -> Result<String, String> {
    let url = reqwest::Url::parse(&target.base_url)
        .map_err(|err| format!("invalid URL {}: {err}", target.base_url))?;
    if url.scheme() != "http" {
        return Err(format!(
            "only http:// URLs are supported, not {}",
            target.base_url
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| format!("no host in {}", target.base_url))?;
    let port = url.port_or_known_default().unwrap_or(80);
    Ok(format!("{host}:{port}"))
}

async fn connect(target: &Target) -> Result<TcpStream, String> {
    let authority = authority(target)?;
    match timeout(
        PATIENCE,
        TcpStream::connect(authority.trim_matches(['[', ']'])),
    )
    .await
    {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(err)) => Err(format!("cannot connect to {authority}: {err}")),
        Err(_) => Err(format!("cannot connect to {authority}: timed out")),
    }
}

fn valid_request(target: &Target) -> Result<String, String> {
    Ok(format!(
        "POST /token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{VALID}",
        authority(target)?,
        VALID.len()
    ))
}

/// A response read off a raw connection.
struct RawResponse {
    status: u16,
    closes: bool,
}

/// Reads one response (headers and a `Content-Length` or chunked body).
async fn read_response(stream: &mut TcpStream) -> Result<RawResponse, String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&buffer) {
            Ok(httparse::Status::Complete(head_len)) => {
                let status = response.code.unwrap_or_default();
                let find = |name: &str| {
                    response
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
                };
                let closes = find("connection").is_some_and(|v| v.contains("close"));
                let length = find("content-length").and_then(|v| v.trim().parse::<usize>().ok());
                let chunked = find("transfer-encoding").is_some_and(|v| v.contains("chunked"));
                let mut body = buffer.split_off(head_len);
                loop {
                    let complete = match (length, chunked) {
                        (Some(length), _) => body.len() >= length,
                        (None, true) => body.ends_with(b"0\r\n\r\n"),
                        (None, false) => true,
                    };
                    if complete {
                        return Ok(RawResponse { status, closes });
                    }
                    let read = read_some(stream, &mut chunk).await?;
                    body.extend_from_slice(&chunk[..read]);
                }
            }
            Ok(httparse::Status::Partial) => {
                let read = read_some(stream, &mut chunk).await?;
                buffer.extend_from_slice(&chunk[..read]);
            }
            Err(err) => return Err(format!("malformed response: {err}")),
        }
    }
}

async fn read_some(stream: &mut TcpStream, chunk: &mut [u8]) -> Result<usize, String> {
    match timeout(PATIENCE, stream.read(chunk)).await {
        Ok(Ok(0)) => Err("the server closed the connection".to_owned()),
        Ok(Ok(read)) => Ok(read),
        Ok(Err(err)) => Err(format!("reading failed: {err}")),
        Err(_) => Err(format!("no response within {} s", PATIENCE.as_secs())),
    }
}

async fn keep_alive(target: &Target) -> Result<(), String> {
    let mut stream = connect(target).await?;
    let request = valid_request(target)?;
    for attempt in ["first", "second"] {
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|err| format!("sending the {attempt} request failed: {err}"))?;
        let response = read_response(&mut stream)
            .await
            .map_err(|err| format!("{attempt} request: {err}"))?;
        if response.status != 200 {
            return Err(format!("{attempt} request got status {}", response.status));
        }
        if response.closes {
            return Err(format!("the {attempt} response closes the connection"));
        }
    }
    Ok(())
}

async fn serves_after_oversized(client: &reqwest::Client, target: &Target) -> Result<(), String> {
    let mut stream = connect(target).await?;
    let head = format!(
        "POST /token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        authority(target)?
    );
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
    // The server may refuse and close at any point: write errors are expected, not failures.
    let upload = async {
        stream.write_all(head.as_bytes()).await?;
        for _ in 0..16 {
            stream.write_all(chunk.as_bytes()).await?;
        }
        stream.write_all(b"0\r\n\r\n").await
    };
    let _ = upload.await;
    let _ = read_response(&mut stream).await;
    drop(stream);
    expect_token(client, target).await
}

async fn connection_after_refusal(target: &Target) -> Result<(), String> {
    let mut stream = connect(target).await?;
    let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, "x".repeat(16 * 1024));
    let upload = format!(
        "POST /token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
        authority(target)?,
        chunk.repeat(4)
    );
    stream
        .write_all(upload.as_bytes())
        .await
        .map_err(|err| format!("sending the oversized body failed: {err}"))?;
    let refused = read_response(&mut stream).await?;
    if refused.status != 413 {
        return Err(format!("a 64 KiB body got status {}", refused.status));
    }
    if refused.closes {
        return Ok(());
    }
    let next = async {
        stream
            .write_all(valid_request(target)?.as_bytes())
            .await
            .map_err(|err| err.to_string())?;
        read_response(&mut stream).await
    };
    match next.await {
        Ok(response) if response.status == 200 => Ok(()),
        Ok(response) => Err(format!(
            "the connection was kept without Connection: close, and the next request on it \
             got status {}",
            response.status
        )),
        Err(err) => Err(format!(
            "the connection was kept without Connection: close, but the next request on it \
             failed: {err}"
        )),
    }
}

async fn stalled_client(client: &reqwest::Client, target: &Target) -> Result<(), String> {
    let authority = authority(target)?;
    let mut in_body = connect(target).await?;
    let mut in_headers = connect(target).await?;
    let partial_body = format!(
        "POST /token HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"roomName\""
    );
    in_body
        .write_all(partial_body.as_bytes())
        .await
        .map_err(|err| format!("cannot start the stalled request: {err}"))?;
    in_headers
        .write_all(b"POST /token HTTP/1.1\r\nHo")
        .await
        .map_err(|err| format!("cannot start the stalled request: {err}"))?;
    let result = match timeout(PATIENCE, expect_token(client, target)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "another client got no answer within {} s while two clients stalled",
            PATIENCE.as_secs()
        )),
    };
    drop((in_body, in_headers));
    result
}

async fn expect_token(client: &reqwest::Client, target: &Target) -> Result<(), String> {
    let response = client
        .post(target.url("/token"))
        .header("content-type", "application/json")
        .body(VALID)
        .send()
        .await
        .map_err(|err| format!("a valid request failed: {}", error_chain(&err)))?;
    match response.status().as_u16() {
        200 => Ok(()),
        status => Err(format!("a valid request got status {status}")),
    }
}
