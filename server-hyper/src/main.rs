//! `server-hyper`: the token server on hyper. See `--help` for the settings.

fn main() -> std::process::ExitCode {
    server_runtime::run(env!("CARGO_BIN_NAME"), server_hyper::serve)
}
