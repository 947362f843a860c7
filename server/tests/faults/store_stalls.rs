//! Redis stalls for one instance's commands for 1.5 s, just as its member sends a message,
//! while the room's other member (on another instance) sends 300: the stalled member's socket
//! keeps draining its queue (its store call runs beside the socket loop), so no socket is closed
//! as slow, nothing is lost and both see one order.

use crate::helpers::secret;
use crate::helpers::{Next, Socket, TestApp, test_settings, unique_prefix};
use crate::proxy::FaultProxy;
use crate::redis_process::RedisProcess;
use app::protocol::ServerFrame;
use server::backend::Backend;
use server::ws::socket::Timing;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const FROM_ALICE: u64 = 300;
const STALL: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_store_does_not_stop_a_socket_from_draining_its_room() {
    let redis = RedisProcess::start();
    let port = redis.port();
    let proxy = FaultProxy::start(SocketAddr::from(([127, 0, 0, 1], port))).await;
    let prefix = unique_prefix();
    let cap = 1000;
    let direct = Backend::redis(&redis.url(), &prefix, secret(), cap).await.expect("Redis");
    let stalled =
        Backend::redis(&proxy.url(), &prefix, secret(), cap).await.expect("Redis via the proxy");
    let x = TestApp::start(test_settings(), direct, prefix.clone(), Timing::default()).await;
    let y = TestApp::start(test_settings(), stalled, prefix, Timing::default()).await;

    let alice = x.visitor();
    let room = alice.room_with_seat("alice").await;
    let bob = y.visitor();
    assert_eq!(bob.join(&room, "bob").await.status, 200);
    // Alice reads in one tab and sends from another (which reads its acknowledgements aside).
    let on_x = alice.enter(&room).await;
    let writer = alice.enter(&room).await;
    let mut on_y = bob.enter(&room).await;

    proxy.stall_commands(STALL);
    let stalled_at = Instant::now();
    on_y.say("bob-1", "sent into a stalled Redis").await;
    let alice_reads = tokio::spawn(read_all(on_x));
    let bob_reads = tokio::spawn(read_all(on_y));
    let seat = writer.seat.clone().expect("welcomed");
    let (mut sink, mut acks) = futures::StreamExt::split(writer.stream);
    let writer_reads = tokio::spawn(async move {
        let mut closed = None;
        while let Some(frame) = futures::StreamExt::next(&mut acks).await {
            if let Ok(tokio_tungstenite::tungstenite::Message::Close(close)) = frame {
                closed = Some(format!("{close:?}"));
                break;
            }
        }
        closed
    });
    for i in 0..FROM_ALICE {
        let frame = on_x_frame(&room, &seat, i);
        futures::SinkExt::send(&mut sink, frame).await.expect("sent");
    }
    let alice_saw = alice_reads.await.expect("alice's reader");
    let bob_saw = bob_reads.await.expect("bob's reader");
    let _ = futures::SinkExt::close(&mut sink).await;
    let writer_closed = tokio::time::timeout(Duration::from_secs(5), writer_reads).await;
    let writer_closed = writer_closed.expect("the writer's socket ended").expect("its reader");
    println!(
        "Commands stalled {STALL:?}; alice sent {FROM_ALICE}, bob 1. Alice received {} ({:?}), \
         bob {} ({:?}); bob's own message came back {:?} after the stall began.",
        alice_saw.seqs.len(),
        alice_saw.closed,
        bob_saw.seqs.len(),
        bob_saw.closed,
        bob_saw.own_ack_at.map(|at| at.duration_since(stalled_at)),
    );
    let all: Vec<u64> = (1..=FROM_ALICE + 1).collect();
    assert_eq!(bob_saw.closed, None, "the stalled member's socket was not closed");
    assert_eq!(alice_saw.closed, None, "the other member's socket was not closed");
    assert!(
        writer_closed.as_deref().is_none_or(|close| !close.contains("4408")),
        "the sender's socket was not closed as slow: {writer_closed:?}"
    );
    assert_eq!(bob_saw.seqs, all, "the stalled member got every message, in order");
    assert_eq!(alice_saw.seqs, all, "the other member got every message, in order");
    let bob_ack = bob_saw.own_ack_at.expect("bob's message was stored");
    assert!(
        bob_ack.duration_since(stalled_at) >= STALL - Duration::from_millis(100),
        "the stall did hold bob's message back"
    );
}

fn on_x_frame(
    room: &app::model::RoomId,
    seat: &str,
    i: u64,
) -> tokio_tungstenite::tungstenite::Message {
    let client_id = format!("alice-{i}");
    let body = crate::sealing::sealed_message(room, seat, &client_id, &format!("alice {i}"));
    let frame = app::protocol::ClientFrame::Send { client_id, body };
    tokio_tungstenite::tungstenite::Message::Text(frame.encode().expect("encodable").into())
}

struct Seen {
    seqs: Vec<u64>,
    closed: Option<String>,
    own_ack_at: Option<Instant>,
}

/// Messages until all of them arrived, the socket closed, or nothing came for 10 s.
async fn read_all(mut socket: Socket) -> Seen {
    let mut seen = Seen { seqs: Vec::new(), closed: None, own_ack_at: None };
    while (seen.seqs.len() as u64) < FROM_ALICE + 1 {
        match socket.next_within(Duration::from_secs(10)).await {
            Some(Next::Frame(ServerFrame::Message(m))) => {
                if m.client_id == "bob-1" {
                    seen.own_ack_at = Some(Instant::now());
                }
                seen.seqs.push(m.seq);
            }
            Some(Next::Frame(_)) => {}
            other => {
                seen.closed = Some(format!("{other:?}"));
                break;
            }
        }
    }
    seen
}
