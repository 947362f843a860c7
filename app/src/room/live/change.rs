//! Every change to an open room's state as one event type, [`Change`], and the one reducer that
//! applies it, [`Live::dispatch`]: server frames and what happens in the page alike.

use super::{ConnectionStatus, KeyState, Live};
use crate::error::ApiError;
use crate::model::{History, Seat};
use crate::protocol::{ClientFrame, ServerFrame};
use crate::room::chat_log::Revealed;
use crate::room::{Joined, RoomSnapshot};
use leptos::prelude::*;

/// Shown when this browser cannot seal or open anything.
const NO_CRYPTO: &str =
    "This browser cannot encrypt (WebCrypto is missing). Open the link in a current browser.";

/// How long past its end (by the server's clock) a room waits for the server to say it is over,
/// while not connected, before the page leaves anyway.
const END_GRACE_MS: u64 = 3_000;

/// Failed connection attempts in a row that still show as reconnecting; more show offline.
const FAILURES_SHOWN_AS_RECONNECTING: u32 = 3;

/// Something that happened to an open room.
#[derive(Debug)]
// The server renders before anything happens: it builds only what buttons and inputs dispatch.
#[cfg_attr(not(any(feature = "hydrate", test)), allow(dead_code))]
pub enum Change {
    /// A frame from the server, received at `local_now` while the tab was `hidden` or not.
    Frame { frame: ServerFrame, local_now: u64, hidden: bool },
    /// The link has no key, or a malformed one.
    KeyMissing,
    /// The link's key does not open the room's key check.
    KeyWrong,
    /// The link says the room needs its passphrase as well as the key.
    KeyLocked,
    /// The visitor gave a passphrase: being tried.
    UnlockPressed,
    /// The passphrase given does not open the room's key check.
    PassphraseWrong,
    /// The link's key (with the passphrase, when the room has one) opens the room.
    KeyReady,
    /// This browser cannot seal or open anything (WebCrypto is missing).
    NoCrypto,
    /// The room as the page itself asked for it (with the seat cookie a cross-site visit lacks).
    Viewed(RoomSnapshot),
    /// The visitor pressed Join.
    JoinPressed,
    /// The server's answer to Join.
    JoinAnswered(Result<Joined, ApiError>),
    /// The server's answer to Leave.
    LeaveAnswered(Result<(), ApiError>),
    /// The server's answer to Destroy.
    DestroyAnswered(Result<(), ApiError>),
    /// The visitor sent what they wrote: an earlier refusal no longer stands.
    DraftSent,
    /// A message just written, shown as sending from `now` (Unix ms) on; not sealed yet.
    Queued { client_id: String, text: String, now: u64 },
    /// A queued message, sealed: to be sent.
    Sealed { client_id: String, body: String },
    /// The visitor pressed Retry on a message that was not sent.
    RetryPressed { client_id: String, now: u64 },
    /// These sealed names are being opened (so the next batch does not take them again).
    Opening { names: Vec<Seat> },
    /// What sealed messages (by sequence number) and names turned out to be.
    Opened { messages: Vec<(u64, Revealed)>, names: Vec<(Seat, Revealed)> },
    /// A fresh copy of the history.
    HistoryLoaded(History),
    /// The page of messages older than those held, or why it could not be loaded.
    OlderLoaded(Result<History, ApiError>),
    /// The connection is down after `failures` attempts in a row that did not work; `offline`
    /// when the browser says it has no network.
    Disconnected { failures: u32, offline: bool },
    /// The server closed the connection for good; `view` is the room as it stands now.
    Refused { view: Result<RoomSnapshot, ApiError> },
    /// This browser's clock reads `local_now` (Unix ms).
    Ticked { local_now: u64 },
    /// The tab is shown again.
    TabShown,
}

/// What the connection or the page does after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// Send these frames (messages still in flight after a reconnect, or one just sealed).
    Send(Vec<ClientFrame>),
    /// Send these, and reload the history: the gap since the last connection is not covered.
    SendAndReload(Vec<ClientFrame>),
    /// The room is over for this page: leave for this address (set in `leave_to` as well).
    Leave(String),
}

