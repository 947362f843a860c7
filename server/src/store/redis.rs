//! The Redis store: rooms shared by every instance, with join, post, leave and destroy as Lua
//! scripts (atomic), all of a room's keys expiring at its deadline, and seat tokens stored
//! only as SHA-256.

use crate::address_secret::AddressSecret;
use crate::event::{RoomEvent, wire};
use crate::redis_conn::RedisConn;
use crate::redis_keys::Keys;
use app::model::{Destroyers, EndReason, History, RoomId, Seat, now_ms};
use app::seat::TokenHash;
use app::store::{Creator, Posted, RoomInfo, RoomStore, StoreError, StoreLimits, Window};
use async_trait::async_trait;
use redis::{AsyncCommands, Script};
use std::collections::HashMap;
use std::time::Duration;

pub struct RedisStore {
    conn: RedisConn,
    keys: Keys,
    /// Names client addresses in the per-address sets.
    addresses: AddressSecret,
    history: StoreLimits,
    scripts: Scripts,
}

struct Scripts {
    create: Script,
    join: Script,
    post: Script,
    history: Script,
    leave: Script,
    destroy: Script,
    trim: Script,
    schedule: Script,
}

/// A Redis command that failed: counted, and kept for the log.
fn failed(err: redis::RedisError) -> StoreError {
    crate::metrics::redis_failed(&err);
    StoreError::backend(err)
}

/// A script answered what it never answers.
#[derive(Debug, thiserror::Error)]
#[error("the {script} script answered {reply:?}")]
struct UnexpectedReply {
    script: &'static str,
    reply: Vec<String>,
}

fn unexpected(script: &'static str, reply: &[String]) -> StoreError {
    StoreError::backend(UnexpectedReply { script, reply: reply.to_vec() })
}

impl RedisStore {
    pub fn new(
        conn: RedisConn,
        keys: Keys,
        addresses: AddressSecret,
        history: StoreLimits,
    ) -> Self {
        let scripts = Scripts {
            create: Script::new(include_str!("../lua/create.lua")),
            join: Script::new(include_str!("../lua/join.lua")),
            post: Script::new(include_str!("../lua/post.lua")),
            history: Script::new(include_str!("../lua/history.lua")),
            leave: Script::new(include_str!("../lua/leave.lua")),
            destroy: Script::new(include_str!("../lua/destroy.lua")),
            trim: Script::new(include_str!("../lua/trim.lua")),
            schedule: Script::new(include_str!("../lua/schedule.lua")),
        };
        RedisStore { conn, keys, addresses, history, scripts }
    }
}

