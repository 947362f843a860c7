//! What each change does to an open room, as a visitor would notice it.

use super::*;
use crate::model::{ChatMessage, EndReason};
use crate::protocol::ErrorCode;
use crate::room::chat_log::{ACK_TIMEOUT_MS, By, SignedBy};
use crate::room::live::change::Effects;
use crate::room::live::fixture::{live, room, seat};

fn frame(frame: ServerFrame) -> Change {
    Change::Frame { frame, local_now: 0, hidden: true }
}

fn welcome() -> Change {
    let you = seat("me");
    let peers = vec![seat("peer")];
    let welcome = ServerFrame::Welcome {
        you,
        seq: 0,
        expires_at: 0,
        now: 0,
        peers,
        recovered: true,
        locked: false,
    };
    frame(welcome)
}

fn message(seq: u64, sender: &str) -> ChatMessage {
    let id = format!("m{seq}");
    let (client_id, body) = (format!("c{seq}"), "sealed".to_owned());
    ChatMessage { seq, id, client_id, sender: seat(sender), body, ts: 0 }
}

#[test]
fn a_failed_leave_shows_why_and_stays_in_the_room() {
    let live = live();
    let next = live.dispatch(Change::LeaveAnswered(Err(ApiError::Unavailable)));
    assert!(next.is_empty());
    assert_eq!(live.notice.get_untracked(), Some(ApiError::Unavailable.to_string()));
    assert_eq!(live.leave_to.get_untracked(), None);
}

#[test]
fn a_successful_leave_goes_home_with_the_left_banner() {
    let live = live();
    assert_eq!(live.dispatch(Change::LeaveAnswered(Ok(()))), [Effect::Leave]);
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?left=1"));
}

#[test]
fn a_successful_destroy_goes_home_with_the_destroyed_banner() {
    let live = live();
    let next = live.dispatch(Change::DestroyAnswered(Ok(())));
    assert_eq!(next, [Effect::Leave]);
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?destroyed=1"));
}

#[test]
fn a_failed_destroy_shows_why_and_stays_in_the_room() {
    let live = live();
    let limited = ApiError::RateLimited { retry_after_secs: 3 };
    live.dispatch(Change::DestroyAnswered(Err(limited.clone())));
    assert_eq!(live.notice.get_untracked(), Some(limited.to_string()));
    assert_eq!(live.leave_to.get_untracked(), None);
}

#[test]
fn a_refused_socket_leaves_for_why_the_room_turned_it_away() {
    let live = live();
    let ended = ApiError::Ended { reason: EndReason::Expired };
    let next = live.dispatch(Change::Refused { view: Err(ended) });
    assert_eq!(next, [Effect::Leave]);
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?expired=1"));
    live.dispatch(Change::Refused { view: Err(ApiError::NotFound) });
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?error=room-not-found"));
}

#[test]
fn a_refused_socket_without_a_seat_leaves_for_seat_lost_and_a_seated_one_tries_again() {
    let live = live();
    let seated = RoomSnapshot { you: Some(seat("me")), ..room() };
    assert_eq!(live.dispatch(Change::Refused { view: Ok(seated) }), Effects::new());
    assert_eq!(live.leave_to.get_untracked(), None);
    let next = live.dispatch(Change::Refused { view: Ok(room()) });
    assert_eq!(next, [Effect::Leave]);
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?error=seat-lost"));
}

#[test]
fn sending_a_draft_or_pressing_join_clears_the_notice() {
    let live = live();
    live.dispatch(Change::NoCrypto);
    assert_eq!(live.notice.get_untracked().as_deref(), Some(NO_CRYPTO));
    let _ = live.dispatch(Change::Queued { client_id: "c1".into(), text: "hi".into(), now: 0 });
    assert_eq!(live.notice.get_untracked(), None);
    live.dispatch(Change::LeaveAnswered(Err(ApiError::Unavailable)));
    live.dispatch(Change::JoinPressed { name: "ann".into() });
    assert_eq!(live.notice.get_untracked(), None);
}

