//! The room page: the room is read first, then the page renders with it at hand and waits on
//! nothing (see [`app::room::preload`] for why).

use crate::state::AppState;
use app::room::preload::{self, Preloaded};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::Request;
use axum::response::Response;
use leptos::prelude::{Owner, provide_context};
use leptos::reactive::computed::ScopedFuture;

/// The route, as Leptos's route list names it.
pub const PATH: &str = "/room/{id}";

pub async fn room_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request<Body>,
) -> Response {
    let (parts, body) = request.into_parts();
    let owner = Owner::new();
    let reading = owner.with(|| {
        provide_context(parts.clone());
        state.server.provide();
        ScopedFuture::new(preload::load(id))
    });
    let load = reading.await;
    drop(owner);
    let page_context = super::page_context(&state);
    let options = state.leptos.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(state.clone());
            page_context();
            provide_context(Preloaded(load.clone()));
        },
        move || app::shell(options.clone()),
    );
    render(Request::from_parts(parts, body)).await
}
