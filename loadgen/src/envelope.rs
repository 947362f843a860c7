//! The end-to-end envelope and membership proof, written from docs/PROTOCOL.md §5: the link's
//! secret yields, by HKDF-SHA-256, the sealing key and the membership secret; a sealed value is
//! base64url(version ‖ iv ‖ AES-256-GCM(text) ‖ tag), with
//! `version ‖ purpose ‖ room id ‖ 0 ‖ seat id ‖ 0 ‖ client id` as additional data.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

const VERSION: u8 = 2;

/// What a sealed value is for, and whose it is.
#[derive(Clone, Copy)]
pub enum Purpose<'a> {
    Message { seat: &'a str, client_id: &'a str },
    Name { seat: &'a str },
    KeyCheck,
}

/// A room's keys, derived from its link's secret, and the room they are for.
#[derive(Clone)]
pub struct RoomKey {
    cipher: Aes256Gcm,
    room: String,
    member: [u8; 32],
}

impl RoomKey {
    /// The keys of a new random link secret (for a room not made yet).
    pub fn generate() -> Self {
        let secret: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
        let derive = |info: &[u8]| {
            let mut out = [0u8; 32];
            // 32 bytes is always a valid HKDF-SHA-256 output length.
            let _ = Hkdf::<Sha256>::new(None, &secret).expand(info, &mut out);
            out
        };
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&derive(b"burner v2 seal")));
        RoomKey { cipher, room: String::new(), member: derive(b"burner v2 member") }
    }

    /// These keys, for `room`.
    pub fn for_room(mut self, room: &str) -> Self {
        self.room = room.to_owned();
        self
    }

    /// The membership proof `join_room` sends.
    pub fn proof(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.member)
    }

    /// The verifier `create_room` registers: SHA-256 of the membership secret.
    pub fn verifier(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.member))
    }

    fn aad(&self, purpose: Purpose<'_>) -> Vec<u8> {
        let (byte, seat, client_id) = match purpose {
            Purpose::Message { seat, client_id } => (b'm', seat, client_id),
            Purpose::Name { seat } => (b'n', seat, ""),
            Purpose::KeyCheck => (b'k', "", ""),
        };
        let mut aad = vec![VERSION, byte];
        aad.extend_from_slice(self.room.as_bytes());
        aad.push(0);
        aad.extend_from_slice(seat.as_bytes());
        aad.push(0);
        aad.extend_from_slice(client_id.as_bytes());
        aad
    }

    /// `text` sealed for `purpose`.
    pub fn seal(&self, purpose: Purpose<'_>, text: &str) -> String {
        let iv = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = self.aad(purpose);
        let sealed = self.cipher.encrypt(&iv, Payload { msg: text.as_bytes(), aad: &aad });
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&iv);
        bytes.extend_from_slice(&sealed.unwrap_or_default());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What `sealed` opens to, if it opens for `purpose`.
    pub fn open(&self, purpose: Purpose<'_>, sealed: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.first() != Some(&VERSION) || bytes.len() < 1 + 12 + 16 {
            return None;
        }
        let aad = self.aad(purpose);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(&bytes[1..13]), Payload { msg: &bytes[13..], aad: &aad })
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// A random seat id: 12 URL-safe characters.
pub fn seat_id() -> String {
    let random = Aes256Gcm::generate_nonce(&mut OsRng);
    URL_SAFE_NO_PAD.encode(&random[..9])
}
