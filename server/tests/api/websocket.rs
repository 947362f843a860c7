//! The WebSocket protocol over real sockets, on both backends.

use crate::helpers::{Kind, Next, TestApp, Visitor};
use crate::sealing::{key_of, name, names, text};
use app::envelope::Purpose;
use app::model::{EndReason, RoomId};
use app::protocol::{ClientFrame, ErrorCode, ServerFrame};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

both_backends! {
    welcome_tells_you_your_seat_the_deadline_and_who_is_here,
    a_message_reaches_everyone_with_the_sender_taken_from_the_seat,
    the_same_client_id_sent_twice_is_stored_once_and_delivered_once,
    a_reconnecting_client_gets_exactly_what_it_missed,
    a_client_too_far_behind_is_told_to_reload,
    presence_follows_people_coming_and_going,
    typing_reaches_the_others_at_most_once_per_two_seconds,
    destroy_ends_every_socket_of_the_room,
    a_room_ends_by_itself_at_its_deadline,
    leaving_closes_the_seats_other_sockets,
    no_seat_unknown_rooms_and_foreign_origins_are_refused,
    bad_frames_get_an_error_and_the_socket_stays_open,
    an_oversized_frame_closes_the_socket_with_1009,
    too_many_messages_are_refused_then_the_socket_is_closed,
    stopping_the_server_closes_sockets_with_1012,
    a_clients_close_is_answered_with_a_close,
}

/// A room with Alice and Bob seated, and Alice's socket welcomed.
async fn alice_and_bob(app: &TestApp) -> (RoomId, Visitor, Visitor) {
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = app.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    (room, alice, bob)
}

async fn welcome_tells_you_your_seat_the_deadline_and_who_is_here(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, bob) = alice_and_bob(&app).await;
    let view = alice.call("room_view", json!({ "room_id": room })).await;
    let mut a = alice.connect(&room, 0).await;
    let ServerFrame::Welcome { you, seq, expires_at, now, peers, recovered, locked } =
        a.welcome().await
    else {
        unreachable!()
    };
    assert_eq!((name(&room, &you).as_str(), seq, recovered, locked), ("alice", 0, true, false));
    assert_eq!(Some(expires_at), view.body["expires_at"].as_u64());
    assert!(now.abs_diff(app::model::now_ms()) < 5_000);
    assert!(peers.is_empty());
    let mut b = bob.connect(&room, 0).await;
    let ServerFrame::Welcome { peers, .. } = b.welcome().await else { unreachable!() };
    assert_eq!(peers, [you], "the same seat, the same sealed name");
}

async fn a_message_reaches_everyone_with_the_sender_taken_from_the_seat(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, bob) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    let mut b = bob.enter(&room).await;
    // The frame has no sender field; one smuggled in is refused outright.
    a.send_text(r#"{"type":"send","client_id":"c1","body":"AQ","sender":"bob"}"#).await;
    assert!(matches!(a.reply().await, ServerFrame::Error { code: ErrorCode::BadFrame, .. }));
    a.say("c1", "hello bob").await;
    let ack = a.message().await;
    let got = b.message().await;
    assert_eq!(ack, got);
    assert_eq!(
        (got.seq, name(&room, &got.sender), text(&room, &got)),
        (1, "alice".into(), "hello bob".into())
    );
    assert_eq!(got.client_id, "c1");
    assert!(got.ts.abs_diff(app::model::now_ms()) < 5_000);
}

async fn the_same_client_id_sent_twice_is_stored_once_and_delivered_once(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, _) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    a.say("retry-me", "once").await;
    let first = a.message().await;
    assert_eq!(first.seq, 1);
    // A resend of what this socket already delivered is stored once and not sent again...
    a.say("retry-me", "once").await;
    a.say("next", "then this").await;
    assert_eq!(a.message().await.client_id, "next", "no second copy of seq 1");
    let history = alice.call("room_history", json!({ "room_id": room })).await;
    assert_eq!(history.body["messages"].as_array().map(Vec::len), Some(2));
    // ...and a tab that connects later gets it once, from the history.
    let mut later = alice.enter(&room).await;
    let replayed = [later.message().await.client_id, later.message().await.client_id];
    assert_eq!(replayed, ["retry-me", "next"]);
    later.say("retry-me", "once").await;
    later.say("last", "last").await;
    assert_eq!(later.message().await.client_id, "last");
}

