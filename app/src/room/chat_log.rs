//! The browser's copy of a room's messages: ordered and de-duplicated by sequence number, each
//! sealed as the server sent it and revealed once opened with the room key; the visitor's own
//! messages pending until the server acknowledges them.

use crate::model::{ChatMessage, History, Seat};
use std::collections::{BTreeMap, HashMap};

/// How long a sent message may wait for its acknowledgement before it is shown as failed.
pub const ACK_TIMEOUT_MS: u64 = 10_000;

/// How far (ms) a message's signed time may be from the time the server stored it before the
/// page marks it: a device clock that is wrong by less never marks an honest message (pages
/// sign by the server's clock as they know it, so only a long wait offline comes near).
pub const SIGNED_TIME_SLACK_MS: u64 = 5 * 60_000;

/// What a sealed value turned out to be.
// The server renders before anything is opened: it only ever sees Sealed.
#[cfg_attr(not(any(feature = "hydrate", test)), allow(dead_code))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revealed {
    /// Not opened yet.
    Sealed,
    /// Opened, and from whom it says (signed by the key of its seat, or sealed before members
    /// signed, in a room made then).
    Text(String),
    /// Opened, but not proven to be from its seat: its signature does not hold, is missing, or
    /// is by another key than the seat's. Shown as "Unverified", never as the seat's.
    Unverified(String),
    /// Signed by its seat's key, but not where it was sent: its counter repeats or goes back
    /// against the same signer's earlier messages, or its signed time is far from its stored
    /// time. Moved, replayed or held back; shown marked.
    OutOfPlace(String),
    /// It does not open with this key (a wrong key, or it was altered).
    Unreadable,
}

/// What the page learnt opening one sealed value.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opening {
    Unreadable,
    Opened { text: String, by: By },
}

/// Whom an opened value proved to be from.
#[cfg_attr(not(any(feature = "hydrate", test)), allow(dead_code))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum By {
    /// Nobody: sealed before members signed, in a room made before then.
    Unsigned,
    /// A signature that does not hold, or none where one is needed.
    Forged,
    /// The key with this fingerprint signed it.
    Key(SignedBy),
}

/// A signature that holds: the signer's key's fingerprint, and the counter and time it signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedBy {
    pub fingerprint: String,
    pub counter: u64,
    pub time: u64,
}

/// A message in the log: as stored, what its text turned out to be, and its signature when
/// it holds under its seat's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub message: ChatMessage,
    pub text: Revealed,
    pub signed: Option<SignedBy>,
}

/// A message this browser sent that the server has not acknowledged yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMessage {
    pub client_id: String,
    pub text: String,
    /// The text sealed for sending, once it is (the same body is resent after a reconnect).
    pub body: Option<String>,
    /// When it was (last) sent, Unix ms.
    pub sent_at: u64,
    /// No acknowledgement in time: shown with a retry button.
    pub failed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatLog {
    messages: BTreeMap<u64, Entry>,
    pending: Vec<PendingMessage>,
    truncated: bool,
    /// The server keeps older messages than the oldest held ("Load older messages").
    more: bool,
    /// The highest sequence number forgotten because its timer ran out (what to resume from,
    /// when it was the newest).
    forgotten_through: u64,
}

impl ChatLog {
    /// The log of a history loaded by the seat `you` (if any).
    pub fn from_history(history: History, you: Option<&str>) -> Self {
        let mut log = ChatLog::default();
        log.replace_history(history, you);
        log
    }

    /// Whether older messages were dropped by the server's history cap.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Whether the server keeps older messages than those held.
    pub fn more(&self) -> bool {
        self.more
    }

    /// The highest sequence number held (or forgotten past its timer): what to resume from
    /// after a reconnect.
    pub fn last_seq(&self) -> u64 {
        let held = self.messages.last_key_value().map_or(0, |(seq, _)| *seq);
        held.max(self.forgotten_through)
    }

    /// Whether a message held is past the room's message `timer` (ms) at `now`.
    pub fn has_expired(&self, timer: Option<u64>, now: u64) -> bool {
        self.messages.values().any(|e| crate::model::message_expired(e.message.ts, timer, now))
    }

    /// Forgets the messages past the room's message `timer` (ms) at `now`: dropped from the
    /// page's memory, not hidden (and the page's allocator wipes what is dropped).
    pub fn forget_expired(&mut self, timer: Option<u64>, now: u64) {
        let mut forgotten = self.forgotten_through;
        self.messages.retain(|seq, entry| {
            let keep = !crate::model::message_expired(entry.message.ts, timer, now);
            if !keep {
                forgotten = forgotten.max(*seq);
            }
            keep
        });
        self.forgotten_through = forgotten;
    }

