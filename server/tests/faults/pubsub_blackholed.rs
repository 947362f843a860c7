//! The pub/sub connection stays open but carries nothing (a black hole, as a broken NAT or
//! firewall makes): the instance notices, replaces it, resubscribes and resyncs, and a message
//! posted on the other instance meanwhile reaches its socket, once, within 10 seconds.

use crate::helpers::secret;
use crate::helpers::{Next, TestApp, test_settings, unique_prefix};
use crate::proxy::FaultProxy;
use crate::redis_process::RedisProcess;
use app::protocol::ServerFrame;
use server::backend::Backend;
use server::ws::socket::Timing;
use std::time::{Duration, Instant};

/// One Redis and two instances sharing it: A reaches it through a fault proxy, B directly.
async fn through_the_proxy_and_direct() -> (RedisProcess, FaultProxy, TestApp, TestApp) {
    let redis = RedisProcess::start();
    let proxy = FaultProxy::start(([127, 0, 0, 1], redis.port()).into()).await;
    let prefix = unique_prefix();
    let through_proxy = Backend::redis(&proxy.url(), &prefix, secret(), 500).await.expect("Redis");
    let a = TestApp::start(test_settings(), through_proxy, prefix.clone(), Timing::default()).await;
    let direct = Backend::redis(&redis.url(), &prefix, secret(), 500).await.expect("Redis");
    let b = TestApp::start(test_settings(), direct, prefix, Timing::default()).await;
    (redis, proxy, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_pubsub_connection_is_replaced_and_nothing_is_missed() {
    let (_redis, proxy, a, b) = through_the_proxy_and_direct().await;
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

/// Every subscription the instance opens stays silent (a broken path to that Redis) while its
/// commands pass: it must not keep its sockets "connected" and deaf. It turns unready and closes
/// them with 1012; they reconnect to the other instance and catch up there; once the path heals
/// it is ready again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pubsub_path_that_stays_broken_makes_the_instance_unready_and_sends_its_sockets_away() {
    let (_redis, proxy, a, b) = through_the_proxy_and_direct().await;
    let ready = |app: &TestApp| {
        let url = app.url("/readyz");
        async move { reqwest::get(url).await.map(|r| r.status().as_u16()).unwrap_or(0) }
    };
    let alice = a.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = b.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let mut on_a = alice.enter(&room).await;
    let mut on_b = bob.enter(&room).await;
    assert_eq!(ready(&a).await, 200);

    proxy.silence_every_subscription();
    let fault = Instant::now();
    on_b.say("during", "posted on B while A cannot hear anything").await;
    assert_eq!(on_b.message().await.client_id, "during");
    let mut unready_after = None;
    let closed_after = loop {
        assert!(fault.elapsed() < Duration::from_secs(20), "A gave up its socket within 20 s");
        if unready_after.is_none() && ready(&a).await == 503 {
            unready_after = Some(fault.elapsed());
        }
        match on_a.next_within(Duration::from_millis(200)).await {
            Some(Next::Closed(code)) => {
                assert_eq!(code, Some(1012), "closed with 1012: reconnect elsewhere");
                break fault.elapsed();
            }
            Some(Next::Frame(ServerFrame::Message(m))) => {
                panic!("A heard {:?} although its subscriptions are silent", m.client_id)
            }
            _ => {}
        }
    };
    while unready_after.is_none() {
        assert!(fault.elapsed() < Duration::from_secs(20), "A unready within 20 s");
        if ready(&a).await == 503 {
            unready_after = Some(fault.elapsed());
        }
    }
    assert_eq!(ready(&a).await, 503, "still unready while the path is broken");
    assert_eq!(ready(&b).await, 200, "B is fine");
    // Alice's client reconnects, through the load balancer, to B and catches up there.
    let moved = crate::helpers::Visitor { addr: b.addr, ..alice.clone() };
    let mut on_b_again = moved.enter(&room).await;
    assert_eq!(on_b_again.message().await.client_id, "during", "caught up on B");

    proxy.heal();
    let healed = Instant::now();
    while ready(&a).await != 200 {
        assert!(healed.elapsed() < Duration::from_secs(15), "A ready again within 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "subscriptions kept silent: A unready after {:.1} s, its socket closed 1012 after {:.1} s, \
         caught up on B; healed: ready again after {:.1} s",
        unready_after.map_or(0.0, |t| t.as_secs_f64()),
        closed_after.as_secs_f64(),
        healed.elapsed().as_secs_f64()
    );
}
