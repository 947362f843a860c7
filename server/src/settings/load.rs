//! Loading settings in layers: the declared defaults, then the settings file, then the
//! environment and command line; then every rule is checked. A value that cannot be used stops
//! start-up with one line naming the setting and its variable.

use super::Settings;
use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Args, Command, CommandFactory, FromArgMatches, Parser};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Value};
use garde::Validate;
use std::ffi::OsString;
use std::path::PathBuf;

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
struct Cli {
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
        Err(err) => return Err(from_clap(&command, &err)),
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|err| from_clap(&command, &err))?;
    let file = match cli.config {
        Some(path) => Some((path, true)),
        None => Some((PathBuf::from("Leptos.toml"), false)),
    };
    let explicit = explicit_values(&command, &matches, &cli.settings)?;
    let settings = layer(&command, file, explicit)?;
    if cli.check {
        let json = settings.to_json().map_err(|err| SettingsError::Usage(err.to_string()))?;
        return Ok(Loaded::Print(json));
    }
    Ok(Loaded::Run(Box::new(settings)))
}

impl Settings {
    /// The declared defaults, read from nothing else (tests start from these).
    pub fn defaults() -> Self {
        let command = Settings::augment_args(Command::new("server")).mut_args(|arg| arg.env(None));
        // The defaults are constants of this file; a test proves they parse and pass the rules.
        let matches = command.clone().try_get_matches_from(["server"]);
        match matches.and_then(|m| Settings::from_arg_matches(&m)) {
            Ok(settings) => settings,
            Err(err) => unreachable!("the declared defaults do not parse: {err}"),
        }
    }

    /// These settings with the file at `path` read on top (for tests of the file layer).
    pub fn with_file(path: &std::path::Path) -> Result<Self, SettingsError> {
        let command = Cli::command();
        layer(&command, Some((path.to_owned(), true)), Dict::new())
    }

    /// Checks every rule; the first broken one is the error.
    pub fn validate_all(&self) -> Result<(), SettingsError> {
        let command = Cli::command();
        check(&command, self)
    }
}

/// Defaults, then the file, then what the environment or the command line set; then the rules.
fn layer(
    command: &Command,
    file: Option<(PathBuf, bool)>,
    explicit: Dict,
) -> Result<Settings, SettingsError> {
    let mut figment = Figment::from(Serialized::defaults(Settings::defaults()));
    let mut file_name = String::new();
    if let Some((path, required)) = file {
        file_name = path.display().to_string();
        if path.is_file() {
            figment = figment.merge(Toml::file_exact(&path));
        } else if required {
            let problem = "not found (or not a file)".to_owned();
            return Err(SettingsError::File { path: file_name, problem });
        }
    }
    let figment = figment.merge(Serialized::globals(explicit));
    let mut settings: Settings = figment.extract().map_err(|err| from_figment(err, &file_name))?;
    normalise(&mut settings);
    check(command, &settings)?;
    Ok(settings)
}

/// Values the environment or the command line gave, as a nested dictionary of file keys.
fn explicit_values(
    command: &Command,
    matches: &ArgMatches,
    parsed: &Settings,
) -> Result<Dict, SettingsError> {
    let all = Value::serialize(parsed).map_err(|err| SettingsError::Usage(err.to_string()))?;
    let mut explicit = Dict::new();
    for arg in own_args(command) {
        let key = arg.get_id().as_str();
        let from_outside = matches!(
            matches.value_source(key),
            Some(ValueSource::EnvVariable | ValueSource::CommandLine)
        );
        if let (true, Some((section, name))) = (from_outside, key.split_once('.'))
            && let Some(value) = all.find_ref(key)
        {
            let section = explicit.entry(section.to_owned()).or_insert_with(|| Dict::new().into());
            if let Value::Dict(_, entries) = section {
                entries.insert(name.to_owned(), value.clone());
            }
        }
    }
    Ok(explicit)
}

/// Lists come with stray spaces, repeats and trailing slashes; settle them once.
fn normalise(settings: &mut Settings) {
    let lifetimes = &mut settings.rooms.lifetimes_secs;
    lifetimes.sort_unstable();
    lifetimes.dedup();
    let origins = &mut settings.security.allowed_origins;
    *origins = origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .collect();
}

fn check(command: &Command, settings: &Settings) -> Result<(), SettingsError> {
    if let Err(report) = settings.validate() {
        let (path, error) = report.iter().next().map_or_else(
            || (String::from("settings"), "is invalid".to_owned()),
            |(path, error)| (path.to_string(), error.message().to_owned()),
        );
        // garde names fields as written in Rust (`rooms.history_cap`, `x.list[0]`).
        let key = path.split('[').next().unwrap_or_default().replace('_', "-");
        return Err(invalid(command, &key, error));
    }
    settings.check_together().map_err(|(key, problem)| invalid(command, key, problem))
}

/// The settings' own arguments (not `--config` or `--help`).
fn own_args(command: &Command) -> impl Iterator<Item = &Arg> {
    command.get_arguments().filter(|arg| arg.get_id().as_str().contains('.'))
}

/// Every setting, as declared (with its flag, variable, default and help).
#[cfg(test)]
pub(super) fn settings_args() -> impl Iterator<Item = Arg> {
    own_args(&Cli::command()).cloned().collect::<Vec<_>>().into_iter()
}

fn invalid(command: &Command, key: &str, problem: String) -> SettingsError {
    let env = own_args(command)
        .find(|arg| arg.get_id() == key)
        .and_then(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .unwrap_or_else(|| "no variable".into());
    SettingsError::Invalid { key: key.to_owned(), env, problem }
}

/// A refused flag or variable, in one line.
fn from_clap(command: &Command, err: &clap::Error) -> SettingsError {
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
            invalid(command, &key, format!("{value:?} is not valid{why}"))
        }
        _ => {
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid command line");
            SettingsError::Usage(first.trim_start_matches("error: ").to_owned())
        }
    }
}

/// A TOML syntax error in one line, without the quoted source (which may hold a password):
/// where it is, and what is wrong.
fn syntax_error(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|line| !line.is_empty());
    let place = lines.next().unwrap_or("not valid TOML");
    let what = lines.rfind(|line| !line.starts_with('|') && !line.contains(" | "));
    match what {
        Some(what) if !what.starts_with(|c: char| c.is_ascii_digit()) => format!("{place}: {what}"),
        _ => place.to_owned(),
    }
}

/// A file value of the wrong type or an unknown key, in one line.
fn from_figment(err: figment::Error, file: &str) -> SettingsError {
    use figment::error::Kind;
    let path = err.path.join(".");
    // figment's path ends with the unknown key itself.
    let problem = match &err.kind {
        Kind::UnknownField(name, _) if err.path.len() <= 1 => format!("unknown section [{name}]"),
        Kind::UnknownField(..) => format!("unknown setting {path}"),
        Kind::Message(message) if path.is_empty() => syntax_error(message),
        other => format!("{path}: {other}"),
    };
    SettingsError::File { path: file.to_owned(), problem }
}
