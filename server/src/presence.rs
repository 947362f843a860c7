//! Who is online in a room, across instances.
//!
//! [`Presence`] is the shared record (a Redis hash per room, or a map in this process): it
//! applies a change and, when the room's online list changed, announces the new list to every
//! instance through the room's event stream. [`Roster`] is this instance's side: it gives each
//! socket its entry for as long as the socket lives, and refreshes every entry it holds
//! periodically, so the entries of a crashed instance fade out after [`STALE_AFTER_MS`].

pub mod memory;
pub mod redis;
mod roster;

pub use roster::{Here, Roster};

use app::model::{RoomId, Seat};
use futures::future::BoxFuture;

/// Entries not refreshed for this long drop out of the online list.
pub const STALE_AFTER_MS: u64 = 60_000;
/// How often an instance refreshes the entries of its sockets.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// One socket of a seat, as presence records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Names the socket, unique across instances.
    pub conn: String,
    pub seat: Seat,
}

/// Why a presence call failed (presence is best effort: callers log it and go on).
#[derive(Debug, thiserror::Error)]
pub enum PresenceError {
    #[error("presence: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("presence: {0}")]
    Wire(#[from] crate::event::wire::WireError),
}

/// The shared record of who is online. Every method returns the room's online seats and
/// announces them to every instance when they changed.
pub trait Presence: Send + Sync + 'static {
    /// Records `member` as online.
    fn join(
        &self,
        room: &RoomId,
        member: Member,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>>;

    /// Removes the socket `conn`.
    fn leave(
        &self,
        room: &RoomId,
        conn: &str,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>>;

    /// Marks these sockets as still online (and forgets entries that went stale).
    fn refresh(
        &self,
        room: &RoomId,
        members: Vec<Member>,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>>;
}

/// The online list from entries `(seat, seen_ms)`: one per seat, ordered by seat id, without
/// entries older than [`STALE_AFTER_MS`].
pub fn online_seats<'a>(entries: impl Iterator<Item = (&'a Seat, u64)>, now: u64) -> Vec<Seat> {
    let mut by_id = std::collections::BTreeMap::new();
    for (seat, seen) in entries {
        if now.saturating_sub(seen) <= STALE_AFTER_MS {
            by_id.insert(seat.id.as_str(), seat);
        }
    }
    by_id.into_values().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(id: &str) -> Seat {
        Seat { id: id.into(), name: format!("sealed {id}") }
    }

    #[test]
    fn online_lists_one_entry_per_seat_and_forget_stale_connections() {
        let (s1, s2, s3) = (seat("s1"), seat("s2"), seat("s3"));
        let entries = [(&s1, 1_000), (&s1, 2_000), (&s2, 0), (&s3, 0)];
        let online = online_seats(entries.iter().copied().take(3), 2_000);
        assert_eq!(online, vec![s1.clone(), s2.clone()]);
        let later = online_seats(entries.iter().copied(), STALE_AFTER_MS + 1);
        assert_eq!(later, vec![s1]);
    }
}
