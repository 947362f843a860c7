//! Logs to stderr: text for people, or JSON (one object a line) for collectors, filtered by
//! `log.filter`. Requests and sockets log within spans carrying an id; message texts, names,
//! tokens and cookies are never logged, and room ids only at debug level.

use crate::settings::{Log, LogFormat};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Starts logging; the filter was checked with the settings. A second call (tests build many
/// apps in one process) keeps the first subscriber.
pub fn init(log: &Log) -> Result<(), String> {
    let filter = EnvFilter::builder().parse(&log.filter).map_err(|e| e.to_string())?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_span_events(FmtSpan::NONE)
            .try_init(),
    };
    Ok(())
}
