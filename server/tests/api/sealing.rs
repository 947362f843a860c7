//! A client's side of end-to-end encryption, written from docs/PROTOCOL.md with RustCrypto's
//! `aes-gcm` (not the browser's WebCrypto): every room these tests create gets a key, as its
//! link would carry it, and everything they send is sealed with it.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use app::envelope::{self, KEY_CHECK_TEXT, KEY_LEN, Purpose};
use app::model::{ChatMessage, RoomId, Seat};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// A room's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomKey(pub [u8; KEY_LEN]);

static KEYS: LazyLock<Mutex<HashMap<RoomId, RoomKey>>> = LazyLock::new(Default::default);

/// The key of `room`: the one its link carries (made when a test first asks).
pub fn key_of(room: &RoomId) -> RoomKey {
    let mut keys = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    *keys.entry(room.clone()).or_insert_with(|| RoomKey(Aes256Gcm::generate_key(OsRng).into()))
}

/// Gives `room` this key (the one in a link a browser made).
pub fn remember_key(room: &RoomId, key: RoomKey) {
    KEYS.lock().unwrap_or_else(|e| e.into_inner()).insert(room.clone(), key);
}

impl RoomKey {
    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0))
    }

    /// `text` sealed for `purpose` in `room`, with a fresh random IV.
    pub fn seal(&self, purpose: Purpose, room: &RoomId, text: &str) -> String {
        let iv = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = envelope::aad(purpose, room.as_str());
        let sealed = self.cipher().encrypt(&iv, Payload { msg: text.as_bytes(), aad: &aad });
        envelope::encode(&iv, &sealed.expect("AES-GCM seals any text"))
    }

    /// What `sealed` opens to, or `None` when it does not open with this key, room and purpose.
    pub fn open(&self, purpose: Purpose, room: &RoomId, sealed: &str) -> Option<String> {
        let bytes = envelope::decode(sealed, usize::MAX).ok()?;
        let (iv, ciphertext) = envelope::split(&bytes)?;
        let aad = envelope::aad(purpose, room.as_str());
        let plain =
            self.cipher().decrypt(Nonce::from_slice(iv), Payload { msg: ciphertext, aad: &aad });
        String::from_utf8(plain.ok()?).ok()
    }

    /// The key check the creator hands over with the first seat.
    pub fn key_check(&self, room: &RoomId) -> String {
        self.seal(Purpose::KeyCheck, room, KEY_CHECK_TEXT)
    }
}

/// The text of a message of `room`.
pub fn text(room: &RoomId, message: &ChatMessage) -> String {
    key_of(room).open(Purpose::Message, room, &message.body).expect("a message of this room")
}

/// The name of a seat of `room`.
pub fn name(room: &RoomId, seat: &Seat) -> String {
    key_of(room).open(Purpose::Name, room, &seat.name).expect("a name of this room")
}

/// The names of seats of `room`.
pub fn names(room: &RoomId, seats: &[Seat]) -> Vec<String> {
    seats.iter().map(|seat| name(room, seat)).collect()
}

#[test]
fn a_sealed_value_opens_only_with_its_key_room_and_purpose() {
    let room = RoomId::generate();
    let key = key_of(&room);
    let sealed = key.seal(Purpose::Message, &room, "hello");
    assert_eq!(key.open(Purpose::Message, &room, &sealed).as_deref(), Some("hello"));
    assert_ne!(sealed, key.seal(Purpose::Message, &room, "hello"), "a fresh IV each time");
    assert_eq!(key.open(Purpose::Name, &room, &sealed), None, "not as a name");
    assert_eq!(key.open(Purpose::Message, &RoomId::generate(), &sealed), None, "not elsewhere");
    assert_eq!(RoomKey([9; KEY_LEN]).open(Purpose::Message, &room, &sealed), None, "wrong key");
}
