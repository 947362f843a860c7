//! The embedded store: the same rules as the Redis store, in this process, for one machine.
//! Rooms past their deadline read as gone at once and are swept from memory every second.

use crate::address_secret::AddressSecret;
use crate::event::{DeliveryBus, RoomEvent, announce, wire};
use crate::tasks::Tasks;
use app::model::{ChatMessage, Destroyers, EndReason, History, RoomId, Seat, now_ms};
use app::seat::TokenHash;
use app::store::{Creator, Posted, RoomInfo, RoomStore, StoreError, StoreLimits, Window};
use async_trait::async_trait;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

struct Room {
    created_at: u64,
    expires_at: u64,
    capacity: u8,
    key_check: Option<String>,
    verifier: String,
    destroyers: Destroyers,
    /// The first seat's id: the creator's.
    creator_seat: Option<String>,
    /// Disappearing messages: each is removed this long after it was stored, ms.
    message_timer_ms: Option<u64>,
    /// The creator's signing public key, registered with the first seat.
    owner_key: Option<String>,
    locked: bool,
    seats: HashMap<TokenHash, Seat>,
    /// The tokens whose seats the creator removed.
    removed: HashSet<TokenHash>,
    /// Every seat id this room has given out (a seat id is never given out twice).
    seat_ids: HashSet<String>,
    log: VecDeque<ChatMessage>,
    /// What the log holds, in bytes as stored ([`wire::stored_len`]).
    bytes: u64,
    seq: u64,
    /// `(seat id, client id)` → sequence number, for messages still in the log.
    sent: HashMap<(String, String), u64>,
}

impl Room {
    /// Removes the messages past the room's timer (the oldest first: they were stored in order).
    fn drop_expired_messages(&mut self, now: u64) {
        while let Some(oldest) = self.log.front() {
            if !app::model::message_expired(oldest.ts, self.message_timer_ms, now) {
                break;
            }
            if let Some(gone) = self.log.pop_front() {
                self.bytes = self.bytes.saturating_sub(wire::stored_len(&gone));
            }
        }
    }

    fn info(&self, id: &RoomId) -> RoomInfo {
        RoomInfo {
            id: id.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            capacity: self.capacity,
            seated: u8::try_from(self.seats.len()).unwrap_or(u8::MAX),
            key_check: self.key_check.clone(),
            verifier: Some(self.verifier.clone()),
            destroyers: self.destroyers,
            creator_seat: self.creator_seat.clone(),
            message_timer_ms: self.message_timer_ms,
            owner_key: self.owner_key.clone(),
            locked: self.locked,
        }
    }
}

pub struct MemoryStore {
    rooms: Mutex<HashMap<RoomId, Room>>,
    /// Rooms created, by creator (a client address, as `addresses` names it): checked against
    /// `rooms` when counted, and forgotten with them.
    created_by: Mutex<HashMap<String, Vec<RoomId>>>,
    /// This process's secret for naming client addresses.
    addresses: AddressSecret,
    bus: DeliveryBus,
    history: StoreLimits,
}

impl MemoryStore {
    /// A store that announces on `bus`, and sweeps expired rooms while it lives.
    pub fn start(bus: DeliveryBus, history: StoreLimits, tasks: &Tasks) -> Arc<Self> {
        let store = Arc::new(MemoryStore {
            rooms: Mutex::new(HashMap::new()),
            created_by: Mutex::new(HashMap::new()),
            addresses: AddressSecret::random(),
            bus,
            history,
        });
        let weak = Arc::downgrade(&store);
        tasks.spawn_until_stopped(sweep(weak));
        store
    }

    #[cfg(feature = "test-support")]
    /// Rooms held in memory (live ones, and expired ones not swept yet).
    pub fn rooms_held(&self) -> usize {
        self.lock().len()
    }

    #[cfg(feature = "test-support")]
    /// Messages held in memory, in every room.
    pub fn messages_held(&self) -> usize {
        self.lock().values().map(|room| room.log.len()).sum()
    }

    #[cfg(feature = "test-support")]
    /// What this store still holds that names `room`, in words (nothing, once it ended and
    /// its sweep ran, or at once when it was destroyed).
    pub fn traces_of(&self, room: &RoomId) -> Vec<String> {
        let mut traces = Vec::new();
        if self.lock().contains_key(room) {
            traces.push(format!("room {room}"));
        }
        let created_by = self.created_by.lock().unwrap_or_else(|e| e.into_inner());
        if created_by.values().any(|ids| ids.contains(room)) {
            traces.push(format!("room {room} counted for its creator"));
        }
        traces
    }

