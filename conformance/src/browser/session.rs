//! The browser itself: a WebDriver session in headless Chromium with the check's page open.

use std::time::Duration;

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use super::driver::Driver;
use super::install::Installation;
use super::page_server::PageServer;
use super::verdicts::{judge_endpoint_seen, judge_error_seen, judge_token_seen, text};
use super::{CHECKS, CHROMIUM_ARGS};
use crate::case::Finding;
use crate::harm::Defect;
use crate::harm::Level;
use crate::report::{Outcome, Verdict};
use crate::server_under_test::{ResponseFormat, ServerUnderTest};

/// How long the page's script may run (three fetches of at most 10 s each, see `page.html`).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(35);
/// How long loading the page may take.
const PAGE_LOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// What the WebDriver client runs in the page: the page's check, its result handed back.
const SCRIPT: &str = r#"
const [base, format, done] = arguments;
window.conformanceCheck(base, format).then(done, (err) => done({failure: String(err)}));
"#;

/// Why the browser is not there to check with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// Chromium or chromedriver is not installed: the browser cases are skipped.
    #[error("chromium not installed: {0}")]
    NotInstalled(String),
    /// Both are installed but the browser did not start: the browser cases fail.
    #[error("the browser did not start: {0}")]
    Failed(String),
}

impl StartError {
    /// Every browser case, skipped or not judged for this reason.
    pub fn outcomes(&self) -> Vec<Outcome> {
        let verdict = match self {
            Self::NotInstalled(_) => Verdict::Skip(self.to_string()),
            // No browser to check with is no proof the server is wrong, but a check that
            // was asked for and could not run must not pass: the suite's own error.
            Self::Failed(_) => Verdict::HarnessError(self.to_string()),
        };
        CHECKS
            .iter()
            .map(|&(id, requirement)| Outcome {
                id,
                requirement,
                level: Level::Must,
                duration: Duration::ZERO,
                verdict: verdict.clone(),
                findings: Vec::new(),
            })
            .collect()
    }
}

/// Headless Chromium with the check's page open, ready to check any number of servers.
/// Close it with [`Browser::close`]; dropping it kills chromedriver and Chromium.
#[derive(Debug)]
pub struct Browser {
    // Fields drop in this order: the session, the page, the processes, then their files.
    client: Client,
    page: PageServer,
    driver: Driver,
    profile: tempfile::TempDir,
}

/// [`Browser::fetch_with_sdk`]'s script: the SDK's `TokenSource.endpoint`, as apps use it.
const SDK_FETCH: &str = r#"
const [url, headers, options, done] = arguments;
try {
  LivekitClient.TokenSource.endpoint(url, { headers })
    .fetch(options)
    .then((r) => done({ serverUrl: r.serverUrl, participantToken: r.participantToken }))
    .catch((err) => done({ thrown: String(err) }));
} catch (err) {
  done({ thrown: String(err) });
}
"#;

impl Browser {
    /// Finds Chromium and chromedriver, starts both with a fresh profile and opens the page.
    pub async fn start() -> Result<Self, StartError> {
        Self::start_with(&Installation::find()?).await
    }

    /// Starts the given Chromium and chromedriver, with a fresh profile, and opens the page.
    pub async fn start_with(installed: &Installation) -> Result<Self, StartError> {
        Self::open(installed).await.map_err(StartError::Failed)
    }

