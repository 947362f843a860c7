//! This instance's sockets in the presence record: each socket holds a [`Here`] while it lives,
//! and one task refreshes every entry the instance holds.

use super::{Member, Presence, REFRESH_EVERY};
use crate::tasks::Tasks;
use app::model::{RoomId, Seat};
use futures::FutureExt;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// The sockets of this instance, by room, as presence knows them.
pub struct Roster {
    presence: Arc<dyn Presence>,
    /// Makes connection names unique across instances.
    instance: String,
    next: AtomicU64,
    local: Mutex<HashMap<RoomId, HashMap<String, Member>>>,
    tasks: Tasks,
}

/// A socket's entry in presence; [`Here::leave`] (or dropping it) removes it.
pub struct Here {
    roster: Arc<Roster>,
    room: RoomId,
    conn: Option<String>,
}

impl Roster {
    /// A roster over `presence`, refreshing its entries while it lives.
    pub fn start(presence: Arc<dyn Presence>, tasks: &Tasks) -> Arc<Self> {
        let roster = Arc::new(Roster {
            presence,
            instance: nanoid::nanoid!(8),
            next: AtomicU64::new(1),
            local: Mutex::new(HashMap::new()),
            tasks: tasks.clone(),
        });
        tasks.spawn_until_stopped(refresh(Arc::downgrade(&roster)));
        roster
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RoomId, HashMap<String, Member>>> {
        self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a socket of `seat` online in `room`: returns its entry, and the call that records
    /// it in presence, which resolves to the room's online seats (just this one when presence
    /// cannot be reached: it is best effort).
    pub fn enter(
        self: &Arc<Self>,
        room: &RoomId,
        seat: &Seat,
    ) -> (Here, BoxFuture<'static, Vec<Seat>>) {
        let conn = format!("{}:{}", self.instance, self.next.fetch_add(1, Ordering::Relaxed));
        let member = Member { conn: conn.clone(), seat: seat.clone() };
        self.lock().entry(room.clone()).or_default().insert(conn.clone(), member.clone());
        let here = Here { roster: self.clone(), room: room.clone(), conn: Some(conn) };
        let joined = self.presence.join(room, member);
        let alone = vec![seat.clone()];
        let online = async move {
            joined.await.unwrap_or_else(|err| {
                tracing::debug!(%err, "presence not recorded");
                alone
            })
        };
        (here, online.boxed())
    }

    /// Forgets `conn` on this instance.
    fn forget(&self, room: &RoomId, conn: &str) {
        let mut local = self.lock();
        if let Some(members) = local.get_mut(room) {
            members.remove(conn);
            if members.is_empty() {
                local.remove(room);
            }
        }
    }
}

impl Here {
    /// Takes the socket offline and tells every instance.
    pub async fn leave(mut self) {
        if let Some(conn) = self.conn.take() {
            self.roster.forget(&self.room, &conn);
            if let Err(err) = self.roster.presence.leave(&self.room, &conn).await {
                tracing::debug!(%err, "presence not updated");
            }
        }
    }
}

impl Drop for Here {
    /// A socket whose task was cancelled still goes offline.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        self.roster.forget(&self.room, &conn);
        let left = self.roster.presence.leave(&self.room, &conn);
        if tokio::runtime::Handle::try_current().is_ok() {
            self.roster.tasks.spawn(async move {
                let _ = left.await;
            });
        }
    }
}

/// Refreshes every entry of this instance, room by room, until the roster is dropped. Each
/// room's members are read as its turn comes, not when the round starts: a socket that went in
/// between (its entry removed from presence) must not be put back by a stale list, where it
/// would show as online, a seat that is no longer there, until it grew stale a minute later.
async fn refresh(roster: Weak<Roster>) {
    let mut every = tokio::time::interval(REFRESH_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(roster) = roster.upgrade() else { return };
        let rooms: Vec<RoomId> = roster.lock().keys().cloned().collect();
        // Spread over half the period, not all at once: a burst of thousands of refreshes
        // would hold up messages behind it (at 1,000 rooms it showed as a 25 ms p99.9).
        let pause = (REFRESH_EVERY / 2) / u32::try_from(rooms.len().max(1)).unwrap_or(u32::MAX);
        let mut pace = tokio::time::interval(pause.max(std::time::Duration::from_micros(1)));
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for room in rooms {
            pace.tick().await;
            if let Err(err) = roster.refresh_room(&room).await {
                tracing::debug!(%err, "presence refresh failed");
            }
        }
    }
}

impl Roster {
    /// Refreshes the entries this instance holds in `room` now (nothing when it holds none).
    async fn refresh_room(&self, room: &RoomId) -> Result<(), super::PresenceError> {
        let members: Vec<Member> = self
            .lock()
            .get(room)
            .map(|members| members.values().cloned().collect())
            .unwrap_or_default();
        if members.is_empty() {
            return Ok(());
        }
        self.presence.refresh(room, members).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::memory::MemoryPresence;

    #[tokio::test]
    async fn a_socket_gone_while_a_refresh_round_runs_is_not_put_back_online() {
        let (bus, _deliveries) = tokio::sync::mpsc::unbounded_channel();
        let presence: Arc<dyn Presence> = Arc::new(MemoryPresence::new(bus));
        let tasks = Tasks::default();
        let roster = Roster::start(presence.clone(), &tasks);
        let room = RoomId::generate();
        let (alice, bob) = (
            Seat { id: "alice".into(), name: "a".into() },
            Seat { id: "bob".into(), name: "b".into() },
        );
        let (_alice_here, joined) = roster.enter(&room, &alice);
        joined.await;
        let (bob_here, joined) = roster.enter(&room, &bob);
        assert_eq!(joined.await.len(), 2);
        // A round has listed the room; bob goes before its turn comes.
        let listed: Vec<RoomId> = roster.lock().keys().cloned().collect();
        bob_here.leave().await;
        for room in &listed {
            roster.refresh_room(room).await.expect("refreshed");
        }
        let (_carol_here, online) =
            roster.enter(&room, &Seat { id: "carol".into(), name: "c".into() });
        let ids: Vec<String> = online.await.into_iter().map(|seat| seat.id).collect();
        assert_eq!(ids, ["alice", "carol"], "bob stays gone");
    }
}
