//! The socket loop driven through channels: no network, the embedded backend.

use super::*;
use crate::backend::Backend;
use crate::event::{Delivery, RoomEvent};
use crate::hub::Hub;
use app::model::FRAME_MAX_BYTES;
use app::protocol::{ClientFrame, ErrorCode};
use app::rate_limit::Limiter;
use app::seat::SeatToken;
use futures::StreamExt;
use futures::channel::mpsc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// A stand-in for a sealed value: the server cannot tell (it never opens one).
fn seal(text: &str) -> String {
    let mut ciphertext = text.as_bytes().to_vec();
    ciphertext.extend_from_slice(&[0; app::envelope::TAG_LEN]);
    app::envelope::encode(&[0; app::envelope::IV_LEN], &ciphertext)
}

/// What [`seal`] sealed.
fn unseal(sealed: &str) -> String {
    let bytes = app::envelope::decode(sealed, usize::MAX).unwrap_or_default();
    let text = &bytes[1 + app::envelope::IV_LEN..bytes.len() - app::envelope::TAG_LEN];
    String::from_utf8_lossy(text).into_owned()
}

/// The most a socket's own state may take: every open socket keeps one (1,296 bytes now, with
/// whether its room was locked when it opened; 1,256 before that, with its services behind one
/// pointer; 1,528 before that, and 2,128 before its steps were boxed; docs/PERFORMANCE.md).
const IDLE_SOCKET_MAX_BYTES: usize = 1312;

struct Harness {
    input: mpsc::UnboundedSender<WsIn>,
    output: mpsc::Receiver<WsOut>,
    running: JoinHandle<Exit>,
    store: Arc<dyn RoomStore>,
    hub: Arc<Hub>,
    room: RoomId,
    token: TokenHash,
    seat: Seat,
    tasks: Tasks,
    /// Feeds the hub directly (the store's own announcements are cut off when `detached`).
    deliveries: tokio::sync::mpsc::UnboundedSender<Delivery>,
}

#[derive(Default)]
struct Setup {
    since: u64,
    timing: Timing,
    /// Messages stored before the socket starts.
    earlier: usize,
    /// Whether the store's announcements reach the hub (false: only what the test sends).
    detached: bool,
    /// Frames the connection holds before a write waits for the client (plenty when 0).
    sink_buffer: usize,
}

async fn start(setup: Setup) -> Harness {
    let backend = Backend::embedded(500);
    let store = backend.store.clone();
    let (deliveries, hub_input) = tokio::sync::mpsc::unbounded_channel();
    let mut from_backend = backend.deliveries;
    let forward = deliveries.clone();
    let detached = setup.detached;
    tokio::spawn(async move {
        while let Some(delivery) = from_backend.recv().await {
            let presence = matches!(&delivery, Delivery::Event(a) if matches!(a.event, RoomEvent::Presence(_)));
            if !detached || presence {
                let _ = forward.send(delivery);
            }
        }
    });
    let tasks = backend.tasks.clone();
    let hub = Hub::start(backend.broker.clone(), hub_input, 64, &tasks);
    let verifier = "A".repeat(app::membership::ENCODED_LEN);
    let info = store
        .create_room(Duration::from_secs(60), 2, &verifier, None, Default::default(), None)
        .await
        .expect("room");
    let token = SeatToken::generate().hash();
    let alice = Seat { id: "alice-seat-1".into(), name: seal("alice") };
    let seat = store.claim_seat(&info.id, &token, &alice, None).await.expect("seat");
    for i in 0..setup.earlier {
        store
            .post(&info.id, &token, &seat, &format!("early{i}"), &seal(&format!("early {i}")))
            .await
            .expect("post");
    }
    let socket = Socket {
        room: info.id.clone(),
        seat: seat.clone(),
        token: token.clone(),
        since: setup.since,
        expires_at: info.expires_at,
        locked: info.locked,
        services: Arc::new(Services {
            catch_ups: super::CatchUps::new(store.clone(), setup.timing.store_patience),
            store: store.clone(),
            hub: hub.clone(),
            broker: backend.broker,
            roster: Roster::start(backend.presence, &tasks),
            rate_limits: Arc::new(RateLimits {
                create: Limiter::per_minute("create_room", 100),
                views: Limiter::per_minute("room_read", 100),
                actions: Limiter::per_minute("room_action", 100),
                upgrades: Limiter::per_minute("websocket", 100),
                messages: Limiter::new("message", 100, 100.0),
            }),
            tasks: tasks.clone(),
            timing: setup.timing,
        }),
    };
    let (input, stream) = mpsc::unbounded();
    let (sink, output) =
        mpsc::channel(if setup.sink_buffer == 0 { 4096 } else { setup.sink_buffer });
    let running = run(socket, sink, stream);
    if setup.earlier == 0 && setup.since == 0 {
        eprintln!("a socket's future: {} bytes", std::mem::size_of_val(&running));
    }
    assert!(
        std::mem::size_of_val(&running) <= IDLE_SOCKET_MAX_BYTES,
        "a socket's future is kept for every open socket: {} bytes",
        std::mem::size_of_val(&running)
    );
    let running = tokio::spawn(running);
    Harness { input, output, running, store, hub, room: info.id, token, seat, tasks, deliveries }
}

