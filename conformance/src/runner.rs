//! Runs cases against a server over HTTP and collects every outcome; a failure never stops
//! the run.

use std::time::{Duration, Instant};

use futures_util::stream;
use reqwest::Method;

use crate::case::{Body, Case, Check, Finding, Request};
use crate::cases::CASES;
use crate::error::Error;
use crate::judge::{Observed, judge};
use crate::profile::Profile;
use crate::report::{Outcome, Report, RunInfo, Verdict};
use crate::server_under_test::ServerUnderTest;
use crate::wire::MAX_RESPONSE_BYTES;
use crate::{scenario, signing};

/// How long one request may take before the case fails.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Which cases to run: `--only` and `--skip` prefixes of case IDs.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Run only cases whose ID starts with one of these (all when empty).
    pub only: Vec<String>,
    /// Skip cases whose ID starts with one of these.
    pub skip: Vec<String>,
    /// The contract judged; cases outside it are skipped unless named by `only`.
    pub profile: Profile,
}

impl Selection {
    /// Why `case` is outside the profile, unless `only` names it explicitly.
    pub fn outside_profile(&self, case: &Case) -> Option<String> {
        let named = self
            .only
            .iter()
            .any(|prefix| case.id.starts_with(prefix.as_str()));
        if named {
            None
        } else {
            self.profile.why_not(case)
        }
    }

    /// Why `id` is not selected, if it is not.
    pub fn why_skipped(&self, id: &str) -> Option<String> {
        if let Some(prefix) = self
            .skip
            .iter()
            .find(|prefix| id.starts_with(prefix.as_str()))
        {
            return Some(format!("skipped by --skip {prefix}"));
        }
        if !self.only.is_empty()
            && !self
                .only
                .iter()
                .any(|prefix| id.starts_with(prefix.as_str()))
        {
            return Some("not selected by --only".to_owned());
        }
        None
    }
}

/// An HTTP client fit for judging servers: no proxies, no redirects, no decompression, and
/// a fresh connection per request so one case's connection trouble never fails the next.
pub fn client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connection_verbose(crate::exchange_log::enabled())
        .no_proxy()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(Error::Client)
}

/// Runs every selected case of [`CASES`] against `server`.
pub async fn run(server: &ServerUnderTest, selection: &Selection) -> Result<Report, Error> {
    let run = RunInfo::starting(server, selection.profile);
    scenario::probe(server).await?;
    let client = client()?;
    let mut outcomes = Vec::with_capacity(CASES.len());
    for case in CASES {
        let skipped = selection
            .why_skipped(case.id)
            .or_else(|| selection.outside_profile(case))
            .or_else(|| case.needs.unmet(server).map(str::to_owned));
        let started = Instant::now();
        let (verdict, findings) = match skipped {
            Some(reason) => (Verdict::Skip(reason), Vec::new()),
            None => match run_case(&client, server, case).await {
                Ok(()) => (Verdict::Pass, Vec::new()),
                Err(CaseFailure::Contract(findings)) => {
                    (Verdict::from_findings(&findings), findings)
                }
                Err(CaseFailure::NoAnswer(reason)) => (Verdict::NoAnswer(reason), Vec::new()),
                Err(CaseFailure::Harness(reason)) => (Verdict::HarnessError(reason), Vec::new()),
            },
        };
        if !matches!(verdict, Verdict::Skip(_)) {
            crate::exchange_log::print_for(case.id);
        }
        outcomes.push(Outcome {
            id: case.id,
            requirement: case.requirement,
            level: case.level(),
            verdict,
            findings,
            duration: started.elapsed(),
        });
    }
    Ok(Report { run, outcomes })
}

/// Why a case did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseFailure {
    /// The answer breaks the contract (a scenario's connection checks included), each
    /// finding with its level.
    Contract(Vec<Finding>),
    /// There was no answer to judge.
    NoAnswer(String),
    /// The suite could not send the request (it could not sign it, or set up its client).
    Harness(String),
}

/// Runs one case.
pub async fn run_case(
    client: &reqwest::Client,
    server: &ServerUnderTest,
    case: &Case,
) -> Result<(), CaseFailure> {
    match case.check {
        Check::Exchange { request, expect } => {
            let observed = send(client, server, &request).await.map_err(|err| {
                match err.is_harness_error() {
                    true => CaseFailure::Harness(err.to_string()),
                    false => CaseFailure::NoAnswer(err.to_string()),
                }
            })?;
            let findings = judge(&expect, case.stakes, &observed, server);
            if findings.is_empty() {
                Ok(())
            } else {
                Err(CaseFailure::Contract(findings))
            }
        }
        Check::Scenario(which) => scenario::run(which, client, server)
            .await
            .map_err(|finding| CaseFailure::Contract(vec![finding])),
    }
}