#[test]
fn a_join_takes_the_seat_and_clears_the_notice() {
    let live = live();
    live.dispatch(Change::NoCrypto);
    let joined = Joined { you: seat("me"), expires_at: 100_000, capacity: 2 };
    assert_eq!(live.dispatch(Change::JoinAnswered(Ok(joined))), [Effect::Open, Effect::Connect]);
    assert_eq!(live.you.get_untracked(), Some(seat("me")));
    assert_eq!(live.notice.get_untracked(), None);
}

#[test]
fn a_join_that_can_be_tried_again_says_why_and_a_full_room_turns_the_visitor_away() {
    let live = live();
    let lost = ApiError::Network { detail: "offline".into() };
    live.dispatch(Change::JoinAnswered(Err(lost.clone())));
    assert_eq!(live.notice.get_untracked(), Some(lost.to_string()));
    let invalid = ApiError::invalid("username", "at most 100 characters");
    live.dispatch(Change::JoinAnswered(Err(invalid.clone())));
    assert_eq!(live.notice.get_untracked(), Some(invalid.to_string()));
    assert_eq!(live.leave_to.get_untracked(), None);
    let next = live.dispatch(Change::JoinAnswered(Err(ApiError::Full)));
    assert_eq!(next, [Effect::Leave]);
    assert_eq!(live.you.get_untracked(), None);
}

#[test]
fn the_key_read_from_the_link_decides_what_the_page_shows() {
    let live = live();
    for (change, state) in [
        (Change::KeyMissing, KeyState::Missing),
        (Change::KeyWrong, KeyState::Wrong),
        (Change::KeyReady, KeyState::Ready),
    ] {
        live.dispatch(change);
        assert_eq!(live.key.get_untracked(), state);
    }
}

#[test]
fn a_room_with_a_passphrase_asks_for_it_until_one_opens_it() {
    let live = live();
    live.dispatch(Change::KeyLocked);
    assert_eq!(live.key.get_untracked(), KeyState::NeedsPassphrase);
    for (change, state) in [
        (Change::UnlockPressed { passphrase: "pass".into() }, KeyState::Unlocking),
        (Change::PassphraseWrong, KeyState::PassphraseWrong),
        (Change::UnlockPressed { passphrase: "pass".into() }, KeyState::Unlocking),
        (Change::KeyReady, KeyState::Ready),
    ] {
        assert!(live.key.get_untracked().locked(), "still asking before {change:?}");
        live.dispatch(change);
        assert_eq!(live.key.get_untracked(), state);
    }
    assert!(!live.key.get_untracked().locked());
    assert_eq!(live.you.get_untracked(), None, "unlocking takes no seat");
}

#[test]
fn the_link_shows_reconnecting_for_three_failures_then_offline_and_offline_at_once_without_network()
{
    let live = live();
    let link = |failures, offline| {
        live.dispatch(Change::Disconnected { failures, offline });
        live.connection.get_untracked()
    };
    assert_eq!(link(1, false), ConnectionStatus::Reconnecting);
    assert_eq!(link(3, false), ConnectionStatus::Reconnecting);
    assert_eq!(link(4, false), ConnectionStatus::Offline);
    assert_eq!(link(1, true), ConnectionStatus::Offline);
}

#[test]
fn a_room_past_its_end_and_grace_is_left_unless_the_server_is_still_connected() {
    let live = live();
    assert_eq!(live.dispatch(Change::Ticked { local_now: 103_000 }), Effects::new());
    assert_eq!(live.leave_to.get_untracked(), None);
    live.dispatch(welcome());
    assert_eq!(live.dispatch(Change::Ticked { local_now: 103_001 }), Effects::new());
    live.dispatch(Change::Disconnected { failures: 1, offline: false });
    let next = live.dispatch(Change::Ticked { local_now: 103_001 });
    assert_eq!(next, [Effect::Leave]);
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?expired=1"));
}

