//! What the operations features cost (`bench --cost`): each backend's CPU time per request
//! and req/s with rate limits and metrics each off and on, and in production mode with a
//! caller's token of each algorithm, measured in one run, side by side.
//!
//! The limits are on at a quota the load never reaches (a million requests a second per
//! client), so every request pays for its check and none is refused; the metrics port is
//! open but not scraped, so every request pays for its recording. In production mode every
//! request carries a caller token signed with the conformance suite's test key of one
//! algorithm (ES256, RS256, EdDSA), verified against its JWKS file, and is minted a token for
//! the caller: the price of authentication, as the framework chooser pays it.

use std::fmt::Write as _;
use std::sync::Arc;

use conformance::identity_provider::{
    CALLER, CallerKey, DEFAULT_AUDIENCE, DEFAULT_ISSUER, caller_token,
};
use serde::Serialize;
use serde_json::json;

use crate::Config;
use crate::compare::closed_loop;
use crate::load::Authorization;
use crate::server;

/// One configuration: its name, flags over the bench's defaults (`RATE_LIMITS=off`, no
/// metrics, tutorial mode), and the key that signs its callers' tokens in production mode.
#[derive(Debug, Clone, Copy)]
pub struct Configuration {
    /// Its name in the table.
    pub name: &'static str,
    /// The server's flags.
    pub flags: &'static [&'static str],
    /// Production mode: the key of every request's caller token.
    pub caller: Option<CallerKey>,
}

const fn tutorial(name: &'static str, flags: &'static [&'static str]) -> Configuration {
    Configuration {
        name,
        flags,
        caller: None,
    }
}

const fn production(name: &'static str, key: CallerKey) -> Configuration {
    Configuration {
        name,
        flags: &PRODUCTION,
        caller: Some(key),
    }
}

/// Every configuration measured.
pub const CONFIGURATIONS: [Configuration; 7] = [
    tutorial("plain", &[]),
    tutorial("limits", &LIMITS),
    tutorial("metrics", &METRICS),
    tutorial("both", &BOTH),
    production("production-es256", CallerKey::P256),
    production("production-rs256", CallerKey::Rsa),
    production("production-eddsa", CallerKey::Ed25519),
];
const PRODUCTION: [&str; 15] = [
    "--mode",
    "production",
    "--caller-issuer",
    DEFAULT_ISSUER,
    "--caller-audience",
    DEFAULT_AUDIENCE,
    "--caller-jwks-file",
    test_keys::JWKS_PATH,
    "--cors-allowed-origins",
    "https://bench.invalid",
    "--token-policy-file",
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/production/any-room.toml"
    ),
    // The suite's keys are published: only a local trial may trust them.
    "--try-production-locally",
    // The tutorial's lifetime, so both modes mint the same token.
    "--token-ttl-seconds",
    "21600",
];
const LIMITS: [&str; 4] = ["--rate-limits", "on", "--token-rate-limit", "1000000/s"];
const METRICS: [&str; 2] = ["--metrics-port", "0"];
const BOTH: [&str; 6] = [
    "--rate-limits",
    "on",
    "--token-rate-limit",
    "1000000/s",
    "--metrics-port",
    "0",
];

/// One backend in one configuration.
#[derive(Debug, Clone, Serialize)]
pub struct CostRow {
    /// The backend's short name.
    pub backend: String,
    /// The configuration's name (`plain`, `limits`, ..., `production-eddsa`).
    pub configuration: &'static str,
    /// Median req/s over the repetitions.
    pub rps: f64,
    /// The server's CPU time per request, in µs.
    pub cpu_us_per_request: Option<f64>,
    /// Answers other than 200 (a 429 would mean the quota was reached) and failed requests.
    pub unexpected: u64,
}

/// Measures every backend in every configuration on `config.fixed_connections`
/// connections; a backend that does not start is reported and skipped.
pub async fn cost(config: &Config, backends: &[&str], progress: &dyn Fn(&str)) -> Vec<CostRow> {
    let mut rows = Vec::new();
    for backend in backends {
        let name = backend.trim_start_matches("server-");
        for Configuration {
            name: configuration,
            flags,
            caller,
        } in CONFIGURATIONS
        {
            progress(&format!("{name} ({configuration}): starting"));
            // Valid for five minutes: longer than one configuration's runs.
            let authorization: Authorization = caller.map(|key| {
                let token = caller_token(DEFAULT_ISSUER, DEFAULT_AUDIENCE, key, CALLER, &json!({}));
                Arc::from(format!("Bearer {token}"))
            });
            let executable = match server::binary_dir() {
                Ok(dir) => dir.join(backend),
                Err(err) => {
                    eprintln!("bench: {err}");
                    return rows;
                }
            };
            let running =
                match server::start_process(&executable, flags, authorization.as_deref()).await {
                    Ok(running) => running,
                    Err(err) => {
                        eprintln!("bench: {name} ({configuration}): {err}");
                        continue;
                    }
                };
            let pid = running.process.as_ref().map(|process| process.pid());
            let label = format!("{name} ({configuration})");
            let row = closed_loop(
                config,
                &label,
                running.address,
                pid,
                config.fixed_connections,
                authorization,
                progress,
            )
            .await;
            rows.push(CostRow {
                backend: name.to_owned(),
                configuration,
                rps: row.rps_median,
                cpu_us_per_request: row.cpu_us_per_request,
                unexpected: row.non_2xx + row.errors,
            });
        }
    }
    rows
}

/// The rows as a Markdown table: per backend, each configuration's CPU per request and
/// req/s, with its ratio to `plain`.
pub fn cost_markdown(rows: &[CostRow]) -> String {
    let mut table = String::from(
        "| backend | configuration | CPU µs/request | × plain | req/s | × plain | unexpected |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let plain = rows
            .iter()
            .find(|other| other.backend == row.backend && other.configuration == "plain");
        let ratio = |value: Option<f64>, base: Option<f64>| match (value, base) {
            (Some(value), Some(base)) if base > 0.0 => format!("{:.2}", value / base),
            _ => "–".to_owned(),
        };
        let cpu = row
            .cpu_us_per_request
            .map_or("–".to_owned(), |cpu| format!("{cpu:.1}"));
        let _ = writeln!(
            table,
            "| {} | {} | {cpu} | {} | {:.0} | {} | {} |",
            row.backend,
            row.configuration,
            ratio(
                row.cpu_us_per_request,
                plain.and_then(|p| p.cpu_us_per_request)
            ),
            row.rps,
            ratio(Some(row.rps), plain.map(|p| p.rps)),
            row.unexpected,
        );
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_to_the_same_backends_plain_run() {
        let row = |backend: &str, configuration, rps, cpu| CostRow {
            backend: backend.to_owned(),
            configuration,
            rps,
            cpu_us_per_request: Some(cpu),
            unexpected: 0,
        };
        let rows = [
            row("axum", "plain", 1000.0, 10.0),
            row("axum", "limits", 900.0, 11.0),
            row("warp", "plain", 2000.0, 20.0),
            row("warp", "metrics", 2000.0, 30.0),
        ];
        let table = cost_markdown(&rows);
        assert!(
            table.contains("| axum | limits | 11.0 | 1.10 | 900 | 0.90 | 0 |"),
            "{table}"
        );
        assert!(
            table.contains("| warp | metrics | 30.0 | 1.50 | 2000 | 1.00 | 0 |"),
            "{table}"
        );
    }
}
