//! Hostile input over HTTP, generated: thousands of random and mutated bodies to every server
//! function. Each gets a documented answer — success, or an error object whose status is the
//! one docs/PROTOCOL.md gives it — and never a crash, a 500 or a hang.

use crate::helpers::{Kind, TestApp};
use app::error::ApiError;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

const ENDPOINTS: [&str; 7] = [
    "create_room",
    "room_options",
    "join_room",
    "room_view",
    "room_history",
    "destroy_room",
    "leave_room",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 20, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("room_id".to_owned()),
                    Just("name".to_owned()),
                    Just("key_check".to_owned()),
                    Just("ttl_secs".to_owned()),
                    Just("capacity".to_owned()),
                    Just("since".to_owned()),
                    any::<String>(),
                ],
                inner,
                0..5
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A plausible body with one field replaced by something random, or raw text.
fn body(room: String) -> impl Strategy<Value = String> {
    let valid =
        json!({ "room_id": room, "name": "AQ", "since": 0, "ttl_secs": 600, "capacity": 2 });
    prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        (json_value(), 0usize..5).prop_map(move |(junk, field)| {
            let mut body = valid.clone();
            let key = ["room_id", "name", "since", "ttl_secs", "capacity"][field];
            body[key] = junk;
            body.to_string()
        }),
        any::<String>(),
        Just(String::new()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_random_bodies_each_get_a_documented_answer() {
    // Every call spends a turn at its door, read or not: the limits are out of the way here.
    let app = TestApp::spawn_with(Kind::Embedded, |s| {
        s.limits.views_per_minute = 1_000_000;
        s.limits.actions_per_minute = 1_000_000;
        s.limits.rooms_per_minute = 1_000_000;
    })
    .await;
    let visitor = app.visitor();
    let room = visitor.room_with_seat("alice").await.to_string();
    let base = app.url("/api/");
    let http = visitor.http.clone();
    let cases = prop::collection::vec((0..ENDPOINTS.len(), body(room)), 100);
    let mut runner =
        TestRunner::new(Config { cases: 40, failure_persistence: None, ..Config::default() });
    let runtime = tokio::runtime::Handle::current();
    let sent = std::sync::atomic::AtomicUsize::new(0);
    let result = tokio::task::block_in_place(|| {
        runner.run(&cases, |batch| {
            for (endpoint, body) in batch {
                let endpoint = ENDPOINTS[endpoint];
                sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let request = http
                    .post(format!("{base}{endpoint}"))
                    .header("content-type", "application/json")
                    .body(body.clone());
                let (status, text) = runtime.block_on(async {
                    let response = request.send().await.expect("an answer");
                    (response.status().as_u16(), response.text().await.unwrap_or_default())
                });
                let documented = [200, 403, 404, 409, 410, 422];
                prop_assert!(documented.contains(&status), "{endpoint} {body:?} → {status} {text}");
                if status != 200 {
                    let error: Result<ApiError, _> = serde_json::from_str(&text);
                    prop_assert!(error.is_ok(), "{endpoint} {body:?} → {status} {text}");
                    let error = error.expect("checked");
                    prop_assert_eq!(error.status().as_u16(), status, "{} {:?}", endpoint, body);
                }
            }
            Ok(())
        })
    });
    let sent = sent.into_inner();
    println!("hostile bodies sent: {sent}");
    if let Err(failure) = result {
        panic!("{failure}");
    }
    assert!(sent >= 4_000, "{sent}");
}
