//! Runtime settings, declared once: each setting is one field below, with its doc comment (the
//! `--help` text), its key in the settings file (`section.key`), its environment variable, its
//! default and its rule. `clap` reads the environment and renders `--help` from this
//! declaration, `figment` layers it (defaults, then the file, then the environment) and `garde`
//! checks the result, whichever layer a value came from. See [`load`] for the layering.

mod derived;
mod load;
mod rules;

pub use load::{Loaded, SettingsError, load};

use app::model::CAPACITY_RANGE;
use clap::{ArgAction::Set, Args, ValueEnum};
use garde::Validate;
use rules::{
    between, both_or_neither, filter_syntax, key_safe, not_blank, one_of, optional,
    optional_in_file, origin_shape, positive, redis_scheme, secret_with_redis, trimmed,
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// A setting that may be none, written as an empty value (`VAR=`, `key = ""`). This is `Option`
/// under another name: clap reads a field typed `Option<T>` as a flag that may be left out and
/// parses its value as a `T`, so an empty value could not become `None`.
pub type Maybe<T> = Option<T>;

/// The settings of one server instance.
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[command(flatten, next_help_heading = "[site]")]
    #[garde(dive)]
    pub site: Site,
    #[command(flatten, next_help_heading = "[backend]")]
    #[garde(dive)]
    pub backend: Backend,
    #[command(flatten, next_help_heading = "[rooms]")]
    #[garde(dive)]
    pub rooms: Rooms,
    #[command(flatten, next_help_heading = "[security]")]
    #[garde(dive)]
    pub security: Security,
    #[command(flatten, next_help_heading = "[tls]")]
    #[garde(dive)]
    pub tls: Tls,
    #[command(flatten, next_help_heading = "[limits]")]
    #[garde(dive)]
    pub limits: Limits,
    #[command(flatten, next_help_heading = "[log]")]
    #[garde(dive)]
    pub log: Log,
    #[command(flatten, next_help_heading = "[metrics]")]
    #[garde(dive)]
    pub metrics: Metrics,
}

/// Where the site is served from (these keep cargo-leptos's variable names).
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[garde(allow_unvalidated)]
pub struct Site {
    /// Address and port to listen on.
    #[arg(id = "site.addr", long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000", value_parser = trimmed::<SocketAddr>)]
    pub addr: SocketAddr,
    /// Folder of the built site (pkg/, assets).
    #[arg(id = "site.root", long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    #[garde(custom(not_blank))]
    pub root: String,
    /// Folder under site.root with the wasm, js and css.
    #[arg(id = "site.pkg-dir", long, env = "LEPTOS_SITE_PKG_DIR", default_value = "pkg")]
    #[garde(custom(not_blank))]
    pub pkg_dir: String,
    /// File name of the built wasm, js and css.
    #[arg(id = "site.output-name", long, env = "LEPTOS_OUTPUT_NAME", default_value = "burner")]
    #[garde(custom(not_blank))]
    pub output_name: String,
    /// Live-reload port used by `cargo leptos watch`.
    #[arg(id = "site.reload-port", long, env = "LEPTOS_RELOAD_PORT", default_value = "3001", value_parser = trimmed::<u16>)]
    pub reload_port: u16,
    /// DEV enables live reload; PROD otherwise.
    #[arg(id = "site.env", long, env = "LEPTOS_ENV", default_value = "PROD", ignore_case = true)]
    pub env: SiteEnv,
    /// The built wasm, js and css have content-hashed names (cargo-leptos hash-files), cached
    /// by browsers as immutable.
    #[arg(id = "site.hash-files", long, env = "LEPTOS_HASH_FILES", default_value = "true", action = Set)]
    pub hash_files: bool,
    /// File of those hashes, relative to the server binary's folder (where the build writes it).
    #[arg(id = "site.hash-file", long, env = "LEPTOS_HASH_FILE_NAME", default_value = "hash.txt")]
    #[garde(custom(not_blank))]
    pub hash_file: String,
}

/// The build cargo-leptos serves.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[value(rename_all = "UPPER")]
#[serde(rename_all = "UPPERCASE")]
pub enum SiteEnv {
    #[serde(alias = "dev")]
    Dev,
    #[serde(alias = "prod")]
    Prod,
}

