//! `server-warp`: the token server on warp. See `--help` for the settings.

fn main() -> std::process::ExitCode {
    server_runtime::run(env!("CARGO_BIN_NAME"), server_warp::serve)
}