    /// Adds a page of older messages (loaded on demand), for the seat `you`.
    pub fn add_older(&mut self, page: History, you: Option<&str>) {
        for message in page.messages {
            self.receive(message, you);
        }
        self.more = page.more;
        self.truncated = page.truncated;
    }

    /// Adds a message from the server, for the seat `you` (if any). Returns false for one
    /// already held: a duplicate by sequence number, or a replay (the same sender and client id
    /// under another sequence number, which a store never makes). A message from `you` carrying
    /// a pending `client_id` is its acknowledgement, and its text is already known; a message
    /// from another seat never is, whatever its client id.
    pub fn receive(&mut self, message: ChatMessage, you: Option<&str>) -> bool {
        let own_seat = you == Some(message.sender.id.as_str());
        let acknowledged = own_seat
            .then(|| self.pending.iter().position(|p| p.client_id == message.client_id))
            .flatten();
        let own = acknowledged.map(|i| self.pending.remove(i).text);
        if self.messages.contains_key(&message.seq) {
            return false;
        }
        let replayed = |e: &Entry| {
            e.message.client_id == message.client_id && e.message.sender.id == message.sender.id
        };
        if self.messages.values().any(replayed) {
            return false;
        }
        let text = own.map_or(Revealed::Sealed, Revealed::Text);
        self.messages.insert(message.seq, Entry { message, text, signed: None });
        true
    }

    /// Replaces the held messages with a freshly loaded history, keeping newer live ones.
    pub fn replace_history(&mut self, history: History, you: Option<&str>) {
        let newer = self.messages.split_off(&(history.seq + 1));
        let mut opened = std::mem::take(&mut self.messages);
        self.truncated = history.truncated;
        self.more = history.more;
        for message in history.messages {
            let seq = message.seq;
            match opened.remove(&seq) {
                Some(entry) if entry.message == message => {
                    self.messages.insert(seq, entry);
                }
                _ => {
                    self.receive(message, you);
                }
            }
        }
        self.messages.extend(newer);
    }

    /// Who sent the messages held, in order (a seat once per message).
    pub fn senders(&self) -> impl Iterator<Item = &Seat> {
        self.messages.values().map(|e| &e.message.sender)
    }

    /// The messages to show: in order, up to the first one not opened yet (so a later message
    /// never shows before an earlier one).
    pub fn shown(&self) -> impl Iterator<Item = &Entry> {
        self.messages.values().take_while(|e| e.text != Revealed::Sealed)
    }

    /// Whether some message is still waiting to be opened.
    pub fn opening(&self) -> bool {
        self.messages.values().any(|e| e.text == Revealed::Sealed)
    }

    pub fn pending(&self) -> &[PendingMessage] {
        &self.pending
    }
}

/// What the page's changes do to the log: opening, sending, resending, timing out.
impl ChatLog {
    /// Records what a message's sealed body turned out to be.
    #[cfg(test)]
    pub fn reveal(&mut self, seq: u64, text: Revealed) {
        if let Some(entry) = self.messages.get_mut(&seq) {
            entry.text = text;
        }
    }

    /// Records what opening message `seq` gave, given each seat's key as the page knows it
    /// (`keys`: seat id → fingerprint, from the names): a signature by another key than its
    /// seat's is no signature. Call [`ChatLog::mark_out_of_place`] after a batch.
    pub fn reveal_opened(&mut self, seq: u64, opening: Opening, keys: &HashMap<String, String>) {
        let Some(entry) = self.messages.get_mut(&seq) else { return };
        let (text, by) = match opening {
            Opening::Unreadable => {
                entry.text = Revealed::Unreadable;
                return;
            }
            Opening::Opened { text, by } => (text, by),
        };
        entry.text = match by {
            By::Unsigned => Revealed::Text(text),
            By::Forged => Revealed::Unverified(text),
            By::Key(by) if keys.get(&entry.message.sender.id) != Some(&by.fingerprint) => {
                Revealed::Unverified(text)
            }
            By::Key(by) => {
                let late = by.time.abs_diff(entry.message.ts) > SIGNED_TIME_SLACK_MS;
                entry.signed = Some(by);
                if late { Revealed::OutOfPlace(text) } else { Revealed::Text(text) }
            }
        };
    }

    /// Shows every message of `seat` as unverified: two keys signed its names.
    pub fn distrust(&mut self, seat: &str) {
        for entry in self.messages.values_mut().filter(|e| e.message.sender.id == seat) {
            if let Revealed::Text(text) | Revealed::OutOfPlace(text) = &mut entry.text {
                entry.text = Revealed::Unverified(std::mem::take(text));
                entry.signed = None;
            }
        }
    }

