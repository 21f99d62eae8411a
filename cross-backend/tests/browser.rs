//! CORS in a real browser: headless Chromium, on a page of its own origin, against every
//! backend in both formats, and against servers with CORS broken on purpose, which must fail.
//! Run: `cargo test -p cross-backend --test browser`.
//!
//! Without Chromium and chromedriver the test says it skipped and passes, except under CI
//! (`CI` set), which installs them: there a missing browser fails the test.

#[path = "support/browser.rs"]
mod support;

use std::io::Write as _;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use conformance::browser::{ERROR_MESSAGE, LIVEKIT_ENDPOINT, TOKEN};
use conformance::profile::Profile;
use conformance::report::RunInfo;
use conformance::{Outcome, Report, ResponseFormat, ServerUnderTest, Verdict};
use cross_backend::backends::BACKENDS;
use cross_backend::in_process::{
    API_KEY, API_SECRET, FORMATS, TTL_SECONDS, production_settings, settings, start,
};
use token_core::{Endpoint, HttpVersion, RequestHead, TokenService};

/// How a broken server gets CORS wrong.
#[derive(Debug, Clone, Copy)]
enum Broken {
    /// No CORS at all: the preflight gets 405 without any Access-Control header.
    NoCors,
    /// A correct preflight and `Access-Control-Allow-Origin` on success, none on errors.
    NoCorsOnErrors,
}

/// A server that mints real tokens through [`TokenService`] but gets CORS wrong as `broken`
/// says; it serves until the test's runtime ends.
async fn start_broken(format: &str, broken: Broken) -> ServerUnderTest {
    let settings = settings(format);
    let service = TokenService::new(&settings.service);
    let token = post(move |headers: HeaderMap, body: Bytes| async move {
        let lines = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
        let head = RequestHead::new("POST", "/token", HttpVersion::Http11, lines);
        let reply = service.reply(Endpoint::Token, &head, &body);
        let mut response = Response::builder().status(reply.status);
        // The broken server's CORS is its own: token-core's is left out.
        for (name, value) in &reply.headers {
            if !name.starts_with("access-control-") {
                response = response.header(*name, value.as_ref());
            }
        }
        if matches!(broken, Broken::NoCorsOnErrors) && reply.status == 200 {
            response = response.header("access-control-allow-origin", "*");
        }
        response
            .body(Body::from(reply.body))
            .expect("a valid response")
    });
    let token = match broken {
        Broken::NoCors => token,
        Broken::NoCorsOnErrors => token.options(|| async {
            Response::builder()
                .status(204)
                .header("access-control-allow-origin", "*")
                .header("access-control-allow-methods", "POST")
                .header(
                    "access-control-allow-headers",
                    "content-type, x-requested-with",
                )
                .body(Body::empty())
                .expect("a valid response")
        }),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/token", token))
            .await
            .expect("the broken server serves");
    });
    let mut under_test =
        ServerUnderTest::new(format!("http://{address}")).with_credentials(API_KEY, API_SECRET);
    under_test.ttl_seconds = TTL_SECONDS;
    under_test.format = if format == "json" {
        ResponseFormat::Json
    } else {
        ResponseFormat::Text
    };
    under_test
}

fn verdict<'a>(outcomes: &'a [Outcome], id: &str) -> &'a Verdict {
    &outcomes
        .iter()
        .find(|outcome| outcome.id == id)
        .expect("an outcome per case")
        .verdict
}

