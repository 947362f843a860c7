//! Chooses and wires a store and a broker: Redis when a URL is set, else embedded.

use crate::broker::memory::MemoryBroker;
use crate::broker::redis::RedisBroker;
use crate::broker::{Broker, Delivery};
use crate::redis_keys::Keys;
use crate::store::{MemoryStore, RedisStore};
use anyhow::Context;
use app::store::RoomStore;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// A store, a broker, and the stream of events both deliver to this instance.
pub struct Backend {
    pub store: Arc<dyn RoomStore>,
    pub broker: Arc<dyn Broker>,
    pub deliveries: mpsc::UnboundedReceiver<Delivery>,
    /// Which backend this is, for logs.
    pub kind: &'static str,
    /// The embedded store itself, when that is the backend (for its room count).
    pub embedded: Option<Arc<MemoryStore>>,
}

impl Backend {
    /// The embedded backend: everything in this process.
    pub fn embedded(history_cap: u32) -> Self {
        let (bus, deliveries) = mpsc::unbounded_channel();
        let store = MemoryStore::start(bus.clone(), history_cap);
        let broker = Arc::new(MemoryBroker::new(bus));
        Backend {
            store: store.clone(),
            broker,
            deliveries,
            kind: "embedded",
            embedded: Some(store),
        }
    }

    /// The Redis backend; fails when Redis cannot be reached now.
    pub async fn redis(url: &str, prefix: &str, history_cap: u32) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).with_context(|| format!("Redis URL {url:?}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach Redis at {url}: {e}"))?;
        let keys = Keys::new(prefix);
        let (bus, deliveries) = mpsc::unbounded_channel();
        let store = Arc::new(RedisStore::new(conn.clone(), keys.clone(), history_cap));
        let broker = Arc::new(RedisBroker::start(client, conn, keys, bus));
        Ok(Backend { store, broker, deliveries, kind: "redis", embedded: None })
    }
}
