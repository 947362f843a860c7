//! The edge, as the open internet meets it: CSRF, headers, honest client addresses, limits on
//! every door, TLS, redirects without JavaScript.

use crate::helpers::{Kind, TestApp, Visitor, create_body};
use futures::SinkExt;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_form_post_or_a_call_from_another_site_cannot_destroy_a_room() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let url = app.url("/api/destroy_room");
    let body = json!({ "room_id": room }).to_string();
    // What a cross-site <form enctype="text/plain"> could send, with the visitor's cookie.
    let form = alice.http.post(&url).header("content-type", "text/plain").body(body.clone());
    let refused = form.send().await.expect("post");
    assert_eq!(refused.status().as_u16(), 415);
    let error: serde_json::Value = refused.json().await.expect("json error");
    assert_eq!(error["error"], "not_json");
    for (name, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let call = alice.http.post(&url).json(&json!({ "room_id": room })).header(name, value);
        let refused = call.send().await.expect("post");
        assert_eq!(refused.status().as_u16(), 403, "{name}: {value}");
    }
    let view = alice.call("room_view", json!({ "room_id": room })).await;
    assert_eq!(view.status, 200, "the room is still there");
    let own = alice.http.post(&url).json(&json!({ "room_id": room }));
    let own = own.header("origin", app.url("").trim_end_matches('/')).send().await;
    assert_eq!(own.expect("post").status().as_u16(), 200, "the site's own page may");
}

#[tokio::test]
async fn every_page_carries_a_content_security_policy_naming_its_scripts_nonce() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let mut nonces = Vec::new();
    for path in ["/", "/no/such/page"] {
        let response = reqwest::get(app.url(path)).await.expect("page");
        let policy = response.headers()["content-security-policy"].to_str().unwrap_or_default();
        let policy = policy.to_owned();
        assert!(!policy.contains("unsafe-inline") && policy.contains("'wasm-unsafe-eval'"));
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("base-uri 'none'"));
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in the policy")
            .to_owned();
        let html = response.text().await.unwrap_or_default();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path} has scripts");
        assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{path}");
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a fresh nonce per response");
    let api = reqwest::Client::new().post(app.url("/api/room_options")).json(&json!({}));
    let api = api.send().await.expect("api");
    assert!(api.headers().get("content-security-policy").is_none(), "only pages need one");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_hop_the_proxy_added_not_the_left_most() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| {
        s.security.trust_proxy = true;
        s.limits.rooms_per_minute = 10;
    })
    .await;
    let visitor = app.visitor();
    let create = |spoofed: String| {
        let call = visitor.http.post(app.url("/api/create_room")).json(&create_body(json!({})));
        // The client wrote the left-most entry; the proxy appended the address it saw.
        call.header("x-forwarded-for", format!("{spoofed}, 198.51.100.7")).send()
    };
    for i in 0..10 {
        let answer = create(format!("10.0.0.{i}")).await.expect("create");
        assert_eq!(answer.status().as_u16(), 200, "creation {}", i + 1);
    }
    let eleventh = create("10.0.0.99".into()).await.expect("create");
    assert_eq!(eleventh.status().as_u16(), 429, "the 11th from the same client is refused");
}

#[tokio::test]
async fn joins_leaves_destroys_and_room_options_are_limited_per_address() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| {
        s.limits.actions_per_minute = 3;
        s.limits.views_per_minute = 2;
    })
    .await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    assert_eq!(alice.call("leave_room", json!({ "room_id": room })).await.status, 200);
    assert_eq!(alice.join(&room, "alice").await.status, 200);
    // The fourth action in a minute from this address: refused, and nothing done.
    let limited = alice.call("destroy_room", json!({ "room_id": room })).await;
    assert_eq!((limited.status, limited.body["error"].as_str()), (429, Some("rate_limited")));
    assert!(limited.body["retry_after_secs"].as_u64().is_some_and(|secs| secs >= 1));
    let refused_join = app.visitor().join(&room, "bob").await;
    assert_eq!(refused_join.status, 429, "joins share the address's allowance");
    assert_eq!(
        alice.call("room_view", json!({ "room_id": room })).await.status,
        200,
        "not destroyed"
    );
    assert_eq!(alice.call("room_options", json!({})).await.status, 200);
    let options = alice.call("room_options", json!({})).await;
    assert_eq!(options.status, 429, "room_options counts as a read");
}

