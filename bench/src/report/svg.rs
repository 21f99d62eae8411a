//! The report as SVG charts, drawn by hand: four small bar charts of rectangles and `<text>`
//! are not worth an extra dependency. A log axis would be (the open-loop p99s span more than
//! three orders of magnitude): plotters with default features off and `svg_backend` draws one
//! (`log_scale`) and needs no fonts, since it estimates text sizes.

use std::fmt::Write as _;

use super::{ContenderReport, Report};

/// The layout, in pixels, in one place.
mod layout {
    /// One panel's width and height.
    pub const PANEL_WIDTH: f64 = 460.0;
    pub const PANEL_HEIGHT: f64 = 300.0;
    /// Space between panels.
    pub const GAP: f64 = 20.0;
    /// Inside a panel: room for the title above, the group labels below, the axis on the left.
    pub const TOP: f64 = 40.0;
    pub const BOTTOM: f64 = 50.0;
    pub const LEFT: f64 = 60.0;
    pub const RIGHT: f64 = 10.0;
    /// Panels per row.
    pub const COLUMNS: usize = 2;
    /// The legend below the panels: its height and one entry's width.
    pub const LEGEND_HEIGHT: f64 = 30.0;
    pub const LEGEND_ENTRY: f64 = 110.0;
    /// One colour per contender, in report order.
    pub const COLORS: [&str; 8] = [
        "#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    ];
}

/// One bar chart: groups of bars, one bar per contender (`None`: nothing to draw).
struct Panel {
    title: &'static str,
    groups: Vec<(String, Vec<Option<f64>>)>,
}

impl Report {
    /// Four bar charts: req/s and p99 latency by concurrency (closed loop), p99 latency by
    /// open-loop rate, and build time; a legend of the contenders below.
    pub fn svg(&self) -> String {
        use layout::*;
        let timed: Vec<&ContenderReport> = self
            .contenders
            .iter()
            .filter(|t| !t.rows.is_empty())
            .collect();
        let by_level = |value: fn(&super::Row) -> f64| {
            self.method
                .concurrency
                .iter()
                .map(|&level| {
                    let values = timed
                        .iter()
                        .map(|t| t.rows.iter().find(|r| r.concurrency == level).map(value))
                        .collect();
                    (format!("c={level}"), values)
                })
                .collect()
        };
        let fractions: Vec<f64> = timed
            .iter()
            .flat_map(|t| t.open_loop.iter().map(|r| r.fraction))
            .fold(Vec::new(), |mut all, f| {
                if !all.iter().any(|known: &f64| (known - f).abs() < 1e-9) {
                    all.push(f);
                }
                all
            });
        let panels = [
            Panel {
                title: "requests per second, closed loop (higher is better)",
                groups: by_level(|row| row.rps_median),
            },
            Panel {
                title: "p99 latency µs, closed loop (lower is better)",
                groups: by_level(|row| row.p99_us as f64),
            },
            Panel {
                title: "p99 latency µs, open loop by rate (lower is better)",
                groups: fractions
                    .iter()
                    .map(|&f| {
                        let values = timed
                            .iter()
                            .map(|t| t.open_loop_at(f).map(|r| r.p99_us as f64))
                            .collect();
                        (format!("{:.0}% of ceiling", f * 100.0), values)
                    })
                    .collect(),
            },
            Panel {
                title: "build seconds, release (lower is better)",
                groups: vec![
                    (
                        "clean".to_owned(),
                        timed
                            .iter()
                            .map(|t| t.build.as_ref().map(|b| b.clean_wall_s))
                            .collect(),
                    ),
                    (
                        "after touching the adapter".to_owned(),
                        timed
                            .iter()
                            .map(|t| t.build.as_ref().map(|b| b.incremental_wall_s))
                            .collect(),
                    ),
                ],
            },
        ];
        let rows = panels.len().div_ceil(COLUMNS);
        let width = COLUMNS as f64 * (PANEL_WIDTH + GAP) + GAP;
        let height = rows as f64 * PANEL_HEIGHT + LEGEND_HEIGHT;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             font-family=\"sans-serif\" font-size=\"11\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        );
        for (index, panel) in panels.iter().enumerate() {
            let x0 = (index % COLUMNS) as f64 * (PANEL_WIDTH + GAP);
            let y0 = (index / COLUMNS) as f64 * PANEL_HEIGHT;
            draw(&mut svg, panel, &timed, x0, y0);
        }
        for (index, contender) in timed.iter().enumerate() {
            let x = LEFT + LEGEND_ENTRY * index as f64;
            let y = rows as f64 * PANEL_HEIGHT;
            let _ = writeln!(
                svg,
                "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
                 <text x=\"{}\" y=\"{}\">{}</text>",
                y + 2.0,
                COLORS[index % COLORS.len()],
                x + 16.0,
                y + 12.0,
                escape(&contender.name)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn draw(svg: &mut String, panel: &Panel, timed: &[&ContenderReport], x0: f64, y0: f64) {
    use layout::*;
    let left = x0 + LEFT;
    let plot_width = PANEL_WIDTH - LEFT - RIGHT;
    let plot_height = PANEL_HEIGHT - TOP - BOTTOM;
    let max = panel
        .groups
        .iter()
        .flat_map(|(_, values)| values.iter().flatten())
        .fold(0.0_f64, |max, v| max.max(*v))
        .max(1.0);
    let _ = writeln!(
        svg,
        "<text x=\"{left}\" y=\"{}\" font-size=\"13\">{}</text>",
        y0 + 20.0,
        escape(panel.title)
    );
    for step in 0..=4 {
        let value = max * f64::from(step) / 4.0;
        let y = y0 + TOP + plot_height * (1.0 - f64::from(step) / 4.0);
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{value:.0}</text>",
            left + plot_width,
            left - 4.0,
            y + 4.0
        );
    }
    let group_width = plot_width / panel.groups.len().max(1) as f64;
    let bar = group_width * 0.8 / timed.len().max(1) as f64;
    for (group_index, (label, values)) in panel.groups.iter().enumerate() {
        let gx = left + group_width * group_index as f64 + group_width * 0.1;
        for (contender_index, (contender, value)) in timed.iter().zip(values).enumerate() {
            let Some(value) = value else {
                continue;
            };
            let h = plot_height * value / max;
            let _ = writeln!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\">\
                 <title>{} {}: {value:.0}</title></rect>",
                gx + bar * contender_index as f64,
                y0 + TOP + plot_height - h,
                bar * 0.95,
                COLORS[contender_index % COLORS.len()],
                escape(&contender.name),
                escape(label),
            );
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            gx + group_width * 0.4,
            y0 + TOP + plot_height + 16.0,
            escape(label)
        );
    }
}

/// Text safe inside SVG: contender names come from the command line.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
