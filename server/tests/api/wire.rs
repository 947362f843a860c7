//! The pub/sub payloads as the real Lua scripts publish them on Redis: each one is exactly what
//! `event::wire` writes for its event, and reads back as that event. The scripts add only what
//! they alone know (a sequence number, the seats online); every prefix comes from Rust.

use crate::helpers::{Kind, backend, redis_url};
use app::model::{EndReason, Seat};
use app::seat::SeatToken;
use app::store::Posted;
use futures::StreamExt;
use server::event::{RoomEvent, wire};
use server::presence::Member;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_scripts_publish_is_what_rust_writes_and_reads() {
    let (backend, prefix) = backend(Kind::Redis, 500).await;
    let (store, presence) = (&backend.store, &backend.presence);
    let verifier = "A".repeat(app::membership::ENCODED_LEN);
    let room = store
        .create_room(Duration::from_secs(60), 3, &verifier, None, Default::default(), None)
        .await
        .expect("room")
        .id;
    let channel = server::redis_keys::Keys::new(prefix).room(&room).channel;
    let client = redis::Client::open(redis_url()).expect("Redis URL");
    let mut pubsub = client.get_async_pubsub().await.expect("pub/sub connection");
    pubsub.subscribe(&channel).await.expect("subscribe");
    let mut published = pubsub.into_on_message();

    // A sealed name may hold what JSON escapes: quotes, colons, new lines.
    let (alice, bob) = (SeatToken::generate().hash(), SeatToken::generate().hash());
    let alice_seat = Seat { id: "alice-1".into(), name: "sealed \"a\":\n{}".into() };
    let bob_seat = Seat { id: "bob-1".into(), name: "sealed b".into() };
    store.claim_seat(&room, &alice, &alice_seat, None).await.expect("seat");
    store.claim_seat(&room, &bob, &bob_seat, None).await.expect("seat");
    // A token posts only as the seat it holds.
    let as_bob = store.post(&room, &alice, &bob_seat, "c0", "sealed").await;
    assert_eq!(as_bob, Err(app::store::StoreError::NotSeated));
    let posted = store.post(&room, &alice, &alice_seat, "c1", "sealed body").await;
    assert_eq!(posted, Ok(Posted::Stored { seq: 1 }));
    let member = |conn: &str, seat: &Seat| Member { conn: conn.into(), seat: seat.clone() };
    presence.join(&room, member("conn-a", &alice_seat)).await.expect("online");
    presence.join(&room, member("conn-b", &bob_seat)).await.expect("online");
    presence.leave(&room, "conn-a").await.expect("offline");
    presence.leave(&room, "conn-b").await.expect("offline");
    let message = store.history(&room, 0).await.expect("history").messages.remove(0);
    assert!(store.leave(&room, &bob).await.expect("leave"));
    assert!(store.destroy(&room).await.expect("destroy"));

    let mut online = vec![alice_seat.clone(), bob_seat.clone()];
    online.sort_by_key(|seat| wire::seat(seat).ok());
    let expected = [
        RoomEvent::SeatJoined(alice_seat.clone()),
        RoomEvent::SeatJoined(bob_seat.clone()),
        RoomEvent::Message(message),
        RoomEvent::Presence(vec![alice_seat.clone()]),
        RoomEvent::Presence(online),
        RoomEvent::Presence(vec![bob_seat.clone()]),
        RoomEvent::Presence(Vec::new()),
        RoomEvent::SeatLeft(bob_seat),
        RoomEvent::Ended(EndReason::Destroyed),
    ];
    for event in expected {
        let next = tokio::time::timeout(Duration::from_secs(5), published.next()).await;
        let payload: String =
            next.expect("published in time").expect("open").get_payload().expect("text");
        assert_eq!(Some(&payload), wire::encode(&event).ok().as_ref(), "{event:?}");
        assert_eq!(wire::decode(&payload).ok(), Some(event), "{payload}");
    }
}
