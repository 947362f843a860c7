//! The live state of an open room, as signals. How each server frame changes it is in
//! [`frames`], which only the browser (and the tests) compile.

use super::RoomSnapshot;
use super::chat_log::{ChatLog, Revealed};
use crate::model::{RoomId, Seat};
use leptos::prelude::*;
use std::collections::HashMap;

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

/// Where the room key stands. The key lives only in the link's fragment, which the server never
/// sees, so the server renders `Checking` and the browser decides.
// The server renders before the key is read: it only ever says Checking.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Checking,
    /// The link has no key, or a malformed one.
    Missing,
    /// The key does not open this room's key check.
    Wrong,
    Ready,
}

/// Every signal of an open room. `Copy`, so components and tasks share it freely.
#[derive(Clone, Copy)]
pub struct Live {
    pub room_id: StoredValue<RoomId>,
    pub expires_at: u64,
    pub capacity: u8,
    /// Seats taken when the page was rendered.
    pub seated: RwSignal<u8>,
    #[cfg(feature = "hydrate")]
    pub key_check: StoredValue<Option<String>>,
    pub key: RwSignal<KeyState>,
    pub log: RwSignal<ChatLog>,
    /// Your seat, once you hold one.
    pub you: RwSignal<Option<Seat>>,
    pub link: RwSignal<LinkStatus>,
    /// Everyone online now, you included.
    pub online: RwSignal<Vec<Seat>>,
    /// Everyone else seen in this room since the page opened, online or not.
    pub peers: RwSignal<Vec<Seat>>,
    /// Names opened so far, by their sealed form.
    pub names: RwSignal<HashMap<String, Revealed>>,
    /// Who is typing, and until when (Unix ms).
    pub typing: RwSignal<Option<(Seat, u64)>>,
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
            capacity: room.capacity,
            seated: RwSignal::new(room.seated),
            #[cfg(feature = "hydrate")]
            key_check: StoredValue::new(room.key_check.clone()),
            key: RwSignal::new(KeyState::Checking),
            log: RwSignal::new(log),
            you: RwSignal::new(room.you.clone()),
            link: RwSignal::new(LinkStatus::Connecting),
            online: RwSignal::new(Vec::new()),
            peers: RwSignal::new(Vec::new()),
            names: RwSignal::new(HashMap::new()),
            typing: RwSignal::new(None),
            #[cfg(any(feature = "hydrate", test))]
            clock_offset: RwSignal::new(0),
            unread: RwSignal::new(0),
            notice: RwSignal::new(None),
            leave_to: RwSignal::new(None),
        }
    }

    /// Whether `seat` is this browser's (as things stand: not tracked).
    pub fn is_you(&self, seat: &Seat) -> bool {
        self.you.with_untracked(|you| you.as_ref().is_some_and(|you| you.id == seat.id))
    }

    /// The name to show for `seat`: what it opens to, with a short tag from the seat id when
    /// someone else in the room shows the same name. Never a name that fails the name rules.
    pub fn name_of(&self, seat: &Seat) -> String {
        let opened = |seat: &Seat| match self.names.with(|n| n.get(&seat.name).cloned()) {
            Some(Revealed::Text(name)) if crate::model::clean_username(&name).is_ok() => Some(name),
            Some(Revealed::Text(_) | Revealed::Unreadable) => None,
            Some(Revealed::Sealed) | None => Some(String::new()),
        };
        let name = match opened(seat) {
            None => return "Unreadable name".to_owned(),
            // Not opened yet.
            Some(name) if name.is_empty() => return "…".to_owned(),
            Some(name) => name,
        };
        let others = self.peers.with(|peers| {
            peers
                .iter()
                .chain(self.you.read().as_ref())
                .filter(|s| s.id != seat.id)
                .any(|s| opened(s).as_deref() == Some(name.as_str()))
        });
        if others { format!("{name} #{}", tag(&seat.id)) } else { name }
    }
}

/// A short, stable tag for a seat: the first characters of its id.
pub fn tag(seat_id: &str) -> String {
    seat_id.chars().take(4).collect()
}