    /// Marks each signed message whose counter is not above every counter its signer signed in
    /// the messages before it (by sequence number): it repeats one, or was moved after later
    /// ones. Counters need not start at 1 or have no gaps, so a log whose oldest messages were
    /// trimmed, or that holds only some of a signer's messages, has no false alarm.
    pub fn mark_out_of_place(&mut self) {
        let mut highest: HashMap<String, u64> = HashMap::new();
        for entry in self.messages.values_mut() {
            let Some(signed) = &entry.signed else { continue };
            let before = highest.get(&signed.fingerprint).copied();
            let top = before.map_or(signed.counter, |before| before.max(signed.counter));
            highest.insert(signed.fingerprint.clone(), top);
            if before.is_some_and(|before| signed.counter <= before)
                && let Revealed::Text(text) = &mut entry.text
            {
                entry.text = Revealed::OutOfPlace(std::mem::take(text));
            }
        }
    }

    /// Records a message just written (not sealed yet).
    pub fn queue(&mut self, client_id: String, text: String, now: u64) {
        let pending = PendingMessage { client_id, text, body: None, sent_at: now, failed: false };
        self.pending.push(pending);
    }

    /// Records a pending message's sealed body, ready to send.
    pub fn sealed_as(&mut self, client_id: &str, body: String) {
        if let Some(pending) = self.pending.iter_mut().find(|p| p.client_id == client_id) {
            pending.body = Some(body);
        }
    }

    /// Puts a failed message back in flight; returns its sealed body to send again.
    pub fn retry(&mut self, client_id: &str, now: u64) -> Option<String> {
        let pending = self.pending.iter_mut().find(|p| p.client_id == client_id)?;
        pending.failed = false;
        pending.sent_at = now;
        pending.body.clone()
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

    /// Sealed messages still in flight, to send again on a new connection (the server stores
    /// each `client_id` once, so resending is safe).
    pub fn in_flight(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pending
            .iter()
            .filter(|p| !p.failed)
            .filter_map(|p| p.body.as_deref().map(|body| (p.client_id.as_str(), body)))
    }
}

impl ChatLog {
    /// The oldest sequence number held.
    pub fn first_seq(&self) -> Option<u64> {
        self.messages.first_key_value().map(|(seq, _)| *seq)
    }
}

/// What only the browser asks of the log: what to open, and what to resume from.
#[cfg(any(feature = "hydrate", test))]
impl ChatLog {
    /// Messages still sealed, as the server sent them.
    pub fn sealed(&self) -> Vec<ChatMessage> {
        self.messages
            .values()
            .filter(|e| e.text == Revealed::Sealed)
            .map(|e| e.message.clone())
            .collect()
    }

