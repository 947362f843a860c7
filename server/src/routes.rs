//! The router: pages and server functions (Leptos), the WebSocket, health, and the edge every
//! request passes — the API's CSRF guard ([`api_guard`]) and the response headers
//! ([`headers`]: caching, CSP with a per-response nonce, HSTS, framing).

mod api_guard;
mod headers;

use crate::health::{self, Ready};
use crate::settings::Settings;
use crate::ws::{self, WsState};
use app::proxy::ProxyTrust;
use app::state::ServerState;
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::middleware;
use axum::routing::get;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

pub use headers::CspNonce;

/// What the edge needs to know about how the site is reached.
#[derive(Clone)]
pub struct Edge {
    /// Known to be served over HTTPS: by this process (TLS), or by a proxy in front
    /// (`security.secure-cookies`).
    pub https: bool,
    /// The built assets have content-hashed names: they never change under a name.
    pub hashed_assets: bool,
    pub proxy: ProxyTrust,
    /// Origins besides the site's own that may call it from a browser.
    pub allowed_origins: Arc<Vec<String>>,
    /// Whether the backend can serve now.
    pub readiness: Arc<Ready>,
    /// The rate limits an API call passes before its body is read.
    pub doors: Arc<app::rate_limit::Doors>,
    /// The largest request body taken (`limits.body-max-bytes`).
    pub body_max_bytes: usize,
    /// How long a request may take until its answer starts (`limits.request-timeout-secs`).
    pub request_timeout: std::time::Duration,
}

pub fn router(settings: &Settings, state: ServerState, ws: WsState, edge: Edge) -> Router {
    let options = settings.leptos_options();
    let routes = generate_route_list(App);
    let shell_options = options.clone();
    // Every page render gets the server's state and the nonce the response's CSP names.
    let context = move || {
        state.provide();
        if let Some(nonce) =
            use_context::<Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned())
        {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
    };
    Router::new()
        .route("/ws/{room_id}", get(ws::upgrade).with_state(ws))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz).with_state(edge.readiness.clone()))
        .leptos_routes_with_context(&options, routes, context.clone(), move || {
            shell(shell_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .layer(middleware::from_fn(crate::api_status::status_from_error))
        // The guard answers an announced oversized body in JSON; the limit stops one that
        // was not announced (chunked), in plain text.
        .layer(RequestBodyLimitLayer::new(edge.body_max_bytes))
        // A stalled body (HTTP/2 lets a client hold many at once) is dropped with its buffer.
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, edge.request_timeout))
        .layer(middleware::from_fn_with_state(edge.clone(), api_guard::api_guard))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(edge, headers::response_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // A 503 from /readyz while Redis is away is expected, once a second.
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
        .with_state(options)
}

/// Each request's span: a number, the method and the route (the pattern, not the path: a room
/// id is never in it).
fn request_span(request: &Request<Body>) -> tracing::Span {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let route = request.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    tracing::info_span!("request", id, method = %request.method(), route)
}