impl Harness {
    fn send(&self, frame: WsIn) {
        self.input.unbounded_send(frame).expect("socket listening");
    }

    fn say(&self, client_id: &str, text: &str) {
        let frame = ClientFrame::Send { client_id: client_id.into(), body: seal(text) };
        self.send(WsIn::Text(frame.encode().expect("encodable")));
    }

    /// The next frame out, skipping pings and presence news.
    async fn next(&mut self) -> WsOut {
        loop {
            let out = tokio::time::timeout(Duration::from_secs(5), self.output.next()).await;
            match out.expect("a frame in time").expect("socket open") {
                WsOut::Ping => continue,
                WsOut::Text(text) if text.contains(r#""type":"presence""#) => continue,
                other => return other,
            }
        }
    }

    async fn frame(&mut self) -> ServerFrame {
        match self.next().await {
            WsOut::Text(text) => ServerFrame::decode(&text).expect("a server frame"),
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    async fn exit(self) -> Exit {
        tokio::time::timeout(Duration::from_secs(5), self.running)
            .await
            .expect("socket ended in time")
            .expect("socket task")
    }
}

fn seqs_of(frames: &[ServerFrame]) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|f| if let ServerFrame::Message(m) = f { Some(m.seq) } else { None })
        .collect()
}

#[tokio::test]
async fn welcome_comes_first_then_exactly_the_messages_after_since() {
    let mut h = start(Setup { since: 1, earlier: 3, ..Setup::default() }).await;
    let ServerFrame::Welcome { you, seq, recovered, peers, .. } = h.frame().await else {
        panic!("welcome first")
    };
    assert_eq!((unseal(&you.name).as_str(), seq, recovered), ("alice", 3, true));
    assert!(peers.is_empty());
    let replayed = vec![h.frame().await, h.frame().await];
    assert_eq!(seqs_of(&replayed), [2, 3]);
}

#[tokio::test]
async fn a_send_is_stored_under_the_seat_and_comes_back_as_its_ack() {
    let mut h = start(Setup::default()).await;
    let ServerFrame::Welcome { you, .. } = h.frame().await else { panic!("welcome first") };
    h.say("c1", "hi");
    let ServerFrame::Message(ack) = h.frame().await else { panic!("the ack") };
    assert_eq!((ack.seq, ack.client_id.as_str(), &ack.sender), (1, "c1", &you));
    assert_eq!((unseal(&ack.sender.name), unseal(&ack.body)), ("alice".into(), "hi".into()));
    let history = h.store.history(&h.room, 0).await.expect("history");
    assert_eq!(history.messages, vec![ack]);
}

#[tokio::test]
async fn malformed_and_binary_frames_get_an_error_and_the_socket_goes_on() {
    let mut h = start(Setup::default()).await;
    h.frame().await;
    h.send(WsIn::Text("{\"type\":\"nope\"}".into()));
    assert!(matches!(h.frame().await, ServerFrame::Error { code: ErrorCode::BadFrame, .. }));
    h.send(WsIn::Binary);
    assert!(matches!(h.frame().await, ServerFrame::Error { code: ErrorCode::BadFrame, .. }));
    h.say("c1", "");
    assert!(matches!(h.frame().await, ServerFrame::Error { code: ErrorCode::InvalidMessage, .. }));
    h.say("c2", "still here");
    assert!(matches!(h.frame().await, ServerFrame::Message(_)));
}

#[tokio::test]
async fn a_frame_over_sixteen_kib_closes_with_1009_and_stores_nothing() {
    let mut h = start(Setup::default()).await;
    h.frame().await;
    let text = "x".repeat(FRAME_MAX_BYTES);
    h.say("big", &text);
    assert_eq!(h.next().await, WsOut::Close(CloseCode::TooBig));
    let (store, room) = (h.store.clone(), h.room.clone());
    assert_eq!(h.exit().await, Exit::Closed(CloseCode::TooBig));
    assert_eq!(store.history(&room, 0).await.expect("history").seq, 0);
}

#[tokio::test]
async fn the_end_of_the_room_is_told_then_the_socket_closes_normally() {
    let mut h = start(Setup::default()).await;
    h.frame().await;
    h.hub.dispatch(&h.room, RoomEvent::Ended(EndReason::Expired));
    assert_eq!(h.frame().await, ServerFrame::Ended { reason: EndReason::Expired });
    assert_eq!(h.next().await, WsOut::Close(CloseCode::Normal));
    assert_eq!(h.exit().await, Exit::Closed(CloseCode::Normal));
}

#[tokio::test]
async fn someone_else_joining_is_told_and_your_own_seat_is_not() {
    let mut h = start(Setup { detached: true, ..Setup::default() }).await;
    h.frame().await;
    h.hub.dispatch(&h.room, RoomEvent::SeatJoined(h.seat.clone()));
    let bob = Seat { id: "bob-seat-1".into(), name: seal("bob") };
    h.hub.dispatch(&h.room, RoomEvent::SeatJoined(bob.clone()));
    assert_eq!(h.frame().await, ServerFrame::Joined { seat: bob }, "alice's own is skipped");
}

#[tokio::test]
async fn stopping_the_server_closes_with_1012() {
    let mut h = start(Setup::default()).await;
    h.frame().await;
    h.tasks.stop();
    assert_eq!(h.next().await, WsOut::Close(CloseCode::Restarting));
}

#[tokio::test]
async fn a_silent_client_is_pinged_then_dropped() {
    let timing = Timing {
        ping_every: Duration::from_millis(40),
        idle_timeout: Duration::from_millis(150),
        ..Timing::default()
    };
    let mut h = start(Setup { timing, ..Setup::default() }).await;
    h.frame().await;
    let ping = tokio::time::timeout(Duration::from_secs(2), h.output.next()).await;
    assert!(matches!(ping, Ok(Some(WsOut::Ping) | Some(WsOut::Text(_)))));
    let input = h.input.clone();
    assert_eq!(h.exit().await, Exit::Idle);
    drop(input);
}

#[tokio::test]
async fn a_client_that_answers_pings_is_kept() {
    let timing = Timing {
        ping_every: Duration::from_millis(40),
        idle_timeout: Duration::from_millis(150),
        ..Timing::default()
    };
    let h = start(Setup { timing, ..Setup::default() }).await;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        h.send(WsIn::Alive);
    }
    assert!(!h.running.is_finished(), "alive after 500 ms of pongs");
}

