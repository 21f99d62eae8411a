//! One badge per server, as shields.io's endpoint JSON
//! (`https://img.shields.io/endpoint?url=...` draws it).

use serde_json::{Value, json};

use super::model::Column;

/// The badge's label.
pub const LABEL: &str = "token server conformance";

impl Column {
    /// The server's badge: red with the FAIL count, yellow when only WARNs, green when
    /// everything judged passed, grey when some cases could not be judged.
    pub fn badge(&self) -> Value {
        let [_, warned, failed, _, errors] = self.counts;
        let (message, color) = if failed > 0 {
            (format!("{failed} fail, {warned} warn"), "red")
        } else if errors > 0 {
            (format!("{errors} not judged"), "lightgrey")
        } else if warned > 0 {
            (format!("pass, {warned} warn"), "yellow")
        } else {
            ("pass".to_owned(), "brightgreen")
        };
        json!({
            "schemaVersion": 1,
            "label": LABEL,
            "message": format!("{message} ({})", self.profile),
            "color": color,
        })
    }

    /// The badge's file name: the server's name with anything but ASCII letters and digits
    /// turned into `-`.
    pub fn badge_file(&self) -> String {
        let mut slug: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        while slug.contains("--") {
            slug = slug.replace("--", "-");
        }
        format!("{}.json", slug.trim_matches('-'))
    }
}
