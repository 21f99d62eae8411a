//! The production profile's cases on what a server mints and how it reads webhooks, judged
//! against small fixture servers: one with no defect, which must pass them cleanly, and one
//! per defect, which each case must catch at its level. The fixtures trust any caller token
//! without checking its signature (of the `caller/forged/` cases only Wycheproof's vectors,
//! which no claims reader admits, are run here), so they stay small.
//! Run: `cargo test -p conformance --test production_cases`.

use std::sync::Arc;

use base64::Engine as _;
use conformance::harm::Defect;
use conformance::identity_provider::{
    DEFAULT_AUDIENCE, DEFAULT_ISSUER, IdentityProvider, JwsVectors,
};
use conformance::judge::decode_segment;
use conformance::production::{DEV_API_KEY, DEV_API_SECRET, LIVEKIT_NAME_LIMIT};
use conformance::{Report, Selection, ServerUnderTest, Verdict};
use serde_json::{Value, json};
use sha2::Digest as _;
use test_keys::{sign_with_secret, unix_now, wycheproof_format};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The cases judged here.
const CASES: &[&str] = &[
    "caller/minted/dev-credentials",
    "caller/too-long/identity",
    "caller/too-long/identity-standard",
    "caller/too-long/room",
    "caller/too-long/room-standard",
    "webhook/verified-before-body",
];

/// The API key and secret of a fixture without the development credentials.
const API_KEY: &str = "APIfixture";
const API_SECRET: &str = "fixture-secret-0123456789abcdefghijklmnop";

/// How a fixture server behaves: each flag one defect.
#[derive(Debug, Clone, Copy, Default)]
struct Fixture {
    /// Signs and verifies with `devkey`/`secret`.
    dev_credentials: bool,
    /// Mints identities and room names of any length.
    no_name_limits: bool,
    /// Reads a webhook's whole body before looking at its `Authorization`.
    reads_webhooks_first: bool,
    /// Mints for any `Authorization` header, reading nothing of it.
    admits_any_authorization: bool,
}

impl Fixture {
    fn credentials(self) -> (&'static str, &'static str) {
        if self.dev_credentials {
            (DEV_API_KEY, DEV_API_SECRET)
        } else {
            (API_KEY, API_SECRET)
        }
    }
}

/// One request as the fixture reads it.
struct Request {
    path: String,
    authorization: Option<String>,
    content_length: usize,
    /// The bytes after the head that arrived with it.
    early_body: Vec<u8>,
}

/// Reads a request head (at most 64 KiB), or `None` when the client gives up first.
async fn read_head(stream: &mut TcpStream) -> Option<Request> {
    let mut bytes = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        let read = stream
            .read(&mut buffer)
            .await
            .ok()
            .filter(|read| *read > 0)?;
        bytes.extend_from_slice(&buffer[..read]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&bytes) {
            Ok(httparse::Status::Complete(head_len)) => {
                let header = |name: &str| {
                    request
                        .headers
                        .iter()
                        .find(|header| header.name.eq_ignore_ascii_case(name))
                        .and_then(|header| std::str::from_utf8(header.value).ok())
                        .map(str::to_owned)
                };
                return Some(Request {
                    path: request.path.unwrap_or_default().to_owned(),
                    authorization: header("authorization"),
                    content_length: header("content-length")
                        .and_then(|length| length.parse().ok())
                        .unwrap_or(0)
                        .min(1 << 20),
                    early_body: bytes[head_len..].to_vec(),
                });
            }
            Ok(httparse::Status::Partial) if bytes.len() < 64 * 1024 => {}
            _ => return None,
        }
    }
}

