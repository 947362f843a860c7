//! Every change to an open room's state as one event type, [`Change`], and the one reducer that
//! applies it, [`Live::dispatch`]: server frames and what happens in the page alike. What a
//! change asks for beyond the page's signals (seal, open, send, fetch) it returns as
//! [`Effect`]s, which one executor runs (`room::executor`).

use super::{ConnectionStatus, KeyState, Live, SeatKey};
use crate::error::ApiError;
use crate::model::{History, Seat};
use crate::protocol::{ClientFrame, ServerFrame};
use crate::room::chat_log::{Opening, Revealed};
use crate::room::{Joined, RoomSnapshot};
use leptos::prelude::*;

/// Shown when this browser cannot seal or open anything.
const NO_CRYPTO: &str =
    "This browser cannot encrypt (WebCrypto is missing). Open the link in a current browser.";

/// How long past its end (by the server's clock) a room waits for the server to say it is over,
/// while not connected, before the page leaves anyway.
const END_GRACE_MS: u64 = 3_000;

/// How often a join page asks how the room stands (seats, lock, whether it still exists), ms:
/// it has no socket to hear it. A locked room's, more often, so Join wakes soon on unlock.
const JOIN_PAGE_VIEW_EVERY_MS: u64 = 10_000;
const LOCKED_VIEW_EVERY_MS: u64 = 5_000;

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
    /// The visitor gave a passphrase: to be tried.
    UnlockPressed { passphrase: String },
    /// The passphrase given does not open the room's key check.
    PassphraseWrong,
    /// The link's key (with the passphrase, when the room has one) opens the room.
    KeyReady,
    /// This browser cannot seal or open anything (WebCrypto is missing).
    NoCrypto,
    /// The room as the page itself asked for it (with the seat cookie a cross-site visit lacks).
    Viewed(RoomSnapshot),
    /// Why the page could not have the room: gone (destroyed, expired) leaves for home.
    ViewFailed(ApiError),
    /// The visitor pressed Join under this name.
    JoinPressed { name: String },
    /// The server's answer to Join.
    JoinAnswered(Result<Joined, ApiError>),
    /// The visitor pressed Leave: the seat is to be given back.
    LeavePressed,
    /// The server's answer to Leave.
    LeaveAnswered(Result<(), ApiError>),
    /// The visitor confirmed Destroy.
    DestroyPressed,
    /// The server's answer to Destroy.
    DestroyAnswered(Result<(), ApiError>),
    /// A message just written, shown as sending from `now` (Unix ms) on; not sealed yet. An
    /// earlier refusal no longer stands.
    Queued { client_id: String, text: String, now: u64 },
    /// A queued message, sealed: to be sent.
    Sealed { client_id: String, body: String },
    /// The visitor pressed Retry on a message that was not sent.
    RetryPressed { client_id: String, now: u64 },
    /// The visitor is typing: the others are told.
    Typing,
    /// The visitor asked for the messages older than those held.
    OlderWanted,
    /// The seats' keys this browser learnt earlier in the room (before a reload): `None` for a
    /// seat whose names two keys signed.
    KeysKept(Vec<(String, Option<String>)>),
    /// This browser's own key in the room: its fingerprint, and the public key (base64url),
    /// which says whether this page is the creator's.
    OwnKey { fingerprint: String, public: String },
    /// This browser keeps no key in the room: whatever seat it holds, it cannot prove the
    /// creator's rights.
    NoOwnKey,
    /// The creator pressed Lock (true) or Unlock.
    LockPressed(bool),
    /// The creator confirmed removing the member in this seat.
    RemovePressed { seat: String },
    /// The server's answer to a lock, unlock or remove.
    ActAnswered { act: crate::rights::Act, answer: Result<(), ApiError> },
    /// These sealed names are being opened (so the next batch does not take them again).
    Opening { names: Vec<Seat> },
    /// What opening sealed messages (by sequence number) and names gave.
    Opened { messages: Vec<(u64, Opening)>, names: Vec<(Seat, Opening)> },
    /// Unicode's confusables, fetched: names are compared by their skeleton from now on.
    ConfusablesFetched(std::sync::Arc<crate::confusables::Confusables>),
    /// A fresh copy of the history.
    HistoryLoaded(History),
    /// The page of messages older than those held, or why it could not be loaded.
    OlderLoaded(Result<History, ApiError>),
    /// The connection is down after `failures` attempts in a row that did not work; `offline`
    /// when the browser says it has no network.
    Disconnected { failures: u32, offline: bool },
    /// The server closed the connection for good: why is to be asked.
    SocketRefused,
    /// Why: `view` is the room as it stands now.
    Refused { view: Result<RoomSnapshot, ApiError> },
    /// This browser's clock reads `local_now` (Unix ms).
    Ticked { local_now: u64 },
    /// The tab is shown again.
    TabShown,
}

