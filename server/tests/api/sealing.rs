//! A client's side of end-to-end encryption, written from docs/PROTOCOL.md with RustCrypto's
//! `hkdf`, `sha2` and `aes-gcm`, and dalek's `ed25519-dalek` (not the browser's WebCrypto):
//! every room these tests create gets a link secret, as its link would carry it; the room is
//! bound to the secret's membership verifier, and everything sent is sealed with the key derived
//! from it and signed by the key of the seat that sends it (version 3), as a page does; `seal`
//! makes an unsigned one (version 2) for the tests that need one (the server accepts both, and
//! cannot tell whether a signature holds).

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use app::base64url;
use app::envelope::{
    self, KEY_CHECK_TEXT, KEY_LEN, MEMBER_INFO, PUBLIC_KEY_LEN, Purpose, SEAL_INFO, SIGNED, Signed,
};
use app::model::{ChatMessage, RoomId, Seat};
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
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
        let aad = envelope::aad(envelope::VERSION, purpose, room.as_str());
        let sealed = self.cipher().encrypt(&iv, Payload { msg: text.as_bytes(), aad: &aad });
        envelope::encode(&iv, &sealed.expect("AES-GCM seals any text"))
    }

    /// `text` signed as `signing` says and sealed for `purpose` in `room` with the IV `iv`:
    /// envelope version 3.
    pub fn seal_signed_with(
        &self,
        purpose: Purpose<'_>,
        room: &RoomId,
        signing: Signing<'_>,
        text: &str,
        iv: [u8; 12],
    ) -> String {
        let Signing { key: signer, counter, time } = signing;
        let public_key = signer.verifying_key().to_bytes();
        let signed = envelope::signed_bytes(
            purpose,
            room.as_str(),
            &public_key,
            counter,
            time,
            text.as_bytes(),
        );
        let signature = signer.sign(&signed).to_bytes();
        let plain = Signed {
            public_key: &public_key,
            counter,
            time,
            signature: &signature,
            text: text.as_bytes(),
        }
        .to_bytes();
        let aad = envelope::aad(SIGNED, purpose, room.as_str());
        let sealed =
            self.cipher().encrypt(Nonce::from_slice(&iv), Payload { msg: &plain, aad: &aad });
        envelope::encode_version(SIGNED, &iv, &sealed.expect("AES-GCM seals any text"))
    }

    /// `text` signed and sealed as [`RoomKey::seal_signed_with`], with a fresh random IV.
    pub fn seal_signed(
        &self,
        purpose: Purpose<'_>,
        room: &RoomId,
        signing: Signing<'_>,
        text: &str,
    ) -> String {
        let iv = Aes256Gcm::generate_nonce(&mut OsRng).into();
        self.seal_signed_with(purpose, room, signing, text, iv)
    }

    /// What `sealed` opens to, and who signed it (for version 3), or `None` when it does not
    /// open with this key, room and purpose.
    pub fn open_signed(
        &self,
        purpose: Purpose<'_>,
        room: &RoomId,
        sealed: &str,
    ) -> Option<(String, Option<Signature>)> {
        let bytes = envelope::decode(sealed, usize::MAX).ok()?;
        let (version, iv, ciphertext) = envelope::split(&bytes)?;
        let aad = envelope::aad(version, purpose, room.as_str());
        let plain =
            self.cipher().decrypt(Nonce::from_slice(iv), Payload { msg: ciphertext, aad: &aad });
        let plain = plain.ok()?;
        if version != SIGNED {
            return Some((String::from_utf8(plain).ok()?, None));
        }
        let signed = Signed::parse(&plain)?;
        let bytes = envelope::signed_bytes(
            purpose,
            room.as_str(),
            signed.public_key,
            signed.counter,
            signed.time,
            signed.text,
        );
        let signature = ed25519_dalek::Signature::from_bytes(signed.signature);
        let holds = VerifyingKey::from_bytes(signed.public_key)
            .is_ok_and(|key| key.verify(&bytes, &signature).is_ok());
        let text = String::from_utf8(signed.text.to_vec()).ok()?;
        let signature = Signature {
            public_key: *signed.public_key,
            counter: signed.counter,
            time: signed.time,
            holds,
        };
        Some((text, Some(signature)))
    }

    /// What `sealed` opens to, or `None` when it does not open with this key, room and purpose
    /// (or it is signed, and its signature does not hold).
    pub fn open(&self, purpose: Purpose<'_>, room: &RoomId, sealed: &str) -> Option<String> {
        match self.open_signed(purpose, room, sealed)? {
            (_, Some(signature)) if !signature.holds => None,
            (text, _) => Some(text),
        }
    }

    /// The key check the creator hands over with the first seat (signed by a key of the
    /// room's own here; a page signs it with its creator's).
    pub fn key_check(&self, room: &RoomId) -> String {
        let signer = signer_of(room.as_str());
        let now = app::model::now_ms();
        let signing = Signing { key: &signer, counter: 0, time: now };
        self.seal_signed(Purpose::KeyCheck, room, signing, KEY_CHECK_TEXT)
    }

    /// A new seat of `room` for a person called `name`: a random seat id and the name signed
    /// by the seat's key ([`signer_of`]) and sealed for it.
    pub fn new_seat(&self, room: &RoomId, name: &str) -> Seat {
        let id = nanoid::nanoid!(app::model::SEAT_ID_LEN);
        let (signer, now) = (signer_of(&id), app::model::now_ms());
        let signing = Signing { key: &signer, counter: 0, time: now };
        let name = self.seal_signed(Purpose::Name { seat: &id }, room, signing, name);
        Seat { id, name }
    }
}

