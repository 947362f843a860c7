//! Hostile input, generated: thousands of random and mutated frames through the real socket loop
//! loop. Every frame gets the answer the protocol documents for it — an acknowledgement, an
//! `error` with the right code, or the right close code — nothing panics, and after a
//! recoverable error the socket still works.

use super::*;
use app::envelope::{self, MESSAGE_SEALED_MAX};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What the protocol says a frame gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Ack,
    Nothing,
    Error(ErrorCode),
    Close(CloseCode),
}

/// Refused frames in a row that close the socket (`STRIKES_BEFORE_CLOSE` in the exchange).
const STRIKES: u32 = 10;

/// The documented answer to `frame`, for a socket that has acknowledged `acked` and refused
/// `strikes` frames in a row.
fn documented(frame: &WsIn, acked: &HashSet<String>, strikes: u32) -> Answer {
    let refused = |code| {
        if strikes + 1 >= STRIKES {
            Answer::Close(CloseCode::RateLimited)
        } else {
            Answer::Error(code)
        }
    };
    match frame {
        WsIn::Binary => refused(ErrorCode::BadFrame),
        WsIn::Text(text) if text.len() > FRAME_MAX_BYTES => Answer::Close(CloseCode::TooBig),
        WsIn::Text(text) => match ClientFrame::decode(text) {
            Ok(ClientFrame::Typing {}) => Answer::Nothing,
            Ok(ClientFrame::Send { client_id, body }) => {
                let id_len = client_id.chars().count();
                if id_len == 0 || id_len > app::model::CLIENT_ID_MAX_CHARS {
                    refused(ErrorCode::BadFrame)
                } else if envelope::decode(&body, MESSAGE_SEALED_MAX).is_err() {
                    refused(ErrorCode::InvalidMessage)
                } else if acked.contains(&client_id) {
                    // A resend of what this socket already has: stored once, not sent again.
                    Answer::Nothing
                } else {
                    Answer::Ack
                }
            }
            Err(_) => refused(ErrorCode::BadFrame),
        },
        _ => Answer::Nothing,
    }
}

use std::collections::HashSet;

fn valid_send() -> impl Strategy<Value = String> {
    ("[a-zA-Z0-9_-]{1,64}", any::<String>()).prop_map(|(id, text)| {
        let frame = ClientFrame::Send { client_id: id, body: seal(&text) };
        frame.encode().unwrap_or_default()
    })
}

/// A valid frame, damaged: cut, spliced, retyped, or with a field replaced.
fn mutated() -> impl Strategy<Value = String> {
    (valid_send(), 0usize..8, any::<usize>(), any::<String>()).prop_map(|(frame, how, at, junk)| {
        let at = at % frame.len().max(1);
        let at = (0..=at).rev().find(|i| frame.is_char_boundary(*i)).unwrap_or(0);
        match how {
            0 => frame[..at].to_owned(),
            1 => format!("{}{junk}{}", &frame[..at], &frame[at..]),
            2 => frame.replacen("send", &junk, 1),
            3 => frame.replacen("\"body\":\"", &format!("\"body\":\"{junk}"), 1),
            4 => frame.replacen("client_id", "text", 1),
            5 => format!("{frame}{frame}"),
            6 => frame.replacen("\"type\":\"send\"", "\"type\":\"send\",\"sender\":\"x\"", 1),
            _ => frame.replace(['{', '}'], ""),
        }
    })
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::from("send")),
        Just(serde_json::Value::from("typing")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("client_id".to_owned()),
                    Just("body".to_owned()),
                    any::<String>()
                ],
                inner,
                0..5
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

fn frame() -> impl Strategy<Value = WsIn> {
    prop_oneof![
        3 => valid_send().prop_map(WsIn::Text),
        1 => Just(WsIn::Text(r#"{"type":"typing"}"#.into())),
        4 => mutated().prop_map(WsIn::Text),
        3 => json_value().prop_map(|v| WsIn::Text(v.to_string())),
        2 => any::<String>().prop_map(WsIn::Text),
        1 => Just(WsIn::Binary),
        1 => Just(WsIn::Alive),
        1 => (FRAME_MAX_BYTES - 8..FRAME_MAX_BYTES + 64).prop_map(|n| WsIn::Text("x".repeat(n))),
    ]
}

static FRAMES: AtomicUsize = AtomicUsize::new(0);

/// Plays `frames` into a fresh socket and checks each answer.
async fn play(frames: Vec<WsIn>) -> Result<(), String> {
    let mut h = start(Setup::default()).await;
    h.frame().await;
    let (mut acked, mut strikes) = (HashSet::new(), 0);
    for frame in frames {
        FRAMES.fetch_add(1, Ordering::Relaxed);
        let expected = documented(&frame, &acked, strikes);
        let client_id = match &frame {
            WsIn::Text(text) => match ClientFrame::decode(text) {
                Ok(ClientFrame::Send { client_id, .. }) => Some(client_id),
                _ => None,
            },
            _ => None,
        };
        h.send(frame.clone());
        match expected {
            Answer::Nothing => continue,
            Answer::Ack => match h.frame().await {
                ServerFrame::Message(m) if Some(&m.client_id) == client_id.as_ref() => {
                    acked.insert(m.client_id);
                    strikes = 0;
                }
                other => return Err(format!("{frame:?}: expected an ack, got {other:?}")),
            },
            Answer::Error(code) => match h.frame().await {
                ServerFrame::Error { code: got, .. } if got == code => strikes += 1,
                other => return Err(format!("{frame:?}: expected {code:?}, got {other:?}")),
            },
            Answer::Close(code) => {
                return match h.next().await {
                    WsOut::Close(got) if got == code => Ok(()),
                    other => Err(format!("{frame:?}: expected close {code:?}, got {other:?}")),
                };
            }
        }
    }
    // Whatever happened, a recoverable socket still works.
    h.say("still-usable", "still here");
    match h.frame().await {
        ServerFrame::Message(m) if m.client_id == "still-usable" => Ok(()),
        other => Err(format!("the socket is not usable after recoverable errors: {other:?}")),
    }
}

#[test]
fn ten_thousand_random_and_mutated_frames_each_get_their_documented_answer() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut runner =
        TestRunner::new(Config { cases: 1500, failure_persistence: None, ..Config::default() });
    let frames = prop::collection::vec(frame(), 1..30);
    let result = runner.run(&frames, |frames| {
        runtime.block_on(play(frames)).map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let total = FRAMES.load(Ordering::Relaxed);
    println!("hostile frames played: {total}");
    assert!(total >= 10_000, "at least 10,000 frames: {total}");
}
