//! Presence in Redis: a hash per room (`online`), changed by one Lua script that also announces
//! the new list on the room's channel when it changed.

use super::{Member, Presence, PresenceError, STALE_AFTER_MS};
use crate::redis_keys::Keys;
use app::model::{RoomId, Seat, now_ms};
use futures::future::{BoxFuture, FutureExt};
use redis::Script;
use redis::aio::ConnectionManager;
use std::sync::Arc;

pub struct RedisPresence {
    conn: ConnectionManager,
    keys: Keys,
    script: Arc<Script>,
}

impl RedisPresence {
    pub fn new(conn: ConnectionManager, keys: Keys) -> Self {
        RedisPresence {
            conn,
            keys,
            script: Arc::new(Script::new(include_str!("../lua/presence.lua"))),
        }
    }

    /// Runs the script: `op` is `online`, `offline` or `alive`; `args` follow its header.
    fn run(
        &self,
        room: &RoomId,
        op: &str,
        args: Vec<String>,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        let keys = self.keys.room(room);
        let (script, op) = (self.script.clone(), op.to_owned());
        let mut conn = self.conn.clone();
        async move {
            // Seat ids and names, alternating.
            let flat: Option<Vec<String>> = script
                .key(&keys.meta)
                .key(&keys.online)
                .arg(op)
                .arg(now_ms())
                .arg(STALE_AFTER_MS)
                .arg(&keys.channel)
                .arg(args)
                .invoke_async(&mut conn)
                .await
                .map_err(|err| {
                    crate::metrics::redis_failed(&err);
                    PresenceError(err.to_string())
                })?;
            let flat = flat.unwrap_or_default();
            Ok(flat
                .chunks_exact(2)
                .map(|pair| Seat { id: pair[0].clone(), name: pair[1].clone() })
                .collect())
        }
        .boxed()
    }
}

fn triples(members: Vec<Member>) -> Vec<String> {
    members.into_iter().flat_map(|m| [m.conn, m.seat.id, m.seat.name]).collect()
}

impl Presence for RedisPresence {
    fn join(
        &self,
        room: &RoomId,
        member: Member,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        self.run(room, "online", triples(vec![member]))
    }

    fn leave(
        &self,
        room: &RoomId,
        conn: &str,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        self.run(room, "offline", vec![conn.to_owned()])
    }

    fn refresh(
        &self,
        room: &RoomId,
        members: Vec<Member>,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        self.run(room, "alive", triples(members))
    }
}