async fn a_reconnecting_client_gets_exactly_what_it_missed(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, bob) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    let mut b = bob.enter(&room).await;
    for i in 1..=3 {
        a.say(&format!("c{i}"), &format!("m{i}")).await;
        assert_eq!((a.message().await.seq, b.message().await.seq), (i, i));
    }
    b.close().await;
    for i in 4..=23 {
        a.say(&format!("c{i}"), &format!("m{i}")).await;
    }
    // Every acknowledgement, by number: message 23 is stored before bob comes back.
    for i in 4..=23 {
        assert_eq!(a.message().await.seq, i);
    }
    let mut b = bob.connect(&room, 3).await;
    let ServerFrame::Welcome { seq, recovered, .. } = b.welcome().await else { unreachable!() };
    assert_eq!((seq, recovered), (23, true));
    let mut seqs = Vec::new();
    for _ in 0..20 {
        seqs.push(b.message().await.seq);
    }
    assert_eq!(seqs, (4..=23).collect::<Vec<u64>>());
    assert!(
        b.next_within(Duration::from_millis(300))
            .await
            .is_none_or(|n| !matches!(n, Next::Frame(ServerFrame::Message(_)))),
        "no duplicate follows"
    );
}

async fn a_client_too_far_behind_is_told_to_reload(kind: Kind) {
    let app = TestApp::spawn_with(kind, |s| s.rooms.history_cap = 5).await;
    let (room, alice, bob) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    for i in 1..=8 {
        a.say(&format!("c{i}"), "x").await;
        a.message().await;
    }
    let mut b = bob.connect(&room, 1).await;
    let ServerFrame::Welcome { seq, recovered, .. } = b.welcome().await else { unreachable!() };
    assert_eq!((seq, recovered), (8, false));
    // A client that has everything kept is fine.
    let mut c = bob.connect(&room, 3).await;
    let ServerFrame::Welcome { recovered, .. } = c.welcome().await else { unreachable!() };
    assert!(recovered);
}

async fn presence_follows_people_coming_and_going(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, bob) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    let online = |frame: ServerFrame| match frame {
        ServerFrame::Presence { online } => {
            let mut names = names(&room, &online);
            names.sort();
            names
        }
        other => panic!("expected presence, got {other:?}"),
    };
    assert_eq!(online(a.frame().await), ["alice"]);
    let b = bob.enter(&room).await;
    assert_eq!(online(a.frame().await), ["alice", "bob"]);
    b.close().await;
    assert_eq!(online(a.frame().await), ["alice"]);
}

async fn typing_reaches_the_others_at_most_once_per_two_seconds(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, bob) = alice_and_bob(&app).await;
    let mut b = bob.enter(&room).await;
    let mut a = alice.enter(&room).await;
    for _ in 0..5 {
        a.send(&ClientFrame::Typing {}).await;
    }
    a.say("after", "done typing").await;
    let mut typing = 0;
    loop {
        match b.frame().await {
            ServerFrame::Typing { sender } => {
                assert_eq!(name(&room, &sender), "alice");
                typing += 1;
            }
            ServerFrame::Message(_) => break,
            _ => {}
        }
    }
    assert_eq!(typing, 1);
    // A message ends the burst: typing again right after it is relayed at once, well inside
    // the two seconds. (A hint that comes while the message is still being stored is dropped,
    // not counted against the throttle: the page sends another with the next keystroke.)
    let mut relayed = false;
    for _ in 0..10 {
        a.send(&ClientFrame::Typing {}).await;
        match b.next_within(Duration::from_millis(100)).await {
            Some(Next::Frame(ServerFrame::Typing { sender })) => {
                assert_eq!(name(&room, &sender), "alice");
                relayed = true;
                break;
            }
            Some(Next::Frame(ServerFrame::Presence { .. })) | None => {}
            Some(other) => panic!("expected typing, got {other:?}"),
        }
    }
    assert!(relayed, "typing after a message reached bob within a second");
    // The typist does not hear about their own typing: up to a message sent after both
    // bursts, alice gets only her acknowledgements.
    a.say("last", "bye").await;
    loop {
        match a.frame().await {
            ServerFrame::Typing { .. } => panic!("echoed typing"),
            ServerFrame::Message(m) if m.client_id == "last" => break,
            _ => {}
        }
    }
}

