//! The subscriber task. It keeps Burner's own record of the rooms this instance wants, applies
//! subscribe and unsubscribe commands in the order they were made, and forwards each message to
//! the hub.
//!
//! It proves the whole path works, not only that a connection is open: every [`PROBE_EVERY`] it
//! publishes a probe through the command connection on a channel of its own (on a cluster, one
//! per master) and expects to hear it on its subscription. A link that is lost, silent, missing
//! a probe, told by Redis that a subscription ended (a slot moved, a master became a replica),
//! or on a cluster whose slot map changed, is dropped and a new one subscribed to every wanted
//! room; then the hub is asked to resync every socket from the store, since events may have
//! been missed meanwhile.
//!
//! When the path stays broken for [`BROKEN_AFTER`], the instance says so in `/readyz` and closes
//! the affected sockets with 1012, so their clients reconnect, through the load balancer, to an
//! instance that works. On a cluster "affected" means the rooms served by the failing masters.

use super::link::{Connector, Heard, Link};
use super::liveness::{BROKEN_AFTER, Liveness};
use super::probe::{Awaited, Probes};
use crate::broker::BrokerError;
use crate::event::{Announcement, Delivery, DeliveryBus, wire};
use crate::redis_conn::{RedisConn, slot};
use crate::redis_keys::Keys;
use crate::tasks::Tasks;
use app::model::RoomId;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The pause after a failed attempt to connect.
const RETRY_AFTER: Duration = Duration::from_millis(250);
/// Failed attempts in a row between two warnings (about ten seconds): the others log at debug.
const WARN_EVERY: u32 = 40;
/// How often the path is proved with a probe (and, on a cluster, the slot map read).
const PROBE_EVERY: Duration = Duration::from_secs(2);
pub enum Command {
    Subscribe(RoomId, oneshot::Sender<Result<(), BrokerError>>),
    Unsubscribe(RoomId),
}

/// Why a link was dropped: which rooms' path failed (`None`: all of them).
type Failed = Option<Vec<(u16, u16)>>;

/// What the task keeps across links.
struct Subscriber {
    /// The instance's tasks: probes run among them.
    tasks: Tasks,
    connector: Connector,
    conn: RedisConn,
    keys: Keys,
    commands: mpsc::UnboundedReceiver<Command>,
    deliveries: DeliveryBus,
    /// Rooms to follow: those subscribed now, and those to subscribe on the next link.
    wanted: HashSet<RoomId>,
    /// Wanted rooms the current link could not subscribe yet (their master is away).
    missing: HashSet<RoomId>,
    liveness: Arc<Liveness>,
    /// This instance's probe name.
    instance: String,
    /// Since when the path has not been proved to work.
    failing_since: Option<Instant>,
    /// When the affected sockets were last sent elsewhere.
    sent_away_at: Option<Instant>,
}

/// Runs until the broker (the sender of `commands`) is dropped.
pub async fn run(
    connector: Connector,
    conn: RedisConn,
    keys: Keys,
    commands: mpsc::UnboundedReceiver<Command>,
    deliveries: DeliveryBus,
    liveness: Arc<Liveness>,
    tasks: Tasks,
) {
    let mut task = Subscriber {
        tasks,
        connector,
        conn,
        keys,
        commands,
        deliveries,
        wanted: HashSet::new(),
        missing: HashSet::new(),
        liveness,
        instance: nanoid::nanoid!(10),
        failing_since: None,
        sent_away_at: None,
    };
    let mut reconnected = false;
    while let Some((mut link, probes)) = task.connect_and_resubscribe().await {
        if reconnected {
            // Rooms whose master is still away are retried (and said when they are back).
            tracing::info!(
                rooms = task.wanted.len(),
                waiting = task.missing.len(),
                "pub/sub link to Redis is back"
            );
            metrics::counter!(crate::metrics::PUBSUB_RECONNECTS).increment(1);
            let _ = task.deliveries.send(Delivery::Resync);
        }
        reconnected = true;
        let failed = task.serve(&mut link, &probes).await;
        let Some(failed) = failed else { return };
        task.failing(failed, true);
    }
}

