//! The rules settings are held to, each written once. garde calls them with the value and an
//! empty context, whichever layer the value came from.

/// A value as people write it, spaces around it allowed: ` 50 `.
pub(super) fn trimmed<T: std::str::FromStr>(value: &str) -> Result<T, T::Err> {
    value.trim().parse()
}

/// A list item as people write it: `5, 600 ,60`.
pub(super) fn whole_number(item: &str) -> Result<u64, std::num::ParseIntError> {
    item.trim().parse()
}

pub(super) fn not_blank(value: &str, _: &()) -> garde::Result {
    if value.trim().is_empty() { Err(garde::Error::new("must not be empty")) } else { Ok(()) }
}

pub(super) fn between<T>(min: T, max: T) -> impl FnOnce(&T, &()) -> garde::Result
where
    T: PartialOrd + std::fmt::Display,
{
    move |value, _| {
        if *value < min || *value > max {
            Err(garde::Error::new(format!("{value} is not between {min} and {max}")))
        } else {
            Ok(())
        }
    }
}

pub(super) fn positive(value: &f64, _: &()) -> garde::Result {
    if value.is_finite() && *value > 0.0 {
        Ok(())
    } else {
        Err(garde::Error::new(format!("{value} is not a positive number")))
    }
}

pub(super) fn redis_scheme(url: &str, _: &()) -> garde::Result {
    let url = url.trim();
    let known = ["redis://", "rediss://", "unix://"].iter().any(|scheme| url.starts_with(scheme));
    if url.is_empty() || known {
        Ok(())
    } else {
        // Only the scheme is shown: the rest may hold a password.
        let scheme = url.split_once("://").map_or("(none)", |(scheme, _)| scheme);
        Err(garde::Error::new(format!("scheme {scheme:?} is not redis://, rediss:// or unix://")))
    }
}

pub(super) fn key_safe(prefix: &str, context: &()) -> garde::Result {
    not_blank(prefix, context)?;
    if prefix.contains(['{', '}', ' ']) {
        return Err(garde::Error::new("must not contain braces or spaces"));
    }
    Ok(())
}

pub(super) fn origin_shape(origin: &str, _: &()) -> garde::Result {
    if origin.starts_with("http://") || origin.starts_with("https://") {
        Ok(())
    } else {
        Err(garde::Error::new(format!("{origin:?} is not an origin like https://chat.example")))
    }
}

pub(super) fn filter_syntax(filter: &str, _: &()) -> garde::Result {
    tracing_subscriber::EnvFilter::builder()
        .parse(filter)
        .map(|_| ())
        .map_err(|err| garde::Error::new(format!("{filter:?} is not a log filter: {err}")))
}

pub(super) fn optional_address(addr: &str, _: &()) -> garde::Result {
    let addr = addr.trim();
    if addr.is_empty() || addr.parse::<std::net::SocketAddr>().is_ok() {
        Ok(())
    } else {
        Err(garde::Error::new(format!("{addr:?} is not an address like 127.0.0.1:9100 (or empty)")))
    }
}
