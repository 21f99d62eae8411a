//! The matrix as one self-contained HTML page: no external assets and no script, so it works
//! from `file://` and in CI artifact viewers. A cell's reasons show on hover (its `title`)
//! and on click (a `<details>`).

use std::fmt::Write as _;

use super::model::{Cell, Matrix};

/// The page's style: one colour per outcome, the same in the cells and the summary.
const STYLE: &str = "
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1f2328; }
h1 { font-size: 1.4em; margin: 0 0 .2em; }
.meta { color: #59636e; margin: 0 0 1em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d1d9e0; padding: 2px 6px; text-align: left; vertical-align: top; }
thead th { position: sticky; top: 0; background: #f6f8fa; }
th.server { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 600; }
tr.area th { background: #eaeef2; font-size: 1.05em; }
th.case { font-weight: normal; font-family: ui-monospace, monospace; white-space: nowrap; }
td.cell { text-align: center; font-weight: 600; font-size: 12px; white-space: nowrap; }
td.cell details { text-align: left; font-weight: normal; white-space: normal; max-width: 28em; }
td.cell summary { cursor: pointer; text-align: center; font-weight: 600; white-space: nowrap; }
.pass { background: #dafbe1; color: #116329; }
.warn { background: #fff8c5; color: #7d4e00; }
.fail { background: #ffebe9; color: #a40e26; }
.no-answer { background: #ffcecb; color: #82071e; }
.skip { background: #f6f8fa; color: #59636e; }
.harness-error { background: #fbefff; color: #6e40c9; }
.absent { background: #ffffff; color: #8c959f; }
table.summary td.defects span { display: inline-block; margin: 1px 4px 1px 0; padding: 0 4px; border-radius: 3px; }
";

/// The label of an outcome in a cell.
pub fn label(outcome: &str) -> &'static str {
    match outcome {
        "pass" => "PASS",
        "warn" => "WARN",
        "fail" => "FAIL",
        "no-answer" => "NO ANSWER",
        "skip" => "SKIP",
        "harness-error" => "ERROR",
        _ => "?",
    }
}

/// The CSS class of an outcome (`absent` for a case the report does not hold).
pub fn class(outcome: Option<&str>) -> &'static str {
    match outcome {
        Some("pass") => "pass",
        Some("warn") => "warn",
        Some("fail") => "fail",
        Some("no-answer") => "no-answer",
        Some("skip") => "skip",
        Some("harness-error") => "harness-error",
        _ => "absent",
    }
}

impl Matrix {
    /// The page, titled `title`.
    pub fn html(&self, title: &str) -> String {
        let mut page = String::new();
        let _ = write!(
            page,
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
            escape(title),
            escape(title)
        );
        let mut suites: Vec<&str> = self.columns.iter().map(|c| c.suite.as_str()).collect();
        suites.dedup();
        let latest = self
            .columns
            .iter()
            .map(|column| column.started_at.as_str())
            .max()
            .unwrap_or_default();
        let _ = writeln!(
            page,
            "<p class=\"meta\">Judged by token-server-conformance {}; {} reports, the latest \
             run {}. Hover over a cell for its reasons, or click it.</p>",
            escape(&suites.join(", ")),
            self.columns.len(),
            escape(latest)
        );
        self.summary(&mut page);
        self.table(&mut page);
        page.push_str("</body>\n</html>\n");
        page
    }

    fn summary(&self, page: &mut String) {
        page.push_str(
            "<table class=\"summary\" id=\"summary\">\n<thead><tr><th>Server</th><th>Profile</th>\
             <th>Pass</th><th>Warn</th><th>Fail</th><th>Skip</th><th>Not judged</th>\
             <th>Defects (cases)</th></tr></thead>\n<tbody>\n",
        );
        for (index, column) in self.columns.iter().enumerate() {
            let [passed, warned, failed, skipped, errors] = column.counts;
            let _ = write!(
                page,
                "<tr data-server=\"{index}\"><th title=\"{} {}\">{}</th><td>{}</td>\
                 <td class=\"pass\">{passed}</td><td class=\"warn\">{warned}</td>\
                 <td class=\"fail\">{failed}</td><td class=\"skip\">{skipped}</td>\
                 <td class=\"harness-error\">{errors}</td><td class=\"defects\">",
                escape(&column.url),
                escape(&column.suite),
                escape(&column.name),
                escape(&column.profile)
            );
            for (defect, level, cases) in &column.defects {
                let class = if level == "MUST" { "fail" } else { "warn" };
                let _ = write!(
                    page,
                    "<span class=\"{class}\">{} ({cases})</span>",
                    escape(defect)
                );
            }
            page.push_str("</td></tr>\n");
        }
        page.push_str("</tbody>\n</table>\n");
    }

    fn table(&self, page: &mut String) {
        page.push_str(
            "<table class=\"matrix\" id=\"matrix\">\n<thead><tr><th>Case</th><th>Level</th>",
        );
        for column in &self.columns {
            let _ = write!(
                page,
                "<th class=\"server\" title=\"{} ({})\">{}</th>",
                escape(&column.url),
                escape(&column.profile),
                escape(&column.name)
            );
        }
        page.push_str("</tr></thead>\n<tbody>\n");
        for (area, rows) in self.areas() {
            let _ = writeln!(
                page,
                "<tr class=\"area\"><th colspan=\"{}\">{}</th></tr>",
                self.columns.len() + 2,
                escape(area)
            );
            for row in rows {
                let _ = write!(
                    page,
                    "<tr><th class=\"case\" title=\"{}\">{}</th><td>{}</td>",
                    escape(&row.requirement),
                    escape(&row.id),
                    escape(&row.level)
                );
                for (index, column) in self.columns.iter().enumerate() {
                    cell(page, &row.id, index, column.cells.get(&row.id));
                }
                page.push_str("</tr>\n");
            }
        }
        page.push_str("</tbody>\n</table>\n");
    }
}

/// One cell: its outcome's label, and its reasons on hover and on click.
fn cell(page: &mut String, id: &str, server: usize, cell: Option<&Cell>) {
    let outcome = cell.map(|cell| cell.outcome.as_str());
    let _ = write!(
        page,
        "<td class=\"cell {}\" data-case=\"{}\" data-server=\"{server}\" data-outcome=\"{}\"",
        class(outcome),
        escape(id),
        escape(outcome.unwrap_or("absent"))
    );
    match cell {
        None => page.push_str(" title=\"not in this report\">–</td>"),
        Some(cell) if cell.reasons.is_empty() => {
            let _ = write!(page, ">{}</td>", label(&cell.outcome));
        }
        Some(cell) => {
            let reasons = cell.reasons.join("\n");
            let _ = write!(
                page,
                " title=\"{}\"><details><summary>{}</summary>{}</details></td>",
                escape(&reasons),
                label(&cell.outcome),
                escape(&reasons)
            );
        }
    }
}

/// Text made safe for HTML content and attributes. Five replacements; no crate needed.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_everywhere() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
