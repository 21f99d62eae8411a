//! `server-poem`: the token server on poem. See `--help` for the settings.

fn main() -> std::process::ExitCode {
    server_runtime::run(env!("CARGO_BIN_NAME"), server_poem::serve)
}