async fn destroy_ends_every_socket_of_the_room(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, bob) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    let mut b = bob.enter(&room).await;
    assert_eq!(bob.call("destroy_room", json!({ "room_id": room })).await.status, 200);
    for socket in [&mut a, &mut b] {
        assert_eq!(socket.ended().await, EndReason::Destroyed);
    }
    let mut again = alice.connect(&room, 0).await;
    assert_eq!(again.closed().await, Some(4404));
}

async fn a_room_ends_by_itself_at_its_deadline(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.create_room(json!({ "ttl_secs": 2 })).await;
    assert_eq!(alice.join(&room, "alice").await.status, 200);
    let mut a = alice.enter(&room).await;
    let started = std::time::Instant::now();
    assert_eq!(a.ended().await, EndReason::Expired);
    assert!(started.elapsed() < Duration::from_secs(3), "ended at the deadline, not later");
}

async fn leaving_closes_the_seats_other_sockets(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, bob) = alice_and_bob(&app).await;
    let mut other_tab = alice.enter(&room).await;
    let mut b = bob.enter(&room).await;
    assert_eq!(alice.call("leave_room", json!({ "room_id": room })).await.status, 200);
    assert_eq!(other_tab.closed().await, Some(4401));
    // Bob stays, and sees Alice go.
    loop {
        if let ServerFrame::Presence { online } = b.frame().await
            && names(&room, &online) == ["bob"]
        {
            break;
        }
    }
}

async fn no_seat_unknown_rooms_and_foreign_origins_are_refused(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, _) = alice_and_bob(&app).await;
    let stranger = app.visitor();
    assert_eq!(stranger.connect(&room, 0).await.closed().await, Some(4401));
    // Without a seat cookie for it, a room is not even looked up.
    let unknown: RoomId = "AAAAAAAAAAAAAAAA".parse().expect("id");
    assert_eq!(alice.connect(&unknown, 0).await.closed().await, Some(4401));
    for origin in [Some("http://evil.example"), None] {
        let refused = alice.connect_from(&room, 0, origin).await.err();
        assert_eq!(refused, Some(403), "origin {origin:?}");
    }
    let origin = app.url("");
    let origin = Some(origin.trim_end_matches('/'));
    for query in ["since=abc", "since=-1", "since=1.5"] {
        let refused = alice.connect_with_query(&room, query, origin).await.err();
        assert_eq!(refused, Some(400), "a malformed {query} is a bad request, not 0");
    }
    assert!(alice.connect_with_query(&room, "", origin).await.is_ok(), "since may be absent");
}

