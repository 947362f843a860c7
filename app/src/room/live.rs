//! The live state of an open room: signals any component may read, and one way to change them,
//! [`Live::dispatch`] with a [`Change`] (in [`change`]; server frames in [`frames`]), which
//! returns the [`Effect`]s the change asks for.

use super::RoomSnapshot;
use super::chat_log::{By, ChatLog, Opening, Revealed};
use crate::confusables::Confusables;
use crate::model::{RoomId, Seat};
use leptos::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

mod change;
mod frames;

pub use change::Change;
#[cfg(feature = "hydrate")]
pub use change::Effect;

/// The state of the WebSocket, as the connection indicator shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionStatus {
    Connecting,
    Connected,
    Reconnecting,
    Offline,
}

/// Where the room key stands. The key lives only in the link's fragment, which the server never
/// sees, so the server renders `Checking` and the browser decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Checking,
    /// The link has no key, or a malformed one.
    Missing,
    /// The key does not open this room's key check.
    Wrong,
    /// The link says the room needs its passphrase too: asking for it.
    NeedsPassphrase,
    /// Stretching the passphrase typed and trying the keys it gives.
    Unlocking,
    /// The passphrase typed does not open the room's key check: asking again.
    PassphraseWrong,
    Ready,
}

impl KeyState {
    /// Whether the page is asking for the room's passphrase (or trying one).
    pub fn locked(self) -> bool {
        matches!(self, KeyState::NeedsPassphrase | KeyState::Unlocking | KeyState::PassphraseWrong)
    }
}

/// A seat's signing key, as this page knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeatKey {
    /// The fingerprint of the key that signed the seat's name.
    Known(String),
    /// Names of the seat signed by two keys: someone with the link and the server's help forged
    /// one, and the page cannot tell which. Nothing of the seat is shown as the seat's.
    Conflicting,
}

/// How someone came or went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Joined,
    Left,
    /// The creator removed them.
    Removed,
}

/// Someone took a seat or gave theirs back (or the creator removed them) while the page was
/// open: a line in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    pub seat: Seat,
    pub kind: Move,
    /// The newest message's sequence number when it happened: the line goes after it.
    pub after: u64,
    /// When the page heard of it, by the server's clock (Unix ms): a room with a message timer
    /// forgets it as it forgets a message sent then.
    pub at: u64,
    /// Its place among the movements the page has heard of (1, 2, …).
    pub nth: u64,
}

