//! The token server's HTTP contract as data, and a runner that checks any server against it,
//! by URL: `conformance --url http://127.0.0.1:6080`.
//!
//! - [`case`]: what a case is: an ID, a requirement, and a request with its expectations
//!   (or a named scenario where one request is not enough).
//! - [`cases`]: the contract itself, [`cases::CASES`], by area; `conformance --list` prints it.
//! - [`judge`]: judging a response; tokens go through LiveKit's own verifier first.
//! - [`scenario`]: multi-request checks over raw connections (keep-alive, stalled clients).
//! - [`wire`]: the one raw HTTP/1.1 response reader, for requests no client library sends.
//! - [`signing`]: LiveKit webhook signatures, made by the suite or by LiveKit's SDK, valid
//!   or with one deliberate flaw.
//! - [`profile`]: which contract a run judges (`full`, `openvidu-basic`, `openvidu-v3`,
//!   `livekit-endpoint`).
//! - [`production`]: the `production` profile's cases: who a server in production mode
//!   admits, judged with the suite's own identity provider.
//! - [`runner`]: sends the cases with `reqwest` and collects every outcome.
//! - [`replicas`]: with several `--url`, whether a deployment's rate limit holds across
//!   its replicas.
//! - [`report`]: PASS/FAIL/SKIP lines, the summary line, JUnit XML, JSON, baselines.
//! - [`explain`]: one case fully shown (`conformance explain ID`), with its source.
//! - [`aliases`]: renamed case IDs, whose old IDs work for one more version.
//! - [`exchange_log`]: `--show-exchange`, each exchange's bytes as the client wrote and
//!   read them.
//! - [`matrix`]: several JSON reports side by side, as an HTML page and badges.
//! - [`listing`]: the contract as `--list` prints it (and CONTRACT.md holds it).
//! - [`server_under_test`]: the server under test and the settings it should have.
//! - [`browser`]: CORS in a real browser (headless Chromium from another origin; the
//!   checks need the `browser` feature).
//! - [`spawn`]: `--spawn`, starting any server under test and stopping it afterwards, on
//!   the one child-process [`supervisor`].
//! - [`identity_provider`]: the identity provider the suite plays for production mode: a
//!   JWKS on loopback, and callers' tokens valid or forged.
//! - `local_server`: the suite's own loopback HTTP servers (the JWKS, the browser
//!   check's page), on hyper, with a timeout on the request head.
//! - `clock`: the suite's one clock, dating every token it signs, forges or judges.
//! - [`suite`]: the suite's name and version, as reports state them.
//! - [`catalogue`]: every case of every profile, and the case-set digest reports state.
//! - [`error`]: what stops a run, typed.
//! - [`command`]: what the `conformance` command does (the binary only parses arguments).
//!
//! The runner only speaks HTTP: it never links a backend, so it judges servers written in
//! any language. This repository's own tests of its backends are in separate crates:
//! `testkit` (one binary's checks) and `cross-backend` (the six compared, the fuzzer).

pub mod aliases;
pub mod browser;
pub mod case;
pub mod cases;
pub mod catalogue;
mod clock;
pub mod command;
pub mod error;
pub mod exchange_log;
pub mod explain;
pub mod harm;
pub mod identity_provider;
pub mod judge;
pub mod listing;
mod local_server;
pub mod matrix;
pub mod production;
pub mod profile;
pub mod replicas;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod server_under_test;
pub mod signing;
pub mod spawn;
pub mod suite;
pub mod supervisor;
pub mod wire;

pub use error::Error;
pub use report::{Outcome, Report, Verdict};
pub use runner::{Selection, run};
pub use server_under_test::{ResponseFormat, ServerUnderTest};
