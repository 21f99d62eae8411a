//! `server-axum`: the token server on axum. See `--help` for the settings.

fn main() -> std::process::ExitCode {
    server_runtime::run(env!("CARGO_BIN_NAME"), server_axum::serve)
}
