//! Presence in this process, for the embedded backend.

use super::{Member, Presence, PresenceError, STALE_AFTER_MS, online_seats};
use crate::event::{Deliveries, RoomEvent, announce};
use app::model::{RoomId, Seat, now_ms};
use futures::future::{BoxFuture, FutureExt, ready};
use std::collections::HashMap;
use std::sync::Mutex;

/// `conn → (seat, last seen)` per room.
type Entries = HashMap<String, (Seat, u64)>;
type Online = HashMap<RoomId, Entries>;

pub struct MemoryPresence {
    bus: Deliveries,
    online: Mutex<Online>,
}

impl MemoryPresence {
    /// Presence that announces changes on `bus`.
    pub fn new(bus: Deliveries) -> Self {
        MemoryPresence { bus, online: Mutex::new(HashMap::new()) }
    }

    /// Applies `change` to the room's entries and announces the list if it changed.
    fn apply(&self, room: &RoomId, change: impl FnOnce(&mut Entries, u64)) -> Vec<Seat> {
        let now = now_ms();
        let mut all = self.online.lock().unwrap_or_else(|e| e.into_inner());
        let entries = all.entry(room.clone()).or_default();
        let listed =
            |entries: &Entries| online_seats(entries.values().map(|(seat, t)| (seat, *t)), now);
        let before = listed(entries);
        change(entries, now);
        entries.retain(|_, (_, seen)| now.saturating_sub(*seen) <= STALE_AFTER_MS);
        let after = listed(entries);
        if entries.is_empty() {
            all.remove(room);
        }
        drop(all);
        if after != before {
            announce(&self.bus, room, RoomEvent::Presence(after.clone()));
        }
        after
    }
}

fn record(entries: &mut Entries, member: Member, now: u64) {
    entries.insert(member.conn, (member.seat, now));
}

impl Presence for MemoryPresence {
    fn join(
        &self,
        room: &RoomId,
        member: Member,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        let names = self.apply(room, |entries, now| record(entries, member, now));
        ready(Ok(names)).boxed()
    }

    fn leave(
        &self,
        room: &RoomId,
        conn: &str,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        let names = self.apply(room, |entries, _| {
            entries.remove(conn);
        });
        ready(Ok(names)).boxed()
    }

    fn refresh(
        &self,
        room: &RoomId,
        members: Vec<Member>,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        let names = self.apply(room, |entries, now| {
            for member in members {
                record(entries, member, now);
            }
        });
        ready(Ok(names)).boxed()
    }
}
