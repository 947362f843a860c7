//! The creator's rights over HTTP and sockets: lock, remove and destroy, each proved by the key
//! the creator registered with the first seat (`app::rights`), never by a seat id.

use crate::helpers::{Answer, Kind, TestApp, Visitor};
use crate::sealing::{key_of, signer_of};
use app::base64url;
use app::model::{RoomId, Seat};
use app::protocol::ServerFrame;
use app::rights::{Act, signed_bytes};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

both_backends! {
    the_creators_key_locks_removes_and_destroys_and_a_seat_proves_nothing,
    only_the_first_seat_registers_the_creators_key,
}

/// Takes the first seat of `room` as its creator does: with the key check and the public half
/// of the seat's signing key. Returns the seat and that key.
async fn create_seat(visitor: &Visitor, room: &RoomId, name: &str) -> (Seat, SigningKey) {
    let key = key_of(room);
    let seat = key.new_seat(room, name);
    let signer = signer_of(&seat.id);
    let body = json!({
        "room_id": room, "seat_id": seat.id, "name": seat.name,
        "key_check": key.key_check(room), "proof": key.proof(),
        "owner_key": base64url::encode(signer.verifying_key().as_bytes()),
    });
    let answer = visitor.call("join_room", body).await;
    assert_eq!(answer.status, 200, "join_room: {answer:?}");
    (seat, signer)
}

/// Asks for `act` in `room`, signed by `signer` at `time`.
async fn act_at(
    visitor: &Visitor,
    room: &RoomId,
    signer: &SigningKey,
    act: Act,
    time: u64,
) -> Answer {
    let signature = signer.sign(&signed_bytes(room.as_str(), &act, time));
    let body = json!({
        "room_id": room, "act": act, "time": time,
        "signature": base64url::encode(&signature.to_bytes()),
    });
    visitor.call("creator_act", body).await
}

async fn act(visitor: &Visitor, room: &RoomId, signer: &SigningKey, act: Act) -> Answer {
    act_at(visitor, room, signer, act, app::model::now_ms()).await
}

fn error(answer: &Answer) -> (u16, &Value) {
    (answer.status, &answer.body["error"])
}

/// The room as `visitor` sees it.
async fn view(visitor: &Visitor, room: &RoomId) -> Answer {
    visitor.call("room_view", json!({ "room_id": room })).await
}

/// Frames until one that is not presence, typing or joining news.
async fn news(socket: &mut crate::helpers::Socket) -> ServerFrame {
    socket.reply().await
}

