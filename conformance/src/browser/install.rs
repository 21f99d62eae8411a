//! Finding the programs the browser check runs: Chromium and chromedriver, on `PATH`.

use std::path::PathBuf;

use super::StartError;

/// Where Chromium and chromedriver are.
#[derive(Debug, Clone)]
pub struct Installation {
    /// The browser.
    pub chromium: PathBuf,
    /// The WebDriver server for it.
    pub chromedriver: PathBuf,
}

impl Installation {
    /// Finds `chromium` and `chromedriver` on `PATH` (Debian's packages put them in
    /// `/usr/bin`); the error says which is missing.
    pub fn find() -> Result<Self, StartError> {
        match (which("chromium"), which("chromedriver")) {
            (Some(chromium), Some(chromedriver)) => Ok(Self {
                chromium,
                chromedriver,
            }),
            (chromium, chromedriver) => {
                let missing: Vec<&str> = [("chromium", chromium), ("chromedriver", chromedriver)]
                    .into_iter()
                    .filter(|(_, found)| found.is_none())
                    .map(|(name, _)| name)
                    .collect();
                Err(StartError::NotInstalled(format!(
                    "no {} on PATH (install the Debian packages chromium and chromium-driver)",
                    missing.join(" and no ")
                )))
            }
        }
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
