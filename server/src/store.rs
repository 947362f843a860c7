//! The two `RoomStore` backends: Redis (shared by many instances) and embedded (one machine).

pub mod memory;
pub mod redis;

pub use memory::MemoryStore;
pub use redis::RedisStore;
