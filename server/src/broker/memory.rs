//! The embedded broker: one process, so every event goes straight to this instance's hub.

use super::{Broker, BrokerError, Deliveries, Delivery, PresenceChange, RoomEvent, online_names};
use app::model::{RoomId, now_ms};
use futures::future::{BoxFuture, FutureExt, ready};
use std::collections::HashMap;
use std::sync::Mutex;

/// `conn → (seat_id, name, last seen)` per room.
type Online = HashMap<RoomId, HashMap<String, (String, String, u64)>>;

pub struct MemoryBroker {
    bus: Deliveries,
    online: Mutex<Online>,
}

impl MemoryBroker {
    pub fn new(bus: Deliveries) -> Self {
        MemoryBroker { bus, online: Mutex::new(HashMap::new()) }
    }
}

impl Broker for MemoryBroker {
    fn subscribe(&self, _room: &RoomId) -> BoxFuture<'static, Result<(), BrokerError>> {
        // The bus carries every room's events already.
        ready(Ok(())).boxed()
    }

    fn unsubscribe(&self, _room: &RoomId) {}

    fn publish(
        &self,
        room: &RoomId,
        event: RoomEvent,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        let sent = self.bus.send(Delivery::Event(room.clone(), event));
        ready(sent.map_err(|_| BrokerError("the hub has stopped".into()))).boxed()
    }

    fn presence(
        &self,
        room: &RoomId,
        change: PresenceChange,
    ) -> BoxFuture<'static, Result<Vec<String>, BrokerError>> {
        let now = now_ms();
        let mut all = self.online.lock().unwrap_or_else(|e| e.into_inner());
        let entries = all.entry(room.clone()).or_default();
        let before =
            online_names(entries.values().map(|(s, n, t)| (s.as_str(), n.as_str(), *t)), now);
        match change {
            PresenceChange::Online(c) => {
                entries.insert(c.conn, (c.seat_id, c.name, now));
            }
            PresenceChange::Offline { conn } => {
                entries.remove(&conn);
            }
            PresenceChange::Alive(conns) => {
                for c in conns {
                    entries.insert(c.conn, (c.seat_id, c.name, now));
                }
            }
        }
        entries.retain(|_, (_, _, seen)| now.saturating_sub(*seen) <= super::PRESENCE_STALE_MS);
        let names =
            online_names(entries.values().map(|(s, n, t)| (s.as_str(), n.as_str(), *t)), now);
        if entries.is_empty() {
            all.remove(room);
        }
        drop(all);
        if names != before {
            let _ =
                self.bus.send(Delivery::Event(room.clone(), RoomEvent::Presence(names.clone())));
        }
        ready(Ok(names)).boxed()
    }
}
