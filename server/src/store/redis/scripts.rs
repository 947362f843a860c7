//! The Lua scripts of the Redis store (`server/src/lua/`), what a failed call becomes, and how
//! their answers' records are read.

use crate::event::wire;
use app::model::{ChatMessage, Seat};
use app::store::StoreError;
use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind, FromRedisValue, RedisResult, Script, ServerErrorKind};

pub(super) struct Scripts {
    pub create: Script,
    pub join: Script,
    pub post: Script,
    pub history: Script,
    pub leave: Script,
    pub lock: Script,
    pub owner: Script,
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

/// The command that runs `script` on `keys` keys, for its keys and arguments to be added in
/// the order the script takes them. Written into one buffer as they are added: the redis
/// crate's `ScriptInvocation` keeps a copy of each and copies them all again into its command,
/// some twenty allocations a message on the post path.
pub(super) fn eval(script: &Script, keys: usize) -> Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(script.get_hash()).arg(keys);
    cmd
}

/// Runs a command [`eval`] made; a Redis that does not have the script yet (restarted, or a
/// new cluster node) is given it, and the command sent again.
pub(super) async fn call<T: FromRedisValue>(
    conn: &mut (impl ConnectionLike + Send),
    script: &Script,
    cmd: &Cmd,
) -> RedisResult<T> {
    match cmd.query_async(conn).await {
        Err(err) if err.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
            script.load_async(conn).await?;
            cmd.query_async(conn).await
        }
        answered => answered,
    }
}

impl Scripts {
    pub(super) fn load() -> Self {
        Scripts {
            create: Script::new(include_str!("../../lua/create.lua")),
            join: Script::new(include_str!("../../lua/join.lua")),
            post: Script::new(include_str!("../../lua/post.lua")),
            history: Script::new(include_str!("../../lua/history.lua")),
            leave: Script::new(include_str!("../../lua/leave.lua")),
            lock: Script::new(include_str!("../../lua/lock.lua")),
            owner: Script::new(include_str!("../../lua/owner.lua")),
            destroy: Script::new(include_str!("../../lua/destroy.lua")),
            trim: Script::new(include_str!("../../lua/trim.lua")),
            schedule: Script::new(include_str!("../../lua/schedule.lua")),
        }
    }
}
