//! This repository's own test harness for one token-server binary (not published): what the
//! tests of each backend, the cross-backend comparisons and the bench share. It links no
//! backend, so `cargo test -p server-axum` builds only axum's. The product, the `conformance`
//! suite, judges any server by URL and knows none of this.
//! Run: `cargo test -p testkit`.
//!
//! - [`server_process`]: a backend binary as a child process, its address from its log.
//! - [`binary_checks`]: the checks every binary passes; [`binary_tests!`] makes them tests.
//! - [`exchange`]: one raw HTTP/1.1 exchange and what the connection did after it.
//! - [`comparable`]: response bodies made comparable across servers.
//! - [`exposition`]: a scraped Prometheus exposition read back into numbers.
//! - [`redis_server`]: a real `redis-server` on a free port, for the shared limits.

pub mod binary_checks;
pub mod comparable;
pub mod exchange;
pub mod exposition;
pub mod missing_tool;
pub mod redis_server;
pub mod server_process;