/// What a change asks the page to do beyond its own signals; the executor runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(not(any(feature = "hydrate", test)), allow(dead_code))]
pub enum Effect {
    /// Ask the server for the room as this browser sees it (arriving from another site, the
    /// page request came without the seat cookie).
    View,
    /// Connect to the room's socket (nothing when connected already).
    Connect,
    /// Seal a queued message, then send it ([`Change::Sealed`]).
    Seal { client_id: String, text: String },
    /// Hand a frame to the connection (a message sent while offline is resent on welcome).
    Send(ClientFrame),
    /// Open every sealed message and name not opened yet.
    Open,
    /// Read the newest page of history again: the gap since the last connection is not covered.
    ReloadHistory,
    /// Load the page of messages older than `before`.
    LoadOlder { before: u64 },
    /// Take a seat under this name (sealed for it).
    TakeSeat { name: String },
    /// Try this passphrase with the link's secret.
    TryPassphrase { passphrase: String },
    /// Give the seat back (`leave_room`).
    GiveSeatBack,
    /// Destroy the room (`destroy_room`; in a room only its creator may destroy, proved by the
    /// creator's key: `creator_act`).
    Destroy,
    /// Ask for a creator's right, signed with this page's key (`creator_act`).
    Act(crate::rights::Act),
    /// Ask the server why it closed the connection for good (`room_view`, with the seat cookie).
    AskWhyRefused,
    /// Fetch Unicode's confusables ([`crate::confusables::PATH`]): two names are open, so
    /// there are names to compare.
    FetchConfusables,
    /// The room is over for this page: the connection ends (the page leaves for `leave_to`).
    Leave,
}

/// What one change asks for, in order.
pub type Effects = Vec<Effect>;

