//! Redis stalls for 3 seconds: sends made meanwhile either complete when it is back or fail with
//! the documented error and succeed on the client's retry; `/readyz` says 503 during and 200
//! after; nothing waits past its timeout.

use crate::chatter::Chatter;
use crate::helpers::secret;
use crate::helpers::{TestApp, test_settings, unique_prefix};
use crate::redis_process::RedisProcess;
use server::backend::Backend;
use server::ws::socket::Timing;
use std::time::{Duration, Instant};

async fn readyz(app: &TestApp) -> u16 {
    readyz_said(app).await.0
}

/// `/readyz` on the public port: its status and body.
async fn readyz_said(app: &TestApp) -> (u16, String) {
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(3)).build().expect("client");
    match client.get(app.url("/readyz")).send().await {
        Ok(answer) => (answer.status().as_u16(), answer.text().await.unwrap_or_default()),
        Err(_) => (0, String::new()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_pauses_and_every_send_completes_or_is_retried_and_nothing_hangs() {
    let redis = RedisProcess::start();
    let prefix = unique_prefix();
    let settings = test_settings();
    let backend = Backend::redis(&redis.url(), &prefix, secret(), 500).await.expect("Redis");
    let app = TestApp::start(settings, backend, prefix, Timing::default()).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = app.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let mut ca = Chatter::new("alice", alice, &room, &[app.addr]);
    let mut cb = Chatter::new("bob", bob, &room, &[app.addr]);
    assert!(ca.connect().await && cb.connect().await);
    ca.say("before", "before the pause").await;
    ca.settle(Duration::from_secs(5)).await;
    assert_eq!(readyz(&app).await, 200);

    redis.pause(3_000).await;
    let paused = Instant::now();
    for i in 0..3 {
        ca.say(&format!("during{i}"), "sent while Redis is paused").await;
    }
    // The answer before the pause stands for up to a second; then the check finds Redis silent.
    let (mut during, mut said) = readyz_said(&app).await;
    while during != 503 && paused.elapsed() < Duration::from_millis(2_500) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        (during, said) = readyz_said(&app).await;
    }
    ca.pump(Duration::from_millis(500)).await;
    assert_eq!(during, 503, "not ready while Redis does not answer");
    assert_eq!(said, r#"{"status":"unready"}"#, "and nothing of why, on the public port");

    ca.settle(Duration::from_secs(15)).await;
    let settled = paused.elapsed();
    cb.pump(Duration::from_secs(1)).await;
    let mut ready_again = 0;
    for _ in 0..50 {
        ready_again = readyz(&app).await;
        if ready_again == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("{}\n{}", ca.report(), cb.report());
    let times: Vec<_> = ca.met_at.iter().map(|at| at.saturating_duration_since(paused)).collect();
    println!(
        "alice met: {:?} at {times:?} into the pause; all acknowledged {settled:?} after it began",
        ca.events
    );
    assert_eq!(ready_again, 200, "ready again after the pause");
    assert_eq!(ca.unacknowledged(), 0, "every send completed or succeeded on retry");
    assert!(settled < Duration::from_secs(12), "nothing hung past the timeouts: {settled:?}");
    assert_eq!(cb.seen.len(), 4, "bob has all four, once");
    assert_eq!((ca.duplicated, cb.duplicated), (0, 0));
}
