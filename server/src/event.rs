//! What happens in a room that every instance must hear, and how it reaches this instance's
//! sockets: a [`RoomEvent`] is announced once ([`Announcement`]: the event, its room and the
//! frame clients receive for it, encoded once) and handed to the hub and on to each socket as a
//! [`Delivery`]. How events travel between instances through Redis is [`wire`]'s alone.

pub mod wire;

use app::model::{ChatMessage, EndReason, RoomId, Seat};
use app::protocol::ServerFrame;
use axum::extract::ws::Utf8Bytes;
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;

/// Something every instance must hear about a room.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    SeatLeft(Seat),
    /// A new seat was taken.
    SeatJoined(Seat),
    /// The creator removed a seat: its sockets must close, told why.
    SeatRemoved(Seat),
    /// The creator locked the room (true) or unlocked it.
    Locked(bool),
}

/// An event of one room on its way to that room's sockets, with the frame clients receive for
/// it: encoded once, by the first socket that sends it, and shared by every other.
#[derive(Debug)]
pub struct Announcement {
    pub room: RoomId,
    pub event: RoomEvent,
    frame: OnceLock<Option<Utf8Bytes>>,
}

impl Announcement {
    pub fn new(room: RoomId, event: RoomEvent) -> Arc<Self> {
        Arc::new(Announcement { room, event, frame: OnceLock::new() })
    }

    /// The frame clients receive for this event (`None` for events they are not sent).
    pub fn frame(&self) -> Option<&Utf8Bytes> {
        self.frame
            .get_or_init(|| {
                let frame = match &self.event {
                    RoomEvent::Message(message) => {
                        return encoded(ServerFrame::encode_message(message));
                    }
                    RoomEvent::Presence(online) => ServerFrame::Presence { online: online.clone() },
                    RoomEvent::Typing(sender) => ServerFrame::Typing { sender: sender.clone() },
                    RoomEvent::Ended(reason) => ServerFrame::Ended { reason: *reason },
                    RoomEvent::SeatLeft(seat) => ServerFrame::Left { seat: seat.clone() },
                    RoomEvent::SeatJoined(seat) => ServerFrame::Joined { seat: seat.clone() },
                    RoomEvent::SeatRemoved(seat) => ServerFrame::Removed { seat: seat.clone() },
                    RoomEvent::Locked(locked) => ServerFrame::Locked { locked: *locked },
                };
                encoded(frame.encode())
            })
            .as_ref()
    }
}

fn encoded(frame: Result<String, serde_json::Error>) -> Option<Utf8Bytes> {
    match frame {
        Ok(text) => Some(text.into()),
        Err(err) => {
            tracing::error!(%err, "a server frame could not be encoded");
            None
        }
    }
}

/// What reaches the hub from the backend, and each socket from the hub.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// An event of a room.
    Event(Arc<Announcement>),
    /// Events may have been missed (the broker reconnected): sockets must catch up from the
    /// store.
    Resync,
    /// This instance cannot hear these rooms' events (its pub/sub path to Redis stays
    /// broken): their sockets are closed with 1012 so their clients reconnect elsewhere. Only
    /// the hub receives this.
    Reconnect(Vec<RoomId>),
}

/// Where a backend hands what it hears to this instance's hub.
pub type DeliveryBus = mpsc::UnboundedSender<Delivery>;

/// Announces `event` of `room` on `bus` (nothing happens once the hub has stopped).
pub fn announce(bus: &DeliveryBus, room: &RoomId, event: RoomEvent) {
    let _ = bus.send(Delivery::Event(Announcement::new(room.clone(), event)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_is_encoded_once_as_the_frame_clients_receive() {
        let room = RoomId::generate();
        let announcement = Announcement::new(room.clone(), RoomEvent::Ended(EndReason::Expired));
        let frame = announcement.frame().map(|f| f.as_str().to_owned());
        assert_eq!(frame.as_deref(), Some(r#"{"type":"ended","reason":"expired"}"#));
        let again = announcement.frame().map(|f| f.as_str().as_ptr());
        assert_eq!(
            again,
            announcement.frame().map(|f| f.as_str().as_ptr()),
            "shared, not re-encoded"
        );
        let seat = Seat { id: "s".into(), name: "sealed".into() };
        let left = Announcement::new(room, RoomEvent::SeatLeft(seat));
        let frame = left.frame().map(|f| f.as_str().to_owned());
        assert_eq!(frame.as_deref(), Some(r#"{"type":"left","seat":{"id":"s","name":"sealed"}}"#));
    }
}
