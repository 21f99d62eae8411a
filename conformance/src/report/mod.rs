//! The outcome of a run: one line per case, a summary line, JUnit XML and a JSON report for
//! CI, and baselines of known failures.

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use crate::case::{Finding, Level};

/// The version of the JSON report's schema (`conformance/report.schema.json`); it changes
/// only when a field changes meaning or goes away.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server meets the requirement.
    Pass,
    /// Only SHOULD-level checks failed; the reason says which.
    Warn(String),
    /// A MUST-level check failed; the reason says how.
    Fail(String),
    /// It gave nothing to judge: the exchange itself failed (refused, reset, timed out).
    /// Counted and shown as a failure; mutation tests do not count it as caught.
    NoAnswer(String),
    /// The case was not run; the reason says why.
    Skip(String),
}

impl Verdict {
    /// `Fail` when a MUST check failed (its reasons first, then the SHOULD ones, marked),
    /// else `Warn`; `Pass` without findings.
    pub fn from_findings(findings: &[Finding]) -> Self {
        let reasons = |level: Level| -> Vec<&str> {
            findings
                .iter()
                .filter(|f| f.level == level)
                .map(|f| f.reason.as_str())
                .collect()
        };
        let (must, should) = (reasons(Level::Must), reasons(Level::Should));
        match (must.is_empty(), should.is_empty()) {
            (true, true) => Self::Pass,
            (true, false) => Self::Warn(should.join("; ")),
            (false, true) => Self::Fail(must.join("; ")),
            (false, false) => Self::Fail(format!(
                "{}; and SHOULD: {}",
                must.join("; "),
                should.join("; ")
            )),
        }
    }

    /// The outcome's name in the JSON report.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn(_) => "warn",
            Self::Fail(_) => "fail",
            Self::NoAnswer(_) => "no-answer",
            Self::Skip(_) => "skip",
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Self::Pass => None,
            Self::Warn(reason)
            | Self::Fail(reason)
            | Self::NoAnswer(reason)
            | Self::Skip(reason) => Some(reason),
        }
    }
}

