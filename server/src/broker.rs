//! Cross-instance fan-out: every instance hears every event of the rooms it has sockets in.
//!
//! A broker delivers what it hears into this instance's [`Deliveries`] channel, which the hub
//! reads; stores publish into the same stream (a Redis script, or the in-process bus), so a
//! message is stored and announced in one step.

pub mod memory;
pub mod redis;

use app::model::{ChatMessage, EndReason, RoomId};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Something every instance must hear about a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum RoomEvent {
    /// A stored message.
    Message(ChatMessage),
    /// Names of everyone online now.
    Presence(Vec<String>),
    /// Someone is typing.
    Typing(String),
    /// The room ended.
    Ended(EndReason),
    /// A seat was given back: its sockets must close.
    SeatLeft(String),
}

/// What a broker hands to this instance's hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Event(RoomId, RoomEvent),
    /// Events may have been missed (the broker reconnected): sockets must catch up.
    Resync,
}

pub type Deliveries = mpsc::UnboundedSender<Delivery>;

/// One socket of a seat, as presence knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Unique across instances.
    pub conn: String,
    pub seat_id: String,
    pub name: String,
}

/// A change in who is connected to a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresenceChange {
    /// This connection is now online.
    Online(Connection),
    /// Connection `conn` went away.
    Offline { conn: String },
    /// These connections are still alive (sent periodically so a crashed instance's
    /// connections fade out).
    Alive(Vec<Connection>),
}

/// Why a broker call failed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("broker: {0}")]
pub struct BrokerError(pub String);

/// Fan-out between instances. Methods that return futures do their ordering work before
/// returning, so calls take effect in the order they were made.
pub trait Broker: Send + Sync + 'static {
    /// Starts delivering `room`'s events here; the future resolves once they flow (a message
    /// published after that is guaranteed to be delivered).
    fn subscribe(&self, room: &RoomId) -> BoxFuture<'static, Result<(), BrokerError>>;

    /// Stops delivering `room`'s events here.
    fn unsubscribe(&self, room: &RoomId);

    /// Sends an ephemeral event (never stored) to every instance.
    fn publish(
        &self,
        room: &RoomId,
        event: RoomEvent,
    ) -> BoxFuture<'static, Result<(), BrokerError>>;

    /// Applies a presence change, tells every instance the new online list (when it changed)
    /// and returns it.
    fn presence(
        &self,
        room: &RoomId,
        change: PresenceChange,
    ) -> BoxFuture<'static, Result<Vec<String>, BrokerError>>;
}

/// Connections silent for longer than this drop out of presence.
pub const PRESENCE_STALE_MS: u64 = 60_000;
/// How often an instance says its connections are alive.
pub const PRESENCE_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(20);

/// The online list from presence entries `(seat_id, name, seen_ms)`: one name per seat,
/// sorted, without entries older than [`PRESENCE_STALE_MS`].
pub fn online_names<'a>(
    entries: impl Iterator<Item = (&'a str, &'a str, u64)>,
    now: u64,
) -> Vec<String> {
    let mut by_seat = std::collections::BTreeMap::new();
    for (seat, name, seen) in entries {
        if now.saturating_sub(seen) <= PRESENCE_STALE_MS {
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
    fn room_events_are_tagged_json() {
        let event = RoomEvent::Ended(EndReason::Destroyed);
        let json = serde_json::to_string(&event).unwrap_or_default();
        assert_eq!(json, r#"{"type":"ended","data":"destroyed"}"#);
        assert_eq!(serde_json::from_str::<RoomEvent>(&json).ok(), Some(event));
    }

    #[test]
    fn online_lists_one_name_per_seat_and_forget_stale_connections() {
        let entries =
            [("s1", "bob", 1_000), ("s1", "bob", 2_000), ("s2", "amy", 0), ("s3", "old", 0)];
        let names = online_names(entries.iter().map(|e| (e.0, e.1, e.2)).take(3), 2_000);
        assert_eq!(names, vec!["amy".to_string(), "bob".to_string()]);
        let later = online_names(entries.iter().map(|e| (e.0, e.1, e.2)), PRESENCE_STALE_MS + 1);
        assert_eq!(later, vec!["bob".to_string()]);
    }
}
