//! The hub: this instance's sockets, by room. It fans out what the broker delivers, gives each
//! socket a bounded queue (a socket that cannot keep up is closed, never waited for), follows a
//! room through the broker while it has sockets here, and ends a room's sockets at its deadline.

use crate::broker::{Broker, BrokerError};
use crate::event::{Announcement, Delivery, RoomEvent};
use crate::tasks::Tasks;
use app::model::{EndReason, RoomId, now_ms};
use app::protocol::CloseCode;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

/// How long a socket may wait for its room's subscription before giving up.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

struct Peer {
    events: mpsc::Sender<Delivery>,
    kick: Option<oneshot::Sender<CloseCode>>,
}

impl Peer {
    fn kick(&mut self, code: CloseCode) {
        if let Some(kick) = self.kick.take() {
            let _ = kick.send(code);
        }
    }
}

struct RoomEntry {
    peers: HashMap<u64, Peer>,
    subscribed: Shared<BoxFuture<'static, Result<(), BrokerError>>>,
    deadline: AbortHandle,
}

pub struct Hub {
    rooms: Mutex<HashMap<RoomId, RoomEntry>>,
    broker: Arc<dyn Broker>,
    next: AtomicU64,
    queue: usize,
    tasks: Tasks,
}

/// A socket's place in the hub; leaving is dropping it.
pub struct Place {
    hub: Arc<Hub>,
    room: RoomId,
    id: u64,
    pub events: mpsc::Receiver<Delivery>,
    /// Fires when the hub closes this socket (it could not keep up).
    pub kicked: oneshot::Receiver<CloseCode>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.hub.leave(&self.room, self.id);
    }
}

impl Hub {
    /// Starts the hub's dispatcher, which reads `deliveries` until they end or the hub is
    /// dropped; its tasks (the dispatcher, the rooms' deadline timers) are tracked by `tasks`.
    pub fn start(
        broker: Arc<dyn Broker>,
        mut deliveries: mpsc::UnboundedReceiver<Delivery>,
        queue: usize,
        tasks: &Tasks,
    ) -> Arc<Self> {
        let hub = Arc::new(Hub {
            rooms: Mutex::new(HashMap::new()),
            broker,
            next: AtomicU64::new(1),
            queue,
            tasks: tasks.clone(),
        });
        let weak = Arc::downgrade(&hub);
        tasks.spawn_until_stopped(async move {
            while let Some(delivery) = deliveries.recv().await {
                let Some(hub) = weak.upgrade() else { return };
                match delivery {
                    Delivery::Event(announced) => hub.deliver(announced),
                    Delivery::Resync => hub.resync(),
                    Delivery::Reconnect(rooms) => hub.send_away(&rooms),
                }
            }
        });
        hub
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RoomId, RoomEntry>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a socket to `room` (which ends at `expires_at`) and returns once the room's events
    /// flow to this instance: history read after this misses nothing.
    pub async fn join(
        self: &Arc<Self>,
        room: &RoomId,
        expires_at: u64,
    ) -> Result<Place, BrokerError> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (events, receiver) = mpsc::channel(self.queue);
        let (kick, kicked) = oneshot::channel();
        let subscribed = {
            let mut rooms = self.lock();
            let entry = rooms.entry(room.clone()).or_insert_with(|| {
                metrics::gauge!(crate::metrics::ROOMS_ACTIVE).increment(1.0);
                RoomEntry {
                    peers: HashMap::new(),
                    // Asked for under the lock, so subscribes and unsubscribes keep their order.
                    subscribed: self.broker.subscribe(room).shared(),
                    deadline: self.end_at_deadline(room, expires_at),
                }
            });
            let peer = Peer { events, kick: Some(kick) };
            entry.peers.insert(id, peer);
            entry.subscribed.clone()
        };
        let place = Place { hub: self.clone(), room: room.clone(), id, events: receiver, kicked };
        match tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribed).await {
            Ok(Ok(())) => Ok(place),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(BrokerError::TimedOut),
        }
    }

    fn leave(&self, room: &RoomId, id: u64) {
        let mut rooms = self.lock();
        if let Some(entry) = rooms.get_mut(room) {
            entry.peers.remove(&id);
            if entry.peers.is_empty() {
                self.forget(&mut rooms, room);
            }
        }
    }

    /// Drops a room with no sockets left: its timer and its subscription.
    fn forget(&self, rooms: &mut HashMap<RoomId, RoomEntry>, room: &RoomId) {
        if let Some(entry) = rooms.remove(room) {
            metrics::gauge!(crate::metrics::ROOMS_ACTIVE).decrement(1.0);
            entry.deadline.abort();
            self.broker.unsubscribe(room);
        }
    }

    /// A timer that ends the room's sockets here at its deadline (the deadline never moves).
    fn end_at_deadline(self: &Arc<Self>, room: &RoomId, expires_at: u64) -> AbortHandle {
        let hub = Arc::downgrade(self);
        let room = room.clone();
        let wait = Duration::from_millis(expires_at.saturating_sub(now_ms()));
        self.tasks.spawn_until_stopped(async move {
            tokio::time::sleep(wait).await;
            if let Some(hub) = hub.upgrade() {
                hub.dispatch(&room, RoomEvent::Ended(EndReason::Expired));
            }
        })
    }

    /// Hands `event` to every local socket of `room`.
    pub(crate) fn dispatch(&self, room: &RoomId, event: RoomEvent) {
        self.deliver(Announcement::new(room.clone(), event));
    }

    /// Hands an announcement to every local socket of its room; a socket whose queue is full
    /// is closed.
    fn deliver(&self, announced: Arc<Announcement>) {
        let room = announced.room.clone();
        let mut rooms = self.lock();
        let event = Delivery::Event(announced);
        let emptied = rooms.get_mut(&room).is_some_and(|entry| offer(entry, &event));
        if emptied {
            self.forget(&mut rooms, &room);
        }
    }

    /// Asks every local socket to catch up from the store.
    fn resync(&self) {
        metrics::counter!(crate::metrics::RESYNCS).increment(1);
        let mut rooms = self.lock();
        let emptied: Vec<RoomId> = rooms
            .iter_mut()
            .filter_map(|(room, entry)| offer(entry, &Delivery::Resync).then(|| room.clone()))
            .collect();
        for room in emptied {
            self.forget(&mut rooms, &room);
        }
    }
}

impl Hub {
    /// Closes every local socket of `rooms` with 1012 (reconnect, possibly elsewhere).
    fn send_away(&self, rooms: &[RoomId]) {
        let mut gone = self.lock();
        for room in rooms {
            if let Some(entry) = gone.get_mut(room) {
                for peer in entry.peers.values_mut() {
                    peer.kick(CloseCode::Restarting);
                }
                entry.peers.clear();
            }
            self.forget(&mut gone, room);
        }
    }
}

/// Offers `item` to every socket of a room, closing those that cannot take it; returns whether
/// the room has no socket left.
fn offer(entry: &mut RoomEntry, item: &Delivery) -> bool {
    entry.peers.retain(|_, peer| match peer.events.try_send(item.clone()) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            peer.kick(CloseCode::SlowConsumer);
            false
        }
        Err(TrySendError::Closed(_)) => false,
    });
    entry.peers.is_empty()
}

#[cfg(test)]
mod tests;