    /// Every message held, opened or not.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.messages.values()
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
            sender: Seat { id: "s".into(), name: "sealed name".into() },
            body: format!("sealed {seq}"),
            ts: seq,
        }
    }

    fn seqs(log: &ChatLog) -> Vec<u64> {
        log.entries().map(|e| e.message.seq).collect()
    }

    #[test]
    fn messages_are_held_in_sequence_order_once_each() {
        let mut log = ChatLog::default();
        assert!(log.receive(msg(2, "b"), Some("s")));
        assert!(log.receive(msg(1, "a"), Some("s")));
        assert!(!log.receive(msg(2, "b"), Some("s")), "a duplicate is ignored");
        assert!(!log.receive(msg(4, "b"), Some("s")), "so is a replay under a new number");
        assert!(log.receive(msg(3, "c"), Some("s")));
        assert_eq!(seqs(&log), vec![1, 2, 3]);
        assert_eq!(log.last_seq(), 3);
    }

    #[test]
    fn a_message_shows_once_opened_and_never_before_an_earlier_one() {
        let mut log = ChatLog::default();
        log.receive(msg(1, "a"), Some("s"));
        log.receive(msg(2, "b"), Some("s"));
        assert_eq!(log.sealed().len(), 2);
        log.reveal(2, Revealed::Text("second".into()));
        assert_eq!(log.shown().count(), 0, "the second waits for the first");
        assert!(log.opening());
        log.reveal(1, Revealed::Unreadable);
        let shown: Vec<&Revealed> = log.shown().map(|e| &e.text).collect();
        assert_eq!(shown, [&Revealed::Unreadable, &Revealed::Text("second".into())]);
        assert!(!log.opening());
    }

    #[test]
    fn an_acknowledgement_turns_a_pending_message_into_a_stored_one_with_its_text() {
        let mut log = ChatLog::default();
        log.queue("c1".into(), "hello".into(), 0);
        assert_eq!(log.in_flight().count(), 0, "not sealed yet, so not sent");
        log.sealed_as("c1", "sealed hello".into());
        assert_eq!(log.in_flight().collect::<Vec<_>>(), [("c1", "sealed hello")]);
        log.receive(msg(1, "c1"), Some("s"));
        assert!(log.pending().is_empty());
        assert_eq!(
            log.shown().map(|e| e.text.clone()).collect::<Vec<_>>(),
            [Revealed::Text("hello".into())]
        );
    }

    #[test]
    fn an_unacknowledged_message_fails_after_the_timeout_and_can_be_retried() {
        let mut log = ChatLog::default();
        log.queue("c1".into(), "hello".into(), 1_000);
        log.sealed_as("c1", "sealed".into());
        assert!(!log.fail_overdue(1_000 + ACK_TIMEOUT_MS - 1));
        assert!(log.has_overdue(1_000 + ACK_TIMEOUT_MS));
        assert!(log.fail_overdue(1_000 + ACK_TIMEOUT_MS));
        assert!(log.pending()[0].failed);
        assert_eq!(log.in_flight().count(), 0);
        assert_eq!(log.retry("c1", 50_000), Some("sealed".into()));
        assert_eq!(log.in_flight().count(), 1);
        assert_eq!(log.retry("unknown", 0), None);
    }

    #[test]
    fn reloading_history_keeps_newer_live_messages_what_was_opened_and_the_truncation_flag() {
        let mut log = ChatLog::default();
        log.receive(msg(7, "x"), Some("s"));
        log.reveal(7, Revealed::Text("seven".into()));
        log.receive(msg(9, "y"), Some("s"));
        let history = History {
            messages: vec![msg(5, "p"), msg(6, "q"), msg(7, "x")],
            seq: 7,
            truncated: true,
            more: true,
        };
        log.replace_history(history, Some("s"));
        assert_eq!(seqs(&log), vec![5, 6, 7, 9]);
        assert_eq!(log.sealed().iter().map(|m| m.seq).collect::<Vec<_>>(), [5, 6, 9]);
        assert!(log.truncated());
    }

    #[test]
    fn only_a_message_from_this_seat_acknowledges_a_pending_one() {
        let mut log = ChatLog::default();
        log.queue("c1".into(), "hello".into(), 0);
        log.sealed_as("c1", "sealed hello".into());
        let mut forged = msg(1, "c1");
        forged.sender.id = "other".into();
        assert!(log.receive(forged, Some("s")));
        assert_eq!(log.pending().len(), 1, "another seat's message is no acknowledgement");
        assert_eq!(log.sealed().len(), 1, "and it is opened like any other");
        log.receive(msg(2, "c1"), Some("s"));
        assert!(log.pending().is_empty());
    }

    #[test]
    fn messages_past_their_timer_are_forgotten_and_resuming_goes_on_after_them() {
        let mut log = ChatLog::default();
        for seq in 1..=3 {
            log.receive(msg(seq, &format!("c{seq}")), Some("s"));
            log.reveal(seq, Revealed::Text(format!("text {seq}")));
        }
        // `msg` sends message n at time n; a timer of 10 ms.
        let timer = Some(10);
        assert!(!log.has_expired(timer, 10));
        assert!(log.has_expired(timer, 11));
        log.forget_expired(timer, 11);
        assert_eq!(seqs(&log), vec![2, 3], "the first is gone, not hidden");
        log.forget_expired(timer, 100);
        assert!(log.entries().next().is_none() && log.shown().next().is_none());
        assert_eq!(log.last_seq(), 3, "a reconnect resumes after what was forgotten");
        log.forget_expired(None, u64::MAX);
        assert_eq!(log.last_seq(), 3);
    }

    #[test]
    fn an_older_page_goes_before_what_is_held_and_says_whether_more_remain() {
        let mut log = ChatLog::default();
        let newest = History {
            messages: vec![msg(51, "n1"), msg(52, "n2")],
            seq: 52,
            truncated: false,
            more: true,
        };
        log.replace_history(newest, Some("s"));
        assert!(log.more());
        assert_eq!(log.first_seq(), Some(51));
        let older = History {
            messages: vec![msg(1, "o1"), msg(2, "o2")],
            seq: 52,
            truncated: false,
            more: false,
        };
        log.add_older(older, Some("s"));
        assert_eq!(seqs(&log), vec![1, 2, 51, 52]);
        assert!(!log.more());
        assert_eq!(log.last_seq(), 52);
    }
}
