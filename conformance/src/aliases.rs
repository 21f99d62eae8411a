//! Renamed case IDs. A case's ID is stable; when a name stops saying what the case checks,
//! the case gets a new ID and its old one keeps working for one more version of the suite
//! (in `--only`, `--skip`, baselines and `explain`), with a note saying so.

/// One renamed case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alias {
    /// The ID it had.
    pub old: &'static str,
    /// The ID it has.
    pub new: &'static str,
    /// The suite version that renamed it; the old ID is gone in the version after.
    pub renamed_in: &'static str,
}

/// Every renamed case whose old ID still works.
pub const ALIASES: &[Alias] = &[Alias {
    // A validly signed token is no forgery: its caller is authenticated (issue 30).
    old: "caller/forged/oversized",
    new: "caller/too-long/token",
    renamed_in: "0.2.0",
}];

/// The current ID of `id`, and the alias used when `id` is an old one.
pub fn resolve(id: &str) -> (&str, Option<&'static Alias>) {
    match ALIASES.iter().find(|alias| alias.old == id) {
        Some(alias) => (alias.new, Some(alias)),
        None => (id, None),
    }
}

impl Alias {
    /// A one-line note for whoever used the old ID.
    pub fn note(&self) -> String {
        format!(
            "{} was renamed {} in version {}; the old ID works in this version only",
            self.old, self.new, self.renamed_in
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_names_a_current_case_and_no_current_case_is_an_old_name() {
        let ids: Vec<&str> = crate::catalogue::case_ids().collect();
        for alias in ALIASES {
            assert!(ids.contains(&alias.new), "{} is no case", alias.new);
            assert!(!ids.contains(&alias.old), "{} is still a case", alias.old);
            assert_eq!(resolve(alias.old), (alias.new, Some(alias)));
            assert!(alias.note().contains(alias.new));
        }
        assert_eq!(resolve("token/valid"), ("token/valid", None));
    }

    #[test]
    fn old_ids_are_dropped_the_version_after_their_rename() {
        // An alias lives for the version that renamed its case; a release that bumps the
        // version past it must drop it.
        for alias in ALIASES {
            assert_eq!(alias.renamed_in, crate::suite::VERSION, "{}", alias.old);
        }
    }
}
