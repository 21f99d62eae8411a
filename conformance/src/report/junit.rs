//! The report as JUnit XML, the format CI systems show test results in.

use quick_junit::{NonSuccessKind, Property, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::{Report, Verdict};

impl Report {
    /// The report as JUnit XML: one test suite, one test case per case. A WARN is a passed
    /// test case whose `system-out` says so; every case carries its level as a property.
    pub fn junit(&self) -> String {
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
                Verdict::HarnessError(reason) => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                    status.set_message(format!("harness error: {reason}"));
                    status.set_type("harness-error");
                    status
                }
            };
            let mut case = TestCase::new(outcome.id, status);
            case.set_classname(self.run.name.as_str());
            case.set_time(outcome.duration);
            case.add_property(Property::new("level", outcome.level.as_str()));
            for finding in &outcome.findings {
                case.add_property(Property::new("defect", finding.defect.id()));
            }
            let out = match &outcome.verdict {
                Verdict::Warn(reason) => format!("{}\nWARN: {reason}", outcome.requirement),
                _ => outcome.requirement.to_owned(),
            };
            case.set_system_out(out);
            suite.add_test_case(case);
        }
        // What judged the server, and the summary by defect, for CI pages that show suite
        // properties.
        for (name, value) in [
            ("suite-version", crate::suite::VERSION.to_owned()),
            ("case-set", self.run.case_set.clone().unwrap_or_default()),
            ("profile", self.run.profile.name().to_owned()),
            ("target-name", self.run.name.clone()),
            ("target-url", self.run.url.clone()),
        ] {
            suite.add_property(Property::new(name, value));
        }
        suite.set_timestamp(self.run.started_at_utc().fixed_offset());
        for (defect, ids) in self.defects() {
            suite.add_property(Property::new(
                format!("defect:{}", defect.id()),
                format!(
                    "{} {}: {}",
                    defect.level().as_str(),
                    defect.summary(),
                    ids.join(" ")
                ),
            ));
        }
        let mut report = Junit::new(crate::suite::NAME);
        report.add_test_suite(suite);
        report
            .to_string()
            .unwrap_or_else(|err| format!("<!-- cannot render JUnit XML: {err} -->"))
    }
}

#[cfg(test)]
mod tests {
    use crate::report::tests::report;

    #[test]
    fn junit_escapes_and_counts_warnings_as_passed() {
        let xml = report().junit();
        assert!(xml.contains("tests=\"4\""), "{xml}");
        assert!(xml.contains("failures=\"1\""), "{xml}");
        assert!(xml.contains("status 500 &lt;&amp;&gt;"), "{xml}");
        assert!(xml.contains("WARN: Content-Type"), "{xml}");
        assert!(xml.contains("name=\"level\" value=\"MUST\""), "{xml}");
        assert!(
            xml.contains("name=\"defect\" value=\"server-error\""),
            "{xml}"
        );
        assert!(
            xml.contains("name=\"defect:server-error\" value=\"MUST 5xx for a client&apos;s request: token/x\""),
            "{xml}"
        );
    }
}
