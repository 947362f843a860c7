//! The live state of an open room, as signals. How each server frame changes it is in
//! [`frames`], which only the browser (and the tests) compile.

use super::RoomSnapshot;
use super::chat_log::ChatLog;
use crate::model::RoomId;
use leptos::prelude::*;

#[cfg(any(feature = "hydrate", test))]
pub mod frames;

/// The state of the WebSocket, as the connection indicator shows it.
// The server renders the page before any connection exists: it only ever says Connecting.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    Connecting,
    Connected,
    Reconnecting,
    Offline,
}

/// Every signal of an open room. `Copy`, so components and tasks share it freely.
#[derive(Clone, Copy)]
pub struct Live {
    pub room_id: StoredValue<RoomId>,
    pub expires_at: u64,
    pub log: RwSignal<ChatLog>,
    /// Your name, once you hold a seat.
    pub you: RwSignal<Option<String>>,
    pub link: RwSignal<LinkStatus>,
    /// Everyone online now, you included.
    pub online: RwSignal<Vec<String>>,
    /// Everyone else seen in this room since the page opened, online or not.
    pub peers: RwSignal<Vec<String>>,
    /// Who is typing, and until when (Unix ms).
    pub typing: RwSignal<Option<(String, u64)>>,
    /// Server clock minus this browser's clock, ms.
    #[cfg(any(feature = "hydrate", test))]
    pub clock_offset: RwSignal<i64>,
    /// New messages from others while the tab was hidden.
    pub unread: RwSignal<u32>,
    /// A refusal to show near the input (rate limit, invalid message).
    pub notice: RwSignal<Option<String>>,
    /// Set when the page must leave the room, with where to go.
    pub leave_to: RwSignal<Option<String>>,
}

impl Live {
    /// The state of `room` as rendered; the clock offset is learnt from `welcome`.
    pub fn new(room: &RoomSnapshot) -> Self {
        let log = room.history.clone().map(ChatLog::from_history).unwrap_or_default();
        Live {
            room_id: StoredValue::new(room.room_id.clone()),
            expires_at: room.expires_at,
            log: RwSignal::new(log),
            you: RwSignal::new(room.you.clone()),
            link: RwSignal::new(LinkStatus::Connecting),
            online: RwSignal::new(Vec::new()),
            peers: RwSignal::new(Vec::new()),
            typing: RwSignal::new(None),
            #[cfg(any(feature = "hydrate", test))]
            clock_offset: RwSignal::new(0),
            unread: RwSignal::new(0),
            notice: RwSignal::new(None),
            leave_to: RwSignal::new(None),
        }
    }
}
