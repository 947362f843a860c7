//! Builds the application from settings and runs it until it is told to stop.

use crate::backend::Backend;
use crate::gate::{Gate, GateLimits};
use crate::hub::Hub;
use crate::presence::Roster;
use crate::redis_conn::RedisTarget;
use crate::routes;
use crate::settings::Settings;
use crate::state::AppState;
use crate::tasks::Tasks;
use crate::ws::SeatSockets;
use crate::ws::socket::{CatchUps, Services, Timing};
use anyhow::Context;
use app::proxy::ProxyTrust;
use app::rate_limit::{Limiter, RateLimits};
use app::server_context::{Reach, RoomRules, ServerState};
use axum::Router;
use axum_server::Handle;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Queued events per socket before it counts as too slow.
const SOCKET_QUEUE: usize = 256;
/// After a stop signal: how long open requests get to finish, then sockets and tasks to end.
/// Together well inside the 5 seconds a process manager waits.
const REQUEST_GRACE: Duration = Duration::from_secs(2);
const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// Bytes a client may send on one HTTP/2 request, and on one connection, before the server
/// reads them (flow control): with the streams cap, what a connection can park in the server.
const H2_STREAM_WINDOW: u32 = 16 * 1024;
const H2_CONNECTION_WINDOW: u32 = 64 * 1024;
/// Largest header block of one HTTP/2 request.
const H2_HEADER_LIST: u32 = 16 * 1024;
/// How often idle rate-limit keys are forgotten.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(60);

pub struct Application {
    /// Where metrics are served, when they are.
    metrics_addr: Option<SocketAddr>,
    /// Which backend, for the log.
    backend: &'static str,
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    header_timeout: Duration,
    gate: Gate,
    http2_streams: u32,
    router: Router,
    tasks: Tasks,
}

