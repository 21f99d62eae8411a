//! The open-loop measurement: one constant rate, run several times, reported by its median run.

use std::net::SocketAddr;

use crate::Config;
use crate::load::{self, OpenLoopResult};
use crate::report::OpenLoopRow;

/// Runs `fraction` of `ceiling` req/s on the fixed connections, once per repetition (at
/// least once), and reports the run with the median p99.
pub(crate) async fn at_rate(
    config: &Config,
    name: &str,
    address: SocketAddr,
    fraction: f64,
    ceiling: f64,
    progress: &dyn Fn(&str),
) -> OpenLoopRow {
    let rate = ceiling * fraction;
    let repetitions = config.repetitions.max(1);
    let mut runs = Vec::with_capacity(repetitions);
    for run in 1..=repetitions {
        progress(&format!(
            "{name}: open loop at {rate:.0} req/s, run {run}/{repetitions}",
        ));
        let result = load::run_open_loop(
            address,
            config.fixed_connections,
            rate,
            config.warmup,
            config.measure,
        )
        .await;
        runs.push(result);
    }
    median_run(fraction, rate, runs)
}

/// The row of the run with the median p99, beside every run's p99 range and every run's
/// wrong answers: one stall of the machine (a few tens of ms, seen on the test VM) moves a
/// single run's p99, not the median.
fn median_run(fraction: f64, rate: f64, mut runs: Vec<OpenLoopResult>) -> OpenLoopRow {
    let p99 = |run: &OpenLoopResult| run.load.latency.value_at_quantile(0.99);
    runs.sort_by_key(p99);
    let p99_range_us = (runs.first().map_or(0, p99), runs.last().map_or(0, p99));
    let median = &runs[runs.len() / 2];
    let result = &median.load;
    OpenLoopRow {
        fraction,
        asked_rps: rate,
        achieved_rps: result.rate(),
        p50_us: result.latency.value_at_quantile(0.5),
        p99_us: result.latency.value_at_quantile(0.99),
        p99_range_us,
        p999_us: result.latency.value_at_quantile(0.999),
        max_us: result.latency.max(),
        generator_stall_us: u64::try_from(median.generator_stall.as_micros()).unwrap_or(u64::MAX),
        unexpected: runs
            .iter()
            .map(|run| run.load.unexpected_status + run.load.errors)
            .sum(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hdrhistogram::Histogram;

    use super::*;
    use crate::load::LoadResult;

    /// A run of 100 answers in one second, all at `latency_us`, with `wrong` of them wrong.
    fn run(latency_us: u64, wrong: u64) -> OpenLoopResult {
        let mut latency = Histogram::<u64>::new(3).expect("histogram");
        latency.record_n(latency_us, 100).expect("record");
        OpenLoopResult {
            load: LoadResult {
                requests: 100,
                unexpected_status: wrong,
                errors: 0,
                window: Duration::from_secs(1),
                latency,
            },
            generator_stall: Duration::from_micros(latency_us / 10),
        }
    }

    #[test]
    fn the_median_run_by_p99_stands_for_the_rate() {
        let row = median_run(0.5, 100.0, vec![run(9_000, 0), run(100, 1), run(300, 2)]);
        assert_eq!(row.p99_us, row.p50_us);
        assert!((299..=301).contains(&row.p99_us), "{row:?}");
        assert_eq!(row.generator_stall_us, 30);
        // The range and the wrong answers are every run's, not the median's alone.
        assert!(
            row.p99_range_us.0 <= 100 && row.p99_range_us.1 >= 9_000,
            "{row:?}"
        );
        assert_eq!(row.unexpected, 3);
        assert_eq!((row.fraction, row.asked_rps), (0.5, 100.0));
        assert!((row.achieved_rps - 100.0).abs() < 1e-9);
    }
}
