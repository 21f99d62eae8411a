//! The outcome of a run: one line per case, a summary line, and JUnit XML for CI.

use std::fmt;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server meets the requirement.
    Pass,
    /// It does not; the reason says how.
    Fail(String),
    /// It gave nothing to judge: the exchange itself failed (refused, reset, timed out).
    /// Counted and shown as a failure; mutation tests count only [`Verdict::Fail`].
    NoAnswer(String),
    /// The case was not run; the reason says why.
    Skip(String),
}

/// One case's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The case's ID.
    pub id: &'static str,
    /// The case's requirement.
    pub requirement: &'static str,
    /// How it ended.
    pub verdict: Verdict,
}

/// Every outcome of one run against one server.
#[derive(Debug, Clone)]
pub struct Report {
    /// The server's base URL.
    pub target: String,
    /// Outcomes, in case order.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    fn count(&self, which: fn(&Verdict) -> bool) -> usize {
        self.outcomes.iter().filter(|o| which(&o.verdict)).count()
    }

    /// Cases passed.
    pub fn passed(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Pass))
    }

    /// Cases failed, with or without an answer.
    pub fn failed(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Fail(_) | Verdict::NoAnswer(_)))
    }

    /// Cases skipped.
    pub fn skipped(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Skip(_)))
    }

    /// IDs of the failed cases, with or without an answer.
    pub fn failed_ids(&self) -> Vec<&'static str> {
        self.ids(|v| matches!(v, Verdict::Fail(_) | Verdict::NoAnswer(_)))
    }

    /// IDs of the cases whose answer broke the contract (not those without an answer).
    pub fn contract_failed_ids(&self) -> Vec<&'static str> {
        self.ids(|v| matches!(v, Verdict::Fail(_)))
    }

    fn ids(&self, which: fn(&Verdict) -> bool) -> Vec<&'static str> {
        self.outcomes
            .iter()
            .filter(|o| which(&o.verdict))
            .map(|o| o.id)
            .collect()
    }

    /// `N passed, M failed` and `, K skipped` when any were.
    pub fn summary(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed(), self.failed());
        if self.skipped() > 0 {
            line.push_str(&format!(", {} skipped", self.skipped()));
        }
        line
    }

    /// The report as JUnit XML: one test suite, one test case per case.
    pub fn junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};
        let mut suite = TestSuite::new("conformance");
        for outcome in &self.outcomes {
            let status = match &outcome.verdict {
                Verdict::Pass => TestCaseStatus::success(),
                Verdict::Fail(reason) => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_message(reason.as_str());
                    status
                }
                Verdict::NoAnswer(reason) => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                    status.set_message(reason.as_str());
                    status
                }
                Verdict::Skip(reason) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(reason.as_str());
                    status
                }
            };
            let mut case = TestCase::new(outcome.id, status);
            case.set_classname(self.target.as_str());
            case.set_system_out(outcome.requirement);
            suite.add_test_case(case);
        }
        let mut report = Junit::new("token-server-conformance");
        report.add_test_suite(suite);
        report
            .to_string()
            .unwrap_or_else(|err| format!("<!-- cannot render JUnit XML: {err} -->"))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for outcome in &self.outcomes {
            match &outcome.verdict {
                Verdict::Pass => writeln!(f, "PASS {}", outcome.id)?,
                Verdict::Fail(reason) => writeln!(f, "FAIL {}: {reason}", outcome.id)?,
                Verdict::NoAnswer(reason) => {
                    writeln!(f, "FAIL {}: no answer: {reason}", outcome.id)?;
                }
                Verdict::Skip(reason) => writeln!(f, "SKIP {}: {reason}", outcome.id)?,
            }
        }
        write!(f, "{}", self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            target: "http://127.0.0.1:1".into(),
            outcomes: vec![
                Outcome {
                    id: "token/valid",
                    requirement: "r.",
                    verdict: Verdict::Pass,
                },
                Outcome {
                    id: "token/x",
                    requirement: "r.",
                    verdict: Verdict::Fail("status 500 <&>".into()),
                },
                Outcome {
                    id: "cors/y",
                    requirement: "r.",
                    verdict: Verdict::Skip("not selected".into()),
                },
            ],
        }
    }

    #[test]
    fn text_ends_with_the_summary() {
        let text = report().to_string();
        assert!(text.starts_with("PASS token/valid\nFAIL token/x: status 500 <&>\nSKIP cors/y"));
        assert!(text.ends_with("\n1 passed, 1 failed, 1 skipped"));
    }

    #[test]
    fn junit_escapes_and_counts() {
        let xml = report().junit();
        assert!(xml.contains("tests=\"3\""), "{xml}");
        assert!(xml.contains("failures=\"1\""), "{xml}");
        assert!(xml.contains("status 500 &lt;&amp;&gt;"), "{xml}");
    }
}
