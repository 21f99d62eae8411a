//! `server-actix`: the token server on actix-web. See `--help` for the settings.

fn main() -> std::process::ExitCode {
    token_core::startup::run(env!("CARGO_BIN_NAME"), server_actix::serve)
}