/// The rest of the request's body, or `None` when the client gives up first.
async fn read_body(stream: &mut TcpStream, request: &Request) -> Option<Vec<u8>> {
    let mut body = request.early_body.clone();
    body.truncate(request.content_length);
    let mut buffer = [0; 4096];
    while body.len() < request.content_length {
        let read = stream
            .read(&mut buffer)
            .await
            .ok()
            .filter(|read| *read > 0)?;
        let wanted = (request.content_length - body.len()).min(read);
        body.extend_from_slice(&buffer[..wanted]);
    }
    Some(body)
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A LiveKit join token for `identity` in `room`.
fn mint(fixture: Fixture, identity: &str, room: &str) -> String {
    let (key, secret) = fixture.credentials();
    let now = unix_now();
    let claims = json!({
        "iss": key, "sub": identity, "nbf": now, "exp": now + 600,
        "video": {"room": room, "roomJoin": true},
    });
    sign_with_secret(secret, &claims)
}

/// The claims of a webhook token signed with the fixture's secret, or `None`.
fn webhook_claims(fixture: Fixture, authorization: Option<&str>) -> Option<Value> {
    let (key, secret) = fixture.credentials();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&[key]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::decode::<Value>(authorization?, &key, &validation)
        .ok()
        .map(|data| data.claims)
}

async fn webhook(fixture: Fixture, stream: &mut TcpStream, request: &Request) {
    let read_first = match fixture.reads_webhooks_first {
        true => match read_body(stream, request).await {
            Some(body) => Some(body),
            None => return,
        },
        false => None,
    };
    let Some(claims) = webhook_claims(fixture, request.authorization.as_deref()) else {
        return respond(
            stream,
            "401 Unauthorized",
            r#"{"errorMessage":"unauthorized"}"#,
        )
        .await;
    };
    let body = match read_first {
        Some(body) => body,
        None => match read_body(stream, request).await {
            Some(body) => body,
            None => return,
        },
    };
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&body));
    if claims["sha256"] == hash {
        respond(stream, "200 OK", r#"{"status":"ok"}"#).await;
    } else {
        respond(
            stream,
            "401 Unauthorized",
            r#"{"errorMessage":"unauthorized"}"#,
        )
        .await;
    }
}

/// Mints for any caller: its identity is the bearer token's `sub`, unchecked.
async fn token(fixture: Fixture, stream: &mut TcpStream, request: &Request) {
    let Some(body) = read_body(stream, request).await else {
        return;
    };
    let bearer = request
        .authorization
        .as_deref()
        .and_then(|value| value.strip_prefix("Bearer "));
    let sub = match bearer {
        _ if fixture.admits_any_authorization && request.authorization.is_some() => {
            Some("anyone".to_owned())
        }
        bearer => bearer
            .and_then(|token| decode_segment(token, 1).ok())
            .and_then(|claims| claims["sub"].as_str().map(str::to_owned)),
    };
    let Some(identity) = sub else {
        return respond(
            stream,
            "401 Unauthorized",
            r#"{"errorMessage":"no caller"}"#,
        )
        .await;
    };
    let fields: Value = serde_json::from_slice(&body).unwrap_or_default();
    let standard = request.path == "/livekit/token";
    let room = fields[if standard { "room_name" } else { "roomName" }]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if !fixture.no_name_limits {
        if identity.len() > LIVEKIT_NAME_LIMIT {
            return respond(stream, "403 Forbidden", r#"{"errorMessage":"sub"}"#).await;
        }
        if room.len() > LIVEKIT_NAME_LIMIT {
            return respond(stream, "400 Bad Request", r#"{"errorMessage":"room"}"#).await;
        }
    }
    let token = mint(fixture, &identity, &room);
    if standard {
        let body = json!({"server_url": "ws://localhost:7880", "participant_token": token});
        respond(stream, "201 Created", &body.to_string()).await;
    } else {
        respond(stream, "200 OK", &json!({ "token": token }).to_string()).await;
    }
}

async fn serve(fixture: Fixture, mut stream: TcpStream) {
    let Some(request) = read_head(&mut stream).await else {
        return;
    };
    match request.path.as_str() {
        "/livekit/webhook" => webhook(fixture, &mut stream, &request).await,
        "/token" | "/livekit/token" => token(fixture, &mut stream, &request).await,
        _ => respond(&mut stream, "404 Not Found", "{}").await,
    }
}

/// Starts `fixture` on a loopback port; it serves until the test's runtime ends.
async fn start(fixture: Fixture) -> ServerUnderTest {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(fixture, stream));
        }
    });
    let (key, secret) = fixture.credentials();
    ServerUnderTest::new(format!("http://{address}")).with_credentials(key, secret)
}

/// The cases of [`CASES`] run against `fixture`.
async fn judge(fixture: Fixture, provider: Arc<IdentityProvider>) -> Report {
    judge_only(fixture, &provider, CASES).await
}

/// The cases `ids` run against `fixture`.
async fn judge_only(fixture: Fixture, provider: &IdentityProvider, ids: &[&str]) -> Report {
    let server = start(fixture).await;
    let selection = Selection {
        only: ids.iter().map(|id| (*id).to_owned()).collect(),
        ..Selection::default()
    };
    conformance::production::run(&server, provider, &selection)
        .await
        .expect("the fixture answers")
}

