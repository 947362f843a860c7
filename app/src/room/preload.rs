//! The room as the server read it before rendering its page.
//!
//! A page that waits inside Leptos's `<Suspense>` on a busy multi-threaded server now and then
//! never finishes (a lost wake-up: the request then times out with 408), so the server reads
//! the room first ([`load`]) and renders the page with it at hand ([`at_hand`]): from context
//! while it renders, and in the browser, while the page hydrates, as the server serialized it
//! into the page. A room reached by navigating inside the app fetches it, as before.

use super::RoomSnapshot;
use crate::error::ApiError;

/// What the room page shows: the room, or why not.
pub type RoomLoad = Result<RoomSnapshot, ApiError>;

/// The room the server read for the page it is rendering (a render context).
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct Preloaded(pub RoomLoad);

/// Reads the room at `raw` for its page, as `room_view` would answer it. Run with the
/// request's `Parts` and the [`crate::server_context::ServerState`] in context.
#[cfg(feature = "ssr")]
pub async fn load(raw: String) -> RoomLoad {
    super::ssr::room_view(raw).await
}

/// The room this render already has: on the server from context, and in the browser, while
/// it hydrates the server's page, as the server sent it. `None` for a room reached inside the
/// app (its page fetches it).
pub fn at_hand() -> Option<RoomLoad> {
    leptos::prelude::SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            leptos::prelude::use_context::<Preloaded>().map(|preloaded| preloaded.0)
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    })
    .into_inner()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos::prelude::{Owner, provide_context};

    #[test]
    fn a_render_has_the_room_at_hand_only_when_the_server_read_it_first() {
        let owner = Owner::new();
        owner.with(|| {
            assert!(at_hand().is_none(), "nothing at hand without a preload");
            provide_context(Preloaded(Err(ApiError::Full)));
            assert_eq!(at_hand(), Some(Err(ApiError::Full)));
        });
    }
}