/// Which backend holds rooms.
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Backend {
    /// Redis URL; empty runs the embedded single-machine backend. In cluster mode, the seed
    /// nodes' URLs, comma-separated.
    #[arg(id = "backend.redis-url", long, env = "BURNER_REDIS_URL", default_value = "", value_parser = optional::<String>, hide_env_values = true)]
    #[serde(deserialize_with = "optional_in_file")]
    #[garde(inner(custom(redis_scheme)))]
    pub redis_url: Maybe<String>,
    /// What the Redis URL points at: one server (single) or a Redis Cluster 7+ (cluster,
    /// sharded pub/sub).
    #[arg(id = "backend.redis-mode", long, env = "BURNER_REDIS_MODE", default_value = "single")]
    #[garde(skip)]
    pub redis_mode: crate::redis_conn::RedisMode,
    /// Memory the embedded backend may hold for rooms, in bytes: it takes a new room only while
    /// every room's full history budget fits (503 beyond). Redis has its own maxmemory.
    #[arg(id = "backend.memory-max-bytes", long, env = "BURNER_MEMORY_MAX_BYTES", default_value = "1073741824", value_parser = trimmed::<u64>)]
    #[garde(custom(between(1 << 16, 1 << 40)))]
    pub memory_max_bytes: u64,
    /// Prefix of every Redis key and channel.
    #[arg(id = "backend.key-prefix", long, env = "BURNER_KEY_PREFIX", default_value = "burner")]
    #[garde(custom(key_safe))]
    pub key_prefix: String,
    /// Secret (at least 32 characters) that names client addresses in Redis by a keyed hash,
    /// never in clear; the same on every instance sharing Redis, and required with it. The
    /// embedded backend makes one of its own.
    #[arg(id = "backend.address-secret", long, env = "BURNER_ADDRESS_SECRET", default_value = "", value_parser = optional::<String>, hide_env_values = true)]
    #[serde(deserialize_with = "optional_in_file")]
    #[garde(custom(secret_with_redis(&self.redis_url)))]
    pub address_secret: Maybe<String>,
}

/// What rooms may be.
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Rooms {
    /// Lifetimes a room may be created with, in seconds (the home page offers these).
    #[arg(id = "rooms.lifetimes-secs", long, env = "BURNER_LIFETIMES_SECS", default_value = "300,600,3600,86400", value_delimiter = ',', value_parser = trimmed::<u64>)]
    #[garde(length(min = 1), inner(custom(between(1, 31_536_000))))]
    pub lifetimes_secs: Vec<u64>,
    /// Lifetime when none is asked for; one of rooms.lifetimes-secs.
    #[arg(id = "rooms.default-lifetime-secs", long, env = "BURNER_DEFAULT_LIFETIME_SECS", default_value = "600", value_parser = trimmed::<u64>)]
    #[garde(custom(one_of(&self.lifetimes_secs, "rooms.lifetimes-secs")))]
    pub default_lifetime_secs: u64,
    /// Timers a room's messages may disappear after, in seconds (the home page offers these,
    /// and "off").
    #[arg(id = "rooms.message-timers-secs", long, env = "BURNER_MESSAGE_TIMERS_SECS", default_value = "30,300,3600", value_delimiter = ',', value_parser = trimmed::<u64>)]
    #[garde(inner(custom(between(1, 86_400))))]
    pub message_timers_secs: Vec<u64>,
    /// Seat counts a room may be created with, each 2-10 (the home page offers these).
    #[arg(id = "rooms.capacities", long, env = "BURNER_CAPACITIES", default_value = "2,3,5,10", value_delimiter = ',', value_parser = trimmed::<u8>)]
    #[garde(length(min = 1), inner(custom(between(CAPACITY_RANGE.0, CAPACITY_RANGE.1))))]
    pub capacities: Vec<u8>,
    /// Seats when none are asked for; one of rooms.capacities.
    #[arg(id = "rooms.default-capacity", long, env = "BURNER_DEFAULT_CAPACITY", default_value = "2", value_parser = trimmed::<u8>)]
    #[garde(custom(one_of(&self.capacities, "rooms.capacities")))]
    pub default_capacity: u8,
    /// Messages kept per room; older ones are dropped.
    #[arg(id = "rooms.history-cap", long, env = "BURNER_HISTORY_CAP", default_value = "500", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 100_000)))]
    pub history_cap: u32,
    /// Bytes of messages kept per room (as stored, sealed); older ones are dropped first.
    #[arg(id = "rooms.history-max-bytes", long, env = "BURNER_HISTORY_MAX_BYTES", default_value = "1048576", value_parser = trimmed::<u64>)]
    #[garde(custom(between(1024, 1 << 30)))]
    pub history_max_bytes: u64,
}

