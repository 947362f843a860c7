//! Loading settings in layers: the declared defaults, then the settings file, then the
//! environment and command line; then every rule is checked. A value that cannot be used stops
//! start-up with one line naming the setting and its variable.

use super::Settings;
use clap::parser::ValueSource::{CommandLine, EnvVariable};
use clap::{Arg, Command, CommandFactory, FromArgMatches, Parser};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use garde::Validate;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The settings file read when `--config` names none, if there is one (the name the project's
/// brief gives it: docs/DECISIONS.md).
const FILE: &str = "Leptos.toml";
/// Its name for a few releases: still read, for this release, with a warning.
const FORMER_FILE: &str = "burner.toml";

/// The command line: the settings file, and every setting as a flag (`--rooms.history-cap 50`).
#[derive(Parser, Debug)]
#[command(
    name = "server",
    about = "Burner: private, self-destructing chat rooms.",
    long_about = None,
    args_override_self = true,
    after_help = "Every setting can also be written in the settings file, under its [section] \
                  with the name after the dot; the variable beats the file, the flag beats both."
)]
pub(super) struct Cli {
    /// Settings file. Default: Leptos.toml in the working directory, if there is one.
    #[arg(long, env = "BURNER_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Check the settings, print them as JSON (passwords hidden) and exit.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    settings: Settings,
}

/// What the command line asked for.
#[derive(Debug)]
pub enum Loaded {
    /// Serve with these settings.
    Run(Box<Settings>),
    /// Print this (`--help`, `--check`) and exit successfully.
    Print(String),
}

/// A setting that cannot be used, named so the operator can fix it in one go.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("setting {key} ({env}): {problem}")]
    Invalid { key: String, env: String, problem: String },
    #[error("settings file {path}: {problem}")]
    File { path: String, problem: String },
    #[error("{0}")]
    Usage(String),
}

/// Reads the command line `args` (program name first) and the process environment.
pub fn load<I, T>(args: I) -> Result<Loaded, SettingsError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut command = Cli::command();
    let matches = match command.try_get_matches_from_mut(args) {
        Ok(matches) => matches,
        Err(err) if err.kind() == clap::error::ErrorKind::DisplayHelp => {
            return Ok(Loaded::Print(err.render().to_string()));
        }
        Err(err) => return Err(from_clap(&err)),
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|err| from_clap(&err))?;
    let given: Vec<&str> = setting_args(&command)
        .map(|arg| arg.get_id().as_str())
        .filter(|key| matches!(matches.value_source(key), Some(EnvVariable | CommandLine)))
        .collect();
    let mut file = cli.config.as_deref().map_or((Path::new(FILE), false), |path| (path, true));
    if !file.1 && !file.0.exists() && Path::new(FORMER_FILE).is_file() {
        // Started on defaults, an instance meant for Redis would run on its own: read it, and
        // say so (logging starts only once the settings are read).
        eprintln!(
            "burner: reading {FORMER_FILE}, the settings file's former name, for this release \
             only: rename it {FILE}"
        );
        file = (Path::new(FORMER_FILE), false);
    }
    let settings = layer(&cli.settings, file, &given)?;
    if cli.check {
        let json = settings.to_json().map_err(|err| SettingsError::Usage(err.to_string()))?;
        return Ok(Loaded::Print(json));
    }
    Ok(Loaded::Run(Box::new(settings)))
}

impl Settings {
    /// The declared defaults: what clap gives for no flags and no variables.
    pub fn defaults() -> Self {
        let command = Cli::command().mut_args(|arg| arg.env(None));
        let parsed =
            command.try_get_matches_from(["server"]).and_then(|m| Cli::from_arg_matches(&m));
        // The defaults are constants of settings.rs; a test proves they parse and pass the rules.
        match parsed {
            Ok(cli) => cli.settings,
            Err(err) => unreachable!("the declared defaults do not parse: {err}"),
        }
    }

    /// Checks every rule; the first broken one is the error.
    pub fn validate_all(&self) -> Result<(), SettingsError> {
        if let Err(report) = self.validate()
            && let Some((path, error)) = report.iter().next()
        {
            // garde names fields as written in Rust (`rooms.history_cap`, `x.list[0]`).
            let path = path.to_string();
            let key = path.split('[').next().unwrap_or_default().replace('_', "-");
            return Err(invalid(&key, error.message().to_owned()));
        }
        Ok(())
    }
}

