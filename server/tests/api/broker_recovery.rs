//! The Redis broker losing its pub/sub connection: it comes back, subscribes again, and no
//! socket misses a message.

use crate::helpers::secret;
use crate::helpers::{TestApp, private_redis, test_settings};
use server::backend::Backend;
use server::ws::socket::Timing;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_pubsub_connection_drops_sockets_get_every_message_once_and_in_order() {
    // A Redis of this test's own: killing its pub/sub clients touches no other test.
    let url = private_redis();
    let settings = test_settings();
    let backend =
        Backend::redis(&url, "recovery", secret(), settings.store_limits()).await.expect("Redis");
    let app = TestApp::start(settings, backend, "recovery".into(), Timing::default()).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = app.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let mut a = alice.enter(&room).await;
    let mut b = bob.enter(&room).await;
    a.say("c1", "before").await;
    assert_eq!(b.message().await.seq, 1);

    let mut admin = redis::Client::open(url.as_str())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("connection");
    let killed: u64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .expect("CLIENT KILL");
    assert_eq!(killed, 1, "this instance has exactly one pub/sub connection");
    // Published while nobody listens: only a resync can bring these to Bob.
    for i in 2..=6 {
        a.say(&format!("c{i}"), &format!("during {i}")).await;
    }
    let mut seqs = Vec::new();
    for _ in 2..=6 {
        seqs.push(b.message().await.seq);
    }
    assert_eq!(seqs, [2, 3, 4, 5, 6]);
    // And live messages flow again: the room was subscribed again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.say("c7", "after").await;
    assert_eq!(b.message().await.seq, 7);
}