type Signers = HashMap<String, (SigningKey, u64)>;

/// Each seat's signing key and last counter, by seat id.
static SIGNERS: LazyLock<Mutex<Signers>> = LazyLock::new(Default::default);

/// The signing key of a seat (by its id), made when a test first asks, as its page would.
pub fn signer_of(seat: &str) -> SigningKey {
    let mut signers = SIGNERS.lock().unwrap_or_else(|e| e.into_inner());
    signers.entry(seat.to_owned()).or_insert_with(|| (signing_key(), 0)).0.clone()
}

/// The next counter of a seat's messages.
fn next_counter(seat: &str) -> u64 {
    let mut signers = SIGNERS.lock().unwrap_or_else(|e| e.into_inner());
    let entry = signers.entry(seat.to_owned()).or_insert_with(|| (signing_key(), 0));
    entry.1 += 1;
    entry.1
}

/// Who signs a value: their key, their counter, and the time.
#[derive(Clone, Copy)]
pub struct Signing<'a> {
    pub key: &'a SigningKey,
    pub counter: u64,
    pub time: u64,
}

/// The signature inside an opened version 3 value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub public_key: [u8; PUBLIC_KEY_LEN],
    pub counter: u64,
    pub time: u64,
    pub holds: bool,
}

/// A new random signing key, as a page makes one.
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&Aes256Gcm::generate_key(OsRng).into())
}

/// A message of `seat` in `room` with `client_id`, signed by the seat's key and sealed.
pub fn sealed_message(room: &RoomId, seat: &str, client_id: &str, text: &str) -> String {
    let (signer, counter) = (signer_of(seat), next_counter(seat));
    let purpose = Purpose::Message { seat, client_id };
    let signing = Signing { key: &signer, counter, time: app::model::now_ms() };
    key_of(room).seal_signed(purpose, room, signing, text)
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
        envelope::VERSION,
        Purpose::Message { seat: "seatAAAAAAAA", client_id: "c1" },
        "roomroomroomroom",
    );
    assert_eq!(aad.len(), 34);
}

