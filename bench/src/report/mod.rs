//! The comparison's results, and their three renderings: [`markdown`] for people, JSON (the
//! types here, through serde) for tools, [`svg`] to look at.

mod markdown;
mod svg;

use serde::{Deserialize, Serialize};

/// Where and how the numbers were taken.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    /// Host name.
    pub host: String,
    /// CPU model.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// Kernel release.
    pub kernel: String,
    /// UTC date of the run.
    pub date: String,
}

/// The method, stated with the results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Method {
    /// Connections per run.
    pub concurrency: Vec<usize>,
    /// Unmeasured seconds before each run.
    pub warmup_seconds: f64,
    /// Measured seconds per run.
    pub measure_seconds: f64,
    /// Runs per contender and concurrency.
    pub repetitions: usize,
    /// What was done about CPU placement.
    pub pinning: String,
}

/// Whether a contender honoured the contract before it was timed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// The baseline is not a token server.
    Exempt,
    /// Every conformance case passed.
    Passed(usize),
    /// These cases failed: not timed.
    Failed(Vec<String>),
    /// The server could not be started or reached.
    Unavailable(String),
}

/// One contender at one concurrency.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Connections.
    pub concurrency: usize,
    /// Median requests per second over the repetitions.
    pub rps_median: f64,
    /// Slowest repetition.
    pub rps_min: f64,
    /// Fastest repetition.
    pub rps_max: f64,
    /// Latency percentiles in microseconds, over every repetition.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Answers with an unexpected status.
    pub non_2xx: u64,
    /// Transport errors.
    pub errors: u64,
    /// Server CPU time per request, in microseconds (processes we started only).
    pub cpu_us_per_request: Option<f64>,
    /// Ratios to the baseline (the ceiling) at the same concurrency.
    pub vs_baseline: Option<Ratios>,
    /// Ratios to `server-hyper` (the contract without a framework: each framework's tax) at
    /// the same concurrency.
    pub vs_hyper: Option<Ratios>,
}

/// A figure divided by the baseline's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ratios {
    /// Requests per second (higher is better).
    pub rps: f64,
    /// p50 latency (lower is better).
    pub p50: f64,
    /// p90 latency.
    pub p90: f64,
    /// p99 latency.
    pub p99: f64,
    /// p99.9 latency.
    pub p999: f64,
    /// Server CPU per request.
    pub cpu: Option<f64>,
}

/// One contender's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContenderReport {
    /// Name.
    pub name: String,
    /// Conformance gate.
    pub gate: Gate,
    /// Spawn to first 200, in milliseconds.
    pub startup_ms: Option<f64>,
    /// Executable size in bytes.
    pub binary_bytes: Option<u64>,
    /// Peak resident memory in KiB.
    pub peak_rss_kib: Option<u64>,
    /// One row per concurrency.
    pub rows: Vec<Row>,
    /// One row per open-loop rate.
    pub open_loop: Vec<OpenLoopRow>,
    /// The noisy run (token servers only).
    pub noisy: Option<NoisyRow>,
    /// Resident memory per idle keep-alive connection, in KiB (processes we started only).
    pub idle_kib_per_connection: Option<f64>,
    /// What it costs to build (backends built by the full bench only).
    pub build: Option<BuildCost>,
}

impl ContenderReport {
    /// The highest open-loop rate measured that was [sustained](OpenLoopRow::sustained).
    pub fn sustained_rps(&self) -> Option<f64> {
        self.open_loop
            .iter()
            .filter(|row| row.sustained())
            .map(|row| row.asked_rps)
            .reduce(f64::max)
    }

    /// The open-loop row at `fraction` of the ceiling.
    pub fn open_loop_at(&self, fraction: f64) -> Option<&OpenLoopRow> {
        self.open_loop
            .iter()
            .find(|row| (row.fraction - fraction).abs() < 1e-9)
    }
}

/// One constant-rate run, latency measured from each request's intended send time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenLoopRow {
    /// The rate as a fraction of the baseline's best closed-loop req/s.
    pub fraction: f64,
    /// The rate asked for.
    #[serde(rename = "target_rps")]
    pub asked_rps: f64,
    /// The rate answered.
    pub achieved_rps: f64,
    /// Median latency, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// The lowest and highest p99 of the repetitions, µs (the row is the median one's).
    #[serde(default)]
    pub p99_range_us: (u64, u64),
    /// 99.9th percentile, µs.
    pub p999_us: u64,
    /// Worst, µs.
    pub max_us: u64,
    /// The load generator's longest stall in that run, µs: a p99 near it is not the
    /// server's.
    #[serde(default)]
    pub generator_stall_us: u64,
    /// Wrong statuses and transport errors.
    pub unexpected: u64,
}

impl OpenLoopRow {
    /// Whether this rate was held: p99 under 5 ms, every answer right, and answered at (within
    /// 1% of) the rate asked for.
    pub fn sustained(&self) -> bool {
        self.p99_us < 5_000 && self.unexpected == 0 && self.achieved_rps >= 0.99 * self.asked_rps
    }
}

/// The noisy run: 80% valid, 10% invalid, 10% oversized requests.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoisyRow {
    /// Every answer per second.
    pub rps: f64,
    /// Valid requests answered per second.
    pub valid_rps: f64,
    /// Answers that were not the contract's (wrong status) and transport errors.
    pub unexpected: u64,
}

