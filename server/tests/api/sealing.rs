//! A client's side of end-to-end encryption, written from docs/PROTOCOL.md with RustCrypto's
//! `hkdf`, `sha2` and `aes-gcm` (not the browser's WebCrypto): every room these tests create
//! gets a link secret, as its link would carry it; the room is bound to the secret's membership
//! verifier, and everything sent is sealed with the key derived from it.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use app::base64url;
use app::envelope::{self, KEY_CHECK_TEXT, KEY_LEN, MEMBER_INFO, Purpose, SEAL_INFO};
use app::model::{ChatMessage, RoomId, Seat};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// A room link's secret (what follows `#k=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomKey(pub [u8; KEY_LEN]);

static KEYS: LazyLock<Mutex<HashMap<RoomId, RoomKey>>> = LazyLock::new(Default::default);

/// The link secret of `room`: the one its link carries (made when a test first asks).
pub fn key_of(room: &RoomId) -> RoomKey {
    let mut keys = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    *keys.entry(room.clone()).or_insert_with(RoomKey::generate)
}

/// Gives `room` this secret (the one in its link).
pub fn remember_key(room: &RoomId, key: RoomKey) {
    KEYS.lock().unwrap_or_else(|e| e.into_inner()).insert(room.clone(), key);
}

impl RoomKey {
    /// A new random secret.
    pub fn generate() -> Self {
        RoomKey(Aes256Gcm::generate_key(OsRng).into())
    }

    /// HKDF-SHA-256 of the secret, no salt, with `info`.
    fn derive(&self, info: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        Hkdf::<Sha256>::new(None, &self.0)
            .expand(info, &mut out)
            .expect("32 bytes is a valid length");
        out
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.derive(SEAL_INFO)))
    }

    /// The membership secret, as `join_room` (and `destroy_room` without a seat) sends it.
    pub fn proof(&self) -> String {
        base64url::encode(&self.derive(MEMBER_INFO))
    }

    /// The verifier a creator registers: SHA-256 of the membership secret.
    pub fn verifier(&self) -> String {
        base64url::encode(&Sha256::digest(self.derive(MEMBER_INFO)))
    }

    /// `text` sealed for `purpose` in `room`, with a fresh random IV.
    pub fn seal(&self, purpose: Purpose<'_>, room: &RoomId, text: &str) -> String {
        let iv = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = envelope::aad(purpose, room.as_str());
        let sealed = self.cipher().encrypt(&iv, Payload { msg: text.as_bytes(), aad: &aad });
        envelope::encode(&iv, &sealed.expect("AES-GCM seals any text"))
    }

    /// What `sealed` opens to, or `None` when it does not open with this key, room and purpose.
    pub fn open(&self, purpose: Purpose<'_>, room: &RoomId, sealed: &str) -> Option<String> {
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

    /// A new seat of `room` for a person called `name`: a random seat id and the name sealed
    /// for it.
    pub fn new_seat(&self, room: &RoomId, name: &str) -> Seat {
        let id = nanoid::nanoid!(app::model::SEAT_ID_LEN);
        let name = self.seal(Purpose::Name { seat: &id }, room, name);
        Seat { id, name }
    }
}

/// A message of `seat` in `room` with `client_id`, sealed.
pub fn sealed_message(room: &RoomId, seat: &str, client_id: &str, text: &str) -> String {
    key_of(room).seal(Purpose::Message { seat, client_id }, room, text)
}

/// The text of a message of `room`, opened under the seat and client id it came from.
pub fn text(room: &RoomId, message: &ChatMessage) -> String {
    let purpose = Purpose::Message { seat: &message.sender.id, client_id: &message.client_id };
    key_of(room).open(purpose, room, &message.body).expect("a message of this room")
}

/// The name of a seat of `room`.
pub fn name(room: &RoomId, seat: &Seat) -> String {
    let purpose = Purpose::Name { seat: &seat.id };
    key_of(room).open(purpose, room, &seat.name).expect("a name of this room")
}

/// The names of seats of `room`.
pub fn names(room: &RoomId, seats: &[Seat]) -> Vec<String> {
    seats.iter().map(|seat| name(room, seat)).collect()
}

#[test]
fn a_sealed_value_opens_only_with_its_key_room_purpose_and_owner() {
    let room = RoomId::generate();
    let key = key_of(&room);
    let mine = Purpose::Message { seat: "seat-aaaaaaa", client_id: "c1" };
    let sealed = key.seal(mine, &room, "hello");
    assert_eq!(key.open(mine, &room, &sealed).as_deref(), Some("hello"));
    assert_ne!(sealed, key.seal(mine, &room, "hello"), "a fresh IV each time");
    let as_name = Purpose::Name { seat: "seat-aaaaaaa" };
    assert_eq!(key.open(as_name, &room, &sealed), None, "not as a name");
    let theirs = Purpose::Message { seat: "seat-bbbbbbb", client_id: "c1" };
    assert_eq!(key.open(theirs, &room, &sealed), None, "not as another seat's");
    let renumbered = Purpose::Message { seat: "seat-aaaaaaa", client_id: "c2" };
    assert_eq!(key.open(renumbered, &room, &sealed), None, "not under another client id");
    assert_eq!(key.open(mine, &RoomId::generate(), &sealed), None, "not elsewhere");
    assert_eq!(RoomKey([9; KEY_LEN]).open(mine, &room, &sealed), None, "wrong key");
}

#[test]
fn the_sealing_key_and_the_membership_secret_are_different_values() {
    let key = RoomKey::generate();
    assert_ne!(key.derive(SEAL_INFO), key.derive(MEMBER_INFO));
    assert_ne!(key.derive(SEAL_INFO), key.0);
    assert!(app::membership::proves(&key.proof(), &key.verifier()));
    assert!(!app::membership::proves(&RoomKey::generate().proof(), &key.verifier()));
}

#[test]
fn the_derivation_matches_the_test_vector_in_docs_protocol() {
    let key = RoomKey([7; KEY_LEN]);
    assert_eq!(
        hex::encode(key.derive(SEAL_INFO)),
        "4ad744fa34416903f70f5f1eef2a8fa0184897f044b4e44bec967d9a616ba659"
    );
    assert_eq!(key.proof(), "Rn6hbDAPPyu0f650G2aVTyDKmBZUOX2RGtiRnj3pBUk");
    assert_eq!(key.verifier(), "4FdAY8CZ51X8rsshwk_4Ruo8KdCiMSfMfoEvzhN-CdY");
    let aad = envelope::aad(
        Purpose::Message { seat: "seatAAAAAAAA", client_id: "c1" },
        "roomroomroomroom",
    );
    assert_eq!(aad.len(), 34);
}
