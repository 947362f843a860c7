//! The room store: rooms, seats and history behind one interface with two backends
//! (Redis and embedded, in `server::store`), both held to one contract test suite.

pub use crate::model::Seat;
use crate::model::{ChatMessage, Destroyers, History, RoomId};
use crate::seat::TokenHash;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// What a store knows about a live room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomInfo {
    pub id: RoomId,
    pub created_at: u64,
    /// The deadline fixed at creation, Unix ms; never extended.
    pub expires_at: u64,
    pub capacity: u8,
    /// Seats taken now.
    pub seated: u8,
    /// The key check value the creator sealed (none until the first seat is taken).
    pub key_check: Option<String>,
    /// The verifier of the room's membership secret ([`crate::membership`]), registered at
    /// creation; `None` only for a room made before rooms had one.
    pub verifier: Option<String>,
    /// Who may destroy the room.
    pub destroyers: Destroyers,
    /// The id of the room's first seat, its creator's (none until it is taken; kept when they
    /// leave, so nobody else becomes the creator).
    pub creator_seat: Option<String>,
    /// Each message is removed this long after it was stored (disappearing messages), ms.
    pub message_timer_ms: Option<u64>,
    /// The creator's signing public key (Ed25519, base64url), registered with the first seat:
    /// what proves the creator's rights (lock, remove, destroy), whatever seat they hold now.
    /// `None` for a room whose creator registered none (made before rooms had one).
    pub owner_key: Option<String>,
    /// Locked by its creator: no new seat is given out (a seat's holder keeps it).
    pub locked: bool,
}

impl RoomInfo {
    /// Whether the holder of seat `seat_id` (none: someone proving the whole link) may destroy
    /// the room.
    ///
    /// In a room whose creator registered a key, that key alone proves the creator
    /// ([`crate::rights`]): a seat never does.
    pub fn may_destroy(&self, seat_id: Option<&str>) -> bool {
        match self.destroyers {
            Destroyers::Anyone => true,
            Destroyers::Creator => {
                self.owner_key.is_none()
                    && seat_id.is_some()
                    && seat_id == self.creator_seat.as_deref()
            }
        }
    }

    /// Whether seat `seat_id` is the one the creator took first (what the page is told, so the
    /// creator sees Destroy at once; their key is what the server checks).
    pub fn is_creator_seat(&self, seat_id: &str) -> bool {
        self.creator_seat.as_deref() == Some(seat_id)
    }
}

/// Who asks for a new room: their client address (a /64 for IPv6), and how many rooms alive
/// they may hold at once.
#[derive(Clone, Copy, Debug)]
pub struct Creator<'a> {
    pub key: &'a str,
    pub max_alive: u32,
}

/// What a store may hold. A room's history keeps the newest messages, at most `messages` of
/// them and at most `bytes` of them as stored (the newest message is always kept). The embedded
/// store, which holds rooms in the process's memory, takes a new room only while every room's
/// full budget (`bytes` and [`StoreLimits::ROOM_OVERHEAD`]) fits in `memory` (Redis has its
/// own `maxmemory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    pub messages: u32,
    pub bytes: u64,
    pub memory: u64,
}

impl StoreLimits {
    /// The default byte budget of a room's history (`rooms.history-max-bytes`).
    pub const DEFAULT_BYTES: u64 = 1024 * 1024;
    /// The default memory of the embedded store (`backend.memory-max-bytes`).
    pub const DEFAULT_MEMORY: u64 = 1024 * 1024 * 1024;
    /// What a room takes besides its messages: its seats, ids and bookkeeping, generously.
    pub const ROOM_OVERHEAD: u64 = 4 * 1024;

    /// How many rooms the embedded store may hold at once.
    pub fn rooms_in_memory(&self) -> u64 {
        self.memory / (self.bytes + Self::ROOM_OVERHEAD)
    }
}

