//! The server functions and the room page over real HTTP, on both backends.

use crate::helpers::{Kind, TestApp, create_body, join_body, merged};
use crate::sealing::name;
use app::protocol::ServerFrame;
use serde_json::json;

both_backends! {
    create_join_and_read_history,
    a_third_visitor_is_turned_away_with_the_room_full_redirect,
    a_cookie_of_room_a_is_no_seat_in_room_b,
    after_destroy_every_call_answers_ended,
    opening_the_room_page_never_claims_a_seat,
    a_seated_visitor_gets_the_sealed_history_with_the_page_and_no_text,
    unknown_or_malformed_rooms_send_the_visitor_home,
    a_visitor_arriving_from_another_site_is_not_turned_away_before_the_page_can_check,
    bad_input_is_refused_with_the_field_and_its_limit,
    leaving_gives_the_seat_back,
    many_pages_asked_at_once_each_get_their_answer,
}

async fn create_join_and_read_history(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let created = alice.create(json!({ "ttl_secs": 300 })).await;
    assert_eq!(created.status, 200);
    let room: app::model::RoomId =
        created.body["room_id"].as_str().and_then(|id| id.parse().ok()).expect("room id");
    let joined = alice.join(&room, "alice").await;
    assert_eq!(joined.status, 200, "{joined:?}");
    let you: app::model::Seat = serde_json::from_value(joined.body["you"].clone()).expect("a seat");
    assert_eq!(name(&room, &you), "alice", "the name as sealed, never read by the server");
    assert_eq!(you.id.len(), 12);
    assert_eq!(joined.body["capacity"], 2);
    assert_eq!(joined.body["expires_at"], created.body["expires_at"]);
    let cookie = joined.set_cookie.expect("a seat cookie");
    assert!(cookie.starts_with(&format!("burner_seat_{room}=")), "{cookie}");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=300"] {
        assert!(cookie.contains(part), "{part} missing from {cookie}");
    }
    let history = alice.call("room_history", json!({ "room_id": room })).await;
    assert_eq!(history.status, 200);
    assert_eq!(
        history.body,
        json!({ "messages": [], "seq": 0, "truncated": false, "more": false })
    );
}

async fn a_third_visitor_is_turned_away_with_the_room_full_redirect(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let room = app.visitor().room_with_seat("alice").await;
    assert_eq!(app.visitor().join(&room, "bob").await.status, 200);
    let carol = app.visitor();
    let (status, location, _) = carol.page(&format!("/room/{room}"), &[]).await;
    assert_eq!((status, location.as_deref()), (302, Some("/?error=room-full#")));
    let refused = carol.join(&room, "carol").await;
    assert_eq!((refused.status, refused.body.clone()), (409, json!({ "error": "full" })));
    assert!(refused.set_cookie.is_none());
}

async fn a_cookie_of_room_a_is_no_seat_in_room_b(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room_a = alice.room_with_seat("alice").await;
    let room_b = app.visitor().room_with_seat("bob").await;
    let history = alice.call("room_history", json!({ "room_id": room_b })).await;
    assert_eq!((history.status, history.body), (403, json!({ "error": "not_seated" })));
    let destroy = alice.call("destroy_room", json!({ "room_id": room_b })).await;
    assert_eq!(destroy.status, 403);
    // ...and taking a seat in B does not cost the seat in A.
    assert_eq!(alice.join(&room_b, "alice").await.status, 200);
    let still = alice.call("room_history", json!({ "room_id": room_a })).await;
    assert_eq!(still.status, 200);
}

