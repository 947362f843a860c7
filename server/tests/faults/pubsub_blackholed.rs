//! The pub/sub connection stays open but carries nothing (a black hole, as a broken NAT or
//! firewall makes): the instance notices, replaces it, resubscribes and resyncs, and a message
//! posted on the other instance meanwhile reaches its socket, once, within 10 seconds.

use crate::helpers::{Next, TestApp, test_settings, unique_prefix};
use crate::proxy::FaultProxy;
use crate::redis_process::RedisProcess;
use app::protocol::ServerFrame;
use server::backend::Backend;
use server::ws::socket::Timing;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_pubsub_connection_is_replaced_and_nothing_is_missed() {
    let redis = RedisProcess::start();
    let proxy = FaultProxy::start(([127, 0, 0, 1], redis.port()).into()).await;
    let prefix = unique_prefix();
    // A reaches Redis through the proxy; B directly.
    let through_proxy = Backend::redis(&proxy.url(), &prefix, 500).await.expect("Redis");
    let a = TestApp::start(test_settings(), through_proxy, prefix.clone(), Timing::default()).await;
    let direct = Backend::redis(&redis.url(), &prefix, 500).await.expect("Redis");
    let b = TestApp::start(test_settings(), direct, prefix, Timing::default()).await;
    let alice = a.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = b.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let mut on_a = alice.enter(&room).await;
    let mut on_b = bob.enter(&room).await;

    proxy.blackhole_pubsub();
    let fault = Instant::now();
    on_b.say("during", "posted on B while A's pub/sub is a black hole").await;
    let sent = on_b.message().await;
    let mut delivered = 0;
    let mut first_at = None;
    while fault.elapsed() < Duration::from_secs(12) {
        match on_a.next_within(Duration::from_millis(500)).await {
            Some(Next::Frame(ServerFrame::Message(m))) if m.client_id == "during" => {
                delivered += 1;
                first_at.get_or_insert(fault.elapsed());
            }
            Some(Next::Closed(code)) => panic!("A's socket closed ({code:?})"),
            _ => {}
        }
    }
    println!(
        "posted on B during the fault: sent 1 (seq {}), delivered on A {delivered} time(s), \
         first after {first_at:?}",
        sent.seq
    );
    assert_eq!(delivered, 1, "delivered once");
    assert!(first_at.is_some_and(|t| t < Duration::from_secs(10)), "within 10 s of the fault");
}
