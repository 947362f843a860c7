//! Two server instances on different ports sharing one Redis: what a user on one sees of what
//! happens on the other.

use crate::helpers::{Kind, Next, Socket, TestApp, Visitor};
use crate::sealing::{name, names};
use app::model::{EndReason, RoomId};
use app::protocol::ServerFrame;
use serde_json::json;
use std::time::Duration;

/// Two instances sharing one Redis: Alice seated and connected through the first, Bob through
/// the second.
struct Pair {
    /// Kept so the first instance keeps running.
    _a_side: TestApp,
    b_side: TestApp,
    room: RoomId,
    alice: Visitor,
    a: Socket,
    b: Socket,
}

async fn alice_on_a_and_bob_on_b(options: serde_json::Value) -> Pair {
    let a_side = TestApp::spawn(Kind::Redis).await;
    let b_side = a_side.sibling().await;
    let alice = a_side.visitor();
    let room = alice.create_room(options).await;
    assert_eq!(alice.join(&room, "alice").await.status, 200);
    let bob = b_side.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200, "seats are shared");
    let a = alice.enter(&room).await;
    let b = bob.enter(&room).await;
    Pair { _a_side: a_side, b_side, room, alice, a, b }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_on_one_instance_arrives_on_the_other_once_and_in_order() {
    let Pair { mut a, mut b, .. } = alice_on_a_and_bob_on_b(json!({})).await;
    for i in 1..=50 {
        a.say(&format!("c{i}"), &format!("m{i}")).await;
    }
    let mut seqs = Vec::new();
    for _ in 0..50 {
        seqs.push(b.message().await.seq);
    }
    assert_eq!(seqs, (1..=50).collect::<Vec<u64>>());
    b.say("reply", "from b").await;
    let mut last = 0;
    while last != 51 {
        last = a.message().await.seq;
    }
    let extra = b.next_within(Duration::from_millis(300)).await;
    assert!(
        !matches!(extra, Some(Next::Frame(ServerFrame::Message(m))) if m.seq <= 50),
        "no duplicate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_back_on_the_other_instance_gets_exactly_the_twenty_it_missed() {
    let a_side = TestApp::spawn(Kind::Redis).await;
    let b_side = a_side.sibling().await;
    let alice = a_side.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = a_side.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let mut a = alice.enter(&room).await;
    let mut b = bob.enter(&room).await;
    a.say("c0", "before").await;
    assert_eq!(b.message().await.seq, 1);
    b.close().await;
    for i in 1..=20 {
        a.say(&format!("c{i}"), &format!("missed {i}")).await;
    }
    // Bob's browser reconnects, this time through the other instance.
    let mut b = bob.at(&b_side).connect(&room, 1).await;
    let ServerFrame::Welcome { recovered, .. } = b.welcome().await else { unreachable!() };
    assert!(recovered);
    let mut seqs = Vec::new();
    for _ in 0..20 {
        seqs.push(b.message().await.seq);
    }
    assert_eq!(seqs, (2..=21).collect::<Vec<u64>>());
    let extra = b.next_within(Duration::from_millis(300)).await;
    assert!(!matches!(extra, Some(Next::Frame(ServerFrame::Message(_)))), "no duplicate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_on_one_instance_ends_the_sockets_on_the_other() {
    let Pair { room, alice, mut b, .. } = alice_on_a_and_bob_on_b(json!({})).await;
    assert_eq!(alice.call("destroy_room", json!({ "room_id": room })).await.status, 200);
    assert_eq!(b.ended().await, EndReason::Destroyed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_second_room_ends_by_itself_on_both_instances() {
    let Pair { _a_side, b_side, room, mut a, mut b, .. } =
        alice_on_a_and_bob_on_b(json!({ "ttl_secs": 2 })).await;
    let (ra, rb) = tokio::join!(a.ended(), b.ended());
    assert_eq!((ra, rb), (EndReason::Expired, EndReason::Expired));
    let stranger = b_side.visitor().call("room_view", json!({ "room_id": room })).await;
    assert_eq!(stranger.status, 404, "gone for everyone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_and_typing_cross_instances() {
    let a_side = TestApp::spawn(Kind::Redis).await;
    let b_side = a_side.sibling().await;
    let alice = a_side.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = b_side.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let mut a = alice.enter(&room).await;
    let mut b = bob.connect(&room, 0).await;
    let ServerFrame::Welcome { peers, .. } = b.welcome().await else { unreachable!() };
    assert_eq!(names(&room, &peers), ["alice"]);
    loop {
        if let ServerFrame::Presence { online } = a.frame().await
            && online.len() == 2
        {
            let mut both = names(&room, &online);
            both.sort();
            assert_eq!(both, ["alice", "bob"]);
            break;
        }
    }
    b.send(&app::protocol::ClientFrame::Typing {}).await;
    loop {
        if let ServerFrame::Typing { sender } = a.frame().await {
            assert_eq!(name(&room, &sender), "bob");
            break;
        }
    }
}

/// Subscribers of a channel, as Redis counts them.
async fn subscribers(channel: &str) -> u64 {
    let mut conn = crate::helpers::redis_conn().await;
    let counts: Vec<(String, u64)> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(&mut conn)
        .await
        .expect("NUMSUB");
    counts.first().map_or(0, |(_, n)| *n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_subscribes_a_room_once_whatever_its_sockets_and_lets_go_after_the_last() {
    let app = TestApp::spawn(Kind::Redis).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = app.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let channel = format!("{}:{{{room}}}:events", app.prefix);
    assert_eq!(subscribers(&channel).await, 0, "no socket, no subscription");
    let mut sockets = Vec::new();
    for visitor in [&alice, &alice, &alice, &bob, &bob] {
        let socket = visitor.enter(&room).await;
        sockets.push(socket);
    }
    assert_eq!(subscribers(&channel).await, 1, "one subscriber connection for five sockets");
    for socket in sockets {
        socket.close().await;
    }
    let mut left = u64::MAX;
    for _ in 0..40 {
        left = subscribers(&channel).await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "unsubscribed after the last socket left");
}
