//! What the operations features cost (`bench --cost`): each backend's CPU time per request
//! and req/s with rate limits and metrics each off and on, measured in one run, side by side.
//!
//! The limits are on at a quota the load never reaches (a million requests a second per
//! client), so every request pays for its check and none is refused; the metrics port is
//! open but not scraped, so every request pays for its recording.

use std::fmt::Write as _;

use serde::Serialize;

use crate::Config;
use crate::compare::closed_loop;
use crate::server;

/// The configurations, as flags over the bench's defaults (`RATE_LIMITS=off`, no metrics).
pub const CONFIGURATIONS: [(&str, &[&str]); 4] = [
    ("plain", &[]),
    ("limits", &LIMITS),
    ("metrics", &METRICS),
    ("both", &BOTH),
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
    /// `plain`, `limits`, `metrics` or `both`.
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
        for (configuration, flags) in CONFIGURATIONS {
            progress(&format!("{name} ({configuration}): starting"));
            let executable = match server::binary_dir() {
                Ok(dir) => dir.join(backend),
                Err(err) => {
                    eprintln!("bench: {err}");
                    return rows;
                }
            };
            let running = match server::start_process(&executable, flags).await {
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
