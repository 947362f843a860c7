//! Connection bounds at the gate, with real sockets: a cap per address and in total (closed at
//! accept, counted in /metrics), and silent connections — HTTP/2 after its preface, a TLS
//! handshake that never finishes, a keep-alive left open — closed after the idle timeout.

use crate::helpers::{Kind, TestApp};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long until the server closes `stream` (reads until end of stream or an error), at most
/// `limit`; `None` when it is still open then.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.addr).await.expect("connect")
}

#[tokio::test]
async fn one_address_holds_at_most_its_connections_and_the_total_is_a_ceiling() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| {
        s.limits.connections_per_address = 4;
        s.limits.connections_max = 6;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect(&app).await);
    }
    // Accepted connections stay open (well inside the idle timeout)...
    assert_eq!(closed_within(&mut held[0], Duration::from_millis(300)).await, None);
    // ...the fifth from the same address is closed at once, without a byte of HTTP.
    let mut fifth = connect(&app).await;
    let closed = closed_within(&mut fifth, Duration::from_secs(2)).await;
    assert!(closed.is_some(), "the fifth connection from one address was not closed");
    // Closing one frees its place: a page loads again.
    // (The server frees it when it reads the close: a busy machine may take a moment.)
    drop(held.pop());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let status = loop {
        match reqwest::get(app.url("/healthz")).await {
            Ok(page) => break page.status().as_u16(),
            Err(err) if tokio::time::Instant::now() > deadline => panic!("no freed slot: {err}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    assert_eq!(status, 200);
}

#[tokio::test]
async fn behind_a_trusted_proxy_only_the_total_applies() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| {
        s.security.trust_proxy = true;
        s.limits.connections_per_address = 2;
        s.limits.connections_max = 5;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(connect(&app).await);
    }
    assert_eq!(closed_within(&mut held[4], Duration::from_millis(300)).await, None, "5 of 5");
    let mut sixth = connect(&app).await;
    assert!(closed_within(&mut sixth, Duration::from_secs(2)).await.is_some(), "over the total");
}

#[tokio::test]
async fn a_silent_http2_connection_and_an_idle_keep_alive_are_closed_after_the_idle_timeout() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.idle_timeout_secs = 1).await;
    let started = Instant::now();
    // HTTP/2 over cleartext: the preface, then nothing.
    let mut h2 = connect(&app).await;
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.expect("preface");
    // HTTP/1.1: one request answered, then the connection is left open and silent.
    let mut h1 = connect(&app).await;
    h1.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("request");
    for (name, stream) in [("HTTP/2", &mut h2), ("keep-alive", &mut h1)] {
        let closed = closed_within(stream, Duration::from_secs(5)).await;
        assert!(closed.is_some(), "{name} connection still open after 5 s");
        let after = started.elapsed();
        assert!(after >= Duration::from_millis(900), "{name} closed too early: {after:?}");
    }
}

#[tokio::test]
async fn a_tls_handshake_that_never_finishes_is_cut_off() {
    let (cert, key, _) = crate::edge::self_signed();
    let app = TestApp::spawn_with(Kind::Embedded, |s| {
        s.tls.cert = Some(cert);
        s.tls.key = Some(key);
        s.limits.header_timeout_secs = 1;
    })
    .await;
    // Connected, and not a byte of ClientHello.
    let mut silent = connect(&app).await;
    let closed = closed_within(&mut silent, Duration::from_secs(5)).await;
    assert!(closed.is_some(), "a silent TLS connection is still open after 5 s");
}

#[tokio::test]
async fn http2_requests_with_stalled_bodies_are_few_per_connection_and_answered_408() {
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.limits.request_timeout_secs = 1).await;
    let tcp = connect(&app).await;
    let (client, connection) = h2::client::handshake(tcp).await.expect("h2c handshake");
    let mut connection = Box::pin(connection);
    let driver = tokio::spawn(async move { (&mut connection).await.ok() });
    let mut client = client.ready().await.expect("ready");
    // Each announces 60 kB and sends 1 kB, then nothing: the server reads and waits.
    let mut answers = Vec::new();
    let started = Instant::now();
    for _ in 0..16 {
        let request = http::Request::post(app.url("/api/create_room"))
            .header("content-type", "application/json")
            .header("content-length", "60000")
            .body(())
            .expect("request");
        let (answer, mut body) = client.send_request(request, false).expect("a stream");
        body.send_data(bytes::Bytes::from(vec![b' '; 1024]), false).expect("data");
        answers.push((answer, body));
        client = client.ready().await.expect("ready");
    }
    for (answer, _body) in answers {
        let answer = tokio::time::timeout(Duration::from_secs(5), answer).await;
        let status = answer.expect("an answer in time").expect("a response").status();
        assert_eq!(status.as_u16(), 408, "a stalled body is cut off");
    }
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "answered before the timeout: {waited:?}");
    driver.abort();
}

#[tokio::test]
async fn an_http2_connection_may_hold_only_a_few_requests_at_once() {
    let app = TestApp::spawn(Kind::Embedded).await;
    let tcp = connect(&app).await;
    let (mut client, mut connection) = h2::client::handshake(tcp).await.expect("h2c handshake");
    // The server's SETTINGS arrive with its first frames: a request round trip brings them.
    let request = http::Request::get(app.url("/healthz")).body(()).expect("request");
    let (answer, _) = client.send_request(request, true).expect("a stream");
    let answer = tokio::select! {
        answer = answer => answer.expect("health"),
        _ = &mut connection => panic!("the connection ended"),
    };
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(connection.max_concurrent_send_streams(), 16);
}
