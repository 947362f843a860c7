//! Settings: the declaration, the file layer, the rules and the errors an operator sees. (The
//! environment layer is read by the real binary in `tests/api/binary.rs`.)

use super::load::{Cli, layer, setting_args};
use super::*;
use clap::CommandFactory;
use std::path::{Path, PathBuf};

fn write(contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("burner-settings-{}.toml", nanoid::nanoid!(8)));
    std::fs::write(&path, contents).expect("temp file");
    path
}

/// The declared defaults with the file at `path` read on top.
fn with_file(path: &Path) -> Result<Settings, SettingsError> {
    layer(&Settings::defaults(), (path, true), &[])
}

/// Settings from these command-line flags (the same parsing as their variables).
fn flags(args: &[&str]) -> Result<Settings, SettingsError> {
    let none = write("");
    let mut all = vec!["server", "--config", none.to_str().unwrap_or_default()];
    all.extend_from_slice(args);
    match load(all)? {
        Loaded::Run(settings) => Ok(*settings),
        Loaded::Print(_) => panic!("printed instead of running"),
    }
}

#[test]
fn the_declared_defaults_pass_every_rule() {
    let defaults = Settings::defaults();
    assert!(defaults.validate_all().is_ok());
    assert_eq!(defaults.backend.redis_url.as_deref(), None);
    assert_eq!((defaults.rooms.default_capacity, defaults.rooms.history_cap), (2, 500));
}

#[test]
fn the_shipped_leptos_toml_loads_and_selects_the_embedded_backend() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"));
    let settings = with_file(path).expect("Leptos.toml is valid");
    assert_eq!(settings.backend.redis_url.as_deref(), None);
    assert_eq!(settings.site.addr.to_string(), "127.0.0.1:3000");
    assert_eq!(settings.rooms.lifetimes_secs, [300, 600, 3600, 86400]);
    assert_eq!((settings.rooms.default_lifetime_secs, settings.rooms.default_capacity), (600, 2));
    assert_eq!(settings.rooms.history_cap, 500);
}

#[test]
fn every_setting_is_a_file_key_under_its_section() {
    // The flag (and file key) of each setting is its section and field name, so the file,
    // the flags and the variables can never name different things.
    let all = figment::value::Value::serialize(Settings::defaults()).expect("serializable");
    let mut keys = 0;
    for arg in setting_args(&Cli::command()) {
        let key = arg.get_id().as_str();
        assert!(all.find_ref(key).is_some(), "{key} is not a field of its section");
        assert_eq!(arg.get_long(), Some(key));
        assert!(arg.get_env().is_some(), "{key} has no variable");
        keys += 1;
    }
    let fields: usize = all
        .into_dict()
        .map(|sections| sections.values().filter_map(|s| s.as_dict()).map(|d| d.len()).sum())
        .unwrap_or(0);
    assert_eq!(keys, fields, "every field is a setting");
}

#[test]
fn a_required_file_that_is_missing_is_an_error() {
    let err = with_file(Path::new("/nonexistent/x.toml")).unwrap_err();
    assert!(err.to_string().starts_with("settings file /nonexistent/x.toml:"), "{err}");
}

#[test]
fn the_file_sets_values_and_lists_are_toml_arrays() {
    let path = write(
        "[rooms]\nhistory-cap = 50\nlifetimes-secs = [60, 600]\n\
         [security]\nallowed-origins = [\"https://a.example/\"]\n",
    );
    let settings = with_file(&path).expect("ok");
    assert_eq!(settings.rooms.history_cap, 50);
    assert_eq!(settings.rooms.lifetimes_secs, [60, 600]);
    assert_eq!(settings.security.allowed_origins, ["https://a.example"]);
}

#[test]
fn flags_take_lists_comma_separated() {
    let settings = flags(&["--rooms.lifetimes-secs", "5, 600 ,60", "--rooms.history-cap=7"]);
    let settings = settings.expect("ok");
    assert_eq!(settings.rooms.lifetimes_secs, [5, 60, 600], "sorted");
    assert_eq!(settings.rooms.history_cap, 7);
}

