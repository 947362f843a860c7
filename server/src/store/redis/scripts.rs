//! The Lua scripts of the Redis store (`server/src/lua/`), what a failed call becomes, and how
//! their answers' records are read.

use crate::event::wire;
use app::model::{ChatMessage, Seat};
use app::store::StoreError;
use redis::Script;

pub(super) struct Scripts {
    pub create: Script,
    pub join: Script,
    pub post: Script,
    pub history: Script,
    pub leave: Script,
    pub destroy: Script,
    pub trim: Script,
    pub schedule: Script,
}

/// A Redis command that failed: counted, and kept for the log.
pub(super) fn failed(err: redis::RedisError) -> StoreError {
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

pub(super) fn unexpected(script: &'static str, reply: &[String]) -> StoreError {
    StoreError::backend(UnexpectedReply { script, reply: reply.to_vec() })
}

/// A seat record a script answered.
pub(super) fn read_seat(record: &str) -> Result<Seat, StoreError> {
    wire::read_seat(record).map_err(StoreError::backend)
}

/// A history entry a script answered.
pub(super) fn read_message(entry: &str) -> Result<ChatMessage, StoreError> {
    wire::decode_message(entry).map_err(StoreError::backend)
}

impl Scripts {
    pub(super) fn load() -> Self {
        Scripts {
            create: Script::new(include_str!("../../lua/create.lua")),
            join: Script::new(include_str!("../../lua/join.lua")),
            post: Script::new(include_str!("../../lua/post.lua")),
            history: Script::new(include_str!("../../lua/history.lua")),
            leave: Script::new(include_str!("../../lua/leave.lua")),
            destroy: Script::new(include_str!("../../lua/destroy.lua")),
            trim: Script::new(include_str!("../../lua/trim.lua")),
            schedule: Script::new(include_str!("../../lua/schedule.lua")),
        }
    }
}