/// Sends one request described as data and reads the whole response.
pub async fn send(
    client: &reqwest::Client,
    server: &ServerUnderTest,
    request: &Request,
) -> Result<Observed, Error> {
    let method = Method::from_bytes(request.method.as_bytes())
        .map_err(|_| Error::Method(request.method.to_owned()))?;
    let mut builder = client.request(method, server.url(request.path));
    for (name, value) in request.headers {
        builder = builder.header(*name, *value);
    }
    builder = match request.body {
        Body::Empty => builder,
        Body::Bytes(bytes) => builder.body(bytes),
        Body::Chunked(bytes) => builder.body(chunked(bytes.to_vec(), 16)),
        Body::Padded {
            len,
            chunked: false,
        } => builder.body(padded_body(len)),
        Body::Padded { len, chunked: true } => builder.body(self::chunked(padded_body(len), 4096)),
        Body::Webhook {
            event,
            auth,
            pad_to,
        } => {
            let (body, authorization) = signing::webhook_request(server, event, auth, pad_to)?;
            if !request
                .headers
                .iter()
                .any(|(name, _)| *name == "content-type")
            {
                builder = builder.header("content-type", "application/webhook+json");
            }
            if let Some(authorization) = authorization {
                builder = builder.header("authorization", authorization);
            }
            builder.body(body)
        }
    };
    let response = builder.send().await.map_err(Error::Request)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = read_body(response).await?;
    Ok(Observed {
        status,
        headers,
        body,
    })
}

/// The body of `response`, refused past [`MAX_RESPONSE_BYTES`] (as the raw reader does): a
/// server's length or stream never makes the suite buffer without bound.
pub async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::Response)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::ResponseTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A body without a length, so it goes out with `Transfer-Encoding: chunked`.
fn chunked(bytes: Vec<u8>, chunk_size: usize) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = bytes
        .chunks(chunk_size)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    reqwest::Body::wrap_stream(stream::iter(chunks))
}

/// A valid request for `room1`/`alice` of exactly `len` bytes (at least 60).
pub fn padded_body(len: usize) -> Vec<u8> {
    let head = br#"{"roomName":"room1","participantName":"alice","padding":""#;
    let tail = br#""}"#;
    let padding = len.saturating_sub(head.len() + tail.len());
    let mut body = Vec::with_capacity(len);
    body.extend_from_slice(head);
    body.resize(head.len() + padding, b'x');
    body.extend_from_slice(tail);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_bodies_have_the_exact_length_and_stay_valid() {
        for len in [100, 16 * 1024, 16 * 1024 + 1] {
            let body = padded_body(len);
            assert_eq!(body.len(), len);
            let value: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
            assert_eq!(value["participantName"], "alice");
        }
    }

    #[tokio::test]
    async fn an_endless_body_is_refused_at_the_limit() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.expect("a connection");
            // The request first: a client takes no answer before it has asked.
            let mut request = Vec::new();
            while !request.ends_with(b"\r\n\r\n") {
                let mut byte = [0];
                if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                    return;
                }
                request.push(byte[0]);
            }
            let head = b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n";
            let _ = stream.write_all(head).await;
            let filler = [b'x'; 64 * 1024];
            while stream.write_all(&filler).await.is_ok() {}
        });
        let response = client()
            .expect("a client")
            .get(format!("http://{address}/"))
            .send()
            .await
            .expect("a head");
        assert!(matches!(
            read_body(response).await,
            Err(Error::ResponseTooLarge)
        ));
    }

    #[test]
    fn selection_by_prefix() {
        let selection = Selection {
            only: vec!["token/".into(), "cors/preflight".into()],
            skip: vec!["token/oversized".into()],
            ..Selection::default()
        };
        assert!(selection.why_skipped("token/valid").is_none());
        assert!(
            selection
                .why_skipped("cors/preflight-any-headers")
                .is_none()
        );
        assert!(selection.why_skipped("token/oversized-chunked").is_some());
        assert!(selection.why_skipped("http/keep-alive").is_some());
    }
}
