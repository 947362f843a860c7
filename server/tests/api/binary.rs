//! The server binary itself: its help, its refusal of bad settings, and how it stops.

use crate::helpers::Visitor;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    // The repository root, so the shipped Leptos.toml is the one read.
    command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    command.env("BURNER_REDIS_URL", "").env("BURNER_LOG", "warn").env("BURNER_METRICS_ADDR", "");
    // This build of the binary has no hash.txt beside it (and these tests load no wasm).
    command.env("LEPTOS_HASH_FILES", "false");
    command
}

/// Starts the binary with these variables; answers once it serves.
async fn running(vars: &[(&str, &str)]) -> (std::process::Child, SocketAddr) {
    let addr: SocketAddr = ([127, 0, 0, 1], crate::helpers::free_port()).into();
    let child = server()
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let started = Instant::now();
    while reqwest::get(format!("http://{addr}/healthz")).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "server answered within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, addr)
}

/// A short conversation: a room, a seat, a socket, a message; returns the room, the seat
/// cookie's header and the open socket.
async fn converse(addr: SocketAddr) -> (app::model::RoomId, String, crate::helpers::Socket) {
    let visitor = Visitor::new(addr);
    let room = visitor.room_with_seat("Zebulon Quartermaine").await;
    let mut socket = visitor.enter(&room).await;
    socket.say("c1", "the password is swordfish").await;
    socket.message().await;
    let cookie = visitor.cookie_header().and_then(|c| c.to_str().ok().map(str::to_owned));
    (room, cookie.expect("a seat cookie"), socket)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_address_without_room_ids() {
    let metrics: SocketAddr = ([127, 0, 0, 1], crate::helpers::free_port()).into();
    let (mut child, addr) = running(&[("BURNER_METRICS_ADDR", &metrics.to_string())]).await;
    let (room, _, _socket) = converse(addr).await;
    let text = reqwest::get(format!("http://{metrics}/metrics")).await.expect("scrape");
    let text = text.text().await.unwrap_or_default();
    let public = reqwest::get(format!("http://{addr}/metrics")).await.expect("public port");
    let _ = child.kill();
    let _ = child.wait();
    for expected in [
        "burner_sockets_open 1",
        "burner_rooms_active 1",
        "burner_messages_stored_total 1",
        "burner_frames_delivered_total",
        "burner_delivery_latency_seconds_bucket",
        "burner_build_info{version=",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    assert!(!text.contains(room.as_str()), "no room id in any metric");
    assert_eq!(public.status().as_u16(), 404, "not on the public port");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_and_never_hold_text_names_or_cookies() {
    let (child, addr) = running(&[
        ("BURNER_LOG_FORMAT", "json"),
        ("BURNER_LOG", "info,server=debug,app=debug,tower_http=debug"),
    ])
    .await;
    let (room, cookie, _socket) = converse(addr).await;
    let _ = reqwest::get(format!("http://{addr}/room/{room}")).await;
    let signalled = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    assert!(signalled.is_ok_and(|s| s.success()));
    let output = child.wait_with_output().expect("logs");
    let logs = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(lines.iter().any(|l| l["fields"]["message"] == "Burner is listening"), "{logs}");
    assert!(
        lines.iter().any(|l| l["span"]["name"] == "request" && l["span"]["route"].is_string()),
        "request spans with their route"
    );
    assert!(lines.iter().any(|l| l["span"]["name"] == "socket"), "socket spans with an id");
    let token = cookie.split('=').nth(1).and_then(|v| v.split('.').next()).unwrap_or("?");
    for secret in ["swordfish", "Zebulon", token] {
        assert!(!logs.contains(secret), "{secret} is never logged");
    }
}

#[test]
fn help_lists_every_setting_with_its_variable() {
    let output = server().arg("--help").output().expect("server --help");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in ["Usage: server", "LEPTOS_SITE_ADDR", "BURNER_REDIS_URL", "rooms.history-cap"] {
        assert!(help.contains(expected), "{expected} missing from --help");
    }
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let output = server().env("BURNER_DEFAULT_CAPACITY", "99").output().expect("server");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "burner: setting rooms.default-capacity (BURNER_DEFAULT_CAPACITY): must be one of rooms.capacities"
    );
}

/// `server --check` with this settings file, variables and flags: the settings in effect.
fn checked(file: &str, vars: &[(&str, &str)], flags: &[&str]) -> serde_json::Value {
    let path = std::env::temp_dir().join(format!("burner-check-{}.toml", nanoid::nanoid!(8)));
    std::fs::write(&path, file).expect("settings file");
    let mut command = server();
    command.env_remove("BURNER_REDIS_URL");
    command.arg("--config").arg(&path).arg("--check").args(flags);
    command.envs(vars.iter().copied());
    let output = command.output().expect("server --check");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON settings")
}

#[test]
fn the_file_is_read_then_the_variables_then_the_flags() {
    let file = "[rooms]\nhistory-cap = 50\ndefault-capacity = 3\n[limits]\nmessages-burst = 7\n";
    let only_file = checked(file, &[], &[]);
    assert_eq!(only_file["rooms"]["history-cap"], 50);
    assert_eq!(only_file["rooms"]["default-capacity"], 3);
    let env = checked(file, &[("BURNER_HISTORY_CAP", "70")], &[]);
    assert_eq!(
        (env["rooms"]["history-cap"].as_u64(), env["limits"]["messages-burst"].as_u64()),
        (Some(70), Some(7))
    );
    let flag = checked(file, &[("BURNER_HISTORY_CAP", "70")], &["--rooms.history-cap", "90"]);
    assert_eq!(flag["rooms"]["history-cap"], 90);
}

#[test]
fn an_empty_redis_variable_selects_the_embedded_backend_over_the_file() {
    let file = "[backend]\nredis-url = \"redis://file:6379\"\naddress-secret = \"a test secret of thirty-two characters\"\n";
    assert_eq!(checked(file, &[], &[])["backend"]["redis-url"], "redis://file:6379");
    let emptied = checked(file, &[("BURNER_REDIS_URL", "")], &[]);
    assert_eq!(emptied["backend"].get("redis-url"), Some(&serde_json::Value::Null), "none");
}

#[test]
fn a_redis_password_is_never_printed() {
    let file = "[backend]\nredis-url = \"redis://burner:hunter2@db:6379\"\naddress-secret = \"a test secret of thirty-two characters\"\n";
    let shown = checked(file, &[], &[]);
    assert_eq!(shown["backend"]["redis-url"], "redis://burner:***@db:6379");
    let help = server().env("BURNER_REDIS_URL", "redis://:hunter2@db").arg("--help").output();
    let help = help.expect("server --help");
    assert!(!String::from_utf8_lossy(&help.stdout).contains("hunter2"), "--help shows no password");
}

#[test]
fn an_unreachable_redis_is_reported_without_its_password() {
    let output = server()
        .env("BURNER_REDIS_URL", "redis://burner:hunter2@127.0.0.1:1")
        .env("BURNER_ADDRESS_SECRET", "a test secret of thirty-two characters")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .expect("server");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach Redis"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_settings_file_that_is_not_toml_is_one_line_without_its_contents() {
    let path = std::env::temp_dir().join(format!("burner-broken-{}.toml", nanoid::nanoid!(8)));
    std::fs::write(&path, "[backend]\nredis-url = \"redis://u:hunter2@h\n").expect("file");
    let output = server().arg("--config").arg(&path).output().expect("server");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("line 2") && !stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_settings_file_under_its_former_name_is_read_for_now_and_said_to_be_renamed() {
    let dir = std::env::temp_dir().join(format!("burner-former-{}", nanoid::nanoid!(8)));
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::write(dir.join("burner.toml"), "[rooms]\nhistory-cap = 77\n").expect("file");
    let checked = server().current_dir(&dir).arg("--check").output().expect("server --check");
    assert!(checked.status.success(), "it starts");
    let shown: serde_json::Value = serde_json::from_slice(&checked.stdout).expect("json");
    assert_eq!(shown["rooms"]["history-cap"], 77, "its settings are read");
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert_eq!(
        stderr.trim_end(),
        "burner: reading burner.toml, the settings file's former name, for this release only: \
         rename it Leptos.toml"
    );
    // Beside the file under its name, the former one is not read.
    std::fs::write(dir.join("Leptos.toml"), "[rooms]\nhistory-cap = 88\n").expect("file");
    let checked = server().current_dir(&dir).arg("--check").output().expect("server --check");
    let shown: serde_json::Value = serde_json::from_slice(&checked.stdout).expect("json");
    assert_eq!(shown["rooms"]["history-cap"], 88);
    assert!(checked.stderr.is_empty(), "{}", String::from_utf8_lossy(&checked.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_sockets_close_with_1012_and_the_process_exits_within_five_seconds() {
    let (mut child, addr) = running(&[]).await;
    let visitor = Visitor::new(addr);
    let room = visitor.room_with_seat("alice").await;
    let mut socket = visitor.enter(&room).await;
    // A client that never finishes its request must not hold the process.
    let mut stalled = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tokio::io::AsyncWriteExt::write_all(
        &mut stalled,
        b"POST /api/create_room HTTP/1.1\r\nHost: x\r\n",
    )
    .await
    .expect("half a request");
    let signalled = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    assert!(signalled.is_ok_and(|s| s.success()));
    let stopping = Instant::now();
    assert_eq!(socket.closed().await, Some(1012));
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "clean exit: {status}");
            break;
        }
        assert!(stopping.elapsed() < Duration::from_secs(5), "exited within 5 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_room_id_is_logged_at_info_or_warn_even_when_something_goes_wrong() {
    let prefix = crate::helpers::unique_prefix();
    let (child, addr) = running(&[
        ("BURNER_REDIS_URL", &crate::helpers::redis_url()),
        ("BURNER_ADDRESS_SECRET", "the binary tests' address secret, long"),
        ("BURNER_KEY_PREFIX", &prefix),
        ("BURNER_LOG", "info"),
    ])
    .await;
    let visitor = Visitor::new(addr);
    let room = visitor.room_with_seat("alice").await;
    let mut socket = visitor.enter(&room).await;
    socket.say("c1", "a message").await;
    socket.message().await;
    // A history entry no instance can read (another version's, say): a warning.
    let mut redis = crate::helpers::redis_conn().await;
    let log = format!("{prefix}:{{{room}}}:log");
    let _: () = redis::cmd("RPUSH")
        .arg(&log)
        .arg("not an entry")
        .query_async(&mut redis)
        .await
        .expect("RPUSH");
    let history = visitor.call("room_history", serde_json::json!({ "room_id": room })).await;
    assert_eq!(history.status, 200, "read without it");
    let signalled = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    assert!(signalled.is_ok_and(|s| s.success()));
    let output = child.wait_with_output().expect("logs");
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(logs.contains("unreadable history entry"), "the warning is there: {logs}");
    assert!(!logs.contains(room.as_str()), "but not the room: {logs}");
}

#[test]
fn a_release_binary_never_serves_a_site_it_cannot_hydrate() {
    // As after `cargo leptos watch`: the site folder holds another build's files.
    let dir = std::env::temp_dir().join(format!("burner-stale-site-{}", nanoid::nanoid!(8)));
    std::fs::create_dir_all(dir.join("site/pkg")).expect("folder");
    std::fs::write(dir.join("site/pkg/burner.js"), "").expect("a dev build's script");
    std::fs::write(dir.join("hash.txt"), "js: aaa\nwasm: bbb\ncss: ccc\n").expect("hashes");
    let output = server()
        .env("LEPTOS_HASH_FILES", "true")
        .env("LEPTOS_HASH_FILE_NAME", dir.join("hash.txt"))
        .env("LEPTOS_SITE_ROOT", dir.join("site"))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .expect("server");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("burner.aaa.js is missing"), "{stderr}");
    assert!(stderr.contains("cargo leptos build --release"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}
