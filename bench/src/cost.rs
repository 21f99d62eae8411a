//! What the operations features cost (`bench --cost`): each backend's CPU time per request,
//! req/s and p99 with rate limits and metrics each off and on, the limits kept in memory or in
//! a shared Redis, and in production mode with a caller's token of each algorithm, measured
//! in one run, side by side; and, as the floor of production mode, one signature check of each
//! algorithm in this process.
//!
//! The limits are on at a quota the load never reaches (a million requests a second per
//! client), so every request pays for its check and none is refused; the metrics port is
//! open but not scraped, so every request pays for its recording. The floods set a quota of
//! one an hour, so every request but the first is refused: with Redis, with the local shield
//! on and off, what a flood from one address costs. The Redis is a `redis-server` the bench
//! starts on a free port (its rows are skipped without one). In production mode every request
//! carries a caller token signed with the conformance suite's test key of one algorithm
//! (ES256, RS256, EdDSA), verified against its JWKS file, and is minted a token for the
//! caller: the price of authentication, as the framework chooser pays it.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use conformance::identity_provider::{
    CALLER, CallerKey, DEFAULT_AUDIENCE, DEFAULT_ISSUER, caller_token,
};
use serde::Serialize;
use serde_json::json;

use crate::Config;
use crate::compare::closed_loop;
use crate::load::Authorization;
use crate::server;
use testkit::redis_server::RedisServer;

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
    /// The limits are kept in the bench's Redis.
    pub redis: bool,
    /// Every request but the first is over its quota: 429 is the expected answer.
    pub flood: bool,
    /// The configuration its ratios are to, on the same backend.
    pub compared_to: &'static str,
}

const fn tutorial(name: &'static str, flags: &'static [&'static str]) -> Configuration {
    Configuration {
        name,
        flags,
        caller: None,
        redis: false,
        flood: false,
        compared_to: "plain",
    }
}

const fn in_redis(name: &'static str, memory: Configuration) -> Configuration {
    Configuration {
        name,
        redis: true,
        compared_to: memory.name,
        ..memory
    }
}

const fn production(name: &'static str, key: CallerKey) -> Configuration {
    Configuration {
        caller: Some(key),
        ..tutorial(name, &PRODUCTION)
    }
}

const LIMITS_IN_MEMORY: Configuration = tutorial("limits", &LIMITS);
const FLOOD_IN_MEMORY: Configuration = Configuration {
    flood: true,
    ..tutorial("flood", &FLOOD)
};

/// Every configuration measured.
pub const CONFIGURATIONS: [Configuration; 11] = [
    tutorial("plain", &[]),
    LIMITS_IN_MEMORY,
    in_redis("limits-redis", LIMITS_IN_MEMORY),
    tutorial("metrics", &METRICS),
    tutorial("both", &BOTH),
    FLOOD_IN_MEMORY,
    in_redis("flood-redis", FLOOD_IN_MEMORY),
    Configuration {
        flags: &FLOOD_WITHOUT_SHIELD,
        ..in_redis("flood-redis-no-shield", FLOOD_IN_MEMORY)
    },
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
const FLOOD: [&str; 4] = ["--rate-limits", "on", "--token-rate-limit", "1/h"];
const FLOOD_WITHOUT_SHIELD: [&str; 6] = [
    "--rate-limits",
    "on",
    "--token-rate-limit",
    "1/h",
    "--rate-limit-shield",
    "off",
];
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
    /// The 99th percentile of latency over the repetitions, in µs.
    pub p99_us: u64,
    /// Failed requests, and answers other than 200 (a 429 would mean the quota was reached)
    /// but in a flood.
    pub unexpected: u64,
}

/// Measures every backend in every configuration on `config.fixed_connections`
/// connections; a backend that does not start is reported and skipped.
pub async fn cost(config: &Config, backends: &[&str], progress: &dyn Fn(&str)) -> Vec<CostRow> {
    let mut rows = Vec::new();
    let redis = RedisServer::start_or_skip("bench --cost's Redis rows");
    for backend in backends {
        let name = backend.trim_start_matches("server-");
        for Configuration {
            name: configuration,
            flags,
            caller,
            redis: in_redis,
            flood,
            ..
        } in CONFIGURATIONS
        {
            let mut flags = flags.to_vec();
            let url = redis.as_ref().map(RedisServer::url);
            if in_redis {
                let Some(url) = &url else {
                    continue;
                };
                flags.extend(["--rate-limit-store", "redis", "--redis-url", url]);
            }
            if let Some(redis) = &redis {
                // Every configuration starts from an empty store.
                redis.cli(&["FLUSHALL"]);
            }
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
                match server::start_process(&executable, &flags, authorization.as_deref()).await {
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
                p99_us: row.p99_us,
                unexpected: row.errors + if flood { 0 } else { row.non_2xx },
            });
        }
    }
    rows
}

