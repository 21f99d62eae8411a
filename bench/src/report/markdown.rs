//! The report as Markdown. Its column headings still say "target" for a contender: `bench
//! render` must reproduce the committed reports as they are.

use std::fmt::Write as _;

use super::{Gate, Report, number, ratio, times};

impl Report {
    /// The report as Markdown: the decision table, the machine and method, then the detail.
    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let mut out = String::new();
        let _ = writeln!(out, "# Framework comparison, {} on {}\n", m.date, m.host);
        out.push_str(&self.decision_table());
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
        for contender in &self.contenders {
            for row in &contender.rows {
                let vs = row.vs_baseline.as_ref();
                let tax = row.vs_hyper.as_ref();
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.0} ({:.0}–{:.0}) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    contender.name,
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
        for contender in &self.contenders {
            let gate = match &contender.gate {
                Gate::Exempt => "exempt (baseline)".to_owned(),
                Gate::Passed(cases) => format!("{cases} cases passed"),
                Gate::Failed(ids) if contender.rows.is_empty() => {
                    format!("FAILED, not timed: {}", ids.join(", "))
                }
                Gate::Failed(ids) => format!("FAILS {} cases, timed on request", ids.len()),
                Gate::Unavailable(why) => format!("unavailable: {why}"),
            };
            let mib = |bytes: Option<u64>| bytes.map(|b| b as f64 / (1024.0 * 1024.0));
            let startup = contender.startup_ms;
            let binary = mib(contender.binary_bytes);
            let rss = contender.peak_rss_kib.map(|k| k as f64 / 1024.0);
            let _ = writeln!(
                out,
                "| {} | {gate} | {} | {} | {} | {} | {} | {} |",
                contender.name,
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
        out.push_str(&self.open_loop_table());
        out.push_str(&self.cost_table());
        out
    }

    /// One row per contender, the figures a reader chooses by; contenders failing the
    /// conformance gate come last, marked, unranked.
    fn decision_table(&self) -> String {
        let mut out = String::from(
            "| target | req/s c=64 | × hyper | CPU µs/req | p99 open loop at 50% | sustained \
             req/s (p99 < 5 ms) | noisy valid req/s | peak RSS MiB | idle KiB/conn | crates \
             | clean build s | binary MiB (stripped) | adapter LOC |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        let conforming = |t: &&super::ContenderReport| !matches!(t.gate, Gate::Failed(_));
        let failing = |t: &&super::ContenderReport| matches!(t.gate, Gate::Failed(_));
        let ordered = self
            .contenders
            .iter()
            .filter(conforming)
            .chain(self.contenders.iter().filter(failing))
            .filter(|t| !t.rows.is_empty());
        for contender in ordered {
            let c64 = contender.rows.iter().find(|r| r.concurrency == 64);
            let name = match &contender.gate {
                Gate::Failed(ids) => format!("{} (fails {} cases)", contender.name, ids.len()),
                _ => contender.name.clone(),
            };
            let build = contender.build.as_ref();
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                number(c64.map(|r| r.rps_median), 0),
                times(c64.and_then(|r| r.vs_hyper.as_ref()).map(|v| v.rps)),
                number(c64.and_then(|r| r.cpu_us_per_request), 1),
                contender
                    .open_loop_at(0.5)
                    .map_or("–".to_owned(), |r| format!(
                        "{:.2} ms",
                        r.p99_us as f64 / 1000.0
                    )),
                match (contender.sustained_rps(), contender.open_loop.first()) {
                    (Some(rate), _) => format!("{rate:.0}"),
                    // Not even the lowest rate measured kept p99 under 5 ms.
                    (None, Some(lowest)) => format!("< {:.0}", lowest.asked_rps),
                    (None, None) => "–".to_owned(),
                },
                number(contender.noisy.as_ref().map(|n| n.valid_rps), 0),
                number(contender.peak_rss_kib.map(|k| k as f64 / 1024.0), 1),
                number(contender.idle_kib_per_connection, 1),
                build.map_or("–".to_owned(), |b| b.crates.to_string()),
                number(build.map(|b| b.clean_wall_s), 0),
                number(
                    build.map(|b| b.stripped_bytes as f64 / (1024.0 * 1024.0)),
                    2
                ),
                build.map_or("–".to_owned(), |b| b.adapter_loc.to_string()),
            );
        }
        let fractions = self
            .contenders
            .iter()
            .find(|contender| !contender.open_loop.is_empty())
            .map_or(String::new(), |contender| {
                let percents: Vec<String> = contender
                    .open_loop
                    .iter()
                    .map(|row| format!("{:.0}", row.fraction * 100.0))
                    .collect();
                percents.join("/")
            });
        let _ = write!(
            out,
            "\nreq/s and CPU from the closed-loop runs at 64 connections; open-loop latency is \
             measured from each request's intended send time (no coordinated omission), at \
             {fractions}% of the baseline's best req/s on 64 connections, the run with the \
             median p99 of the repetitions; sustained: the highest of those rates answered in \
             full with p99 under 5 ms and every answer right; noisy: 80% valid, 10% invalid, \
             10% oversized requests at 64 connections; idle: resident memory per idle \
             keep-alive connection; build: a clean release build of the binary alone in its own \
             target directory. \"–\" marks what a target cannot report (URL targets have no \
             process; the baseline no build or noisy run).\n\n",
        );
        out
    }

    fn open_loop_table(&self) -> String {
        let mut out = String::from(
            "\n| target | rate (× ceiling) | asked req/s | answered req/s | p50 µs | p99 µs \
             | p99 µs, all runs | p99.9 µs | max µs | generator stall µs | wrong or failed \
             |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for contender in &self.contenders {
            for row in &contender.open_loop {
                let _ = writeln!(
                    out,
                    "| {} | {:.2} | {:.0} | {:.0} | {} | {} | {}–{} | {} | {} | {} | {} |",
                    contender.name,
                    row.fraction,
                    row.asked_rps,
                    row.achieved_rps,
                    row.p50_us,
                    row.p99_us,
                    row.p99_range_us.0,
                    row.p99_range_us.1,
                    row.p999_us,
                    row.max_us,
                    row.generator_stall_us,
                    row.unexpected
                );
            }
        }
        out
    }

    fn cost_table(&self) -> String {
        let mut out = String::from(
            "\n| target | noisy req/s (valid) | noisy wrong or failed | idle KiB/conn | clean \
             build wall s | clean build CPU s | rebuild after touching the adapter s | crates \
             | stripped binary MiB | adapter LOC |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for contender in &self.contenders {
            let build = contender.build.as_ref();
            let noisy = contender.noisy.as_ref();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                contender.name,
                noisy.map_or("–".to_owned(), |n| format!(
                    "{:.0} ({:.0})",
                    n.rps, n.valid_rps
                )),
                noisy.map_or("–".to_owned(), |n| n.unexpected.to_string()),
                number(contender.idle_kib_per_connection, 1),
                number(build.map(|b| b.clean_wall_s), 0),
                number(build.map(|b| b.clean_cpu_s), 0),
                number(build.map(|b| b.incremental_wall_s), 1),
                build.map_or("–".to_owned(), |b| b.crates.to_string()),
                number(
                    build.map(|b| b.stripped_bytes as f64 / (1024.0 * 1024.0)),
                    2
                ),
                build.map_or("–".to_owned(), |b| b.adapter_loc.to_string()),
            );
        }
        out
    }
}