/// A message cap, with the default byte budget and memory.
impl From<u32> for StoreLimits {
    fn from(messages: u32) -> Self {
        StoreLimits { messages, bytes: Self::DEFAULT_BYTES, memory: Self::DEFAULT_MEMORY }
    }
}

/// Which part of a room's history to read: the newest `limit` kept messages with
/// `after < seq < before` (no upper bound when `before` is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub after: u64,
    pub before: Option<u64>,
    pub limit: u32,
}

impl Window {
    /// Every kept message after `since`.
    pub fn after(since: u64) -> Self {
        Window { after: since, before: None, limit: u32::MAX }
    }

    /// The newest page of messages after `since`.
    pub fn newest(since: u64) -> Self {
        Window { after: since, before: None, limit: crate::model::HISTORY_PAGE }
    }

    /// The page of messages just before `before`.
    pub fn older_than(before: u64) -> Self {
        Window { after: 0, before: Some(before), limit: crate::model::HISTORY_PAGE }
    }
}

/// The outcome of a post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Posted {
    /// Stored under this sequence number and published: the stored message reaches every socket
    /// (this one too, as its acknowledgement) through pub/sub.
    Stored { seq: u64 },
    /// This seat had already posted this `client_id`: nothing new was stored or published; the
    /// stored message is returned so it can be acknowledged again.
    Duplicate(ChatMessage),
}

/// Why a store call did not do what was asked.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("room not found or ended")]
    Gone,
    #[error("room is full")]
    Full,
    #[error("no seat in this room")]
    NotSeated,
    /// The room is locked: no new seat is given out.
    #[error("the room is locked")]
    Locked,
    /// This token's seat was removed by the room's creator.
    #[error("this seat was removed by the room's creator")]
    Removed,
    /// A new seat asked for a seat id this room has already given out.
    #[error("this seat id is taken in this room")]
    SeatIdTaken,
    #[error("this address holds as many rooms as it may")]
    TooManyRooms { max_alive: u32 },
    /// The store holds as many rooms as its memory allows (the embedded backend).
    #[error("the store holds as many rooms as it can")]
    AtCapacity,
    /// The backend failed (connection lost, script error); the cause is for logs only.
    #[error("store backend: {0}")]
    Backend(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// A backend failure, keeping its cause.
    pub fn backend(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Arc::new(cause))
    }
}

/// Backend failures are equal only when they are the same failure.
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (StoreError::Backend(a), StoreError::Backend(b)) => Arc::ptr_eq(a, b),
            (
                StoreError::TooManyRooms { max_alive: a },
                StoreError::TooManyRooms { max_alive: b },
            ) => a == b,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Eq for StoreError {}

