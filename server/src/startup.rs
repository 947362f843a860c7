//! Builds the application from settings and runs it until it is told to stop.

use crate::backend::Backend;
use crate::hub::Hub;
use crate::settings::Settings;
use crate::shutdown::{Sessions, Shutdown};
use crate::ws::{self, WsState, session::Timing};
use app::rate_limit::{Quota, RateLimiter};
use app::state::{RoomRules, ServerState};
use app::{App, shell};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
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
    hub: Arc<Hub>,
}

impl Application {
    /// Connects the backend the settings name and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let backend = match &settings.redis_url {
            Some(url) => Backend::redis(url, &settings.key_prefix, settings.history_cap).await?,
            None => Backend::embedded(settings.history_cap),
        };
        Self::with_backend(settings, backend, Timing::default()).await
    }

    /// Builds on a given backend, with given socket timings (tests shorten them).
    pub async fn with_backend(
        settings: Settings,
        backend: Backend,
        timing: Timing,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.site_addr))?;
        let hub = Hub::start(backend.broker, backend.deliveries, SOCKET_QUEUE);
        let (shutdown, stopping) = Shutdown::new();
        let sessions = Sessions::default();
        let state = ServerState {
            store: backend.store.clone(),
            rules: Arc::new(RoomRules {
                lifetimes_secs: settings.lifetimes_secs.clone(),
                default_lifetime_secs: settings.default_lifetime_secs,
                default_capacity: settings.default_capacity,
                secure_cookies: settings.secure_cookies,
                trust_proxy: settings.trust_proxy,
            }),
            create_limiter: Arc::new(RateLimiter::new(Quota {
                burst: settings.rooms_per_minute,
                per_second: f64::from(settings.rooms_per_minute) / 60.0,
            })),
        };
        let ws = WsState {
            store: backend.store,
            hub: hub.clone(),
            limiter: Arc::new(RateLimiter::new(Quota {
                burst: settings.messages_burst,
                per_second: settings.messages_per_second,
            })),
            allowed_origins: Arc::new(settings.allowed_origins.clone()),
            shutdown: stopping,
            sessions: sessions.clone(),
            timing,
        };
        tracing::info!(backend = backend.kind, address = %listener.local_addr()?, "Burner is listening");
        Ok(Application { listener, router: router(&settings, state, ws), shutdown, sessions, hub })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// A handle that stops this application.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    pub fn hub(&self) -> Arc<Hub> {
        self.hub.clone()
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            crate::shutdown::signal().await;
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
        .layer(middleware::from_fn(privacy_headers))
        .with_state(options)
}

/// Pages hold private messages: never cached, never leaking the room link as a referrer,
/// never framed. Built assets under `/pkg` may be cached.
async fn privacy_headers(request: Request, next: Next) -> Response {
    let cacheable = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
