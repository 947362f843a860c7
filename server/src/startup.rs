//! Builds the application from settings and runs it until it is told to stop.

use crate::backend::Backend;
use crate::hub::Hub;
use crate::presence::Roster;
use crate::settings::Settings;
use crate::shutdown::{Sessions, Shutdown};
use crate::ws::session::{Shared, Timing};
use crate::ws::{self, WsState};
use app::rate_limit::{Quota, RateLimiter};
use app::state::{RoomRules, ServerState};
use app::{App, shell};
use axum::Router;
use axum::middleware;
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

/// Queued events per socket before it counts as too slow.
const SOCKET_QUEUE: usize = 256;
/// How long sessions get to close after a stop signal.
const DRAIN_LIMIT: Duration = Duration::from_secs(3);

pub struct Application {
    listener: TcpListener,
    router: Router,
    shutdown: Shutdown,
    sessions: Sessions,
}

impl Application {
    /// Connects the backend the settings name and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let cap = settings.rooms.history_cap;
        let backend = match settings.redis_url() {
            Some(url) => Backend::redis(url, &settings.backend.key_prefix, cap).await?,
            None => Backend::embedded(cap),
        };
        Self::with_backend(settings, backend, Timing::default()).await
    }

    /// Builds on a given backend, with given socket timings (tests shorten them).
    pub async fn with_backend(
        settings: Settings,
        backend: Backend,
        timing: Timing,
    ) -> anyhow::Result<Self> {
        let addr = settings.site.addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        let (shutdown, stopping) = Shutdown::new();
        let sessions = Sessions::default();
        let (rooms, limits) = (&settings.rooms, &settings.limits);
        let state = ServerState {
            store: backend.store.clone(),
            rules: Arc::new(RoomRules {
                lifetimes_secs: rooms.lifetimes_secs.clone(),
                default_lifetime_secs: rooms.default_lifetime_secs,
                default_capacity: rooms.default_capacity,
                secure_cookies: settings.security.secure_cookies,
                trust_proxy: settings.security.trust_proxy,
            }),
            create_limiter: Arc::new(RateLimiter::new(Quota {
                burst: limits.rooms_per_minute,
                per_second: f64::from(limits.rooms_per_minute) / 60.0,
            })),
        };
        let shared = Shared {
            store: backend.store,
            hub: Hub::start(backend.broker.clone(), backend.deliveries, SOCKET_QUEUE),
            broker: backend.broker,
            roster: Roster::start(backend.presence),
            limiter: Arc::new(RateLimiter::new(Quota {
                burst: limits.messages_burst,
                per_second: limits.messages_per_second,
            })),
            shutdown: stopping,
            timing,
        };
        let ws = WsState {
            shared,
            allowed_origins: Arc::new(settings.security.allowed_origins.clone()),
            sessions: sessions.clone(),
        };
        tracing::info!(backend = backend.kind, address = %listener.local_addr()?, "Burner is listening");
        Ok(Application { listener, router: router(&settings, state, ws), shutdown, sessions })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// A handle that stops this application.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Serves until Ctrl-C or SIGTERM; fails at once if those signals cannot be listened for.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let shutdown = self.shutdown.clone();
        let signal = crate::shutdown::signal()
            .map_err(|e| anyhow::anyhow!("cannot listen for Ctrl-C and SIGTERM: {e}"))?;
        tokio::spawn(async move {
            signal.await;
            tracing::info!("stopping: closing sockets with 1012");
            shutdown.trigger();
        });
        self.run().await
    }

    /// Serves until the shutdown handle fires, then lets sessions close.
    pub async fn run(self) -> anyhow::Result<()> {
        let stop = self.shutdown.clone();
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(async move { stop.triggered().await })
            .await?;
        self.sessions.drained(DRAIN_LIMIT).await;
        Ok(())
    }
}

fn router(settings: &Settings, state: ServerState, ws: WsState) -> Router {
    let options = settings.leptos_options();
    let routes = generate_route_list(App);
    let shell_options = options.clone();
    Router::new()
        .route("/ws/{room_id}", get(ws::upgrade).with_state(ws))
        .route("/healthz", get(|| async { "ok\n" }))
        .leptos_routes_with_context(
            &options,
            routes,
            move || state.provide(),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(middleware::from_fn(crate::api_status::status_from_error))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(crate::headers::response_headers))
        .with_state(options)
}