impl Application {
    /// Connects the backend the settings name and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let cap = settings.store_limits();
        let backend = match settings.backend.redis_url.as_deref() {
            Some(urls) => {
                let target = RedisTarget::from_setting(settings.backend.redis_mode, urls);
                // The settings' rules make it required with a URL.
                let secret = settings.backend.address_secret.as_deref().unwrap_or_default();
                let addresses = crate::address_secret::AddressSecret::new(secret);
                Backend::redis_at(target, &settings.backend.key_prefix, addresses, cap).await?
            }
            None => Backend::embedded(cap),
        };
        let catch_up_within = Duration::from_secs(settings.limits.catch_up_secs);
        Self::with_backend(settings, backend, Timing { catch_up_within, ..Timing::default() }).await
    }

    /// Builds on a given backend, with given socket timings (tests shorten them).
    pub async fn with_backend(
        settings: Settings,
        backend: Backend,
        timing: Timing,
    ) -> anyhow::Result<Self> {
        if let Some(hashes) = settings.hash_file_path() {
            let site = std::path::Path::new(&settings.site.root).join(&settings.site.pkg_dir);
            crate::site_check::hashed_assets_exist(&hashes, &site, &settings.site.output_name)?;
        }
        let addr = settings.site.addr;
        let listener = std::net::TcpListener::bind(addr)
            .with_context(|| format!("cannot listen on {addr}"))?;
        let tls = match settings.tls_files() {
            Some((cert, key)) => {
                Some(RustlsConfig::from_pem_file(cert, key).await.with_context(|| {
                    format!("cannot use the TLS certificate {cert} and key {key}")
                })?)
            }
            None => None,
        };
        let tasks = backend.tasks.clone();
        let ready = crate::health::Ready::new(backend.readiness);
        let limits = &settings.limits;
        let rate_limits = Arc::new(RateLimits {
            create: Limiter::per_minute("create_room", limits.rooms_per_minute),
            views: Limiter::per_minute("room_read", limits.views_per_minute),
            actions: Limiter::per_minute("room_action", limits.actions_per_minute),
            upgrades: Limiter::per_minute("websocket", limits.upgrades_per_minute),
            messages: Limiter::new("message", limits.messages_burst, limits.messages_per_second),
        });
        tasks.spawn_until_stopped(forget_idle(Arc::downgrade(&rate_limits)));
        tasks.spawn_until_stopped(crate::gate::give_back_memory());
        let reach = Arc::new(Reach {
            // Known to be served over HTTPS: TLS here, or a proxy in front that the operator
            // vouches for.
            https: settings.security.secure_cookies || tls.is_some(),
            proxy: ProxyTrust {
                trusted: settings.security.trust_proxy,
                hops: settings.security.proxy_hops,
            },
            allowed_origins: settings.security.allowed_origins.clone(),
        });
        let rooms = &settings.rooms;
        let server = ServerState {
            store: backend.store.clone(),
            rules: Arc::new(RoomRules {
                lifetimes_secs: rooms.lifetimes_secs.clone(),
                default_lifetime_secs: rooms.default_lifetime_secs,
                capacities: rooms.capacities.clone(),
                message_timers_secs: rooms.message_timers_secs.clone(),
                default_capacity: rooms.default_capacity,
                rooms_alive_per_address: limits.rooms_alive_per_address,
            }),
            rate_limits: rate_limits.clone(),
            reach,
        };
        let socket_services = Arc::new(Services {
            catch_ups: CatchUps::new(backend.store.clone(), timing.store_patience),
            store: backend.store,
            hub: Hub::start(backend.broker.clone(), backend.deliveries, SOCKET_QUEUE, &tasks),
            broker: backend.broker,
            roster: Roster::start(backend.presence, &tasks),
            rate_limits,
            tasks: tasks.clone(),
            timing,
        });
        let state = AppState {
            leptos: settings.leptos_options(),
            server,
            socket_services,
            seat_sockets: SeatSockets::new(limits.sockets_per_seat),
            readiness: ready.clone(),
            hashed_assets: settings.site.hash_files,
            body_max_bytes: limits.body_max_bytes,
        };
        // The recorder is installed here only, and only when metrics are served.
        let metrics_addr = match settings.metrics.addr.map(|addr| (addr, crate::metrics::install()))
        {
            Some((addr, Some(handle))) => Some(
                crate::metrics::serve(addr, handle, ready, &tasks)
                    .await
                    .with_context(|| format!("cannot serve metrics on {addr}"))?,
            ),
            _ => None,
        };
        let router = routes::router(state, Duration::from_secs(limits.request_timeout_secs));
        Ok(Application {
            metrics_addr,
            backend: backend.kind,
            listener,
            tls,
            header_timeout: Duration::from_secs(limits.header_timeout_secs),
            gate: Gate::new(GateLimits {
                total: limits.connections_max,
                per_address: (!settings.security.trust_proxy)
                    .then_some(limits.connections_per_address),
                idle: Duration::from_secs(limits.idle_timeout_secs),
            }),
            http2_streams: limits.http2_streams,
            router,
            tasks,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The instance's tasks: [`Tasks::stop`] stops the application.
    pub fn tasks(&self) -> Tasks {
        self.tasks.clone()
    }

    /// Serves until Ctrl-C or SIGTERM; fails at once if those signals cannot be listened for.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let tasks = self.tasks.clone();
        let signal = crate::tasks::signal()
            .map_err(|e| anyhow::anyhow!("cannot listen for Ctrl-C and SIGTERM: {e}"))?;
        self.tasks.spawn_until_stopped(async move {
            signal.await;
            tracing::info!("stopping: closing sockets with 1012");
            tasks.stop();
        });
        self.run().await
    }

    /// Serves until the instance is told to stop: then requests get a moment to finish (a
    /// client holding a half-sent request does not hold the process), sockets close and every
    /// task ends.
    pub async fn run(self) -> anyhow::Result<()> {
        let handle = Handle::new();
        let stopping = handle.clone();
        let tasks = self.tasks.clone();
        self.tasks.spawn(async move {
            tasks.stopped().await;
            stopping.graceful_shutdown(Some(REQUEST_GRACE));
        });
        tracing::info!(
            backend = self.backend,
            address = %self.local_addr(),
            tls = self.tls.is_some(),
            metrics = %self.metrics_addr.map_or_else(|| "off".to_owned(), |a| a.to_string()),
            "Burner is listening"
        );
        // Every connection passes the gate (caps, idle timeout, TCP_NODELAY) first.
        let mut server = axum_server::from_tcp(self.listener)?.acceptor(self.gate).handle(handle);
        let http = server.http_builder();
        http.http1().header_read_timeout(self.header_timeout);
        // HTTP/2 lets one connection hold many requests, each with buffered headers and body:
        // few streams and small windows bound what a connection can make the server hold.
        http.http2()
            .max_concurrent_streams(self.http2_streams)
            .initial_stream_window_size(H2_STREAM_WINDOW)
            .initial_connection_window_size(H2_CONNECTION_WINDOW)
            .max_header_list_size(H2_HEADER_LIST);
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        // The one difference HTTPS makes: TLS on top of the same acceptor, with the header
        // timeout for its handshake.
        let handshake = self.header_timeout;
        let served = match self.tls {
            Some(tls) => {
                let tls =
                    |gate| RustlsAcceptor::new(tls).handshake_timeout(handshake).acceptor(gate);
                server.map(tls).serve(service).await
            }
            None => server.serve(service).await,
        };
        self.tasks.drained(DRAIN_LIMIT).await;
        Ok(served?)
    }
}

/// Forgets idle rate-limit keys every minute, while the limits exist.
async fn forget_idle(rate_limits: std::sync::Weak<RateLimits>) {
    let mut every = tokio::time::interval(FORGET_IDLE_EVERY);
    loop {
        every.tick().await;
        let Some(rate_limits) = rate_limits.upgrade() else { return };
        rate_limits.forget_idle();
    }
}
