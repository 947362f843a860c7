//! Redis key and channel names (documented in `docs/STORAGE.md`).
//!
//! Every key of a room carries the hash tag `{<room id>}`, so a room lives in one Redis
//! Cluster slot and its multi-key scripts run there.

use app::model::RoomId;

/// The names of one room's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomKeys {
    /// Hash: `created_at`, `expires_at` (Unix ms), `capacity`, `check` (the sealed key check).
    pub meta: String,
    /// Hash: SHA-256 of a seat token → the seat's record (`event::wire::seat`).
    pub seats: String,
    /// List: messages as `post.lua` framed them (`event::wire`), oldest first, capped.
    pub log: String,
    /// String: the last sequence number given out.
    pub seq: String,
    /// Hash: `<token hash>:<client id>` → sequence number, so a resent message is stored once.
    pub sent: String,
    /// Hash: connection id → `<last seen ms>:<seat record>`.
    pub online: String,
    /// Pub/sub channel of the room's events.
    pub channel: String,
}

impl RoomKeys {
    /// Every key, in the order the scripts take them.
    pub fn all(&self) -> [&str; 6] {
        [&self.meta, &self.seats, &self.log, &self.seq, &self.sent, &self.online]
    }
}

/// Key names under one prefix (one deployment, or one test).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: impl Into<String>) -> Self {
        Keys { prefix: prefix.into() }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn room(&self, room: &RoomId) -> RoomKeys {
        let base = format!("{}:{{{room}}}", self.prefix);
        RoomKeys {
            meta: format!("{base}:meta"),
            seats: format!("{base}:seats"),
            log: format!("{base}:log"),
            seq: format!("{base}:seq"),
            sent: format!("{base}:sent"),
            online: format!("{base}:online"),
            channel: format!("{base}:events"),
        }
    }

    /// The set of rooms one creator (a client address) holds alive: an opaque entry per room
    /// → its deadline. `named` is the address as [`crate::address_secret::AddressSecret`]
    /// names it, never the address itself.
    pub fn creator(&self, named: &str) -> String {
        format!("{}:creator:{named}", self.prefix)
    }

    /// The rooms with disappearing messages and when each is next due for a sweep: a sorted
    /// set, room id → Unix ms.
    pub fn timed(&self) -> String {
        format!("{}:timed", self.prefix)
    }

    /// The room a channel belongs to, if it is one of ours.
    pub fn room_of_channel(&self, channel: &str) -> Option<RoomId> {
        let rest = channel.strip_prefix(&self.prefix)?.strip_prefix(":{")?;
        let id = rest.strip_suffix("}:events")?;
        id.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_keys_of_a_room_share_its_hash_tag() {
        let room: RoomId = "abcdefghijklmnop".parse().unwrap_or_else(|_| RoomId::generate());
        let keys = Keys::new("burner").room(&room);
        for key in keys.all() {
            assert!(key.starts_with("burner:{abcdefghijklmnop}:"), "{key}");
        }
        assert_eq!(keys.channel, "burner:{abcdefghijklmnop}:events");
    }

    #[test]
    fn a_channel_name_leads_back_to_its_room_and_only_ours_do() {
        let keys = Keys::new("t1");
        let room = RoomId::generate();
        assert_eq!(keys.room_of_channel(&keys.room(&room).channel), Some(room.clone()));
        assert_eq!(Keys::new("t2").room_of_channel(&keys.room(&room).channel), None);
        assert_eq!(keys.room_of_channel("t1:{not-a-room}:events"), None);
    }
}
