//! Burner on a real local Redis Cluster (3 masters, 3 replicas, started here): two instances
//! chat over it; the master serving a live room dies mid-chat; a live room's slot moves to
//! another master mid-chat; the whole cluster stops answering and comes back. Each time every
//! acknowledged message reaches everyone exactly once, in order, and the figures are printed.

use crate::chatter::Chatter;
use crate::helpers::{Visitor, unique_prefix};
use crate::instance::Instance;
use crate::local_cluster::{LocalCluster, NodeInfo};
use app::model::RoomId;
use server::redis_conn::slot;
use std::time::{Duration, Instant};

const CLUSTER_MODE: &[(&str, &str)] = &[("BURNER_REDIS_MODE", "cluster")];

/// Two instances on the cluster, alice seated through A and bob through B, each talking to
/// their own instance first.
struct Chat {
    _a: Instance,
    _b: Instance,
    room: RoomId,
    alice: Chatter,
    bob: Chatter,
    said: usize,
}

impl Chat {
    async fn start(cluster: &LocalCluster) -> Self {
        let prefix = unique_prefix();
        let a = Instance::start_with(&cluster.seeds(), &prefix, CLUSTER_MODE).await;
        let b = Instance::start_with(&cluster.seeds(), &prefix, CLUSTER_MODE).await;
        let alice = Visitor::new(a.addr);
        let room = alice.room_with_seat("alice").await;
        let bob = Visitor::new(b.addr);
        assert_eq!(bob.join(&room, "bob").await.status, 200);
        let mut alice = Chatter::new("alice", alice, &room, &[a.addr, b.addr]);
        let mut bob = Chatter::new("bob", bob, &room, &[b.addr, a.addr]);
        assert!(alice.connect().await && bob.connect().await);
        Chat { _a: a, _b: b, room, alice, bob, said: 0 }
    }

    /// One message from each, then both read for a while.
    async fn round(&mut self) {
        let i = self.said;
        self.alice.say(&format!("a{i}"), &format!("alice {i}")).await;
        self.bob.say(&format!("b{i}"), &format!("bob {i}")).await;
        self.said += 1;
        self.alice.pump(Duration::from_millis(60)).await;
        self.bob.pump(Duration::from_millis(60)).await;
    }

    /// Whether each has seen a message the other sent as number `i` or later.
    fn both_heard_from(&self, i: usize) -> bool {
        let heard = |chatter: &Chatter, from: char| {
            chatter
                .client_ids()
                .iter()
                .any(|id| id.starts_with(from) && id[1..].parse::<usize>().is_ok_and(|n| n >= i))
        };
        heard(&self.alice, 'b') && heard(&self.bob, 'a')
    }

    /// Talks until both hear what the other said from now on; returns how long that took.
    async fn until_resumed(&mut self, within: Duration) -> Duration {
        let started = Instant::now();
        let from = self.said;
        while !self.both_heard_from(from) {
            assert!(started.elapsed() < within, "the chat resumed within {within:?}");
            self.round().await;
        }
        started.elapsed()
    }

