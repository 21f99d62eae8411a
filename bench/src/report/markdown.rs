//! The report as Markdown.

use std::fmt::Write as _;

use super::{Gate, Report, number, ratio, times};

impl Report {
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
            "| target | conns | req/s (min–max) | × baseline | × hyper | p50 µs | p90 µs | p99 µs \
             | p99.9 µs | p99 × baseline | non-2xx | errors | server CPU µs/req | × baseline \
             | × hyper |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for target in &self.targets {
            for row in &target.rows {
                let vs = row.vs_baseline.as_ref();
                let tax = row.vs_hyper.as_ref();
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.0} ({:.0}–{:.0}) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    target.name,
                    row.concurrency,
                    row.rps_median,
                    row.rps_min,
                    row.rps_max,
                    times(vs.map(|v| v.rps)),
                    times(tax.map(|v| v.rps)),
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
                    times(tax.and_then(|v| v.cpu)),
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
}
