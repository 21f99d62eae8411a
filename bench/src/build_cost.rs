//! What a backend costs to build and carry: a clean release build in its own target
//! directory (the workspace's shared crates included), an incremental rebuild after touching
//! the adapter, its dependency graph, its stripped size, and its adapter's lines.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::report::BuildCost;

/// Measures `binary` (a workspace member) with `scratch` as its private target directory.
pub fn measure(workspace: &Path, binary: &str, scratch: &Path) -> Result<BuildCost, String> {
    let target_dir = scratch.join(binary);
    let _ = std::fs::remove_dir_all(&target_dir);
    let build = || {
        let mut command = Command::new(cargo());
        command
            .args([
                "build",
                "--release",
                "--locked",
                "--quiet",
                "-p",
                binary,
                "--bin",
                binary,
            ])
            .env("CARGO_TARGET_DIR", &target_dir)
            .current_dir(workspace);
        command
    };
    let cpu_before = children_cpu();
    let (clean_wall, status) = timed(build())?;
    let clean_cpu = children_cpu().saturating_sub(cpu_before);
    if !status {
        return Err(format!("the clean build of {binary} failed"));
    }
    let adapter = workspace.join(binary).join("src").join("lib.rs");
    std::fs::File::options()
        .write(true)
        .open(&adapter)
        .and_then(|file| file.set_modified(SystemTime::now()))
        .map_err(|err| format!("cannot touch {}: {err}", adapter.display()))?;
    let (incremental_wall, status) = timed(build())?;
    if !status {
        return Err(format!("the incremental build of {binary} failed"));
    }
    let built = target_dir.join("release").join(binary);
    let stripped = scratch.join(format!("{binary}.stripped"));
    std::fs::copy(&built, &stripped).map_err(|err| format!("cannot copy the binary: {err}"))?;
    let strip = Command::new("strip")
        .arg(&stripped)
        .status()
        .map_err(|err| format!("cannot run strip: {err}"))?;
    if !strip.success() {
        return Err("strip failed".to_owned());
    }
    let stripped_bytes = std::fs::metadata(&stripped)
        .map_err(|err| err.to_string())?
        .len();
    Ok(BuildCost {
        clean_wall_s: clean_wall.as_secs_f64(),
        clean_cpu_s: clean_cpu.as_secs_f64(),
        incremental_wall_s: incremental_wall.as_secs_f64(),
        crates: dependency_count(workspace, binary)?,
        stripped_bytes,
        adapter_loc: adapter_loc(&workspace.join(binary).join("src")),
    })
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn timed(mut command: Command) -> Result<(Duration, bool), String> {
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    Ok((started.elapsed(), status.success()))
}

/// CPU time of every waited-for child process so far (`cutime` + `cstime` of
/// `/proc/self/stat`), which includes the compiler processes of a finished `cargo build`.
fn children_cpu() -> Duration {
    let ticks_per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which ends with ')': cutime and cstime are the 14th and
    // 15th of them (fields 16 and 17 of the whole line).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = [13, 14]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    Duration::from_secs_f64(ticks / ticks_per_second)
}

/// Crates in `package`'s normal dependency graph on this host, itself excluded.
fn dependency_count(workspace: &Path, package: &str) -> Result<usize, String> {
    let host = Command::new("rustc")
        .arg("-vV")
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        })
        .ok_or("cannot learn the host triple from rustc")?;
    let output = Command::new(cargo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--filter-platform",
            &host,
        ])
        .current_dir(workspace)
        .output()
        .map_err(|err| format!("cannot run cargo metadata: {err}"))?;
    let metadata: Value =
        serde_json::from_slice(&output.stdout).map_err(|err| format!("cargo metadata: {err}"))?;
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or("cargo metadata has no resolve graph")?;
    let root = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == package))
        .and_then(|p| p["id"].as_str())
        .ok_or_else(|| format!("{package} is not in the workspace"))?;
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([root.to_owned()]);
    while let Some(id) = queue.pop_front() {
        let Some(node) = nodes.iter().find(|n| n["id"] == id.as_str()) else {
            continue;
        };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| kind["kind"].is_null());
            if let (true, Some(pkg)) = (normal, dep["pkg"].as_str())
                && seen.insert(pkg.to_owned())
            {
                queue.push_back(pkg.to_owned());
            }
        }
    }
    Ok(seen.len())
}

/// Lines of Rust in `dir` that are neither blank nor comments.
pub fn adapter_loc(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "rs"))
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with("//"))
                .count()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn adapters_are_small_and_their_graphs_are_counted() {
        let loc = adapter_loc(&workspace().join("server-hyper").join("src"));
        assert!((20..150).contains(&loc), "server-hyper has {loc} lines");
        let hyper = dependency_count(&workspace(), "server-hyper").expect("metadata");
        let poem = dependency_count(&workspace(), "server-poem").expect("metadata");
        // poem brings its own crates on top of what server-hyper needs.
        assert!(hyper > 10 && poem > hyper, "hyper {hyper}, poem {poem}");
        assert!(dependency_count(&workspace(), "no-such-crate").is_err());
    }
}
