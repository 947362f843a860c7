//! Disappearing messages on Redis: the rooms due for a sweep (the timed set), the sweep that
//! trims what is past its timer, and the task that runs it every second on each instance.

use super::RedisStore;
use super::scripts::failed;
use crate::event::wire;
use app::model::{RoomId, now_ms};
use app::store::StoreError;
use redis::AsyncCommands;
use std::time::Duration;

impl RedisStore {
    /// Asks for `room` (which ends at `deadline`) to be swept at `due` (or earlier, if it
    /// already is).
    pub(super) async fn schedule_sweep(&self, room: &RoomId, due: u64, deadline: u64) {
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
                    .key(&keys.seq)
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