/// Every signal of an open room, read-only: only [`Live::dispatch`] writes them. `Copy`, so
/// components and tasks share it freely.
#[derive(Clone, Copy)]
pub struct Live {
    pub room_id: StoredValue<RoomId>,
    pub expires_at: u64,
    pub capacity: u8,
    /// Who may destroy the room, chosen at its creation.
    pub destroyers: crate::model::Destroyers,
    /// Disappearing messages: each is gone this long after it was sent, ms.
    pub message_timer_ms: Option<u64>,
    /// Seats taken, as last heard.
    pub seated: ReadSignal<u8>,
    /// Whether you may destroy the room (in a room made for its creator alone: the creator).
    pub may_destroy: ReadSignal<bool>,
    /// The creator's signing public key (base64url), registered with the room's first seat.
    pub owner_key: StoredValue<Option<String>>,
    /// Whether this page holds the creator's key: it may lock the room and remove members.
    pub is_creator: ReadSignal<bool>,
    /// Whether the creator has locked the room: nobody new may join.
    pub locked: ReadSignal<bool>,
    #[cfg(feature = "hydrate")]
    pub key_check: StoredValue<Option<String>>,
    pub key: ReadSignal<KeyState>,
    pub log: ReadSignal<ChatLog>,
    /// Your seat, once you hold one.
    pub you: ReadSignal<Option<Seat>>,
    pub connection: ReadSignal<ConnectionStatus>,
    /// Everyone online now, you included.
    pub online: ReadSignal<Vec<Seat>>,
    /// Everyone else seen in this room since the page opened, online or not.
    pub peers: ReadSignal<Vec<Seat>>,
    /// Who came and went since the page opened.
    pub movements: ReadSignal<Vec<Movement>>,
    /// Names opened so far, by their sealed form.
    pub names: ReadSignal<HashMap<Seat, Revealed>>,
    /// Who is typing, and until when (Unix ms).
    pub typing: ReadSignal<Option<(Seat, u64)>>,
    /// New messages from others while the tab was hidden.
    pub unread: ReadSignal<u32>,
    /// A refusal to show near the input (rate limit, invalid message).
    pub notice: ReadSignal<Option<String>>,
    /// Set when the page must leave the room, with where to go.
    pub leave_to: ReadSignal<Option<String>>,
    /// A Leave or Destroy the visitor asked for is on its way to the server.
    pub leaving: ReadSignal<bool>,
    /// The server's clock, ticking in the browser (Unix ms); the render time at first, on both
    /// sides.
    pub clock: ReadSignal<u64>,
    /// Server clock minus this browser's clock, ms.
    clock_offset: RwSignal<i64>,
    /// Seats given back since the page opened: a seat id is never given out again in a room,
    /// so a late presence frame that still lists one does not bring it back.
    departed: StoredValue<Vec<String>>,
    /// When the join page last asked for the room (this browser's clock, ms): it learns of
    /// seats taken, an unlock or the room's end without a socket to hear them.
    viewed_from_join_page: StoredValue<u64>,
    /// Each seat's signing key, by seat id: the fingerprint of the key that signed the first
    /// name of the seat this browser opened (kept while the room lives, so a reload still knows
    /// it). A value signed by another key is not that seat's.
    keys: StoredValue<HashMap<String, SeatKey>>,
    /// This browser's own key's fingerprint in the room, once known.
    own_key: StoredValue<Option<String>>,
    /// Unicode's confusables, once fetched: names are compared by their skeleton
    /// ([`crate::model::look`]; the short table until then).
    confusables: ReadSignal<Option<Arc<Confusables>>>,
    /// Whether the page has asked for them.
    confusables_asked: StoredValue<bool>,
    write: Writes,
}

/// The write halves of [`Live`]'s signals, private to this module: the reducer's alone.
#[derive(Clone, Copy)]
struct Writes {
    seated: WriteSignal<u8>,
    may_destroy: WriteSignal<bool>,
    is_creator: WriteSignal<bool>,
    locked: WriteSignal<bool>,
    key: WriteSignal<KeyState>,
    log: WriteSignal<ChatLog>,
    you: WriteSignal<Option<Seat>>,
    connection: WriteSignal<ConnectionStatus>,
    online: WriteSignal<Vec<Seat>>,
    peers: WriteSignal<Vec<Seat>>,
    movements: WriteSignal<Vec<Movement>>,
    names: WriteSignal<HashMap<Seat, Revealed>>,
    typing: WriteSignal<Option<(Seat, u64)>>,
    unread: WriteSignal<u32>,
    notice: WriteSignal<Option<String>>,
    leave_to: WriteSignal<Option<String>>,
    leaving: WriteSignal<bool>,
    clock: WriteSignal<u64>,
    confusables: WriteSignal<Option<Arc<Confusables>>>,
}

impl Live {
    /// "after 30 s": how long messages last here, in words, when they disappear.
    pub fn message_timer_words(&self) -> Option<String> {
        self.message_timer_ms.map(|ms| format!("after {}", crate::home::lifetime_label(ms / 1000)))
    }

