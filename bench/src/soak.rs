//! The soak: a long run of mixed requests against each backend, watching its memory.

use crate::Config;
use crate::compare::start;
use crate::load::{self, Budget, RequestKind};
use crate::server::{self, ContenderSpec};

/// One backend's soak: a long run of mixed requests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SoakResult {
    /// The backend.
    pub name: String,
    /// Requests answered.
    pub requests: u64,
    /// Answers whose status was not the one expected for the request, plus transport errors.
    pub unexpected: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// Resident memory (KiB) after start-up, half-way, and at the end.
    pub rss_kib: [Option<u64>; 3],
}

/// Mostly valid requests, some invalid, a few oversized.
pub fn soak_mix(sequence: u64) -> RequestKind {
    match sequence % 100 {
        0 => RequestKind::Oversized,
        1..=9 => RequestKind::Invalid,
        _ => RequestKind::Valid,
    }
}

/// Sends `requests` mixed requests (in two halves) to each contender.
pub async fn soak(
    config: &Config,
    contenders: &[ContenderSpec],
    requests: u64,
    progress: &dyn Fn(&str),
) -> Vec<SoakResult> {
    let mut results = Vec::new();
    for spec in contenders {
        let name = spec.name();
        let running = match start(config, spec).await {
            Ok(running) => running,
            Err(err) => {
                progress(&format!("{name}: cannot start: {err}"));
                continue;
            }
        };
        let pid = running.process.as_ref().map(|p| p.pid());
        let rss = || pid.and_then(|pid| server::memory_kib(pid, "VmRSS"));
        let mut rss_kib = [rss(), None, None];
        let started = std::time::Instant::now();
        let (mut answered, mut unexpected) = (0, 0);
        for (half, rss_after) in rss_kib.iter_mut().skip(1).enumerate() {
            progress(&format!("{name}: soak, half {}/2", half + 1));
            let result = load::run(
                running.address,
                16,
                Budget::Requests(requests / 2),
                soak_mix,
                None,
            )
            .await;
            answered += result.requests;
            unexpected += result.unexpected_status + result.errors;
            *rss_after = rss();
        }
        results.push(SoakResult {
            name: spec.name().to_owned(),
            requests: answered,
            unexpected,
            seconds: started.elapsed().as_secs_f64(),
            rss_kib,
        });
    }
    results
}

/// The soak results as a Markdown table.
pub fn soak_markdown(results: &[SoakResult]) -> String {
    let mut out = String::from(
        "| backend | requests | unexpected | seconds | req/s | RSS start MiB | RSS middle MiB | RSS end MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mib =
        |kib: Option<u64>| kib.map_or("–".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
    for r in results {
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.0} | {} | {} | {} |\n",
            r.name,
            r.requests,
            r.unexpected,
            r.seconds,
            r.requests as f64 / r.seconds,
            mib(r.rss_kib[0]),
            mib(r.rss_kib[1]),
            mib(r.rss_kib[2]),
        ));
    }
    out
}