#[test]
fn a_signed_value_opens_with_its_signer_and_a_forged_one_does_not_hold() {
    let room = RoomId::generate();
    let key = key_of(&room);
    let (alice, eve) = (signing_key(), signing_key());
    let mine = Purpose::Message { seat: "seat-aaaaaaa", client_id: "c1" };
    let sealed =
        key.seal_signed(mine, &room, Signing { key: &alice, counter: 7, time: 1_000 }, "hello");
    let (text, signature) = key.open_signed(mine, &room, &sealed).expect("it opens");
    assert_eq!(text, "hello");
    let signature = signature.expect("version 3 is signed");
    assert_eq!(signature.public_key, alice.verifying_key().to_bytes());
    assert_eq!((signature.counter, signature.time, signature.holds), (7, 1_000, true));
    // Under another seat or client id it does not open at all (the AAD binds them).
    let theirs = Purpose::Message { seat: "seat-bbbbbbb", client_id: "c1" };
    assert_eq!(key.open(theirs, &room, &sealed), None);
    // Someone with the link who puts alice's public key in front of their own signature:
    // it opens, and the signature does not hold.
    let forged = {
        let public_key = alice.verifying_key().to_bytes();
        let bytes = envelope::signed_bytes(mine, room.as_str(), &public_key, 8, 1_000, b"pay eve");
        let signature = eve.sign(&bytes).to_bytes();
        let plain = Signed {
            public_key: &public_key,
            counter: 8,
            time: 1_000,
            signature: &signature,
            text: b"pay eve",
        }
        .to_bytes();
        let iv = [3u8; 12];
        let aad = envelope::aad(SIGNED, mine, room.as_str());
        let sealed =
            key.cipher().encrypt(Nonce::from_slice(&iv), Payload { msg: &plain, aad: &aad });
        envelope::encode_version(SIGNED, &iv, &sealed.expect("sealed"))
    };
    let (_, signature) = key.open_signed(mine, &room, &forged).expect("it opens");
    assert_eq!(signature.map(|s| s.holds), Some(false));
    assert_eq!(key.open(mine, &room, &forged), None);
}

#[test]
fn the_signed_envelope_matches_the_test_vector_in_docs_protocol() {
    let key = RoomKey([7; KEY_LEN]);
    let room: RoomId = "roomroomroomroom".parse().expect("a room id");
    let signer = SigningKey::from_bytes(&[9; 32]);
    let purpose = Purpose::Message { seat: "seatAAAAAAAA", client_id: "c1" };
    let signing = Signing { key: &signer, counter: 1, time: 1_795_815_250_000 };
    let sealed = key.seal_signed_with(purpose, &room, signing, "hi", [1; 12]);
    let public_key = signer.verifying_key().to_bytes();
    let signed =
        envelope::signed_bytes(purpose, room.as_str(), &public_key, 1, 1_795_815_250_000, b"hi");
    assert_eq!(
        hex::encode(public_key),
        "fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618"
    );
    assert_eq!(
        hex::encode(&signed),
        "6275726e6572207633207369676e656400036d726f6f6d726f6f6d726f6f6d726f6f6d\
         00736561744141414141414141006331fd1724385aa0c75b64fb78cd602fa1d991fdeb\
         f76b13c58ed702eac835e9f6180000000000000001000001a21eee18506869"
    );
    assert_eq!(
        hex::encode(signer.sign(&signed).to_bytes()),
        "eebebcc929a0381caf9bc29cc99b17e2905d2f03de4c83308fa40895f813147d504a01c7cb85c4c3e2db193d\
         87282939d444948821d11b5f79cf38fb52ab4f01"
    );
    assert_eq!(
        sealed,
        "AwEBAQEBAQEBAQEBARMu4Rkd7FcDKUltj7CCw0moM3umiWBXJIf0dj_Z1Xqp1344axBi3oWk_MAm7iEVa8bbc1fP\
         w1wf-3oBUL45H2ee-IxUSscs9k8LKvlxOEJE36D-8E5aUESUo3q5Js9ut93b5f4Dvr-thTCqeJyuyYYM_DdMbxYB\
         ixAObGZqGrxWths"
    );
    assert_eq!(sealed.len(), envelope::sealed_len(envelope::SIGNED_HEAD_LEN + 2));
    assert_eq!(key.open(purpose, &room, &sealed).as_deref(), Some("hi"));
}