/// Each judged case's verdict name and the defects it found.
fn verdicts(report: &Report) -> Vec<(&'static str, &'static str, Vec<Defect>)> {
    report
        .outcomes
        .iter()
        .filter(|outcome| !matches!(outcome.verdict, Verdict::Skip(_)))
        .map(|outcome| {
            let mut defects: Vec<Defect> = outcome.findings.iter().map(|f| f.defect).collect();
            defects.dedup();
            (outcome.id, outcome.verdict.name(), defects)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_defect_is_caught_at_its_level_and_the_control_passes() {
    let provider = Arc::new(
        IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
            .await
            .expect("the identity provider starts"),
    );
    let fixtures = [
        Fixture::default(),
        Fixture {
            dev_credentials: true,
            ..Fixture::default()
        },
        Fixture {
            no_name_limits: true,
            ..Fixture::default()
        },
        Fixture {
            reads_webhooks_first: true,
            ..Fixture::default()
        },
    ];
    let runs = fixtures.map(|fixture| tokio::spawn(judge(fixture, Arc::clone(&provider))));
    let mut reports = Vec::new();
    for run in runs {
        reports.push(run.await.expect("the run finished"));
    }
    let [control, dev, unlimited, reads_first] = &reports[..] else {
        unreachable!("four fixtures");
    };

    let passed: Vec<_> = CASES.iter().map(|id| (*id, "pass", Vec::new())).collect();
    assert_eq!(verdicts(control), passed, "the control:\n{control}");

    let mut expected = passed.clone();
    expected[0] = (CASES[0], "fail", vec![Defect::DevCredentials]);
    assert_eq!(verdicts(dev), expected, "devkey/secret:\n{dev}");
    // Both endpoints' tokens and the webhook are each named.
    let findings = dev
        .outcomes
        .iter()
        .find(|outcome| outcome.id == CASES[0])
        .map_or(0, |outcome| outcome.findings.len());
    assert_eq!(findings, 3, "{dev}");

    // A token for a name LiveKit refuses is useless to all: taste (issue 30).
    let mut expected = passed.clone();
    for at in 1..5 {
        expected[at] = (CASES[at], "warn", vec![Defect::AcceptsHarmlessly]);
    }
    assert_eq!(
        verdicts(unlimited),
        expected,
        "no name limits:\n{unlimited}"
    );

    let mut expected = passed;
    expected[5] = (CASES[5], "warn", vec![Defect::ReadsUnverifiedWebhooks]);
    assert_eq!(
        verdicts(reads_first),
        expected,
        "webhook bodies read first:\n{reads_first}"
    );
}

/// Wycheproof's vectors (here in its format, made with the test keys): their keys are in the
/// JWKS from the first fetch; a server reading the claims refuses them all, as every server
/// must; one admitting any `Authorization` header fails with each vector sent named by its `tcId`,
/// exactly the invalid ones a header can carry under a caller's algorithm; without the file
/// the case is skipped, saying how to give it.
#[tokio::test(flavor = "multi_thread")]
async fn wycheproof_vectors_are_published_sent_and_each_admitted_one_named() {
    const CASE: &str = "caller/forged/wycheproof";
    let vectors =
        JwsVectors::parse(&wycheproof_format::file()).expect("vectors in Wycheproof's format");
    let provider = IdentityProvider::start_with(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE, Some(vectors))
        .await
        .expect("the identity provider starts");
    let jwks: Value = reqwest::get(provider.jwks_url())
        .await
        .expect("the JWKS answers")
        .json()
        .await
        .expect("JSON");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .filter(|kid| kid.starts_with("wycheproof-format-"))
        .collect();
    assert_eq!(
        kids,
        [wycheproof_format::ES256_KID, wycheproof_format::EDDSA_KID]
    );

    let control = judge_only(Fixture::default(), &provider, &[CASE]).await;
    assert_eq!(verdicts(&control), [(CASE, "pass", vec![])], "{control}");

    let open = Fixture {
        admits_any_authorization: true,
        ..Fixture::default()
    };
    let report = judge_only(open, &provider, &[CASE]).await;
    assert_eq!(
        verdicts(&report),
        [(CASE, "fail", vec![Defect::CallerForgery])],
        "{report}"
    );
    let outcome = |report: &Report| {
        let found = report.outcomes.iter().find(|outcome| outcome.id == CASE);
        found.expect("the case has an outcome").clone()
    };
    let named: Vec<u64> = outcome(&report)
        .findings
        .iter()
        .filter_map(|finding| {
            let rest = finding.reason.strip_prefix("tcId ")?;
            rest.split_once(' ')?.0.parse().ok()
        })
        .collect();
    assert_eq!(named, wycheproof_format::SENT, "{report}");

    let without = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .await
        .expect("the identity provider starts");
    let report = judge_only(open, &without, &[CASE]).await;
    assert!(
        matches!(&outcome(&report).verdict, Verdict::Skip(reason) if reason.contains("--wycheproof FILE")),
        "{report}"
    );
}
