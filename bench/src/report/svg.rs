//! The report as an SVG chart, drawn by hand: plotting crates need a font backend this
//! machine does not have.

use std::fmt::Write as _;

use super::{Report, Row, TargetReport};

/// Reads one figure of a row, for a chart panel.
type Figure = fn(&Row) -> f64;

impl Report {
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