    /// The state of `room` as rendered; the clock offset is learnt from `welcome`.
    pub fn new(room: &RoomSnapshot) -> Self {
        let (seated, write_seated) = signal(room.seated);
        let (may_destroy, write_may_destroy) = signal(room.may_destroy);
        let (is_creator, write_is_creator) = signal(room.creator_seat && room.owner_key.is_some());
        let (locked, write_locked) = signal(room.locked);
        let (key, write_key) = signal(KeyState::Checking);
        let history = room.history.clone();
        let you = room.you.as_ref().map(|seat| seat.id.as_str());
        let log = history.map(|history| ChatLog::from_history(history, you));
        let (log, write_log) = signal(log.unwrap_or_default());
        let (you, write_you) = signal(room.you.clone());
        let (connection, write_connection) = signal(ConnectionStatus::Connecting);
        let (online, write_online) = signal(Vec::new());
        let (peers, write_peers) = signal(Vec::new());
        let (movements, write_movements) = signal(Vec::new());
        let (names, write_names) = signal(HashMap::new());
        let (typing, write_typing) = signal(None);
        let (unread, write_unread) = signal(0);
        let (notice, write_notice) = signal(None);
        let (leave_to, write_leave_to) = signal(None);
        let (clock, write_clock) = signal(room.now);
        let (leaving, write_leaving) = signal(false);
        let (confusables, write_confusables) = signal(None);
        Live {
            room_id: StoredValue::new(room.room_id.clone()),
            expires_at: room.expires_at,
            capacity: room.capacity,
            destroyers: room.destroyers,
            message_timer_ms: room.message_timer_ms,
            seated,
            may_destroy,
            owner_key: StoredValue::new(room.owner_key.clone()),
            is_creator,
            locked,
            #[cfg(feature = "hydrate")]
            key_check: StoredValue::new(room.key_check.clone()),
            key,
            log,
            you,
            connection,
            online,
            peers,
            movements,
            names,
            typing,
            unread,
            notice,
            leave_to,
            leaving,
            clock,
            clock_offset: RwSignal::new(0),
            departed: StoredValue::new(Vec::new()),
            viewed_from_join_page: StoredValue::new(0),
            keys: StoredValue::new(HashMap::new()),
            own_key: StoredValue::new(None),
            confusables,
            confusables_asked: StoredValue::new(false),
            write: Writes {
                seated: write_seated,
                may_destroy: write_may_destroy,
                is_creator: write_is_creator,
                locked: write_locked,
                key: write_key,
                log: write_log,
                you: write_you,
                connection: write_connection,
                online: write_online,
                peers: write_peers,
                movements: write_movements,
                names: write_names,
                typing: write_typing,
                unread: write_unread,
                notice: write_notice,
                leave_to: write_leave_to,
                leaving: write_leaving,
                clock: write_clock,
                confusables: write_confusables,
            },
        }
    }

    /// Whether `seat` is this browser's (as things stand: not tracked).
    pub fn is_you(&self, seat: &Seat) -> bool {
        self.you.with_untracked(|you| you.as_ref().is_some_and(|you| you.id == seat.id))
    }

    /// Whether `seat` is this person's: their seat now, or one they held before leaving and
    /// coming back, signed by the same key (shown as "You" too).
    pub fn is_yours(&self, seat: &Seat) -> bool {
        self.is_you(seat)
            || self.own_key.with_value(|own| {
                own.as_ref().is_some_and(|own| {
                    self.keys.with_value(|keys| {
                        matches!(keys.get(&seat.id), Some(SeatKey::Known(key)) if key == own)
                    })
                })
            })
    }

