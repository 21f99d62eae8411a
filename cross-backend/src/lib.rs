//! The comparisons across all six backends (not published): each backend served in this
//! process, and the tests that hold them to one another and to the suite (the differential
//! `wire` fuzzer, limits, metrics, production, the browser, deployment), plus the suite's
//! mutant servers. The harness for one binary is `testkit`, which links no backend.
//! Run: `cargo test -p cross-backend`.
//!
//! - [`backends`]: every backend, declared once, with its library's `serve`.
//! - [`in_process`]: a backend served in this process on `127.0.0.1:0`, and the test
//!   settings.
//! - [`seed`]: servers that behave like the official OpenVidu tutorial servers.

pub mod backends;
pub mod in_process;
pub mod seed;
