//! Redis restarts with nothing in it: open sockets are told their room ended within seconds,
//! nothing hangs, new rooms work at once, and `/readyz` recovers.

use crate::helpers::secret;
use crate::helpers::{Next, TestApp, test_settings, unique_prefix};
use crate::redis_process::RedisProcess;
use app::protocol::ServerFrame;
use serde_json::json;
use server::backend::Backend;
use server::ws::socket::Timing;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarts_empty_and_open_sockets_are_told_their_room_ended() {
    let mut redis = RedisProcess::start();
    let prefix = unique_prefix();
    let backend = Backend::redis(&redis.url(), &prefix, secret(), 500).await.expect("Redis");
    let app = TestApp::start(test_settings(), backend, prefix, Timing::default()).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let mut socket = alice.enter(&room).await;

    redis.restart_empty();
    let restarted = Instant::now();
    // As the browser does: a 1012 (the store was briefly unreachable) means reconnect.
    let mut told = Vec::new();
    let ended = loop {
        match socket.next_within(Duration::from_secs(10)).await {
            Some(Next::Frame(ServerFrame::Ended { reason })) => break format!("ended {reason:?}"),
            Some(Next::Frame(_)) => continue,
            Some(Next::Closed(Some(1012))) => {
                told.push("closed 1012, reconnected");
                tokio::time::sleep(Duration::from_millis(200)).await;
                socket = alice.connect(&room, 0).await;
            }
            Some(Next::Closed(code)) => break format!("closed {code:?}"),
            None => break "nothing".into(),
        }
    };
    let told_after = restarted.elapsed();
    println!(
        "after Redis restarted empty the client was told {told:?}, then {ended:?}, \
         {told_after:?} later"
    );
    assert!(
        matches!(ended.as_str(), "ended Destroyed" | "closed Some(4404)"),
        "told the room ended: {ended:?}"
    );
    assert!(told_after < Duration::from_secs(10), "within seconds: {told_after:?}");

    let created = alice.create(json!({})).await;
    assert_eq!(created.status, 200, "a new room works at once: {created:?}");
    let mut ready = 0;
    for _ in 0..50 {
        ready = reqwest::get(app.url("/readyz")).await.map(|r| r.status().as_u16()).unwrap_or(0);
        if ready == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready, 200, "ready again");
}
