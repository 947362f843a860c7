//! Only the whole link opens a room: someone with only the room id (a proxy's log, a synced
//! history without fragments) is refused at every door and takes nothing; with the link's
//! membership secret every door opens. Plain HTTP and WebSocket clients, both backends.

use crate::helpers::{Kind, TestApp, join_body, merged, redis_conn};
use crate::sealing::{RoomKey, key_of};
use app::protocol::CloseCode;
use serde_json::json;

both_backends! {
    with_only_the_room_id_every_door_is_refused_and_nothing_is_taken,
    with_the_links_secret_a_seatless_visitor_may_join_and_destroy,
    a_room_made_for_its_creator_alone_is_destroyed_by_the_creator_only,
}

async fn with_only_the_room_id_every_door_is_refused_and_nothing_is_taken(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let mut alices = alice.enter(&room).await;
    alices.say("a1", "for bob's eyes only").await;
    alices.message().await;
    let stranger = app.visitor();

    // What the id alone tells: that the room exists, until when, and how full it is.
    let view = stranger.call("room_view", json!({ "room_id": room })).await;
    assert_eq!(view.status, 200, "{view:?}");
    assert_eq!((&view.body["you"], &view.body["history"]), (&json!(null), &json!(null)));
    assert!(view.body["expires_at"].as_u64().is_some());

    // A seat: refused with the stranger's own secret, and without any.
    let own_secret = RoomKey::generate();
    let wrong = merged(join_body(&room, "mallory"), json!({ "proof": own_secret.proof() }));
    let refused = stranger.call("join_room", wrong).await;
    assert_eq!((refused.status, &refused.body), (403, &json!({ "error": "wrong_key" })));
    assert!(refused.set_cookie.is_none(), "no seat cookie");
    let unproven = merged(join_body(&room, "mallory"), json!({ "proof": null }));
    let refused = stranger.call("join_room", unproven).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert!(refused.set_cookie.is_none());

    // The sealed history, over HTTP and over a socket.
    let history = stranger.call("room_history", json!({ "room_id": room })).await;
    assert_eq!((history.status, &history.body), (403, &json!({ "error": "not_seated" })));
    let mut socket = stranger.connect(&room, 0).await;
    assert_eq!(socket.closed().await, Some(CloseCode::NoSeat as u16), "no socket");

    // Destroying or leaving: refused without a seat, and with a wrong secret.
    let destroy = stranger.call("destroy_room", json!({ "room_id": room })).await;
    assert_eq!((destroy.status, &destroy.body), (403, &json!({ "error": "not_seated" })));
    let forged = json!({ "room_id": room, "proof": own_secret.proof() });
    let destroy = stranger.call("destroy_room", forged).await;
    assert_eq!((destroy.status, &destroy.body), (403, &json!({ "error": "wrong_key" })));
    let leave = stranger.call("leave_room", json!({ "room_id": room })).await;
    assert_eq!(leave.status, 403);

    // Nothing was taken: the room lives, one seat is taken, and alice still chats.
    let view = alice.call("room_view", json!({ "room_id": room })).await;
    assert_eq!((view.status, &view.body["seated"]), (200, &json!(1)), "{view:?}");
    alices.say("a2", "still here").await;
    assert_eq!(crate::sealing::text(&room, &alices.message().await), "still here");
}

async fn with_the_links_secret_a_seatless_visitor_may_join_and_destroy(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = app.visitor();
    let joined = bob.join(&room, "bob").await;
    assert_eq!(joined.status, 200, "{joined:?}");
    assert!(joined.set_cookie.is_some());
    // The room is full now; a third holder of the link has no seat, but may still end it.
    let carol = app.visitor();
    let proof = json!({ "room_id": room, "proof": key_of(&room).proof() });
    assert_eq!(carol.call("destroy_room", proof).await.status, 200);
    let gone = alice.call("room_view", json!({ "room_id": room })).await;
    assert_eq!(gone.status, 410);
}