async fn the_creators_key_locks_removes_and_destroys_and_a_seat_proves_nothing(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.create_room(json!({ "capacity": 3, "destroy": "creator" })).await;
    let (_, alices_key) = create_seat(&alice, &room, "alice").await;
    let bob = app.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let bobs_seat: Seat =
        serde_json::from_value(view(&bob, &room).await.body["you"].clone()).expect("bob's seat");
    let owner = base64url::encode(alices_key.verifying_key().as_bytes());
    let seen = view(&bob, &room).await;
    assert_eq!((&seen.body["owner_key"], &seen.body["locked"]), (&json!(owner), &json!(false)));
    let mut bobs_socket = bob.enter(&room).await;
    let mut alices_socket = alice.enter(&room).await;

    // Another member's key, an old request, a request for another act, or no signature at all:
    // refused, and nothing changes.
    let bobs_key = signer_of(&bobs_seat.id);
    assert_eq!(
        error(&act(&bob, &room, &bobs_key, Act::Lock).await),
        (403, &json!("not_the_creator"))
    );
    let old = app::model::now_ms() - 120_000;
    let stale = act_at(&alice, &room, &alices_key, Act::Lock, old).await;
    assert_eq!(error(&stale), (422, &json!("invalid")), "{stale:?}");
    let signature = alices_key.sign(&signed_bytes(room.as_str(), &Act::Unlock, 1));
    let other = json!({
        "room_id": room, "act": Act::Lock, "time": app::model::now_ms(),
        "signature": base64url::encode(&signature.to_bytes()),
    });
    assert_eq!(error(&alice.call("creator_act", other).await), (403, &json!("not_the_creator")));
    let unsigned = json!({ "room_id": room, "act": Act::Lock, "time": 1, "signature": "x" });
    assert_eq!(error(&alice.call("creator_act", unsigned).await).0, 422);
    assert_eq!(view(&bob, &room).await.body["locked"], json!(false));

    // Locked: a third visitor with the whole link is refused; every socket hears it.
    assert_eq!(act(&alice, &room, &alices_key, Act::Lock).await.status, 200);
    assert_eq!(news(&mut bobs_socket).await, ServerFrame::Locked { locked: true });
    assert_eq!(news(&mut alices_socket).await, ServerFrame::Locked { locked: true });
    let carol = app.visitor();
    assert_eq!(error(&carol.join(&room, "carol").await), (409, &json!("locked")));
    assert_eq!(view(&carol, &room).await.body["locked"], json!(true), "the join page can say so");

    // Removed: bob's socket closes with 4403, the others hear it, and his seat is free.
    let removed = act(&alice, &room, &alices_key, Act::Remove { seat: bobs_seat.id.clone() });
    assert_eq!(removed.await.status, 200);
    assert_eq!(bobs_socket.closed().await, Some(4403));
    assert_eq!(news(&mut alices_socket).await, ServerFrame::Removed { seat: bobs_seat.clone() });
    let again = act(&alice, &room, &alices_key, Act::Remove { seat: bobs_seat.id.clone() });
    assert_eq!(error(&again.await), (422, &json!("invalid")), "nobody holds it now");
    // His cookie opens nothing: a socket says removed, and so does the page, once.
    let mut refused = bob.connect(&room, 0).await;
    assert_eq!(refused.closed().await, Some(4403), "a new socket is refused as removed");
    let told = view(&bob, &room).await;
    assert_eq!(error(&told), (403, &json!("removed")), "{told:?}");
    let after = view(&bob, &room).await;
    assert_eq!((after.status, &after.body["you"]), (200, &Value::Null), "then a newcomer");
    // While the room is locked the link alone cannot take the seat back.
    assert_eq!(error(&bob.join(&room, "bob").await), (409, &json!("locked")));
    assert_eq!(view(&alice, &room).await.body["seated"], json!(1));

    // Unlocked: the link opens the room again.
    assert_eq!(act(&alice, &room, &alices_key, Act::Unlock).await.status, 200);
    assert_eq!(carol.join(&room, "carol").await.status, 200);

    // The creator leaves and comes back: a new seat, the same key, the same rights; the seat
    // alone (the first one's or the new one's) destroys nothing.
    let left = alice.call("leave_room", json!({ "room_id": room })).await;
    assert_eq!(left.status, 200);
    assert_eq!(alice.join(&room, "alice").await.status, 200);
    let by_seat = alice.call("destroy_room", json!({ "room_id": room })).await;
    assert_eq!(error(&by_seat), (403, &json!("only_creator")));
    let by_carol = act(&carol, &room, &signer_of("carol's own"), Act::Destroy).await;
    assert_eq!(error(&by_carol), (403, &json!("not_the_creator")));
    assert_eq!(act(&alice, &room, &alices_key, Act::Destroy).await.status, 200);
    assert_eq!(view(&carol, &room).await.status, 410, "destroyed by its creator's key");
}

async fn only_the_first_seat_registers_the_creators_key(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.create_room(json!({ "capacity": 3 })).await;
    let (_, alices_key) = create_seat(&alice, &room, "alice").await;
    let owner = json!(base64url::encode(alices_key.verifying_key().as_bytes()));
    // A later seat handing over a key of its own changes nothing.
    let (_, mallorys_key) = create_seat(&app.visitor(), &room, "mallory").await;
    assert_eq!(view(&alice, &room).await.body["owner_key"], owner);
    let refused = act(&alice, &room, &mallorys_key, Act::Lock).await;
    assert_eq!(error(&refused), (403, &json!("not_the_creator")));
    // A key that is not 32 bytes of base64url is refused before anything is taken.
    let key = key_of(&room);
    let seat = key.new_seat(&room, "eve");
    let body = json!({
        "room_id": room, "seat_id": seat.id, "name": seat.name, "proof": key.proof(),
        "owner_key": "not a key",
    });
    let bad = app.visitor().call("join_room", body).await;
    assert_eq!(error(&bad), (422, &json!("invalid")), "{bad:?}");
    assert_eq!(view(&alice, &room).await.body["seated"], json!(2));
}

/// Two instances on one Redis: the creator on one, the member on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_and_a_lock_reach_the_other_instance() {
    let a_side = TestApp::spawn(Kind::Redis).await;
    let b_side = a_side.sibling().await;
    let alice = a_side.visitor();
    let room = alice.create_room(json!({ "capacity": 3 })).await;
    let (_, alices_key) = create_seat(&alice, &room, "alice").await;
    let bob = b_side.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let bobs_seat: Seat =
        serde_json::from_value(view(&bob, &room).await.body["you"].clone()).expect("bob's seat");
    let mut bobs_socket = bob.enter(&room).await;
    assert_eq!(act(&alice, &room, &alices_key, Act::Lock).await.status, 200);
    assert_eq!(news(&mut bobs_socket).await, ServerFrame::Locked { locked: true });
    let removed = act(&alice, &room, &alices_key, Act::Remove { seat: bobs_seat.id });
    assert_eq!(removed.await.status, 200);
    assert_eq!(bobs_socket.closed().await, Some(4403));
    assert_eq!(error(&bob.join(&room, "bob").await), (409, &json!("locked")));
}
