//! The Redis broker: exactly one pub/sub connection per instance, subscribing a room's channel
//! while this instance has sockets in it. After the connection drops it reconnects, subscribes
//! everything again and asks the hub to resync, since events may have been missed meanwhile.

use super::{
    Broker, BrokerError, Deliveries, Delivery, PRESENCE_STALE_MS, PresenceChange, RoomEvent,
};
use crate::redis_keys::Keys;
use app::model::{RoomId, now_ms};
use futures::StreamExt;
use futures::future::{BoxFuture, FutureExt};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long to wait between attempts to reach Redis again.
const RECONNECT_EVERY: Duration = Duration::from_millis(250);

enum Command {
    Subscribe(RoomId, oneshot::Sender<Result<(), BrokerError>>),
    Unsubscribe(RoomId),
}

pub struct RedisBroker {
    commands: mpsc::UnboundedSender<Command>,
    conn: ConnectionManager,
    keys: Keys,
    presence: Script,
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
        tokio::spawn(subscriber(client, keys.clone(), receiver, deliveries));
        let presence = Script::new(include_str!("../lua/presence.lua"));
        RedisBroker { commands, conn, keys, presence }
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
            let payload = serde_json::to_string(&event).map_err(failed)?;
            conn.publish::<_, _, ()>(channel, payload).await.map_err(failed)
        }
        .boxed()
    }

    fn presence(
        &self,
        room: &RoomId,
        change: PresenceChange,
    ) -> BoxFuture<'static, Result<Vec<String>, BrokerError>> {
        let keys = self.keys.room(room);
        let op = match &change {
            PresenceChange::Online(_) => "online",
            PresenceChange::Offline { .. } => "offline",
            PresenceChange::Alive(_) => "alive",
        };
        let mut args = vec![op.to_owned(), now_ms().to_string(), PRESENCE_STALE_MS.to_string()];
        args.push(keys.channel.clone());
        match change {
            PresenceChange::Online(c) => args.extend([c.conn, c.seat_id, c.name]),
            PresenceChange::Offline { conn } => args.push(conn),
            PresenceChange::Alive(conns) => {
                args.extend(conns.into_iter().flat_map(|c| [c.conn, c.seat_id, c.name]));
            }
        }
        let script = self.presence.clone();
        let mut conn = self.conn.clone();
        async move {
            let names: Option<Vec<String>> = script
                .key(&keys.meta)
                .key(&keys.online)
                .arg(args)
                .invoke_async(&mut conn)
                .await
                .map_err(failed)?;
            Ok(names.unwrap_or_default())
        }
        .boxed()
    }
}

/// The subscriber connection's task: applies commands in order and forwards messages.
async fn subscriber(
    client: redis::Client,
    keys: Keys,
    mut commands: mpsc::UnboundedReceiver<Command>,
    deliveries: Deliveries,
) {
    let mut wanted: HashSet<RoomId> = HashSet::new();
    let mut first = true;
    loop {
        let (mut sink, mut stream) = match client.get_async_pubsub().await {
            Ok(pubsub) => pubsub.split(),
            Err(err) => {
                tracing::warn!(%err, "pub/sub connection to Redis failed; retrying");
                // Keep answering commands while Redis is away.
                let wait = tokio::time::sleep(RECONNECT_EVERY);
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        () = &mut wait => break,
                        command = commands.recv() => match command {
                            None => return,
                            Some(Command::Subscribe(room, ack)) => {
                                wanted.insert(room);
                                let _ = ack.send(Err(failed(&err)));
                            }
                            Some(Command::Unsubscribe(room)) => {
                                wanted.remove(&room);
                            }
                        },
                    }
                }
                continue;
            }
        };
        if !wanted.is_empty() {
            let channels: Vec<String> = wanted.iter().map(|r| keys.room(r).channel).collect();
            if let Err(err) = sink.subscribe(&channels).await {
                tracing::warn!(%err, "resubscribing after a reconnect failed; retrying");
                continue;
            }
        }
        if !first {
            tracing::info!(rooms = wanted.len(), "pub/sub connection to Redis is back");
            let _ = deliveries.send(Delivery::Resync);
        }
        first = false;
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None => return,
                    Some(Command::Subscribe(room, ack)) => {
                        let result = sink.subscribe(keys.room(&room).channel).await.map_err(failed);
                        wanted.insert(room);
                        let _ = ack.send(result);
                    }
                    Some(Command::Unsubscribe(room)) => {
                        wanted.remove(&room);
                        let _ = sink.unsubscribe(keys.room(&room).channel).await;
                    }
                },
                message = stream.next() => {
                    let Some(message) = message else {
                        tracing::warn!("pub/sub connection to Redis lost; reconnecting");
                        break;
                    };
                    let Some(room) = keys.room_of_channel(message.get_channel_name()) else {
                        continue;
                    };
                    let payload: String = message.get_payload().unwrap_or_default();
                    match serde_json::from_str::<RoomEvent>(&payload) {
                        Ok(event) => {
                            let _ = deliveries.send(Delivery::Event(room, event));
                        }
                        Err(err) => tracing::warn!(%err, "ignoring an unreadable room event"),
                    }
                }
            }
        }
    }
}
