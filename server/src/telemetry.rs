//! Logs to stderr, filtered by the `log.filter` setting (checked when settings load). No message
//! content is ever logged.

use crate::settings::Log;
use tracing_subscriber::EnvFilter;

pub fn init(log: &Log) {
    // The filter was validated with the settings; "info" is only for a filter that a test
    // built by hand.
    let filter = EnvFilter::try_new(&log.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}