#[tokio::test]
async fn room_reads_are_limited_per_address() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.views_per_minute = 3).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    for _ in 0..3 {
        assert_eq!(alice.call("room_view", json!({ "room_id": room })).await.status, 200);
    }
    let limited = alice.call("room_history", json!({ "room_id": room })).await;
    assert_eq!((limited.status, limited.body["error"].as_str()), (429, Some("rate_limited")));
    let retry = alice
        .http
        .post(app.url("/api/room_view"))
        .json(&json!({ "room_id": room }))
        .send()
        .await
        .expect("request");
    let wait =
        retry.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    assert!(wait.is_some_and(|secs| secs >= 1), "Retry-After: {wait:?}");
    // The room page says so and stays on the link: the room is not "not found".
    let (status, location, html) = alice.page(&format!("/room/{room}"), &[]).await;
    assert_eq!((status, location), (429, None));
    assert!(html.contains("Too many requests"), "{html}");
}

#[tokio::test]
async fn websocket_upgrades_are_limited_per_address() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.upgrades_per_minute = 2).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let origin = app.url("");
    let origin = Some(origin.trim_end_matches('/'));
    for _ in 0..2 {
        assert!(alice.connect_from(&room, 0, origin).await.is_ok());
    }
    assert_eq!(alice.connect_from(&room, 0, origin).await.err(), Some(429));
}

#[tokio::test]
async fn a_seat_may_hold_a_few_sockets_and_one_more_is_closed_with_4429() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.sockets_per_seat = 2).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let _first = alice.enter(&room).await;
    let _second = alice.enter(&room).await;
    assert_eq!(alice.connect(&room, 0).await.closed().await, Some(4429));
}

#[tokio::test]
async fn bad_frames_count_towards_the_4429_close_like_refused_sends() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let mut socket = alice.enter(&room).await;
    for _ in 0..9 {
        socket.send_text("not a frame").await;
        assert!(matches!(socket.reply().await, app::protocol::ServerFrame::Error { .. }));
    }
    socket.send_text("{}").await;
    assert_eq!(socket.closed().await, Some(4429));
}

#[tokio::test]
async fn a_binary_frame_over_16_kib_closes_the_socket_with_1009() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let mut socket = alice.enter(&room).await;
    let big = Message::Binary(vec![0u8; 17 * 1024].into());
    socket.stream.send(big).await.expect("sent");
    assert_eq!(socket.closed().await, Some(1009));
}

#[tokio::test]
async fn redirects_are_real_302s_for_a_plain_http_client() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let alice = app.visitor();
    let full = alice.room_with_seat("alice").await;
    assert_eq!(app.visitor().join(&full, "bob").await.status, 200);
    let destroyed = alice.room_with_seat("alice").await;
    alice.call("destroy_room", json!({ "room_id": destroyed })).await;
    for (path, to) in [
        ("/room/AAAAAAAAAAAAAAAA".to_owned(), "/?error=room-not-found#"),
        ("/room/not-an-id".to_owned(), "/?error=room-not-found#"),
        (format!("/room/{full}"), "/?error=room-full#"),
        (format!("/room/{destroyed}"), "/?error=room-not-found#"),
    ] {
        let response = plain.get(app.url(&path)).send().await.expect("page");
        assert_eq!(response.status().as_u16(), 302, "{path}");
        assert_eq!(response.headers()["location"], to, "{path}");
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.header_timeout_secs = 1).await;
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.expect("write");
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buffer)).await;
    let read = read.expect("the server answered or closed within 5 s");
    // Closed (0 bytes), reset, or a 408 before closing: in every case not held open.
    match read {
        Ok(0) | Err(_) => {}
        Ok(n) => assert!(String::from_utf8_lossy(&buffer[..n]).contains("408"), "cut off"),
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1, written to files.
pub fn self_signed() -> (String, String, String) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).expect("certificate");
    let dir = std::env::temp_dir().join(format!("burner-tls-{}", nanoid::nanoid!(8)));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let pem = certified.cert.pem();
    std::fs::write(&cert, &pem).expect("cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("key");
    (cert.display().to_string(), key.display().to_string(), pem)
}

