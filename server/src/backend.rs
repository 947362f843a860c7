//! Chooses and wires a backend: Redis (one server or a cluster) when a URL is set, else
//! embedded. A backend is a store, a
//! broker and presence, and the stream of events they deliver to this instance's hub.

use crate::address_secret::AddressSecret;
use crate::broker::Broker;
use crate::broker::memory::MemoryBroker;
use crate::broker::redis::RedisBroker;
use crate::event::Delivery;
use crate::health::{AlwaysReady, Readiness};
use crate::presence::Presence;
use crate::presence::memory::MemoryPresence;
use crate::presence::redis::RedisPresence;
use crate::redis_conn::{RedisConn, RedisMode, RedisTarget};
use crate::redis_keys::Keys;
use crate::store::{MemoryStore, RedisStore};
use crate::tasks::Tasks;
use app::store::{RoomStore, StoreLimits};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Backend {
    pub store: Arc<dyn RoomStore>,
    pub broker: Arc<dyn Broker>,
    pub presence: Arc<dyn Presence>,
    /// Whether they can serve now (`/readyz`).
    pub readiness: Arc<dyn Readiness>,
    /// What the three deliver to this instance.
    pub deliveries: mpsc::UnboundedReceiver<Delivery>,
    /// Which backend this is, for logs.
    pub kind: &'static str,
    /// The tasks the backend started, and every task of the instance built on it.
    pub tasks: Tasks,
}

impl Backend {
    /// The embedded backend: everything in this process.
    pub fn embedded(history: impl Into<StoreLimits>) -> Self {
        let (bus, deliveries) = mpsc::unbounded_channel();
        let tasks = Tasks::default();
        Backend {
            store: MemoryStore::start(bus.clone(), history.into(), &tasks),
            broker: Arc::new(MemoryBroker::new(bus.clone())),
            presence: Arc::new(MemoryPresence::new(bus)),
            readiness: Arc::new(AlwaysReady),
            deliveries,
            kind: "embedded",
            tasks,
        }
    }

    /// The Redis backend on one server; fails when Redis cannot be reached now.
    pub async fn redis(
        url: &str,
        prefix: &str,
        addresses: AddressSecret,
        history: impl Into<StoreLimits>,
    ) -> anyhow::Result<Self> {
        Self::redis_at(RedisTarget::single(url), prefix, addresses, history).await
    }

    /// The Redis backend on one server or a cluster, naming client addresses with the secret
    /// every instance sharing it holds; fails when it cannot be reached now or is not what
    /// `target.mode` says.
    pub async fn redis_at(
        target: RedisTarget,
        prefix: &str,
        addresses: AddressSecret,
        history: impl Into<StoreLimits>,
    ) -> anyhow::Result<Self> {
        let conn = RedisConn::connect(&target).await?;
        match persistence(&mut conn.clone()).await {
            Ok(Some(kept)) => tracing::warn!(
                %kept,
                "Redis keeps data on disk: messages would outlive their rooms there; run it without \
                 persistence (docs/OPERATIONS.md)"
            ),
            Ok(None) => {}
            Err(err) => tracing::debug!(%err, "could not ask Redis whether it persists"),
        }
        let keys = Keys::new(prefix);
        let (bus, deliveries) = mpsc::unbounded_channel();
        let tasks = Tasks::default();
        let kind = match target.mode {
            RedisMode::Single => "redis",
            RedisMode::Cluster => "redis-cluster",
        };
        let broker = RedisBroker::start(target, conn.clone(), keys.clone(), bus, &tasks);
        let store =
            Arc::new(RedisStore::new(conn.clone(), keys.clone(), addresses, history.into()));
        tasks.spawn_until_stopped(crate::store::redis::sweep_messages(Arc::downgrade(&store)));
        Ok(Backend {
            store,
            presence: Arc::new(RedisPresence::new(conn.clone(), keys)),
            readiness: Arc::new(RedisReadiness { conn, liveness: broker.liveness() }),
            broker: Arc::new(broker),
            deliveries,
            kind,
            tasks,
        })
    }
}

/// What Redis writes to disk (`save` snapshots, the append-only file), or `None` when it keeps
/// nothing there. Fails where `CONFIG` is not permitted (some managed Redis services).
pub async fn persistence(conn: &mut RedisConn) -> redis::RedisResult<Option<String>> {
    let config = |name: &'static str| redis::cmd("CONFIG").arg("GET").arg(name).clone();
    let (save, appendonly): (Vec<String>, Vec<String>) = redis::pipe()
        .add_command(config("save"))
        .add_command(config("appendonly"))
        .query_async(conn)
        .await?;
    let mut kept = Vec::new();
    if let Some(rules) = save.get(1).filter(|rules| !rules.trim().is_empty()) {
        kept.push(format!("snapshots (save {rules})"));
    }
    if appendonly.get(1).is_some_and(|on| on == "yes") {
        kept.push("an append-only file".to_owned());
    }
    Ok((!kept.is_empty()).then(|| kept.join(" and ")))
}

/// The Redis backend is ready when the store answers a PING and the pub/sub connection is up
/// and has answered lately.
struct RedisReadiness {
    conn: RedisConn,
    liveness: Arc<crate::broker::redis::Liveness>,
}

impl Readiness for RedisReadiness {
    fn check(&self) -> futures::future::BoxFuture<'static, Result<(), String>> {
        let mut conn = self.conn.clone();
        let subscribed = self.liveness.ready();
        Box::pin(async move {
            subscribed?;
            let ping = redis::cmd("PING");
            match tokio::time::timeout(
                Duration::from_secs(1),
                ping.query_async::<String>(&mut conn),
            )
            .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(err)) => Err(format!("store: {err}")),
                Err(_) => Err("store: Redis did not answer within 1 s".into()),
            }
        })
    }
}
