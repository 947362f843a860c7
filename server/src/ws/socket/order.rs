//! A socket's order: what it sends and when, in one place. A socket subscribes to its room
//! before it reads history (the hub's `join` returns once events flow), so nothing falls between
//! the two; while a history read runs — its welcome, or a catch-up after a resync — the live
//! events that arrive are held, since the read sends what came before them; once no read is
//! left the held events go out in order; and a sequence number already sent (as history, as a
//! live event, as an acknowledgement) is never sent again.

use crate::event::Announcement;
use std::collections::VecDeque;
use std::sync::Arc;

/// Live events held while a history read runs (as many as the hub queues for a socket); one
/// more and the socket is too far behind.
const HELD_MAX: usize = 256;

/// Where a socket stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Its welcome (presence and the history it is missing) is being read: events wait.
    Welcoming,
    /// Nothing to wait for: events go out as they come.
    Live,
    /// A catch-up read runs (a resync): events wait.
    CatchingUp,
}

/// What to do with a live event.
#[derive(Debug)]
pub(super) enum Offered {
    Send(Arc<Announcement>),
    Held,
    /// More held than a socket may hold: it cannot keep up.
    TooFarBehind,
}

#[derive(Default)]
pub(super) struct Order {
    welcomed: bool,
    /// History reads queued or running.
    reading: usize,
    held: VecDeque<Arc<Announcement>>,
    /// The highest sequence number sent.
    last_sent: u64,
}

impl Order {
    pub(super) fn phase(&self) -> Phase {
        match (self.welcomed, self.reading) {
            (false, _) => Phase::Welcoming,
            (true, 0) => Phase::Live,
            (true, _) => Phase::CatchingUp,
        }
    }

    /// A history read was queued (the welcome's, or a catch-up).
    pub(super) fn reading(&mut self) {
        self.reading += 1;
    }

    /// A history read ended; `welcome` when it was the welcome's, whose history ends at `seq`
    /// (everything up to it was sent or is not wanted).
    pub(super) fn read(&mut self, welcome: Option<u64>) {
        self.reading = self.reading.saturating_sub(1);
        if let Some(seq) = welcome {
            self.welcomed = true;
            self.last_sent = self.last_sent.max(seq);
        }
    }

    /// A live event: to send now, or held while a read runs.
    pub(super) fn offer(&mut self, event: Arc<Announcement>) -> Offered {
        if self.phase() == Phase::Live {
            return Offered::Send(event);
        }
        if self.held.len() >= HELD_MAX {
            return Offered::TooFarBehind;
        }
        self.held.push_back(event);
        Offered::Held
    }

    /// The next held event to send, once no read is left.
    pub(super) fn release(&mut self) -> Option<Arc<Announcement>> {
        if self.phase() == Phase::Live { self.held.pop_front() } else { None }
    }

    /// Whether message `seq` is still to be sent, noting it as sent if so.
    pub(super) fn first_time(&mut self, seq: u64) -> bool {
        let first = seq > self.last_sent;
        self.last_sent = self.last_sent.max(seq);
        first
    }

    /// What a catch-up reads after: everything sent so far.
    pub(super) fn last_sent(&self) -> u64 {
        self.last_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RoomEvent;
    use app::model::RoomId;

    fn event() -> Arc<Announcement> {
        Announcement::new(RoomId::generate(), RoomEvent::Presence(Vec::new()))
    }

    #[test]
    fn events_wait_for_the_welcome_then_go_out_in_order() {
        let mut order = Order::default();
        order.reading();
        assert_eq!(order.phase(), Phase::Welcoming);
        let (first, second) = (event(), event());
        assert!(matches!(order.offer(first.clone()), Offered::Held));
        assert!(matches!(order.offer(second.clone()), Offered::Held));
        assert!(order.release().is_none(), "not while the welcome is read");
        order.read(Some(7));
        assert_eq!(order.phase(), Phase::Live);
        assert!(order.release().is_some_and(|e| Arc::ptr_eq(&e, &first)));
        assert!(order.release().is_some_and(|e| Arc::ptr_eq(&e, &second)));
        assert!(order.release().is_none());
        assert!(matches!(order.offer(event()), Offered::Send(_)), "live: at once");
        assert!(!order.first_time(7), "the welcome sent up to 7");
        assert!(order.first_time(8) && !order.first_time(8), "once each");
    }

    #[test]
    fn a_catch_up_holds_events_too_and_a_socket_too_far_behind_is_told() {
        let mut order = Order::default();
        order.reading();
        order.read(Some(0));
        order.reading();
        assert_eq!(order.phase(), Phase::CatchingUp);
        for _ in 0..HELD_MAX {
            assert!(matches!(order.offer(event()), Offered::Held));
        }
        assert!(matches!(order.offer(event()), Offered::TooFarBehind));
        order.read(None);
        assert_eq!(order.phase(), Phase::Live);
        assert_eq!(std::iter::from_fn(|| order.release()).count(), HELD_MAX);
    }
}
