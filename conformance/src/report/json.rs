//! The machine-readable JSON report, as `conformance/report.schema.json` describes it.

use serde_json::{Value, json};

use super::Report;

/// The version of the JSON report's schema (`conformance/report.schema.json`); it changes
/// only when a field changes meaning or goes away. Version 3: `target` is an object (name
/// and URL), and the suite's case set and the run's start are stated.
pub const JSON_SCHEMA_VERSION: u32 = 3;

impl Report {
    /// The machine-readable report, as `conformance/report.schema.json` describes it.
    pub fn json(&self) -> Value {
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
                    "findings": outcome.findings.iter().map(|finding| json!({
                        "defect": finding.defect.id(),
                        "level": finding.level().as_str(),
                        "reason": finding.reason,
                    })).collect::<Vec<_>>(),
                    "duration_ms": outcome.duration.as_secs_f64() * 1000.0,
                })
            })
            .collect();
        json!({
            "schema_version": JSON_SCHEMA_VERSION,
            "suite": {
                "name": crate::suite::NAME,
                "version": crate::suite::VERSION,
                "case_set": self.run.case_set,
            },
            "profile": self.run.profile.name(),
            "target": {"name": self.run.name, "url": self.run.url},
            "started_at": self.run.started_at_rfc3339(),
            "summary": {
                "passed": self.passed(),
                "warned": self.warned(),
                "failed": self.failed(),
                "skipped": self.skipped(),
                "harness_errors": self.harness_errors(),
            },
            "cases": cases,
            "defects": self.defects().iter().map(|(defect, ids)| json!({
                "id": defect.id(),
                "level": defect.level().as_str(),
                "summary": defect.summary(),
                "cases": ids,
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::harm::Defect;

    #[test]
    fn the_schema_names_every_defect_in_order() {
        let schema: Value = serde_json::from_str(include_str!("../../report.schema.json"))
            .expect("the schema is JSON");
        let ids: Vec<Value> = Defect::ALL.iter().map(|d| Value::from(d.id())).collect();
        let finding = &schema["properties"]["cases"]["items"]["properties"]["findings"]["items"]["properties"]
            ["defect"]["enum"];
        let grouped = &schema["properties"]["defects"]["items"]["properties"]["id"]["enum"];
        assert_eq!(finding.as_array(), Some(&ids));
        assert_eq!(grouped.as_array(), Some(&ids));
    }
}