async fn after_destroy_every_call_answers_ended(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = app.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    let destroyed = alice.call("destroy_room", json!({ "room_id": room })).await;
    assert_eq!(destroyed.status, 200, "{destroyed:?}");
    assert!(
        destroyed.set_cookie.is_some_and(|c| c.contains("Max-Age=0")),
        "the destroyer's browser forgets its seat at once"
    );
    // Bob still holds his: every call says how the room ended.
    let ended = json!({ "error": "ended", "reason": "destroyed" });
    for (endpoint, body) in [
        ("room_view", json!({ "room_id": room })),
        ("join_room", join_body(&room, "x")),
        ("room_history", json!({ "room_id": room })),
        ("destroy_room", json!({ "room_id": room })),
    ] {
        let answer = bob.call(endpoint, body).await;
        assert_eq!((answer.status, &answer.body), (410, &ended), "{endpoint}");
    }
    let (status, location, _) = bob.page(&format!("/room/{room}"), &[]).await;
    assert_eq!((status, location.as_deref()), (302, Some("/?destroyed=1#")));
    // Told, his page asks to leave: the answer is the same, and his browser forgets the seat.
    let left = bob.call("leave_room", json!({ "room_id": room })).await;
    assert_eq!((left.status, &left.body), (410, &ended));
    assert!(left.set_cookie.is_some_and(|c| c.contains("Max-Age=0")), "the cookie goes");
    // Without their cookies, neither learns more than a stranger: there is no such room.
    for visitor in [&alice, &bob, &app.visitor()] {
        let view = visitor.call("room_view", json!({ "room_id": room })).await;
        assert_eq!((view.status, view.body), (404, json!({ "error": "not_found" })));
    }
}

async fn opening_the_room_page_never_claims_a_seat(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let mut socket = alice.enter(&room).await;
    socket.say("c1", "for seated eyes only").await;
    let sealed = socket.message().await.body;
    // Link previews, prefetchers and curious visitors load the page without joining.
    for _ in 0..3 {
        let (status, location, html) = app.visitor().page(&format!("/room/{room}"), &[]).await;
        assert_eq!((status, location), (200, None));
        assert!(!html.contains(&sealed), "no history, not even sealed, without a seat");
        assert!(html.contains("&gt;join_room"), "the page offers to join, nothing more");
    }
    assert_eq!(app.visitor().join(&room, "bob").await.status, 200, "the seat is still free");
}

async fn a_seated_visitor_gets_the_sealed_history_with_the_page_and_no_text(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let mut socket = alice.enter(&room).await;
    socket.say("c1", "only the browser can read this").await;
    let sealed = socket.message().await.body;
    let (status, _, html) = alice.page(&format!("/room/{room}"), &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains(&sealed), "the sealed history comes with the page, to open there");
    assert!(!html.contains("only the browser can read this"), "the server cannot render text");
    assert!(!html.contains("alice"), "nor names");
}

async fn unknown_or_malformed_rooms_send_the_visitor_home(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let visitor = app.visitor();
    for path in ["/room/AAAAAAAAAAAAAAAA", "/room/bad", "/room/%3Cscript%3E"] {
        let (status, location, _) = visitor.page(path, &[]).await;
        assert_eq!((status, location.as_deref()), (302, Some("/?error=room-not-found#")), "{path}");
    }
    let (status, _, html) = visitor.page("/no/such/page", &[]).await;
    assert_eq!(status, 404);
    assert!(html.contains("page_not_found"));
}

async fn a_visitor_arriving_from_another_site_is_not_turned_away_before_the_page_can_check(
    kind: Kind,
) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    assert_eq!(app.visitor().join(&room, "bob").await.status, 200);
    // A link followed from a mail or chat site: the browser withholds SameSite=Strict cookies,
    // so the page must load and ask again (with the cookie) before deciding.
    let cross_site = [("sec-fetch-site", "cross-site")];
    let (status, location, _) = app.visitor().page(&format!("/room/{room}"), &cross_site).await;
    assert_eq!((status, location), (200, None));
    let (status, location, _) = app.visitor().page(&format!("/room/{room}"), &[]).await;
    assert_eq!((status, location.as_deref()), (302, Some("/?error=room-full#")));
}

