//! The browser's copy of a room's messages: ordered and de-duplicated by sequence number, with
//! the visitor's own messages pending until the server acknowledges them.

use crate::model::{ChatMessage, History};
use std::collections::BTreeMap;

#[cfg(any(feature = "hydrate", test))]
/// How long a sent message may wait for its acknowledgement before it is shown as failed.
pub const ACK_TIMEOUT_MS: u64 = 10_000;

/// A message this browser sent that the server has not acknowledged yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMessage {
    pub client_id: String,
    pub text: String,
    /// When it was (last) sent, Unix ms.
    pub sent_at: u64,
    /// No acknowledgement in time: shown with a retry button.
    pub failed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatLog {
    messages: BTreeMap<u64, ChatMessage>,
    pending: Vec<PendingMessage>,
    truncated: bool,
}

impl ChatLog {
    pub fn from_history(history: History) -> Self {
        let mut log = ChatLog::default();
        log.replace_history(history);
        log
    }

    /// Whether older messages were dropped by the server's history cap.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Adds a message from the server. Returns false for one already held (a duplicate by
    /// sequence number). A message carrying a pending `client_id` is its acknowledgement.
    pub fn receive(&mut self, message: ChatMessage) -> bool {
        self.pending.retain(|p| p.client_id != message.client_id);
        if self.messages.contains_key(&message.seq) {
            return false;
        }
        self.messages.insert(message.seq, message);
        true
    }

    /// Replaces the held messages with a freshly loaded history, keeping newer live ones.
    pub fn replace_history(&mut self, history: History) {
        let newer: Vec<ChatMessage> =
            self.messages.split_off(&(history.seq + 1)).into_values().collect();
        self.messages.clear();
        self.truncated = history.truncated;
        for message in history.messages.into_iter().chain(newer) {
            self.receive(message);
        }
    }

    /// Records a message just sent.
    pub fn queue(&mut self, client_id: String, text: String, now: u64) {
        self.pending.push(PendingMessage { client_id, text, sent_at: now, failed: false });
    }

    /// Puts a failed message back in flight; returns its text to send again.
    pub fn retry(&mut self, client_id: &str, now: u64) -> Option<String> {
        let pending = self.pending.iter_mut().find(|p| p.client_id == client_id)?;
        pending.failed = false;
        pending.sent_at = now;
        Some(pending.text.clone())
    }

    pub fn messages(&self) -> impl Iterator<Item = &ChatMessage> {
        self.messages.values()
    }

    pub fn pending(&self) -> &[PendingMessage] {
        &self.pending
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.pending.is_empty()
    }
}

/// What only the connection in the browser needs: resuming, resending, timing out.
#[cfg(any(feature = "hydrate", test))]
impl ChatLog {
    /// The highest sequence number held: what to resume from after a reconnect.
    pub fn last_seq(&self) -> u64 {
        self.messages.last_key_value().map_or(0, |(seq, _)| *seq)
    }

    /// Marks messages unacknowledged for longer than [`ACK_TIMEOUT_MS`] as failed. Returns
    /// whether anything changed.
    pub fn fail_overdue(&mut self, now: u64) -> bool {
        let mut changed = false;
        for p in self.pending.iter_mut().filter(|p| !p.failed) {
            if now.saturating_sub(p.sent_at) >= ACK_TIMEOUT_MS {
                p.failed = true;
                changed = true;
            }
        }
        changed
    }

    /// Whether any message is waiting past its timeout without being marked failed yet.
    pub fn has_overdue(&self, now: u64) -> bool {
        self.pending.iter().any(|p| !p.failed && now.saturating_sub(p.sent_at) >= ACK_TIMEOUT_MS)
    }

    /// Messages still in flight, to send again on a new connection (the server stores each
    /// `client_id` once, so resending is safe).
    pub fn in_flight(&self) -> impl Iterator<Item = &PendingMessage> {
        self.pending.iter().filter(|p| !p.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: u64, client_id: &str) -> ChatMessage {
        ChatMessage {
            seq,
            id: format!("m{seq}"),
            client_id: client_id.into(),
            sender: "a".into(),
            text: format!("text {seq}"),
            ts: seq,
        }
    }

    fn seqs(log: &ChatLog) -> Vec<u64> {
        log.messages().map(|m| m.seq).collect()
    }

    #[test]
    fn messages_are_shown_in_sequence_order_once_each() {
        let mut log = ChatLog::default();
        assert!(log.receive(msg(2, "b")));
        assert!(log.receive(msg(1, "a")));
        assert!(!log.receive(msg(2, "b")), "a replayed duplicate is ignored");
        assert!(log.receive(msg(3, "c")));
        assert_eq!(seqs(&log), vec![1, 2, 3]);
        assert_eq!(log.last_seq(), 3);
    }

    #[test]
    fn an_acknowledgement_turns_a_pending_message_into_a_stored_one() {
        let mut log = ChatLog::default();
        log.queue("c1".into(), "hello".into(), 0);
        assert_eq!(log.pending().len(), 1);
        log.receive(msg(1, "c1"));
        assert!(log.pending().is_empty());
        assert_eq!(seqs(&log), vec![1]);
    }

    #[test]
    fn an_unacknowledged_message_fails_after_the_timeout_and_can_be_retried() {
        let mut log = ChatLog::default();
        log.queue("c1".into(), "hello".into(), 1_000);
        assert!(!log.fail_overdue(1_000 + ACK_TIMEOUT_MS - 1));
        assert!(log.has_overdue(1_000 + ACK_TIMEOUT_MS));
        assert!(log.fail_overdue(1_000 + ACK_TIMEOUT_MS));
        assert!(log.pending()[0].failed);
        assert_eq!(log.in_flight().count(), 0);
        assert_eq!(log.retry("c1", 50_000), Some("hello".into()));
        assert_eq!(log.in_flight().count(), 1);
        assert_eq!(log.retry("unknown", 0), None);
    }

    #[test]
    fn reloading_history_keeps_newer_live_messages_and_the_truncation_flag() {
        let mut log = ChatLog::default();
        log.receive(msg(7, "x"));
        log.receive(msg(9, "y"));
        log.replace_history(History {
            messages: vec![msg(5, "p"), msg(6, "q"), msg(7, "x")],
            seq: 7,
            truncated: true,
        });
        assert_eq!(seqs(&log), vec![5, 6, 7, 9]);
        assert!(log.truncated());
    }
}