fn blocked(verdict: &Verdict) -> bool {
    matches!(verdict, Verdict::Fail(reason) if reason.contains("TypeError: Failed to fetch"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_on_another_origin_reads_tokens_and_errors_only_with_cors() {
    let Some(browser) = support::browser_or_skip("the browser test").await else {
        return;
    };
    let mut failures = Vec::new();
    let check = async |name: String, under_test: &ServerUnderTest| {
        let outcomes = browser.check(under_test).await;
        let report = Report {
            run: RunInfo::starting(under_test, Profile::Full),
            outcomes,
        };
        println!("--- {name}, page on {}\n{report}", browser.page_origin());
        report.outcomes
    };

    // The check can fail: a browser must refuse what these servers send.
    for (_, format) in FORMATS {
        let outcomes = check(
            format!("no CORS ({format})"),
            &start_broken(format, Broken::NoCors).await,
        )
        .await;
        if [TOKEN, ERROR_MESSAGE, LIVEKIT_ENDPOINT]
            .iter()
            .any(|id| !blocked(verdict(&outcomes, id)))
        {
            failures.push(format!("no CORS ({format}) was not blocked: {outcomes:?}"));
        }
        let outcomes = check(
            format!("no CORS on errors ({format})"),
            &start_broken(format, Broken::NoCorsOnErrors).await,
        )
        .await;
        if verdict(&outcomes, TOKEN) != &Verdict::Pass
            || !blocked(verdict(&outcomes, ERROR_MESSAGE))
        {
            failures.push(format!(
                "no CORS on errors ({format}): expected the token to pass and the error to be \
                 blocked: {outcomes:?}"
            ));
        }
    }

    // Every backend passes, in both formats.
    for backend in BACKENDS {
        for (_, format) in FORMATS {
            let server = start(backend, &settings(format));
            let outcomes =
                check(format!("{} ({format})", backend.name()), &server.under_test).await;
            let failed: Vec<&Outcome> = outcomes
                .iter()
                .filter(|outcome| outcome.verdict != Verdict::Pass)
                .collect();
            if !failed.is_empty() {
                failures.push(format!("{} ({format}): {failed:?}", backend.name()));
            }
        }
    }

    browser.close().await;
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The version of LiveKit's JS SDK the production check loads; `.ci/run` fetches it.
const LIVEKIT_CLIENT_VERSION: &str = "2.23.0";

/// The source of LiveKit's JS SDK (`livekit-client.umd.js`): from `LIVEKIT_CLIENT_UMD`, else
/// where `.ci/run` unpacks it; `None` after saying why the test is skipped.
fn livekit_sdk_or_skip() -> Option<String> {
    let path = std::env::var_os("LIVEKIT_CLIENT_UMD")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
                "../target/livekit-client-{LIVEKIT_CLIENT_VERSION}/package/dist/livekit-client.umd.js"
            ))
        });
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(err) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must fetch livekit-client {LIVEKIT_CLIENT_VERSION} (.ci/run does): {}: {err}",
                path.display()
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED the LiveKit SDK browser test: {}: {err} (run .ci/run once, or set \
                 LIVEKIT_CLIENT_UMD)",
                path.display()
            );
            None
        }
    }
}

/// Production mode with LiveKit's own JS SDK in headless Chromium, on every backend:
/// `TokenSource.endpoint(url, { headers: { Authorization } })` from an allowed origin gets
/// credentials for the caller; without a token the SDK gets the 401; from an origin the
/// server does not allow, the browser blocks the answer.
#[tokio::test(flavor = "multi_thread")]
async fn the_livekit_sdk_gets_credentials_in_production_only_as_allowed() {
    use conformance::identity_provider::{
        CALLER, CallerKey, DEFAULT_AUDIENCE, DEFAULT_ISSUER, IdentityProvider,
    };
    let Some(sdk) = livekit_sdk_or_skip() else {
        return;
    };
    let Some(browser) = support::browser_or_skip("the browser test").await else {
        return;
    };
    let provider = IdentityProvider::start(0, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
        .await
        .expect("the identity provider starts");
    let production = |allowed_origin: &str| {
        production_settings("json", &provider.jwks_url(), allowed_origin, &[])
    };
    let options = serde_json::json!({"roomName": "room1", "participantName": "Alice"});
    let mut failures = Vec::new();
    for backend in BACKENDS {
        let name = backend.name();
        let allowed = start(backend, &production(browser.page_origin()));
        let url = allowed.under_test.url("/livekit/token");
        let bearer = format!(
            "Bearer {}",
            provider.token(CallerKey::Ed25519, CALLER, &serde_json::json!({}))
        );
        let headers = serde_json::json!({"Authorization": bearer});
        let got = browser
            .fetch_with_sdk(&sdk, &url, headers.clone(), options.clone())
            .await;
        let sub = got
            .as_ref()
            .ok()
            .and_then(|got| got["participantToken"].as_str())
            .and_then(|jwt| conformance::judge::decode_segment(jwt, 1).ok())
            .map(|claims| claims["sub"].clone());
        let server_url = got.as_ref().ok().map(|got| got["serverUrl"].clone());
        if sub != Some(serde_json::json!(CALLER))
            || server_url != Some(serde_json::json!(allowed.under_test.livekit_url))
        {
            failures.push(format!("{name}: an allowed caller got {got:?}"));
        }
        let got = browser
            .fetch_with_sdk(&sdk, &url, serde_json::json!({}), options.clone())
            .await;
        let refused = got.as_ref().ok().and_then(|got| got["thrown"].as_str());
        if !refused.is_some_and(|thrown| thrown.contains("401")) {
            failures.push(format!("{name}: without a token the SDK got {got:?}"));
        }
        let elsewhere = start(backend, &production("https://elsewhere.example"));
        let got = browser
            .fetch_with_sdk(
                &sdk,
                &elsewhere.under_test.url("/livekit/token"),
                headers,
                options.clone(),
            )
            .await;
        let blocked = got.as_ref().ok().and_then(|got| got["thrown"].as_str());
        if !blocked.is_some_and(|thrown| thrown.contains("Failed to fetch")) {
            failures.push(format!("{name}: from another origin the SDK got {got:?}"));
        }
    }
    browser.close().await;
    assert!(failures.is_empty(), "{failures:#?}");
}
