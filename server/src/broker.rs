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
use app::protocol::ServerFrame;
use axum::extract::ws::Utf8Bytes;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
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

/// An event on its way to sockets, with the frame clients receive for it: encoded once, by
/// the first socket that sends it, and shared by every other (or, for a message published
/// through Redis, the published text itself: it is already that frame).
#[derive(Debug)]
pub struct Announcement {
    pub event: RoomEvent,
    frame: OnceLock<Option<Utf8Bytes>>,
}

impl Announcement {
    /// An event whose frame arrived with it (already the text of [`ServerFrame`]).
    pub fn with_frame(event: RoomEvent, frame: String) -> Self {
        Announcement { event, frame: OnceLock::from(Some(frame.into())) }
    }

    /// What a pub/sub payload announces: a message frame, or another [`RoomEvent`]. Every
    /// publisher sends a message as its frame (`post.lua`, [`redis::RedisBroker`]'s `publish`),
    /// never as a `RoomEvent`, so the frame's opening tells the two apart without parsing twice.
    pub fn from_published(payload: String) -> Result<Self, String> {
        if payload.starts_with(r#"{"type":"message","#) {
            let message = serde_json::from_str(&payload).map_err(|e| e.to_string())?;
            return Ok(Announcement::with_frame(RoomEvent::Message(message), payload));
        }
        serde_json::from_str::<RoomEvent>(&payload)
            .map(Announcement::from)
            .map_err(|e| e.to_string())
    }

    /// The frame clients receive for this event (`None` for events they are not sent).
    pub fn frame(&self) -> Option<&Utf8Bytes> {
        self.frame
            .get_or_init(|| {
                let frame = match &self.event {
                    RoomEvent::Message(message) => ServerFrame::Message(message.clone()),
                    RoomEvent::Presence(online) => ServerFrame::Presence { online: online.clone() },
                    RoomEvent::Typing(sender) => ServerFrame::Typing { sender: sender.clone() },
                    RoomEvent::Ended(reason) => ServerFrame::Ended { reason: *reason },
                    RoomEvent::SeatLeft(_) => return None,
                };
                match frame.encode() {
                    Ok(text) => Some(text.into()),
                    Err(err) => {
                        tracing::error!(%err, "a server frame could not be encoded");
                        None
                    }
                }
            })
            .as_ref()
    }
}

impl From<RoomEvent> for Announcement {
    fn from(event: RoomEvent) -> Self {
        Announcement { event, frame: OnceLock::new() }
    }
}

impl PartialEq for Announcement {
    fn eq(&self, other: &Self) -> bool {
        self.event == other.event
    }
}

impl Eq for Announcement {}

/// What a broker hands to this instance's hub.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    Event(RoomId, Announcement),
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
    fn an_announcement_is_encoded_once_as_the_frame_clients_receive() {
        let event = RoomEvent::Ended(EndReason::Expired);
        let announcement = Announcement::from(event);
        let frame = announcement.frame().map(|f| f.as_str().to_owned());
        assert_eq!(frame.as_deref(), Some(r#"{"type":"ended","reason":"expired"}"#));
        let again = announcement.frame().map(|f| f.as_str().as_ptr());
        assert_eq!(
            again,
            announcement.frame().map(|f| f.as_str().as_ptr()),
            "shared, not re-encoded"
        );
        assert_eq!(Announcement::from(RoomEvent::SeatLeft("s".into())).frame(), None);
    }

    #[test]
    fn room_events_are_tagged_json() {
        let event = RoomEvent::Ended(EndReason::Destroyed);
        let json = serde_json::to_string(&event).unwrap_or_default();
        assert_eq!(json, r#"{"type":"ended","data":"destroyed"}"#);
        assert_eq!(serde_json::from_str::<RoomEvent>(&json).ok(), Some(event));
    }

    #[test]
    fn a_published_message_is_passed_on_as_it_came_and_other_events_are_decoded() {
        let message = ChatMessage {
            seq: 7,
            id: "m7".into(),
            client_id: "c7".into(),
            sender: Seat { id: "s1".into(), name: "sealed".into() },
            body: "sealed body".into(),
            ts: 1,
        };
        let frame = ServerFrame::Message(message.clone()).encode().unwrap_or_default();
        let read = Announcement::from_published(frame.clone()).expect("a message frame");
        assert_eq!(read.event, RoomEvent::Message(message));
        assert_eq!(read.frame().map(|f| f.as_str()), Some(frame.as_str()), "not re-encoded");
        let ended = r#"{"type":"ended","data":"expired"}"#.to_owned();
        let read = Announcement::from_published(ended).expect("a room event");
        assert_eq!(read.event, RoomEvent::Ended(EndReason::Expired));
        assert!(Announcement::from_published(r#"{"type":"message","data":1}"#.into()).is_err());
        assert!(Announcement::from_published("not json".into()).is_err());
    }
}
