//! The WebSocket wire protocol: JSON text frames tagged by `type`, and the close codes.
//!
//! Both ends encode and decode through this module only; `docs/PROTOCOL.md` describes it for
//! anyone writing another client.

use crate::model::{ChatMessage, EndReason, Seat};
use serde::{Deserialize, Serialize};

/// A `typing` frame is relayed at most once per this many milliseconds per connection (the
/// browser sends no more often either).
pub const TYPING_EVERY_MS: u64 = 2_000;

/// A frame the browser sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Post a message, sealed with the room key. Sending the same `client_id` again is safe:
    /// it is stored once.
    Send { client_id: String, body: String },
    /// The sender is typing.
    Typing {},
}

/// A frame the server sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame on every connection.
    Welcome {
        /// Your seat in this room.
        you: Seat,
        /// The room's latest sequence number.
        seq: u64,
        /// When the room ends, Unix ms.
        expires_at: u64,
        /// The server's clock, Unix ms, so the page can correct its countdown.
        now: u64,
        /// The others online now, one per seat.
        peers: Vec<Seat>,
        /// False when messages after your `since` are no longer kept: reload history.
        recovered: bool,
        /// Whether the room's creator has locked it (no new seats).
        #[serde(default)]
        locked: bool,
    },
    /// A stored message; your own copy (same `client_id`) is the acknowledgement.
    Message(ChatMessage),
    /// Everyone online in the room now, you included, one per seat.
    Presence { online: Vec<Seat> },
    /// Someone else is typing.
    Typing { sender: Seat },
    /// Someone gave their seat back (Leave): they are no longer in the room, and their seat is
    /// free for someone else.
    Left { seat: Seat },
    /// Someone took a new seat (`join_room`).
    Joined { seat: Seat },
    /// The room's creator removed this seat: its holder is out, and the seat free. The removed
    /// seat's own sockets are closed with [`CloseCode::Removed`] instead.
    Removed { seat: Seat },
    /// The room's creator locked the room (no new seats) or unlocked it.
    Locked { locked: bool },
    /// The room is gone; the socket closes next.
    Ended { reason: EndReason },
    /// Something you sent was refused; the connection stays open.
    Error { code: ErrorCode, message: String },
}

/// Why a client frame was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not a frame this protocol knows.
    BadFrame,
    /// The sealed message is malformed or larger than 1000 characters can seal to.
    InvalidMessage,
    /// Too many messages; slow down.
    RateLimited,
    /// The server could not store the message; try again.
    Unavailable,
}

/// WebSocket close codes Burner uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum CloseCode {
    /// The room ended while you were connected (after an `ended` frame).
    Normal = 1000,
    /// A frame over the size limit.
    TooBig = 1009,
    /// The server is restarting: reconnect (possibly to another instance).
    Restarting = 1012,
    /// No seat in this room (missing or unknown cookie, or you left).
    NoSeat = 4401,
    /// The room's creator removed you.
    Removed = 4403,
    /// The room does not exist or has ended.
    RoomGone = 4404,
    /// You did not read fast enough; reconnect with `since`.
    SlowConsumer = 4408,
    /// Too many frames.
    RateLimited = 4429,
}

impl CloseCode {
    pub fn code(self) -> u16 {
        self as u16
    }

    pub fn from_code(code: u16) -> Option<Self> {
        [
            Self::Normal,
            Self::TooBig,
            Self::Restarting,
            Self::NoSeat,
            Self::Removed,
            Self::RoomGone,
            Self::SlowConsumer,
            Self::RateLimited,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }

    /// The code as a label (for metrics).
    pub fn label(self) -> &'static str {
        match self {
            Self::Normal => "1000",
            Self::TooBig => "1009",
            Self::Restarting => "1012",
            Self::NoSeat => "4401",
            Self::Removed => "4403",
            Self::RoomGone => "4404",
            Self::SlowConsumer => "4408",
            Self::RateLimited => "4429",
        }
    }

    /// The reason text sent with the close frame.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Normal => "room ended",
            Self::TooBig => "frame too big",
            Self::Restarting => "server restarting",
            Self::NoSeat => "no seat in this room",
            Self::Removed => "removed by the room's creator",
            Self::RoomGone => "room not found or ended",
            Self::SlowConsumer => "too slow to keep up",
            Self::RateLimited => "rate limited",
        }
    }

    /// Whether a client should connect again after this close (with `since`, after a backoff).
    /// The others mean the room or the seat is over.
    pub fn should_reconnect(self) -> bool {
        match self {
            Self::TooBig | Self::Restarting | Self::SlowConsumer | Self::RateLimited => true,
            Self::Normal | Self::NoSeat | Self::Removed | Self::RoomGone => false,
        }
    }
}