    async fn open(installed: &Installation) -> Result<Self, String> {
        let profile = tempfile::Builder::new()
            .prefix("conformance-chromium-")
            .tempdir()
            .map_err(|err| format!("cannot make a profile directory: {err}"))?;
        let page = PageServer::start()
            .await
            .map_err(|err| format!("cannot serve the page: {err}"))?;
        let driver = Driver::start(&installed.chromedriver, profile.path()).await?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|&arg| arg.to_owned()).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "chrome".into());
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": installed.chromium.to_string_lossy(),
                "args": args,
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(driver.url())
            .await
            .map_err(|err| {
                format!(
                    "chromedriver did not start Chromium: {err}{}",
                    driver.log_tail()
                )
            })?;
        let browser = Self {
            client,
            page,
            driver,
            profile,
        };
        match browser.open_page().await {
            Ok(()) => Ok(browser),
            Err(err) => {
                browser.close().await;
                Err(err)
            }
        }
    }

    async fn open_page(&self) -> Result<(), String> {
        self.client
            .update_timeouts(TimeoutConfiguration::new(
                Some(SCRIPT_TIMEOUT),
                Some(PAGE_LOAD_TIMEOUT),
                None,
            ))
            .await
            .map_err(|err| format!("cannot set the timeouts: {err}"))?;
        self.client
            .goto(self.page.url())
            .await
            .map_err(|err| format!("cannot open the page {}: {err}", self.page.url()))
    }

    /// The page's origin, e.g. `http://127.0.0.1:40123`.
    pub fn page_origin(&self) -> &str {
        self.page.url().trim_end_matches('/')
    }

    /// Runs the browser cases against `server` from the page; one outcome per case of
    /// [`CHECKS`]. The browser stays open for the next server.
    ///
    /// Chromium caches preflights per origin and URL: checking the same URL twice in one
    /// session may not preflight again.
    pub async fn check(&self, server: &ServerUnderTest) -> Vec<Outcome> {
        let format = match server.format {
            ResponseFormat::Text => "text",
            ResponseFormat::Json => "json",
        };
        let base = server.base_url.trim_end_matches('/');
        let ran = self
            .client
            .execute_async(SCRIPT, vec![base.into(), format.into()])
            .await;
        let results = match ran {
            Ok(seen) => match seen.get("failure") {
                Some(failure) => {
                    let why = Finding::new(
                        Defect::CorsBlocked,
                        format!("the page's check threw: {}", text(failure)),
                    );
                    [Err(why.clone()), Err(why.clone()), Err(why)]
                }
                None => [
                    judge_token_seen(&seen["token"], server),
                    judge_error_seen(&seen["error"], server.format),
                    judge_endpoint_seen(&seen["endpoint"], server),
                ],
            },
            Err(err) => {
                let why = Finding::new(
                    Defect::CorsBlocked,
                    format!("the page's check did not finish: {err}"),
                );
                [Err(why.clone()), Err(why.clone()), Err(why)]
            }
        };
        CHECKS
            .iter()
            .zip(results)
            .map(|(&(id, requirement), result)| {
                let findings: Vec<Finding> = result.err().into_iter().collect();
                Outcome {
                    id,
                    requirement,
                    level: Level::Must,
                    duration: Duration::ZERO,
                    verdict: Verdict::from_findings(&findings),
                    findings,
                }
            })
            .collect()
    }

    /// Fetches credentials from `url` the way LiveKit's JS SDK does, with the SDK itself:
    /// `sdk` is the source of its UMD bundle (`livekit-client.umd.js`), loaded into the
    /// page once; then `TokenSource.endpoint(url, { headers }).fetch(options)` runs from the
    /// page's origin. The answer is `{serverUrl, participantToken}` or `{thrown}` with what
    /// the SDK threw (a refusal's status and body, or the browser's CORS `TypeError`).
    pub async fn fetch_with_sdk(
        &self,
        sdk: &str,
        url: &str,
        headers: serde_json::Value,
        options: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let loaded = self
            .client
            .execute("return typeof LivekitClient !== 'undefined';", Vec::new())
            .await
            .map_err(|err| format!("cannot ask the page: {err}"))?;
        if loaded != serde_json::Value::Bool(true) {
            self.client
                .execute(sdk, Vec::new())
                .await
                .map_err(|err| format!("cannot load the SDK: {err}"))?;
        }
        self.client
            .execute_async(SDK_FETCH, vec![url.into(), headers, options])
            .await
            .map_err(|err| format!("the SDK's fetch did not finish: {err}"))
    }

    /// Opens `url` in place of the check's page (a `file://` page too): how a page the suite
    /// writes, such as the results matrix, is looked at. The browser checks need the check's
    /// page back: use a new `Browser` for them.
    pub async fn go_to(&self, url: &str) -> Result<(), String> {
        self.client
            .goto(url)
            .await
            .map_err(|err| format!("cannot open {url}: {err}"))
    }

    /// Runs `script` (a function body; `return` gives its value) in the open page.
    pub async fn evaluate(&self, script: &str) -> Result<serde_json::Value, String> {
        self.client
            .execute(script, Vec::new())
            .await
            .map_err(|err| format!("the script failed: {err}"))
    }

    /// A PNG of the open page in a window of `width` by `height` pixels.
    pub async fn screenshot(&self, width: u32, height: u32) -> Result<Vec<u8>, String> {
        self.client
            .set_window_size(width, height)
            .await
            .map_err(|err| format!("cannot size the window: {err}"))?;
        self.client
            .screenshot()
            .await
            .map_err(|err| format!("cannot take a screenshot: {err}"))
    }

    /// Ends the WebDriver session (Chromium quits), then stops chromedriver.
    pub async fn close(self) {
        let Self {
            client,
            page,
            driver,
            profile,
        } = self;
        // Errors are ignored: dropping the driver kills whatever is left.
        let _ = client.close().await;
        drop(page);
        drop(driver);
        drop(profile);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_programs_skip_and_broken_ones_are_harness_errors() {
        let skipped = StartError::NotInstalled("no chromium".into()).outcomes();
        assert_eq!(skipped.len(), CHECKS.len());
        assert!(skipped.iter().all(|o| matches!(
            &o.verdict,
            Verdict::Skip(why) if why.starts_with("chromium not installed: ")
        )));
        // A browser that does not start is the suite's failure, never the server's.
        let failed = StartError::Failed("crashed".into()).outcomes();
        assert_eq!(failed.len(), CHECKS.len());
        assert!(failed.iter().all(|o| matches!(
            &o.verdict,
            Verdict::HarnessError(why) if why.contains("crashed")
        ) && o.findings.is_empty()));
    }
}
