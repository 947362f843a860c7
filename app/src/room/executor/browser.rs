//! The executor in the browser: it holds the room key and the connection, and runs effects.

use crate::confusables::Confusables;
use crate::crypto::{CryptoError, Opened, RoomKey, Signer, handed_over};
use crate::envelope::{self, KEY_LEN, Purpose, SIGNED};
use crate::error::ApiError;
use crate::model::now_ms;
use crate::remembered_name::update_remembered;
use crate::rights::Act;
use crate::room::chat_log::{By, Opening, SignedBy};
use crate::room::live::{Change, Effect, KeyState, Live};
use crate::room::{
    creator_act, destroy_room, leave_room, link, room_history, room_view, signing_key, socket,
    take_seat,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::VecDeque;
use std::time::Duration;

/// What the page holds of its room in the browser; `Copy`, so callbacks share it.
#[derive(Clone, Copy)]
pub struct Executor {
    live: Live,
    key: StoredValue<Option<RoomKey>, LocalStorage>,
    /// The link's secret, kept while the page asks for the room's passphrase.
    secret: StoredValue<Option<[u8; KEY_LEN]>>,
    outbox: StoredValue<Option<socket::Outbox>, LocalStorage>,
    /// Whether a task is opening sealed messages and names now.
    opening: StoredValue<bool>,
    /// This browser's signing key in the room, once the page has sealed something.
    signer: StoredValue<Option<Signer>, LocalStorage>,
    /// Messages written, waiting to be signed and sealed, oldest first: one task seals them in
    /// order, so they go out in the order of their counters.
    to_seal: StoredValue<VecDeque<(String, String)>>,
    /// Whether that task runs now.
    sealing: StoredValue<bool>,
    /// The last counter this page signed.
    counter: StoredValue<u64>,
}

impl Executor {
    pub fn new(live: Live) -> Self {
        Executor {
            live,
            key: StoredValue::new_local(None),
            secret: StoredValue::new(None),
            outbox: StoredValue::new_local(None),
            opening: StoredValue::new(false),
            signer: StoredValue::new_local(None),
            to_seal: StoredValue::new(VecDeque::new()),
            sealing: StoredValue::new(false),
            counter: StoredValue::new(0),
        }
    }

    /// Whether the room was made since members sign: its key check is signed (or not there
    /// yet, in a room just made). In a room made before, unsigned values are the norm; in one
    /// made since, an unsigned value is a forgery.
    fn signed_room(self) -> bool {
        self.live.key_check.with_value(|check| {
            check.as_deref().is_none_or(|check| envelope::version_of(check) == Some(SIGNED))
        })
    }

    /// The room's state, as components read it.
    pub fn live(self) -> Live {
        self.live
    }

    /// Applies `change` and runs what it asks for. Once the page has left the room (its
    /// signals are gone), an answer or a frame still on its way changes nothing.
    pub fn dispatch(self, change: Change) {
        if self.gone() {
            return;
        }
        for effect in self.live.dispatch(change) {
            self.run(effect);
        }
    }

    /// Shows `text` as sending at once; sealing and sending follow ([`Change::Queued`]).
    pub fn write(self, text: String) {
        let Some(client_id) = crate::random::url_safe_id(16) else {
            self.dispatch(Change::NoCrypto);
            return;
        };
        self.dispatch(Change::Queued { client_id, text, now: now_ms() });
    }

    /// Whether the page has left the room: what it held is disposed.
    fn gone(self) -> bool {
        self.opening.is_disposed()
    }

    /// Starts the clock, and reads the key; the change that says it is ready asks for the
    /// rest (nothing here takes a seat).
    pub fn start(self) {
        let ticker = set_interval_with_handle(
            move || self.dispatch(Change::Ticked { local_now: now_ms() }),
            Duration::from_millis(250),
        );
        let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if !document().hidden() {
                self.dispatch(Change::TabShown);
            }
        });
        // The whole link pasted into the address bar of a tab that opened it without its key
        // (or with a damaged one) changes only the fragment, which loads nothing: read it.
        let pasted = window_event_listener(leptos::ev::hashchange, move |_| {
            let key = self.live.key.get_untracked();
            if matches!(key, KeyState::Missing | KeyState::Wrong) {
                spawn_local(self.read_key());
            }
        });
        on_cleanup(move || {
            if let Ok(ticker) = ticker {
                ticker.clear();
            }
            visible.remove();
            pasted.remove();
            // Dropping the sender ends the connection (when the room's values are not
            // gone already, which drops it too).
            let _ = self.outbox.try_set_value(None);
        });
        spawn_local(self.read_key());
    }

    /// The room's id, read before a task starts: the task may finish after the page has
    /// left the room.
    fn room(self) -> String {
        self.live.room_id.get_value().to_string()
    }

    fn run(self, effect: Effect) {
        match effect {
            Effect::View => {
                let room = self.room();
                spawn_local(async move {
                    match room_view(room).await {
                        Ok(view) => self.dispatch(Change::Viewed(view)),
                        Err(err) => self.dispatch(Change::ViewFailed(err)),
                    }
                });
            }
            Effect::Connect => {
                let connected =
                    self.outbox.with_value(|o| o.as_ref().is_some_and(|o| !o.is_closed()));
                if !connected {
                    self.outbox.set_value(Some(socket::connect(self)));
                }
            }
            Effect::Seal { client_id, text } => self.seal(client_id, text),
            Effect::Send(frame) => self.outbox.with_value(|outbox| {
                // Offline, a message stays pending and is sent again on welcome.
                if let Some(outbox) = outbox {
                    let _ = outbox.unbounded_send(frame);
                }
            }),
            Effect::Open => self.open_sealed(),
            Effect::ReloadHistory => {
                let room = self.room();
                spawn_local(async move {
                    if let Ok(history) = room_history(room, None, None).await {
                        self.dispatch(Change::HistoryLoaded(history));
                    }
                });
            }
            Effect::LoadOlder { before } => {
                let room = self.room();
                spawn_local(async move {
                    let page = room_history(room, None, Some(before)).await;
                    self.dispatch(Change::OlderLoaded(page));
                });
            }
            Effect::TakeSeat { name } => self.take_seat(name),
            Effect::TryPassphrase { passphrase } => {
                let Some(raw) = self.secret.get_value() else { return };
                spawn_local(async move {
                    if self.try_key(&raw, Some(&passphrase)).await {
                        self.secret.set_value(None);
                    }
                });
            }
            Effect::GiveSeatBack => {
                let room = self.room();
                spawn_local(async move {
                    let answer = leave_room(room).await;
                    self.dispatch(Change::LeaveAnswered(answer));
                });
            }
            Effect::Destroy => {
                let room = self.room();
                // Where the creator's key decides, it proves the creator; else the seat does.
                let by_key = self.live.destroyers == crate::model::Destroyers::Creator
                    && self.live.owner_key.with_value(Option::is_some);
                spawn_local(async move {
                    let answer = match by_key {
                        true => self.act(Act::Destroy).await,
                        false => destroy_room(room, None).await,
                    };
                    self.dispatch(Change::DestroyAnswered(answer));
                });
            }
            Effect::Act(act) => spawn_local(async move {
                let answer = self.act(act.clone()).await;
                self.dispatch(Change::ActAnswered { act, answer });
            }),
            Effect::AskWhyRefused => {
                let room = self.room();
                spawn_local(async move {
                    let view = room_view(room).await;
                    self.dispatch(Change::Refused { view });
                });
            }
            Effect::FetchConfusables => spawn_local(async move {
                // Without them, names are compared by the short table: nothing to tell.
                if let Some(table) = fetch_confusables().await {
                    self.dispatch(Change::ConfusablesFetched(std::sync::Arc::new(table)));
                }
            }),
            Effect::Leave => self.leave(),
        }
    }

    /// The room is over for this page: the connection ends (dropping the sender ends it),
    /// the tab forgets the link, and, when the room itself ended, the seat cookie goes too
    /// (only the server can remove it; the answer does not matter).
    fn leave(self) {
        self.outbox.set_value(None);
        let room = self.live.room_id.get_value();
        link::forget(&room);
        let ended = self.live.leave_to.with_untracked(|to| {
            to.as_deref().is_some_and(|to| to.contains("destroyed=1") || to.contains("expired=1"))
        });
        if ended {
            // The signing key goes with the room; a visitor who only left keeps it, and signs
            // as the same person on coming back.
            signing_key::forget(&room);
            link::forget_name(&room);
            spawn_local(async move {
                let _ = leave_room(room.to_string()).await;
            });
        }
    }

    /// Reads the key from the link's fragment (taken out of the address, [`link`]) and checks
    /// it against the room's key check; says why when it cannot be used, or asks for the
    /// passphrase when the link says the room has one. The key is never sent. A creator just
    /// arrived from the home page has the keys already (passphrase included).
    async fn read_key(self) {
        let live = self.live;
        let room = live.room_id.get_value();
        // What this browser learnt of the members' keys before a reload still stands.
        self.dispatch(Change::KeysKept(signing_key::seen(&room)));
        self.note_own_key().await;
        let fragment = link::fragment(&room, live.expires_at);
        let Some(raw) = envelope::key_from_fragment(&fragment) else {
            // A key that is not one (cut short, changed) is not a missing key.
            let damaged = envelope::has_key(&fragment);
            return self.dispatch(if damaged { Change::KeyWrong } else { Change::KeyMissing });
        };
        if let Some(key) = handed_over(&room) {
            self.key.set_value(Some(key));
            return self.dispatch(Change::KeyReady);
        }
        if envelope::needs_passphrase(&fragment) {
            self.secret.set_value(Some(raw));
            return self.dispatch(Change::KeyLocked);
        }
        self.try_key(&raw, None).await;
    }

    /// Derives the keys of `raw` (and `passphrase`) and checks them against the room's key
    /// check; keeps them when they open it.
    async fn try_key(self, raw: &[u8; KEY_LEN], passphrase: Option<&str>) -> bool {
        let live = self.live;
        let room = live.room_id.get_value();
        let imported = RoomKey::import(raw, passphrase, &room).await;
        if self.gone() {
            return false;
        }
        let Ok(key) = imported else {
            self.dispatch(Change::NoCrypto);
            self.dispatch(Change::KeyMissing);
            return false;
        };
        if let Some(check) = live.key_check.get_value()
            && !key.opens_check(&check).await
        {
            if self.gone() {
                return false;
            }
            let wrong =
                if passphrase.is_some() { Change::PassphraseWrong } else { Change::KeyWrong };
            self.dispatch(wrong);
            return false;
        }
        if self.gone() {
            return false;
        }
        self.key.set_value(Some(key));
        self.dispatch(Change::KeyReady);
        true
    }

    /// Takes a seat under `name` (sealed for it), proving the link.
    fn take_seat(self, name: String) {
        let Some(key) = self.key.get_value() else { return };
        let deadline = self.live.expires_at;
        spawn_local(async move {
            let answer = take_seat(&key, &name, false, deadline).await;
            let joined = answer.is_ok();
            if joined {
                update_remembered(&name);
            }
            self.dispatch(Change::JoinAnswered(answer));
            if joined {
                self.note_own_key().await;
            }
        });
    }

    /// Tells the room which key is this browser's, when it keeps one for the room: what it
    /// signed before leaving and coming back is shown as its own, and the creator's page knows
    /// itself.
    async fn note_own_key(self) {
        let Some(room) = self.live.room_id.try_get_value() else { return };
        let Some(public) = signing_key::kept_public(&room) else {
            return self.dispatch(Change::NoOwnKey);
        };
        if let Ok(fingerprint) = crate::crypto::fingerprint(&public).await {
            let public = crate::base64url::encode(&public);
            self.dispatch(Change::OwnKey { fingerprint, public });
        }
    }

    /// This page's signing key in the room (made on first use, kept while the room lives).
    async fn signer(self) -> Result<Signer, CryptoError> {
        if let Some(signer) = self.signer.try_get_value().flatten() {
            return Ok(signer);
        }
        let room = self.live.room_id.try_get_value().ok_or(CryptoError::Unavailable)?;
        let signer = signing_key::for_room(&room, self.live.expires_at).await?;
        let _ = self.signer.try_set_value(Some(signer.clone()));
        Ok(signer)
    }

    /// Asks for a creator's right, signed with this page's key at the server's time.
    async fn act(self, act: Act) -> Result<(), ApiError> {
        let cannot = || ApiError::Network {
            detail: "this browser cannot sign: WebCrypto (with Ed25519) is missing".into(),
        };
        let signer = self.signer().await.map_err(|_| cannot())?;
        let room = self.live.room_id.try_get_value().ok_or_else(cannot)?;
        let time = self.live.server_now(now_ms());
        let signature = signer.sign_right(&room, &act, time).await.map_err(|_| cannot())?;
        creator_act(room.to_string(), act, time, signature).await
    }

    /// Signs and seals a queued message under this seat and its client id, after those queued
    /// before it.
    fn seal(self, client_id: String, text: String) {
        self.to_seal.update_value(|queue| queue.push_back((client_id, text)));
        if self.sealing.get_value() {
            return;
        }
        self.sealing.set_value(true);
        spawn_local(async move {
            while let Some((client_id, text)) =
                self.to_seal.try_update_value(VecDeque::pop_front).flatten()
            {
                if let Some(change) = self.seal_one(client_id, text).await {
                    self.dispatch(change);
                }
            }
            let _ = self.sealing.try_set_value(false);
        });
    }

    /// One message signed (with the next counter and the server's time as this page knows it)
    /// and sealed: `None` once the page has left the room.
    async fn seal_one(self, client_id: String, text: String) -> Option<Change> {
        let key = self.key.try_get_value()??;
        let seat = self.live.you.try_get_untracked()??.id;
        let room = key.room().clone();
        let Ok(signer) = self.signer().await else { return Some(Change::NoCrypto) };
        let floor = self.counter.try_get_value()?.saturating_add(1);
        let counter = signing_key::next_counter(&room, floor);
        let _ = self.counter.try_set_value(counter);
        let time = self.live.server_now(now_ms());
        let purpose = Purpose::Message { seat: &seat, client_id: &client_id };
        Some(match key.seal(purpose, &text, &signer, counter, time).await {
            Ok(body) => Change::Sealed { client_id, body },
            Err(_) => Change::NoCrypto,
        })
    }

    /// Opens every sealed message and name not opened yet, one batch at a time, until none
    /// is left (one task at a time; new arrivals join the next batch).
    fn open_sealed(self) {
        let live = self.live;
        let Some(key) = self.key.get_value() else { return };
        if self.opening.get_value() {
            return;
        }
        self.opening.set_value(true);
        spawn_local(async move {
            loop {
                if self.gone() {
                    return;
                }
                let bodies = live.log.with_untracked(|log| log.sealed());
                let names = live.sealed_names();
                if bodies.is_empty() && names.is_empty() {
                    break;
                }
                // Marked as being opened, so the next batch does not take them again.
                self.dispatch(Change::Opening { names: names.clone() });
                // Each opens only under the seat (and client id) the server says it is from.
                let texts = futures::future::join_all(bodies.iter().map(|m| {
                    let purpose = Purpose::Message { seat: &m.sender.id, client_id: &m.client_id };
                    key.open(purpose, &m.body)
                }))
                .await;
                let opened = futures::future::join_all(
                    names.iter().map(|seat| key.open(Purpose::Name { seat: &seat.id }, &seat.name)),
                )
                .await;
                if self.gone() {
                    return;
                }
                let signed = self.signed_room();
                let reveal = |opened| opening(opened, signed);
                let messages = bodies.iter().map(|m| m.seq).zip(texts.into_iter().map(reveal));
                let names = names.into_iter().zip(opened.into_iter().map(reveal));
                let (messages, names) = (messages.collect(), names.collect());
                self.dispatch(Change::Opened { messages, names });
                if self.gone() {
                    return;
                }
                let room = live.room_id.get_value();
                signing_key::keep_seen(&room, live.expires_at, &live.seat_keys());
            }
            let _ = self.opening.try_set_value(false);
        });
    }
}

/// Unicode's confusables, as the server serves them (the browser keeps them: the path names
/// their version), or `None` when they cannot be had.
async fn fetch_confusables() -> Option<Confusables> {
    let response = gloo_net::http::Request::get(crate::confusables::PATH).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    Some(Confusables::parse(&response.text().await.ok()?))
}

/// What opening a value gave, in a room made since members sign (`signed_room`) or before.
fn opening(opened: Result<Opened, CryptoError>, signed_room: bool) -> Opening {
    let Ok(Opened { text, signature }) = opened else { return Opening::Unreadable };
    let by = match signature {
        None if signed_room => By::Forged,
        None => By::Unsigned,
        Some(signature) if !signature.holds => By::Forged,
        Some(signature) => By::Key(SignedBy {
            fingerprint: signature.fingerprint,
            counter: signature.counter,
            time: signature.time,
        }),
    };
    Opening::Opened { text, by }
}
