//! Runtime settings: `Leptos.toml`, overridden by environment variables.
//!
//! One table ([`SPECS`]) names every setting, its file key, its variable, its default and what
//! it does; loading, `--help` and error messages all come from it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// One setting as the operator sees it.
pub struct Spec {
    /// `section.key` in the settings file.
    pub key: &'static str,
    /// The environment variable that overrides it.
    pub env: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// Every setting. Lists are comma-separated in variables and TOML arrays in the file.
pub const SPECS: &[Spec] = &[
    spec("site.addr", "LEPTOS_SITE_ADDR", "127.0.0.1:3000", "address and port to listen on"),
    spec("site.root", "LEPTOS_SITE_ROOT", "target/site", "folder of the built site (pkg/, assets)"),
    spec(
        "site.pkg-dir",
        "LEPTOS_SITE_PKG_DIR",
        "pkg",
        "folder under site.root with the wasm, js and css",
    ),
    spec(
        "site.output-name",
        "LEPTOS_OUTPUT_NAME",
        "burner",
        "file name of the built wasm, js and css",
    ),
    spec(
        "site.reload-port",
        "LEPTOS_RELOAD_PORT",
        "3001",
        "live-reload port used by `cargo leptos watch`",
    ),
    spec("site.env", "LEPTOS_ENV", "PROD", "DEV enables live reload; PROD otherwise"),
    spec(
        "backend.redis-url",
        "BURNER_REDIS_URL",
        "",
        "Redis URL; empty runs the embedded single-machine backend",
    ),
    spec(
        "backend.key-prefix",
        "BURNER_KEY_PREFIX",
        "burner",
        "prefix of every Redis key and channel",
    ),
    spec(
        "rooms.lifetimes-secs",
        "BURNER_LIFETIMES_SECS",
        "300,600,3600,86400",
        "lifetimes a room may be created with",
    ),
    spec(
        "rooms.default-lifetime-secs",
        "BURNER_DEFAULT_LIFETIME_SECS",
        "600",
        "lifetime when none is asked for",
    ),
    spec(
        "rooms.default-capacity",
        "BURNER_DEFAULT_CAPACITY",
        "2",
        "seats when none are asked for (2-10)",
    ),
    spec(
        "rooms.history-cap",
        "BURNER_HISTORY_CAP",
        "500",
        "messages kept per room; older ones are dropped",
    ),
    spec(
        "security.allowed-origins",
        "BURNER_ALLOWED_ORIGINS",
        "",
        "extra Origins allowed to open WebSockets",
    ),
    spec(
        "security.secure-cookies",
        "BURNER_SECURE_COOKIES",
        "false",
        "mark seat cookies Secure (site served over HTTPS)",
    ),
    spec(
        "security.trust-proxy",
        "BURNER_TRUST_PROXY",
        "false",
        "take client addresses from X-Forwarded-For",
    ),
    spec(
        "limits.rooms-per-minute",
        "BURNER_ROOMS_PER_MINUTE",
        "10",
        "rooms one client address may create per minute",
    ),
    spec(
        "limits.messages-burst",
        "BURNER_MESSAGES_BURST",
        "10",
        "messages a seat may send at once",
    ),
    spec(
        "limits.messages-per-second",
        "BURNER_MESSAGES_PER_SECOND",
        "2",
        "messages a seat may send per second after the burst",
    ),
    spec("log.filter", "BURNER_LOG", "info", "log filter (tracing EnvFilter syntax)"),
];

const fn spec(
    key: &'static str,
    env: &'static str,
    default: &'static str,
    help: &'static str,
) -> Spec {
    Spec { key, env, default, help }
}

/// The settings of one server instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub site_addr: SocketAddr,
    pub site_root: String,
    pub site_pkg_dir: String,
    pub output_name: String,
    pub reload_port: u32,
    pub dev: bool,
    /// `None` selects the embedded backend.
    pub redis_url: Option<String>,
    pub key_prefix: String,
    pub lifetimes_secs: Vec<u64>,
    pub default_lifetime_secs: u64,
    pub default_capacity: u8,
    pub history_cap: u32,
    pub allowed_origins: Vec<String>,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub rooms_per_minute: u32,
    pub messages_burst: u32,
    pub messages_per_second: f64,
    pub log_filter: String,
}

/// A setting that cannot be used, named so the operator can fix it in one go.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("setting {key} ({env}): {problem}")]
    Invalid { key: &'static str, env: &'static str, problem: String },
    #[error("settings file {path}: {problem}")]
    File { path: String, problem: String },
}

