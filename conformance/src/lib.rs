//! The token server's HTTP contract as data, and a runner that checks any server against it.
//!
//! - [`backends`]: every backend of this repository, declared once.
//! - [`case`]: what a case is: an ID, a requirement, and a request with its expectations
//!   (or a named scenario where one request is not enough).
//! - [`cases`]: the contract itself, [`cases::CASES`]; `conformance --list` prints it.
//! - [`judge`]: judging a response; tokens go through LiveKit's own verifier first.
//! - [`scenario`]: multi-request checks over raw connections (keep-alive, stalled clients).
//! - [`signing`]: LiveKit webhook signatures, made by the suite or by LiveKit's SDK, valid
//!   or with one deliberate flaw.
//! - [`profile`]: which contract a run judges (`full`, `openvidu-basic`, `openvidu-v3`,
//!   `livekit-endpoint`).
//! - [`runner`]: sends the cases with `reqwest` and collects every outcome.
//! - [`report`]: PASS/FAIL/SKIP lines, the summary line, JUnit XML.
//! - [`target`]: the server under test and the settings it should have.
//! - [`browser`]: CORS in a real browser: headless Chromium fetches from another origin.
//! - [`wire`]: raw HTTP/1.1 exchanges over TCP, for requests no client library sends; the
//!   differential fuzzer (`tests/wire.rs`) compares backends through it.
//! - [`spawn`]: `--spawn`, starting any server under test and stopping it afterwards.
//! - [`process`] and [`binary_checks`]: running a backend binary as a process and checking
//!   it end to end; each backend's tests call [`binary_tests!`].
//!
//! The runner only speaks HTTP: it never links a backend, so it judges servers written in
//! any language.

pub mod backends;
pub mod binary_checks;
pub mod browser;
pub mod case;
pub mod cases;
pub mod judge;
pub mod process;
pub mod profile;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod signing;
pub mod spawn;
pub mod target;
pub mod wire;

pub use report::{Outcome, Report, Verdict};
pub use runner::{Selection, Unreachable, run};
pub use target::{ResponseFormat, Target};
