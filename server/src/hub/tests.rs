//! The hub alone, with the embedded broker.
use super::*;
use crate::broker::memory::MemoryBroker;

impl Hub {
    /// Sockets connected to this instance.
    fn sockets(&self) -> usize {
        self.lock().values().map(|e| e.peers.len()).sum()
    }

    /// Rooms with at least one socket on this instance.
    fn rooms(&self) -> usize {
        self.lock().len()
    }
}

fn message(seq: u64) -> RoomEvent {
    RoomEvent::Message(app::model::ChatMessage {
        seq,
        id: format!("m{seq}"),
        client_id: format!("c{seq}"),
        sender: app::model::Seat { id: "s".into(), name: "sealed".into() },
        body: "sealed".into(),
        ts: 0,
    })
}

async fn hub(queue: usize) -> Arc<Hub> {
    let (bus, deliveries) = mpsc::unbounded_channel();
    Hub::start(Arc::new(MemoryBroker::new(bus)), deliveries, queue, &crate::tasks::Tasks::default())
}

#[tokio::test]
async fn a_socket_that_cannot_keep_up_is_closed_with_4408_and_the_others_are_not() {
    let hub = hub(2).await;
    let room = RoomId::generate();
    let far = now_ms() + 60_000;
    let mut slow = hub.join(&room, far).await.expect("join");
    let mut quick = hub.join(&room, far).await.expect("join");
    for seq in 1..=3 {
        hub.dispatch(&room, message(seq));
        assert!(quick.events.recv().await.is_some(), "quick reads each event");
    }
    assert_eq!(slow.kicked.try_recv().ok(), Some(CloseCode::SlowConsumer));
    assert!(quick.kicked.try_recv().is_err());
    assert_eq!(hub.sockets(), 1);
}

#[tokio::test]
async fn a_room_is_forgotten_when_its_last_socket_leaves() {
    let hub = hub(8).await;
    let room = RoomId::generate();
    let far = now_ms() + 60_000;
    let a = hub.join(&room, far).await.expect("join");
    let b = hub.join(&room, far).await.expect("join");
    assert_eq!((hub.rooms(), hub.sockets()), (1, 2));
    drop(a);
    assert_eq!((hub.rooms(), hub.sockets()), (1, 1));
    drop(b);
    assert_eq!((hub.rooms(), hub.sockets()), (0, 0));
}

#[tokio::test]
async fn sockets_of_a_room_hear_its_end_at_the_deadline() {
    let hub = hub(8).await;
    let room = RoomId::generate();
    let mut socket = hub.join(&room, now_ms() + 200).await.expect("join");
    let event = tokio::time::timeout(Duration::from_secs(2), socket.events.recv()).await;
    match event.ok().flatten() {
        Some(Delivery::Event(event)) => {
            assert_eq!(event.event, RoomEvent::Ended(EndReason::Expired))
        }
        other => panic!("expected the end of the room, got {other:?}"),
    }
}
