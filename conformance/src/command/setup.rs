//! What a run starts before judging: the identity provider of the production profile, and
//! the server under test when `--spawn` asks for it, with the placeholders filled in.

use std::path::Path;
use std::time::Duration;

use super::{RunOptions, Stop};
use crate::identity_provider::{IdentityProvider, JwsVectors};
use crate::production::ALLOWED_ORIGIN;
use crate::profile::Profile;
use crate::spawn::{self, SpawnSpec, Spawned};

/// The identity provider, serving on `runtime`, when the profile is `production`; its
/// settings are printed for the operator.
pub(super) fn identity_provider(
    options: &RunOptions,
    runtime: &tokio::runtime::Runtime,
) -> Result<Option<IdentityProvider>, Stop> {
    if options.profile != Profile::Production {
        return match options.wycheproof {
            Some(_) => Err(Stop::Usage(
                "--wycheproof applies to the production profile only".into(),
            )),
            None => Ok(None),
        };
    }
    let vectors = options.wycheproof.as_deref().map(jws_vectors).transpose()?;
    let provider = runtime
        .block_on(IdentityProvider::start_with(
            options.jwks_port,
            &options.caller_issuer,
            &options.caller_audience,
            vectors,
        ))
        .map_err(|err| Stop::Harness(format!("cannot serve the JWKS: {err}")))?;
    println!(
        "identity provider: JWKS {} issuer {} audience {} origin {ALLOWED_ORIGIN}",
        provider.jwks_url(),
        provider.issuer(),
        provider.audience()
    );
    Ok(Some(provider))
}

/// The usable vectors of the file `--wycheproof` names.
fn jws_vectors(path: &Path) -> Result<JwsVectors, Stop> {
    let refused = |why: String| Stop::Usage(format!("--wycheproof {}: {why}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|err| refused(err.to_string()))?;
    JwsVectors::parse(&text).map_err(|err| refused(err.to_string()))
}

/// The server's URL, and the server itself when `--spawn` started it (listening by then).
pub(super) fn server(
    options: &RunOptions,
    provider: Option<&IdentityProvider>,
) -> Result<(String, Option<Spawned>), Stop> {
    let placeholders: Vec<(&str, String)> = match provider {
        Some(provider) => vec![
            ("{jwks_url}", provider.jwks_url()),
            ("{issuer}", provider.issuer().to_owned()),
            ("{audience}", provider.audience().to_owned()),
            ("{origin}", ALLOWED_ORIGIN.to_owned()),
        ],
        None => Vec::new(),
    };
    let fill = |text: &str| {
        placeholders
            .iter()
            .fold(text.to_owned(), |text, (name, value)| {
                text.replace(name, value)
            })
    };
    let port = match &options.spawn {
        Some(_) => {
            Some(spawn::free_port().map_err(|err| Stop::Harness(format!("no free port: {err}")))?)
        }
        None => None,
    };
    let url = match (&options.url, port) {
        (Some(url), Some(port)) => spawn::fill_port(url, port),
        (Some(url), None) => url.clone(),
        (None, Some(port)) => format!("http://127.0.0.1:{port}"),
        (None, None) => return Err(Stop::Usage("--url is required".into())),
    };
    let (Some(command), Some(port)) = (&options.spawn, port) else {
        return Ok((url, None));
    };
    let uses_port = command.contains(spawn::PORT_PLACEHOLDER)
        || options
            .envs
            .iter()
            .any(|e| e.contains(spawn::PORT_PLACEHOLDER))
        || options.url.is_some();
    if !uses_port {
        return Err(Stop::Usage(
            "say where the spawned server listens: put {port} in the command or an \
                    --env value, or give --url"
                .into(),
        ));
    }
    let env = options
        .envs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(name, value)| (name.to_owned(), fill(value)))
                .ok_or_else(|| Stop::Usage(format!("--env takes NAME=VALUE, not {pair:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let spec = SpawnSpec {
        command: fill(command),
        env,
        cwd: options.cwd.clone(),
        ready_timeout: Duration::from_secs_f64(options.ready_timeout.max(0.1)),
    };
    let address = crate::server_under_test::authority(&url)?;
    let mut spawned = Spawned::start(&spec, port)?;
    if let Err(err) = spawned.wait_until_listening(&address, spec.ready_timeout) {
        return Err(Stop::Harness(format!(
            "{err}\n--- the server's last output:\n{}",
            spawned.tail()
        )));
    }
    Ok((url, Some(spawned)))
}
