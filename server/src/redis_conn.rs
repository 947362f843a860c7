//! The connection every Redis command goes through, to one Redis server or to a Redis Cluster,
//! and the checks made on it at start-up. Stores, presence and the broker take a [`RedisConn`]
//! and never ask which it is, except for the one command that differs: a single server
//! publishes with `PUBLISH`, a cluster with `SPUBLISH` (sharded pub/sub, so an event travels
//! only through the master of its room's slot).

use anyhow::{Context, bail};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long connecting, or one answer, may take.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// What the Redis URLs point at.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedisMode {
    /// One Redis server (with replicas behind it or not).
    #[default]
    Single,
    /// A Redis Cluster (7.0 or newer): the URLs are seed nodes.
    Cluster,
}

/// Where to find Redis: one URL, or a cluster's seed nodes.
#[derive(Clone, Debug)]
pub struct RedisTarget {
    pub mode: RedisMode,
    pub urls: Vec<String>,
}

impl RedisTarget {
    pub fn single(url: &str) -> Self {
        RedisTarget { mode: RedisMode::Single, urls: vec![url.to_owned()] }
    }

    pub fn cluster(seeds: &[String]) -> Self {
        RedisTarget { mode: RedisMode::Cluster, urls: seeds.to_vec() }
    }

    /// The settings' URL list (comma-separated) in `mode`.
    pub fn from_setting(mode: RedisMode, urls: &str) -> Self {
        let urls = urls.split(',').map(str::trim).filter(|u| !u.is_empty()).map(String::from);
        RedisTarget { mode, urls: urls.collect() }
    }

    /// A cluster client for these seeds; `pushes` receives what the nodes push (RESP3).
    pub fn cluster_client(
        &self,
        pushes: Option<tokio::sync::mpsc::UnboundedSender<redis::PushInfo>>,
    ) -> anyhow::Result<ClusterClient> {
        let mut builder = ClusterClient::builder(self.urls.iter().map(String::as_str))
            .connection_timeout(ANSWER_WITHIN)
            .response_timeout(ANSWER_WITHIN)
            .retries(2)
            .max_retry_wait(500);
        if let Some(pushes) = pushes {
            builder = builder.use_protocol(redis::ProtocolVersion::RESP3).push_sender(pushes);
        }
        builder.build().context("the Redis Cluster seed URLs are not valid")
    }
}