impl Settings {
    /// Loads `path` (when it exists; required when `required`) and applies `env` on top.
    pub fn load(
        path: &Path,
        required: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let file = read_file(path, required)?;
        let mut raw = BTreeMap::new();
        for spec in SPECS {
            let value = env(spec.env)
                .or_else(|| file.get(spec.key).cloned())
                .unwrap_or_else(|| spec.default.to_owned());
            raw.insert(spec.key, value);
        }
        Self::from_raw(&raw)
    }

    /// The defaults, with these overrides by file key (for tests).
    pub fn with(overrides: &[(&str, &str)]) -> Result<Self, SettingsError> {
        let mut raw: BTreeMap<&'static str, String> =
            SPECS.iter().map(|s| (s.key, s.default.to_owned())).collect();
        for (key, value) in overrides {
            let spec = SPECS.iter().find(|s| s.key == *key).ok_or_else(|| SettingsError::File {
                path: "(overrides)".into(),
                problem: format!("unknown setting {key}"),
            })?;
            raw.insert(spec.key, (*value).to_owned());
        }
        Self::from_raw(&raw)
    }

    fn from_raw(raw: &BTreeMap<&'static str, String>) -> Result<Self, SettingsError> {
        let get = |key: &'static str| -> Field<'_> {
            let spec = SPECS.iter().find(|s| s.key == key);
            Field {
                key,
                env: spec.map_or("", |s| s.env),
                value: raw.get(key).map_or("", String::as_str),
            }
        };
        let settings = Settings {
            site_addr: get("site.addr").parse("an address like 127.0.0.1:3000")?,
            site_root: get("site.root").text()?,
            site_pkg_dir: get("site.pkg-dir").text()?,
            output_name: get("site.output-name").text()?,
            reload_port: get("site.reload-port").parse("a port number")?,
            dev: get("site.env").one_of(&["DEV", "PROD"])? == "DEV",
            redis_url: get("backend.redis-url").redis_url()?,
            key_prefix: get("backend.key-prefix").key_prefix()?,
            lifetimes_secs: get("rooms.lifetimes-secs").list("whole seconds")?,
            default_lifetime_secs: get("rooms.default-lifetime-secs").parse("whole seconds")?,
            default_capacity: get("rooms.default-capacity").within(2, 10)?,
            history_cap: get("rooms.history-cap").within(1, 100_000)?,
            allowed_origins: get("security.allowed-origins").origins()?,
            secure_cookies: get("security.secure-cookies").parse("true or false")?,
            trust_proxy: get("security.trust-proxy").parse("true or false")?,
            rooms_per_minute: get("limits.rooms-per-minute").within(1, 1_000_000)?,
            messages_burst: get("limits.messages-burst").within(1, 1_000_000)?,
            messages_per_second: get("limits.messages-per-second").positive()?,
            log_filter: get("log.filter").text()?,
        };
        if !settings.lifetimes_secs.contains(&settings.default_lifetime_secs) {
            return Err(get("rooms.default-lifetime-secs")
                .problem("must be one of rooms.lifetimes-secs".into()));
        }
        Ok(settings)
    }

    /// The Leptos options these settings describe.
    pub fn leptos_options(&self) -> leptos::config::LeptosOptions {
        leptos::config::LeptosOptions::builder()
            .output_name(self.output_name.as_str())
            .site_root(self.site_root.as_str())
            .site_pkg_dir(self.site_pkg_dir.as_str())
            .site_addr(self.site_addr)
            .reload_port(self.reload_port)
            .env(if self.dev { leptos::config::Env::DEV } else { leptos::config::Env::PROD })
            .build()
    }
}

struct Field<'a> {
    key: &'static str,
    env: &'static str,
    value: &'a str,
}

