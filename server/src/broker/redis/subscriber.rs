//! The subscriber connection's task. It applies subscribe and unsubscribe commands in the order
//! they were made and forwards each message to the hub. When the connection drops it connects
//! again (pausing between failed attempts), subscribes every wanted room again and asks the hub
//! to resync, since events may have been missed meanwhile.

use super::failed;
use crate::broker::{BrokerError, Deliveries, Delivery, RoomEvent};
use crate::redis_keys::Keys;
use app::model::RoomId;
use futures::StreamExt;
use redis::Msg;
use redis::aio::{PubSubSink, PubSubStream};
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The pause after a failed attempt to connect or to subscribe again.
const RETRY_AFTER: Duration = Duration::from_millis(250);

pub enum Command {
    Subscribe(RoomId, oneshot::Sender<Result<(), BrokerError>>),
    Unsubscribe(RoomId),
}

/// What the task keeps across connections.
struct Subscriber {
    client: redis::Client,
    keys: Keys,
    commands: mpsc::UnboundedReceiver<Command>,
    deliveries: Deliveries,
    /// Rooms to follow: those subscribed now, and those to subscribe after a reconnect.
    wanted: HashSet<RoomId>,
}

/// Runs until the broker (the sender of `commands`) is dropped.
pub async fn run(
    client: redis::Client,
    keys: Keys,
    commands: mpsc::UnboundedReceiver<Command>,
    deliveries: Deliveries,
) {
    let mut task = Subscriber { client, keys, commands, deliveries, wanted: HashSet::new() };
    let mut reconnected = false;
    while let Some((mut sink, mut stream)) = task.connect_and_resubscribe().await {
        if reconnected {
            tracing::info!(rooms = task.wanted.len(), "pub/sub connection to Redis is back");
            let _ = task.deliveries.send(Delivery::Resync);
        }
        reconnected = true;
        loop {
            tokio::select! {
                command = task.commands.recv() => match command {
                    Some(command) => task.apply(command, Some(&mut sink)).await,
                    None => return,
                },
                message = stream.next() => match message {
                    Some(message) => task.forward(&message),
                    None => {
                        tracing::warn!("pub/sub connection to Redis lost; reconnecting");
                        break;
                    }
                },
            }
        }
    }
}

impl Subscriber {
    /// A connection subscribed to every wanted room; `None` once the broker is gone. Commands
    /// keep being answered while Redis is away (subscribes fail at once).
    async fn connect_and_resubscribe(&mut self) -> Option<(PubSubSink, PubSubStream)> {
        loop {
            match self.try_connect().await {
                Ok(connection) => return Some(connection),
                Err(err) => tracing::warn!(%err, "pub/sub connection to Redis failed; retrying"),
            }
            let pause = tokio::time::sleep(RETRY_AFTER);
            tokio::pin!(pause);
            loop {
                tokio::select! {
                    () = &mut pause => break,
                    command = self.commands.recv() => match command {
                        Some(command) => self.apply(command, None).await,
                        None => return None,
                    },
                }
            }
        }
    }

    async fn try_connect(&self) -> redis::RedisResult<(PubSubSink, PubSubStream)> {
        let (mut sink, stream) = self.client.get_async_pubsub().await?.split();
        if !self.wanted.is_empty() {
            let channels: Vec<String> =
                self.wanted.iter().map(|room| self.keys.room(room).channel).collect();
            sink.subscribe(&channels).await?;
        }
        Ok((sink, stream))
    }

    /// Applies one command on the connection, or records it while there is none.
    async fn apply(&mut self, command: Command, sink: Option<&mut PubSubSink>) {
        match command {
            Command::Subscribe(room, ack) => {
                let result = match sink {
                    Some(sink) => {
                        sink.subscribe(self.keys.room(&room).channel).await.map_err(failed)
                    }
                    None => Err(failed("Redis is unreachable")),
                };
                // Wanted either way: the next connection subscribes it.
                self.wanted.insert(room);
                let _ = ack.send(result);
            }
            Command::Unsubscribe(room) => {
                if let Some(sink) = sink {
                    let _ = sink.unsubscribe(self.keys.room(&room).channel).await;
                }
                self.wanted.remove(&room);
            }
        }
    }

    /// Hands one pub/sub message to the hub.
    fn forward(&self, message: &Msg) {
        let Some(room) = self.keys.room_of_channel(message.get_channel_name()) else { return };
        let event =
            message.get_payload::<String>().map_err(|err| err.to_string()).and_then(|payload| {
                serde_json::from_str::<RoomEvent>(&payload).map_err(|e| e.to_string())
            });
        match event {
            Ok(event) => {
                let _ = self.deliveries.send(Delivery::Event(room, event));
            }
            Err(err) => tracing::warn!(%err, "ignoring an unreadable room event"),
        }
    }
}
