//! The Redis broker: one pub/sub link per instance (to one server, or on a cluster one
//! connection per master, with sharded channels), subscribing a room's channel while this
//! instance has sockets in it (the link is in [`link`], the task that keeps it in
//! [`subscriber`]).

mod link;
mod liveness;
mod probe;
mod subscriber;

use super::{Broker, BrokerError};
use crate::event::{DeliveryBus, RoomEvent, wire};
use crate::redis_conn::{RedisConn, RedisTarget};
use crate::redis_keys::Keys;
use crate::tasks::Tasks;
use app::model::RoomId;
use futures::future::{BoxFuture, FutureExt};
pub use liveness::Liveness;
use std::sync::Arc;
use subscriber::Command;
use tokio::sync::{mpsc, oneshot};

pub struct RedisBroker {
    commands: mpsc::UnboundedSender<Command>,
    conn: RedisConn,
    keys: Keys,
    liveness: Arc<Liveness>,
}

impl RedisBroker {
    /// Starts the subscriber connection's task; it stops when the broker is dropped.
    pub fn start(
        target: RedisTarget,
        conn: RedisConn,
        keys: Keys,
        deliveries: DeliveryBus,
        tasks: &Tasks,
    ) -> Self {
        let (commands, receiver) = mpsc::unbounded_channel();
        let liveness = Arc::new(Liveness::default());
        tasks.spawn_until_stopped(subscriber::run(
            link::Connector::new(target),
            conn.clone(),
            keys.clone(),
            receiver,
            deliveries,
            liveness.clone(),
            tasks.clone(),
        ));
        RedisBroker { commands, conn, keys, liveness }
    }

    /// What the subscriber knows of its connection.
    pub fn liveness(&self) -> Arc<Liveness> {
        self.liveness.clone()
    }
}

impl Broker for RedisBroker {
    fn subscribe(&self, room: &RoomId) -> BoxFuture<'static, Result<(), BrokerError>> {
        let (ack, acked) = oneshot::channel();
        let sent = self.commands.send(Command::Subscribe(room.clone(), ack));
        async move {
            sent.map_err(|_| BrokerError::Stopped)?;
            acked.await.map_err(|_| BrokerError::Stopped)?
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
        let payload = wire::encode(&event);
        async move {
            let payload = payload.map_err(|err| BrokerError::Encoding(Arc::new(err)))?;
            let publish = redis::cmd(conn.publish_command()).arg(channel).arg(payload).clone();
            Ok(publish.query_async::<()>(&mut conn).await?)
        }
        .boxed()
    }
}