/// Rooms, seats and messages. All methods are safe to call concurrently from many tasks and,
/// for shared backends, from many server instances.
#[async_trait]
pub trait RoomStore: Send + Sync + 'static {
    /// Creates a room that ends `ttl` from now with `capacity` seats, none taken, the
    /// membership `verifier` its creator registers (kept for the room's life) and who may
    /// destroy it (the creator is whoever takes the first seat), and, for disappearing
    /// messages, how long each message lives: past it a message is never read back and is
    /// removed from the store within a few seconds. With a
    /// `creator`, refuses ([`StoreError::TooManyRooms`]) when that address already holds
    /// `max_alive` rooms that have not ended (destroyed ones no longer count). Refuses
    /// ([`StoreError::AtCapacity`]) when the store cannot hold another room.
    async fn create_room(
        &self,
        ttl: Duration,
        capacity: u8,
        verifier: &str,
        creator: Option<Creator<'_>>,
        destroyers: Destroyers,
        message_timer: Option<Duration>,
    ) -> Result<RoomInfo, StoreError>;

    /// The room, or `None` once it was destroyed or reached its deadline.
    async fn room(&self, room: &RoomId) -> Result<Option<RoomInfo>, StoreError>;

    /// Claims `seat` (its id chosen by the joining browser, its name sealed for that id) for
    /// the holder of `token`, in one atomic step.
    ///
    /// The holder of a seat claiming again gets the same seat back (its id and name unchanged).
    /// A seat id is given out once in a room's life: a new claim with an id the room has given
    /// out before (to anyone, even a seat since left) fails with [`StoreError::SeatIdTaken`].
    /// A new claim when every seat is taken fails with [`StoreError::Full`]; capacity is never
    /// exceeded, however many claims race. A new claim in a locked room fails with
    /// [`StoreError::Locked`] (a seat's holder claiming again still gets it back). The room's key check is stored with the first seat
    /// taken (the creator's) and never replaced. Fails with [`StoreError::Gone`] when the room
    /// is gone.
    async fn claim_seat(
        &self,
        room: &RoomId,
        token: &TokenHash,
        seat: &Seat,
        key_check: Option<&str>,
    ) -> Result<Seat, StoreError>;

    /// The seat held by `token`, or `None` (also when the room is gone); fails with
    /// [`StoreError::Removed`] when the creator removed this token's seat.
    async fn seat(&self, room: &RoomId, token: &TokenHash) -> Result<Option<Seat>, StoreError>;

    /// Registers `key`, the creator's signing public key, for the holder of `token` when that
    /// seat is the room's first (the creator's) and no key is registered yet; kept for the
    /// room's life, never replaced. Returns whether it was registered.
    async fn set_owner(
        &self,
        room: &RoomId,
        token: &TokenHash,
        key: &str,
    ) -> Result<bool, StoreError>;

    /// Locks the room (no new seat is given out) or unlocks it, and tells every instance
    /// (`Locked`) when that changed it. Returns whether it changed.
    async fn set_locked(&self, room: &RoomId, locked: bool) -> Result<bool, StoreError>;

    /// Frees seat `seat_id` and remembers its token as removed (its holder learns so, from
    /// [`RoomStore::seat`], for the room's life), and tells every instance (`SeatRemoved`): its
    /// sockets close. Returns false when no seat has that id now.
    async fn remove_seat(&self, room: &RoomId, seat_id: &str) -> Result<bool, StoreError>;

    /// Gives the seat back so someone else may take it; tells every instance (`SeatLeft`).
    /// Returns false when `token` held no seat.
    async fn leave(&self, room: &RoomId, token: &TokenHash) -> Result<bool, StoreError>;

    /// Stores a sealed message from `sender`, the seat `token` holds, in one atomic step:
    /// assigns the next sequence number (from 1, no gaps), appends to the history (dropping the
    /// oldest past the [`StoreLimits`], by count and by bytes) and publishes it to every
    /// instance. The same `client_id` from the same seat is stored once: a repeat returns
    /// [`Posted::Duplicate`] with the stored message and publishes nothing. Fails with
    /// [`StoreError::Gone`] for a room that is gone (nothing is stored) and
    /// [`StoreError::NotSeated`] when `token` holds no seat, or not `sender`.
    async fn post(
        &self,
        room: &RoomId,
        token: &TokenHash,
        sender: &Seat,
        client_id: &str,
        body: &str,
    ) -> Result<Posted, StoreError>;

    /// The messages of `window`, oldest first, with the room's latest sequence number, whether
    /// older messages were dropped by the cap, and whether the window holds older kept
    /// messages than its page (`more`).
    async fn history_page(&self, room: &RoomId, window: Window) -> Result<History, StoreError>;

    /// Every kept message with a sequence number above `since` (at most the room's byte
    /// budget).
    async fn history(&self, room: &RoomId, since: u64) -> Result<History, StoreError> {
        self.history_page(room, Window::after(since)).await
    }

    /// Deletes the room and everything in it at once, then tells every instance (`Ended`).
    /// Returns false when there was nothing to destroy.
    async fn destroy(&self, room: &RoomId) -> Result<bool, StoreError>;
}
