//! The courier between the page and its room, in the browser: it reads the key from the link's
//! fragment (and stretches the passphrase, in a room that has one), takes the seat when the visitor presses Join, keeps the connection, seals what is
//! sent and opens what arrives. The server renders the page without any of it.

pub use imp::Courier;

#[cfg(not(feature = "hydrate"))]
mod imp {
    use crate::room::live::Live;
    use leptos::prelude::RwSignal;

    /// Rendering on the server: no key, no connection; nothing to do.
    #[derive(Clone, Copy)]
    pub struct Courier;

    impl Courier {
        pub fn new() -> Self {
            Courier
        }

        pub fn start(self, _live: Live, _clock: RwSignal<u64>) {}

        pub fn join(self, _live: Live, _name: String) {}

        pub fn unlock(self, _live: Live, _passphrase: String) {}

        pub fn send_message(self, _live: Live, _text: String) {}

        pub fn retry(self, _live: Live, _client_id: String) {}

        pub fn typing(self) {}

        pub fn load_older(self, _live: Live) {}
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use crate::crypto::{CryptoError, RoomKey, handed_over};
    use crate::envelope::{self, KEY_LEN, Purpose};
    use crate::identity::update_remembered;
    use crate::model::now_ms;
    use crate::protocol::ClientFrame;
    use crate::room::chat_log::Revealed;
    use crate::room::live::{Change, Live, Next};
    use crate::room::{link, room_history, room_view, socket, take_seat};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use std::time::Duration;

    /// What the page holds of its room in the browser; `Copy`, so callbacks share it.
    #[derive(Clone, Copy)]
    pub struct Courier {
        key: StoredValue<Option<RoomKey>, LocalStorage>,
        /// The link's secret, kept while the page asks for the room's passphrase.
        secret: StoredValue<Option<[u8; KEY_LEN]>>,
        outbox: StoredValue<Option<socket::Outbox>, LocalStorage>,
        /// Whether a task is opening sealed messages and names now.
        opening: StoredValue<bool>,
    }

    impl Courier {
        pub fn new() -> Self {
            Courier {
                key: StoredValue::new_local(None),
                secret: StoredValue::new(None),
                outbox: StoredValue::new_local(None),
                opening: StoredValue::new(false),
            }
        }

        /// Starts the clock, reads the key, finds out whether this browser holds a seat, and
        /// connects if it does. Nothing here takes a seat.
        pub fn start(self, live: Live, clock: RwSignal<u64>) {
            let ticker =
                set_interval_with_handle(move || tick(live, clock), Duration::from_millis(250));
            let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
                if !document().hidden() {
                    live.dispatch(Change::TabShown);
                }
            });
            on_cleanup(move || {
                if let Ok(ticker) = ticker {
                    ticker.clear();
                }
                visible.remove();
                // Dropping the sender ends the connection.
                self.outbox.set_value(None);
            });
            spawn_local(async move {
                if self.read_key(live).await {
                    self.enter(live).await;
                }
            });
        }

        /// With the key ready: finds out whether this browser holds a seat, opens what is
        /// sealed, and connects if it does.
        async fn enter(self, live: Live) {
            if live.you.get_untracked().is_none() {
                self.find_seat(live).await;
            }
            self.open_sealed(live);
            if live.you.get_untracked().is_some() {
                self.connect(live);
            }
        }

        /// Reads the key from the link's fragment (taking it out of the address, [`link`]) and
        /// checks it against the room's key check; says why when it cannot be used, or asks for
        /// the passphrase when the link says the room has one. The key is never sent. A creator
        /// just arrived from the home page has the keys already (passphrase included).
        async fn read_key(self, live: Live) -> bool {
            let room = live.room_id.get_value();
            let fragment = link::fragment(&room, live.expires_at);
            let Some(raw) = envelope::key_from_fragment(&fragment) else {
                live.dispatch(Change::KeyMissing);
                return false;
            };
            if let Some(key) = handed_over(&room) {
                self.key.set_value(Some(key));
                live.dispatch(Change::KeyReady);
                return true;
            }
            if envelope::needs_passphrase(&fragment) {
                self.secret.set_value(Some(raw));
                live.dispatch(Change::KeyLocked);
                return false;
            }
            self.try_key(live, &raw, None).await
        }

        /// Tries the room's passphrase with the link's secret; the page says when it is wrong
        /// and asks again.
        pub fn unlock(self, live: Live, passphrase: String) {
            let Some(raw) = self.secret.get_value() else { return };
            spawn_local(async move {
                if self.try_key(live, &raw, Some(&passphrase)).await {
                    self.secret.set_value(None);
                    self.enter(live).await;
                }
            });
        }

        /// Derives the keys of `raw` (and `passphrase`) and checks them against the room's key
        /// check; keeps them when they open it.
        async fn try_key(self, live: Live, raw: &[u8; KEY_LEN], passphrase: Option<&str>) -> bool {
            let room = live.room_id.get_value();
            let key = match RoomKey::import(raw, passphrase, &room).await {
                Ok(key) => key,
                Err(_) => {
                    live.dispatch(Change::NoCrypto);
                    live.dispatch(Change::KeyMissing);
                    return false;
                }
            };
            if let Some(check) = live.key_check.get_value()
                && !key.opens_check(&check).await
            {
                let wrong =
                    if passphrase.is_some() { Change::PassphraseWrong } else { Change::KeyWrong };
                live.dispatch(wrong);
                return false;
            }
            self.key.set_value(Some(key));
            live.dispatch(Change::KeyReady);
            true
        }

