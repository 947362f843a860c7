//! How a setting's value is read (spaces around it allowed, empty for none) and the rules it is
//! held to, each written once. garde calls a rule with the value and an empty context,
//! whichever layer the value came from.

use std::fmt::Display;
use std::str::FromStr;

/// A value as people write it, spaces around it allowed: ` 50 `, `5, 600 ,60`.
pub(super) fn trimmed<T: FromStr>(value: &str) -> Result<T, T::Err> {
    value.trim().parse()
}

/// A value that may be left empty for none.
pub(super) fn optional<T: FromStr>(value: &str) -> Result<Option<T>, T::Err> {
    Some(value.trim()).filter(|value| !value.is_empty()).map(str::parse).transpose()
}

/// [`optional`], for a value in the settings file (`key = ""` is none).
pub(super) fn optional_in_file<'de, D, T>(value: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr<Err: Display>,
{
    let text: Option<String> = serde::Deserialize::deserialize(value)?;
    text.map_or(Ok(None), |text| optional(&text).map_err(serde::de::Error::custom))
}

/// `Ok` if the rule holds; otherwise the `problem`.
fn rule(holds: bool, problem: impl FnOnce() -> String) -> garde::Result {
    if holds { Ok(()) } else { Err(garde::Error::new(problem())) }
}

pub(super) fn not_blank(value: &str, _: &()) -> garde::Result {
    rule(!value.trim().is_empty(), || "must not be empty".into())
}

pub(super) fn between<T: PartialOrd + Display>(
    min: T,
    max: T,
) -> impl FnOnce(&T, &()) -> garde::Result {
    move |value, _| {
        rule(min <= *value && *value <= max, || format!("{value} is not between {min} and {max}"))
    }
}

pub(super) fn positive(value: &f64, _: &()) -> garde::Result {
    rule(value.is_finite() && *value > 0.0, || format!("{value} is not a positive number"))
}

/// One of the `values` of the setting `name`.
pub(super) fn one_of<'a, T: PartialEq>(
    values: &'a [T],
    name: &'a str,
) -> impl FnOnce(&T, &()) -> garde::Result {
    move |value, _| rule(values.contains(value), || format!("must be one of {name}"))
}

/// Set if, and only if, `other` is set (`names` names both).
pub(super) fn both_or_neither<'a, T, U>(
    other: &'a Option<U>,
    names: &'a str,
) -> impl FnOnce(&Option<T>, &()) -> garde::Result {
    move |value, _| {
        rule(value.is_some() == other.is_some(), || {
            format!("{names} go together: set both or neither")
        })
    }
}

/// The secret that names client addresses: required with a Redis URL, and long enough not
/// to be guessed.
pub(super) fn secret_with_redis<'a>(
    redis_url: &'a Option<String>,
) -> impl FnOnce(&Option<String>, &()) -> garde::Result + 'a {
    move |secret, _| match (secret, redis_url) {
        (None, Some(_)) => Err(garde::Error::new(
            "is required with backend.redis-url: give every instance sharing Redis the same \
             secret of 32 or more characters (e.g. `openssl rand -base64 32`)",
        )),
        (Some(secret), _) => rule(secret.chars().count() >= 32, || {
            "must have at least 32 characters (e.g. `openssl rand -base64 32`)".into()
        }),
        (None, None) => Ok(()),
    }
}

/// Each URL of a comma-separated list (a cluster's seed nodes) must be a Redis URL.
pub(super) fn redis_scheme(urls: &str, _: &()) -> garde::Result {
    for url in urls.split(',').map(str::trim).filter(|url| !url.is_empty()) {
        // Only the scheme is shown: the rest may hold a password.
        let scheme = url.split_once("://").map_or("(none)", |(scheme, _)| scheme);
        rule(["redis", "rediss", "unix"].contains(&scheme), || {
            format!("scheme {scheme:?} is not redis://, rediss:// or unix://")
        })?;
    }
    Ok(())
}

pub(super) fn key_safe(prefix: &str, context: &()) -> garde::Result {
    not_blank(prefix, context)?;
    rule(!prefix.contains(['{', '}', ' ']), || "must not contain braces or spaces".into())
}

pub(super) fn origin_shape(origin: &str, _: &()) -> garde::Result {
    rule(origin.starts_with("http://") || origin.starts_with("https://"), || {
        format!("{origin:?} is not an origin like https://chat.example")
    })
}

pub(super) fn filter_syntax(filter: &str, _: &()) -> garde::Result {
    let parsed = tracing_subscriber::EnvFilter::builder().parse(filter);
    parsed
        .map(drop)
        .map_err(|err| garde::Error::new(format!("{filter:?} is not a log filter: {err}")))
}
