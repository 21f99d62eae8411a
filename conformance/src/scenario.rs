//! Checks that need raw control of connections: keep-alive, oversized uploads, stalled
//! clients, a webhook whose body is withheld. They speak HTTP/1.1 over a plain TCP stream,
//! read by [`crate::wire`].

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::exchange_log::Recorded;
use tokio::time::timeout;

use crate::case::{Finding, Scenario};
use crate::error::{Causes, Error};
use crate::harm::Defect;
use crate::server_under_test::ServerUnderTest;
use crate::wire::{RawResponse, ReadError, ResponseReader};

/// How long a scenario waits for the server before failing.
pub const PATIENCE: Duration = Duration::from_secs(5);

const VALID: &str = r#"{"roomName":"room1","participantName":"alice"}"#;

/// Runs one scenario; `Err` says what the server did wrong, and what that shows.
pub async fn run(
    scenario: Scenario,
    client: &reqwest::Client,
    server: &ServerUnderTest,
) -> Result<(), Finding> {
    let shows = |reason: String| Finding::new(scenario.defect(), reason);
    match scenario {
        Scenario::KeepAlive => keep_alive(server).await.map_err(shows),
        Scenario::ServesAfterOversizedBody => {
            serves_after_oversized(client, server).await.map_err(shows)
        }
        Scenario::StalledClientDoesNotBlock => stalled_client(client, server).await.map_err(shows),
        Scenario::ConnectionUsableAfterRefusal => connection_after_refusal(server).await,
    }
}

/// Fails when nothing accepts connections at the server's address.
pub async fn probe(server: &ServerUnderTest) -> Result<(), Error> {
    connect(server).await.map(drop)
}

async fn connect(server: &ServerUnderTest) -> Result<Recorded<TcpStream>, Error> {
    let address = server.authority()?;
    let refused = |reason: String| Error::Connect {
        address: address.clone(),
        reason,
    };
    match timeout(
        PATIENCE,
        TcpStream::connect(address.trim_matches(['[', ']'])),
    )
    .await
    {
        Ok(Ok(stream)) => Ok(Recorded(stream)),
        Ok(Err(err)) => Err(refused(err.to_string())),
        Err(_) => Err(refused("timed out".to_owned())),
    }
}

/// Sends `POST /livekit/webhook` with `authorization` and a head announcing all of `body`,
/// but only its first `sent` bytes, and waits at most `patience` in all for the answer,
/// never sending the rest. `Err` when the request could not be sent at all.
pub async fn webhook_with_withheld_body(
    server: &ServerUnderTest,
    authorization: &str,
    body: &[u8],
    sent: usize,
    patience: Duration,
) -> Result<Result<RawResponse, ReadError>, String> {
    let authority = server.authority().map_err(|err| err.to_string())?;
    let mut stream = connect(server).await.map_err(|err| err.to_string())?;
    let mut request = format!(
        "POST /livekit/webhook HTTP/1.1\r\nHost: {authority}\r\n\
         Content-Type: application/webhook+json\r\nAuthorization: {authorization}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body.get(..sent).unwrap_or(body));
    stream
        .write_all(&request)
        .await
        .map_err(|err| format!("sending the webhook's head failed: {err}"))?;
    let mut reader = ResponseReader::new(patience);
    // The reader's patience is per read: the deadline bounds a server that trickles bytes.
    Ok(timeout(patience, reader.response(&mut stream, false))
        .await
        .unwrap_or(Err(ReadError::TimedOut)))
}

fn valid_request(authority: &str) -> String {
    format!(
        "POST /token HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{VALID}",
        VALID.len()
    )
}

/// Reads one response, saying on failure what the scenario waited for.
async fn read_response(stream: &mut Recorded<TcpStream>) -> Result<RawResponse, String> {
    ResponseReader::new(PATIENCE)
        .response(stream, false)
        .await
        .map_err(|err| format!("no response ({err} within {} s)", PATIENCE.as_secs()))
}

fn closes(response: &RawResponse) -> bool {
    response
        .header("connection")
        .iter()
        .any(|value| value.to_ascii_lowercase().contains("close"))
}

async fn keep_alive(server: &ServerUnderTest) -> Result<(), String> {
    let mut stream = connect(server).await.map_err(|err| err.to_string())?;
    let request = valid_request(&server.authority().map_err(|err| err.to_string())?);
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
        if closes(&response) {
            return Err(format!("the {attempt} response closes the connection"));
        }
    }
    Ok(())
}

async fn serves_after_oversized(
    client: &reqwest::Client,
    server: &ServerUnderTest,
) -> Result<(), String> {
    let mut stream = connect(server).await.map_err(|err| err.to_string())?;
    let head = format!(
        "POST /token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        server.authority().map_err(|err| err.to_string())?
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
    expect_token(client, server).await
}

/// After a 413 the connection is closed, or it serves the next request. A server that does
/// not refuse the body at all shows something else, told by the status it gave.
async fn connection_after_refusal(server: &ServerUnderTest) -> Result<(), Finding> {
    let stops =
        |reason: String| Finding::new(Scenario::ConnectionUsableAfterRefusal.defect(), reason);
    let authority = server.authority().map_err(|err| stops(err.to_string()))?;
    let mut stream = connect(server)
        .await
        .map_err(|err| stops(err.to_string()))?;
    let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, "x".repeat(16 * 1024));
    let upload = format!(
        "POST /token HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(4)
    );
    stream
        .write_all(upload.as_bytes())
        .await
        .map_err(|err| stops(format!("sending the oversized body failed: {err}")))?;
    let refused = read_response(&mut stream).await.map_err(stops)?;
    if refused.status != 413 {
        let defect = match refused.status {
            500..=599 => Defect::ServerError,
            200..=299 => Defect::HigherBodyLimit,
            _ => Defect::OtherStatus,
        };
        return Err(Finding::new(
            defect,
            format!("a 64 KiB body got status {}", refused.status),
        ));
    }
    if closes(&refused) {
        return Ok(());
    }
    let next = async {
        stream
            .write_all(valid_request(&authority).as_bytes())
            .await
            .map_err(|err| err.to_string())?;
        read_response(&mut stream).await
    };
    match next.await {
        Ok(response) if response.status == 200 => Ok(()),
        Ok(response) => Err(stops(format!(
            "the connection was kept without Connection: close, and the next request on it \
             got status {}",
            response.status
        ))),
        Err(err) => Err(stops(format!(
            "the connection was kept without Connection: close, but the next request on it \
             failed: {err}"
        ))),
    }
}

async fn stalled_client(client: &reqwest::Client, server: &ServerUnderTest) -> Result<(), String> {
    let authority = server.authority().map_err(|err| err.to_string())?;
    let mut in_body = connect(server).await.map_err(|err| err.to_string())?;
    let mut in_headers = connect(server).await.map_err(|err| err.to_string())?;
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
    let result = match timeout(PATIENCE, expect_token(client, server)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "another client got no answer within {} s while two clients stalled",
            PATIENCE.as_secs()
        )),
    };
    drop((in_body, in_headers));
    result
}

async fn expect_token(client: &reqwest::Client, server: &ServerUnderTest) -> Result<(), String> {
    let response = client
        .post(server.url("/token"))
        .header("content-type", "application/json")
        .body(VALID)
        .send()
        .await
        .map_err(|err| format!("a valid request failed: {}", Causes(&err)))?;
    match response.status().as_u16() {
        200 => Ok(()),
        status => Err(format!("a valid request got status {status}")),
    }
}