/// What a backend costs to build and carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildCost {
    /// Clean release build of the binary alone, in its own target directory: wall seconds.
    pub clean_wall_s: f64,
    /// The same build's CPU seconds (user + system, every compiler process).
    pub clean_cpu_s: f64,
    /// Rebuild after touching the adapter: wall seconds.
    pub incremental_wall_s: f64,
    /// Crates in its normal dependency graph (itself excluded), from `cargo metadata`.
    pub crates: usize,
    /// The stripped binary, in bytes.
    pub stripped_bytes: u64,
    /// Lines of code of the adapter (`src/`, without blank lines and comments).
    pub adapter_loc: usize,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The machine.
    pub machine: Machine,
    /// The method.
    pub method: Method,
    /// Every contender, the baseline first.
    // Serialized by its old name, as in every committed report.json.
    #[serde(rename = "targets")]
    pub contenders: Vec<ContenderReport>,
}

/// The framework-free backend's name in reports.
pub const HYPER: &str = "hyper";

/// `row`'s figures over `reference`'s at the same concurrency.
fn ratios(row: &Row, reference: &ContenderReport) -> Option<Ratios> {
    let base = reference
        .rows
        .iter()
        .find(|b| b.concurrency == row.concurrency)?;
    Some(Ratios {
        rps: ratio(row.rps_median, base.rps_median),
        p50: ratio(row.p50_us as f64, base.p50_us as f64),
        p90: ratio(row.p90_us as f64, base.p90_us as f64),
        p99: ratio(row.p99_us as f64, base.p99_us as f64),
        p999: ratio(row.p999_us as f64, base.p999_us as f64),
        cpu: row
            .cpu_us_per_request
            .zip(base.cpu_us_per_request)
            .map(|(cpu, base)| ratio(cpu, base)),
    })
}

fn ratio(value: f64, base: f64) -> f64 {
    if base > 0.0 { value / base } else { f64::NAN }
}

impl Report {
    /// Fills every row's ratios to the baseline and to `server-hyper` at the same
    /// concurrency.
    pub fn compute_ratios(&mut self) {
        let baseline = self.baseline().cloned();
        let hyper = self.contenders.iter().find(|t| t.name == HYPER).cloned();
        for contender in &mut self.contenders {
            for row in &mut contender.rows {
                row.vs_baseline = baseline.as_ref().and_then(|base| ratios(row, base));
                row.vs_hyper = hyper.as_ref().and_then(|base| ratios(row, base));
            }
        }
    }

    fn baseline(&self) -> Option<&ContenderReport> {
        self.contenders.iter().find(|t| t.gate == Gate::Exempt)
    }
}

fn times(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{v:.2}×"))
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contender(name: &str, gate: Gate, rps: f64, cpu: f64) -> ContenderReport {
        ContenderReport {
            name: name.to_owned(),
            gate,
            startup_ms: None,
            binary_bytes: None,
            peak_rss_kib: None,
            rows: vec![Row {
                concurrency: 64,
                rps_median: rps,
                rps_min: rps,
                rps_max: rps,
                p50_us: 100,
                p90_us: 200,
                p99_us: 400,
                p999_us: 800,
                non_2xx: 0,
                errors: 0,
                cpu_us_per_request: Some(cpu),
                vs_baseline: None,
                vs_hyper: None,
            }],
            open_loop: Vec::new(),
            noisy: None,
            idle_kib_per_connection: None,
            build: None,
        }
    }

    #[test]
    fn a_rate_is_sustained_only_if_answered_in_full_fast_and_right() {
        let held = OpenLoopRow {
            fraction: 0.5,
            asked_rps: 1000.0,
            achieved_rps: 995.0,
            p50_us: 100,
            p99_us: 4_999,
            p99_range_us: (4_000, 6_000),
            p999_us: 9_000,
            max_us: 20_000,
            generator_stall_us: 50,
            unexpected: 0,
        };
        assert!(held.sustained());
        let slow = OpenLoopRow {
            p99_us: 5_000,
            ..held.clone()
        };
        let behind = OpenLoopRow {
            achieved_rps: 980.0,
            ..held.clone()
        };
        let wrong = OpenLoopRow {
            unexpected: 1,
            ..held.clone()
        };
        for row in [slow, behind, wrong] {
            assert!(!row.sustained(), "{row:?}");
        }
    }

    #[test]
    fn committed_results_load_and_serialize_as_they_were() {
        let committed = include_str!("../../results/2026-11-28-vm/report.json");
        let report: Report = serde_json::from_str(committed).expect("a committed report loads");
        let original: serde_json::Value = serde_json::from_str(committed).expect("JSON");
        assert_eq!(serde_json::to_value(&report).expect("JSON"), original);
    }

    #[test]
    fn ratios_are_to_the_baseline_and_to_hyper() {
        let mut report = Report {
            machine: crate::machine(),
            method: Method {
                concurrency: vec![64],
                warmup_seconds: 0.0,
                measure_seconds: 0.0,
                repetitions: 1,
                pinning: String::new(),
            },
            contenders: vec![
                contender("baseline", Gate::Exempt, 100.0, 5.0),
                contender(HYPER, Gate::Passed(1), 80.0, 8.0),
                contender("axum", Gate::Passed(1), 60.0, 10.0),
            ],
        };
        report.compute_ratios();
        let axum = &report.contenders[2].rows[0];
        let to_base = axum.vs_baseline.as_ref().expect("ratios to the baseline");
        let to_hyper = axum.vs_hyper.as_ref().expect("ratios to hyper");
        assert!((to_base.rps - 0.6).abs() < 1e-9 && (to_hyper.rps - 0.75).abs() < 1e-9);
        assert_eq!(to_hyper.cpu, Some(1.25));
        assert!(report.markdown().contains("× hyper"));
    }
}
