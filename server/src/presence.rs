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

use app::model::RoomId;
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
    pub seat_id: String,
    pub name: String,
}

/// Why a presence call failed (presence is best effort: callers log it and go on).
#[derive(Clone, Debug, thiserror::Error)]
#[error("presence: {0}")]
pub struct PresenceError(pub String);

/// The shared record of who is online. Every method returns the room's online names and
/// announces them to every instance when they changed.
pub trait Presence: Send + Sync + 'static {
    /// Records `member` as online.
    fn join(
        &self,
        room: &RoomId,
        member: Member,
    ) -> BoxFuture<'static, Result<Vec<String>, PresenceError>>;

    /// Removes the socket `conn`.
    fn leave(
        &self,
        room: &RoomId,
        conn: &str,
    ) -> BoxFuture<'static, Result<Vec<String>, PresenceError>>;

    /// Marks these sockets as still online (and forgets entries that went stale).
    fn refresh(
        &self,
        room: &RoomId,
        members: Vec<Member>,
    ) -> BoxFuture<'static, Result<Vec<String>, PresenceError>>;
}

/// The online list from entries `(seat_id, name, seen_ms)`: one name per seat, sorted, without
/// entries older than [`STALE_AFTER_MS`].
pub fn online_names<'a>(
    entries: impl Iterator<Item = (&'a str, &'a str, u64)>,
    now: u64,
) -> Vec<String> {
    let mut by_seat = std::collections::BTreeMap::new();
    for (seat, name, seen) in entries {
        if now.saturating_sub(seen) <= STALE_AFTER_MS {
            by_seat.insert(seat, name);
        }
    }
    let mut names: Vec<String> = by_seat.into_values().map(str::to_owned).collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_lists_one_name_per_seat_and_forget_stale_connections() {
        let entries =
            [("s1", "bob", 1_000), ("s1", "bob", 2_000), ("s2", "amy", 0), ("s3", "old", 0)];
        let names = online_names(entries.iter().map(|e| (e.0, e.1, e.2)).take(3), 2_000);
        assert_eq!(names, vec!["amy".to_string(), "bob".to_string()]);
        let later = online_names(entries.iter().map(|e| (e.0, e.1, e.2)), STALE_AFTER_MS + 1);
        assert_eq!(later, vec!["bob".to_string()]);
    }
}
