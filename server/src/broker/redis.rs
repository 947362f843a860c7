//! The Redis broker: exactly one pub/sub connection per instance, subscribing a room's channel
//! while this instance has sockets in it (the subscriber task is in [`subscriber`]).

mod subscriber;

use super::{Broker, BrokerError, Deliveries, RoomEvent};
use crate::redis_keys::Keys;
use app::model::RoomId;
use app::protocol::ServerFrame;
use futures::future::{BoxFuture, FutureExt};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use std::sync::Arc;
use subscriber::Command;
pub use subscriber::Liveness;
use tokio::sync::{mpsc, oneshot};

pub struct RedisBroker {
    commands: mpsc::UnboundedSender<Command>,
    conn: ConnectionManager,
    keys: Keys,
    liveness: Arc<Liveness>,
}

impl RedisBroker {
    /// Starts the subscriber connection's task; it stops when the broker is dropped.
    pub fn start(
        client: redis::Client,
        conn: ConnectionManager,
        keys: Keys,
        deliveries: Deliveries,
    ) -> Self {
        let (commands, receiver) = mpsc::unbounded_channel();
        let liveness = Arc::new(Liveness::default());
        tokio::spawn(subscriber::run(client, keys.clone(), receiver, deliveries, liveness.clone()));
        RedisBroker { commands, conn, keys, liveness }
    }

    /// What the subscriber knows of its connection.
    pub fn liveness(&self) -> Arc<Liveness> {
        self.liveness.clone()
    }
}

fn failed(err: impl std::fmt::Display) -> BrokerError {
    BrokerError(err.to_string())
}

impl Broker for RedisBroker {
    fn subscribe(&self, room: &RoomId) -> BoxFuture<'static, Result<(), BrokerError>> {
        let (ack, acked) = oneshot::channel();
        let sent = self.commands.send(Command::Subscribe(room.clone(), ack));
        async move {
            sent.map_err(|_| failed("subscriber stopped"))?;
            acked.await.map_err(|_| failed("subscriber stopped"))?
        }
        .boxed()
    }

    fn unsubscribe(&self, room: &RoomId) {
        let _ = self.commands.send(Command::Unsubscribe(room.clone()));
    }

    fn publish(
        &self,
        room: &RoomId,
        event: RoomEvent,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        let channel = self.keys.room(room).channel;
        let mut conn = self.conn.clone();
        async move {
            // A message travels as the frame clients receive, as `post.lua` publishes it, so
            // the subscriber reads every message one way.
            let payload = match event {
                RoomEvent::Message(message) => ServerFrame::Message(message).encode(),
                other => serde_json::to_string(&other),
            }
            .map_err(failed)?;
            conn.publish::<_, _, ()>(channel, payload).await.map_err(|err| {
                crate::metrics::redis_failed(&err);
                failed(err)
            })
        }
        .boxed()
    }
}