impl Subscriber {
    /// Serves one link until it must be replaced (returns what failed) or the broker is gone
    /// (`None`).
    async fn serve(&mut self, link: &mut Link, probes: &Probes) -> Option<Failed> {
        let (observed, mut observations) = mpsc::unbounded_channel();
        let (published, mut publications) = mpsc::unbounded_channel();
        let mut awaited = Awaited::default();
        let mut round = 0u64;
        let mut tick = tokio::time::interval(PROBE_EVERY);
        loop {
            tokio::select! {
                command = self.commands.recv() => {
                    let command = command?;
                    if !self.apply(command, Some(link)).await {
                        tracing::warn!("pub/sub link to Redis stopped answering; replacing it");
                        return Some(None);
                    }
                }
                heard = link.next() => match heard {
                    Heard::Message { channel, payload } => {
                        if awaited.heard(&channel, &payload) {
                            self.proved();
                        }
                        self.forward(&channel, &payload);
                    }
                    Heard::Unsubscribed(channel) => {
                        if let Some(ranges) = probes.unrequested(&channel, &self.keys, &self.wanted) {
                            // The channel names a room: said at debug only.
                            tracing::debug!(%channel, "Redis ended a subscription");
                            tracing::warn!("Redis ended a subscription (a slot moved?); resubscribing");
                            return Some(ranges);
                        }
                    }
                    Heard::Lost => {
                        tracing::warn!("pub/sub link to Redis lost; reconnecting");
                        return Some(None);
                    }
                },
                Some(topology) = observations.recv() => {
                    if probes.topology.is_some() && probes.topology != topology {
                        tracing::info!("the Redis Cluster's slot map changed; resubscribing");
                        return Some(None);
                    }
                }
                Some(publication) = publications.recv() => awaited.published(publication),
                now = tick.tick() => {
                    let overdue = awaited.overdue(now);
                    if !overdue.is_empty() {
                        tracing::warn!("a pub/sub probe did not come back; replacing the link");
                        let ranges = overdue
                            .iter()
                            .flat_map(|channel| probes.channels.get(channel).cloned().unwrap_or_default());
                        return Some(probes.topology.as_ref().map(|_| ranges.collect()));
                    }
                    self.retry_missing(link).await;
                    round += 1;
                    awaited.sent(probes.channels.keys(), round);
                    probes.publish(&self.conn, round, &self.tasks, observed.clone(), published.clone());
                }
            }
        }
    }

    /// Every probe came back and every wanted room is subscribed: the path works.
    fn proved(&mut self) {
        if self.missing.is_empty() {
            self.liveness.heard();
            self.failing_since = None;
        }
    }

    /// The path failed (`failed`: the slot ranges whose masters failed, or all): after
    /// [`BROKEN_AFTER`] the instance is unready and the affected sockets are sent elsewhere.
    /// `link_down`: the link itself failed (not only some rooms' masters).
    fn failing(&mut self, failed: Failed, link_down: bool) {
        let now = Instant::now();
        let since = *self.failing_since.get_or_insert(now);
        if link_down {
            self.liveness.connected.store(false, Ordering::Relaxed);
        }
        if now.duration_since(since) < BROKEN_AFTER {
            return;
        }
        self.liveness.broken.store(true, Ordering::Relaxed);
        if self.sent_away_at.is_some_and(|at| now.duration_since(at) < BROKEN_AFTER) {
            return;
        }
        self.sent_away_at = Some(now);
        let rooms: Vec<RoomId> = self
            .wanted
            .iter()
            .filter(|room| {
                self.missing.contains(*room)
                    || failed.as_ref().is_none_or(|ranges| {
                        let slot = slot(room.as_str());
                        ranges.iter().any(|(start, end)| (*start..=*end).contains(&slot))
                    })
            })
            .cloned()
            .collect();
        tracing::error!(
            rooms = rooms.len(),
            "no working pub/sub path to Redis for {} s: sending those rooms' sockets elsewhere",
            now.duration_since(since).as_secs()
        );
        if !rooms.is_empty() {
            let _ = self.deliveries.send(Delivery::Reconnect(rooms));
        }
    }