#[async_trait]
impl RoomStore for RedisStore {
    async fn create_room(
        &self,
        ttl: Duration,
        capacity: u8,
        verifier: &str,
        creator: Option<Creator<'_>>,
        destroyers: Destroyers,
        message_timer: Option<Duration>,
    ) -> Result<RoomInfo, StoreError> {
        let id = RoomId::generate();
        let keys = self.keys.room(&id);
        let created_at = now_ms();
        let expires_at = created_at + u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX / 2);
        let mut conn = self.conn.clone();
        let mut fields = vec![
            ("created_at", created_at.to_string()),
            ("expires_at", expires_at.to_string()),
            ("capacity", capacity.to_string()),
            ("verifier", verifier.to_owned()),
        ];
        if destroyers == Destroyers::Creator {
            fields.push(("destroyers", "creator".to_owned()));
        }
        let message_timer_ms =
            message_timer.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        if let Some(timer) = message_timer_ms {
            fields.push(("timer", timer.to_string()));
        }
        // The creator's set is in another slot than the room's keys: counted first, on its own.
        // Its entry for this room is random, so the set never names the room.
        if let Some(creator) = creator {
            let set = self.keys.creator(&self.addresses.name(creator.key));
            let entry = nanoid::nanoid!(16);
            let counted: i64 = self
                .scripts
                .create
                .key(&set)
                .arg(created_at)
                .arg(expires_at)
                .arg(&entry)
                .arg(creator.max_alive)
                .invoke_async(&mut conn)
                .await
                .map_err(failed)?;
            if counted == 0 {
                return Err(StoreError::TooManyRooms { max_alive: creator.max_alive });
            }
            fields.push(("creator", set));
            fields.push(("creator_entry", entry));
        }
        redis::pipe()
            .atomic()
            .hset_multiple(&keys.meta, &fields)
            .ignore()
            .cmd("PEXPIREAT")
            .arg(&keys.meta)
            .arg(expires_at)
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(failed)?;
        let verifier = Some(verifier.to_owned());
        Ok(RoomInfo {
            id,
            created_at,
            expires_at,
            capacity,
            seated: 0,
            key_check: None,
            verifier,
            destroyers,
            creator_seat: None,
            message_timer_ms,
        })
    }

    async fn room(&self, room: &RoomId) -> Result<Option<RoomInfo>, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let (mut meta, seated): (HashMap<String, String>, u8) = redis::pipe()
            .hgetall(&keys.meta)
            .hlen(&keys.seats)
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        let number = |name: &str| meta.get(name).and_then(|v| v.parse::<u64>().ok());
        let (Some(created_at), Some(expires_at), Some(capacity)) =
            (number("created_at"), number("expires_at"), number("capacity"))
        else {
            return Ok(None);
        };
        let capacity = u8::try_from(capacity).map_err(StoreError::backend)?;
        let (key_check, verifier) = (meta.remove("check"), meta.remove("verifier"));
        let destroyers = match meta.get("destroyers").map(String::as_str) {
            Some("creator") => Destroyers::Creator,
            _ => Destroyers::Anyone,
        };
        let creator_seat = meta.remove("creator_seat");
        let message_timer_ms = meta.get("timer").and_then(|v| v.parse::<u64>().ok());
        let id = room.clone();
        Ok(Some(RoomInfo {
            id,
            created_at,
            expires_at,
            capacity,
            seated,
            key_check,
            verifier,
            destroyers,
            creator_seat,
            message_timer_ms,
        }))
    }

    async fn claim_seat(
        &self,
        room: &RoomId,
        token: &TokenHash,
        seat: &Seat,
        key_check: Option<&str>,
    ) -> Result<Seat, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let reply: Vec<String> = self
            .scripts
            .join
            .key(&keys.meta)
            .key(&keys.seats)
            .arg(token.as_str())
            .arg(wire::seat(seat).map_err(StoreError::backend)?)
            .arg(key_check.unwrap_or(""))
            .arg(&seat.id)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        match reply.as_slice() {
            [status, seat] if status == "ok" => read_seat(seat),
            [status] if status == "full" => Err(StoreError::Full),
            [status] if status == "taken" => Err(StoreError::SeatIdTaken),
            [status] if status == "gone" => Err(StoreError::Gone),
            other => Err(unexpected("join", other)),
        }
    }

    async fn seat(&self, room: &RoomId, token: &TokenHash) -> Result<Option<Seat>, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let seat: Option<String> = conn.hget(&keys.seats, token.as_str()).await.map_err(failed)?;
        seat.as_deref().map(read_seat).transpose()
    }

    async fn leave(&self, room: &RoomId, token: &TokenHash) -> Result<bool, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let released: i64 = self
            .scripts
            .leave
            .key(&keys.meta)
            .key(&keys.seats)
            .arg(token.as_str())
            .arg(&keys.channel)
            .arg(self.conn.publish_command())
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        match released {
            -1 => Err(StoreError::Gone),
            n => Ok(n == 1),
        }
    }

    async fn post(
        &self,
        room: &RoomId,
        token: &TokenHash,
        client_id: &str,
        body: &str,
    ) -> Result<Posted, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let content = wire::content(&crate::store::message_id(), client_id, body, now_ms())
            .map_err(StoreError::backend)?;
        let reply: Vec<String> = self
            .scripts
            .post
            .key(&keys.meta)
            .key(&keys.seats)
            .key(&keys.log)
            .key(&keys.seq)
            .key(&keys.sent)
            .arg(token.as_str())
            .arg(client_id)
            .arg(content)
            .arg(self.history.messages)
            .arg(self.history.bytes)
            .arg(&keys.channel)
            .arg(self.conn.publish_command())
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        match reply.as_slice() {
            [status, seq, timer, deadline] if status == "ok" => {
                let Ok(seq) = seq.parse() else { return Err(unexpected("post", &reply)) };
                // A message that made its room's log, in a room with a timer: the room is to be
                // swept when it is due, and at the latest when the room ends (the timed set
                // names no room past its deadline). Later messages are followed by the sweeper.
                if let (Ok(timer), Ok(deadline)) = (timer.parse::<u64>(), deadline.parse::<u64>()) {
                    let due = now_ms().saturating_add(timer).min(deadline);
                    self.schedule_sweep(room, due, deadline).await;
                }
                Ok(Posted::Stored { seq })
            }
            [status, entry] if status == "dup" => Ok(Posted::Duplicate(read_message(entry)?)),
            [status] if status == "gone" => Err(StoreError::Gone),
            [status] if status == "no_seat" => Err(StoreError::NotSeated),
            other => Err(unexpected("post", other)),
        }
    }

    async fn history_page(&self, room: &RoomId, window: Window) -> Result<History, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let reply: Option<(u64, u8, u8, Vec<String>, u64)> = self
            .scripts
            .history
            .key(&keys.meta)
            .key(&keys.log)
            .key(&keys.seq)
            .arg(window.after)
            .arg(window.before.unwrap_or(0))
            .arg(window.limit)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        let (seq, truncated, more, stored, timer) = reply.ok_or(StoreError::Gone)?;
        let (timer, now) = ((timer > 0).then_some(timer), now_ms());
        // An entry that cannot be read (written by another version, say) is left out, said in
        // the log, rather than making the whole room unreadable.
        let messages = stored
            .iter()
            .filter_map(|entry| {
                wire::decode_message(entry)
                    .inspect_err(|err| tracing::warn!(%err, "unreadable history entry"))
                    .ok()
            })
            .filter(|message| !app::model::message_expired(message.ts, timer, now))
            .collect();
        Ok(History { messages, seq, truncated: truncated == 1, more: more == 1 })
    }

    async fn destroy(&self, room: &RoomId) -> Result<bool, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let mut invocation = self.scripts.destroy.prepare_invoke();
        for key in keys.all() {
            invocation.key(key);
        }
        // Who created it, so the room stops counting against them at once.
        let (set, entry): (Option<String>, Option<String>) =
            conn.hmget(&keys.meta, &["creator", "creator_entry"]).await.map_err(failed)?;
        let ended = wire::encode(&RoomEvent::Ended(EndReason::Destroyed));
        let existed: i64 = invocation
            .arg(&keys.channel)
            .arg(ended.map_err(StoreError::backend)?)
            .arg(self.conn.publish_command())
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        // The shared keys, in other slots, name the room no more. Best effort: each entry also
        // goes by the room's deadline.
        let _: Result<(), _> = conn
            .zrem(self.keys.timed(), room.as_str())
            .await
            .inspect_err(crate::metrics::redis_failed);
        if let (Some(set), Some(entry)) = (set, entry) {
            let _: Result<(), _> =
                conn.zrem(&set, entry).await.inspect_err(crate::metrics::redis_failed);
        }
        Ok(existed == 1)
    }
}

