//! Checks of a token-server *binary* as a process, over real TCP: the suite, configuration,
//! lifecycle, logs and resilience. Each backend crate runs them all with one line in its
//! tests, `testkit::binary_tests!(env!("CARGO_BIN_EXE_server-axum"));`, and each check panics
//! with an explanation when the binary falls short.

pub mod keys;
pub mod lifecycle;
pub mod limits;
pub mod logs;
pub mod metrics;
pub mod production;
pub mod resilience;
pub mod secrets;
pub mod settings;
pub mod suite;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use conformance::case::{Flaw, Signer};
use conformance::wire::ResponseReader;
use conformance::{Selection, ServerUnderTest};
use tokio::net::TcpStream;

use crate::server_process::ServerProcess;

/// Credentials of production shape (a 32+ byte secret), so no dev-default path is taken.
pub const TEST_API_KEY: &str = "APIconformance";
/// The secret paired with [`TEST_API_KEY`].
pub const TEST_API_SECRET: &str = "conformance-secret-0123456789abcdef";

/// How long a raw exchange waits for each read: longer than the contract's 10 s timeouts, so
/// a server's own timeout answer is what the check sees.
const READ_PATIENCE: Duration = Duration::from_secs(20);

/// Clears every setting a token server reads from the environment and puts it on a free
/// loopback port, logging at info (so its "listening" line shows).
pub fn isolate(command: &mut Command) -> &mut Command {
    // Every setting's variable, so results never depend on the shell running the tests.
    for name in server_runtime::Args::environment_variables() {
        command.env_remove(name);
    }
    command
        .env("SERVER_HOST", "127.0.0.1")
        .env("SERVER_PORT", "0")
        .env("RUST_LOG", "info")
}

/// A command for `exe` in directory `dir`, on a free loopback port, with no inherited settings.
pub fn command(exe: &str, dir: &Path) -> Command {
    let mut command = Command::new(exe);
    isolate(&mut command).current_dir(dir);
    command
}

/// [`command`] with the test credentials.
fn credentialed(exe: &str, dir: &Path) -> Command {
    let mut command = command(exe, dir);
    command
        .env("LIVEKIT_API_KEY", TEST_API_KEY)
        .env("LIVEKIT_API_SECRET", TEST_API_SECRET);
    command
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn start(command: Command) -> ServerProcess {
    ServerProcess::start(command).unwrap_or_else(|err| panic!("{err}"))
}

fn only(prefix: &str) -> Selection {
    Selection {
        only: vec![prefix.to_owned()],
        ..Selection::default()
    }
}

/// The status of the next response on `stream`, or `None` when the server closed the
/// connection without one.
async fn answer_status(stream: &mut TcpStream, head_request: bool) -> Option<u16> {
    ResponseReader::new(READ_PATIENCE)
        .response(stream, head_request)
        .await
        .ok()
        .map(|response| response.status)
}

/// Sends `event` as a webhook validly signed with `under_test`'s credentials: the status of
/// the answer, and the `Authorization` value sent.
async fn send_signed_webhook(under_test: &ServerUnderTest, event: &[u8]) -> (u16, String) {
    let client = conformance::runner::client().expect("an HTTP client");
    let authorization =
        conformance::signing::sign(under_test, Signer::Suite, Flaw::None, event).expect("sign");
    let status = client
        .post(under_test.url("/livekit/webhook"))
        .header("content-type", "application/webhook+json")
        .header("authorization", &authorization)
        .body(event.to_vec())
        .send()
        .await
        .expect("webhook request")
        .status();
    (status.as_u16(), authorization)
}

fn token_request_head(body_len: usize) -> String {
    format!(
        "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {body_len}\r\n\r\n"
    )
}

/// Generates one `#[test]` per binary check for the binary at `$exe`, from the one list of
/// checks below (`async` checks run on a multi-threaded tokio runtime).
#[macro_export]
macro_rules! binary_tests {
    ($exe:expr) => {
        $crate::binary_tests!(@each $exe;
            async suite::passes_the_suite,
            async suite::official_client_fetches_credentials,
            async settings::reads_dotenv_and_the_environment_wins,
            sync settings::rejects_invalid_settings,
            sync settings::help_lists_settings_without_the_secret,
            sync secrets::refuses_secrets_without_printing_them,
            async secrets::jwks_url_credentials_stay_out_of_logs,
            async lifecycle::stops_on_sigterm,
            async lifecycle::finishes_in_flight_requests_on_sigterm,
            sync lifecycle::health_check_flag_probes_the_port,
            async logs::logs_keep_secrets,
            async logs::malformed_requests_log_nothing_at_warn,
            async logs::logs_hash_names_unless_asked,
            async keys::serves_several_keys_and_secret_files,
            async limits::limits_bursts_per_client,
            async metrics::serves_metrics_on_their_own_port,
            async production::admits_only_authenticated_callers,
            sync production::refuses_an_open_configuration,
            async production::readiness_waits_for_the_callers_keys,
            async resilience::drops_stalled_clients,
            async resilience::answers_beside_many_idle_connections,
            async resilience::caps_connections,
        );
    };
    (@each $exe:expr; $($kind:ident $module:ident :: $check:ident),* $(,)?) => {
        $($crate::binary_tests!(@one $kind $exe, $module, $check);)*
    };
    (@one async $exe:expr, $module:ident, $check:ident) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $check() {
            $crate::binary_checks::$module::$check($exe).await;
        }
    };
    (@one sync $exe:expr, $module:ident, $check:ident) => {
        #[test]
        fn $check() {
            $crate::binary_checks::$module::$check($exe);
        }
    };
}
