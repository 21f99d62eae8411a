//! This repository's own test harness (not published): what the tests of the six backends,
//! the differential fuzzer and the bench share. The product, the `conformance` suite, judges
//! any server by URL and knows none of this.
//! Run: `cargo test -p testkit`.
//!
//! - [`backends`]: every backend, declared once, with its library's `serve`.
//! - [`in_process`]: a backend served in this process on `127.0.0.1:0`, the test settings,
//!   and bodies made comparable across backends.
//! - [`seed`]: servers that behave like the official OpenVidu tutorial servers.
//! - [`official`]: emulations of each official OpenVidu application server, from a table
//!   of their quirks.
//! - [`server_process`]: a backend binary as a child process, its address from its log.
//! - [`binary_checks`]: the checks every binary passes; [`binary_tests!`] makes them tests.
//! - [`exchange`]: one raw HTTP/1.1 exchange and what the connection did after it.
//! - [`exposition`]: a scraped Prometheus exposition read back into numbers.

pub mod backends;
pub mod binary_checks;
pub mod exchange;
pub mod exposition;
pub mod in_process;
pub mod official;
pub mod seed;
pub mod server_process;