impl RedisStore {
    /// Asks for `room` (which ends at `deadline`) to be swept at `due` (or earlier, if it
    /// already is).
    async fn schedule_sweep(&self, room: &RoomId, due: u64, deadline: u64) {
        let mut conn = self.conn.clone();
        let scheduled = self
            .scripts
            .schedule
            .key(self.keys.timed())
            .arg(due)
            .arg(room.as_str())
            .arg(deadline)
            .invoke_async::<()>(&mut conn)
            .await;
        // Best effort: the message is never read back past its timer either way.
        let _ = scheduled.inspect_err(crate::metrics::redis_failed);
    }

    /// Removes the messages past their timer from the rooms due for it; returns how many rooms
    /// were swept. Every instance sweeps: each step is idempotent. Rooms due are swept a batch
    /// at a time, up to [`SWEEP_BATCHES`] batches a call.
    pub async fn sweep_timed(&self) -> Result<usize, StoreError> {
        let mut conn = self.conn.clone();
        let now = now_ms();
        let mut swept = 0;
        for _ in 0..SWEEP_BATCHES {
            let due: Vec<String> = redis::cmd("ZRANGEBYSCORE")
                .arg(self.keys.timed())
                .arg("-inf")
                .arg(now)
                .arg("LIMIT")
                .arg(0)
                .arg(SWEEP_BATCH)
                .query_async(&mut conn)
                .await
                .map_err(failed)?;
            for id in &due {
                match id.parse::<RoomId>() {
                    Ok(room) => self.sweep_room(&room, now).await?,
                    // Not a room of ours: nothing to sweep, ever.
                    Err(_) => conn.zrem(self.keys.timed(), id).await.map_err(failed)?,
                }
            }
            swept += due.len();
            // Each room swept is rescheduled after `now` or removed: the next batch is new.
            if due.len() < SWEEP_BATCH {
                break;
            }
        }
        Ok(swept)
    }