    /// The name to show for `seat`: what it opens to, with a tag when anyone else seen in the
    /// room (online, away, only in the history, or only in a line that says they came or
    /// went) has a name that looks the same
    /// ([`crate::model::look`]). The tag comes from the seat's signing key's fingerprint (the
    /// seat id before the key is known, or in a room made before members signed), and is as
    /// long as it must be to look unlike theirs ([`tag_among`]); a seat signed by the same key
    /// is the same person (who left and came back), not a look-alike. Never a name that fails
    /// the name rules, or one not signed by its seat's key.
    pub fn name_of(&self, seat: &Seat) -> String {
        let opened = |seat: &Seat| match self.names.with(|n| n.get(seat).cloned()) {
            Some(Revealed::Text(name)) if crate::model::clean_username(&name).is_ok() => Ok(name),
            Some(Revealed::Text(_) | Revealed::Unreadable) => Err("Unreadable name"),
            Some(Revealed::Unverified(_) | Revealed::OutOfPlace(_)) => Err("Unverified name"),
            // Not opened yet.
            Some(Revealed::Sealed) | None => Err("…"),
        };
        let name = match opened(seat) {
            Err(shown) => return shown.to_owned(),
            Ok(name) => name,
        };
        let key_of = |s: &Seat| {
            self.keys.with_value(|keys| match keys.get(&s.id) {
                Some(SeatKey::Known(key)) => Some(key.clone()),
                _ => None,
            })
        };
        let mine = key_of(seat);
        let tag_of = |s: &Seat| key_of(s).unwrap_or_else(|| s.id.clone());
        self.confusables.with(|table| {
            let table = table.as_deref();
            let looks = crate::model::look(&name, table);
            let alike = |s: &Seat| {
                s.id != seat.id
                    && (mine.is_none() || key_of(s) != mine)
                    && opened(s).is_ok_and(|n| crate::model::look(&n, table) == looks)
            };
            let twins: Vec<String> = self.peers.with(|peers| {
                let you = self.you.read();
                let moves = self.movements.read();
                self.log.with(|log| {
                    let mut seen: Vec<&Seat> = Vec::new();
                    // Whoever the log names: in it, online or away, or only in a line that
                    // says they came, went or were removed.
                    let moved = moves.iter().map(|movement| &movement.seat);
                    for s in peers.iter().chain(you.as_ref()).chain(log.senders()).chain(moved) {
                        if !seen.iter().any(|known| known.id == s.id) {
                            seen.push(s);
                        }
                    }
                    seen.into_iter().filter(|s| alike(s)).map(tag_of).collect()
                })
            });
            match twins.is_empty() {
                true => name,
                false => {
                    let tag = tag_among(&tag_of(seat), twins.iter().map(String::as_str));
                    format!("{name} #{tag}")
                }
            }
        })
    }

    /// What a seat's name opened to, as the page shows it: the first key that signs a name of
    /// a seat becomes the seat's key ([`Live::keys`]), and a name signed by another is not the
    /// seat's.
    fn name_revealed(&self, seat: &Seat, opening: Opening) -> Revealed {
        match opening {
            Opening::Unreadable => Revealed::Unreadable,
            Opening::Opened { text, by: By::Unsigned } => Revealed::Text(text),
            Opening::Opened { text, by: By::Forged } => Revealed::Unverified(text),
            Opening::Opened { text, by: By::Key(by) } => {
                if self.learn_key(&seat.id, SeatKey::Known(by.fingerprint)) {
                    Revealed::Text(text)
                } else {
                    Revealed::Unverified(text)
                }
            }
        }
    }

    /// Notes `key` as `seat`'s; returns whether it is the seat's key now. A second key for a
    /// seat makes the seat's key conflicting: from then on nothing of the seat is trusted, and
    /// what was shown as the seat's is shown as unverified.
    fn learn_key(&self, seat: &str, key: SeatKey) -> bool {
        let mut conflict = false;
        let trusted = self
            .keys
            .try_update_value(|keys| match keys.get(seat) {
                None => {
                    keys.insert(seat.to_owned(), key);
                    !matches!(keys.get(seat), Some(SeatKey::Conflicting))
                }
                Some(known) if *known == key => matches!(known, SeatKey::Known(_)),
                Some(_) => {
                    conflict = true;
                    keys.insert(seat.to_owned(), SeatKey::Conflicting);
                    false
                }
            })
            .unwrap_or(false);
        if conflict {
            self.write.names.update(|names| {
                for (_, revealed) in names.iter_mut().filter(|(s, _)| s.id == seat) {
                    if let Revealed::Text(text) = revealed {
                        *revealed = Revealed::Unverified(std::mem::take(text));
                    }
                }
            });
            self.write.log.update(|log| log.distrust(seat));
        }
        trusted
    }

