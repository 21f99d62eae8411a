//! `conformance matrix REPORT.json...`: the results of several runs side by side, as one
//! HTML page (cases as rows grouped by area, servers as columns, a summary of each server's
//! defects at the top) and one shields.io badge per server, as Bowtie and cache-tests.fyi
//! show theirs.
//!
//! - `model`: the JSON reports read back into rows and columns.
//! - `html`: the self-contained page.
//! - `badges`: the badges.

mod badges;
mod html;
mod model;

use std::path::{Path, PathBuf};

pub use badges::LABEL as BADGE_LABEL;
pub use html::{class, label};
pub use model::{Cell, Column, Matrix, Row};

/// The page's title unless `--title` says otherwise.
pub const DEFAULT_TITLE: &str = "Token server conformance";

/// Reads the JSON reports at `paths` into a matrix.
pub fn read(paths: &[PathBuf]) -> Result<Matrix, String> {
    let mut reports = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let json = serde_json::from_str(&text)
            .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
        reports.push((path.display().to_string(), json));
    }
    Matrix::from_reports(&reports)
}

impl Matrix {
    /// Writes one badge per column into `dir` (made if missing); `Err` when two servers'
    /// names give the same file, or a file cannot be written.
    pub fn write_badges(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        std::fs::create_dir_all(dir)
            .map_err(|err| format!("cannot make {}: {err}", dir.display()))?;
        let mut written: Vec<PathBuf> = Vec::new();
        for column in &self.columns {
            let path = dir.join(column.badge_file());
            if written.contains(&path) {
                return Err(format!(
                    "two servers' names give the badge {}: name them apart with --name",
                    path.display()
                ));
            }
            let json = serde_json::to_string_pretty(&column.badge()).unwrap_or_default();
            std::fs::write(&path, json + "\n")
                .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
            written.push(path);
        }
        Ok(written)
    }
}
