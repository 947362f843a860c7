//! How many sockets each seat holds open on this instance (one per tab); one past the limit is
//! refused with 4429.

use app::model::{RoomId, Seat};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SeatSockets {
    open: Arc<Mutex<HashMap<(RoomId, String), u32>>>,
    limit: u32,
}

/// One open socket of a seat; dropping it closes the count.
pub struct SeatSocket {
    sockets: SeatSockets,
    key: (RoomId, String),
}

impl SeatSockets {
    pub fn new(limit: u32) -> Self {
        SeatSockets { open: Arc::new(Mutex::new(HashMap::new())), limit }
    }

    /// Counts a new socket of `seat`, unless it already holds the limit.
    pub fn enter(&self, room: &RoomId, seat: &Seat) -> Option<SeatSocket> {
        let key = (room.clone(), seat.id.clone());
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key.clone()).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(SeatSocket { sockets: self.clone(), key })
    }
}

impl Drop for SeatSocket {
    fn drop(&mut self) {
        let mut open = self.sockets.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_may_hold_the_limit_and_no_more_and_closing_one_frees_a_place() {
        let sockets = SeatSockets::new(2);
        let room = RoomId::generate();
        let seat = Seat { id: "s1".into(), name: "a".into() };
        let first = sockets.enter(&room, &seat);
        let second = sockets.enter(&room, &seat);
        assert!(first.is_some() && second.is_some());
        assert!(sockets.enter(&room, &seat).is_none());
        let other = Seat { id: "s2".into(), name: "b".into() };
        assert!(sockets.enter(&room, &other).is_some(), "seats are counted apart");
        drop(first);
        assert!(sockets.enter(&room, &seat).is_some());
    }
}
