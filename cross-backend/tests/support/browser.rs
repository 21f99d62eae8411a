//! Headless Chromium for the tests that need one, or a visible skip: outside CI a missing
//! browser skips the test and says so; under CI (`CI` set), which installs it, it fails.

use std::io::Write as _;

use conformance::browser::{Browser, StartError};

/// The browser, or `None` after saying why `test` is skipped.
pub async fn browser_or_skip(test: &str) -> Option<Browser> {
    match Browser::start().await {
        Ok(browser) => Some(browser),
        Err(StartError::NotInstalled(why)) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install chromium and chromium-driver (.ci/run does): {why}"
            );
            // Straight to the process's stderr: libtest captures `eprintln!` of a passing
            // test, and a skip must show in the run's output.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: chromium not installed: {why}"
            );
            None
        }
        Err(err @ StartError::Failed(_)) => panic!("{err}"),
    }
}
