//! The end-to-end envelope, written from docs/PROTOCOL.md §5: base64url(version ‖ iv ‖
//! AES-256-GCM(text) ‖ tag), with `version ‖ purpose ‖ room id` as additional data.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const VERSION: u8 = 1;

/// A room's key, and the room it is for.
#[derive(Clone)]
pub struct RoomKey {
    cipher: Aes256Gcm,
    room: String,
}

impl RoomKey {
    pub fn generate(room: &str) -> Self {
        let key = Aes256Gcm::generate_key(OsRng);
        RoomKey { cipher: Aes256Gcm::new(&key), room: room.to_owned() }
    }

    fn aad(&self, purpose: u8) -> Vec<u8> {
        let mut aad = vec![VERSION, purpose];
        aad.extend_from_slice(self.room.as_bytes());
        aad
    }

    /// `text` sealed for `purpose` (`b'm'`, `b'n'`, `b'k'`).
    pub fn seal(&self, purpose: u8, text: &str) -> String {
        let iv = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = self.aad(purpose);
        let sealed = self.cipher.encrypt(&iv, Payload { msg: text.as_bytes(), aad: &aad });
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&iv);
        bytes.extend_from_slice(&sealed.unwrap_or_default());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What `sealed` opens to, if it opens.
    pub fn open(&self, purpose: u8, sealed: &str) -> Option<String> {
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
