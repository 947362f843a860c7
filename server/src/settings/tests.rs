//! Settings: file, environment, defaults and the errors an operator sees.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

fn write(contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("burner-settings-{}.toml", nanoid::nanoid!(8)));
    std::fs::write(&path, contents).expect("temp file");
    path
}

#[test]
fn the_shipped_leptos_toml_loads_and_selects_the_embedded_backend() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"));
    let settings = Settings::load(path, true, env(&[])).expect("Leptos.toml is valid");
    assert_eq!(settings.redis_url, None);
    assert_eq!(settings.site_addr.to_string(), "127.0.0.1:3000");
    assert_eq!(settings.lifetimes_secs, [300, 600, 3600, 86400]);
    assert_eq!((settings.default_lifetime_secs, settings.default_capacity), (600, 2));
    assert_eq!(settings.history_cap, 500);
}

#[test]
fn without_a_file_the_defaults_apply() {
    let settings =
        Settings::load(Path::new("/nonexistent/Leptos.toml"), false, env(&[])).expect("defaults");
    assert_eq!(settings, Settings::with(&[]).expect("defaults"));
}

#[test]
fn a_required_file_that_is_missing_is_an_error() {
    let err = Settings::load(Path::new("/nonexistent/x.toml"), true, env(&[])).unwrap_err();
    assert!(err.to_string().starts_with("settings file /nonexistent/x.toml:"), "{err}");
}

#[test]
fn the_environment_overrides_the_file() {
    let path = write("[backend]\nredis-url = \"redis://file:6379\"\n[rooms]\nhistory-cap = 50\n");
    let settings =
        Settings::load(&path, true, env(&[("BURNER_REDIS_URL", "redis://env:6379")])).expect("ok");
    assert_eq!(settings.redis_url.as_deref(), Some("redis://env:6379"));
    assert_eq!(settings.history_cap, 50);
    let embedded = Settings::load(&path, true, env(&[("BURNER_REDIS_URL", "")])).expect("ok");
    assert_eq!(embedded.redis_url, None, "an empty variable selects the embedded backend");
}

#[test]
fn lists_come_as_toml_arrays_or_comma_separated_variables() {
    let path = write(
        "[rooms]\nlifetimes-secs = [60, 600]\n[security]\nallowed-origins = [\"https://a.example/\"]\n",
    );
    let settings = Settings::load(&path, true, env(&[])).expect("ok");
    assert_eq!(settings.lifetimes_secs, [60, 600]);
    assert_eq!(settings.allowed_origins, ["https://a.example"]);
    let from_env =
        Settings::load(&path, true, env(&[("BURNER_LIFETIMES_SECS", "5, 600 ,60")])).expect("ok");
    assert_eq!(from_env.lifetimes_secs, [5, 600, 60]);
}

#[test]
fn a_bad_setting_is_named_with_its_variable_and_the_problem() {
    let cases = [
        (
            "LEPTOS_SITE_ADDR",
            "localhost",
            "setting site.addr (LEPTOS_SITE_ADDR): \"localhost\" is not an address",
        ),
        ("BURNER_REDIS_URL", "http://x", "setting backend.redis-url (BURNER_REDIS_URL)"),
        ("BURNER_DEFAULT_CAPACITY", "11", "11 is not between 2 and 10"),
        ("BURNER_HISTORY_CAP", "lots", "\"lots\" is not a whole number"),
        ("BURNER_SECURE_COOKIES", "yes", "\"yes\" is not true or false"),
        ("BURNER_ALLOWED_ORIGINS", "example.com", "is not an origin"),
        ("BURNER_DEFAULT_LIFETIME_SECS", "7", "must be one of rooms.lifetimes-secs"),
        ("BURNER_KEY_PREFIX", "a{b}", "must not contain braces"),
        ("BURNER_MESSAGES_PER_SECOND", "-1", "is not a positive number"),
        ("LEPTOS_ENV", "staging", "is not one of DEV, PROD"),
    ];
    for (var, value, expected) in cases {
        let err = Settings::load(Path::new("/none"), false, env(&[(var, value)])).unwrap_err();
        let line = err.to_string();
        assert!(line.contains(expected), "{var}={value}: {line}");
        assert!(!line.contains('\n'), "one line: {line}");
    }
}

#[test]
fn an_unknown_key_in_the_file_is_an_error_not_silently_ignored() {
    let path = write("[rooms]\nhistroy-cap = 10\n");
    let err = Settings::load(&path, true, env(&[])).unwrap_err();
    assert!(err.to_string().contains("unknown setting rooms.histroy-cap"), "{err}");
    let broken = write("[rooms\n");
    assert!(Settings::load(&broken, true, env(&[])).is_err());
}

#[test]
fn the_config_path_comes_from_the_flag_then_the_variable_then_the_default() {
    let args = vec!["--config".to_owned(), "/etc/burner.toml".to_owned()];
    assert_eq!(config_path(&args, env(&[])), (PathBuf::from("/etc/burner.toml"), true));
    let from_env = config_path(&[], env(&[("BURNER_CONFIG", "/b.toml")]));
    assert_eq!(from_env, (PathBuf::from("/b.toml"), true));
    assert_eq!(config_path(&[], env(&[])), (PathBuf::from("Leptos.toml"), false));
}

#[test]
fn help_lists_every_setting_and_its_variable() {
    let help = help_text();
    for spec in SPECS {
        assert!(help.contains(spec.key) && help.contains(spec.env), "{}", spec.key);
    }
}

#[test]
fn leptos_options_follow_the_settings() {
    let settings = Settings::with(&[("site.root", "/srv/site"), ("site.env", "dev")]).expect("ok");
    let options = settings.leptos_options();
    assert_eq!(&*options.site_root, "/srv/site");
    assert_eq!(&*options.output_name, "burner");
    assert_eq!(options.env, leptos::config::Env::DEV);
}