#[test]
fn a_sealed_message_is_sent_and_one_unacknowledged_too_long_fails_until_retried() {
    let live = live();
    let (client_id, body) = ("c1".to_owned(), "sealed hello".to_owned());
    let send =
        vec![Effect::Send(ClientFrame::Send { client_id: client_id.clone(), body: body.clone() })];
    let text = "hello".to_owned();
    let queued = live.dispatch(Change::Queued { client_id: client_id.clone(), text, now: 0 });
    assert_eq!(queued, [Effect::Seal { client_id: client_id.clone(), text: "hello".into() }]);
    assert_eq!(live.dispatch(Change::Sealed { client_id: client_id.clone(), body }), send);
    let failed = || {
        live.log.with_untracked(|log| log.pending().iter().map(|p| p.failed).collect::<Vec<_>>())
    };
    live.dispatch(Change::Ticked { local_now: ACK_TIMEOUT_MS - 1 });
    assert_eq!(failed(), vec![false]);
    live.dispatch(Change::Ticked { local_now: ACK_TIMEOUT_MS });
    assert_eq!(failed(), vec![true]);
    let now = ACK_TIMEOUT_MS + 1;
    assert_eq!(live.dispatch(Change::RetryPressed { client_id, now }), send);
    assert_eq!(failed(), vec![false]);
    let unknown = Change::RetryPressed { client_id: "c9".into(), now };
    assert_eq!(live.dispatch(unknown), Effects::new());
}

#[test]
fn a_refused_frame_shows_its_notice_and_the_room_ending_leaves() {
    let live = live();
    let bad = ServerFrame::Error { code: ErrorCode::BadFrame, message: "x".into() };
    live.dispatch(frame(bad));
    let understood = "Burner did not understand the last frame.";
    assert_eq!(live.notice.get_untracked().as_deref(), Some(understood));
    live.dispatch(frame(ServerFrame::Ended { reason: EndReason::Destroyed }));
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?destroyed=1"));
}

#[test]
fn the_room_as_the_page_sees_it_gives_the_seat_and_history_this_browser_holds() {
    let live = live();
    let history =
        History { messages: vec![message(1, "peer")], seq: 1, truncated: false, more: false };
    let view = RoomSnapshot { seated: 2, you: Some(seat("me")), history: Some(history), ..room() };
    live.dispatch(Change::Viewed(view));
    assert_eq!(live.seated.get_untracked(), 2);
    assert_eq!(live.you.get_untracked(), Some(seat("me")));
    assert_eq!(live.log.with_untracked(|log| log.last_seq()), 1);
}

#[test]
fn opened_messages_and_names_are_revealed() {
    let live = live();
    let history =
        History { messages: vec![message(1, "peer")], seq: 1, truncated: false, more: false };
    live.dispatch(Change::HistoryLoaded(history));
    live.dispatch(Change::Opening { names: vec![seat("peer")] });
    assert_eq!(
        live.names.with_untracked(|n| n.get(&seat("peer")).cloned()),
        Some(Revealed::Sealed)
    );
    let messages = vec![(1, opened("hi", signed_by("K", 1, 0)))];
    let names = vec![(seat("peer"), opened("bob", signed_by("K", 0, 0)))];
    live.dispatch(Change::Opened { messages, names });
    assert_eq!(shown(&live), vec![Revealed::Text("hi".to_owned())]);
    assert_eq!(live.name_of(&seat("peer")), "bob");
}

fn signed_by(fingerprint: &str, counter: u64, time: u64) -> By {
    By::Key(SignedBy { fingerprint: fingerprint.into(), counter, time })
}

fn opened(text: &str, by: By) -> Opening {
    Opening::Opened { text: text.into(), by }
}

fn shown(live: &Live) -> Vec<Revealed> {
    live.log.with_untracked(|log| log.shown().map(|e| e.text.clone()).collect())
}

/// A room whose history holds these messages, from these seats.
fn history_of(live: &Live, senders: &[&str]) {
    let messages =
        senders.iter().enumerate().map(|(i, s)| message(i as u64 + 1, s)).collect::<Vec<_>>();
    let seq = messages.len() as u64;
    live.dispatch(Change::HistoryLoaded(History { messages, seq, truncated: false, more: false }));
}