    /// Removes `room`'s messages past its timer, however many, and says when to look again:
    /// when its oldest message left is due, or (none left) a timer from now; never later than
    /// the room's end, when the room leaves the timed set.
    async fn sweep_room(&self, room: &RoomId, now: u64) -> Result<(), StoreError> {
        let keys = self.keys.room(room);
        let timed = self.keys.timed();
        let mut conn = self.conn.clone();
        let (timer, deadline): (Option<u64>, Option<u64>) =
            conn.hmget(&keys.meta, &["timer", "expires_at"]).await.map_err(failed)?;
        let (Some(timer), Some(deadline)) = (timer, deadline) else {
            // Gone (or never timed): nothing to sweep again.
            let _: () = conn.zrem(&timed, room.as_str()).await.map_err(failed)?;
            return Ok(());
        };
        let next = loop {
            let oldest: Vec<String> =
                conn.lrange(&keys.log, 0, SWEEP_BATCH as isize - 1).await.map_err(failed)?;
            let messages: Vec<_> =
                oldest.iter().filter_map(|entry| wire::decode_message(entry).ok()).collect();
            let live = messages.iter().position(|m| m.ts.saturating_add(timer) > now);
            let expired = &messages[..live.unwrap_or(messages.len())];
            if let Some(last) = expired.last() {
                let left: i64 = self
                    .scripts
                    .trim
                    .key(&keys.meta)
                    .key(&keys.log)
                    .arg(last.seq)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(failed)?;
                if left < 0 {
                    let _: () = conn.zrem(&timed, room.as_str()).await.map_err(failed)?;
                    return Ok(());
                }
            }
            match live {
                Some(first) => break messages.get(first).map(|m| m.ts.saturating_add(timer)),
                // A whole batch had expired: more may have.
                None if oldest.len() == SWEEP_BATCH && !expired.is_empty() => continue,
                None => break None,
            }
        };
        let next = next.unwrap_or(now.saturating_add(timer)).min(deadline);
        let _: () = redis::cmd("ZADD")
            .arg(&timed)
            .arg("XX")
            .arg(next)
            .arg(room.as_str())
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(())
    }
}

/// Rooms swept, and entries read from a log, at a time.
const SWEEP_BATCH: usize = 100;
/// Batches of rooms one sweep takes at most (the rest wait a second).
const SWEEP_BATCHES: usize = 10;

/// Sweeps the rooms with disappearing messages every second while the store lives.
pub async fn sweep_messages(store: std::sync::Weak<RedisStore>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        let Some(store) = store.upgrade() else { return };
        if let Err(err) = store.sweep_timed().await {
            tracing::debug!(%err, "sweeping disappearing messages failed; trying again");
        }
    }
}

fn read_seat(record: &str) -> Result<Seat, StoreError> {
    wire::read_seat(record).map_err(StoreError::backend)
}

fn read_message(entry: &str) -> Result<app::model::ChatMessage, StoreError> {
    wire::decode_message(entry).map_err(StoreError::backend)
}
