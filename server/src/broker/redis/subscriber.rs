//! The subscriber connection's task. It applies subscribe and unsubscribe commands in the order
//! they were made and forwards each message to the hub. It checks the connection is alive with a
//! PING every few seconds: a connection that drops, or stays open but silent, is replaced —
//! connected and subscribed again with timeouts, pausing between failed attempts — and the hub
//! is asked to resync every socket, since events may have been missed meanwhile.

use crate::broker::BrokerError;
use crate::event::{Announcement, Deliveries, Delivery, wire};
use crate::redis_keys::Keys;
use app::model::{RoomId, now_ms};
use futures::StreamExt;
use redis::Msg;
use redis::aio::{PubSubSink, PubSubStream};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

/// The pause after a failed attempt to connect or to subscribe again.
const RETRY_AFTER: Duration = Duration::from_millis(250);
/// Failed attempts in a row between two warnings (about ten seconds): the others log at debug.
const WARN_EVERY: u32 = 40;
/// How often the connection is asked to prove it is alive.
const PING_EVERY: Duration = Duration::from_secs(3);
/// How long connecting, subscribing or a PING may take before the connection counts as dead.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);
/// A connection not heard from for this long is not ready (see [`Liveness::ready`]).
const SILENT_FOR_MS: u64 = 10_000;

pub enum Command {
    Subscribe(RoomId, oneshot::Sender<Result<(), BrokerError>>),
    Unsubscribe(RoomId),
}

/// What the subscriber last knew of its connection, for readiness.
#[derive(Default)]
pub struct Liveness {
    connected: AtomicBool,
    /// When the connection last answered, Unix ms.
    heard_at: AtomicU64,
}

impl Liveness {
    fn heard(&self) {
        self.connected.store(true, Ordering::Relaxed);
        self.heard_at.store(now_ms(), Ordering::Relaxed);
    }

    fn lost(&self) {
        self.connected.store(false, Ordering::Relaxed);
    }

    /// Whether the connection is up and answered recently; `Err` says what is wrong.
    pub fn ready(&self) -> Result<(), String> {
        if !self.connected.load(Ordering::Relaxed) {
            return Err("pub/sub: not connected to Redis".into());
        }
        let silent = now_ms().saturating_sub(self.heard_at.load(Ordering::Relaxed));
        if silent > SILENT_FOR_MS {
            return Err(format!("pub/sub: Redis silent for {} s", silent / 1000));
        }
        Ok(())
    }
}

/// What the task keeps across connections.
struct Subscriber {
    client: redis::Client,
    keys: Keys,
    commands: mpsc::UnboundedReceiver<Command>,
    deliveries: Deliveries,
    /// Rooms to follow: those subscribed now, and those to subscribe after a reconnect.
    wanted: HashSet<RoomId>,
    liveness: Arc<Liveness>,
}

/// Runs until the broker (the sender of `commands`) is dropped.
pub async fn run(
    client: redis::Client,
    keys: Keys,
    commands: mpsc::UnboundedReceiver<Command>,
    deliveries: Deliveries,
    liveness: Arc<Liveness>,
) {
    let mut task =
        Subscriber { client, keys, commands, deliveries, wanted: HashSet::new(), liveness };
    let mut reconnected = false;
    while let Some((mut sink, mut stream)) = task.connect_and_resubscribe().await {
        task.liveness.heard();
        if reconnected {
            tracing::info!(rooms = task.wanted.len(), "pub/sub connection to Redis is back");
            metrics::counter!(crate::metrics::PUBSUB_RECONNECTS).increment(1);
            let _ = task.deliveries.send(Delivery::Resync);
        }
        reconnected = true;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                command = task.commands.recv() => match command {
                    Some(command) => {
                        if !task.apply(command, Some(&mut sink)).await {
                            break;
                        }
                    }
                    None => return,
                },
                message = stream.next() => match message {
                    Some(message) => task.forward(&message),
                    None => {
                        tracing::warn!("pub/sub connection to Redis lost; reconnecting");
                        break;
                    }
                },
                _ = ping.tick() => match timeout(ANSWER_WITHIN, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => task.liveness.heard(),
                    _ => {
                        tracing::warn!("pub/sub connection to Redis went silent; replacing it");
                        break;
                    }
                },
            }
        }
        task.liveness.lost();
    }
}