#[tokio::test]
async fn served_over_tls_the_site_sends_hsts_and_host_only_secure_seat_cookies() {
    let (cert, key, pem) = self_signed();
    let app = TestApp::spawn_with(Kind::Embedded, |s| {
        s.tls.cert = Some(cert);
        s.tls.key = Some(key);
    })
    .await;
    let root = reqwest::Certificate::from_pem(pem.as_bytes()).expect("root");
    let https = reqwest::Client::builder()
        .add_root_certificate(root)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = format!("https://localhost:{}", app.addr.port());
    let home = https.get(format!("{base}/")).send().await.expect("https home");
    assert_eq!(home.status().as_u16(), 200);
    assert_eq!(home.headers()["strict-transport-security"], "max-age=31536000");
    let key = crate::sealing::RoomKey::generate();
    let create = json!({ "verifier": key.verifier() });
    let created = https.post(format!("{base}/api/create_room")).json(&create).send().await;
    let created: serde_json::Value = created.expect("create").json().await.expect("json");
    let room: app::model::RoomId =
        created["room_id"].as_str().and_then(|id| id.parse().ok()).expect("id");
    crate::sealing::remember_key(&room, key);
    let join = crate::helpers::join_body(&room, "alice");
    let joined = https.post(format!("{base}/api/join_room")).json(&join).send().await;
    let cookie = joined.expect("join").headers()["set-cookie"].to_str().unwrap_or("").to_owned();
    assert!(cookie.starts_with("__Host-burner_seat_"), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
    // Served securely, only the __Host- cookie holds the seat: the same token under the plain
    // name (which anyone able to answer for the host over HTTP could have set) holds nothing.
    let token = cookie.split(['=', '.']).nth(1).unwrap_or_default().to_owned();
    let history = |cookie: String| {
        https
            .post(format!("{base}/api/room_history"))
            .header("cookie", cookie)
            .json(&json!({ "room_id": room }))
            .send()
    };
    let host_only = history(seat_cookie_header(&room, &token, true)).await.expect("history");
    assert_eq!(host_only.status().as_u16(), 200);
    let plain_named = history(seat_cookie_header(&room, &token, false)).await.expect("history");
    assert_eq!(plain_named.status().as_u16(), 403, "a plain-named cookie is no seat over HTTPS");
    // An Origin of the same host over plain HTTP is another site.
    let from_http = https
        .post(format!("{base}/api/room_options"))
        .header("origin", format!("http://localhost:{}", app.addr.port()))
        .json(&json!({}))
        .send()
        .await
        .expect("options");
    assert_eq!(from_http.status().as_u16(), 403);
    // Plain HTTP on the TLS port is not served.
    let plain = Visitor::new(app.addr).http.get(app.url("/")).send().await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));
}

/// A seat cookie of `room` under `name`'s form (`__Host-` or not) with `token`, as a header.
fn seat_cookie_header(room: &app::model::RoomId, token: &str, host_only: bool) -> String {
    let deadline = app::model::now_ms() + 60_000;
    format!("{}={token}.{deadline}", app::seat::cookie_name(room, host_only))
}

#[tokio::test]
async fn a_token_the_visitor_brings_is_never_adopted_unless_it_already_holds_a_seat() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    // Someone plants a token of their choosing in the next visitor's browser...
    let planted = "planted-token-of-32-characters_x";
    let bob = app.visitor();
    let url = reqwest::Url::parse(&app.url("/")).expect("url");
    bob.jar.add_cookie_str(&seat_cookie_header(&room, planted, false), &url);
    let joined = bob.join(&room, "bob").await;
    assert_eq!(joined.status, 200);
    let set = joined.set_cookie.expect("a seat cookie");
    assert!(!set.contains(planted), "a fresh token, not the planted one: {set}");
    // ...so the planter holds nothing: no history, no socket.
    let planter = app.visitor();
    planter.jar.add_cookie_str(&seat_cookie_header(&room, planted, false), &url);
    let history = planter.call("room_history", json!({ "room_id": room })).await;
    assert_eq!((history.status, history.body["error"].as_str()), (403, Some("not_seated")));
    assert_eq!(planter.connect(&room, 0).await.closed().await, Some(4401));
    // A token that holds a seat here is kept: joining again is the same seat.
    let again = alice.join(&room, "alice").await;
    let kept = again.set_cookie.expect("cookie");
    let token = |cookie: &str| cookie.split(['=', '.']).nth(1).map(str::to_owned);
    let first = alice.cookie_header().and_then(|v| v.to_str().ok().map(str::to_owned));
    assert_eq!(token(&kept), first.as_deref().and_then(token), "alice keeps her token");
}

#[tokio::test]
async fn known_to_be_served_over_https_the_site_sends_hsts_and_accepts_only_https_origins() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.security.secure_cookies = true).await;
    let alice = app.visitor();
    let home = alice.http.get(app.url("/")).send().await.expect("home");
    assert_eq!(home.headers()["strict-transport-security"], "max-age=31536000");
    assert_eq!(home.headers()["cross-origin-opener-policy"], "same-origin");
    let room = alice.room_with_seat("alice").await;
    let host = app.addr.to_string();
    let plain = format!("http://{host}");
    assert_eq!(alice.connect_from(&room, 0, Some(&plain)).await.err(), Some(403));
    let secure = format!("https://{host}");
    assert!(alice.connect_from(&room, 0, Some(&secure)).await.is_ok(), "its own https origin");
}

