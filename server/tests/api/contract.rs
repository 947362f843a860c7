//! The store contract: every test runs against the embedded store, against real Redis, and
//! against a real local Redis Cluster.

use crate::helpers::{Kind, backend, redis_conn, redis_keys};
use app::model::{Destroyers, EndReason, RoomId, Seat};
use app::seat::{SeatToken, TokenHash};
use app::store::{Creator, Posted, RoomInfo, RoomStore, StoreError, StoreLimits, Window};
use server::backend::Backend;
use server::broker::memory::MemoryBroker;
use server::event::{Delivery, RoomEvent};
use server::presence::Member;
use server::presence::memory::MemoryPresence;
use server::store::MemoryStore;
use std::sync::Arc;
use std::time::Duration;

every_backend! {
    a_hundred_concurrent_claims_on_a_two_seat_room_leave_exactly_two_seats,
    a_holder_claiming_again_gets_the_same_seat,
    the_first_seat_keeps_the_rooms_key_check_for_good,
    a_room_keeps_its_verifier_and_gives_out_each_seat_id_once,
    a_seat_in_one_room_is_no_seat_in_another,
    after_the_deadline_nothing_of_the_room_is_readable_or_left,
    after_destroy_nothing_is_readable_or_left_and_posts_are_refused,
    sequence_numbers_start_at_one_without_gaps_under_eight_concurrent_writers,
    the_same_client_id_from_the_same_seat_is_stored_once,
    history_is_capped_and_says_older_messages_are_gone,
    an_address_holds_at_most_its_rooms_alive_and_an_ended_one_frees_its_place,
    history_keeps_only_its_byte_budget_newest_first,
    history_after_a_sequence_number_holds_only_newer_messages,
    history_comes_in_pages_newest_first_and_says_when_older_remain,
    posts_are_announced_in_order_and_destroy_is_announced,
    joining_and_leaving_are_announced_and_leaving_frees_the_seat,
    only_a_seated_token_may_post,
    presence_lists_one_name_per_seat_and_forgets_connections_that_go,
    a_room_keeps_who_may_destroy_it_and_its_first_seat_is_its_creator,
    messages_past_their_timer_are_never_read_back_and_leave_the_store,
    no_key_or_shared_entry_outlives_its_room_whatever_happens_in_it,
    destroy_leaves_no_key_or_shared_entry_naming_the_room,
    many_messages_past_their_timer_leave_within_a_sweep,
    only_the_first_seats_holder_registers_the_creators_key_and_only_once,
    a_locked_room_gives_out_no_new_seat_and_its_holders_keep_theirs,
    a_removed_seat_is_freed_announced_and_its_token_told_so,
}

/// Posts as the seat `token` holds, as a socket does (a socket knows its seat); a token that
/// holds none posts as a seat nobody holds.
#[async_trait::async_trait]
trait PostAs {
    async fn post_as(
        &self,
        room: &RoomId,
        token: &TokenHash,
        client_id: &str,
        body: &str,
    ) -> Result<Posted, StoreError>;
}

#[async_trait::async_trait]
impl PostAs for Arc<dyn RoomStore> {
    async fn post_as(
        &self,
        room: &RoomId,
        token: &TokenHash,
        client_id: &str,
        body: &str,
    ) -> Result<Posted, StoreError> {
        let seat = self.seat(room, token).await?.unwrap_or_else(|| new_seat("nobody"));
        self.post(room, token, &seat, client_id, body).await
    }
}

fn token() -> TokenHash {
    SeatToken::generate().hash()
}

/// A membership verifier (the store keeps it as it came).
const VERIFIER: &str = "dmVyaWZpZXItb2YtdGhlLW1lbWJlcnNoaXAtc2VjcmV0";

/// A new room in `store` that ends after `ttl`, with `capacity` seats.
async fn new_room(store: &Arc<dyn RoomStore>, ttl: Duration, capacity: u8) -> RoomId {
    store
        .create_room(ttl, capacity, VERIFIER, None, Default::default(), None)
        .await
        .expect("room")
        .id
}

/// A new seat with a random id, called `name` (the store never opens names).
fn new_seat(name: &str) -> Seat {
    Seat { id: nanoid::nanoid!(app::model::SEAT_ID_LEN), name: name.into() }
}

/// A backend under test, and the embedded store itself when that is the backend (to see what
/// it still holds in memory).
struct UnderTest {
    backend: Backend,
    prefix: String,
    memory: Option<Arc<MemoryStore>>,
}

async fn store(kind: Kind, cap: impl Into<StoreLimits>) -> (Backend, String) {
    let under = under_test(kind, cap).await;
    (under.backend, under.prefix)
}

async fn under_test(kind: Kind, cap: impl Into<StoreLimits>) -> UnderTest {
    let cap = cap.into();
    if kind != Kind::Embedded {
        let (backend, prefix) = backend(kind, cap).await;
        return UnderTest { backend, prefix, memory: None };
    }
    let (bus, deliveries) = tokio::sync::mpsc::unbounded_channel();
    let tasks = server::tasks::Tasks::default();
    let memory = MemoryStore::start(bus.clone(), cap, &tasks);
    let backend = Backend {
        store: memory.clone(),
        broker: Arc::new(MemoryBroker::new(bus.clone())),
        presence: Arc::new(MemoryPresence::new(bus)),
        readiness: Arc::new(server::health::AlwaysReady),
        deliveries,
        kind: "embedded",
        tasks,
    };
    UnderTest { backend, prefix: String::new(), memory: Some(memory) }
}

/// What of `room` is held now: Redis keys, or the embedded room itself.
async fn held(under: &UnderTest, room: &RoomId) -> Vec<String> {
    match &under.memory {
        Some(memory) => {
            let held = memory.rooms_held() > 0;
            held.then(|| format!("room {room} in memory")).into_iter().collect()
        }
        None => redis_keys(&under.prefix)
            .await
            .into_iter()
            .filter(|k| k.contains(room.as_str()))
            .collect(),
    }
}

