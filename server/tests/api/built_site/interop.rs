//! Interoperability: a client written from docs/PROTOCOL.md in Rust (RustCrypto's `aes-gcm`
//! and `ed25519-dalek`, not WebCrypto) and the browser app, in Debian's Chromium, share a room:
//! each reads what the other sealed, and takes the other's signatures as holding.

use crate::helpers::{Kind, TestApp, Visitor};
use crate::sealing::{RoomKey, remember_key};
use app::envelope::{Purpose, key_from_fragment};
use app::model::RoomId;
use app::protocol::ServerFrame;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

fn end2end() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rust_client_and_the_browser_read_each_others_sealed_messages() {
    let playwright = end2end().join("node_modules/@playwright/test");
    assert!(
        playwright.exists(),
        "this test drives Chromium through Playwright: run scripts/setup --tests first"
    );
    let root = super::served::site_root();
    let app =
        TestApp::spawn_with(Kind::Embedded, |s| crate::helpers::serve_release_site(s, &root)).await;
    let mut browser = tokio::process::Command::new("node")
        .arg("interop/browser.mjs")
        .arg(app.url(""))
        .current_dir(end2end())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs the browser half");
    let mut lines = BufReader::new(browser.stdout.take().expect("stdout")).lines();
    let mut next_line = async || {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
        line.expect("the browser half answered in time").expect("stdout").expect("a line")
    };

    // The browser made the room and its key; the link is all this client gets.
    let line = next_line().await;
    let link = line.strip_prefix("LINK ").unwrap_or_else(|| panic!("a link, got {line:?}"));
    let (path, fragment) = link.split_once('#').expect("a fragment");
    let room: RoomId = path.trim_start_matches("/room/").parse().expect("a room id");
    let key = RoomKey(key_from_fragment(fragment).expect("a key in the fragment"));
    remember_key(&room, key);

    let rusty = Visitor::new(app.addr);
    assert_eq!(rusty.join(&room, "Rusty").await.status, 200);
    let mut socket = rusty.connect(&room, 0).await;
    let ServerFrame::Welcome { you, peers, .. } = socket.welcome().await else { unreachable!() };
    assert_eq!(crate::sealing::names(&room, &peers), ["Ada (browser)"]);
    let theirs = socket.message().await;
    assert_eq!(crate::sealing::text(&room, &theirs), "hello from the browser");
    assert_eq!(crate::sealing::name(&room, &theirs.sender), "Ada (browser)");
    let as_sent = Purpose::Message { seat: &theirs.sender.id, client_id: &theirs.client_id };
    assert_eq!(key.open(as_sent, &RoomId::generate(), &theirs.body), None, "not in another room");
    let as_mine = Purpose::Message { seat: &you.id, client_id: &theirs.client_id };
    assert_eq!(key.open(as_mine, &room, &theirs.body), None, "not as Rusty's");
    // Signed (envelope version 3) by the key the browser's name carries.
    let (_, signed) = key.open_signed(as_sent, &room, &theirs.body).expect("it opens");
    let signed = signed.expect("the browser signs its messages");
    let their_name = Purpose::Name { seat: &theirs.sender.id };
    let (_, named) = key.open_signed(their_name, &room, &theirs.sender.name).expect("it opens");
    let named = named.expect("the browser signs its name");
    assert!(signed.holds && named.holds, "{signed:?} {named:?}");
    assert_eq!(signed.public_key, named.public_key, "one key for the seat");
    assert!(signed.counter >= 1);

    socket.say("rust-1", "hello from rust").await;
    // Rusty signs too (crate::sealing): the browser shows Rusty's words as Rusty's.
    let line = next_line().await;
    assert_eq!(line, "SEEN hello from rust FROM Rusty");
    let status = tokio::time::timeout(Duration::from_secs(20), browser.wait()).await;
    assert!(status.expect("the browser half ended").expect("exit").success());
    println!("interop: the Rust client read the browser's message and the browser read Rust's");
}
