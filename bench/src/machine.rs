//! What machine the numbers were taken on, as the report states it.

use crate::report::Machine;
use crate::server;

/// What this machine is.
pub fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|line| {
                line.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    Machine {
        host: command_output("hostname", &[]).unwrap_or_else(|| "unknown-host".to_owned()),
        cpu,
        cpus: server::machine_cpus(),
        kernel: command_output("uname", &["-r"]).unwrap_or_default(),
        date: command_output("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default(),
    }
}

/// A command's trimmed standard output; `None` when it cannot run or prints nothing.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned()).filter(|s| !s.is_empty())
}