/// Whether anything of `room` is left once it ended: Redis keys, or the embedded room itself.
/// An expired embedded room is given the time its background sweeper needs (it runs every
/// second).
async fn leftovers(under: &UnderTest, room: &RoomId) -> Vec<String> {
    if let Some(memory) = &under.memory {
        for _ in 0..30 {
            if memory.rooms_held() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    held(under, room).await
}

async fn a_hundred_concurrent_claims_on_a_two_seat_room_leave_exactly_two_seats(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let claims = (0..100).map(|i| {
        let store: Arc<dyn RoomStore> = backend.store.clone();
        let room = room.clone();
        tokio::spawn(async move {
            store.claim_seat(&room, &token(), &new_seat(&format!("p{i}")), None).await
        })
    });
    let results = futures::future::join_all(claims).await;
    let won = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let full = results.iter().filter(|r| matches!(r, Ok(Err(StoreError::Full)))).count();
    assert_eq!((won, full), (2, 98));
    let info = backend.store.room(&room).await.expect("read").expect("live");
    assert_eq!(info.seated, 2);
}

async fn a_holder_claiming_again_gets_the_same_seat(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let alice = token();
    let first =
        backend.store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    let again = backend
        .store
        .claim_seat(&room, &alice, &new_seat("renamed"), None)
        .await
        .expect("same seat");
    assert_eq!(first, again);
    backend.store.claim_seat(&room, &token(), &new_seat("bob"), None).await.expect("second seat");
    // Full now, but the holder still gets their seat.
    assert_eq!(backend.store.claim_seat(&room, &alice, &new_seat("alice"), None).await, Ok(first));
    assert_eq!(
        backend.store.claim_seat(&room, &token(), &new_seat("carol"), None).await,
        Err(StoreError::Full)
    );
}

async fn the_first_seat_keeps_the_rooms_key_check_for_good(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let store = &backend.store;
    let room = new_room(store, Duration::from_secs(60), 3).await;
    assert_eq!(store.room(&room).await.expect("read").and_then(|r| r.key_check), None);
    store.claim_seat(&room, &token(), &new_seat("creator"), Some("the check")).await.expect("seat");
    store
        .claim_seat(&room, &token(), &new_seat("guest"), Some("a forged check"))
        .await
        .expect("seat");
    let info = store.room(&room).await.expect("read").expect("live");
    assert_eq!(info.key_check.as_deref(), Some("the check"));
    // Names are sealed: the store keeps them as they came, even when two are alike.
    let twin = store.claim_seat(&room, &token(), &new_seat("creator"), None).await.expect("seat");
    assert_eq!(twin.name, "creator");
}

async fn a_room_keeps_its_verifier_and_gives_out_each_seat_id_once(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let store = &backend.store;
    let room = store
        .create_room(Duration::from_secs(60), 3, VERIFIER, None, Default::default(), None)
        .await
        .expect("room");
    assert_eq!(room.verifier.as_deref(), Some(VERIFIER));
    let read = store.room(&room.id).await.expect("read").expect("live");
    assert_eq!(read.verifier.as_deref(), Some(VERIFIER));
    let alice = token();
    let seat_a = store.claim_seat(&room.id, &alice, &new_seat("alice"), None).await.expect("seat");
    let mut twin = new_seat("mallory");
    twin.id = seat_a.id.clone();
    let taken = store.claim_seat(&room.id, &token(), &twin, None).await;
    assert_eq!(taken, Err(StoreError::SeatIdTaken), "another holder cannot take alice's seat id");
    assert!(store.leave(&room.id, &alice).await.expect("leave"));
    let taken = store.claim_seat(&room.id, &token(), &twin, None).await;
    assert_eq!(taken, Err(StoreError::SeatIdTaken), "nor once alice has left");
    let fresh = store.claim_seat(&room.id, &token(), &new_seat("bob"), None).await.expect("seat");
    assert_ne!(fresh.id, seat_a.id);
}

async fn a_seat_in_one_room_is_no_seat_in_another(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let a = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let b = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let alice = token();
    backend.store.claim_seat(&a, &alice, &new_seat("alice"), None).await.expect("seat");
    assert_eq!(backend.store.seat(&b, &alice).await, Ok(None));
    assert_eq!(backend.store.post_as(&b, &alice, "c1", "hi").await, Err(StoreError::NotSeated));
}

async fn after_the_deadline_nothing_of_the_room_is_readable_or_left(kind: Kind) {
    let under = under_test(kind, 500).await;
    let store = &under.backend.store;
    let room = new_room(store, Duration::from_millis(1200), 2).await;
    let alice = token();
    store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    store.post_as(&room, &alice, "c1", "secret").await.expect("post");
    assert!(!held(&under, &room).await.is_empty());
    tokio::time::sleep(Duration::from_millis(1400)).await;
    assert_eq!(store.room(&room).await, Ok(None));
    assert_eq!(store.seat(&room, &alice).await, Ok(None));
    assert_eq!(store.history(&room, 0).await, Err(StoreError::Gone));
    assert_eq!(store.post_as(&room, &alice, "c2", "late").await, Err(StoreError::Gone));
    assert_eq!(
        store.claim_seat(&room, &token(), &new_seat("bob"), None).await,
        Err(StoreError::Gone)
    );
    assert_eq!(leftovers(&under, &room).await, Vec::<String>::new());
}

async fn after_destroy_nothing_is_readable_or_left_and_posts_are_refused(kind: Kind) {
    let under = under_test(kind, 500).await;
    let store = &under.backend.store;
    let room = new_room(store, Duration::from_secs(60), 2).await;
    let alice = token();
    store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    store.post_as(&room, &alice, "c1", "secret").await.expect("post");
    assert_eq!(store.destroy(&room).await, Ok(true));
    assert_eq!(store.room(&room).await, Ok(None));
    assert_eq!(store.history(&room, 0).await, Err(StoreError::Gone));
    assert_eq!(store.post_as(&room, &alice, "c2", "after").await, Err(StoreError::Gone));
    assert_eq!(leftovers(&under, &room).await, Vec::<String>::new());
    assert_eq!(store.destroy(&room).await, Ok(false), "nothing left to destroy");
}

async fn sequence_numbers_start_at_one_without_gaps_under_eight_concurrent_writers(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 8).await;
    let writers = (0..8).map(|w| {
        let store = backend.store.clone();
        let room = room.clone();
        tokio::spawn(async move {
            let seat = token();
            store.claim_seat(&room, &seat, &new_seat(&format!("w{w}")), None).await.expect("seat");
            let mut seqs = Vec::new();
            for i in 0..25 {
                let posted = store.post_as(&room, &seat, &format!("{w}-{i}"), "x").await;
                match posted {
                    Ok(Posted::Stored { seq }) => seqs.push(seq),
                    other => panic!("a new message is stored: {other:?}"),
                }
            }
            seqs
        })
    });
    let mut all: Vec<u64> = futures::future::join_all(writers)
        .await
        .into_iter()
        .flat_map(|r| r.expect("writer"))
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=200).collect::<Vec<u64>>());
    let history = backend.store.history(&room, 0).await.expect("history");
    let seqs: Vec<u64> = history.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=200).collect::<Vec<u64>>(), "history is in sequence order");
}