#[tokio::test]
async fn after_a_resync_the_client_gets_what_the_broker_lost() {
    let mut h = start(Setup { detached: true, ..Setup::default() }).await;
    h.frame().await;
    // Stored while the broker was away: nothing reaches the socket...
    for i in 1..=3 {
        h.store
            .post(&h.room, &h.token, &h.seat, &format!("lost{i}"), &seal("x"))
            .await
            .expect("post");
    }
    // ...until the broker is back and asks for a resync.
    h.deliveries.send(Delivery::Resync).expect("hub");
    let caught_up = vec![h.frame().await, h.frame().await, h.frame().await];
    assert_eq!(seqs_of(&caught_up), [1, 2, 3]);
    // A late copy of an event already sent is dropped.
    let message = h.store.history(&h.room, 2).await.expect("history").messages;
    h.hub.dispatch(&h.room, RoomEvent::Message(message[0].clone()));
    h.store.post(&h.room, &h.token, &h.seat, "fresh", &seal("new")).await.expect("post");
    let fresh = h.store.history(&h.room, 3).await.expect("history").messages;
    h.hub.dispatch(&h.room, RoomEvent::Message(fresh[0].clone()));
    let ServerFrame::Message(next) = h.frame().await else { panic!("a message") };
    assert_eq!(next.seq, 4, "seq 3 was not sent twice");
}

#[tokio::test]
async fn a_client_that_goes_ends_the_socket() {
    let mut h = start(Setup::default()).await;
    h.frame().await;
    h.send(WsIn::Close);
    assert_eq!(h.exit().await, Exit::ClientLeft);
}

mod hostile;

#[tokio::test]
async fn a_reader_that_takes_its_history_too_slowly_is_closed_as_a_slow_consumer() {
    let timing = Timing { catch_up_within: Duration::from_millis(300), ..Timing::default() };
    let mut socket = start(Setup { earlier: 40, sink_buffer: 1, timing, ..Setup::default() }).await;
    // The client reads one frame, then nothing for longer than the catch-up may take.
    assert!(matches!(socket.frame().await, ServerFrame::Welcome { .. }));
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut messages = 0;
    let closed = loop {
        match socket.next().await {
            WsOut::Text(_) => messages += 1,
            WsOut::Close(code) => break code,
            WsOut::Ping => {}
        }
    };
    assert_eq!(closed, CloseCode::SlowConsumer);
    assert!(messages < 40, "the whole history went out ({messages} messages)");
    assert_eq!(socket.exit().await, Exit::Closed(CloseCode::SlowConsumer));
}