/// A change's effects, and where the page leaves for if the room is over for it.
pub(super) type Reduced = (Effects, Option<&'static str>);

fn leave(to: &'static str) -> Reduced {
    (Vec::new(), Some(to))
}

impl Live {
    /// Applies `change` and says what it asks for: the one place an open room's state changes.
    pub fn dispatch(&self, change: Change) -> Effects {
        let (effects, leave_to) = match change {
            Change::Frame { frame, local_now, hidden } => self.apply(frame, local_now, hidden),
            Change::KeyMissing => self.key_is(KeyState::Missing),
            Change::KeyWrong => self.key_is(KeyState::Wrong),
            Change::KeyLocked => self.key_is(KeyState::NeedsPassphrase),
            Change::PassphraseWrong => self.key_is(KeyState::PassphraseWrong),
            Change::KeyReady => {
                self.write.key.set(KeyState::Ready);
                // Seated (the page request carried the seat cookie): open and connect; else
                // ask, with the cookie a page request from another site lacks.
                let seated = self.you.with_untracked(Option::is_some);
                (
                    if seated { vec![Effect::Open, Effect::Connect] } else { vec![Effect::View] },
                    None,
                )
            }
            Change::NoCrypto => self.notice(Some(NO_CRYPTO.into())),
            Change::Viewed(view) => {
                self.write.seated.set(view.seated);
                self.write.locked.set(view.locked);
                self.write.may_destroy.set(view.may_destroy || self.is_creator.get_untracked());
                let Some(you) = view.you else { return Vec::new() };
                if let Some(history) = view.history {
                    self.write.log.update(|log| log.replace_history(history, Some(&you.id)));
                }
                self.write.you.set(Some(you));
                (vec![Effect::Open, Effect::Connect], None)
            }
            Change::ViewFailed(
                ApiError::Network { .. } | ApiError::Unavailable | ApiError::RateLimited { .. },
            ) => (Vec::new(), None),
            Change::ViewFailed(err) => leave(err.home_query()),
            Change::JoinPressed { name } => {
                self.write.notice.set(None);
                (vec![Effect::TakeSeat { name }], None)
            }
            Change::UnlockPressed { passphrase } => {
                self.write.key.set(KeyState::Unlocking);
                (vec![Effect::TryPassphrase { passphrase }], None)
            }
            Change::JoinAnswered(Ok(joined)) => {
                self.write.notice.set(None);
                self.write.you.set(Some(joined.you));
                (vec![Effect::Open, Effect::Connect], None)
            }
            Change::JoinAnswered(Err(
                err @ (ApiError::Network { .. } | ApiError::Unavailable | ApiError::Invalid { .. }),
            )) => self.notice(Some(err.to_string())),
            Change::JoinAnswered(Err(err)) => leave(err.home_query()),
            Change::LeavePressed => {
                self.write.leaving.set(true);
                (vec![Effect::GiveSeatBack], None)
            }
            Change::DestroyPressed => {
                self.write.leaving.set(true);
                (vec![Effect::Destroy], None)
            }
            Change::NoOwnKey => {
                if self.is_creator.get_untracked() {
                    self.write.is_creator.set(false);
                    if self.destroyers == crate::model::Destroyers::Creator {
                        self.write.may_destroy.set(false);
                    }
                }
                (Vec::new(), None)
            }
            Change::LockPressed(locked) => {
                let act =
                    if locked { crate::rights::Act::Lock } else { crate::rights::Act::Unlock };
                (vec![Effect::Act(act)], None)
            }
            Change::RemovePressed { seat } => {
                (vec![Effect::Act(crate::rights::Act::Remove { seat })], None)
            }
            // What changed reaches every connected page as a frame; this one may not be
            // connected (the creator unlocking from the join panel).
            Change::ActAnswered { act, answer: Ok(()) } => {
                match act {
                    crate::rights::Act::Lock => self.write.locked.set(true),
                    crate::rights::Act::Unlock => self.write.locked.set(false),
                    _ => {}
                }
                self.notice(None)
            }
            Change::ActAnswered { answer: Err(err), .. } => self.notice(Some(err.to_string())),
            Change::LeaveAnswered(Ok(())) => leave("/?left=1"),
            Change::DestroyAnswered(Ok(())) => leave("/?destroyed=1"),
            Change::LeaveAnswered(Err(err)) | Change::DestroyAnswered(Err(err)) => {
                self.write.leaving.set(false);
                self.notice(Some(err.to_string()))
            }
            Change::OlderLoaded(Err(err)) => self.notice(Some(err.to_string())),
            Change::OlderLoaded(Ok(page)) => {
                let you = self.you.get_untracked().map(|seat| seat.id);
                self.write.log.update(|log| log.add_older(page, you.as_deref()));
                (vec![Effect::Open], None)
            }
            Change::Queued { client_id, text, now } => {
                self.write.notice.set(None);
                self.write.log.update(|log| log.queue(client_id.clone(), text.clone(), now));
                (vec![Effect::Seal { client_id, text }], None)
            }
            Change::Sealed { client_id, body } => {
                self.write.log.update(|log| log.sealed_as(&client_id, body.clone()));
                (vec![Effect::Send(ClientFrame::Send { client_id, body })], None)
            }
            Change::RetryPressed { client_id, now } => {
                match self.write.log.try_update(|log| log.retry(&client_id, now)).flatten() {
                    Some(body) => (vec![Effect::Send(ClientFrame::Send { client_id, body })], None),
                    None => (Vec::new(), None),
                }
            }
            Change::Typing => (vec![Effect::Send(ClientFrame::Typing {})], None),
            Change::OlderWanted => match self.log.with_untracked(|log| log.first_seq()) {
                Some(before) => (vec![Effect::LoadOlder { before }], None),
                None => (Vec::new(), None),
            },
            Change::KeysKept(kept) => {
                for (seat, key) in kept {
                    self.learn_key(&seat, key.map_or(SeatKey::Conflicting, SeatKey::Known));
                }
                (Vec::new(), None)
            }
            Change::OwnKey { fingerprint, public } => {
                self.own_key.set_value(Some(fingerprint));
                let creator = self.owner_key.with_value(|owner| owner.as_deref() == Some(&public));
                self.write.is_creator.set(creator);
                if creator && self.destroyers == crate::model::Destroyers::Creator {
                    self.write.may_destroy.set(true);
                }
                // The messages drawn before are drawn again, as yours where they are.
                self.write.log.update(|_| ());
                (Vec::new(), None)
            }
            Change::Opening { names } => {
                self.write.names.update(|known| {
                    known.extend(names.into_iter().map(|name| (name, Revealed::Sealed)));
                });
                (Vec::new(), None)
            }
            Change::Opened { messages, names } => {
                // Names first: they say which key is each seat's.
                let names: Vec<(Seat, Revealed)> = names
                    .into_iter()
                    .map(|(seat, opening)| {
                        let revealed = self.name_revealed(&seat, opening);
                        (seat, revealed)
                    })
                    .collect();
                self.write.names.update(|known| known.extend(names));
                let effects = self.confusables_wanted().into_iter().collect();
                let keys = self.keys.with_value(|keys| {
                    keys.iter()
                        .filter_map(|(seat, key)| match key {
                            SeatKey::Known(key) => Some((seat.clone(), key.clone())),
                            SeatKey::Conflicting => None,
                        })
                        .collect()
                });
                self.write.log.update(|log| {
                    for (seq, opening) in messages {
                        log.reveal_opened(seq, opening, &keys);
                    }
                    log.mark_out_of_place();
                });
                (effects, None)
            }
            Change::ConfusablesFetched(table) => {
                self.write.confusables.set(Some(table));
                (Vec::new(), None)
            }
            Change::HistoryLoaded(history) => {
                let you = self.you.get_untracked().map(|seat| seat.id);
                self.write.log.update(|log| log.replace_history(history, you.as_deref()));
                (vec![Effect::Open], None)
            }
            Change::Disconnected { failures, offline } => {
                let down = offline || failures > FAILURES_SHOWN_AS_RECONNECTING;
                self.write.connection.set(if down {
                    ConnectionStatus::Offline
                } else {
                    ConnectionStatus::Reconnecting
                });
                (Vec::new(), None)
            }
            Change::SocketRefused => (vec![Effect::AskWhyRefused], None),
            Change::Refused { view: Err(err) } => leave(err.home_query()),
            Change::Refused { view: Ok(view) } if view.you.is_none() => leave("/?error=seat-lost"),
            // Seated after all (a race with a reconnect elsewhere): the connection tries again.
            Change::Refused { view: Ok(_) } => (Vec::new(), None),
            Change::Ticked { local_now } => self.tick(local_now),
            Change::TabShown => {
                self.write.unread.set(0);
                (Vec::new(), None)
            }
        };
        match leave_to {
            Some(to) => {
                self.write.leave_to.set(Some(to.to_owned()));
                vec![Effect::Leave]
            }
            None => effects,
        }
    }

    /// [`Effect::FetchConfusables`], once, as soon as two seats' names are open: a room with one
    /// name has nothing to compare it with.
    fn confusables_wanted(&self) -> Option<Effect> {
        let open = self.names.with_untracked(|names| {
            names.values().filter(|name| matches!(name, Revealed::Text(_))).count()
        });
        (open >= 2 && !self.confusables_asked.get_value()).then(|| {
            self.confusables_asked.set_value(true);
            Effect::FetchConfusables
        })
    }

    fn key_is(&self, state: KeyState) -> Reduced {
        self.write.key.set(state);
        (Vec::new(), None)
    }

    fn notice(&self, text: Option<String>) -> Reduced {
        self.write.notice.set(text);
        (Vec::new(), None)
    }

    /// Moves the clock, marks messages unacknowledged for too long as failed, forgets
    /// messages past their timer, and leaves a room past its end.
    fn tick(&self, local_now: u64) -> Reduced {
        self.write.clock.set(self.server_now(local_now));
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
            return leave("/?expired=1");
        }
        // A visitor on the join page has no socket: the page asks now and then, so the seats
        // shown stay true, Join wakes when the creator unlocks, and a room destroyed meanwhile
        // sends the page home rather than waiting for a Join to find out.
        let waiting =
            self.key.get_untracked() == KeyState::Ready && self.you.with_untracked(Option::is_none);
        let every = if self.locked.get_untracked() {
            LOCKED_VIEW_EVERY_MS
        } else {
            JOIN_PAGE_VIEW_EVERY_MS
        };
        let last = self.viewed_from_join_page.get_value();
        if !waiting {
            self.viewed_from_join_page.set_value(0);
        } else if last == 0 {
            // The first tick on the join page: the view was just asked for.
            self.viewed_from_join_page.set_value(local_now);
        } else if local_now >= last.saturating_add(every) {
            self.viewed_from_join_page.set_value(local_now);
            return (vec![Effect::View], None);
        }
        (Vec::new(), None)
    }
}

#[cfg(test)]
mod tests;
