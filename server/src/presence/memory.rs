//! Presence in this process, for the embedded backend.

use super::{Member, Presence, PresenceError, STALE_AFTER_MS, online_seats};
use crate::event::{DeliveryBus, RoomEvent, announce};
use app::model::{RoomId, Seat, now_ms};
use futures::future::{BoxFuture, FutureExt, ready};
use std::collections::HashMap;
use std::sync::Mutex;

/// `conn → (seat, last seen)` per room.
type Entries = HashMap<String, (Seat, u64)>;
type Online = HashMap<RoomId, Entries>;

pub struct MemoryPresence {
    bus: DeliveryBus,
    online: Mutex<Online>,
}

impl MemoryPresence {
    /// Presence that announces changes on `bus`.
    pub fn new(bus: DeliveryBus) -> Self {
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
        // Announced while the lock is held, so lists leave in the order the changes were made
        // (the last one announced is the list as it stands).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Delivery;
    use std::sync::{Arc, Barrier};

    fn member(conn: &str) -> Member {
        Member { conn: conn.into(), seat: Seat { id: conn.into(), name: "sealed".into() } }
    }

    #[test]
    fn the_last_list_announced_is_the_list_as_it_stands_however_changes_race() {
        for round in 0..20_000 {
            let (bus, mut heard) = tokio::sync::mpsc::unbounded_channel();
            let presence = Arc::new(MemoryPresence::new(bus));
            let room = RoomId::generate();
            let start = Arc::new(Barrier::new(2));
            let joins: Vec<_> = ["a", "b"]
                .into_iter()
                .map(|conn| {
                    let (presence, room, start) = (presence.clone(), room.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        drop(presence.join(&room, member(conn)));
                    })
                })
                .collect();
            for join in joins {
                join.join().expect("a joining thread");
            }
            let mut last = None;
            while let Ok(Delivery::Event(announced)) = heard.try_recv() {
                if let RoomEvent::Presence(list) = &announced.event {
                    last = Some(list.iter().map(|seat| seat.id.clone()).collect::<Vec<_>>());
                }
            }
            assert_eq!(last, Some(vec!["a".to_owned(), "b".to_owned()]), "round {round}");
        }
    }
}