impl Live {
    /// Applies `change` and says what to do next: the one place an open room's state changes.
    pub fn dispatch(&self, change: Change) -> Next {
        let next = match change {
            Change::Frame { frame, local_now, hidden } => self.apply(frame, local_now, hidden),
            Change::KeyMissing => self.key_is(KeyState::Missing),
            Change::KeyWrong => self.key_is(KeyState::Wrong),
            Change::KeyLocked => self.key_is(KeyState::NeedsPassphrase),
            Change::UnlockPressed => self.key_is(KeyState::Unlocking),
            Change::PassphraseWrong => self.key_is(KeyState::PassphraseWrong),
            Change::KeyReady => self.key_is(KeyState::Ready),
            Change::NoCrypto => self.notice(Some(NO_CRYPTO.into())),
            Change::Viewed(view) => {
                self.write.seated.set(view.seated);
                self.write.may_destroy.set(view.may_destroy);
                if let Some(you) = view.you {
                    if let Some(history) = view.history {
                        self.write.log.update(|log| log.replace_history(history, Some(&you.id)));
                    }
                    self.write.you.set(Some(you));
                }
                Next::Continue
            }
            Change::JoinPressed | Change::DraftSent => self.notice(None),
            Change::JoinAnswered(Ok(joined)) => {
                self.write.notice.set(None);
                self.write.you.set(Some(joined.you));
                Next::Continue
            }
            Change::JoinAnswered(Err(
                err @ (ApiError::Network { .. } | ApiError::Unavailable | ApiError::Invalid { .. }),
            )) => self.notice(Some(err.to_string())),
            Change::JoinAnswered(Err(err)) => Next::Leave(err.home_query().into()),
            Change::LeaveAnswered(Ok(())) => Next::Leave("/?left=1".into()),
            Change::DestroyAnswered(Ok(())) => Next::Leave("/?destroyed=1".into()),
            Change::LeaveAnswered(Err(err))
            | Change::DestroyAnswered(Err(err))
            | Change::OlderLoaded(Err(err)) => self.notice(Some(err.to_string())),
            Change::OlderLoaded(Ok(page)) => {
                let you = self.you.get_untracked().map(|seat| seat.id);
                self.write.log.update(|log| log.add_older(page, you.as_deref()));
                Next::Continue
            }
            Change::Queued { client_id, text, now } => {
                self.write.log.update(|log| log.queue(client_id, text, now));
                Next::Continue
            }
            Change::Sealed { client_id, body } => {
                self.write.log.update(|log| log.sealed_as(&client_id, body.clone()));
                Next::Send(vec![ClientFrame::Send { client_id, body }])
            }
            Change::RetryPressed { client_id, now } => {
                match self.write.log.try_update(|log| log.retry(&client_id, now)).flatten() {
                    Some(body) => Next::Send(vec![ClientFrame::Send { client_id, body }]),
                    None => Next::Continue,
                }
            }
            Change::Opening { names } => {
                self.write.names.update(|known| {
                    known.extend(names.into_iter().map(|name| (name, Revealed::Sealed)));
                });
                Next::Continue
            }
            Change::Opened { messages, names } => {
                self.write.log.update(|log| {
                    for (seq, text) in messages {
                        log.reveal(seq, text);
                    }
                });
                self.write.names.update(|known| known.extend(names));
                Next::Continue
            }
            Change::HistoryLoaded(history) => {
                let you = self.you.get_untracked().map(|seat| seat.id);
                self.write.log.update(|log| log.replace_history(history, you.as_deref()));
                Next::Continue
            }
            Change::Disconnected { failures, offline } => {
                let down = offline || failures > FAILURES_SHOWN_AS_RECONNECTING;
                self.write.connection.set(if down {
                    ConnectionStatus::Offline
                } else {
                    ConnectionStatus::Reconnecting
                });
                Next::Continue
            }
            Change::Refused { view: Err(err) } => Next::Leave(err.home_query().into()),
            Change::Refused { view: Ok(view) } if view.you.is_none() => {
                Next::Leave("/?error=seat-lost".into())
            }
            // Seated after all (a race with a reconnect elsewhere): try again.
            Change::Refused { view: Ok(_) } => Next::Continue,
            Change::Ticked { local_now } => self.tick(local_now),
            Change::TabShown => {
                self.write.unread.set(0);
                Next::Continue
            }
        };
        if let Next::Leave(to) = &next {
            self.write.leave_to.set(Some(to.clone()));
        }
        next
    }

    fn key_is(&self, state: KeyState) -> Next {
        self.write.key.set(state);
        Next::Continue
    }

    fn notice(&self, text: Option<String>) -> Next {
        self.write.notice.set(text);
        Next::Continue
    }

    /// Marks messages unacknowledged for too long as failed, forgets messages past their
    /// timer, and leaves a room past its end.
    fn tick(&self, local_now: u64) -> Next {
        if self.log.with_untracked(|log| log.has_overdue(local_now)) {
            self.write.log.update(|log| {
                log.fail_overdue(local_now);
            });
        }
        let (timer, now) = (self.message_timer_ms, self.server_now(local_now));
        if self.log.with_untracked(|log| log.has_expired(timer, now)) {
            self.write.log.update(|log| log.forget_expired(timer, now));
        }
        // The deadline is never extended: if the server's word is late (offline), the room is
        // over all the same.
        let over = self.server_now(local_now) > self.expires_at + END_GRACE_MS;
        if over && self.connection.get_untracked() != ConnectionStatus::Connected {
            Next::Leave("/?expired=1".into())
        } else {
            Next::Continue
        }
    }
}

#[cfg(test)]
mod tests;
