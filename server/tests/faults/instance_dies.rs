//! An instance dies (SIGKILL) while its clients are sending: they reconnect to the other
//! instance with `since`, resend what was not acknowledged, and in the end every acknowledged
//! message is there exactly once, for everyone, in sequence order.

use crate::chatter::Chatter;
use crate::helpers::{Visitor, unique_prefix};
use crate::instance::Instance;
use crate::redis_process::RedisProcess;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_dies_while_its_clients_send_and_nothing_is_lost_or_doubled() {
    let redis = RedisProcess::start();
    let prefix = unique_prefix();
    let mut a = Instance::start(&redis.url(), &prefix).await;
    let b = Instance::start(&redis.url(), &prefix).await;
    let alice = Visitor::new(a.addr);
    let room = alice.room_with_seat("alice").await;
    let bob = Visitor::new(b.addr);
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    // Alice talks to A (then B when A dies), Bob to B.
    let mut ca = Chatter::new("alice", alice, &room, &[a.addr, b.addr]);
    let mut cb = Chatter::new("bob", bob, &room, &[b.addr, a.addr]);
    assert!(ca.connect().await && cb.connect().await);
    for i in 0..60 {
        ca.say(&format!("a{i}"), &format!("alice {i}")).await;
        cb.say(&format!("b{i}"), &format!("bob {i}")).await;
        if i == 20 {
            a.kill().await;
        }
        ca.pump(Duration::from_millis(20)).await;
        cb.pump(Duration::from_millis(20)).await;
    }
    ca.settle(Duration::from_secs(20)).await;
    cb.settle(Duration::from_secs(20)).await;
    // Both catch up with everything the other sent.
    ca.pump(Duration::from_millis(500)).await;
    cb.pump(Duration::from_millis(500)).await;
    println!("{}\n{}", ca.report(), cb.report());
    println!("alice met: {:?}", ca.events);

    assert_eq!((ca.unacknowledged(), cb.unacknowledged()), (0, 0), "every message acknowledged");
    assert_eq!((ca.duplicated, cb.duplicated), (0, 0), "no socket delivered a message twice");
    let total = ca.acked.len() + cb.acked.len();
    assert_eq!(total, 120);
    for chatter in [&ca, &cb] {
        let seqs: Vec<u64> = chatter.seen.keys().copied().collect();
        assert_eq!(seqs, (1..=120).collect::<Vec<u64>>(), "{}: all, once, in order", chatter.name);
        assert_eq!(chatter.client_ids().len(), 120, "{}: each message stored once", chatter.name);
    }
    assert!(ca.reconnects >= 2, "alice moved to the other instance");
}