async fn the_same_client_id_from_the_same_seat_is_stored_once(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let (alice, bob) = (token(), token());
    backend.store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    backend.store.claim_seat(&room, &bob, &new_seat("bob"), None).await.expect("seat");
    let first = backend.store.post_as(&room, &alice, "same", "hello").await.expect("post");
    let again = backend.store.post_as(&room, &alice, "same", "hello").await.expect("resend");
    assert_eq!(first, Posted::Stored { seq: 1 });
    let Posted::Duplicate(stored) = &again else { panic!("a resend is a duplicate: {again:?}") };
    assert_eq!((stored.seq, stored.client_id.as_str(), stored.body.as_str()), (1, "same", "hello"));
    // Another seat may use the same client id: ids are per seat.
    let bobs = backend.store.post_as(&room, &bob, "same", "hi").await.expect("post");
    assert_eq!(bobs, Posted::Stored { seq: 2 });
    let history = backend.store.history(&room, 0).await.expect("history");
    assert_eq!(history.messages.len(), 2);
    assert_eq!(history.seq, 2);
}

async fn history_is_capped_and_says_older_messages_are_gone(kind: Kind) {
    let (backend, _) = store(kind, 5).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let alice = token();
    backend.store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    for i in 1..=5 {
        backend
            .store
            .post_as(&room, &alice, &format!("c{i}"), &format!("m{i}"))
            .await
            .expect("post");
    }
    let full = backend.store.history(&room, 0).await.expect("history");
    assert!(!full.truncated);
    for i in 6..=8 {
        backend
            .store
            .post_as(&room, &alice, &format!("c{i}"), &format!("m{i}"))
            .await
            .expect("post");
    }
    let history = backend.store.history(&room, 0).await.expect("history");
    let texts: Vec<&str> = history.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(texts, ["m4", "m5", "m6", "m7", "m8"]);
    assert!(history.truncated);
    assert_eq!(history.seq, 8);
    // A resend of a message the cap dropped is still recognised (no new sequence number).
    let resent = backend.store.post_as(&room, &alice, "c1", "m1").await.expect("resend");
    assert!(matches!(&resent, Posted::Duplicate(m) if m.seq == 1), "{resent:?}");
}

async fn an_address_holds_at_most_its_rooms_alive_and_an_ended_one_frees_its_place(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let store = &backend.store;
    let minute = Duration::from_secs(60);
    let me = Some(Creator { key: "198.51.100.7", max_alive: 2 });
    // Alive through the five calls below even on a busy machine.
    let short_lived = Duration::from_millis(1500);
    let first =
        store.create_room(minute, 2, VERIFIER, me, Default::default(), None).await.expect("first");
    store
        .create_room(short_lived, 2, VERIFIER, me, Default::default(), None)
        .await
        .expect("second, short-lived");
    let refused = store.create_room(minute, 2, VERIFIER, me, Default::default(), None).await;
    assert_eq!(refused.err(), Some(StoreError::TooManyRooms { max_alive: 2 }));
    let other = Some(Creator { key: "198.51.100.8", max_alive: 2 });
    store
        .create_room(minute, 2, VERIFIER, other, Default::default(), None)
        .await
        .expect("another address is not held back");
    // A destroyed room no longer counts...
    assert_eq!(store.destroy(&first.id).await, Ok(true));
    store
        .create_room(minute, 2, VERIFIER, me, Default::default(), None)
        .await
        .expect("the destroyed room's place");
    assert!(
        store.create_room(minute, 2, VERIFIER, me, Default::default(), None).await.is_err(),
        "full again"
    );
    // ...nor one past its deadline.
    tokio::time::sleep(short_lived + Duration::from_millis(100)).await;
    store
        .create_room(minute, 2, VERIFIER, me, Default::default(), None)
        .await
        .expect("the expired room's place");
}

async fn history_keeps_only_its_byte_budget_newest_first(kind: Kind) {
    // A budget that holds three messages of 1,000-byte bodies (each about 1.1 kB as stored).
    let limits = StoreLimits { bytes: 4_000, ..StoreLimits::from(500) };
    let (backend, _) = store(kind, limits).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let alice = token();
    backend.store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    for i in 1..=10 {
        let body = format!("{i:0>1000}");
        backend.store.post_as(&room, &alice, &format!("c{i}"), &body).await.expect("post");
    }
    let history = backend.store.history(&room, 0).await.expect("history");
    let seqs: Vec<u64> = history.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [8, 9, 10], "the newest that fit, in order, without gaps");
    assert!(history.truncated);
    let held: u64 = history.messages.iter().map(server::event::wire::stored_len).sum();
    assert!(held <= 4_000, "{held} bytes held");
    // One message larger than the whole budget is still kept: the newest always is.
    let huge = "x".repeat(5_000);
    backend.store.post_as(&room, &alice, "huge", &huge).await.expect("post");
    let history = backend.store.history(&room, 0).await.expect("history");
    assert_eq!(history.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [11]);
}

