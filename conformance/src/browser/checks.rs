//! The browser cases as the suite reports them: Chromium started once, every selected case
//! checked, every unselected one skipped with its reason.

use std::time::Duration;

use super::{Browser, CHECKS};
use crate::harm::Level;
use crate::report::{Outcome, Verdict};
use crate::runner::Selection;
use crate::server_under_test::ServerUnderTest;

/// Runs the browser cases against `server`: starts Chromium, checks, closes it. Cases not
/// selected are skipped, and Chromium is not started when none is.
pub async fn run(server: &ServerUnderTest, selection: &Selection) -> Vec<Outcome> {
    let unselected: Vec<Option<String>> = CHECKS
        .iter()
        .map(|(id, _)| selection.why_skipped(id))
        .collect();
    let outcomes = if unselected.iter().all(Option::is_some) {
        Vec::new()
    } else {
        match Browser::start().await {
            Ok(browser) => {
                let outcomes = browser.check(server).await;
                browser.close().await;
                outcomes
            }
            Err(err) => err.outcomes(),
        }
    };
    CHECKS
        .iter()
        .zip(unselected)
        .map(|(&(id, requirement), unselected)| match unselected {
            Some(reason) => Outcome {
                id,
                requirement,
                level: Level::Must,
                duration: Duration::ZERO,
                verdict: Verdict::Skip(reason),
                findings: Vec::new(),
            },
            None => outcomes
                .iter()
                .find(|outcome| outcome.id == id)
                .cloned()
                .unwrap_or(Outcome {
                    id,
                    requirement,
                    level: Level::Must,
                    duration: Duration::ZERO,
                    verdict: Verdict::HarnessError("the browser check gave no outcome".into()),
                    findings: Vec::new(),
                }),
        })
        .collect()
}