/// What clap `parsed` (the defaults, and the keys the environment or command line `given`),
/// with the `file` (required or not) read in between; then the rules.
pub(super) fn layer(
    parsed: &Settings,
    (file, required): (&Path, bool),
    given: &[&str],
) -> Result<Settings, SettingsError> {
    let parsed = Figment::from(Serialized::defaults(parsed));
    let mut layers = parsed.clone();
    if file.is_file() {
        layers = layers.merge(Toml::file_exact(file));
    } else if required {
        let (path, problem) = (file.display().to_string(), "not found (or not a file)".into());
        return Err(SettingsError::File { path, problem });
    }
    for key in given {
        let value = parsed.find_value(key).map_err(|err| SettingsError::Usage(err.to_string()))?;
        layers = layers.merge(Serialized::default(key, value));
    }
    let mut settings: Settings = layers.extract().map_err(|err| from_figment(err, file))?;
    normalise(&mut settings);
    settings.validate_all()?;
    Ok(settings)
}

/// Lists come with stray spaces, repeats and trailing slashes; settle them once.
fn normalise(settings: &mut Settings) {
    let lifetimes = &mut settings.rooms.lifetimes_secs;
    lifetimes.sort_unstable();
    lifetimes.dedup();
    let origins = &mut settings.security.allowed_origins;
    origins.iter_mut().for_each(|o| *o = o.trim().trim_end_matches('/').to_owned());
    origins.retain(|o| !o.is_empty());
}

/// Every setting as declared (flag, variable, default, help): not `--config` or `--help`.
pub(super) fn setting_args(command: &Command) -> impl Iterator<Item = &Arg> {
    command.get_arguments().filter(|arg| arg.get_id().as_str().contains('.'))
}

/// Setting `key` (named with its variable) cannot be used, for this reason.
fn invalid(key: &str, problem: String) -> SettingsError {
    let command = Cli::command();
    let env = setting_args(&command).find(|arg| arg.get_id() == key).and_then(Arg::get_env);
    let env = env.map_or_else(|| "no variable".into(), |env| env.to_string_lossy().into_owned());
    SettingsError::Invalid { key: key.to_owned(), env, problem }
}

/// A refused flag or variable, in one line.
fn from_clap(err: &clap::Error) -> SettingsError {
    use clap::error::{ContextKind, ContextValue};
    let context = |kind| match err.get(kind) {
        Some(ContextValue::String(text)) => Some(text.clone()),
        _ => None,
    };
    // `--rooms.history-cap <ROOMS.HISTORY-CAP>` names the setting.
    let key = context(ContextKind::InvalidArg)
        .and_then(|arg| arg.trim_start_matches('-').split([' ', '=']).next().map(str::to_owned));
    match (key, context(ContextKind::InvalidValue)) {
        (Some(key), Some(value)) if key.contains('.') => {
            let why = std::error::Error::source(err).map(|e| format!(": {e}")).unwrap_or_default();
            invalid(&key, format!("{value:?} is not valid{why}"))
        }
        _ => {
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid command line");
            SettingsError::Usage(first.trim_start_matches("error: ").to_owned())
        }
    }
}

/// A value of the wrong type, an unknown key or a TOML syntax error in the file, in one line.
fn from_figment(err: figment::Error, file: &Path) -> SettingsError {
    use figment::error::Kind;
    let path = err.path.join(".");
    // figment's path ends with the unknown key itself.
    let problem = match &err.kind {
        Kind::UnknownField(name, _) if err.path.len() <= 1 => format!("unknown section [{name}]"),
        Kind::UnknownField(..) => format!("unknown setting {path}"),
        Kind::Message(message) if path.is_empty() => syntax_error(message),
        other => format!("{path}: {other}"),
    };
    SettingsError::File { path: file.display().to_string(), problem }
}

/// A TOML syntax error without the quoted source (which may hold a password): where it is,
/// and what is wrong.
fn syntax_error(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|line| !line.is_empty());
    let place = lines.next().unwrap_or("not valid TOML");
    let what = lines.rfind(|line| !line.starts_with('|') && !line.contains(" | "));
    match what {
        Some(what) if !what.starts_with(|c: char| c.is_ascii_digit()) => format!("{place}: {what}"),
        _ => place.to_owned(),
    }
}
