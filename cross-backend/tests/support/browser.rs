//! Headless Chromium for the tests that need one, or a visible skip: outside CI a missing
//! browser skips the test and says so; under CI (`CI` set), which installs it, it fails.

use conformance::browser::{Browser, StartError};

/// The browser, or `None` after saying why `test` is skipped.
pub async fn browser_or_skip(test: &str) -> Option<Browser> {
    match Browser::start().await {
        Ok(browser) => Some(browser),
        Err(StartError::NotInstalled(why)) => {
            testkit::missing_tool::skip_outside_ci(test, &format!("chromium not installed: {why}"));
            None
        }
        Err(err @ StartError::Failed(_)) => panic!("{err}"),
    }
}