async fn bad_input_is_refused_with_the_field_and_its_limit(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let visitor = app.visitor();
    let room = visitor.create_room(json!({})).await;
    let cases = [
        ("create_room", create_body(json!({ "ttl_secs": 7 })), "ttl_secs"),
        ("create_room", create_body(json!({ "capacity": 1 })), "capacity"),
        ("create_room", create_body(json!({ "capacity": 11 })), "capacity"),
        // Within 2-10 but not among the seat counts this server offers (2, 3, 5, 10).
        ("create_room", create_body(json!({ "capacity": 4 })), "capacity"),
        ("create_room", create_body(json!({ "message_timer_secs": 7 })), "message_timer_secs"),
        ("create_room", create_body(json!({ "capacity": "lots" })), "request"),
        ("create_room", json!({ "verifier": "AQ" }), "verifier"),
        ("create_room", json!({}), "request"),
        ("join_room", merged(join_body(&room, "x"), json!({ "name": "a plain name" })), "name"),
        ("join_room", merged(join_body(&room, "x"), json!({ "name": "AQ" })), "name"),
        ("join_room", merged(join_body(&room, "x"), json!({ "key_check": "AQ" })), "key_check"),
        ("join_room", merged(join_body(&room, "x"), json!({ "room_id": "../etc" })), "room_id"),
        ("join_room", merged(join_body(&room, "x"), json!({ "seat_id": "../x" })), "seat_id"),
        ("join_room", merged(join_body(&room, "x"), json!({ "proof": "AQ" })), "proof"),
        ("join_room", merged(join_body(&room, "x"), json!({ "proof": null })), "request"),
        ("join_room", json!({ "room_id": room }), "request"),
        ("room_history", json!({ "room_id": "short" }), "room_id"),
    ];
    for (endpoint, body, field) in cases {
        let answer = visitor.call(endpoint, body.clone()).await;
        assert_eq!(answer.status, 422, "{endpoint} {body}: {answer:?}");
        assert_eq!(answer.body["error"], "invalid", "{endpoint} {body}");
        assert_eq!(answer.body["field"], field, "{endpoint} {body}");
        assert!(answer.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let too_long = join_body(&room, &"😀".repeat(101));
    let limit = visitor.call("join_room", too_long).await;
    let message = limit.body["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains(&app::envelope::NAME_SEALED_MAX.to_string()), "{limit:?}");
    let not_json = visitor
        .http
        .post(app.url("/api/create_room"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(not_json.status().as_u16(), 422);
}

async fn leaving_gives_the_seat_back(kind: Kind) {
    let app = TestApp::spawn(kind).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    assert_eq!(app.visitor().join(&room, "bob").await.status, 200);
    let left = alice.call("leave_room", json!({ "room_id": room })).await;
    assert_eq!(left.status, 200);
    assert!(left.set_cookie.is_some_and(|c| c.contains("Max-Age=0")), "the cookie is removed");
    assert_eq!(alice.call("room_history", json!({ "room_id": room })).await.status, 403);
    assert_eq!(app.visitor().join(&room, "carol").await.status, 200, "the freed seat");
}

#[tokio::test]
async fn rooms_created_per_address_are_rate_limited() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.rooms_per_minute = 3).await;
    let visitor = app.visitor();
    for _ in 0..3 {
        assert_eq!(visitor.create(json!({})).await.status, 200);
    }
    let limited = visitor.create(json!({})).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["error"], "rate_limited");
    assert!(limited.body["retry_after_secs"].as_u64().is_some_and(|s| (1..=20).contains(&s)));
}

#[tokio::test]
async fn pages_are_never_cached_and_never_leak_the_room_link() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let response = reqwest::get(app.url("/")).await.expect("home");
    let headers = response.headers();
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(reqwest::get(app.url("/healthz")).await.expect("health").status().as_u16(), 200);
}

#[tokio::test]
async fn unicodes_confusables_are_served_compressed_and_kept_for_good() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let client = reqwest::Client::new();
    let url = app.url(app::confusables::PATH);
    let plain = client.get(&url).send().await.expect("confusables");
    assert_eq!(plain.status().as_u16(), 200);
    assert_eq!(plain.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(plain.headers()["content-type"], "text/plain; charset=utf-8");
    let text = plain.text().await.expect("the table");
    let table = app::confusables::Confusables::parse(&text);
    assert!(table.len() > 10_000, "{}", table.len());
    assert_eq!(table.skeleton("b\u{0585}b"), "bob", "the audit's Armenian օ");
    // What a browser fetches: brotli, a fraction of the size.
    let brotli = client.get(&url).header("accept-encoding", "br").send().await.expect("br");
    assert_eq!(brotli.headers()["content-encoding"], "br");
    let compressed = brotli.bytes().await.expect("the compressed table").len();
    assert!(compressed * 2 < text.len(), "{compressed} of {} bytes", text.len());
}

#[tokio::test]
async fn seat_cookies_are_secure_when_the_site_is_served_over_https() {
    let join = |app: &TestApp, room: &app::model::RoomId, proto: Option<&'static str>| {
        let visitor = app.visitor();
        let mut request = visitor.http.post(app.url("/api/join_room")).json(&join_body(room, "x"));
        if let Some(proto) = proto {
            request = request.header("x-forwarded-proto", proto);
        }
        async move {
            let response = request.send().await.expect("join");
            response.headers()["set-cookie"].to_str().unwrap_or_default().to_owned()
        }
    };
    let plain = TestApp::spawn(Kind::Embedded).await;
    let room = plain.visitor().create_room(json!({ "capacity": 3 })).await;
    assert!(!join(&plain, &room, None).await.contains("Secure"));
    // An untrusted X-Forwarded-Proto changes nothing.
    assert!(!join(&plain, &room, Some("https")).await.contains("Secure"));
    let proxied = TestApp::spawn_with(Kind::Embedded, |s| s.security.trust_proxy = true).await;
    let room = proxied.visitor().create_room(json!({})).await;
    assert!(join(&proxied, &room, Some("https")).await.contains("; Secure"));
    let configured =
        TestApp::spawn_with(Kind::Embedded, |s| s.security.secure_cookies = true).await;
    let room = configured.visitor().create_room(json!({})).await;
    assert!(join(&configured, &room, None).await.contains("; Secure"));
}