#[test]
fn a_message_not_signed_by_its_seats_key_is_unverified_never_its_seats() {
    let live = live();
    history_of(&live, &["peer", "peer", "peer"]);
    let names = vec![(seat("peer"), opened("bob", signed_by("BOB", 0, 0)))];
    let messages = vec![
        (1, opened("mine", signed_by("BOB", 1, 0))),
        // Someone with the link (and the server's help) wrote as bob, signing with their key...
        (2, opened("forged", signed_by("EVE", 2, 0))),
        // ...or with a signature that does not hold, or none at all.
        (3, opened("unsigned", By::Forged)),
    ];
    live.dispatch(Change::Opened { messages, names });
    assert_eq!(
        shown(&live),
        [
            Revealed::Text("mine".into()),
            Revealed::Unverified("forged".into()),
            Revealed::Unverified("unsigned".into())
        ]
    );
    assert_eq!(live.name_of(&seat("peer")), "bob");
    // A second name for bob's seat, signed by another key, is not bob's name; and as the page
    // cannot tell which of the two is forged, it trusts neither from then on.
    let other = Seat { id: "peer".into(), name: "another sealed name".into() };
    let names = vec![(other.clone(), opened("bob", signed_by("EVE", 0, 0)))];
    live.dispatch(Change::Opened { messages: Vec::new(), names });
    assert_eq!(live.name_of(&other), "Unverified name");
    assert_eq!(live.name_of(&seat("peer")), "Unverified name");
    assert_eq!(shown(&live)[0], Revealed::Unverified("mine".into()));
}

#[test]
fn a_message_moved_after_a_later_one_or_repeated_is_marked_out_of_place() {
    let live = live();
    // The audit: bob's "transfer approved" (counter 1) moved from seq 1 to after "never mind,
    // cancel it" (counter 2); and a copy of a message under a new client id.
    history_of(&live, &["peer", "peer", "peer", "me"]);
    let names = vec![
        (seat("peer"), opened("bob", signed_by("BOB", 0, 0))),
        (seat("me"), opened("alice", signed_by("ALICE", 0, 0))),
    ];
    let messages = vec![
        (1, opened("never mind, cancel it", signed_by("BOB", 2, 0))),
        (2, opened("transfer approved", signed_by("BOB", 1, 0))),
        (3, opened("again", signed_by("BOB", 2, 0))),
        // Another signer's counters are their own.
        (4, opened("hi", signed_by("ALICE", 1, 0))),
    ];
    live.dispatch(Change::Opened { messages, names });
    assert_eq!(
        shown(&live),
        [
            Revealed::Text("never mind, cancel it".into()),
            Revealed::OutOfPlace("transfer approved".into()),
            Revealed::OutOfPlace("again".into()),
            Revealed::Text("hi".into()),
        ]
    );
}

#[test]
fn counters_that_start_late_or_skip_raise_no_alarm_but_a_far_signed_time_does() {
    let live = live();
    // The oldest messages were trimmed: bob's first kept counter is 40, and some between are
    // another room member's to hold (or were forgotten by their timer).
    history_of(&live, &["peer", "peer", "peer"]);
    let names = vec![(seat("peer"), opened("bob", signed_by("BOB", 0, 0)))];
    let slack = crate::room::chat_log::SIGNED_TIME_SLACK_MS;
    let messages = vec![
        (1, opened("forty", signed_by("BOB", 40, 0))),
        // `message` stores each at time 0: a clock that is off by the slack is still fine.
        (2, opened("forty-three", signed_by("BOB", 43, slack))),
        (3, opened("held back", signed_by("BOB", 44, slack + 1))),
    ];
    live.dispatch(Change::Opened { messages, names });
    assert_eq!(
        shown(&live),
        [
            Revealed::Text("forty".into()),
            Revealed::Text("forty-three".into()),
            Revealed::OutOfPlace("held back".into()),
        ]
    );
}

