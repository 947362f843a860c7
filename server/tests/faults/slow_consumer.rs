//! A client that stops reading is closed with 4408 while the others keep receiving, and the
//! server's memory stays bounded (measured on the real binary before and after 10,000
//! messages).

use crate::helpers::{Next, Socket, Visitor};
use crate::instance::Instance;
use crate::sealing::key_of;
use app::envelope::Purpose;
use app::model::RoomId;
use app::protocol::{ClientFrame, ServerFrame};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_and_memory_stays_bounded() {
    let server = Instance::start("", "slow").await;
    let sender = Visitor::new(server.addr);
    let room = sender.room_with_seat("sender").await;
    let (reader, slow) = (Visitor::new(server.addr), Visitor::new(server.addr));
    assert_eq!(reader.join(&room, "reader").await.status, 200);
    assert_eq!(slow.join(&room, "slow").await.status, 200);
    let to = sender.enter(&room).await;
    let mut reading = reader.enter(&room).await;
    // The slow one connects (with the small receive buffer of a struggling phone, so the
    // kernel cannot hide the stall), then never reads again.
    let stalled = stalled_socket(&slow, &room).await;
    let before = server.rss_kb();

    const MESSAGES: usize = 10_000;
    let started = Instant::now();
    let read = tokio::spawn(async move {
        let mut got = 0;
        while got < MESSAGES {
            match reading.next_within(Duration::from_secs(15)).await {
                Some(Next::Frame(ServerFrame::Message(_))) => got += 1,
                Some(Next::Frame(_)) => {}
                other => panic!("the reader stopped receiving after {got}: {other:?}"),
            }
        }
        got
    });
    // The sender reads its acknowledgements on the side, so it is not slow itself.
    let seat = to.seat.clone().expect("welcomed");
    let (mut sink, mut acks) = futures::StreamExt::split(to.stream);
    let drained =
        tokio::spawn(async move { while futures::StreamExt::next(&mut acks).await.is_some() {} });
    let key = key_of(&room);
    // The largest messages (1000 four-byte characters, 5 kB sealed): 10,000 of them are more
    // than the kernel's socket buffers can hide from the server.
    let text = "😀".repeat(1000);
    for i in 0..MESSAGES {
        let client_id = format!("m{i}");
        let body = key.seal(Purpose::Message { seat: &seat, client_id: &client_id }, &room, &text);
        let frame = ClientFrame::Send { client_id, body };
        let text = frame.encode().expect("encodable");
        futures::SinkExt::send(&mut sink, Message::Text(text.into())).await.expect("sent");
        // Fast (2,500 a second), but at a pace a reading client keeps up with.
        if i % 25 == 24 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let received = read.await.expect("reader");

    let after = server.rss_kb();
    // The server notices when its writes to the stalled socket stop going through.
    let mut slow_closed = 0.0;
    for _ in 0..150 {
        slow_closed = server.metric("burner_sockets_closed_total{code=\"4408\"}").await;
        if slow_closed > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "sent {MESSAGES}, the reader received {received} in {:?}; sockets closed with 4408: \
         {slow_closed}; RSS {before} kB before, {after} kB after",
        started.elapsed()
    );
    drop(stalled);
    drained.abort();
    assert_eq!(received, MESSAGES, "the others keep receiving everything");
    assert_eq!(slow_closed, 1.0, "the one that stopped reading was closed with 4408");
    assert!(after < before + 50 * 1024, "memory stays bounded: {before} kB → {after} kB");
}

/// A seated socket whose kernel receive buffer is 4 kB.
async fn stalled_socket(visitor: &Visitor, room: &RoomId) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let tcp = tokio::net::TcpSocket::new_v4().expect("socket");
    tcp.set_recv_buffer_size(4096).expect("a small receive buffer");
    let stream = tcp.connect(visitor.addr).await.expect("connect");
    let url = format!("ws://{}/ws/{room}?since=0", visitor.addr);
    let mut request = url.into_client_request().expect("request");
    let origin = format!("http://{}", visitor.addr);
    request.headers_mut().insert("origin", origin.parse().expect("origin"));
    request.headers_mut().insert("cookie", visitor.cookie_header().expect("seat cookie"));
    let plain = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (stream, _) = tokio_tungstenite::client_async(request, plain).await.expect("upgrade");
    let mut socket = Socket { stream, room: room.clone(), seat: None };
    socket.welcome().await;
    socket
}