#[tokio::test]
async fn the_room_page_carries_the_newest_page_and_older_pages_load_on_demand() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let mut socket = alice.enter(&room).await;
    for i in 1..=120 {
        socket.say(&format!("c{i}"), &format!("message {i}")).await;
        socket.message().await;
    }
    let seqs = |page: &serde_json::Value| -> Vec<u64> {
        let messages = page["messages"].as_array().cloned().unwrap_or_default();
        messages.iter().filter_map(|m| m["seq"].as_u64()).collect()
    };
    let view = alice.call("room_view", json!({ "room_id": room })).await;
    assert_eq!(seqs(&view.body["history"]), (71..=120).collect::<Vec<_>>());
    assert_eq!(view.body["history"]["more"], true);
    let older = alice.call("room_history", json!({ "room_id": room, "before": 71 })).await;
    assert_eq!((seqs(&older.body), &older.body["more"]), ((21..=70).collect(), &json!(true)));
    let oldest = alice.call("room_history", json!({ "room_id": room, "before": 21 })).await;
    assert_eq!((seqs(&oldest.body), &oldest.body["more"]), ((1..=20).collect(), &json!(false)));
    // A socket far behind gets no backlog: it is told to reload the newest page itself.
    let mut behind = alice.connect(&room, 3).await;
    let ServerFrame::Welcome { recovered, seq, .. } = behind.welcome().await else {
        unreachable!()
    };
    assert_eq!((recovered, seq), (false, 120));
    let mut near = alice.connect(&room, 110).await;
    near.welcome().await;
    for expected in 111..=120 {
        assert_eq!(near.message().await.seq, expected);
    }
}

/// A busy server renders every page it is asked for: a seated visitor's room, a full room's
/// redirect, an unknown room's and the home page, 200 at a time, each answered well before the
/// request timeout (a render that waited on a resource hung until it now and then: a 408).
async fn many_pages_asked_at_once_each_get_their_answer(kind: Kind) {
    let app = TestApp::spawn_with(kind, |s| {
        s.limits.request_timeout_secs = 5;
        s.limits.views_per_minute = 10_000;
        s.limits.connections_per_address = 1_000;
    })
    .await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    assert_eq!(app.visitor().join(&room, "bob").await.status, 200);
    let stranger = app.visitor();
    let seated = format!("/room/{room}");
    let asks = (0..200).map(|i| {
        let (alice, stranger, seated) = (&alice, &stranger, &seated);
        async move {
            let (who, path, expected) = match i % 4 {
                0 => (alice, seated.as_str(), (200, None)),
                1 => (stranger, seated.as_str(), (302, Some("/?error=room-full#"))),
                2 => (stranger, "/room/AAAAAAAAAAAAAAAA", (302, Some("/?error=room-not-found#"))),
                _ => (stranger, "/", (200, None)),
            };
            let (status, location, _) = who.page(path, &[]).await;
            assert_eq!((status, location.as_deref()), expected, "{path}");
        }
    });
    futures::future::join_all(asks).await;
}
