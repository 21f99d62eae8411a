//! `server-hyper`: the token server on hyper. See `--help` for the settings.

fn main() -> std::process::ExitCode {
    token_core::startup::run(env!("CARGO_BIN_NAME"), server_hyper::serve)
}