impl Field<'_> {
    fn problem(&self, problem: String) -> SettingsError {
        SettingsError::Invalid { key: self.key, env: self.env, problem }
    }

    fn text(&self) -> Result<String, SettingsError> {
        if self.value.trim().is_empty() {
            Err(self.problem("must not be empty".into()))
        } else {
            Ok(self.value.trim().to_owned())
        }
    }

    fn parse<T: std::str::FromStr>(&self, expected: &str) -> Result<T, SettingsError> {
        self.value
            .trim()
            .parse()
            .map_err(|_| self.problem(format!("{:?} is not {expected}", self.value)))
    }

    fn within<T>(&self, min: T, max: T) -> Result<T, SettingsError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let value: T = self.parse("a whole number")?;
        if value < min || value > max {
            return Err(self.problem(format!("{value} is not between {min} and {max}")));
        }
        Ok(value)
    }

    fn positive(&self) -> Result<f64, SettingsError> {
        let value: f64 = self.parse("a number")?;
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(self.problem(format!("{value} is not a positive number")))
        }
    }

    fn one_of(&self, allowed: &[&str]) -> Result<String, SettingsError> {
        let value = self.value.trim().to_ascii_uppercase();
        if allowed.contains(&value.as_str()) {
            Ok(value)
        } else {
            Err(self.problem(format!("{:?} is not one of {}", self.value, allowed.join(", "))))
        }
    }

    fn list(&self, expected: &str) -> Result<Vec<u64>, SettingsError> {
        let items: Result<Vec<u64>, _> = self
            .value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect();
        match items {
            Ok(items) if !items.is_empty() && items.iter().all(|s| *s > 0) => Ok(items),
            _ => Err(self.problem(format!("{:?} is not a list of {expected}", self.value))),
        }
    }

    fn redis_url(&self) -> Result<Option<String>, SettingsError> {
        let url = self.value.trim();
        if url.is_empty() {
            return Ok(None);
        }
        if !(url.starts_with("redis://")
            || url.starts_with("rediss://")
            || url.starts_with("unix://"))
        {
            return Err(
                self.problem(format!("{url:?} is not a redis://, rediss:// or unix:// URL"))
            );
        }
        Ok(Some(url.to_owned()))
    }

    fn key_prefix(&self) -> Result<String, SettingsError> {
        let prefix = self.text()?;
        if prefix.contains(['{', '}', ' ']) {
            return Err(self.problem("must not contain braces or spaces".into()));
        }
        Ok(prefix)
    }

    fn origins(&self) -> Result<Vec<String>, SettingsError> {
        let origins: Vec<String> = self
            .value
            .split(',')
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(bad) =
            origins.iter().find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(self.problem(format!("{bad:?} is not an origin like https://chat.example")));
        }
        Ok(origins)
    }
}

/// Reads the settings file into `section.key → value` strings.
fn read_file(path: &Path, required: bool) -> Result<BTreeMap<String, String>, SettingsError> {
    let file_error =
        |problem: String| SettingsError::File { path: path.display().to_string(), problem };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(BTreeMap::new());
        }
        Err(e) => return Err(file_error(e.to_string())),
    };
    let table: toml::Table =
        text.parse().map_err(|e: toml::de::Error| file_error(e.message().to_owned()))?;
    let mut flat = BTreeMap::new();
    for (section, entries) in table {
        let toml::Value::Table(entries) = entries else {
            return Err(file_error(format!("{section} must be a [section]")));
        };
        for (name, value) in entries {
            let key = format!("{section}.{name}");
            if !SPECS.iter().any(|s| s.key == key) {
                return Err(file_error(format!("unknown setting {key}")));
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            flat.insert(key, text);
        }
    }
    Ok(flat)
}

/// What the server prints for `--help`.
pub fn help_text() -> String {
    let mut out = String::from(
        "Burner: private, self-destructing chat rooms.\n\n\
         Usage: server [--config PATH]\n\n\
         Settings are read from Leptos.toml in the working directory (or --config PATH, or\n\
         BURNER_CONFIG), and each can be overridden by its environment variable:\n\n",
    );
    for spec in SPECS {
        let default = if spec.default.is_empty() { "(empty)" } else { spec.default };
        out.push_str(&format!(
            "  {:<28} {:<30} {}\n  {:<28} {:<30} default: {}\n",
            spec.key, spec.env, spec.help, "", "", default
        ));
    }
    out
}

/// Where the settings file is: `--config PATH`, else `BURNER_CONFIG`, else `Leptos.toml`.
/// The second value says whether it must exist.
pub fn config_path(args: &[String], env: impl Fn(&str) -> Option<String>) -> (PathBuf, bool) {
    if let Some(i) = args.iter().position(|a| a == "--config")
        && let Some(path) = args.get(i + 1)
    {
        return (PathBuf::from(path), true);
    }
    match env("BURNER_CONFIG") {
        Some(path) => (PathBuf::from(path), true),
        None => (PathBuf::from("Leptos.toml"), false),
    }
}

#[cfg(test)]
mod tests;
