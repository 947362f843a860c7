//! Catch-up reads, shared per room. After a resync every socket of this instance asks the store
//! for what it missed, all at once; the sockets of one room have usually sent the same
//! messages, so the first asks and the others share its answer: one read per room, not one
//! per socket, when Redis has just been slow or away.

use super::jobs::patiently;
use app::model::{History, RoomId};
use app::store::{RoomStore, StoreError};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

type Read = Shared<BoxFuture<'static, Result<Arc<History>, StoreError>>>;

pub struct CatchUps {
    store: Arc<dyn RoomStore>,
    patience: Duration,
    /// Room → the read in flight: what it reads after, its number, and its answer to come.
    reading: Mutex<HashMap<RoomId, (u64, u64, Read)>>,
    next: AtomicU64,
}

impl CatchUps {
    /// Reads of `store`, each tried again on backend failures for up to `patience`.
    pub fn new(store: Arc<dyn RoomStore>, patience: Duration) -> Arc<Self> {
        Arc::new(CatchUps { store, patience, reading: Mutex::default(), next: AtomicU64::new(1) })
    }

    /// Every message of `room` kept after `after`: from a read in flight that started at or
    /// before `after`, or from a new one.
    pub fn after(
        self: &Arc<Self>,
        room: &RoomId,
        after: u64,
    ) -> impl Future<Output = Result<History, StoreError>> + use<> {
        let read = {
            let mut reading = self.reading.lock().unwrap_or_else(|e| e.into_inner());
            match reading.get(room) {
                Some((from, _, read)) if *from <= after => read.clone(),
                _ => {
                    let number = self.next.fetch_add(1, Ordering::Relaxed);
                    let read = self.read(room.clone(), after, number);
                    reading.insert(room.clone(), (after, number, read.clone()));
                    read
                }
            }
        };
        async move {
            let history = read.await?;
            let messages = history.messages.iter().filter(|m| m.seq > after).cloned().collect();
            Ok(History {
                messages,
                seq: history.seq,
                truncated: history.truncated,
                more: history.more,
            })
        }
    }

    /// Read number `number` of `room` after `after`, forgotten once answered (the next resync
    /// reads afresh).
    fn read(self: &Arc<Self>, room: RoomId, after: u64, number: u64) -> Read {
        let (store, patience, catch_ups) =
            (self.store.clone(), self.patience, Arc::downgrade(self));
        async move {
            let read = patiently(patience, || store.history(&room, after)).await.map(Arc::new);
            forget(&catch_ups, &room, number);
            read
        }
        .boxed()
        .shared()
    }
}

fn forget(catch_ups: &Weak<CatchUps>, room: &RoomId, number: u64) {
    let Some(catch_ups) = catch_ups.upgrade() else { return };
    let mut reading = catch_ups.reading.lock().unwrap_or_else(|e| e.into_inner());
    if reading.get(room).is_some_and(|(_, current, _)| *current == number) {
        reading.remove(room);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::seat::SeatToken;
    use app::store::Seat;

    #[tokio::test]
    async fn the_sockets_of_a_room_share_one_read_and_each_gets_what_it_missed() {
        let backend = crate::backend::Backend::embedded(500);
        let store = backend.store.clone();
        let verifier = "A".repeat(app::membership::ENCODED_LEN);
        let room = store
            .create_room(Duration::from_secs(60), 2, &verifier, None, Default::default(), None)
            .await
            .expect("room")
            .id;
        let token = SeatToken::generate().hash();
        let seat = Seat { id: "seat-1".into(), name: "sealed".into() };
        store.claim_seat(&room, &token, &seat, None).await.expect("seat");
        for i in 0..5 {
            store.post(&room, &token, &seat, &format!("c{i}"), "sealed").await.expect("post");
        }
        let catch_ups = CatchUps::new(store.clone(), Duration::from_secs(1));
        let (first, second, behind) =
            (catch_ups.after(&room, 3), catch_ups.after(&room, 4), catch_ups.after(&room, 1));
        assert_eq!(catch_ups.reading.lock().map(|r| r.len()).unwrap_or(0), 1, "one entry a room");
        let seqs = |h: History| h.messages.iter().map(|m| m.seq).collect::<Vec<_>>();
        let (first, second, behind) = futures::join!(first, second, behind);
        assert_eq!(seqs(first.expect("read")), [4, 5]);
        assert_eq!(seqs(second.expect("read")), [5], "from the same read, what it missed");
        assert_eq!(seqs(behind.expect("read")), [2, 3, 4, 5], "further behind: a read of its own");
        assert!(catch_ups.reading.lock().map(|r| r.is_empty()).unwrap_or(false), "forgotten");
    }
}
