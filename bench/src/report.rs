//! The comparison's results: Markdown for people, JSON for tools, an SVG chart to look at.

use std::fmt::Write as _;

use serde::Serialize;

/// Where and how the numbers were taken.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// Connections per run.
    pub concurrency: Vec<usize>,
    /// Unmeasured seconds before each run.
    pub warmup_seconds: f64,
    /// Measured seconds per run.
    pub measure_seconds: f64,
    /// Runs per target and concurrency.
    pub repetitions: usize,
    /// What was done about CPU placement.
    pub pinning: String,
}

/// Whether a target honoured the contract before it was timed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
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

/// One target at one concurrency.
#[derive(Debug, Clone, Serialize)]
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
    /// Ratios to the baseline at the same concurrency.
    pub vs_baseline: Option<Ratios>,
}

/// A figure divided by the baseline's.
#[derive(Debug, Clone, Serialize)]
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

/// One target's results.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
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
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The machine.
    pub machine: Machine,
    /// The method.
    pub method: Method,
    /// Every target, the baseline first.
    pub targets: Vec<TargetReport>,
}

fn ratio(value: f64, base: f64) -> f64 {
    if base > 0.0 { value / base } else { f64::NAN }
}

impl Report {
    /// Fills every row's ratios to the baseline at the same concurrency.
    pub fn compute_ratios(&mut self) {
        let Some(baseline) = self
            .targets
            .iter()
            .find(|t| t.gate == Gate::Exempt)
            .cloned()
        else {
            return;
        };
        for target in &mut self.targets {
            for row in &mut target.rows {
                let Some(base) = baseline
                    .rows
                    .iter()
                    .find(|b| b.concurrency == row.concurrency)
                else {
                    continue;
                };
                row.vs_baseline = Some(Ratios {
                    rps: ratio(row.rps_median, base.rps_median),
                    p50: ratio(row.p50_us as f64, base.p50_us as f64),
                    p90: ratio(row.p90_us as f64, base.p90_us as f64),
                    p99: ratio(row.p99_us as f64, base.p99_us as f64),
                    p999: ratio(row.p999_us as f64, base.p999_us as f64),
                    cpu: row
                        .cpu_us_per_request
                        .zip(base.cpu_us_per_request)
                        .map(|(cpu, base)| ratio(cpu, base)),
                });
            }
        }
    }

    fn baseline(&self) -> Option<&TargetReport> {
        self.targets.iter().find(|t| t.gate == Gate::Exempt)
    }

