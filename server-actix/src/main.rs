//! `server-actix`: the token server on actix-web. See `--help` for the settings.

fn main() -> std::process::ExitCode {
    server_runtime::run(env!("CARGO_BIN_NAME"), server_actix::serve)
}