async fn history_comes_in_pages_newest_first_and_says_when_older_remain(kind: Kind) {
    // A cap of 100 with 130 posted: 31..=130 are kept.
    let (backend, _) = store(kind, 100).await;
    let store = &backend.store;
    let room = new_room(store, Duration::from_secs(60), 2).await;
    let alice = token();
    store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    for i in 1..=130 {
        store.post_as(&room, &alice, &format!("c{i}"), "x").await.expect("post");
    }
    let seqs = |h: &app::model::History| h.messages.iter().map(|m| m.seq).collect::<Vec<_>>();
    let newest = store.history_page(&room, Window::newest(0)).await.expect("page");
    assert_eq!(seqs(&newest), (81..=130).collect::<Vec<_>>());
    assert!(newest.more && newest.truncated);
    let older = store.history_page(&room, Window::older_than(81)).await.expect("page");
    assert_eq!(seqs(&older), (31..=80).collect::<Vec<_>>());
    assert!(!older.more, "31 is the oldest kept");
    let tail = store.history_page(&room, Window::older_than(40)).await.expect("page");
    assert_eq!((seqs(&tail), tail.more), ((31..=39).collect::<Vec<_>>(), false));
    // Newest after a point: a short gap is one page, a long one says more remain.
    let gap = store.history_page(&room, Window::newest(120)).await.expect("page");
    assert_eq!((seqs(&gap), gap.more), ((121..=130).collect::<Vec<_>>(), false));
    let long = store.history_page(&room, Window::newest(40)).await.expect("page");
    assert_eq!((seqs(&long).first().copied(), long.more), (Some(81), true));
    let none = store.history_page(&room, Window::older_than(31)).await.expect("page");
    assert!(none.messages.is_empty() && !none.more);
    assert_eq!(store.history(&room, 0).await.expect("all").messages.len(), 100);
}

async fn history_after_a_sequence_number_holds_only_newer_messages(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let alice = token();
    backend.store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    let empty = backend.store.history(&room, 0).await.expect("history");
    assert_eq!((empty.messages.len(), empty.seq, empty.truncated), (0, 0, false));
    for i in 1..=6 {
        backend.store.post_as(&room, &alice, &format!("c{i}"), "x").await.expect("post");
    }
    let after = backend.store.history(&room, 4).await.expect("history");
    assert_eq!(after.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [5, 6]);
    let none = backend.store.history(&room, 6).await.expect("history");
    assert!(none.messages.is_empty());
    let beyond = backend.store.history(&room, u64::MAX / 2).await.expect("history");
    assert!(beyond.messages.is_empty());
}

/// The next delivery for `room`, skipping others.
async fn delivery(
    deliveries: &mut tokio::sync::mpsc::UnboundedReceiver<Delivery>,
    room: &RoomId,
) -> RoomEvent {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(5), deliveries.recv()).await;
        match next.expect("a delivery in time").expect("deliveries open") {
            Delivery::Event(announced) if announced.room == *room => {
                return announced.event.clone();
            }
            _ => continue,
        }
    }
}

