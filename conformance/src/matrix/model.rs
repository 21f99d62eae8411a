//! The matrix as data: JSON reports read back into columns (one per report) and rows (the
//! union of their cases, in the suite's order, grouped by area).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::report::JSON_SCHEMA_VERSION;

/// One case's outcome in one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `pass`, `warn`, `fail`, `no-answer`, `skip` or `harness-error`.
    pub outcome: String,
    /// Why, for anything but a pass.
    pub reasons: Vec<String>,
    /// The defects its failed checks show.
    pub defects: Vec<String>,
}

/// One report: a server judged by one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The server's name.
    pub name: String,
    /// Its URL.
    pub url: String,
    /// The profile it was judged by.
    pub profile: String,
    /// The suite's version and case-set digest.
    pub suite: String,
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// Passed, warned, failed, skipped, not judged.
    pub counts: [u64; 5],
    /// `(defect, level, cases)` for every defect its failing cases show, the serious first.
    pub defects: Vec<(String, String, usize)>,
    /// Outcomes by case ID.
    pub cells: BTreeMap<String, Cell>,
}

/// One case: a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The case's ID.
    pub id: String,
    /// Its requirement.
    pub requirement: String,
    /// `MUST` or `SHOULD`.
    pub level: String,
}

impl Row {
    /// The area: the ID's first segment (`token`, `caller`, ...).
    pub fn area(&self) -> &str {
        self.id.split('/').next().unwrap_or(&self.id)
    }
}

/// Every report, as columns, and every case any of them holds, as rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The rows, in the order the suite runs them (first seen first).
    pub rows: Vec<Row>,
    /// The columns, in the order given.
    pub columns: Vec<Column>,
}

impl Matrix {
    /// The matrix of `reports`, each `(its file's name, its JSON)`; `Err` names the file that
    /// is not a report of this schema version.
    pub fn from_reports(reports: &[(String, Value)]) -> Result<Self, String> {
        let mut rows: Vec<Row> = Vec::new();
        let mut columns = Vec::new();
        for (file, report) in reports {
            let version = report["schema_version"].as_u64();
            if version != Some(u64::from(JSON_SCHEMA_VERSION)) {
                return Err(format!(
                    "{file}: schema_version {} is not {JSON_SCHEMA_VERSION} (write it again with \
                     this version of conformance)",
                    version.map_or_else(|| "missing".to_owned(), |v| v.to_string())
                ));
            }
            let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
            let count = |name: &str| report["summary"][name].as_u64().unwrap_or(0);
            let mut cells = BTreeMap::new();
            for case in report["cases"].as_array().into_iter().flatten() {
                let id = text(&case["id"]);
                if !rows.iter().any(|row| row.id == id) {
                    rows.push(Row {
                        id: id.clone(),
                        requirement: text(&case["requirement"]),
                        level: text(&case["level"]),
                    });
                }
                let strings = |value: &Value, field: Option<&str>| -> Vec<String> {
                    value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|item| text(field.map_or(item, |field| &item[field])))
                        .collect()
                };
                cells.insert(
                    id,
                    Cell {
                        outcome: text(&case["outcome"]),
                        reasons: strings(&case["reasons"], None),
                        defects: strings(&case["findings"], Some("defect")),
                    },
                );
            }
            columns.push(Column {
                name: text(&report["target"]["name"]),
                url: text(&report["target"]["url"]),
                profile: text(&report["profile"]),
                suite: format!(
                    "{} (cases {})",
                    text(&report["suite"]["version"]),
                    text(&report["suite"]["case_set"])
                ),
                started_at: text(&report["started_at"]),
                counts: [
                    count("passed"),
                    count("warned"),
                    count("failed"),
                    count("skipped"),
                    count("harness_errors"),
                ],
                defects: report["defects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|defect| {
                        (
                            text(&defect["id"]),
                            text(&defect["level"]),
                            defect["cases"].as_array().map_or(0, Vec::len),
                        )
                    })
                    .collect(),
                cells,
            });
        }
        Ok(Self { rows, columns })
    }

    /// The areas in row order, each with its rows.
    pub fn areas(&self) -> Vec<(&str, Vec<&Row>)> {
        let mut areas: Vec<(&str, Vec<&Row>)> = Vec::new();
        for row in &self.rows {
            match areas.iter_mut().find(|(area, _)| *area == row.area()) {
                Some((_, rows)) => rows.push(row),
                None => areas.push((row.area(), vec![row])),
            }
        }
        areas
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    /// Any JSON, as a report file might hold after a bad edit or another tool's writing.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            ".{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("cases".to_owned()),
                        Just("id".to_owned()),
                        Just("outcome".to_owned()),
                        Just("findings".to_owned()),
                        Just("defects".to_owned()),
                        Just("summary".to_owned()),
                        ".{0,6}",
                    ],
                    inner,
                    0..6,
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON gives a matrix or an error naming the file, never a panic; with this
        /// schema's version, a matrix whose page and badges render.
        #[test]
        fn any_report_reads_without_panicking(mut report in any_json(), versioned in any::<bool>()) {
            if versioned && let Value::Object(fields) = &mut report {
                fields.insert("schema_version".into(), json!(JSON_SCHEMA_VERSION));
            }
            match Matrix::from_reports(&[("r.json".to_owned(), report)]) {
                Ok(matrix) => {
                    prop_assert_eq!(matrix.columns.len(), 1);
                    let _ = matrix.html("t");
                    let _ = matrix.columns[0].badge();
                    let _ = matrix.columns[0].badge_file();
                }
                Err(err) => prop_assert!(err.starts_with("r.json: ")),
            }
        }
    }
}
