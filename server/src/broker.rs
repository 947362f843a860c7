//! Cross-instance fan-out: every instance hears every event of the rooms it has sockets in.
//!
//! A broker follows the rooms this instance has sockets in and delivers what it hears into this
//! instance's [`Deliveries`] channel, which the hub reads. It carries two kinds of events:
//! those the store and presence announce in the same atomic step that changed them (a stored
//! message, a new online list, a seat given back, a destroyed room), and the ephemeral ones it
//! is asked to [`Broker::publish`] (typing).

pub mod memory;
pub mod redis;

use app::model::{ChatMessage, EndReason, RoomId, Seat};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Something every instance must hear about a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum RoomEvent {
    /// A stored message.
    Message(ChatMessage),
    /// Everyone online now, one per seat.
    Presence(Vec<Seat>),
    /// Someone is typing.
    Typing(Seat),
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
}