#[test]
fn a_bad_setting_is_named_with_its_variable_and_the_problem() {
    let cases = [
        (
            "site.addr",
            "localhost",
            "setting site.addr (LEPTOS_SITE_ADDR): \"localhost\" is not valid",
        ),
        ("backend.redis-url", "http://x", "setting backend.redis-url (BURNER_REDIS_URL)"),
        ("backend.redis-url", "redis://a:7000,http://b:7001", "scheme \"http\" is not redis://"),
        ("backend.redis-mode", "sentinel", "(BURNER_REDIS_MODE): \"sentinel\" is not valid"),
        ("rooms.default-capacity", "4", "must be one of rooms.capacities"),
        ("rooms.capacities", "2,11", "11 is not between 2 and 10"),
        ("rooms.history-cap", "lots", "(BURNER_HISTORY_CAP): \"lots\" is not valid"),
        ("security.secure-cookies", "yes", "(BURNER_SECURE_COOKIES): \"yes\" is not valid"),
        ("security.allowed-origins", "example.com", "is not an origin"),
        ("rooms.default-lifetime-secs", "7", "must be one of rooms.lifetimes-secs"),
        ("backend.key-prefix", "a{b}", "must not contain braces"),
        ("limits.messages-per-second", "-1", "is not a positive number"),
        ("site.env", "staging", "(LEPTOS_ENV): \"staging\" is not valid"),
        ("log.filter", "info,[", "(BURNER_LOG): \"info,[\" is not a log filter"),
        (
            "tls.cert",
            "/x.pem",
            "setting tls.key (BURNER_TLS_KEY): tls.cert and tls.key go together",
        ),
        (
            "metrics.addr",
            "9100",
            "setting metrics.addr (BURNER_METRICS_ADDR): \"9100\" is not valid",
        ),
        ("backend.address-secret", "too short", "must have at least 32 characters"),
    ];
    for (key, value, expected) in cases {
        let flag = format!("--{key}={value}");
        // A Redis URL needs the address secret beside it (checked below on its own).
        let secret = "--backend.address-secret=0123456789abcdef0123456789abcdef";
        let err = flags(&[secret, &flag]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(expected), "{key}={value}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn a_bad_value_in_the_file_is_named_like_one_from_the_environment() {
    let path = write("[rooms]\nhistory-cap = 0\n");
    let err = with_file(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        "setting rooms.history-cap (BURNER_HISTORY_CAP): 0 is not between 1 and 100000"
    );
    let typed = write("[rooms]\nhistory-cap = \"lots\"\n");
    let err = with_file(&typed).unwrap_err().to_string();
    assert!(err.contains("rooms.history-cap") && err.contains("invalid type"), "{err}");
}

#[test]
fn an_unknown_key_in_the_file_is_an_error_not_silently_ignored() {
    let path = write("[rooms]\nhistroy-cap = 10\n");
    let err = with_file(&path).unwrap_err();
    assert!(err.to_string().contains("unknown setting rooms.histroy-cap"), "{err}");
    let section = write("[room]\nhistory-cap = 10\n");
    let err = with_file(&section).unwrap_err();
    assert!(err.to_string().contains("unknown section [room]"), "{err}");
    let broken = write("[rooms\n");
    assert!(with_file(&broken).is_err());
}

#[test]
fn an_empty_value_is_none_wherever_it_is_written() {
    let path = write("[backend]\nredis-url = \"\"\n[metrics]\naddr = \" \"\n");
    let settings = with_file(&path).expect("ok");
    assert_eq!((settings.backend.redis_url.as_deref(), settings.metrics.addr), (None, None));
    let settings = flags(&["--metrics.addr=", "--backend.redis-url", " "]).expect("ok");
    assert_eq!((settings.backend.redis_url.as_deref(), settings.metrics.addr), (None, None));
    let settings = flags(&["--metrics.addr= 127.0.0.1:9 ", "--tls.cert=c", "--tls.key=k"]);
    let settings = settings.expect("ok");
    assert_eq!(settings.metrics.addr, Some(([127, 0, 0, 1], 9).into()));
    assert_eq!(settings.tls_files(), Some(("c", "k")));
}

#[test]
fn a_redis_password_is_never_repeated_in_an_error() {
    let err = flags(&["--backend.redis-url=http://user:hunter2@host"]).unwrap_err().to_string();
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn help_lists_every_setting_with_its_variable_and_default() {
    let Ok(Loaded::Print(help)) = load(["server", "--help"]) else { panic!("help") };
    for arg in setting_args(&Cli::command()) {
        let key = arg.get_id().as_str();
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
        assert!(help.contains(&format!("--{key}")) && help.contains(&env), "{key}");
    }
    assert!(help.contains("[default: 500]"));
}

#[test]
fn the_readme_table_is_the_help() {
    let readme = include_str!("../../../README.md");
    let rows: Vec<(String, String, String, String)> = readme
        .lines()
        .filter(|line| line.starts_with("| `") && line.matches('|').count() == 5)
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let unquote = |s: &str| s.trim_matches('`').to_owned();
            (unquote(cells[1]), unquote(cells[2]), unquote(cells[3]), cells[4].to_owned())
        })
        .filter(|(key, ..)| key.contains('.'))
        .collect();
    let expected: Vec<(String, String, String, String)> = setting_args(&Cli::command())
        .map(|arg| {
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
            let default: Vec<String> =
                arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            let default = Some(default.join(",")).filter(|d| !d.is_empty());
            (arg.get_id().to_string(), env, default.unwrap_or_else(|| "(empty)".into()), help)
        })
        .collect();
    let table: String = expected
        .iter()
        .map(|(k, e, d, h)| match d.as_str() {
            "(empty)" => format!("| `{k}` | `{e}` | (empty) | {h} |\n"),
            _ => format!("| `{k}` | `{e}` | `{d}` | {h} |\n"),
        })
        .collect();
    assert_eq!(rows, expected, "the README's settings table should read:\n{table}");
}

#[test]
fn redis_needs_the_address_secret_and_it_is_never_shown() {
    let err = flags(&["--backend.redis-url=redis://db:6379"]).err().map(|e| e.to_string());
    let err = err.unwrap_or_default();
    assert!(
        err.contains(
            "setting backend.address-secret (BURNER_ADDRESS_SECRET): is required with \
                      backend.redis-url"
        ),
        "{err}"
    );
    assert!(!err.contains('\n'), "one line: {err}");
    let secret = "--backend.address-secret=a secret of at least thirty-two characters";
    let settings = flags(&["--backend.redis-url=redis://db:6379", secret]).expect("valid");
    let shown = settings.to_json().unwrap_or_default();
    assert!(shown.contains("\"address-secret\": \"***\"") && !shown.contains("thirty"), "{shown}");
    assert!(flags(&[]).is_ok(), "the embedded backend makes its own");
}

#[test]
fn leptos_options_follow_the_settings() {
    let mut settings = Settings::defaults();
    settings.site.root = "/srv/site".into();
    settings.site.env = SiteEnv::Dev;
    let options = settings.leptos_options();
    assert_eq!(&*options.site_root, "/srv/site");
    assert_eq!(&*options.output_name, "burner");
    assert_eq!(options.env, leptos::config::Env::DEV);
}