    /// A link subscribed to every wanted room it can reach; `None` once the broker is gone.
    /// Commands keep being answered while Redis is away (subscribes fail at once).
    async fn connect_and_resubscribe(&mut self) -> Option<(Link, Probes)> {
        let mut failures = 0u32;
        loop {
            match self.try_connect().await {
                Ok(connected) => return Some(connected),
                Err(err) if failures.is_multiple_of(WARN_EVERY) => {
                    tracing::warn!(%err, failures, "pub/sub link to Redis failed; retrying");
                }
                Err(err) => tracing::debug!(%err, "pub/sub link to Redis failed; retrying"),
            }
            failures += 1;
            self.failing(None, true);
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

    async fn try_connect(&mut self) -> Result<(Link, Probes), BrokerError> {
        let mut probes = Probes::make(&mut self.conn, &self.keys, &self.instance).await?;
        let mut link = self.connector.connect().await?;
        let cluster = probes.topology.is_some();
        let channels: Vec<String> = probes.channels.keys().cloned().collect();
        for channel in channels {
            match link.subscribe(&channel).await {
                Ok(()) => {}
                // A master that is away is not probed: its rooms wait among the missing.
                Err(err) if cluster => {
                    tracing::debug!(%err, %channel, "cannot subscribe a probe channel yet");
                    probes.channels.remove(&channel);
                }
                Err(err) => return Err(err),
            }
        }
        self.missing.clear();
        for room in &self.wanted {
            let channel = self.keys.room(room).channel;
            match link.subscribe(&channel).await {
                Ok(()) => {}
                // On a cluster a room whose master is away waits; the others are served.
                Err(err) if cluster => {
                    tracing::debug!(%err, %room, "cannot subscribe a room yet");
                    self.missing.insert(room.clone());
                }
                Err(err) => return Err(err),
            }
        }
        Ok((link, probes))
    }

    /// Subscribes the rooms whose master was away, now that it may be back.
    async fn retry_missing(&mut self, link: &mut Link) {
        if self.missing.is_empty() {
            return;
        }
        let rooms: Vec<RoomId> = self.missing.iter().cloned().collect();
        for room in rooms {
            if link.subscribe(&self.keys.room(&room).channel).await.is_ok() {
                self.missing.remove(&room);
            }
        }
        if self.missing.is_empty() {
            tracing::info!("every room is subscribed again");
            let _ = self.deliveries.send(Delivery::Resync);
        } else {
            self.failing(Some(Vec::new()), false);
        }
    }

    /// Applies one command on the link, or records it while there is none. Returns false when
    /// the link failed to answer (it must be replaced).
    async fn apply(&mut self, command: Command, link: Option<&mut Link>) -> bool {
        match command {
            Command::Subscribe(room, ack) => {
                let channel = self.keys.room(&room).channel;
                let result = match link {
                    Some(link) => link.subscribe(&channel).await,
                    None => Err(BrokerError::Unreachable),
                };
                // Wanted either way: the next link subscribes it.
                self.wanted.insert(room.clone());
                let cluster = matches!(self.conn, RedisConn::Cluster(_));
                let alive = result.is_ok() || cluster;
                if result.is_err() && cluster {
                    self.missing.insert(room);
                }
                let _ = ack.send(result);
                alive
            }
            Command::Unsubscribe(room) => {
                self.wanted.remove(&room);
                self.missing.remove(&room);
                match link {
                    Some(link) => {
                        let channel = self.keys.room(&room).channel;
                        !matches!(link.unsubscribe(&channel).await, Err(BrokerError::TimedOut))
                    }
                    None => true,
                }
            }
        }
    }

    /// Hands one pub/sub message to the hub, decoded once for every socket here.
    fn forward(&self, channel: &str, payload: &[u8]) {
        let Some(room) = self.keys.room_of_channel(channel) else { return };
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