    /// Removes rooms past their deadline; returns how many.
    fn sweep_expired(&self) -> usize {
        let now = now_ms();
        let mut rooms = self.lock();
        let before = rooms.len();
        rooms.retain(|_, room| room.expires_at > now);
        for room in rooms.values_mut() {
            room.drop_expired_messages(now);
        }
        let mut created_by = self.created_by.lock().unwrap_or_else(|e| e.into_inner());
        created_by.retain(|_, ids| {
            ids.retain(|id| rooms.contains_key(id));
            !ids.is_empty()
        });
        before - rooms.len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RoomId, Room>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on a live room (one before its deadline).
    fn with_room<T>(
        &self,
        id: &RoomId,
        f: impl FnOnce(&mut Room) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut rooms = self.lock();
        match rooms.get_mut(id) {
            Some(room) if room.expires_at > now_ms() => f(room),
            _ => Err(StoreError::Gone),
        }
    }

    fn announce(&self, id: &RoomId, event: RoomEvent) {
        announce(&self.bus, id, event);
    }
}

async fn sweep(store: Weak<MemoryStore>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        let Some(store) = store.upgrade() else { return };
        store.sweep_expired();
    }
}

#[async_trait]
impl RoomStore for MemoryStore {
    async fn create_room(
        &self,
        ttl: Duration,
        capacity: u8,
        verifier: &str,
        creator: Option<Creator<'_>>,
        destroyers: Destroyers,
        message_timer: Option<Duration>,
    ) -> Result<RoomInfo, StoreError> {
        let id = RoomId::generate();
        let created_at = now_ms();
        let expires_at = created_at + u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX / 2);
        let room = Room {
            created_at,
            expires_at,
            capacity,
            key_check: None,
            verifier: verifier.to_owned(),
            destroyers,
            creator_seat: None,
            message_timer_ms: message_timer
                .map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
            owner_key: None,
            locked: false,
            seats: HashMap::new(),
            removed: HashSet::new(),
            seat_ids: HashSet::new(),
            log: VecDeque::new(),
            bytes: 0,
            seq: 0,
            sent: HashMap::new(),
        };
        let info = room.info(&id);
        let mut rooms = self.lock();
        // Every room may fill its budget: take one more only while all of them would fit.
        if rooms.len() as u64 >= self.history.rooms_in_memory() {
            return Err(StoreError::AtCapacity);
        }
        if let Some(creator) = creator {
            let now = now_ms();
            let mut created_by = self.created_by.lock().unwrap_or_else(|e| e.into_inner());
            let ids = created_by.entry(self.addresses.name(creator.key)).or_default();
            ids.retain(|id| rooms.get(id).is_some_and(|room| room.expires_at > now));
            if ids.len() >= usize::try_from(creator.max_alive).unwrap_or(usize::MAX) {
                return Err(StoreError::TooManyRooms { max_alive: creator.max_alive });
            }
            ids.push(id.clone());
        }
        rooms.insert(id, room);
        Ok(info)
    }

    async fn room(&self, id: &RoomId) -> Result<Option<RoomInfo>, StoreError> {
        match self.with_room(id, |room| Ok(room.info(id))) {
            Ok(info) => Ok(Some(info)),
            Err(StoreError::Gone) => Ok(None),
            Err(other) => Err(other),
        }
    }

    async fn claim_seat(
        &self,
        id: &RoomId,
        token: &TokenHash,
        seat: &Seat,
        key_check: Option<&str>,
    ) -> Result<Seat, StoreError> {
        let (seat, new) = self.with_room(id, |room| {
            if let Some(held) = room.seats.get(token) {
                return Ok((held.clone(), false));
            }
            if room.locked {
                return Err(StoreError::Locked);
            }
            if room.seats.len() >= usize::from(room.capacity) {
                return Err(StoreError::Full);
            }
            if !room.seat_ids.insert(seat.id.clone()) {
                return Err(StoreError::SeatIdTaken);
            }
            // The first seat is the creator's: its key check is the room's, for good.
            if room.seats.is_empty() && room.key_check.is_none() {
                room.key_check = key_check.map(str::to_owned);
            }
            if room.seats.is_empty() && room.creator_seat.is_none() {
                room.creator_seat = Some(seat.id.clone());
            }
            room.seats.insert(token.clone(), seat.clone());
            Ok((seat.clone(), true))
        })?;
        if new {
            self.announce(id, RoomEvent::SeatJoined(seat.clone()));
        }
        Ok(seat)
    }

    async fn seat(&self, id: &RoomId, token: &TokenHash) -> Result<Option<Seat>, StoreError> {
        let seat = self.with_room(id, |room| match room.seats.get(token) {
            None if room.removed.contains(token) => Err(StoreError::Removed),
            held => Ok(held.cloned()),
        });
        match seat {
            Err(StoreError::Gone) => Ok(None),
            other => other,
        }
    }

    async fn set_owner(
        &self,
        id: &RoomId,
        token: &TokenHash,
        key: &str,
    ) -> Result<bool, StoreError> {
        self.with_room(id, |room| {
            let seat = room.seats.get(token).map(|seat| seat.id.as_str());
            let creator = seat.is_some() && seat == room.creator_seat.as_deref();
            if !creator || room.owner_key.is_some() {
                return Ok(false);
            }
            room.owner_key = Some(key.to_owned());
            Ok(true)
        })
    }

    async fn set_locked(&self, id: &RoomId, locked: bool) -> Result<bool, StoreError> {
        let changed =
            self.with_room(id, |room| Ok(std::mem::replace(&mut room.locked, locked) != locked))?;
        if changed {
            self.announce(id, RoomEvent::Locked(locked));
        }
        Ok(changed)
    }

    async fn remove_seat(&self, id: &RoomId, seat_id: &str) -> Result<bool, StoreError> {
        let removed = self.with_room(id, |room| {
            let token = room.seats.iter().find(|(_, seat)| seat.id == seat_id);
            let Some(token) = token.map(|(token, _)| token.clone()) else { return Ok(None) };
            room.removed.insert(token.clone());
            Ok(room.seats.remove(&token))
        })?;
        let done = removed.is_some();
        if let Some(seat) = removed {
            self.announce(id, RoomEvent::SeatRemoved(seat));
        }
        Ok(done)
    }

    async fn leave(&self, id: &RoomId, token: &TokenHash) -> Result<bool, StoreError> {
        let released = self.with_room(id, |room| Ok(room.seats.remove(token)))?;
        let left = released.is_some();
        if let Some(seat) = released {
            self.announce(id, RoomEvent::SeatLeft(seat));
        }
        Ok(left)
    }

    async fn post(
        &self,
        id: &RoomId,
        token: &TokenHash,
        sender: &Seat,
        client_id: &str,
        body: &str,
    ) -> Result<Posted, StoreError> {
        let cap = usize::try_from(self.history.messages).unwrap_or(usize::MAX).max(1);
        let budget = self.history.bytes;
        // Announced while the lock is held, so events leave in sequence order.
        self.with_room(id, |room| {
            let seat = room.seats.get(token).filter(|seat| *seat == sender);
            let seat = seat.cloned().ok_or(StoreError::NotSeated)?;
            let guard = (seat.id.clone(), client_id.to_owned());
            let new_message = |seq| ChatMessage {
                seq,
                id: crate::store::message_id(),
                client_id: client_id.to_owned(),
                sender: seat.clone(),
                body: body.to_owned(),
                ts: now_ms(),
            };
            if let Some(&seq) = room.sent.get(&guard) {
                let stored = room.log.iter().find(|m| m.seq == seq).cloned();
                return Ok(Posted::Duplicate(stored.unwrap_or_else(|| new_message(seq))));
            }
            room.seq += 1;
            let message = new_message(room.seq);
            room.bytes += wire::stored_len(&message);
            room.log.push_back(message.clone());
            room.sent.insert(guard, room.seq);
            // The oldest go first, past the cap or past the budget; the newest always stays.
            while room.log.len() > cap || (room.bytes > budget && room.log.len() > 1) {
                if let Some(dropped) = room.log.pop_front() {
                    room.bytes = room.bytes.saturating_sub(wire::stored_len(&dropped));
                }
            }
            if room.sent.len() > 2 * cap {
                let oldest = room.log.front().map_or(0, |m| m.seq);
                room.sent.retain(|_, seq| *seq >= oldest);
            }
            self.announce(id, RoomEvent::Message(message.clone()));
            Ok(Posted::Stored { seq: room.seq })
        })
    }

    async fn history_page(&self, id: &RoomId, window: Window) -> Result<History, StoreError> {
        self.with_room(id, |room| {
            room.drop_expired_messages(now_ms());
            let truncated = room.log.front().is_some_and(|m| m.seq > 1);
            let before = window.before.unwrap_or(u64::MAX);
            let in_window = |m: &&ChatMessage| m.seq > window.after && m.seq < before;
            let count = room.log.iter().filter(in_window).count();
            let skip = count.saturating_sub(usize::try_from(window.limit).unwrap_or(usize::MAX));
            let messages = room.log.iter().filter(in_window).skip(skip).cloned().collect();
            Ok(History { messages, seq: room.seq, truncated, more: skip > 0 })
        })
    }

    async fn destroy(&self, id: &RoomId) -> Result<bool, StoreError> {
        let mut rooms = self.lock();
        let existed = rooms.remove(id).is_some_and(|room| room.expires_at > now_ms());
        // It no longer counts for its creator, nor is it named there.
        let mut created_by = self.created_by.lock().unwrap_or_else(|e| e.into_inner());
        created_by.retain(|_, ids| {
            ids.retain(|room| room != id);
            !ids.is_empty()
        });
        drop(created_by);
        if existed {
            self.announce(id, RoomEvent::Ended(EndReason::Destroyed));
        }
        Ok(existed)
    }
}