impl Subscriber {
    /// A connection subscribed to every wanted room; `None` once the broker is gone. Commands
    /// keep being answered while Redis is away (subscribes fail at once).
    async fn connect_and_resubscribe(&mut self) -> Option<(PubSubSink, PubSubStream)> {
        let mut failures = 0u32;
        loop {
            match self.try_connect().await {
                Ok(connection) => return Some(connection),
                Err(err) if failures.is_multiple_of(WARN_EVERY) => {
                    tracing::warn!(%err, failures, "pub/sub connection to Redis failed; retrying");
                }
                Err(err) => tracing::debug!(%err, "pub/sub connection to Redis failed; retrying"),
            }
            failures += 1;
            let pause = tokio::time::sleep(RETRY_AFTER);
            tokio::pin!(pause);
            loop {
                tokio::select! {
                    () = &mut pause => break,
                    command = self.commands.recv() => match command {
                        Some(command) => {
                            self.apply(command, None).await;
                        }
                        None => return None,
                    },
                }
            }
        }
    }

    async fn try_connect(&self) -> Result<(PubSubSink, PubSubStream), BrokerError> {
        let connecting = timeout(ANSWER_WITHIN, self.client.get_async_pubsub()).await;
        let (mut sink, stream) = connecting.map_err(|_| BrokerError::TimedOut)??.split();
        if !self.wanted.is_empty() {
            let channels: Vec<String> =
                self.wanted.iter().map(|room| self.keys.room(room).channel).collect();
            let subscribing = timeout(ANSWER_WITHIN, sink.subscribe(&channels)).await;
            subscribing.map_err(|_| BrokerError::TimedOut)??;
        }
        Ok((sink, stream))
    }

    /// Applies one command on the connection, or records it while there is none. Returns
    /// false when the connection failed to answer (it must be replaced).
    async fn apply(&mut self, command: Command, sink: Option<&mut PubSubSink>) -> bool {
        match command {
            Command::Subscribe(room, ack) => {
                let channel = self.keys.room(&room).channel;
                let result = match sink {
                    Some(sink) => match timeout(ANSWER_WITHIN, sink.subscribe(channel)).await {
                        Ok(done) => done.map_err(BrokerError::from),
                        Err(_) => Err(BrokerError::TimedOut),
                    },
                    None => Err(BrokerError::Unreachable),
                };
                let alive = result.is_ok();
                // Wanted either way: the next connection subscribes it.
                self.wanted.insert(room);
                let _ = ack.send(result);
                alive
            }
            Command::Unsubscribe(room) => {
                self.wanted.remove(&room);
                match sink {
                    Some(sink) => {
                        let channel = self.keys.room(&room).channel;
                        timeout(ANSWER_WITHIN, sink.unsubscribe(channel)).await.is_ok()
                    }
                    None => true,
                }
            }
        }
    }

    /// Hands one pub/sub message to the hub, decoded once for every socket here.
    fn forward(&self, message: &Msg) {
        let Some(room) = self.keys.room_of_channel(message.get_channel_name()) else { return };
        let payload = message.get_payload_bytes();
        let event = std::str::from_utf8(payload)
            .map_err(|_| wire::WireError::Malformed("not UTF-8"))
            .and_then(wire::decode);
        match event {
            Ok(event) => {
                let _ = self.deliveries.send(Delivery::Event(Announcement::new(room, event)));
            }
            Err(err) => tracing::warn!(%err, "ignoring an unreadable room event"),
        }
    }
}
