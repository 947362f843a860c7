//! The room page and the server functions behind it: see, join, read, leave and destroy.

// Reconnect timing: browser logic, unit-tested natively.
#[cfg(any(feature = "hydrate", test))]
mod backoff;
mod chat_log;
mod chat_room;
mod composer;
mod countdown;
mod executor;
mod header;
mod join;
#[cfg(feature = "hydrate")]
mod link;
mod live;
mod message_list;
mod panel;
pub mod preload;
mod presence;
mod question;
#[cfg(feature = "hydrate")]
mod signing_key;
#[cfg(feature = "hydrate")]
mod socket;
#[cfg(feature = "hydrate")]
mod take_seat;
mod unlock;

use crate::error::ApiError;
use crate::model::{History, RoomId, Seat};
use chat_room::ChatRoom;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
#[cfg(not(feature = "ssr"))]
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
#[cfg(feature = "hydrate")]
pub use take_seat::take_seat;

/// Forgets, in this tab, the links of rooms past their deadline (any page may).
#[cfg(feature = "hydrate")]
pub fn forget_ended_links() {
    link::forget_ended(crate::model::now_ms());
    signing_key::forget_ended(crate::model::now_ms());
}

/// What the room page needs to render.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSnapshot {
    pub room_id: RoomId,
    pub expires_at: u64,
    /// The server's clock when this was made, Unix ms.
    pub now: u64,
    pub capacity: u8,
    /// Seats taken now.
    pub seated: u8,
    /// Who may destroy the room.
    pub destroyers: crate::model::Destroyers,
    /// Whether this visitor may (once seated, for a room anyone may destroy).
    pub may_destroy: bool,
    /// Disappearing messages: each is gone this long after it was sent, ms.
    pub message_timer_ms: Option<u64>,
    /// The key check the creator sealed, so a wrong key is told at once.
    pub key_check: Option<String>,
    /// The creator's signing public key (base64url), so the creator's page knows itself
    /// whatever seat it holds ([`crate::rights`]).
    pub owner_key: Option<String>,
    /// Whether the creator has locked the room: nobody new may join.
    pub locked: bool,
    /// Whether your seat is the one the room's creator took first: what the page is drawn with
    /// before it runs (it then knows the creator by its key, whatever seat it holds).
    #[serde(default)]
    pub creator_seat: bool,
    /// Your seat in the room, when this browser holds one.
    pub you: Option<Seat>,
    /// The history so far (sealed), for a seated visitor.
    pub history: Option<History>,
}

/// A seat just claimed (or confirmed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    pub you: Seat,
    pub expires_at: u64,
    pub capacity: u8,
}

/// The room as this visitor may see it. Never claims a seat. A visitor without a seat gets
/// no history; a full room turns them away unless they arrive by a cross-site link (their
/// SameSite=Strict cookie was withheld, so the page asks again once it runs).
#[server(prefix = "/api", endpoint = "room_view", input = Json)]
pub async fn room_view(room_id: String) -> Result<RoomSnapshot, ApiError> {
    ssr::room_view(room_id).await
}

/// Claims the seat `seat_id` (random, chosen by the browser) under `name` (sealed with the
/// room key for that seat) and sets the room's seat cookie, for a caller whose `proof` is the
/// room's membership secret ([`crate::membership`]). Calling it again with the cookie returns
/// the same seat. The creator, taking the first seat, also hands over `key_check`:
/// [`crate::envelope::KEY_CHECK_TEXT`] sealed with the key, and `owner_key`: the public key
/// that proves the creator's rights from then on ([`crate::rights`]). A locked room gives out
/// no new seat.
#[server(prefix = "/api", endpoint = "join_room", input = Json)]
pub async fn join_room(
    room_id: String,
    seat_id: String,
    name: String,
    key_check: Option<String>,
    proof: String,
    owner_key: Option<String>,
) -> Result<Joined, ApiError> {
    ssr::join_room(room_id, seat_id, name, key_check, proof, owner_key).await
}

/// Does what only the room's creator may ([`crate::rights::Act`]: lock, unlock, remove a
/// member, destroy), proved by `signature`: the creator's key's, over the act, the room and
/// `time` (Unix ms, within a minute of the server's clock).
#[server(prefix = "/api", endpoint = "creator_act", input = Json)]
pub async fn creator_act(
    room_id: String,
    act: crate::rights::Act,
    time: u64,
    signature: String,
) -> Result<(), ApiError> {
    ssr::creator_act(room_id, act, time, signature).await
}

/// A page of messages for a seated visitor: the newest (at most
/// [`crate::model::HISTORY_PAGE`]) after `since`, or with `before`, the page just older than
/// that sequence number. `more` says whether older kept messages are left out.
#[server(prefix = "/api", endpoint = "room_history", input = Json)]
pub async fn room_history(
    room_id: String,
    since: Option<u64>,
    before: Option<u64>,
) -> Result<History, ApiError> {
    ssr::room_history(room_id, since.unwrap_or(0), before).await
}

/// Destroys the room and every message in it, for everyone, at once. Any seated visitor may,
/// and anyone whose `proof` shows they hold the whole link; in a room made for its creator
/// alone (`destroy: "creator"`), only the creator's seat may.
#[server(prefix = "/api", endpoint = "destroy_room", input = Json)]
pub async fn destroy_room(room_id: String, proof: Option<String>) -> Result<(), ApiError> {
    ssr::destroy_room(room_id, proof).await
}

/// Gives this visitor's seat back and forgets the seat cookie.
#[server(prefix = "/api", endpoint = "leave_room", input = Json)]
pub async fn leave_room(room_id: String) -> Result<(), ApiError> {
    ssr::leave_room(room_id).await
}

#[component]
pub fn RoomPage() -> impl IntoView {
    use leptos::either::Either;
    match preload::at_hand() {
        // The server read the room before rendering; the browser reads it back to hydrate.
        Some(load) => Either::Left(shown(load)),
        None => Either::Right(fetched()),
    }
}

/// The room page for a room reached inside the app: fetched, then shown.
fn fetched() -> impl IntoView {
    let params = use_params_map();
    let room_id = move || params.read().get("id").unwrap_or_default();
    let view = Resource::new(room_id, room_view);
    view! {
        <Suspense fallback=|| view! { <p class="p-6 text-muted">"Opening the room…"</p> }>
            {move || Suspend::new(async move { shown(view.await) })}
        </Suspense>
    }
}

/// The room, or what happened instead.
fn shown(load: preload::RoomLoad) -> AnyView {
    match load {
        Ok(room) => view! { <ChatRoom room /> }.into_any(),
        // The room may well exist: say what happened, and stay on its link.
        Err(err @ (ApiError::RateLimited { .. } | ApiError::Unavailable)) => {
            #[cfg(feature = "ssr")]
            crate::server_context::page_status(err.status());
            view! { <p class="p-6 text-muted" role="alert">{err.to_string()}</p> }.into_any()
        }
        // The server answers with its own 302 (Leptos's would name the address without the
        // empty fragment that keeps the key from following the visitor home).
        #[cfg(feature = "ssr")]
        Err(err) => {
            crate::server_context::redirect_page(err.home_query());
            ().into_any()
        }
        #[cfg(not(feature = "ssr"))]
        Err(err) => view! { <Redirect path=err.home_query() /> }.into_any(),
    }
}

#[cfg(feature = "ssr")]
mod ssr;