    /// The report as Markdown: the machine and method, then two tables.
    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let mut out = String::new();
        let _ = writeln!(out, "# Framework comparison, {} on {}\n", m.date, m.host);
        let _ = writeln!(
            out,
            "Machine: {} logical CPUs, {}, Linux {}. Method: closed-loop HTTP/1.1 keep-alive \
             load from `bench` (hyper), valid `POST /token` requests with distinct participant \
             names; {} s warm-up then {} s measured, {} repetitions per point; req/s is the \
             median (min–max), latency percentiles are over all repetitions. {}\n",
            m.cpus,
            m.cpu,
            m.kernel,
            self.method.warmup_seconds,
            self.method.measure_seconds,
            self.method.repetitions,
            self.method.pinning
        );
        out.push_str(
            "| target | conns | req/s (min–max) | × baseline | p50 µs | p90 µs | p99 µs | p99.9 µs \
             | p99 × baseline | non-2xx | errors | server CPU µs/req | × baseline |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for target in &self.targets {
            for row in &target.rows {
                let vs = row.vs_baseline.as_ref();
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.0} ({:.0}–{:.0}) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    target.name,
                    row.concurrency,
                    row.rps_median,
                    row.rps_min,
                    row.rps_max,
                    times(vs.map(|v| v.rps)),
                    row.p50_us,
                    row.p90_us,
                    row.p99_us,
                    row.p999_us,
                    times(vs.map(|v| v.p99)),
                    row.non_2xx,
                    row.errors,
                    row.cpu_us_per_request
                        .map_or("–".into(), |c| format!("{c:.1}")),
                    times(vs.and_then(|v| v.cpu)),
                );
            }
        }
        out.push_str(
            "\n| target | conformance | start-up ms | × baseline | binary MiB | × baseline \
             | peak RSS MiB | × baseline |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
        );
        let base = self.baseline();
        for target in &self.targets {
            let gate = match &target.gate {
                Gate::Exempt => "exempt (baseline)".to_owned(),
                Gate::Passed(cases) => format!("{cases} cases passed"),
                Gate::Failed(ids) => format!("FAILED, not timed: {}", ids.join(", ")),
                Gate::Unavailable(why) => format!("unavailable: {why}"),
            };
            let mib = |bytes: Option<u64>| bytes.map(|b| b as f64 / (1024.0 * 1024.0));
            let startup = target.startup_ms;
            let binary = mib(target.binary_bytes);
            let rss = target.peak_rss_kib.map(|k| k as f64 / 1024.0);
            let _ = writeln!(
                out,
                "| {} | {gate} | {} | {} | {} | {} | {} | {} |",
                target.name,
                number(startup, 1),
                times(
                    startup
                        .zip(base.and_then(|b| b.startup_ms))
                        .map(|(v, b)| ratio(v, b))
                ),
                number(binary, 2),
                times(
                    binary
                        .zip(base.and_then(|b| mib(b.binary_bytes)))
                        .map(|(v, b)| ratio(v, b))
                ),
                number(rss, 1),
                times(
                    rss.zip(base.and_then(|b| b.peak_rss_kib.map(|k| k as f64 / 1024.0)))
                        .map(|(v, b)| ratio(v, b))
                ),
            );
        }
        out
    }

    /// Two bar charts side by side: req/s and p99 latency, per target and concurrency.
    ///
    /// Written by hand: a plotting crate needs a font backend (system fonts or a bundled
    /// font) just to lay out the labels, which a few rectangles and `<text>` do not.
    pub fn svg(&self) -> String {
        const COLORS: [&str; 6] = [
            "#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        ];
        let timed: Vec<&TargetReport> =
            self.targets.iter().filter(|t| !t.rows.is_empty()).collect();
        let levels = &self.method.concurrency;
        let (panel_width, height, top, bottom, left) = (460.0, 300.0, 40.0, 50.0, 60.0);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" \
             font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
            2.0 * panel_width + 40.0,
            height + 30.0
        );
        let panels: [(&str, Figure); 2] = [
            ("requests per second (higher is better)", |row| {
                row.rps_median
            }),
            ("p99 latency, µs (lower is better)", |row| {
                row.p99_us as f64
            }),
        ];
        for (index, (title, value)) in panels.into_iter().enumerate() {
            let x0 = index as f64 * (panel_width + 20.0) + left;
            let plot_width = panel_width - left - 10.0;
            let plot_height = height - top - bottom;
            let max = timed
                .iter()
                .flat_map(|t| t.rows.iter().map(value))
                .fold(0.0_f64, f64::max)
                .max(1.0);
            let _ = writeln!(
                svg,
                "<text x=\"{x0}\" y=\"20\" font-size=\"13\">{title}</text>"
            );
            for step in 0..=4 {
                let v = max * f64::from(step) / 4.0;
                let y = top + plot_height * (1.0 - f64::from(step) / 4.0);
                let _ = writeln!(
                    svg,
                    "<line x1=\"{x0}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
                     <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.0}</text>",
                    x0 + plot_width,
                    x0 - 4.0,
                    y + 4.0
                );
            }
            let group = plot_width / levels.len().max(1) as f64;
            let bar = group * 0.8 / timed.len().max(1) as f64;
            for (level_index, level) in levels.iter().enumerate() {
                let gx = x0 + group * level_index as f64 + group * 0.1;
                for (target_index, target) in timed.iter().enumerate() {
                    let Some(row) = target.rows.iter().find(|r| r.concurrency == *level) else {
                        continue;
                    };
                    let h = plot_height * value(row) / max;
                    let _ = writeln!(
                        svg,
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} c={level}: {:.0}</title></rect>",
                        gx + bar * target_index as f64,
                        top + plot_height - h,
                        bar * 0.95,
                        COLORS[target_index % COLORS.len()],
                        target.name,
                        value(row)
                    );
                }
                let _ = writeln!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">c={level}</text>",
                    gx + group * 0.4,
                    top + plot_height + 16.0
                );
            }
        }
        for (index, target) in timed.iter().enumerate() {
            let x = left + 110.0 * index as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
                 <text x=\"{}\" y=\"{}\">{}</text>",
                height + 2.0,
                COLORS[index % COLORS.len()],
                x + 16.0,
                height + 12.0,
                target.name
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// Reads one figure of a row, for a chart panel.
type Figure = fn(&Row) -> f64;

fn times(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{v:.2}×"))
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:.decimals$}"))
}
