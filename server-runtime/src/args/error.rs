//! Why the settings could not be loaded: help to print, or one line naming the setting
//! (never its value), from clap's errors and `.env`'s.

use std::fmt;

use clap::CommandFactory;

use super::Args;

/// Why the settings could not be loaded.
#[derive(Debug)]
pub enum ConfigError {
    /// `--help` or `--version` was asked for: print the text and exit successfully.
    Informational(String),
    /// A setting is invalid: print the one-line reason and exit with status 2.
    Invalid(String),
}

impl ConfigError {
    pub(crate) fn from_clap(err: clap::Error) -> Self {
        use clap::error::ErrorKind;
        match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                Self::Informational(err.render().to_string())
            }
            // A stray word is most often the rest of an unquoted value (`--keys APIa: secret`),
            // which clap would quote.
            ErrorKind::UnknownArgument if !invalid_arg_is_long_flag(&err) => Self::Invalid(
                "an argument that is not a --flag (not shown: it may be a secret); quote a \
                 value that holds spaces"
                    .to_owned(),
            ),
            // clap's message ends with a usage hint on further lines; operators want one line,
            // and most set the environment variable rather than the flag, so it is named too.
            _ => {
                let text = err.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                let mut line = first.trim_start_matches("error: ").to_owned();
                if let Some(env) = env_of_invalid_arg(&err) {
                    line.push_str(&format!(" (set by {env} or the flag)"));
                }
                Self::Invalid(line)
            }
        }
    }
}

/// Whether the argument a clap error is about is a `--flag`, which clap shows without its value.
fn invalid_arg_is_long_flag(err: &clap::Error) -> bool {
    use clap::error::{ContextKind, ContextValue};
    matches!(err.get(ContextKind::InvalidArg), Some(ContextValue::String(arg)) if arg.starts_with("--"))
}

/// The environment variable behind the argument a clap error is about.
fn env_of_invalid_arg(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = arg.split_whitespace().next()?.trim_start_matches("--");
    Args::command()
        .get_arguments()
        .find(|candidate| candidate.get_long() == Some(long))
        .and_then(|candidate| candidate.get_env())
        .map(|env| env.to_string_lossy().into_owned())
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Informational(text) | Self::Invalid(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Why `.env` cannot be read, naming the line but never showing it: dotenvy's own message
/// quotes the line, which may hold a secret.
pub(crate) fn dotenv_error(err: &dotenvy::Error) -> String {
    let dotenvy::Error::LineParse(text, _) = err else {
        return format!("cannot read .env: {err}");
    };
    let line = std::fs::read_to_string(".env")
        .ok()
        .and_then(|file| Some(file[..file.find(text.as_str())?].matches('\n').count() + 1));
    match line {
        Some(line) => format!("cannot read .env, line {line}: not a NAME=value line"),
        None => "cannot read .env: a line is not NAME=value".to_owned(),
    }
}
