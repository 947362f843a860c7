//! The server binary itself: its help, its refusal of bad settings, and how it stops.

use crate::helpers::Visitor;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    // The repository root, so the shipped Leptos.toml is the one read.
    command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    command.env("BURNER_REDIS_URL", "").env("BURNER_LOG", "warn");
    command
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
        "burner: setting rooms.default-capacity (BURNER_DEFAULT_CAPACITY): 99 is not between 2 and 10"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_sockets_close_with_1012_and_the_process_exits_within_five_seconds() {
    let addr: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let mut child = server()
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let started = Instant::now();
    while reqwest::get(format!("http://{addr}/healthz")).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "server answered within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let visitor = Visitor::new(addr);
    let room = visitor.room_with_seat("alice").await;
    let mut socket = visitor.enter(&room).await;
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
