//! The two `RoomStore` backends: Redis (shared by many instances) and embedded (one machine).

pub mod memory;
pub mod redis;

pub use memory::MemoryStore;
pub use redis::RedisStore;

/// A new message's id: 12 characters of nanoid's alphabet, drawn from this thread's generator
/// (a CSPRNG seeded once and reseeded as it goes), so storing a message makes no system call
/// for randomness (`nanoid!` seeds a new generator from the OS every time).
pub fn message_id() -> String {
    fn random(size: usize) -> Vec<u8> {
        let mut bytes = vec![0; size];
        rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
        bytes
    }
    nanoid::format(random, &nanoid::alphabet::SAFE, 12)
}

#[cfg(test)]
mod tests {
    #[test]
    fn message_ids_are_twelve_url_safe_characters_and_differ() {
        let (a, b) = (super::message_id(), super::message_id());
        assert_eq!(a.len(), 12);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'), "{a}");
        assert_ne!(a, b);
    }
}
