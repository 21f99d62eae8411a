//! The outcome of a run: one line per case, a summary line, JUnit XML and a JSON report for
//! CI, and baselines of known failures.
//!
//! This file holds the verdicts, the outcomes and the text output; `junit.rs`, `json.rs` and
//! `baseline.rs` the rest.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::case::Finding;
use crate::harm::Defect;
use crate::harm::Level;
use crate::profile::Profile;
use crate::server_under_test::ServerUnderTest;

mod baseline;
mod json;
mod junit;

pub use baseline::{Baseline, BaselineComparison};
pub use json::JSON_SCHEMA_VERSION;

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
    /// The suite could not do its part (its identity provider, the browser, signing): the
    /// server was not judged, so this is never counted as the server's failure.
    HarnessError(String),
}

impl Verdict {
    /// `Fail` when a MUST check failed (its reasons first, then the SHOULD ones, marked),
    /// else `Warn`; `Pass` without findings. Each reason names its defect.
    pub fn from_findings(findings: &[Finding]) -> Self {
        Self::from_findings_at(findings, Defect::level)
    }

    /// [`Verdict::from_findings`] with the levels given by `level_of`: what the verdict
    /// would be under another severity model (the judge's mutation test asks).
    pub fn from_findings_at(findings: &[Finding], level_of: impl Fn(Defect) -> Level) -> Self {
        let reasons = |level: Level| -> Vec<String> {
            findings
                .iter()
                .filter(|f| level_of(f.defect) == level)
                .map(|f| format!("[{}] {}", f.defect.id(), f.reason))
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
            Self::HarnessError(_) => "harness-error",
        }
    }

    /// Its reason (`None` for a pass).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Pass => None,
            Self::Warn(reason)
            | Self::Fail(reason)
            | Self::NoAnswer(reason)
            | Self::Skip(reason)
            | Self::HarnessError(reason) => Some(reason),
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
    /// What its failed checks show (empty when it passed, was skipped or got no answer).
    pub findings: Vec<Finding>,
    /// How long it took.
    pub duration: Duration,
}

/// What was judged, by which contract, and when: what every report states first, with the
/// suite's version and case set.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The server's name (`--name`; its URL by default).
    pub name: String,
    /// The server's base URL.
    pub url: String,
    /// The contract judged.
    pub profile: Profile,
    /// When the run started.
    pub started_at: SystemTime,
    /// The digest of the suite's case set (`catalogue::case_set_digest`), which the command
    /// line states; `None` until it is set.
    pub case_set: Option<String>,
}

impl RunInfo {
    /// A run against `server` by `profile`, starting now.
    pub fn starting(server: &ServerUnderTest, profile: Profile) -> Self {
        Self {
            name: server.name().to_owned(),
            url: server.base_url.clone(),
            profile,
            started_at: SystemTime::now(),
            case_set: None,
        }
    }

    /// The start, in UTC.
    pub fn started_at_utc(&self) -> chrono::DateTime<chrono::Utc> {
        self.started_at.into()
    }

    /// The start, in RFC 3339 to the second, in UTC.
    pub fn started_at_rfc3339(&self) -> String {
        self.started_at_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// One line: the suite, its case set, the profile, the server and the time.
    pub fn header(&self) -> String {
        let target = if self.name == self.url {
            self.url.clone()
        } else {
            format!("{} ({})", self.name, self.url)
        };
        let cases = self
            .case_set
            .as_ref()
            .map(|digest| format!(" (cases {digest})"))
            .unwrap_or_default();
        format!(
            "{} {}{cases}, profile {}, {target}, {}",
            crate::suite::NAME,
            crate::suite::VERSION,
            self.profile.name(),
            self.started_at_rfc3339()
        )
    }
}

/// Every outcome of one run against one server.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was judged, how and when.
    pub run: RunInfo,
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

    /// Cases the suite could not do its part of.
    pub fn harness_errors(&self) -> usize {
        self.count(|v| matches!(v, Verdict::HarnessError(_)))
    }