impl ClientFrame {
    pub fn decode(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn encode(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

impl ServerFrame {
    pub fn decode(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn encode(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// The frame of a stored message, from a borrowed message: the same text as
    /// `ServerFrame::Message(message.clone()).encode()`, without the copy (the server encodes one
    /// for every message an instance hears).
    pub fn encode_message(message: &ChatMessage) -> Result<String, serde_json::Error> {
        #[derive(Serialize)]
        struct Tagged<'a> {
            r#type: &'static str,
            #[serde(flatten)]
            message: &'a ChatMessage,
        }
        serde_json::to_string(&Tagged { r#type: "message", message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_have_the_documented_shape() {
        let send = ClientFrame::decode(r#"{"type":"send","client_id":"c1","body":"AQ"}"#);
        assert_eq!(
            send.ok(),
            Some(ClientFrame::Send { client_id: "c1".into(), body: "AQ".into() })
        );
        assert_eq!(ClientFrame::decode(r#"{"type":"typing"}"#).ok(), Some(ClientFrame::Typing {}));
        assert_eq!(ClientFrame::Typing {}.encode().ok().as_deref(), Some(r#"{"type":"typing"}"#));
    }

    #[test]
    fn unknown_or_malformed_client_frames_are_errors_not_panics() {
        for bad in [
            "",
            "null",
            "{}",
            r#"{"type":"shout"}"#,
            r#"{"type":"send","body":"no id"}"#,
            r#"{"type":"send","client_id":"c","body":"x","sender":"spoofed"}"#,
            r#"{"type":"send","client_id":"c","text":"plaintext"}"#,
            "[1,2,3]",
        ] {
            assert!(ClientFrame::decode(bad).is_err(), "{bad:?}");
        }
    }

    fn seat(id: &str) -> Seat {
        Seat { id: id.into(), name: format!("sealed-{id}") }
    }

    #[test]
    fn a_message_frame_from_a_borrowed_message_is_the_same_text() {
        let message = ChatMessage {
            seq: 7,
            id: "m\"1".into(),
            client_id: "c1".into(),
            sender: seat("a"),
            body: "AQ\u{1F525}".into(),
            ts: 1_700_000_000_000,
        };
        let owned = ServerFrame::Message(message.clone()).encode().ok();
        assert!(owned.is_some());
        assert_eq!(ServerFrame::encode_message(&message).ok(), owned);
    }

    #[test]
    fn server_frames_round_trip_with_a_type_tag() {
        let frames = [
            ServerFrame::Welcome {
                you: seat("a"),
                seq: 3,
                expires_at: 10,
                now: 5,
                peers: vec![seat("b")],
                recovered: true,
                locked: true,
            },
            ServerFrame::Removed { seat: seat("b") },
            ServerFrame::Locked { locked: false },
            ServerFrame::Message(ChatMessage {
                seq: 1,
                id: "m".into(),
                client_id: "c".into(),
                sender: seat("a"),
                body: "AQ".into(),
                ts: 9,
            }),
            ServerFrame::Presence { online: vec![seat("a")] },
            ServerFrame::Typing { sender: seat("a") },
            ServerFrame::Ended { reason: EndReason::Destroyed },
            ServerFrame::Error { code: ErrorCode::RateLimited, message: "slow".into() },
        ];
        for frame in frames {
            let text = frame.encode().unwrap_or_default();
            assert!(text.starts_with(r#"{"type":""#), "{text}");
            assert_eq!(ServerFrame::decode(&text).ok(), Some(frame));
        }
        let ended = ServerFrame::Ended { reason: EndReason::Expired }.encode();
        assert_eq!(ended.ok().as_deref(), Some(r#"{"type":"ended","reason":"expired"}"#));
    }

    #[test]
    fn close_codes_map_both_ways() {
        for code in [1000, 1009, 1012, 4401, 4403, 4404, 4408, 4429] {
            assert_eq!(CloseCode::from_code(code).map(CloseCode::code), Some(code));
        }
        assert_eq!(CloseCode::from_code(1006), None);
    }

    #[test]
    fn a_client_reconnects_unless_the_room_or_its_seat_is_over() {
        let again = [1009, 1012, 4408, 4429];
        for code in [1000, 1009, 1012, 4401, 4403, 4404, 4408, 4429] {
            let close = CloseCode::from_code(code).map(CloseCode::should_reconnect);
            assert_eq!(close, Some(again.contains(&code)), "{code}");
        }
    }
}