#[tokio::test]
async fn a_body_larger_than_the_limit_is_refused_with_413_and_takes_nothing() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.body_max_bytes = 4096).await;
    let alice = app.visitor();
    let room = alice.room_with_seat("alice").await;
    let oversized = json!({ "room_id": room, "name": "x".repeat(8192) });
    let refused = app.visitor().call("join_room", oversized).await;
    let said = (refused.status, refused.body["error"].as_str(), refused.body["max_bytes"].as_u64());
    assert_eq!(said, (413, Some("too_large"), Some(4096)), "a documented error, in JSON");
    // Nothing was taken, and calls of ordinary size go on working.
    let view = alice.call("room_view", json!({ "room_id": room })).await;
    assert_eq!((view.status, view.body["seated"].as_u64()), (200, Some(1)));
}

#[tokio::test]
async fn an_address_may_hold_only_so_many_rooms_alive_and_is_told_why() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.rooms_alive_per_address = 2).await;
    let alice = app.visitor();
    let first = alice.create_room(json!({})).await;
    alice.create_room(json!({})).await;
    let refused = alice.create(json!({})).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (429, Some("too_many_rooms")));
    let said: Result<app::error::ApiError, _> = serde_json::from_value(refused.body.clone());
    let said = said.map(|e| e.to_string()).unwrap_or_default();
    assert!(said.contains("2 rooms open already"), "{said}");
    // Destroying one of them gives its place back.
    assert_eq!(alice.join(&first, "alice").await.status, 200);
    assert_eq!(alice.call("destroy_room", json!({ "room_id": first })).await.status, 200);
    assert_eq!(alice.create(json!({})).await.status, 200);
}

#[tokio::test]
async fn the_embedded_store_takes_no_more_rooms_than_its_memory_holds_and_says_so() {
    // Rooms of 12 KiB of history (16 KiB with their bookkeeping) in 64 KiB: four of them.
    let app = TestApp::spawn_with(Kind::Embedded, |s| {
        s.rooms.history_max_bytes = 12 * 1024;
        s.backend.memory_max_bytes = 64 * 1024;
    })
    .await;
    let alice = app.visitor();
    let mut rooms = Vec::new();
    for _ in 0..4 {
        rooms.push(alice.create_room(json!({})).await);
    }
    let refused = alice.create(json!({})).await;
    assert_eq!((refused.status, refused.body["error"].as_str()), (503, Some("busy")));
    let said: Result<app::error::ApiError, _> = serde_json::from_value(refused.body.clone());
    let said = said.map(|e| e.to_string()).unwrap_or_default();
    assert!(said.contains("as many rooms as it can"), "{said}");
    // A room that ends gives its memory back.
    assert_eq!(alice.join(&rooms[0], "alice").await.status, 200);
    assert_eq!(alice.call("destroy_room", json!({ "room_id": rooms[0] })).await.status, 200);
    assert_eq!(alice.create(json!({})).await.status, 200);
}

#[tokio::test]
async fn a_call_takes_its_turn_at_its_door_before_its_body_is_read() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.rooms_per_minute = 2).await;
    let visitor = app.visitor();
    let garbage = |body: &'static str| {
        let call = visitor.http.post(app.url("/api/create_room"));
        call.header("content-type", "application/json").body(body).send()
    };
    // Neither JSON nor a valid room: each still spends a turn, as a valid call would.
    for body in ["{not json", r#"{"ttl_secs": 7, "verifier": "short"}"#] {
        let refused = garbage(body).await.expect("post");
        assert!(refused.status().is_client_error() && refused.status() != 429, "{body}");
    }
    let limited = garbage("{not json").await.expect("post");
    assert_eq!(limited.status().as_u16(), 429, "the third call in a minute, whatever it holds");
    assert!(limited.headers().contains_key("retry-after"));
    let body: serde_json::Value = limited.json().await.expect("json error");
    assert_eq!(body["error"], "rate_limited");
    let valid = visitor.create(json!({})).await;
    assert_eq!(valid.status, 429, "and a valid one waits too");
}

#[tokio::test]
async fn readiness_on_the_public_port_says_only_ready_or_not() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let answer = reqwest::get(app.url("/readyz")).await.expect("readyz");
    assert_eq!(answer.status().as_u16(), 200);
    let body: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(body, json!({ "status": "ready" }));
    // Asked a hundred times at once, it answers every time (the backend is asked once a second).
    let asks = (0..100).map(|_| reqwest::get(app.url("/readyz")));
    for answer in futures::future::join_all(asks).await {
        assert_eq!(answer.expect("readyz").status().as_u16(), 200);
    }
}