    /// The seats' keys this page knows, to keep while the room lives (`None`: conflicting).
    #[cfg(any(feature = "hydrate", test))]
    pub fn seat_keys(&self) -> Vec<(String, Option<String>)> {
        self.keys.with_value(|keys| {
            let mut known: Vec<(String, Option<String>)> = keys
                .iter()
                .map(|(seat, key)| match key {
                    SeatKey::Known(key) => (seat.clone(), Some(key.clone())),
                    SeatKey::Conflicting => (seat.clone(), None),
                })
                .collect();
            known.sort();
            known
        })
    }
}

/// The fewest characters a tag shows.
const TAG_MIN: usize = 4;

/// A tag for `seat_id` that looks unlike the tags of `twins` (the others whose names look the
/// same): the id's first [`TAG_MIN`] characters, or more, up to the whole id, until no twin's
/// id starts with characters that look the same ([`crate::model::look`]: `l` and `I` are one).
/// A seat id is chosen by its page, so anyone may pick one that starts like yours; no two seats
/// share an id, so some length tells them apart.
pub fn tag_among<'a>(seat_id: &str, twins: impl Iterator<Item = &'a str>) -> String {
    let looks =
        |id: &str| id.chars().map(|c| crate::model::look(&c.to_string(), None)).collect::<Vec<_>>();
    let mine = looks(seat_id);
    let shared = |other: &str| mine.iter().zip(looks(other)).take_while(|(a, b)| **a == *b).count();
    let len = twins.map(|twin| shared(twin) + 1).fold(TAG_MIN, usize::max);
    seat_id.chars().take(len).collect()
}

/// What the reducer's tests start from.
#[cfg(test)]
mod fixture {
    use super::Live;
    use crate::model::{History, Seat};
    use crate::room::RoomSnapshot;
    use leptos::prelude::Owner;

    /// A two-seat room with one seat taken, not yours, ending at 100 000 by the server's clock.
    pub fn room() -> RoomSnapshot {
        RoomSnapshot {
            room_id: "abcdefghijklmnop".parse().expect("a room id"),
            expires_at: 100_000,
            now: 1_000,
            capacity: 2,
            seated: 1,
            destroyers: crate::model::Destroyers::Anyone,
            may_destroy: true,
            message_timer_ms: None,
            key_check: None,
            owner_key: None,
            locked: false,
            creator_seat: false,
            you: None,
            history: Some(History::default()),
        }
    }

    /// The live state of [`room`], under a reactive owner kept current for this test's thread.
    pub fn live() -> Live {
        let owner = Owner::new();
        owner.set();
        std::mem::forget(owner);
        Live::new(&room())
    }

    pub fn seat(id: &str) -> Seat {
        Seat { id: id.into(), name: format!("sealed {id}") }
    }
}

#[cfg(test)]
mod tag_tests {
    use super::tag_among;

    #[test]
    fn a_tag_grows_until_it_looks_unlike_every_twin() {
        // The audit's pair: a seat id picked to start like the creator's.
        assert_eq!(tag_among("nDRMIDh72P23", ["nDRMZZZZZZZZ"].into_iter()), "nDRMI");
        assert_eq!(tag_among("nDRMZZZZZZZZ", ["nDRMIDh72P23"].into_iter()), "nDRMZ");
        // l, I and 1 are drawn alike, and so are capitals and small letters: not told apart.
        assert_eq!(tag_among("abcdlX000000", ["abcdIY000000"].into_iter()), "abcdlX");
        assert_eq!(tag_among("abcdefghijkl", ["ABCDEFGHIJKm"].into_iter()), "abcdefghijkl");
        // Each twin adds what it shares; no twin, or none alike at the start: four characters.
        assert_eq!(
            tag_among("abcdefgh0000", ["abcdex000000", "abcdefgx0000"].into_iter()),
            "abcdefgh"
        );
        assert_eq!(tag_among("abcdefghijkl", ["zzzzzzzzzzzz"].into_iter()), "abcd");
        assert_eq!(tag_among("abcdefghijkl", std::iter::empty()), "abcd");
    }
}