/// One case's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The case's ID.
    pub id: &'static str,
    /// The case's requirement.
    pub requirement: &'static str,
    /// The case's level: the highest among its checks.
    pub level: Level,
    /// How it ended.
    pub verdict: Verdict,
    /// How long it took.
    pub duration: Duration,
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

    /// Cases with only SHOULD-level findings.
    pub fn warned(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Warn(_)))
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

    /// IDs of the cases with only SHOULD-level findings.
    pub fn warned_ids(&self) -> Vec<&'static str> {
        self.ids(|v| matches!(v, Verdict::Warn(_)))
    }

    /// IDs of the cases whose answer missed a check of either level (not those without an
    /// answer): what a mutation test counts as caught.
    pub fn contract_missed_ids(&self) -> Vec<&'static str> {
        self.ids(|v| matches!(v, Verdict::Fail(_) | Verdict::Warn(_)))
    }

    /// IDs that count as failing: failed, and warned too when `strict`.
    pub fn failing_ids(&self, strict: bool) -> Vec<&'static str> {
        self.outcomes
            .iter()
            .filter(|o| match o.verdict {
                Verdict::Fail(_) | Verdict::NoAnswer(_) => true,
                Verdict::Warn(_) => strict,
                Verdict::Pass | Verdict::Skip(_) => false,
            })
            .map(|o| o.id)
            .collect()
    }

    fn ids(&self, which: fn(&Verdict) -> bool) -> Vec<&'static str> {
        self.outcomes
            .iter()
            .filter(|o| which(&o.verdict))
            .map(|o| o.id)
            .collect()
    }

    /// `N passed, W warned, M failed` and `, K skipped` when any were.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} passed, {} warned, {} failed",
            self.passed(),
            self.warned(),
            self.failed()
        );
        if self.skipped() > 0 {
            line.push_str(&format!(", {} skipped", self.skipped()));
        }
        line
    }

    /// The report as JUnit XML: one test suite, one test case per case. A WARN is a passed
    /// test case whose `system-out` says so; every case carries its level as a property.
    pub fn junit(&self) -> String {
        use quick_junit::{
            NonSuccessKind, Property, Report as Junit, TestCase, TestCaseStatus, TestSuite,
        };
        let mut suite = TestSuite::new("conformance");
        for outcome in &self.outcomes {
            let status = match &outcome.verdict {
                Verdict::Pass | Verdict::Warn(_) => TestCaseStatus::success(),
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
            case.set_time(outcome.duration);
            case.add_property(Property::new("level", outcome.level.as_str()));
            let out = match &outcome.verdict {
                Verdict::Warn(reason) => format!("{}\nWARN: {reason}", outcome.requirement),
                _ => outcome.requirement.to_owned(),
            };
            case.set_system_out(out);
            suite.add_test_case(case);
        }
        let mut report = Junit::new("token-server-conformance");
        report.add_test_suite(suite);
        report
            .to_string()
            .unwrap_or_else(|err| format!("<!-- cannot render JUnit XML: {err} -->"))
    }

    /// The machine-readable report, as `conformance/report.schema.json` describes it.
    pub fn json(&self, profile: &str) -> Value {
        let cases: Vec<Value> = self
            .outcomes
            .iter()
            .map(|outcome| {
                json!({
                    "id": outcome.id,
                    "requirement": outcome.requirement,
                    "level": outcome.level.as_str(),
                    "outcome": outcome.verdict.name(),
                    "reasons": outcome.verdict.reason().into_iter().collect::<Vec<_>>(),
                    "duration_ms": outcome.duration.as_secs_f64() * 1000.0,
                })
            })
            .collect();
        json!({
            "schema_version": JSON_SCHEMA_VERSION,
            "suite": {"name": "token-server-conformance", "version": env!("CARGO_PKG_VERSION")},
            "profile": profile,
            "target": self.target,
            "summary": {
                "passed": self.passed(),
                "warned": self.warned(),
                "failed": self.failed(),
                "skipped": self.skipped(),
            },
            "cases": cases,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for outcome in &self.outcomes {
            match &outcome.verdict {
                Verdict::Pass => writeln!(f, "PASS {}", outcome.id)?,
                Verdict::Warn(reason) => writeln!(f, "WARN {}: {reason}", outcome.id)?,
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

/// A baseline: the IDs of cases known to fail for one server, one per line (`#` starts a
/// comment), so CI can gate on "no new failures".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    ids: Vec<String>,
}

/// How a run compares with a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineComparison {
    /// Failing now, not in the baseline.
    pub new_failures: Vec<String>,
    /// In the baseline, passing now: remove them from the baseline.
    pub fixed: Vec<String>,
    /// In the baseline and still failing.
    pub known: Vec<String>,
}

impl BaselineComparison {
    /// Whether the run is as expected.
    pub fn as_expected(&self) -> bool {
        self.new_failures.is_empty() && self.fixed.is_empty()
    }
}

impl Baseline {
    /// Parses a baseline file's text.
    pub fn parse(text: &str) -> Self {
        let ids = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim())
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect();
        Self { ids }
    }

    /// The baseline of a run: its failing IDs.
    pub fn of(report: &Report, strict: bool) -> Self {
        Self {
            ids: report
                .failing_ids(strict)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    }

    /// The file's text: a comment, then one ID per line.
    pub fn to_text(&self) -> String {
        let mut text = String::from(
            "# Conformance cases known to fail for this server, one ID per line.\n\
             # Written by `conformance --write-baseline`; read by `--expect`.\n",
        );
        for id in &self.ids {
            text.push_str(id);
            text.push('\n');
        }
        text
    }

    /// Compares a run with the baseline. Cases the run skipped are neither new nor fixed.
    pub fn compare(&self, report: &Report, strict: bool) -> BaselineComparison {
        let failing = report.failing_ids(strict);
        let ran: Vec<&str> = report
            .outcomes
            .iter()
            .filter(|o| !matches!(o.verdict, Verdict::Skip(_)))
            .map(|o| o.id)
            .collect();
        let listed = |id: &str| self.ids.iter().any(|known| known == id);
        BaselineComparison {
            new_failures: failing
                .iter()
                .filter(|id| !listed(id))
                .map(|id| (*id).to_owned())
                .collect(),
            fixed: self
                .ids
                .iter()
                .filter(|id| ran.contains(&id.as_str()) && !failing.contains(&id.as_str()))
                .cloned()
                .collect(),
            known: self
                .ids
                .iter()
                .filter(|id| failing.contains(&id.as_str()))
                .cloned()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: &'static str, verdict: Verdict) -> Outcome {
        Outcome {
            id,
            requirement: "r.",
            level: Level::Must,
            verdict,
            duration: Duration::from_millis(3),
        }
    }

    fn report() -> Report {
        Report {
            target: "http://127.0.0.1:1".into(),
            outcomes: vec![
                outcome("token/valid", Verdict::Pass),
                outcome("token/x", Verdict::Fail("status 500 <&>".into())),
                outcome(
                    "token/w",
                    Verdict::Warn("Content-Type \"text/html\"".into()),
                ),
                outcome("cors/y", Verdict::Skip("not selected".into())),
            ],
        }
    }

    #[test]
    fn text_ends_with_the_summary() {
        let text = report().to_string();
        assert!(text.starts_with(
            "PASS token/valid\nFAIL token/x: status 500 <&>\nWARN token/w: Content-Type"
        ));
        assert!(text.ends_with("\n1 passed, 1 warned, 1 failed, 1 skipped"));
    }

    #[test]
    fn junit_escapes_and_counts_warnings_as_passed() {
        let xml = report().junit();
        assert!(xml.contains("tests=\"4\""), "{xml}");
        assert!(xml.contains("failures=\"1\""), "{xml}");
        assert!(xml.contains("status 500 &lt;&amp;&gt;"), "{xml}");
        assert!(xml.contains("WARN: Content-Type"), "{xml}");
        assert!(xml.contains("name=\"level\" value=\"MUST\""), "{xml}");
    }

    #[test]
    fn findings_make_verdicts_by_level() {
        let must = Finding::new(Level::Must, "m");
        let should = Finding::new(Level::Should, "s");
        assert_eq!(Verdict::from_findings(&[]), Verdict::Pass);
        assert_eq!(
            Verdict::from_findings(std::slice::from_ref(&should)),
            Verdict::Warn("s".into())
        );
        assert_eq!(
            Verdict::from_findings(&[should, must]),
            Verdict::Fail("m; and SHOULD: s".into())
        );
    }

    #[test]
    fn baselines_tell_new_fixed_and_known() {
        let report = report();
        let baseline = Baseline::parse("# known\ntoken/x\ntoken/valid  # was failing\ncors/y\n");
        let comparison = baseline.compare(&report, false);
        assert_eq!(comparison.known, ["token/x"]);
        assert_eq!(comparison.fixed, ["token/valid"]);
        assert!(comparison.new_failures.is_empty());
        let strict = baseline.compare(&report, true);
        assert_eq!(strict.new_failures, ["token/w"]);
        assert_eq!(
            Baseline::parse(&Baseline::of(&report, true).to_text()),
            Baseline::of(&report, true)
        );
    }
}
