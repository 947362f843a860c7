//! The Lua scripts of the Redis store (`server/src/lua/`), and what a failed call becomes.

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
