//! A tool a test needs and cannot find (Chromium, `redis-server`, Node): outside CI the test
//! says it skipped and passes; under CI (`CI` set), whose `.ci/run` installs every tool, it
//! fails.

use std::io::Write as _;

/// Fails under CI; elsewhere says on stderr that `test` is skipped, and `why`.
pub fn skip_outside_ci(test: &str, why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: CI must install what it needs (.ci/run does): {why}"
    );
    // Straight to the process's stderr: libtest captures a passing test's `eprintln!`, and
    // a skip must show in the run's output.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}