#[test]
fn tags_come_from_the_key_and_the_same_key_is_the_same_person() {
    let live = live();
    // bob left and came back: a new seat, the same key. A look-alike picked a seat id like bob's.
    let (old, new, twin) = (seat("bobseat1"), seat("bobseat2"), seat("bobseat3"));
    history_of(&live, &["bobseat1", "bobseat2", "bobseat3"]);
    let names = vec![
        (old.clone(), opened("bob", signed_by("Kq7xAAAA", 0, 0))),
        (new.clone(), opened("bob", signed_by("Kq7xAAAA", 0, 0))),
        (twin.clone(), opened("bob", signed_by("ZZ9pBBBB", 0, 0))),
    ];
    live.dispatch(Change::Opened { messages: Vec::new(), names });
    assert_eq!(live.name_of(&old), "bob #Kq7x");
    assert_eq!(live.name_of(&new), "bob #Kq7x", "the same person, the same tag");
    assert_eq!(live.name_of(&twin), "bob #ZZ9p");
}

#[test]
fn in_a_room_made_before_members_signed_unsigned_values_read_as_before() {
    let live = live();
    history_of(&live, &["peer"]);
    let names = vec![(seat("peer"), opened("bob", By::Unsigned))];
    let messages = vec![(1, opened("hi", By::Unsigned))];
    live.dispatch(Change::Opened { messages, names });
    assert_eq!(shown(&live), [Revealed::Text("hi".into())]);
    assert_eq!(live.name_of(&seat("peer")), "bob");
}

#[test]
fn showing_the_tab_again_clears_the_unread_count() {
    let live = live();
    live.dispatch(welcome());
    live.dispatch(frame(ServerFrame::Message(message(1, "peer"))));
    assert_eq!(live.unread.get_untracked(), 1);
    live.dispatch(Change::TabShown);
    assert_eq!(live.unread.get_untracked(), 0);
}

#[test]
fn an_older_page_joins_the_log_and_a_failed_one_is_said() {
    let live = live();
    let newest =
        History { messages: vec![message(60, "peer")], seq: 60, truncated: false, more: true };
    live.dispatch(Change::HistoryLoaded(newest));
    assert!(live.log.with_untracked(|log| log.more()));
    let older =
        History { messages: vec![message(10, "peer")], seq: 60, truncated: false, more: false };
    live.dispatch(Change::OlderLoaded(Ok(older)));
    assert_eq!(live.log.with_untracked(|log| log.first_seq()), Some(10));
    assert!(!live.log.with_untracked(|log| log.more()));
    live.dispatch(Change::OlderLoaded(Err(ApiError::Unavailable)));
    assert_eq!(live.notice.get_untracked(), Some(ApiError::Unavailable.to_string()));
}

#[test]
fn each_change_asks_the_page_for_what_follows_it() {
    let live = live();
    // Not seated: the key found, the page asks for its seat; seated, it opens and connects.
    assert_eq!(live.dispatch(Change::KeyReady), [Effect::View]);
    let view = RoomSnapshot { you: Some(seat("me")), ..room() };
    assert_eq!(live.dispatch(Change::Viewed(view)), [Effect::Open, Effect::Connect]);
    assert_eq!(live.dispatch(Change::KeyReady), [Effect::Open, Effect::Connect]);
    let name = "ann".to_owned();
    let join = live.dispatch(Change::JoinPressed { name: name.clone() });
    assert_eq!(join, [Effect::TakeSeat { name }]);
    let passphrase = "correct horse".to_owned();
    let unlock = live.dispatch(Change::UnlockPressed { passphrase: passphrase.clone() });
    assert_eq!(unlock, [Effect::TryPassphrase { passphrase }]);
    assert_eq!(live.dispatch(Change::Typing), [Effect::Send(ClientFrame::Typing {})]);
    assert_eq!(live.dispatch(Change::OlderWanted), Effects::new(), "nothing held: nothing older");
    let held = History { messages: vec![message(7, "peer")], seq: 7, truncated: false, more: true };
    assert_eq!(live.dispatch(Change::HistoryLoaded(held)), [Effect::Open]);
    assert_eq!(live.dispatch(Change::OlderWanted), [Effect::LoadOlder { before: 7 }]);
    assert_eq!(live.dispatch(frame(ServerFrame::Message(message(8, "peer")))), [Effect::Open]);
    assert_eq!(live.dispatch(Change::SocketRefused), [Effect::AskWhyRefused]);
}