/// A room made before rooms had a verifier (kept in Redis across the upgrade) says so at every
/// door instead of opening to anyone who knows its id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_from_before_verifiers_says_it_is_outdated() {
    let app = TestApp::spawn(Kind::Redis).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let meta = format!("{}:{{{room}}}:meta", app.prefix);
    let removed: u32 = ::redis::cmd("HDEL")
        .arg(&meta)
        .arg("verifier")
        .query_async(&mut redis_conn().await)
        .await
        .expect("HDEL");
    assert_eq!(removed, 1, "the verifier is kept in {meta}");
    let outdated = json!({ "error": "outdated" });
    let view = alice.call("room_view", json!({ "room_id": room })).await;
    assert_eq!((view.status, &view.body), (410, &outdated));
    let join = app.visitor().call("join_room", join_body(&room, "mallory")).await;
    assert_eq!((join.status, &join.body), (410, &outdated));
    let (status, location, _) = alice.page(&format!("/room/{room}"), &[]).await;
    assert_eq!((status, location.as_deref()), (302, Some("/?error=room-outdated#")));
}

async fn a_room_made_for_its_creator_alone_is_destroyed_by_the_creator_only(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.create_room(json!({ "capacity": 3, "destroy": "creator" })).await;
    assert_eq!(alice.join(&room, "alice").await.status, 200);
    let bob = app.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let at = json!({ "room_id": room });
    let view = |who: &crate::helpers::Visitor| {
        let (who, at) = (who.clone(), at.clone());
        async move { who.call("room_view", at).await }
    };
    let (hers, his) = (view(&alice).await, view(&bob).await);
    assert_eq!(
        (&hers.body["destroyers"], &hers.body["may_destroy"]),
        (&json!("creator"), &json!(true))
    );
    assert_eq!(his.body["may_destroy"], json!(false), "{his:?}");

    let refused = bob.call("destroy_room", json!({ "room_id": room })).await;
    assert_eq!(
        (refused.status, &refused.body["error"]),
        (403, &json!("only_creator")),
        "{refused:?}"
    );
    let carol = app.visitor();
    let proof = json!({ "room_id": room, "proof": key_of(&room).proof() });
    let refused = carol.call("destroy_room", proof).await;
    assert_eq!((refused.status, &refused.body["error"]), (403, &json!("only_creator")));
    assert_eq!(view(&bob).await.status, 200, "the room lives on");

    assert_eq!(alice.call("destroy_room", json!({ "room_id": room })).await.status, 200);
    assert_eq!(view(&bob).await.status, 410, "destroyed by its creator");
}

/// A room with a passphrase is as strong as guessing it is slow: offline, each guess costs the
/// passphrase's stretching; online, each costs a request the server counts per address (the
/// `actions` allowance), and past it even the right proof waits.
#[tokio::test]
async fn guesses_at_a_rooms_proof_are_limited_per_address() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.actions_per_minute = 5).await;
    let alice = app.visitor();
    // Alice's own join is the address's first action this minute (every visitor here is
    // 127.0.0.1).
    let room = alice.room_with_seat("alice").await;
    let guesser = app.visitor();
    let mut refused = 0;
    let limited = loop {
        let guess = RoomKey::generate();
        let body = merged(join_body(&room, "mallory"), json!({ "proof": guess.proof() }));
        let answer = guesser.call("join_room", body).await;
        if answer.status != 403 {
            break answer;
        }
        assert_eq!(answer.body, json!({ "error": "wrong_key" }));
        refused += 1;
        assert!(refused <= 4, "guessing never stopped");
    };
    assert_eq!(refused, 4, "four wrong guesses, then the allowance is spent");
    assert_eq!((limited.status, limited.body["error"].as_str()), (429, Some("rate_limited")));
    let right = merged(join_body(&room, "mallory"), json!({ "proof": key_of(&room).proof() }));
    assert_eq!(guesser.call("join_room", right).await.status, 429, "even the right proof waits");
    let view = alice.call("room_view", json!({ "room_id": room })).await;
    assert_eq!(view.body["seated"], json!(1), "no seat was taken");
}