        /// Arriving by a link from another site, the browser withheld the seat cookie from the
        /// page request; asking from the page itself carries it.
        async fn find_seat(self, live: Live) {
            if let Ok(view) = room_view(live.room_id.get_value().to_string()).await {
                live.dispatch(Change::Viewed(view));
            }
        }

        /// Takes a seat under `name` (sealed for it), proving the link; then connects.
        pub fn join(self, live: Live, name: String) {
            let Some(key) = self.key.get_value() else { return };
            spawn_local(async move {
                let answer = take_seat(&key, &name, false).await;
                let joined = answer.is_ok();
                if joined {
                    update_remembered(&name);
                }
                live.dispatch(Change::JoinAnswered(answer));
                if joined {
                    self.open_sealed(live);
                    self.connect(live);
                }
            });
        }

        /// Shows `text` as sending at once, seals it, and sends it.
        pub fn send_message(self, live: Live, text: String) {
            let Some(key) = self.key.get_value() else { return };
            let (Some(client_id), Some(seat)) =
                (crate::random::url_safe_id(16), live.you.get_untracked().map(|seat| seat.id))
            else {
                live.dispatch(Change::NoCrypto);
                return;
            };
            let queued =
                Change::Queued { client_id: client_id.clone(), text: text.clone(), now: now_ms() };
            live.dispatch(queued);
            spawn_local(async move {
                let purpose = Purpose::Message { seat: &seat, client_id: &client_id };
                let change = match key.seal(purpose, &text).await {
                    Ok(body) => Change::Sealed { client_id, body },
                    Err(_) => Change::NoCrypto,
                };
                self.follow(live.dispatch(change));
            });
        }

        /// Sends a failed message again (the same sealed body, so it is stored once).
        pub fn retry(self, live: Live, client_id: String) {
            self.follow(live.dispatch(Change::RetryPressed { client_id, now: now_ms() }));
        }

        pub fn typing(self) {
            self.send(ClientFrame::Typing {});
        }

        /// Loads the page of messages older than the oldest held, and opens it.
        pub fn load_older(self, live: Live) {
            let Some(first) = live.log.with_untracked(|log| log.first_seq()) else { return };
            spawn_local(async move {
                let room = live.room_id.get_value().to_string();
                let page = room_history(room, None, Some(first)).await;
                let loaded = page.is_ok();
                live.dispatch(Change::OlderLoaded(page));
                if loaded {
                    self.open_sealed(live);
                }
            });
        }

        /// Sends what a change asks to send.
        fn follow(self, next: Next) {
            if let Next::Send(frames) = next {
                for frame in frames {
                    self.send(frame);
                }
            }
        }

        /// Hands a frame to the connection; a message sent while offline stays pending and is
        /// sent again when the connection is back.
        fn send(self, frame: ClientFrame) {
            self.outbox.with_value(|outbox| {
                if let Some(outbox) = outbox {
                    let _ = outbox.unbounded_send(frame);
                }
            });
        }

        fn connect(self, live: Live) {
            let opened = move || self.open_sealed(live);
            self.outbox.set_value(Some(socket::connect(live, opened)));
        }

        /// Opens every sealed message and name not opened yet, one batch at a time, until none
        /// is left (one task at a time; new arrivals join the next batch).
        pub fn open_sealed(self, live: Live) {
            let Some(key) = self.key.get_value() else { return };
            if self.opening.get_value() {
                return;
            }
            self.opening.set_value(true);
            spawn_local(async move {
                loop {
                    let bodies = live.log.with_untracked(|log| log.sealed());
                    let names = live.sealed_names();
                    if bodies.is_empty() && names.is_empty() {
                        break;
                    }
                    // Marked as being opened, so the next batch does not take them again.
                    live.dispatch(Change::Opening { names: names.clone() });
                    // Each opens only under the seat (and client id) the server says it is from.
                    let texts = futures::future::join_all(bodies.iter().map(|m| {
                        let purpose =
                            Purpose::Message { seat: &m.sender.id, client_id: &m.client_id };
                        key.open(purpose, &m.body)
                    }))
                    .await;
                    let opened = futures::future::join_all(
                        names
                            .iter()
                            .map(|seat| key.open(Purpose::Name { seat: &seat.id }, &seat.name)),
                    )
                    .await;
                    let messages =
                        bodies.iter().map(|m| m.seq).zip(texts.into_iter().map(revealed));
                    let names = names.into_iter().zip(opened.into_iter().map(revealed));
                    let (messages, names) = (messages.collect(), names.collect());
                    live.dispatch(Change::Opened { messages, names });
                }
                self.opening.set_value(false);
            });
        }
    }

    fn revealed(opened: Result<String, CryptoError>) -> Revealed {
        match opened {
            Ok(text) => Revealed::Text(text),
            Err(_) => Revealed::Unreadable,
        }
    }

    fn tick(live: Live, clock: RwSignal<u64>) {
        let local_now = now_ms();
        clock.set(live.server_now(local_now));
        live.dispatch(Change::Ticked { local_now });
    }
}
