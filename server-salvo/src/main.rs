//! `server-salvo`: the token server on salvo. See `--help` for the settings.

fn main() -> std::process::ExitCode {
    server_runtime::run(env!("CARGO_BIN_NAME"), server_salvo::serve)
}
