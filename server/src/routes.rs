//! The router: pages and server functions (Leptos), the WebSocket, health, and the edge every
//! request passes — the API's CSRF guard ([`api_guard`]) and the response headers
//! ([`headers`]: caching, CSP with a per-response nonce, HSTS, framing).

mod api_guard;
mod headers;

use crate::settings::Settings;
use crate::ws::{self, WsState};
use app::proxy::ProxyTrust;
use app::state::ServerState;
use app::{App, shell};
use axum::Router;
use axum::http::request::Parts;
use axum::middleware;
use axum::routing::get;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;

pub use headers::CspNonce;

/// What the edge needs to know about how the site is reached.
#[derive(Clone)]
pub struct Edge {
    /// Served over HTTPS by this process.
    pub https: bool,
    pub proxy: ProxyTrust,
    /// Origins besides the site's own that may call it from a browser.
    pub allowed_origins: Arc<Vec<String>>,
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
        .route("/healthz", get(|| async { "ok\n" }))
        .leptos_routes_with_context(&options, routes, context.clone(), move || {
            shell(shell_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(context, shell))
        .layer(middleware::from_fn(crate::api_status::status_from_error))
        .layer(middleware::from_fn_with_state(edge.clone(), api_guard::api_guard))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(edge, headers::response_headers))
        .with_state(options)
}
