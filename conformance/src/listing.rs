//! The contract as `conformance --list` prints it: one line per case, or the Markdown table
//! that CONTRACT.md holds.

use crate::browser;
use crate::cases::CASES;
use crate::profile::Profile;
use crate::runner::Selection;

/// How `--list` prints the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// One line per case.
    Text,
    /// A Markdown table: ID, level, requirement.
    Markdown,
}

/// The selected cases (and the browser checks, with `with_browser`) in `list` form, each
/// with its level.
pub fn listing(selection: &Selection, list: ListFormat, with_browser: bool) -> String {
    let cases = CASES
        .iter()
        .filter(|c| selection.why_skipped(c.id).is_none() && selection.outside_profile(c).is_none())
        .map(|c| (c.id, c.level().as_str(), c.requirement));
    let browser_cases = browser::CHECKS
        .iter()
        .filter(|(id, _)| with_browser && selection.why_skipped(id).is_none())
        .map(|(id, requirement)| (*id, "MUST", *requirement));
    let caller_cases = crate::production::caller_cases()
        .filter(|c| {
            selection.profile == Profile::Production && selection.why_skipped(c.id).is_none()
        })
        .map(|c| (c.id, c.level().as_str(), c.requirement));
    let replicas = std::iter::once((
        crate::replicas::ID,
        crate::harm::Defect::LimitsPerReplica.level().as_str(),
        crate::replicas::REQUIREMENT,
    ))
    .filter(|(id, _, _)| selection.why_skipped(id).is_none());
    let rows = cases
        .chain(caller_cases)
        .chain(browser_cases)
        .chain(replicas);
    let mut out = String::new();
    match list {
        ListFormat::Text => {
            for (id, level, requirement) in rows {
                out.push_str(&format!("{id:<36} {level:<6} {requirement}\n"));
            }
        }
        ListFormat::Markdown => {
            out.push_str("| ID | Level | Requirement |\n|---|---|---|\n");
            for (id, level, requirement) in rows {
                out.push_str(&format!(
                    "| `{id}` | {level} | {} |\n",
                    requirement.replace('|', "\\|")
                ));
            }
        }
    }
    out
}