/// A connection for commands: it reconnects by itself and, on a cluster, routes each command
/// to the master of its key's slot and follows `MOVED` and `ASK`.
#[derive(Clone)]
pub enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl RedisConn {
    /// Connects and checks the target is what the mode says, with a clear error otherwise.
    pub async fn connect(target: &RedisTarget) -> anyhow::Result<Self> {
        let Some(first) = target.urls.first() else { bail!("no Redis URL is set") };
        match target.mode {
            RedisMode::Single => {
                if target.urls.len() > 1 {
                    bail!(
                        "several Redis URLs are set but backend.redis-mode is single: set it to \
                         cluster to use them as a cluster's seed nodes"
                    );
                }
                let client =
                    redis::Client::open(first.as_str()).context("the Redis URL is not valid")?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(ANSWER_WITHIN))
                    .set_response_timeout(Some(ANSWER_WITHIN))
                    .set_max_delay(Duration::from_secs(1));
                let conn = ConnectionManager::new_with_config(client, config)
                    .await
                    .context("cannot reach Redis")?;
                let mut conn = RedisConn::Single(conn);
                if conn.cluster_enabled().await.unwrap_or(false) {
                    bail!(
                        "this Redis is a cluster node: set backend.redis-mode = cluster and give \
                         the cluster's nodes as backend.redis-url (docs/OPERATIONS.md)"
                    );
                }
                Ok(conn)
            }
            RedisMode::Cluster => {
                let client = target.cluster_client(None)?;
                let conn = client.get_async_connection().await.map_err(|err| {
                    // Only a server without cluster support gets the hint about cluster mode;
                    // a wrong password or an unreachable node is said as it is.
                    let hint = if err.to_string().contains("cluster support disabled") {
                        "; they are not cluster nodes: start them with cluster-enabled yes, or \
                         set backend.redis-mode = single"
                    } else {
                        ""
                    };
                    anyhow::anyhow!(
                        "cannot reach a working Redis Cluster at the seed nodes ({err}){hint}"
                    )
                })?;
                let mut conn = RedisConn::Cluster(conn);
                conn.check_cluster().await?;
                Ok(conn)
            }
        }
    }

    /// The command that announces an event on a room's channel: sharded on a cluster.
    pub fn publish_command(&self) -> &'static str {
        match self {
            RedisConn::Single(_) => "PUBLISH",
            RedisConn::Cluster(_) => "SPUBLISH",
        }
    }

    /// Whether the server runs in cluster mode (`INFO cluster`).
    async fn cluster_enabled(&mut self) -> redis::RedisResult<bool> {
        let info: String = redis::cmd("INFO").arg("cluster").query_async(self).await?;
        Ok(info.lines().any(|line| line.trim() == "cluster_enabled:1"))
    }

    /// A cluster must be healthy and every master must know sharded pub/sub (Redis 7).
    async fn check_cluster(&mut self) -> anyhow::Result<()> {
        let info: String = redis::cmd("CLUSTER")
            .arg("INFO")
            .query_async(self)
            .await
            .context("CLUSTER INFO failed: the seed nodes are not a Redis Cluster")?;
        if !info.lines().any(|line| line.trim() == "cluster_state:ok") {
            bail!("the Redis Cluster is not healthy (cluster_state is not ok)");
        }
        // Asked of every master: node address → its INFO.
        let masters: std::collections::HashMap<String, String> =
            redis::cmd("INFO").arg("server").query_async(self).await?;
        for (node, info) in masters {
            let major = info
                .lines()
                .find_map(|line| line.trim().strip_prefix("redis_version:"))
                .and_then(|v| v.split('.').next()?.parse::<u32>().ok());
            // Valkey answers INFO with a redis_version too (7.2.4 for every Valkey so far).
            match major {
                Some(major) if major >= 7 => {}
                Some(major) => bail!(
                    "the Redis Cluster node {node} runs Redis {major}: Burner needs 7 or newer \
                     (sharded pub/sub)"
                ),
                None => bail!("cannot tell the Redis version of cluster node {node}"),
            }
        }
        Ok(())
    }
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            RedisConn::Single(conn) => conn.req_packed_command(cmd),
            RedisConn::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            RedisConn::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            RedisConn::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RedisConn::Single(conn) => conn.get_db(),
            RedisConn::Cluster(conn) => conn.get_db(),
        }
    }
}

/// The cluster's slot ranges and the master that serves each, as `CLUSTER SLOTS` says, sorted.
pub type SlotRanges = Vec<(u16, u16, String)>;

/// Reads the slot map from the cluster.
pub async fn slot_ranges(conn: &mut RedisConn) -> redis::RedisResult<SlotRanges> {
    let reply: Vec<Value> = redis::cmd("CLUSTER").arg("SLOTS").query_async(conn).await?;
    let mut ranges = Vec::new();
    for entry in reply {
        let Value::Array(parts) = entry else { continue };
        let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(master))) =
            (parts.first(), parts.get(1), parts.get(2))
        else {
            continue;
        };
        let host = master.first().and_then(|v| redis::from_redis_value_ref::<String>(v).ok());
        let port = master.get(1).and_then(|v| redis::from_redis_value_ref::<i64>(v).ok());
        if let (Some(host), Some(port), Ok(start), Ok(end)) =
            (host, port, u16::try_from(*start), u16::try_from(*end))
        {
            ranges.push((start, end, format!("{host}:{port}")));
        }
    }
    ranges.sort();
    Ok(ranges)
}

/// The cluster slot of a key or channel (CRC16/XMODEM of its hash tag, mod 16384), as Redis
/// computes it.
pub fn slot(key: &str) -> u16 {
    let bytes = key.as_bytes();
    let tagged = key
        .find('{')
        .and_then(|open| {
            let close = key[open + 1..].find('}')?;
            (close > 0).then(|| &bytes[open + 1..open + 1 + close])
        })
        .unwrap_or(bytes);
    crc16::State::<crc16::XMODEM>::calculate(tagged) % 16384
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_computed_as_redis_computes_them() {
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(slot("123456789"), 0x31C3);
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("{user1000}.following"), slot("user1000"));
        assert_eq!(slot("burner:{abc}:events"), slot("abc"));
    }

    #[test]
    fn a_url_list_is_split_and_trimmed() {
        let target = RedisTarget::from_setting(RedisMode::Cluster, " redis://a:1, redis://b:2 ,");
        assert_eq!(target.urls, ["redis://a:1", "redis://b:2"]);
    }
}