#[test]
fn leave_and_destroy_wait_for_the_server_and_a_refusal_lets_the_visitor_try_again() {
    let live = live();
    assert_eq!(live.dispatch(Change::LeavePressed), [Effect::GiveSeatBack]);
    assert!(live.leaving.get_untracked(), "Leave is on its way: the buttons wait");
    let _ = live.dispatch(Change::LeaveAnswered(Err(ApiError::Unavailable)));
    assert!(!live.leaving.get_untracked());
    assert_eq!(live.dispatch(Change::DestroyPressed), [Effect::Destroy]);
    assert_eq!(live.dispatch(Change::DestroyAnswered(Ok(()))), [Effect::Leave]);
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?destroyed=1"));
}

#[test]
fn the_clock_shows_the_servers_time_as_it_ticks() {
    let live = live();
    assert_eq!(live.clock.get_untracked(), room().now, "the render time at first");
    let welcome = ServerFrame::Welcome {
        you: seat("me"),
        seq: 0,
        expires_at: 100_000,
        now: 5_000,
        peers: vec![],
        recovered: true,
        locked: false,
    };
    let _ = live.dispatch(Change::Frame { frame: welcome, local_now: 4_000, hidden: false });
    let _ = live.dispatch(Change::Ticked { local_now: 4_500 });
    assert_eq!(live.clock.get_untracked(), 5_500, "server time: the local clock plus its offset");
}

#[test]
fn a_seat_whose_names_two_keys_signed_is_trusted_in_nothing() {
    let live = live();
    // A tampered history: bob's real name and message, then a forged name for his seat with a
    // forged message, signed by another key. Whichever the page opens first, neither is bob's.
    history_of(&live, &["peer", "peer"]);
    let real = seat("peer");
    let forged = Seat { id: "peer".into(), name: "forged sealed name".into() };
    let names = vec![(real.clone(), opened("bob", signed_by("BOB", 0, 0)))];
    live.dispatch(Change::Opened {
        messages: vec![(1, opened("hi", signed_by("BOB", 1, 0)))],
        names,
    });
    assert_eq!(shown(&live), [Revealed::Text("hi".into())]);
    let names = vec![(forged.clone(), opened("bob", signed_by("EVE", 0, 0)))];
    let messages = vec![(2, opened("approve it", signed_by("EVE", 2, 0)))];
    live.dispatch(Change::Opened { messages, names });
    assert_eq!(
        shown(&live),
        [Revealed::Unverified("hi".into()), Revealed::Unverified("approve it".into())]
    );
    assert_eq!(live.name_of(&real), "Unverified name");
    assert_eq!(live.name_of(&forged), "Unverified name");
    assert_eq!(live.seat_keys(), [("peer".to_owned(), None)]);
}

#[test]
fn keys_learnt_before_a_reload_still_decide_whose_a_value_is() {
    let live = live();
    // Before the reload, this browser had opened bob's name, signed by BOB.
    live.dispatch(Change::KeysKept(vec![("peer".into(), Some("BOB".into()))]));
    // After it, a tampered history shows only a forged name for bob's seat.
    history_of(&live, &["peer"]);
    let names = vec![(seat("peer"), opened("bob", signed_by("EVE", 0, 0)))];
    let messages = vec![(1, opened("approve it", signed_by("EVE", 1, 0)))];
    live.dispatch(Change::Opened { messages, names });
    assert_eq!(shown(&live), [Revealed::Unverified("approve it".into())]);
    assert_eq!(live.name_of(&seat("peer")), "Unverified name");
    // A seat already known to be forged stays so.
    let live = super::super::fixture::live();
    live.dispatch(Change::KeysKept(vec![("peer".into(), None)]));
    history_of(&live, &["peer"]);
    let names = vec![(seat("peer"), opened("bob", signed_by("BOB", 0, 0)))];
    live.dispatch(Change::Opened {
        messages: vec![(1, opened("hi", signed_by("BOB", 1, 0)))],
        names,
    });
    assert_eq!(shown(&live), [Revealed::Unverified("hi".into())]);
}

