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
use redis::AsyncCommands;
use std::collections::HashMap;
use std::time::Duration;

mod scripts;
mod sweeper;

use scripts::{Scripts, failed, read_message, read_seat, unexpected};

pub use sweeper::sweep_messages;

pub struct RedisStore {
    conn: RedisConn,
    keys: Keys,
    /// Names client addresses in the per-address sets.
    addresses: AddressSecret,
    history: StoreLimits,
    scripts: Scripts,
}

/// The meta field that remembers a token whose seat the creator removed.
fn removed_field(token: &TokenHash) -> String {
    format!("removed:{}", token.as_str())
}

impl RedisStore {
    /// The answer when no seat was found to act on: `false` in a live room, else `Gone`.
    async fn nothing_held(&self, meta: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let exists: bool = conn.exists(meta).await.map_err(failed)?;
        if exists { Ok(false) } else { Err(StoreError::Gone) }
    }

    /// Frees the seat `token` holds (its record as read: the script frees nothing if the token
    /// holds another now) and publishes `event`; `mark` (a meta field, or empty) remembers the
    /// token as removed.
    async fn release(
        &self,
        room: &RoomId,
        token: &TokenHash,
        record: &str,
        event: &RoomEvent,
        mark: &str,
    ) -> Result<bool, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let released: i64 = self
            .scripts
            .leave
            .key(&keys.meta)
            .key(&keys.seats)
            .arg(token.as_str())
            .arg(record)
            .arg(wire::encode(event).map_err(StoreError::backend)?)
            .arg(&keys.channel)
            .arg(self.conn.publish_command())
            .arg(mark)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        match released {
            -1 => Err(StoreError::Gone),
            n => Ok(n == 1),
        }
    }

    pub fn new(
        conn: RedisConn,
        keys: Keys,
        addresses: AddressSecret,
        history: StoreLimits,
    ) -> Self {
        let scripts = Scripts::load();
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
            owner_key: None,
            locked: false,
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
        // Gone at its deadline, as in the embedded store: Redis expires a key only once its
        // time is past, so it still holds the room during the deadline's own millisecond.
        if expires_at <= now_ms() {
            return Ok(None);
        }
        let capacity = u8::try_from(capacity).map_err(StoreError::backend)?;
        let (key_check, verifier) = (meta.remove("check"), meta.remove("verifier"));
        let destroyers = match meta.get("destroyers").map(String::as_str) {
            Some("creator") => Destroyers::Creator,
            _ => Destroyers::Anyone,
        };
        let creator_seat = meta.remove("creator_seat");
        let message_timer_ms = meta.get("timer").and_then(|v| v.parse::<u64>().ok());
        let (owner_key, locked) = (meta.remove("owner"), meta.contains_key("locked"));
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
            owner_key,
            locked,
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
            .arg(wire::encode(&RoomEvent::SeatJoined(seat.clone())).map_err(StoreError::backend)?)
            .arg(&keys.channel)
            .arg(self.conn.publish_command())
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        match reply.as_slice() {
            [status, seat] if status == "ok" => read_seat(seat),
            [status] if status == "full" => Err(StoreError::Full),
            [status] if status == "locked" => Err(StoreError::Locked),
            [status] if status == "taken" => Err(StoreError::SeatIdTaken),
            [status] if status == "gone" => Err(StoreError::Gone),
            other => Err(unexpected("join", other)),
        }
    }

    async fn seat(&self, room: &RoomId, token: &TokenHash) -> Result<Option<Seat>, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let (seat, removed): (Option<String>, bool) = redis::pipe()
            .hget(&keys.seats, token.as_str())
            .hexists(&keys.meta, removed_field(token))
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        match seat {
            None if removed => Err(StoreError::Removed),
            seat => seat.as_deref().map(read_seat).transpose(),
        }
    }

    async fn set_owner(
        &self,
        room: &RoomId,
        token: &TokenHash,
        key: &str,
    ) -> Result<bool, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let record: Option<String> =
            conn.hget(&keys.seats, token.as_str()).await.map_err(failed)?;
        let Some(record) = record else { return self.nothing_held(&keys.meta).await };
        let seat = read_seat(&record)?;
        let registered: i64 = self
            .scripts
            .owner
            .key(&keys.meta)
            .key(&keys.seats)
            .arg(token.as_str())
            .arg(&record)
            .arg(&seat.id)
            .arg(key)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        match registered {
            -1 => Err(StoreError::Gone),
            n => Ok(n == 1),
        }
    }

    async fn set_locked(&self, room: &RoomId, locked: bool) -> Result<bool, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let payload = wire::encode(&RoomEvent::Locked(locked)).map_err(StoreError::backend)?;
        let changed: i64 = self
            .scripts
            .lock
            .key(&keys.meta)
            .arg(if locked { "1" } else { "0" })
            .arg(payload)
            .arg(&keys.channel)
            .arg(self.conn.publish_command())
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        match changed {
            -1 => Err(StoreError::Gone),
            n => Ok(n == 1),
        }
    }

    async fn leave(&self, room: &RoomId, token: &TokenHash) -> Result<bool, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        // The seat is read first so that Rust writes the whole payload; the script gives it
        // back only if the token still holds that very seat.
        let record: Option<String> =
            conn.hget(&keys.seats, token.as_str()).await.map_err(failed)?;
        // Nothing to give back: whether the room is there at all is all there is to say.
        let Some(record) = record else { return self.nothing_held(&keys.meta).await };
        let left = RoomEvent::SeatLeft(read_seat(&record)?);
        self.release(room, token, &record, &left, "").await
    }

    async fn remove_seat(&self, room: &RoomId, seat_id: &str) -> Result<bool, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        // A room holds a handful of seats: Rust finds the one, the script frees it only if its
        // token still holds that very seat.
        let seats: HashMap<String, String> = conn.hgetall(&keys.seats).await.map_err(failed)?;
        let found = seats.into_iter().find_map(|(token, record)| {
            read_seat(&record)
                .ok()
                .filter(|seat| seat.id == seat_id)
                .map(|seat| (token, record, seat))
        });
        let Some((token, record, seat)) = found else { return self.nothing_held(&keys.meta).await };
        let token = TokenHash::from_stored(token);
        let mark = removed_field(&token);
        self.release(room, &token, &record, &RoomEvent::SeatRemoved(seat), &mark).await
    }

    async fn post(
        &self,
        room: &RoomId,
        token: &TokenHash,
        sender: &Seat,
        client_id: &str,
        body: &str,
    ) -> Result<Posted, StoreError> {
        let keys = self.keys.room(room);
        let mut conn = self.conn.clone();
        let id = crate::store::message_id();
        let [head, tail] = wire::message_halves(sender, &id, client_id, body, now_ms())
            .map_err(StoreError::backend)?;
        let record = wire::seat(sender).map_err(StoreError::backend)?;
        let mut post = scripts::eval(&self.scripts.post, 5);
        post.arg(&keys.meta).arg(&keys.seats).arg(&keys.log).arg(&keys.seq).arg(&keys.sent);
        post.arg(token.as_str()).arg(record).arg(client_id).arg(head).arg(tail);
        post.arg(self.history.messages).arg(self.history.bytes);
        post.arg(&keys.channel).arg(self.conn.publish_command());
        let reply: Vec<String> =
            scripts::call(&mut conn, &self.scripts.post, &post).await.map_err(failed)?;
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
