//! The one state of an instance, built once at start-up ([`crate::startup`]). Each handler takes
//! the part it needs through axum's `FromRef`: the pages and server functions the Leptos
//! options and [`ServerState`], `/readyz` the readiness, the edge and the WebSocket upgrade the
//! whole. How visitors reach the site ([`Reach`]) is held once, for all of them.

use crate::health::Ready;
use crate::ws::SeatSockets;
use crate::ws::socket::Services;
use app::server_context::{Reach, ServerState};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    /// What server functions see (through Leptos context): the store, the room rules, the rate
    /// limits and how the site is reached.
    pub server: ServerState,
    /// What every socket of this instance uses.
    pub socket_services: Arc<Services>,
    /// Open sockets per seat on this instance.
    pub seat_sockets: SeatSockets,
    /// Whether the backend can serve now.
    pub readiness: Arc<Ready>,
    /// The built assets have content-hashed names: they never change under a name.
    pub hashed_assets: bool,
    /// The largest request body taken (`limits.body-max-bytes`).
    pub body_max_bytes: usize,
}

impl AppState {
    /// How visitors reach this instance.
    pub fn reach(&self) -> &Reach {
        &self.server.reach
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for ServerState {
    fn from_ref(state: &AppState) -> Self {
        state.server.clone()
    }
}

impl FromRef<AppState> for Arc<Ready> {
    fn from_ref(state: &AppState) -> Self {
        state.readiness.clone()
    }
}