/// The rows as a Markdown table: per backend, each configuration's CPU per request, req/s
/// and p99, with their ratios to the configuration it is compared to (`plain`, or the same
/// limits in memory for the Redis rows).
pub fn cost_markdown(rows: &[CostRow]) -> String {
    let mut table = String::from(
        "| backend | configuration | compared to | CPU µs/request | × | req/s | × | p99 µs | × | unexpected |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let compared_to = CONFIGURATIONS
            .iter()
            .find(|configuration| configuration.name == row.configuration)
            .map_or("plain", |configuration| configuration.compared_to);
        let reference = rows
            .iter()
            .find(|other| other.backend == row.backend && other.configuration == compared_to);
        let ratio = |value: Option<f64>, base: Option<f64>| match (value, base) {
            (Some(value), Some(base)) if base > 0.0 => format!("{:.2}", value / base),
            _ => "–".to_owned(),
        };
        let cpu = row
            .cpu_us_per_request
            .map_or("–".to_owned(), |cpu| format!("{cpu:.1}"));
        let _ = writeln!(
            table,
            "| {} | {} | {compared_to} | {cpu} | {} | {:.0} | {} | {} | {} | {} |",
            row.backend,
            row.configuration,
            ratio(
                row.cpu_us_per_request,
                reference.and_then(|r| r.cpu_us_per_request)
            ),
            row.rps,
            ratio(Some(row.rps), reference.map(|r| r.rps)),
            row.p99_us,
            ratio(Some(row.p99_us as f64), reference.map(|r| r.p99_us as f64)),
            row.unexpected,
        );
    }
    table
}

/// One signature check of a caller token, in this process: `jsonwebtoken`'s verification
/// alone, the floor of what production mode can cost a request.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureCheck {
    /// The algorithm.
    pub algorithm: &'static str,
    /// µs per verification, the median of three runs.
    pub us_per_check: f64,
}

/// Times `jsonwebtoken`'s verification of a caller token of each algorithm the cost run
/// uses, on one thread, against the suite's published key.
pub fn signature_checks(repetitions: usize) -> Vec<SignatureCheck> {
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
    let Ok(keys) = serde_json::from_str::<JwkSet>(test_keys::JWKS) else {
        return Vec::new();
    };
    let mut checks = Vec::new();
    for (algorithm, key) in [
        ("ES256", CallerKey::P256),
        ("RS256", CallerKey::Rsa),
        ("EdDSA", CallerKey::Ed25519),
    ] {
        let token = caller_token(DEFAULT_ISSUER, DEFAULT_AUDIENCE, key, CALLER, &json!({}));
        let Ok(header) = decode_header(&token) else {
            continue;
        };
        let Some(jwk) = header.kid.as_deref().and_then(|kid| keys.find(kid)) else {
            continue;
        };
        let Ok(decoding) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[DEFAULT_ISSUER]);
        validation.set_audience(&[DEFAULT_AUDIENCE]);
        let verify = || decode::<serde_json::Value>(&token, &decoding, &validation).is_ok();
        if !verify() {
            continue;
        }
        const CHECKS: u32 = 2_000;
        let mut runs: Vec<f64> = (0..repetitions.max(1))
            .map(|_| {
                let started = Instant::now();
                for _ in 0..CHECKS {
                    std::hint::black_box(verify());
                }
                started.elapsed().as_secs_f64() * 1e6 / f64::from(CHECKS)
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        checks.push(SignatureCheck {
            algorithm,
            us_per_check: runs[runs.len() / 2],
        });
    }
    checks
}

/// The signature checks as a Markdown table.
pub fn signature_markdown(checks: &[SignatureCheck]) -> String {
    let mut table = String::from(
        "| algorithm | µs per signature check (jsonwebtoken, in-process, one thread) |\n|---|---|\n",
    );
    for check in checks {
        let _ = writeln!(table, "| {} | {:.1} |", check.algorithm, check.us_per_check);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_to_the_configuration_compared_to_on_the_same_backend() {
        let row = |backend: &str, configuration, rps, cpu, p99_us| CostRow {
            backend: backend.to_owned(),
            configuration,
            rps,
            cpu_us_per_request: Some(cpu),
            p99_us,
            unexpected: 0,
        };
        let rows = [
            row("axum", "plain", 1000.0, 10.0, 100),
            row("axum", "limits", 900.0, 11.0, 110),
            row("axum", "limits-redis", 450.0, 22.0, 330),
            row("warp", "plain", 2000.0, 20.0, 100),
            row("warp", "metrics", 2000.0, 30.0, 150),
        ];
        let table = cost_markdown(&rows);
        for line in [
            "| axum | limits | plain | 11.0 | 1.10 | 900 | 0.90 | 110 | 1.10 | 0 |",
            "| axum | limits-redis | limits | 22.0 | 2.00 | 450 | 0.50 | 330 | 3.00 | 0 |",
            "| warp | metrics | plain | 30.0 | 1.50 | 2000 | 1.00 | 150 | 1.50 | 0 |",
        ] {
            assert!(table.contains(line), "{line} in\n{table}");
        }
    }
}