#[test]
fn what_you_signed_before_leaving_and_coming_back_is_yours() {
    let live = live();
    // Your old seat ("old"), given back, and your new one ("me"), both signed by your key.
    live.dispatch(welcome());
    history_of(&live, &["old", "peer"]);
    let names = vec![
        (seat("old"), opened("bob", signed_by("MINE", 0, 0))),
        (seat("me"), opened("bob", signed_by("MINE", 0, 0))),
        (seat("peer"), opened("alice", signed_by("HERS", 0, 0))),
    ];
    live.dispatch(Change::Opened { messages: Vec::new(), names });
    assert!(!live.is_yours(&seat("old")), "not before the page knows its own key");
    live.dispatch(Change::OwnKey { fingerprint: "MINE".into(), public: "PUBLIC".into() });
    assert!(live.is_yours(&seat("old")) && live.is_yours(&seat("me")));
    assert!(!live.is_yours(&seat("peer")));
    assert!(!live.is_you(&seat("old")), "your seat is still the one you hold");
}

#[test]
fn the_page_that_holds_the_creators_key_is_the_creators_whatever_its_seat() {
    use crate::model::Destroyers;
    use crate::rights::Act;
    let owned = RoomSnapshot {
        destroyers: Destroyers::Creator,
        may_destroy: false,
        owner_key: Some("CREATOR".into()),
        you: Some(seat("rejoined")),
        ..room()
    };
    let _owner_is_set = live();
    let creator = Live::new(&owned);
    assert!(!creator.is_creator.get_untracked() && !creator.may_destroy.get_untracked());
    creator.dispatch(Change::OwnKey { fingerprint: "FP".into(), public: "CREATOR".into() });
    assert!(creator.is_creator.get_untracked(), "Lock and Remove are offered");
    assert!(creator.may_destroy.get_untracked(), "and Destroy, in a room only it may destroy");
    // A view from the server (which knows seats, not keys) takes none of it back.
    creator.dispatch(Change::Viewed(owned.clone()));
    assert!(creator.may_destroy.get_untracked());
    assert_eq!(creator.dispatch(Change::LockPressed(true)), [Effect::Act(Act::Lock)]);
    assert_eq!(creator.dispatch(Change::LockPressed(false)), [Effect::Act(Act::Unlock)]);
    let remove = Change::RemovePressed { seat: "bob".into() };
    assert_eq!(creator.dispatch(remove), [Effect::Act(Act::Remove { seat: "bob".into() })]);
    creator.dispatch(Change::ActAnswered { act: Act::Lock, answer: Err(ApiError::NotTheCreator) });
    assert_eq!(
        creator.notice.get_untracked().as_deref(),
        Some("Only the person who created this room can do that.")
    );
    assert!(!creator.locked.get_untracked());
    creator.dispatch(Change::ActAnswered { act: Act::Lock, answer: Ok(()) });
    assert_eq!(creator.notice.get_untracked(), None);
    assert!(creator.locked.get_untracked(), "also on a page with no socket to hear it");

    let member = Live::new(&owned);
    member.dispatch(Change::OwnKey { fingerprint: "FP2".into(), public: "MEMBER".into() });
    assert!(!member.is_creator.get_untracked() && !member.may_destroy.get_untracked());

    // Drawn as the creator's first seat (the server's hint), in a browser that lost its key:
    // nothing it could not prove stays on offer.
    let first = RoomSnapshot { creator_seat: true, may_destroy: true, ..owned };
    let forgetful = Live::new(&first);
    assert!(forgetful.is_creator.get_untracked() && forgetful.may_destroy.get_untracked());
    forgetful.dispatch(Change::NoOwnKey);
    assert!(!forgetful.is_creator.get_untracked() && !forgetful.may_destroy.get_untracked());
}