/// Who may connect, and how seat cookies are marked.
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[garde(allow_unvalidated)]
pub struct Security {
    /// Extra Origins allowed to open WebSockets (comma-separated).
    #[arg(
        id = "security.allowed-origins",
        long,
        env = "BURNER_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    #[garde(inner(custom(origin_shape)))]
    pub allowed_origins: Vec<String>,
    /// Mark seat cookies Secure (site served over HTTPS).
    #[arg(id = "security.secure-cookies", long, env = "BURNER_SECURE_COOKIES", default_value = "false", action = Set)]
    pub secure_cookies: bool,
    /// Behind a reverse proxy: take client addresses from X-Forwarded-For and the scheme
    /// from X-Forwarded-Proto.
    #[arg(id = "security.trust-proxy", long, env = "BURNER_TRUST_PROXY", default_value = "false", action = Set)]
    pub trust_proxy: bool,
    /// With trust-proxy: how many proxies in front append to X-Forwarded-For (the client is
    /// the address the outermost one saw).
    #[arg(id = "security.proxy-hops", long, env = "BURNER_PROXY_HOPS", default_value = "1", value_parser = trimmed::<u8>)]
    #[garde(custom(between(1, 10)))]
    pub proxy_hops: u8,
}

/// Serving HTTPS and WSS directly (leave both empty behind a proxy that terminates TLS).
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[garde(allow_unvalidated)]
pub struct Tls {
    /// PEM certificate chain; with tls.key, the site is served over HTTPS only.
    #[arg(id = "tls.cert", long, env = "BURNER_TLS_CERT", default_value = "", value_parser = optional::<String>)]
    #[serde(deserialize_with = "optional_in_file")]
    pub cert: Maybe<String>,
    /// PEM private key of tls.cert.
    #[arg(id = "tls.key", long, env = "BURNER_TLS_KEY", default_value = "", value_parser = optional::<String>)]
    #[serde(deserialize_with = "optional_in_file")]
    #[garde(custom(both_or_neither(&self.cert, "tls.cert and tls.key")))]
    pub key: Maybe<String>,
}

