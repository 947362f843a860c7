//! Presence in Redis: a hash per room (`online`), changed by one Lua script that also announces
//! the new list on the room's channel when it changed.

use super::{Member, Presence, PresenceError, STALE_AFTER_MS};
use crate::event::wire;
use crate::redis_conn::RedisConn;
use crate::redis_keys::Keys;
use app::model::{RoomId, Seat, now_ms};
use futures::future::{BoxFuture, FutureExt};
use redis::Script;
use std::sync::Arc;

pub struct RedisPresence {
    conn: RedisConn,
    keys: Keys,
    script: Arc<Script>,
}

impl RedisPresence {
    pub fn new(conn: RedisConn, keys: Keys) -> Self {
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
        args: Result<Vec<String>, wire::WireError>,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        let keys = self.keys.room(room);
        let (script, op) = (self.script.clone(), op.to_owned());
        let mut conn = self.conn.clone();
        let publish = conn.publish_command();
        async move {
            let records: Option<Vec<String>> = script
                .key(&keys.meta)
                .key(&keys.online)
                .arg(op)
                .arg(now_ms())
                .arg(STALE_AFTER_MS)
                .arg(&keys.channel)
                .arg(publish)
                .arg(wire::ONLINE)
                .arg(wire::SEPARATOR)
                .arg(args?)
                .invoke_async(&mut conn)
                .await
                .inspect_err(crate::metrics::redis_failed)?;
            let records = records.unwrap_or_default();
            Ok(records.iter().map(|record| wire::read_seat(record)).collect::<Result<_, _>>()?)
        }
        .boxed()
    }
}

/// Each member as its connection id and seat record.
fn pairs(members: Vec<Member>) -> Result<Vec<String>, wire::WireError> {
    let mut args = Vec::with_capacity(2 * members.len());
    for Member { conn, seat } in members {
        args.push(conn);
        args.push(wire::seat(&seat)?);
    }
    Ok(args)
}

impl Presence for RedisPresence {
    fn join(
        &self,
        room: &RoomId,
        member: Member,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        self.run(room, "online", pairs(vec![member]))
    }

    fn leave(
        &self,
        room: &RoomId,
        conn: &str,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        self.run(room, "offline", Ok(vec![conn.to_owned()]))
    }

    fn refresh(
        &self,
        room: &RoomId,
        members: Vec<Member>,
    ) -> BoxFuture<'static, Result<Vec<Seat>, PresenceError>> {
        self.run(room, "alive", pairs(members))
    }
}
