//! What names the suite in a report: its name and version. The digest of its case set is
//! `catalogue`'s, stated by the command line.

/// The suite's version, the `conformance` crate's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The suite's name in reports.
pub const NAME: &str = "token-server-conformance";