    /// IDs of the failed cases, with or without an answer.
    pub fn failed_ids(&self) -> Vec<&'static str> {
        self.ids(|v| matches!(v, Verdict::Fail(_) | Verdict::NoAnswer(_)))
    }

    /// IDs of the cases that got no answer to judge.
    pub fn unanswered_ids(&self) -> Vec<&'static str> {
        self.ids(|v| matches!(v, Verdict::NoAnswer(_)))
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
                Verdict::Pass | Verdict::Skip(_) | Verdict::HarnessError(_) => false,
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

    /// The failing cases grouped by the defect they show, the serious first: each defect
    /// with the IDs of the cases that show it (a case may show several).
    pub fn defects(&self) -> Vec<(Defect, Vec<&'static str>)> {
        Defect::ALL
            .iter()
            .map(|&defect| {
                let ids: Vec<&'static str> = self
                    .outcomes
                    .iter()
                    .filter(|o| o.findings.iter().any(|f| f.defect == defect))
                    .map(|o| o.id)
                    .collect();
                (defect, ids)
            })
            .filter(|(_, ids)| !ids.is_empty())
            .collect()
    }

    /// `N passed, W warned, M failed`, then `, K skipped` and `, E not judged (harness
    /// error)` when any were.
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
        if self.harness_errors() > 0 {
            line.push_str(&format!(
                ", {} not judged (harness error)",
                self.harness_errors()
            ));
        }
        line
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.run.header())?;
        for outcome in &self.outcomes {
            match &outcome.verdict {
                Verdict::Pass => writeln!(f, "PASS {}", outcome.id)?,
                Verdict::Warn(reason) => writeln!(f, "WARN {}: {reason}", outcome.id)?,
                Verdict::Fail(reason) => writeln!(f, "FAIL {}: {reason}", outcome.id)?,
                Verdict::NoAnswer(reason) => {
                    writeln!(f, "FAIL {}: no answer: {reason}", outcome.id)?;
                }
                Verdict::Skip(reason) => writeln!(f, "SKIP {}: {reason}", outcome.id)?,
                Verdict::HarnessError(reason) => {
                    writeln!(
                        f,
                        "ERROR {}: the suite could not run it: {reason}",
                        outcome.id
                    )?;
                }
            }
        }
        let defects = self.defects();
        if !defects.is_empty() {
            writeln!(f, "By defect:")?;
            for (defect, ids) in defects {
                let label = match defect.level() {
                    Level::Must => "FAIL",
                    Level::Should => "WARN",
                };
                let cases = if ids.len() == 1 { "case" } else { "cases" };
                writeln!(
                    f,
                    "  {label} {}: {} {cases} ({}) [{}]",
                    defect.summary(),
                    ids.len(),
                    ids.join(", "),
                    defect.id()
                )?;
            }
        }
        write!(f, "{}", self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(id: &'static str, verdict: Verdict) -> Outcome {
        let findings = match &verdict {
            Verdict::Fail(reason) => vec![Finding::new(Defect::ServerError, reason)],
            Verdict::Warn(reason) => vec![Finding::new(Defect::BodyStyle, reason)],
            _ => Vec::new(),
        };
        Outcome {
            id,
            requirement: "r.",
            level: Level::Must,
            verdict,
            findings,
            duration: Duration::from_millis(3),
        }
    }

    /// A report with one case of each verdict but `NoAnswer`.
    pub(super) fn report() -> Report {
        Report {
            run: RunInfo {
                name: "backend".into(),
                url: "http://127.0.0.1:1".into(),
                profile: Profile::Full,
                started_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000),
                case_set: Some("sha256:0123456789abcdef".into()),
            },
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
        let header = format!(
            "token-server-conformance {} (cases sha256:0123456789abcdef), profile full, backend (http://127.0.0.1:1), 2026-11-30T00:53:20Z",
            crate::suite::VERSION,
        );
        assert!(text.starts_with(&header), "{text}");
        let (_, text) = text.split_once('\n').expect("a header line");
        assert!(text.starts_with(
            "PASS token/valid\nFAIL token/x: status 500 <&>\nWARN token/w: Content-Type"
        ));
        assert!(text.ends_with("\n1 passed, 1 warned, 1 failed, 1 skipped"));
        assert!(
            text.contains(
                "By defect:\n  FAIL 5xx for a client's request: 1 case (token/x) [server-error]\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn findings_make_verdicts_by_level() {
        let must = Finding::new(Defect::WebhookForgery, "m");
        let should = Finding::new(Defect::MessageWording, "s");
        assert_eq!(Verdict::from_findings(&[]), Verdict::Pass);
        assert_eq!(
            Verdict::from_findings(std::slice::from_ref(&should)),
            Verdict::Warn("[message-wording] s".into())
        );
        assert_eq!(
            Verdict::from_findings(&[should.clone(), must.clone()]),
            Verdict::Fail("[webhook-forgery] m; and SHOULD: [message-wording] s".into())
        );
        let flipped = |defect: Defect| match defect {
            Defect::WebhookForgery => Level::Should,
            other => other.level(),
        };
        assert!(matches!(
            Verdict::from_findings_at(&[must], flipped),
            Verdict::Warn(_)
        ));
    }
}
