//! The router: pages and server functions (Leptos), the WebSocket, health, and the edge every
//! request passes — the API's CSRF guard ([`api_guard`]) and the response headers
//! ([`headers`]: caching, CSP with a per-response nonce, HSTS, framing).

mod api_guard;
mod confusables;
mod headers;
mod room_page;

use crate::health;
use crate::state::AppState;
use crate::ws;
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

use std::sync::atomic::{AtomicU64, Ordering};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

pub use headers::CspNonce;

/// Every route of an instance, over its one state; `request_timeout` bounds how long a request
/// may take until its answer starts (`limits.request-timeout-secs`).
pub fn router(state: AppState, request_timeout: std::time::Duration) -> Router {
    // The room page has a handler of its own, which reads the room before rendering.
    let mut routes = generate_route_list(App);
    routes.retain(|route| route.path() != room_page::PATH);
    let shell_options = state.leptos.clone();
    let context = page_context(&state);
    Router::new()
        .route("/ws/{room_id}", get(ws::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(app::confusables::PATH, get(confusables::confusables))
        .route(room_page::PATH, get(room_page::room_page))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(shell_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(middleware::from_fn(crate::api_status::status_from_error))
        // The guard answers an announced oversized body in JSON; the limit stops one that
        // was not announced (chunked), in plain text.
        .layer(RequestBodyLimitLayer::new(state.body_max_bytes))
        // A stalled body (HTTP/2 lets a client hold many at once) is dropped with its buffer.
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(middleware::from_fn_with_state(state.clone(), api_guard::api_guard))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), headers::response_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // A 503 from /readyz while Redis is away is expected, once a second.
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
        .with_state(state)
}

/// What every page render and server function gets: the server's state and the nonce the
/// response's CSP names.
fn page_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    let server = state.server.clone();
    move || {
        server.provide();
        if let Some(nonce) =
            use_context::<Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned())
        {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
    }
}

/// Each request's span: a number, the method and the route (the pattern, not the path: a room
/// id is never in it).
fn request_span(request: &Request<Body>) -> tracing::Span {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let route = request.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    tracing::info_span!("request", id, method = %request.method(), route)
}