#[test]
fn every_page_hears_when_the_room_is_locked_and_unlocked() {
    let live = live();
    assert!(!live.locked.get_untracked());
    live.dispatch(frame(ServerFrame::Locked { locked: true }));
    assert!(live.locked.get_untracked());
    live.dispatch(frame(ServerFrame::Locked { locked: false }));
    assert!(!live.locked.get_untracked());
    // A page that connects later learns it from its welcome, a visitor from the view.
    let you = seat("me");
    let welcome = ServerFrame::Welcome {
        you,
        seq: 0,
        expires_at: 0,
        now: 0,
        peers: vec![],
        recovered: true,
        locked: true,
    };
    live.dispatch(frame(welcome));
    assert!(live.locked.get_untracked());
    live.dispatch(Change::Viewed(RoomSnapshot { locked: false, ..room() }));
    assert!(!live.locked.get_untracked());
}

#[test]
fn the_join_page_asks_now_and_then_how_the_room_stands_and_goes_home_when_it_is_gone() {
    let live = live();
    let tick = |local_now| live.dispatch(Change::Ticked { local_now });
    assert_eq!(tick(1_000), Effects::new(), "the key is not read yet: no join page");
    assert_eq!(live.dispatch(Change::KeyReady), [Effect::View]);
    assert_eq!(tick(2_000), Effects::new());
    assert_eq!(tick(11_999), Effects::new());
    assert_eq!(tick(12_000), [Effect::View], "every 10 s");
    // Locked: every 5 s, so Join wakes soon after the creator unlocks.
    live.dispatch(Change::Viewed(RoomSnapshot { locked: true, ..room() }));
    assert_eq!(tick(16_999), Effects::new());
    assert_eq!(tick(17_000), [Effect::View]);
    live.dispatch(Change::Viewed(RoomSnapshot { locked: false, ..room() }));
    assert!(!live.locked.get_untracked());
    assert_eq!(tick(22_000), Effects::new());
    assert_eq!(tick(27_000), [Effect::View]);
    // A network failure changes nothing; a room gone sends the page home.
    let offline = ApiError::Network { detail: "offline".into() };
    assert_eq!(live.dispatch(Change::ViewFailed(offline)), Effects::new());
    assert_eq!(live.leave_to.get_untracked(), None);
    assert_eq!(live.dispatch(Change::ViewFailed(ApiError::NotFound)), [Effect::Leave]);
    assert_eq!(live.leave_to.get_untracked().as_deref(), Some("/?error=room-not-found"));
}

#[test]
fn a_seated_page_does_not_ask_for_the_room_now_and_then() {
    let live = live();
    live.dispatch(welcome());
    live.dispatch(Change::KeyReady);
    for local_now in [1_000, 20_000, 40_000] {
        assert_eq!(live.dispatch(Change::Ticked { local_now }), Effects::new());
    }
}

#[test]
fn unicodes_confusables_are_fetched_once_two_names_are_open_and_then_tell_look_alikes() {
    let live = live();
    live.dispatch(welcome());
    let name = |seat: &Seat, name: &str| (seat.clone(), opened(name, signed_by(&seat.id, 0, 0)));
    // One name: nothing to compare it with.
    let names = vec![name(&seat("me"), "alice")];
    assert!(live.dispatch(Change::Opened { messages: Vec::new(), names }).is_empty());
    // Alice and "𝐚𝐥𝐢𝐜𝐞" in mathematical bold: the short table does not know them.
    let names = vec![name(&seat("peer"), "\u{1D41A}\u{1D425}\u{1D422}\u{1D41C}\u{1D41E}")];
    let next = live.dispatch(Change::Opened { messages: Vec::new(), names });
    assert_eq!(next, [Effect::FetchConfusables]);
    assert_eq!(live.name_of(&seat("me")), "alice", "not yet");
    let names = vec![name(&seat("third"), "carol")];
    assert!(live.dispatch(Change::Opened { messages: Vec::new(), names }).is_empty(), "once");
    let table = std::sync::Arc::new(crate::confusables::Confusables::parse(
        &crate::confusables::table_text(),
    ));
    live.dispatch(Change::ConfusablesFetched(table));
    assert_eq!(live.name_of(&seat("me")), "alice #me");
    assert_eq!(live.name_of(&seat("peer")), "\u{1D41A}\u{1D425}\u{1D422}\u{1D41C}\u{1D41E} #peer");
    assert_eq!(live.name_of(&seat("third")), "carol");
}