    /// Settles and checks that every acknowledged message is there exactly once, in order,
    /// for both; prints the counts.
    async fn check_exactly_once(&mut self) {
        self.alice.settle(Duration::from_secs(20)).await;
        self.bob.settle(Duration::from_secs(20)).await;
        self.alice.pump(Duration::from_millis(500)).await;
        self.bob.pump(Duration::from_millis(500)).await;
        println!("{}\n{}", self.alice.report(), self.bob.report());
        let lost = self.alice.unacknowledged() + self.bob.unacknowledged();
        let duplicated = self.alice.duplicated + self.bob.duplicated;
        println!("lost {lost}, duplicated {duplicated}");
        assert_eq!(lost, 0, "every message acknowledged");
        assert_eq!(duplicated, 0, "no socket delivered a message twice");
        let total = (self.alice.acked.len() + self.bob.acked.len()) as u64;
        assert_eq!(total, 2 * self.said as u64);
        for chatter in [&self.alice, &self.bob] {
            let seqs: Vec<u64> = chatter.seen.keys().copied().collect();
            assert_eq!(
                seqs,
                (1..=total).collect::<Vec<u64>>(),
                "{}: all, once, in order",
                chatter.name
            );
            assert_eq!(
                chatter.client_ids().len() as u64,
                total,
                "{}: each stored once",
                chatter.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_chat_over_the_cluster() {
    let cluster = LocalCluster::start();
    let mut chat = Chat::start(&cluster).await;
    for _ in 0..20 {
        chat.round().await;
    }
    let master = cluster.master_of_slot(slot(chat.room.as_str()));
    println!(
        "room {} is in slot {} on the master at port {}",
        chat.room,
        slot(chat.room.as_str()),
        master.port
    );
    chat.check_exactly_once().await;
    let keys = cluster.keys(&format!("*{{{}}}*", chat.room));
    assert!(!keys.is_empty(), "the room's keys are on the cluster");
    let on_master =
        cluster.cli(master.port, &["keys", &format!("*{{{}}}*", chat.room)]).unwrap_or_default();
    assert_eq!(on_master.lines().count(), keys.len(), "all of the room's keys on one master");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_of_a_live_room_dies_and_its_replica_takes_over_with_nothing_lost() {
    let cluster = LocalCluster::start();
    let mut chat = Chat::start(&cluster).await;
    for _ in 0..10 {
        chat.round().await;
    }
    let slot = slot(chat.room.as_str());
    let master = cluster.master_of_slot(slot);
    cluster.kill(master.port);
    let killed = Instant::now();
    // Chat on while the replica takes over.
    let promoted = loop {
        chat.round().await;
        let now = cluster.master_of_slot_if_any(slot);
        if now.as_ref().is_some_and(|n| n.port != master.port) {
            break killed.elapsed();
        }
        assert!(killed.elapsed() < Duration::from_secs(30), "a replica was promoted within 30 s");
    };
    let resumed = chat.until_resumed(Duration::from_secs(10)).await;
    println!(
        "failover: master on port {} killed; replica promoted after {:.1} s; chat resumed {:.1} s \
         after the promotion ({:.1} s after the kill)",
        master.port,
        promoted.as_secs_f64(),
        resumed.as_secs_f64(),
        (promoted + resumed).as_secs_f64()
    );
    for _ in 0..10 {
        chat.round().await;
    }
    chat.check_exactly_once().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_rooms_slot_moves_to_another_master_with_nothing_lost() {
    let cluster = LocalCluster::start();
    let mut chat = Chat::start(&cluster).await;
    for _ in 0..10 {
        chat.round().await;
    }
    let slot = slot(chat.room.as_str());
    let from = cluster.master_of_slot(slot);
    let to: NodeInfo = cluster
        .nodes(from.port)
        .into_iter()
        .find(|n| n.master && !n.failed && n.port != from.port)
        .expect("another master");
    let started = Instant::now();
    cluster.migrate_slot(slot, &to);
    let migrated = started.elapsed();
    assert_eq!(cluster.master_of_slot(slot).port, to.port, "the slot moved");
    let resumed = chat.until_resumed(Duration::from_secs(10)).await;
    println!(
        "slot migration: slot {slot} moved from port {} to {} in {:.2} s; chat resumed {:.1} s after",
        from.port,
        to.port,
        migrated.as_secs_f64(),
        resumed.as_secs_f64()
    );
    for _ in 0..10 {
        chat.round().await;
    }
    chat.check_exactly_once().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_so_while_the_cluster_is_down_and_recovers_with_it() {
    let cluster = LocalCluster::start();
    let prefix = unique_prefix();
    let instance = Instance::start_with(&cluster.seeds(), &prefix, CLUSTER_MODE).await;
    let ready = || async {
        reqwest::get(format!("http://{}/readyz", instance.addr))
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(ready().await, 200);
    cluster.remember_pids();
    cluster.signal_all("STOP");
    let stopped = Instant::now();
    while ready().await == 200 {
        assert!(stopped.elapsed() < Duration::from_secs(15), "unready within 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let unready_after = stopped.elapsed();
    // Down long enough for the pub/sub path to count as broken too.
    tokio::time::sleep(Duration::from_secs(8).saturating_sub(stopped.elapsed())).await;
    assert_eq!(ready().await, 503, "still unready while the cluster answers nobody");
    let public = reqwest::get(format!("http://{}/readyz", instance.addr)).await.expect("readyz");
    let public = public.text().await.unwrap_or_default();
    assert_eq!(public.trim(), r#"{"status":"unready"}"#, "the public port says no more");
    // The operator's address says why.
    let unready = reqwest::get(format!("http://{}/readyz", instance.metrics)).await;
    let body = unready.expect("readyz on the metrics address").text().await.unwrap_or_default();
    assert!(body.contains("\"reason\""), "{body}");
    cluster.signal_all("CONT");
    let resumed = Instant::now();
    while ready().await != 200 {
        assert!(resumed.elapsed() < Duration::from_secs(20), "ready again within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready_after = resumed.elapsed();
    println!(
        "cluster frozen: /readyz 503 after {:.1} s (at 8 s: {}); thawed: 200 again after {:.1} s",
        unready_after.as_secs_f64(),
        body.trim(),
        ready_after.as_secs_f64()
    );
    // And it serves: a room made now takes messages.
    let alice = Visitor::new(instance.addr);
    let room = alice.room_with_seat("alice").await;
    let mut socket = alice.enter(&room).await;
    socket.say("after", "after the cluster came back").await;
    assert_eq!(socket.message().await.client_id, "after");
}
