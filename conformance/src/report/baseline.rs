//! Baselines: the cases known to fail for one server, and how a run compares with them.

use super::{Report, Verdict};

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
    /// Parses a baseline file's text; a renamed case's old ID stands for its new one.
    pub fn parse(text: &str) -> Self {
        let ids = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim())
            .filter(|id| !id.is_empty())
            .map(|id| crate::aliases::resolve(id).0.to_owned())
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

    /// Compares a run with the baseline. Cases the run skipped, or could not judge, are
    /// neither new nor fixed.
    pub fn compare(&self, report: &Report, strict: bool) -> BaselineComparison {
        let failing = report.failing_ids(strict);
        let ran: Vec<&str> = report
            .outcomes
            .iter()
            .filter(|o| !matches!(o.verdict, Verdict::Skip(_) | Verdict::HarnessError(_)))
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
    use crate::report::tests::report;

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
        for alias in crate::aliases::ALIASES {
            assert_eq!(
                Baseline::parse(alias.old),
                Baseline::parse(alias.new),
                "an old ID stands for its new one"
            );
        }
    }
}