async fn posts_are_announced_in_order_and_destroy_is_announced(kind: Kind) {
    let (mut backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    backend.broker.subscribe(&room).await.expect("subscribed");
    let alice = token();
    let seat =
        backend.store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    assert_eq!(delivery(&mut backend.deliveries, &room).await, RoomEvent::SeatJoined(seat));
    for i in 1..=20 {
        backend
            .store
            .post_as(&room, &alice, &format!("c{i}"), &format!("m{i}"))
            .await
            .expect("post");
    }
    for i in 1..=20 {
        match delivery(&mut backend.deliveries, &room).await {
            RoomEvent::Message(m) => {
                assert_eq!(
                    (m.seq, m.body.as_str(), m.sender.name.as_str()),
                    (i, &*format!("m{i}"), "alice")
                )
            }
            other => panic!("expected message {i}, got {other:?}"),
        }
    }
    backend.store.destroy(&room).await.expect("destroy");
    assert_eq!(
        delivery(&mut backend.deliveries, &room).await,
        RoomEvent::Ended(EndReason::Destroyed)
    );
}

async fn joining_and_leaving_are_announced_and_leaving_frees_the_seat(kind: Kind) {
    let (mut backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    backend.broker.subscribe(&room).await.expect("subscribed");
    let (alice, bob) = (token(), token());
    let seat =
        backend.store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("seat");
    assert_eq!(delivery(&mut backend.deliveries, &room).await, RoomEvent::SeatJoined(seat.clone()));
    // The same token again holds the same seat: nobody new joined.
    let again = new_seat("alice again");
    assert_eq!(backend.store.claim_seat(&room, &alice, &again, None).await, Ok(seat.clone()));
    let bobs = backend.store.claim_seat(&room, &bob, &new_seat("bob"), None).await.expect("seat");
    assert_eq!(delivery(&mut backend.deliveries, &room).await, RoomEvent::SeatJoined(bobs));
    assert_eq!(
        backend.store.claim_seat(&room, &token(), &new_seat("carol"), None).await,
        Err(StoreError::Full)
    );
    assert_eq!(backend.store.leave(&room, &alice).await, Ok(true));
    assert_eq!(delivery(&mut backend.deliveries, &room).await, RoomEvent::SeatLeft(seat));
    assert_eq!(backend.store.seat(&room, &alice).await, Ok(None));
    assert_eq!(backend.store.leave(&room, &alice).await, Ok(false));
    backend
        .store
        .claim_seat(&room, &token(), &new_seat("carol"), None)
        .await
        .expect("the freed seat");
}

async fn only_a_seated_token_may_post(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    assert_eq!(backend.store.post_as(&room, &token(), "c", "hi").await, Err(StoreError::NotSeated));
    let history = backend.store.history(&room, 0).await.expect("history");
    assert!(history.messages.is_empty());
}

async fn presence_lists_one_name_per_seat_and_forgets_connections_that_go(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let seat = |id: &str, name: &str| Seat { id: id.into(), name: name.into() };
    let (amy, bob) = (seat("s1", "amy"), seat("s2", "bob"));
    let member = |conn: &str, seat: &Seat| Member { conn: conn.into(), seat: seat.clone() };
    let presence = &backend.presence;
    let online = presence.join(&room, member("c1", &amy)).await.expect("p");
    assert_eq!(online, vec![amy.clone()]);
    // A second tab of the same seat is still one person.
    let again = presence.join(&room, member("c2", &amy)).await.expect("p");
    assert_eq!(again, vec![amy.clone()]);
    let both = presence.join(&room, member("c3", &bob)).await.expect("p");
    assert_eq!(both, [amy.clone(), bob.clone()]);
    assert_eq!(presence.leave(&room, "c1").await.expect("p"), [amy, bob.clone()]);
    assert_eq!(presence.leave(&room, "c2").await.expect("p"), [bob]);
}

/// Redis only: what a dump of Redis would hand an attacker.
#[tokio::test]
async fn no_seat_token_is_stored_in_redis_in_clear() {
    let (backend, prefix) = store(Kind::Redis, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    let secret = SeatToken::generate();
    backend.store.claim_seat(&room, &secret.hash(), &new_seat("alice"), None).await.expect("seat");
    backend.store.post_as(&room, &secret.hash(), "c1", "hello").await.expect("post");
    let mut conn = redis_conn().await;
    let mut dump = String::new();
    for key in redis_keys(&prefix).await {
        let kind: String =
            ::redis::cmd("TYPE").arg(&key).query_async(&mut conn).await.expect("TYPE");
        let values: Vec<String> = match kind.as_str() {
            "hash" => {
                ::redis::cmd("HGETALL").arg(&key).query_async(&mut conn).await.expect("HGETALL")
            }
            "list" => ::redis::cmd("LRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .expect("LRANGE"),
            _ => vec![::redis::cmd("GET").arg(&key).query_async(&mut conn).await.expect("GET")],
        };
        dump.push_str(&key);
        dump.push_str(&values.join("\n"));
    }
    assert!(dump.contains(secret.hash().as_str()), "the hash is what identifies the seat");
    assert!(!dump.contains(secret.as_str()), "the token itself must never be stored");
}

/// Redis only: every key of a room expires at the room's deadline, to the millisecond.
#[tokio::test]
async fn every_key_of_a_room_expires_at_its_deadline() {
    let (backend, prefix) = store(Kind::Redis, 500).await;
    let info = backend
        .store
        .create_room(Duration::from_secs(60), 2, VERIFIER, None, Default::default(), None)
        .await
        .expect("room");
    let alice = token();
    backend.store.claim_seat(&info.id, &alice, &new_seat("alice"), None).await.expect("seat");
    backend.store.post_as(&info.id, &alice, "c1", "hello").await.expect("post");
    let member = Member { conn: "c".into(), seat: Seat { id: "s".into(), name: "a".into() } };
    backend.presence.join(&info.id, member).await.expect("presence");
    let mut conn = redis_conn().await;
    let keys = redis_keys(&prefix).await;
    assert_eq!(keys.len(), 6, "meta, seats, log, seq, sent, online: {keys:?}");
    for key in keys {
        assert!(key.contains(&format!("{{{}}}", info.id)), "{key} carries the room's hash tag");
        let at: i64 = ::redis::cmd("PEXPIRETIME")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("PEXPIRETIME");
        assert_eq!(u64::try_from(at).ok(), Some(info.expires_at), "{key}");
    }
}

async fn a_room_keeps_who_may_destroy_it_and_its_first_seat_is_its_creator(kind: Kind) {
    let (backend, _prefix) = store(kind, 500).await;
    let store = backend.store;
    let minute = Duration::from_secs(60);
    let mine = store.create_room(minute, 3, VERIFIER, None, Destroyers::Creator, None).await;
    let mine = mine.expect("room").id;
    let (alice, bob) = (new_seat("alice"), new_seat("bob"));
    let alice_token = token();
    store.claim_seat(&mine, &alice_token, &alice, Some("check")).await.expect("alice");
    store.claim_seat(&mine, &token(), &bob, None).await.expect("bob");
    // The creator giving their seat back does not make anyone else the creator.
    assert!(store.leave(&mine, &alice_token).await.expect("leave"));
    let info = store.room(&mine).await.expect("read").expect("live");
    assert_eq!(info.destroyers, Destroyers::Creator);
    assert_eq!(info.creator_seat.as_deref(), Some(alice.id.as_str()), "the first seat");
    assert!(info.may_destroy(Some(&alice.id)), "the creator may");
    assert!(!info.may_destroy(Some(&bob.id)), "another seat may not");
    assert!(!info.may_destroy(None), "the link alone may not");

    let open = new_room(&store, minute, 2).await;
    store.claim_seat(&open, &token(), &bob, None).await.expect("bob");
    let info = store.room(&open).await.expect("read").expect("live");
    assert_eq!(
        (info.destroyers, info.creator_seat.as_deref()),
        (Destroyers::Anyone, Some(bob.id.as_str()))
    );
    assert!(info.may_destroy(Some("any seat")) && info.may_destroy(None), "anyone may");
}

async fn messages_past_their_timer_are_never_read_back_and_leave_the_store(kind: Kind) {
    let under = under_test(kind, 500).await;
    let store = under.backend.store.clone();
    let (minute, second) = (Duration::from_secs(60), Some(Duration::from_millis(1000)));
    let room = store.create_room(minute, 2, VERIFIER, None, Destroyers::Anyone, second).await;
    let room = room.expect("room");
    assert_eq!(room.message_timer_ms, Some(1000));
    let alice = token();
    store.claim_seat(&room.id, &alice, &new_seat("alice"), None).await.expect("seat");
    store.post_as(&room.id, &alice, "c1", "sealed-1").await.expect("post");
    assert_eq!(store.history(&room.id, 0).await.expect("history").messages.len(), 1);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(store.history(&room.id, 0).await.expect("history").messages.is_empty(), "past it");

    // Removed from the store itself, not only hidden, by its sweep (every second).
    let log = format!("{{{}}}:log", room.id);
    let mut held = true;
    for _ in 0..40 {
        held = match &under.memory {
            Some(memory) => memory.messages_held() > 0,
            None => redis_keys(&under.prefix).await.iter().any(|key| key.ends_with(&log)),
        };
        if !held {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!held, "the expired message is gone from the store");
    // The room goes on: the next message has the next number and is read back.
    let posted = store.post_as(&room.id, &alice, "c2", "sealed-2").await.expect("post");
    assert!(matches!(posted, Posted::Stored { seq: 2 }), "{posted:?}");
    let seqs: Vec<u64> =
        store.history(&room.id, 0).await.expect("h").messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [2]);
}

/// A command connection to what `under` runs on, routed by key on a cluster, to look at the
/// keys the store wrote.
async fn inspector(under: &UnderTest, kind: Kind) -> server::redis_conn::RedisConn {
    use server::redis_conn::{RedisConn, RedisTarget};
    let target = match kind {
        Kind::Cluster => RedisTarget::cluster(&crate::helpers::cluster().urls()),
        _ => RedisTarget::single(&crate::helpers::redis_url()),
    };
    assert!(under.memory.is_none(), "the embedded store has no keys");
    RedisConn::connect(&target).await.expect("Redis")
}

/// Every key under `prefix` and everything in it, as one text per key (`name = values`).
async fn dump(conn: &mut server::redis_conn::RedisConn, prefix: &str) -> Vec<String> {
    let mut dumped = Vec::new();
    for key in redis_keys(prefix).await {
        let kind: String = ::redis::cmd("TYPE").arg(&key).query_async(conn).await.expect("TYPE");
        let command = match kind.as_str() {
            "hash" => ::redis::cmd("HGETALL").arg(&key).clone(),
            "list" => ::redis::cmd("LRANGE").arg(&key).arg(0).arg(-1).clone(),
            "zset" => ::redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).arg("WITHSCORES").clone(),
            "string" => ::redis::cmd("GET").arg(&key).clone(),
            // Expired between KEYS and TYPE.
            "none" => continue,
            other => panic!("{key} is a {other}, which no store writes"),
        };
        let values: Vec<String> = command.query_async(conn).await.expect("read");
        dumped.push(format!("{key} = {}", values.join(" ")));
    }
    dumped
}

/// After `step`: each key of `room` expires by the room's end, its entry in the timed set (if
/// any) is due by then, and a per-address set (of this room alone) ends with it too.
async fn every_trace_ends_with(under: &UnderTest, kind: Kind, room: &RoomInfo, step: &str) {
    if under.memory.is_some() {
        // One map entry holds all of an embedded room: checked once it ended.
        return;
    }
    let mut conn = inspector(under, kind).await;
    let timed = format!("{}:timed", under.prefix);
    for key in redis_keys(&under.prefix).await {
        if key == timed {
            let due: Option<u64> = ::redis::cmd("ZSCORE")
                .arg(&key)
                .arg(room.id.as_str())
                .query_async(&mut conn)
                .await
                .expect("ZSCORE");
            assert!(due.is_none_or(|due| due <= room.expires_at), "{step}: due {due:?}");
        } else if !key.contains(room.id.as_str()) && !key.contains(":creator:") {
            continue;
        }
        // Each key, shared ones too (this test's prefix holds this room alone), ends by then.
        let at: i64 = ::redis::cmd("PEXPIRETIME")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("PEXPIRETIME");
        if at == -2 {
            // Gone between KEYS and PEXPIRETIME: it ended, which is all this asks.
            continue;
        }
        let at = u64::try_from(at).ok().filter(|at| *at > 0);
        assert!(
            at.is_some_and(|at| at <= room.expires_at),
            "{step}: {key} expires at {at:?}, the room at {}",
            room.expires_at
        );
    }
}

/// Once `room` ended: nothing of it is held, and no key or shared entry names it. Shared
/// entries are given a sweep (every second) to go.
async fn nothing_names(under: &UnderTest, kind: Kind, room: &RoomId) {
    let mut left = Vec::new();
    for _ in 0..40 {
        left = match &under.memory {
            Some(memory) => memory.traces_of(room),
            None => {
                let mut conn = inspector(under, kind).await;
                let dumped = dump(&mut conn, &under.prefix).await;
                dumped.into_iter().filter(|key| key.contains(room.as_str())).collect()
            }
        };
        if left.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still held: {left:?}");
}

async fn no_key_or_shared_entry_outlives_its_room_whatever_happens_in_it(kind: Kind) {
    let under = under_test(kind, 500).await;
    let (store, presence) = (under.backend.store.clone(), under.backend.presence.clone());
    let me = Some(Creator { key: "203.0.113.26", max_alive: 5 });
    let (life, timer) = (Duration::from_millis(6_500), Some(Duration::from_millis(300)));
    let room =
        store.create_room(life, 3, VERIFIER, me, Destroyers::Anyone, timer).await.expect("room");
    let id = &room.id;
    every_trace_ends_with(&under, kind, &room, "created").await;
    let (alice, bob) = (token(), token());
    let alice_seat = new_seat("alice");
    store.claim_seat(id, &alice, &alice_seat, Some("check")).await.expect("alice");
    every_trace_ends_with(&under, kind, &room, "alice joined").await;
    let here = Member { conn: "c1".into(), seat: alice_seat.clone() };
    presence.join(id, here).await.expect("online");
    every_trace_ends_with(&under, kind, &room, "alice online").await;
    // The creator locks the room and removes a member (early: the room lives 6.5 s, and a
    // loaded CI run takes most of that).
    let dave = token();
    let dave_seat = store.claim_seat(id, &dave, &new_seat("dave"), None).await.expect("dave");
    assert_eq!(store.set_locked(id, true).await, Ok(true));
    assert_eq!(store.remove_seat(id, &dave_seat.id).await, Ok(true));
    assert_eq!(store.seat(id, &dave).await, Err(StoreError::Removed));
    every_trace_ends_with(&under, kind, &room, "locked, a seat removed").await;
    assert_eq!(store.set_locked(id, false).await, Ok(true));
    store.post_as(id, &alice, "c1", "first").await.expect("post");
    every_trace_ends_with(&under, kind, &room, "first post").await;
    // The sweeper empties the log (Redis then deletes the key)...
    let mut emptied = false;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        emptied = match &under.memory {
            Some(memory) => memory.messages_held() == 0,
            None => !redis_keys(&under.prefix).await.iter().any(|k| k.ends_with(":log")),
        };
        if emptied {
            break;
        }
    }
    assert!(emptied, "the sweep emptied the log");
    every_trace_ends_with(&under, kind, &room, "swept").await;
    // ...and the next post makes it again.
    store.post_as(id, &alice, "c2", "after the sweep").await.expect("post");
    every_trace_ends_with(&under, kind, &room, "a post after the sweep").await;
    store.claim_seat(id, &bob, &new_seat("bob"), None).await.expect("bob");
    store.post_as(id, &bob, "c3", "bob's").await.expect("post");
    assert!(store.leave(id, &bob).await.expect("leave"));
    assert!(store.leave(id, &alice).await.expect("leave"));
    every_trace_ends_with(&under, kind, &room, "everyone left").await;
    store.claim_seat(id, &token(), &new_seat("carol"), None).await.expect("carol");
    every_trace_ends_with(&under, kind, &room, "a seat taken again").await;
    presence.leave(id, "c1").await.expect("offline");
    every_trace_ends_with(&under, kind, &room, "offline").await;
    let ends_in = room.expires_at.saturating_sub(app::model::now_ms());
    tokio::time::sleep(Duration::from_millis(ends_in)).await;
    assert_eq!(store.room(id).await, Ok(None));
    nothing_names(&under, kind, id).await;
    if under.memory.is_none() {
        let left = redis_keys(&under.prefix).await;
        assert!(left.iter().all(|key| !key.contains(":creator:")), "{left:?}");
    }
}

async fn destroy_leaves_no_key_or_shared_entry_naming_the_room(kind: Kind) {
    let under = under_test(kind, 500).await;
    let store = under.backend.store.clone();
    let me = Some(Creator { key: "203.0.113.27", max_alive: 5 });
    let (life, timer) = (Duration::from_secs(60), Some(Duration::from_secs(30)));
    let room =
        store.create_room(life, 2, VERIFIER, me, Destroyers::Anyone, timer).await.expect("room");
    let alice = token();
    store.claim_seat(&room.id, &alice, &new_seat("alice"), None).await.expect("seat");
    store.post_as(&room.id, &alice, "c1", "sealed").await.expect("post");
    every_trace_ends_with(&under, kind, &room, "posted").await;
    assert_eq!(store.destroy(&room.id).await, Ok(true));
    let left = match &under.memory {
        Some(memory) => memory.traces_of(&room.id),
        None => {
            let mut conn = inspector(&under, kind).await;
            let dumped = dump(&mut conn, &under.prefix).await;
            dumped.into_iter().filter(|key| key.contains(room.id.as_str())).collect()
        }
    };
    assert_eq!(left, Vec::<String>::new(), "at once, not at a sweep");
    // The address's place is free at once too.
    let again = store.create_room(life, 2, VERIFIER, me, Destroyers::Anyone, timer).await;
    assert!(again.is_ok());
}

async fn many_messages_past_their_timer_leave_within_a_sweep(kind: Kind) {
    let under = under_test(kind, 500).await;
    // Two instances of one deployment on Redis (each sweeps); the embedded backend is one.
    let other = match kind {
        Kind::Embedded => None,
        _ => Some(crate::helpers::backend_at(kind, &under.prefix, 500).await),
    };
    let stores: Vec<Arc<dyn RoomStore>> = [Some(&under.backend), other.as_ref()]
        .into_iter()
        .flatten()
        .map(|backend| backend.store.clone())
        .collect();
    // Long enough that waiting a whole timer more (as a sweep that stopped at its first
    // hundred did) would fail.
    let timer = Duration::from_millis(3_000);
    let room = stores[0]
        .create_room(Duration::from_secs(60), 4, VERIFIER, None, Destroyers::Anyone, Some(timer))
        .await
        .expect("room");
    let seats: Vec<TokenHash> = (0..4).map(|_| token()).collect();
    for (i, seat) in seats.iter().enumerate() {
        let store = &stores[i % stores.len()];
        store.claim_seat(&room.id, seat, &new_seat(&format!("s{i}")), None).await.expect("seat");
    }
    let started = std::time::Instant::now();
    let posts = seats.iter().enumerate().map(|(i, seat)| {
        let (store, id) = (stores[i % stores.len()].clone(), room.id.clone());
        async move {
            for n in 0..50 {
                store.post_as(&id, seat, &format!("c{n}"), "sealed").await.expect("post");
            }
        }
    });
    futures::future::join_all(posts).await;
    let posted_in = started.elapsed();
    assert_eq!(stores[0].history(&room.id, 0).await.expect("history").messages.len(), 200);
    let log = format!("{{{}}}:log", room.id);
    let mut held = true;
    while started.elapsed() < timer + posted_in + Duration::from_secs(2) {
        held = match &under.memory {
            Some(memory) => memory.messages_held() > 0,
            None => redis_keys(&under.prefix).await.iter().any(|key| key.ends_with(&log)),
        };
        if !held {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!held, "200 messages gone within 2 s of their timer");
    println!(
        "{kind:?}: 200 messages posted in {posted_in:?} by {} instance(s), all gone from the \
         store {:?} after the first was sent",
        stores.len(),
        started.elapsed()
    );
}

async fn only_the_first_seats_holder_registers_the_creators_key_and_only_once(kind: Kind) {
    let (backend, _) = store(kind, 500).await;
    let store = &backend.store;
    let room = new_room(store, Duration::from_secs(60), 3).await;
    let (alice, bob) = (token(), token());
    assert_eq!(store.set_owner(&room, &alice, "alice's key").await, Ok(false), "no seat yet");
    store.claim_seat(&room, &alice, &new_seat("alice"), Some("check")).await.expect("alice");
    store.claim_seat(&room, &bob, &new_seat("bob"), None).await.expect("bob");
    assert_eq!(store.set_owner(&room, &bob, "bob's key").await, Ok(false), "not the first seat");
    assert_eq!(store.set_owner(&room, &alice, "alice's key").await, Ok(true));
    assert_eq!(store.set_owner(&room, &alice, "another key").await, Ok(false), "never replaced");
    let info = store.room(&room).await.expect("room").expect("live");
    assert_eq!(info.owner_key.as_deref(), Some("alice's key"));
    // The creator leaves and comes back: a new seat, and the key stays the room's.
    assert_eq!(store.leave(&room, &alice).await, Ok(true));
    let back = token();
    store.claim_seat(&room, &back, &new_seat("alice"), None).await.expect("back");
    assert_eq!(store.set_owner(&room, &back, "a new key").await, Ok(false));
    let info = store.room(&room).await.expect("room").expect("live");
    assert_eq!(info.owner_key.as_deref(), Some("alice's key"));
    store.destroy(&room).await.expect("destroy");
    assert_eq!(store.set_owner(&room, &back, "late").await, Err(StoreError::Gone));
}

async fn a_locked_room_gives_out_no_new_seat_and_its_holders_keep_theirs(kind: Kind) {
    let (mut backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 3).await;
    backend.broker.subscribe(&room).await.expect("subscribed");
    let store = backend.store.clone();
    let alice = token();
    let seat = store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("alice");
    assert_eq!(delivery(&mut backend.deliveries, &room).await, RoomEvent::SeatJoined(seat.clone()));
    assert_eq!(store.set_locked(&room, true).await, Ok(true));
    assert_eq!(delivery(&mut backend.deliveries, &room).await, RoomEvent::Locked(true));
    assert_eq!(store.set_locked(&room, true).await, Ok(false), "locked already: no news");
    assert!(store.room(&room).await.expect("room").expect("live").locked);
    let carol = store.claim_seat(&room, &token(), &new_seat("carol"), None).await;
    assert_eq!(carol, Err(StoreError::Locked), "a free seat, but nobody new");
    let again = store.claim_seat(&room, &alice, &new_seat("alice again"), None).await;
    assert_eq!(again, Ok(seat), "a holder claiming again keeps the seat");
    assert_eq!(store.set_locked(&room, false).await, Ok(true));
    assert_eq!(delivery(&mut backend.deliveries, &room).await, RoomEvent::Locked(false));
    store.claim_seat(&room, &token(), &new_seat("carol"), None).await.expect("unlocked");
    assert!(!store.room(&room).await.expect("room").expect("live").locked);
    store.destroy(&room).await.expect("destroy");
    assert_eq!(store.set_locked(&room, true).await, Err(StoreError::Gone));
}

async fn a_removed_seat_is_freed_announced_and_its_token_told_so(kind: Kind) {
    let (mut backend, _) = store(kind, 500).await;
    let room = new_room(&backend.store, Duration::from_secs(60), 2).await;
    backend.broker.subscribe(&room).await.expect("subscribed");
    let store = backend.store.clone();
    let (alice, bob) = (token(), token());
    store.claim_seat(&room, &alice, &new_seat("alice"), None).await.expect("alice");
    let bobs = store.claim_seat(&room, &bob, &new_seat("bob"), None).await.expect("bob");
    assert_eq!(store.remove_seat(&room, "nobody-has-it").await, Ok(false));
    assert_eq!(store.remove_seat(&room, &bobs.id).await, Ok(true));
    loop {
        match delivery(&mut backend.deliveries, &room).await {
            RoomEvent::SeatJoined(_) => continue,
            event => break assert_eq!(event, RoomEvent::SeatRemoved(bobs.clone())),
        }
    }
    assert_eq!(store.seat(&room, &bob).await, Err(StoreError::Removed));
    assert_eq!(store.post_as(&room, &bob, "c", "still here?").await, Err(StoreError::Removed));
    assert_eq!(store.remove_seat(&room, &bobs.id).await, Ok(false), "removed once");
    assert_eq!(store.leave(&room, &bob).await, Ok(false));
    // The seat is free for someone new; the removed token, as a newcomer, may take it too
    // (only a lock keeps them out).
    assert_eq!(store.room(&room).await.expect("room").expect("live").seated, 1);
    store.claim_seat(&room, &token(), &new_seat("carol"), None).await.expect("the freed seat");
    store.destroy(&room).await.expect("destroy");
    assert_eq!(store.remove_seat(&room, &bobs.id).await, Err(StoreError::Gone));
}