async fn bad_frames_get_an_error_and_the_socket_stays_open(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, _) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    for bad in ["not json", "{}", r#"{"type":"shout"}"#, r#"{"type":"send","text":"no id"}"#] {
        a.send_text(bad).await;
        assert!(
            matches!(a.reply().await, ServerFrame::Error { code: ErrorCode::BadFrame, .. }),
            "{bad}"
        );
    }
    // The server cannot read a message, only check its envelope: not sealed, or larger than
    // 1000 characters of the widest kind can seal to.
    let key = key_of(&room);
    let mine = Purpose::Message { seat: a.seat.as_deref().unwrap_or_default(), client_id: "c" };
    let signer = crate::sealing::signing_key();
    let widest = format!("{}a", "😀".repeat(1000));
    let signing = crate::sealing::Signing { key: &signer, counter: 1, time: app::model::now_ms() };
    let too_big = key.seal_signed(mine, &room, signing, &widest);
    for body in ["plain text", "AQID", too_big.as_str()] {
        let frame = ClientFrame::Send { client_id: "c".into(), body: body.into() };
        a.send(&frame).await;
        assert!(
            matches!(a.reply().await, ServerFrame::Error { code: ErrorCode::InvalidMessage, .. }),
            "{}",
            &body[..body.len().min(20)]
        );
    }
    a.say(&"i".repeat(65), "hi").await;
    assert!(matches!(a.reply().await, ServerFrame::Error { code: ErrorCode::BadFrame, .. }));
    a.say("ok", &"😀".repeat(1000)).await;
    let widest = text(&room, &a.message().await);
    assert_eq!(widest.chars().count(), 1000, "still open, and 1000 of the widest is allowed");
}

async fn an_oversized_frame_closes_the_socket_with_1009(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, _) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    a.say("big", &"x".repeat(17 * 1024)).await;
    assert_eq!(a.closed().await, Some(1009));
    // A huge frame is refused from its header: the server may close (and reset the connection)
    // before the client has finished writing it.
    let mut huge = alice.enter(&room).await;
    let frame = ClientFrame::Send { client_id: "huge".into(), body: "x".repeat(2 * 1024 * 1024) };
    let text = frame.encode().expect("encodable");
    let _ = futures::SinkExt::send(&mut huge.stream, Message::Text(text.into())).await;
    assert_eq!(huge.closed().await.unwrap_or(1009), 1009);
    let history = alice.call("room_history", json!({ "room_id": room })).await;
    assert_eq!(history.body["seq"], 0, "nothing was stored");
}

async fn too_many_messages_are_refused_then_the_socket_is_closed(kind: Kind) {
    let app = TestApp::spawn_with(kind, |s| {
        s.limits.messages_burst = 3;
        s.limits.messages_per_second = 0.01;
    })
    .await;
    let (room, alice, _) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    for i in 0..3 {
        a.say(&format!("ok{i}"), "fine").await;
        a.message().await;
    }
    a.say("c4", "too fast").await;
    let ServerFrame::Error { code, message } = a.reply().await else { panic!("expected an error") };
    assert_eq!(code, ErrorCode::RateLimited);
    assert!(message.contains("Slow down"));
    for i in 0..9 {
        a.say(&format!("spam{i}"), "spam").await;
    }
    assert_eq!(a.closed().await, Some(4429));
    let history = alice.call("room_history", json!({ "room_id": room })).await;
    assert_eq!(history.body["seq"], 3);
}

async fn stopping_the_server_closes_sockets_with_1012(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let (room, alice, _) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    app.tasks.stop();
    assert_eq!(a.closed().await, Some(1012));
    tokio::time::timeout(Duration::from_secs(5), app.stopped)
        .await
        .expect("stopped within 5 s")
        .ok();
    // Sockets, the hub, the broker's subscriber, presence, the sweeper, the room's timer: all
    // ended before the application returned.
    assert_eq!(app.tasks.running(), 0, "every task of the instance ended");
}

async fn a_clients_close_is_answered_with_a_close(kind: Kind) {
    use tokio_tungstenite::tungstenite::protocol::{CloseFrame, frame::coding::CloseCode};
    let app = TestApp::spawn(kind).await;
    let (room, alice, _) = alice_and_bob(&app).await;
    let mut a = alice.enter(&room).await;
    let bye = CloseFrame { code: CloseCode::Normal, reason: "bye".into() };
    futures::SinkExt::send(&mut a.stream, Message::Close(Some(bye))).await.expect("close sent");
    // Without an answer the client would see the connection drop (1006 in a browser).
    assert_eq!(a.closed().await, Some(1000), "the server answers a Close with a Close");
}
