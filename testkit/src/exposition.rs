//! Reading a Prometheus exposition (OpenMetrics text) back into numbers, for the tests that
//! scrape the metrics port.
//!
//! Hand-written because the exposition parsers on crates.io are either unmaintained or pull
//! in a whole Prometheus client; the subset `prometheus-client` writes (no timestamps, no
//! exemplars) is one sample per line.

use std::collections::BTreeMap;

/// Every sample: the series (name and labels, as written) to its value. `None` when a line
/// is neither a comment, a sample nor the final `# EOF`, or the `# EOF` is missing.
pub fn parse(text: &str) -> Option<BTreeMap<String, f64>> {
    let mut samples = BTreeMap::new();
    let mut ended = false;
    for line in text.lines() {
        if ended {
            return None;
        }
        if line == "# EOF" {
            ended = true;
            continue;
        }
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") || line.starts_with("# UNIT ")
        {
            continue;
        }
        let (series, value) = line.rsplit_once(' ')?;
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            value => value.parse().ok()?,
        };
        if series.is_empty() || samples.insert(series.to_owned(), value).is_some() {
            return None;
        }
    }
    ended.then_some(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_samples_and_refuses_what_is_not_an_exposition() {
        let text = "# HELP a_total A.\n# TYPE a counter\na_total{x=\"1 2\"} 3\nb 0.5\n# EOF\n";
        let samples = parse(text).expect("an exposition");
        assert_eq!(samples.get("a_total{x=\"1 2\"}"), Some(&3.0));
        assert_eq!(samples.get("b"), Some(&0.5));
        for broken in [
            "a 1\n",
            "a one\n# EOF\n",
            "a 1\na 2\n# EOF\n",
            "# EOF\na 1\n",
        ] {
            assert_eq!(parse(broken), None, "{broken:?}");
        }
    }
}
