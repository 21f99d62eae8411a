//! Running the `conformance` command line as a CI job would, against servers the harness
//! starts.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::process::Output;

use cross_backend::in_process::{API_KEY, API_SECRET, TTL_SECONDS};

/// The validator of `conformance/report.schema.json`, the JSON report's schema.
pub fn report_schema() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../report.schema.json")).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid schema")
}

/// Why `report` does not meet the JSON report's schema (nothing when it does).
pub fn schema_errors(report: &serde_json::Value) -> Vec<String> {
    report_schema()
        .iter_errors(report)
        .map(|error| error.to_string())
        .collect()
}

/// Runs the `conformance` command line with `args` and collects its output.
pub async fn conformance(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
            .args(args)
            .output()
            .expect("run conformance")
    })
    .await
    .expect("join")
}

/// The arguments that point the suite at `url` with the harness's credentials and TTL,
/// then `extra`.
pub fn against(url: &str, extra: &[&str]) -> Vec<String> {
    let ttl = TTL_SECONDS.to_string();
    [
        "--url",
        url,
        "--api-key",
        API_KEY,
        "--api-secret",
        API_SECRET,
        "--ttl",
        &ttl,
    ]
    .iter()
    .chain(extra)
    .map(|arg| (*arg).to_owned())
    .collect()
}

/// `--env` arguments telling a spawned production server to trust the suite's identity
/// provider, by the suite's placeholders (this repository's setting names, which the Node
/// fixture reads too).
pub const TRUST_THE_SUITE: [&str; 8] = [
    "--env",
    "CALLER_JWKS_URL={jwks_url}",
    "--env",
    "CALLER_ISSUER={issuer}",
    "--env",
    "CALLER_AUDIENCE={audience}",
    "--env",
    "CORS_ALLOWED_ORIGINS={origin}",
];

/// Owned arguments.
pub fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// What the command printed on standard output.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
