//! A run's outputs: the report on stdout, the files asked for (JUnit, JSON, a baseline),
//! and whether the run went as expected (no failure, or only the baseline's).

use std::path::Path;

use super::RunOptions;
use crate::report::{Baseline, Report};

/// Prints `report`, writes the files `options` ask for, and says whether the run went as
/// expected; `Err` when a file cannot be written or the baseline read.
pub(super) fn write(options: &RunOptions, report: &Report) -> Result<bool, String> {
    println!("{report}");
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
    };
    if let Some(path) = &options.junit {
        write(path, report.junit())?;
    }
    if let Some(path) = &options.json {
        let json = report.json();
        write(
            path,
            serde_json::to_string_pretty(&json).unwrap_or_default(),
        )?;
    }
    if let Some(path) = &options.write_baseline {
        write(path, Baseline::of(report, options.strict).to_text())?;
    }
    let Some(path) = &options.expect else {
        return Ok(report.failing_ids(options.strict).is_empty());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let comparison = Baseline::parse(&text).compare(report, options.strict);
    for id in &comparison.new_failures {
        println!("new failure: {id}");
    }
    for id in &comparison.fixed {
        println!("fixed: {id} (remove it from the baseline)");
    }
    println!(
        "baseline: {} known, {} new, {} fixed",
        comparison.known.len(),
        comparison.new_failures.len(),
        comparison.fixed.len()
    );
    Ok(comparison.as_expected())
}