/// How fast one client may go.
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Limits {
    /// Rooms one client address may hold alive at once (destroyed ones no longer count).
    #[arg(id = "limits.rooms-alive-per-address", long, env = "BURNER_ROOMS_ALIVE_PER_ADDRESS", default_value = "20", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 1_000_000)))]
    pub rooms_alive_per_address: u32,
    /// Rooms one client address may create per minute.
    #[arg(id = "limits.rooms-per-minute", long, env = "BURNER_ROOMS_PER_MINUTE", default_value = "10", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 1_000_000)))]
    pub rooms_per_minute: u32,
    /// Messages a seat may send at once.
    #[arg(id = "limits.messages-burst", long, env = "BURNER_MESSAGES_BURST", default_value = "10", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 1_000_000)))]
    pub messages_burst: u32,
    /// Messages a seat may send per second after the burst.
    #[arg(id = "limits.messages-per-second", long, env = "BURNER_MESSAGES_PER_SECOND", default_value = "2", value_parser = trimmed::<f64>)]
    #[garde(custom(positive))]
    pub messages_per_second: f64,
    /// Room page and history reads one client address may make per minute.
    #[arg(id = "limits.views-per-minute", long, env = "BURNER_VIEWS_PER_MINUTE", default_value = "120", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 1_000_000)))]
    pub views_per_minute: u32,
    /// Joins, leaves and destroys one client address may make per minute.
    #[arg(id = "limits.actions-per-minute", long, env = "BURNER_ACTIONS_PER_MINUTE", default_value = "30", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 1_000_000)))]
    pub actions_per_minute: u32,
    /// WebSocket connections one client address may open per minute.
    #[arg(id = "limits.upgrades-per-minute", long, env = "BURNER_UPGRADES_PER_MINUTE", default_value = "60", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 1_000_000)))]
    pub upgrades_per_minute: u32,
    /// Open WebSockets one seat may hold on an instance (tabs); one more is closed with 4429.
    #[arg(id = "limits.sockets-per-seat", long, env = "BURNER_SOCKETS_PER_SEAT", default_value = "5", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 100)))]
    pub sockets_per_seat: u32,
    /// Seconds a client may take to send a request's headers or finish a TLS handshake (slow
    /// clients are cut off).
    #[arg(id = "limits.header-timeout-secs", long, env = "BURNER_HEADER_TIMEOUT_SECS", default_value = "10", value_parser = trimmed::<u64>)]
    #[garde(custom(between(1, 300)))]
    pub header_timeout_secs: u64,
    /// Largest request body accepted, in bytes (server-function calls need a few KB); larger
    /// ones are answered 413.
    #[arg(id = "limits.body-max-bytes", long, env = "BURNER_BODY_MAX_BYTES", default_value = "65536", value_parser = trimmed::<usize>)]
    #[garde(custom(between(1024, 16 * 1024 * 1024)))]
    pub body_max_bytes: usize,
    /// Seconds a request may take until its answer starts (reading its body included); a
    /// client that stalls its body is answered 408 and what it sent is freed.
    #[arg(id = "limits.request-timeout-secs", long, env = "BURNER_REQUEST_TIMEOUT_SECS", default_value = "10", value_parser = trimmed::<u64>)]
    #[garde(custom(between(1, 300)))]
    pub request_timeout_secs: u64,
    /// Requests one HTTP/2 connection may have open at once (a page needs a handful).
    #[arg(id = "limits.http2-streams", long, env = "BURNER_HTTP2_STREAMS", default_value = "16", value_parser = trimmed::<u32>)]
    #[garde(custom(between(1, 1000)))]
    pub http2_streams: u32,
    /// Seconds a socket may take to read the history it starts with (at most one page) before
    /// it is closed with 4408 as too slow.
    #[arg(id = "limits.catch-up-secs", long, env = "BURNER_CATCH_UP_SECS", default_value = "30", value_parser = trimmed::<u64>)]
    #[garde(custom(between(1, 3600)))]
    pub catch_up_secs: u64,
    /// Connections open at once on the public port; one more is closed at accept.
    #[arg(id = "limits.connections-max", long, env = "BURNER_CONNECTIONS_MAX", default_value = "10000", value_parser = trimmed::<usize>)]
    #[garde(custom(between(1, 1_000_000)))]
    pub connections_max: usize,
    /// Connections one client address may hold open at once (not applied behind a trusted
    /// proxy, where every connection is the proxy's).
    #[arg(id = "limits.connections-per-address", long, env = "BURNER_CONNECTIONS_PER_ADDRESS", default_value = "128", value_parser = trimmed::<usize>)]
    #[garde(custom(between(1, 1_000_000)))]
    pub connections_per_address: usize,
    /// Seconds a connection may send nothing before it is closed (HTTP/1, HTTP/2, TLS alike;
    /// open WebSockets answer a ping every 25 s).
    #[arg(id = "limits.idle-timeout-secs", long, env = "BURNER_IDLE_TIMEOUT_SECS", default_value = "90", value_parser = trimmed::<u64>)]
    #[garde(custom(between(1, 3600)))]
    pub idle_timeout_secs: u64,
}

/// What the server logs.
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[garde(allow_unvalidated)]
pub struct Log {
    /// Log filter (tracing EnvFilter syntax, e.g. `info` or `warn,server=debug`).
    #[arg(id = "log.filter", long, env = "BURNER_LOG", default_value = "info")]
    #[garde(custom(filter_syntax))]
    pub filter: String,
    /// Log lines as text (for people) or json (one object a line, for collectors).
    #[arg(
        id = "log.format",
        long,
        env = "BURNER_LOG_FORMAT",
        default_value = "text",
        ignore_case = true
    )]
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[value(rename_all = "lower")]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Where Prometheus reads this instance's metrics; never on the public port.
#[derive(Args, Clone, Debug, PartialEq, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[garde(allow_unvalidated)]
pub struct Metrics {
    /// Address for GET /metrics (Prometheus text format); empty turns metrics off.
    #[arg(id = "metrics.addr", long, env = "BURNER_METRICS_ADDR", default_value = "127.0.0.1:9100", value_parser = optional::<SocketAddr>)]
    #[serde(deserialize_with = "optional_in_file")]
    pub addr: Maybe<SocketAddr>,
}

#[cfg(test)]
mod tests;
