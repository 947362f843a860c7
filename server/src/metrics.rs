//! What an operator can watch: metrics in Prometheus's text format, served on their own address
//! (`metrics.addr`, never the public port). Recording goes through the `metrics` facade, so the
//! code that counts does not know who reads; labels never carry a room id, a name or a text.
//! docs/OPERATIONS.md lists each metric with what to alert on.

use crate::tasks::Tasks;
use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

/// Open WebSockets on this instance (gauge).
pub const SOCKETS_OPEN: &str = "burner_sockets_open";
/// Rooms with at least one socket on this instance (gauge).
pub const ROOMS_ACTIVE: &str = "burner_rooms_active";
/// Messages stored through this instance (counter).
pub const MESSAGES_STORED: &str = "burner_messages_stored_total";
/// Frames written to sockets (counter).
pub const FRAMES_DELIVERED: &str = "burner_frames_delivered_total";
/// From a message's storing to its write on a socket here, seconds (histogram).
pub const DELIVERY_SECONDS: &str = "burner_delivery_latency_seconds";
/// Sockets closed, by `code` (a close code, `client_left` or `idle`) (counter).
pub const SOCKETS_CLOSED: &str = "burner_sockets_closed_total";
/// Requests and frames refused by a rate limit, by `door` (counter).
pub use app::rate_limit::RATE_LIMITED;
/// Redis commands that failed, by `kind` (`error` or `timeout`) (counter).
pub const REDIS_ERRORS: &str = "burner_redis_errors_total";
/// Times the pub/sub connection was replaced (counter).
pub const PUBSUB_RECONNECTS: &str = "burner_pubsub_reconnects_total";
/// Times this instance's sockets were resynced from the store (counter).
pub const RESYNCS: &str = "burner_resyncs_total";
/// TCP connections open on the public port (gauge).
pub const CONNECTIONS_OPEN: &str = "burner_connections_open";
/// Connections closed at accept by a cap, by `reason` (`total` or `address`) (counter).
pub const CONNECTIONS_REFUSED: &str = "burner_connections_refused_total";
/// Connections closed after sending nothing for `limits.idle-timeout-secs` (counter).
pub const CONNECTIONS_IDLE_CLOSED: &str = "burner_connections_idle_closed_total";
/// Always 1, labelled with the `version` (gauge).
pub const BUILD_INFO: &str = "burner_build_info";

/// Delivery latency buckets, seconds: sub-millisecond to seconds.
const LATENCY_BUCKETS: [f64; 14] =
    [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder, once; `None` if another recorder was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DELIVERY_SECONDS.into()), &LATENCY_BUCKETS)
                .ok()?;
            let handle = builder.install_recorder().ok()?;
            describe();
            start_at_zero();
            metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            Some(handle)
        })
        .clone()
}

/// Every unlabelled series exists from the start, at zero, so an alert on "drops to 0" or on a
/// rate has a series to watch before the first socket or message.
fn start_at_zero() {
    metrics::gauge!(SOCKETS_OPEN).set(0.0);
    metrics::gauge!(ROOMS_ACTIVE).set(0.0);
    metrics::gauge!(CONNECTIONS_OPEN).set(0.0);
    for reason in ["total", "address"] {
        metrics::counter!(CONNECTIONS_REFUSED, "reason" => reason).increment(0);
    }
    let counters =
        [MESSAGES_STORED, FRAMES_DELIVERED, PUBSUB_RECONNECTS, RESYNCS, CONNECTIONS_IDLE_CLOSED];
    for counter in counters {
        metrics::counter!(counter).increment(0);
    }
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(SOCKETS_OPEN, "Open WebSockets on this instance.");
    describe_gauge!(ROOMS_ACTIVE, "Rooms with at least one socket on this instance.");
    describe_counter!(MESSAGES_STORED, "Messages stored through this instance.");
    describe_counter!(FRAMES_DELIVERED, "Frames written to sockets.");
    describe_histogram!(
        DELIVERY_SECONDS,
        metrics::Unit::Seconds,
        "From a message's storing to its write on a socket here."
    );
    describe_counter!(SOCKETS_CLOSED, "Sockets closed, by close code or reason.");
    describe_counter!(RATE_LIMITED, "Refusals by a rate limit, by door.");
    describe_counter!(REDIS_ERRORS, "Redis commands that failed, by kind.");
    describe_counter!(PUBSUB_RECONNECTS, "Times the pub/sub connection was replaced.");
    describe_counter!(RESYNCS, "Times this instance's sockets were resynced from the store.");
    describe_gauge!(CONNECTIONS_OPEN, "TCP connections open on the public port.");
    describe_counter!(CONNECTIONS_REFUSED, "Connections closed at accept by a cap, by reason.");
    describe_counter!(CONNECTIONS_IDLE_CLOSED, "Connections closed after sending nothing.");
    describe_gauge!(BUILD_INFO, "Always 1; the version is a label.");
}

/// Serves `GET /metrics` and `GET /readyz` (with the reason when not ready) on `addr` until the
/// instance stops; fails if it cannot listen there.
pub async fn serve(
    addr: SocketAddr,
    handle: PrometheusHandle,
    ready: std::sync::Arc<crate::health::Ready>,
    tasks: &Tasks,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let upkeep = handle.clone();
    tasks.spawn_until_stopped(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = Router::new()
        .route("/metrics", get(move || async move { handle.render() }))
        .route("/readyz", get(crate::health::readyz_with_reason).with_state(ready));
    tasks.spawn_until_stopped(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::error!(%err, "the metrics listener stopped");
        }
    });
    Ok(bound)
}

/// Counts a failed Redis command.
pub fn redis_failed(err: &redis::RedisError) {
    let kind = if err.is_timeout() { "timeout" } else { "error" };
    metrics::counter!(REDIS_ERRORS, "kind" => kind).increment(1);
}
