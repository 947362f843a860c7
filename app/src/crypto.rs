//! Sealing and opening with the room key, in the browser: WebCrypto's AES-256-GCM through
//! web-sys (no JavaScript of our own, no Rust crypto in the wasm). The envelope's format is in
//! [`crate::envelope`].

use crate::envelope::{self, IV_LEN, KEY_LEN, Purpose};
use crate::model::RoomId;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, Crypto, CryptoKey};

/// A room's key, ready to use (WebCrypto keeps its bytes; they cannot be read back).
#[derive(Clone)]
pub struct RoomKey {
    key: CryptoKey,
    room: RoomId,
}

/// Why sealing or opening failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// WebCrypto is missing or refused (an old browser, a page not served securely).
    Unavailable,
    /// Wrong key, or the value was altered: it does not open.
    Unreadable,
}

fn crypto() -> Result<Crypto, CryptoError> {
    web_sys::window().and_then(|w| w.crypto().ok()).ok_or(CryptoError::Unavailable)
}

/// `N` random bytes from the browser's cryptographic generator.
fn random<const N: usize>() -> Result<[u8; N], CryptoError> {
    crate::random::bytes().ok_or(CryptoError::Unavailable)
}

impl RoomKey {
    /// A new random key for `room`, and its bytes (for the link's fragment).
    pub async fn generate(room: &RoomId) -> Result<(Self, [u8; KEY_LEN]), CryptoError> {
        let raw = random::<KEY_LEN>()?;
        Ok((Self::import(&raw, room).await?, raw))
    }

    /// The key whose bytes are `raw`, for `room`.
    pub async fn import(raw: &[u8; KEY_LEN], room: &RoomId) -> Result<Self, CryptoError> {
        let usages = Array::of2(&JsValue::from_str("encrypt"), &JsValue::from_str("decrypt"));
        let bytes = Uint8Array::from(&raw[..]);
        let promise = crypto()?
            .subtle()
            .import_key_with_str("raw", &bytes, "AES-GCM", false, &usages)
            .map_err(|_| CryptoError::Unavailable)?;
        let key = JsFuture::from(promise).await.map_err(|_| CryptoError::Unavailable)?;
        let key = key.dyn_into::<CryptoKey>().map_err(|_| CryptoError::Unavailable)?;
        Ok(RoomKey { key, room: room.clone() })
    }

    /// `plaintext` sealed for `purpose` in this room, with a fresh random IV.
    pub async fn seal(&self, purpose: Purpose, plaintext: &str) -> Result<String, CryptoError> {
        let iv = random::<IV_LEN>()?;
        let params = self.params(purpose, &iv);
        let promise = crypto()?
            .subtle()
            .encrypt_with_object_and_u8_array(&params, &self.key, plaintext.as_bytes())
            .map_err(|_| CryptoError::Unavailable)?;
        let sealed = JsFuture::from(promise).await.map_err(|_| CryptoError::Unavailable)?;
        Ok(envelope::encode(&iv, &Uint8Array::new(&sealed).to_vec()))
    }

    /// The plaintext of a value sealed for `purpose` in this room.
    pub async fn open(&self, purpose: Purpose, sealed: &str) -> Result<String, CryptoError> {
        let bytes = envelope::decode(sealed, usize::MAX).map_err(|_| CryptoError::Unreadable)?;
        let (iv, ciphertext) = envelope::split(&bytes).ok_or(CryptoError::Unreadable)?;
        let params = self.params(purpose, iv);
        let promise = crypto()?
            .subtle()
            .decrypt_with_object_and_u8_array(&params, &self.key, ciphertext)
            .map_err(|_| CryptoError::Unavailable)?;
        let plain = JsFuture::from(promise).await.map_err(|_| CryptoError::Unreadable)?;
        String::from_utf8(Uint8Array::new(&plain).to_vec()).map_err(|_| CryptoError::Unreadable)
    }

    /// Whether this key is the room's: it opens the creator's key check.
    pub async fn opens_check(&self, key_check: &str) -> bool {
        let opened = self.open(Purpose::KeyCheck, key_check).await;
        opened.is_ok_and(|text| text == envelope::KEY_CHECK_TEXT)
    }

    fn params(&self, purpose: Purpose, iv: &[u8]) -> AesGcmParams {
        let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(iv));
        let aad = envelope::aad(purpose, self.room.as_str());
        params.set_additional_data_u8_array(&Uint8Array::from(&aad[..]));
        params.set_tag_length(128);
        params
    }
}

/// The envelope from outside Rust (the page's own tests call it): seals `text` for `purpose`
/// (`m` message, `n` name, `k` key check) in `room`, with the key as a link carries it.
pub async fn seal_with(key: &str, room: &str, purpose: &str, text: &str) -> Result<String, String> {
    let (key, purpose) = key_and_purpose(key, room, purpose).await?;
    key.seal(purpose, text).await.map_err(|e| format!("{e:?}"))
}

/// What [`seal_with`] sealed, or why it does not open.
pub async fn open_with(
    key: &str,
    room: &str,
    purpose: &str,
    sealed: &str,
) -> Result<String, String> {
    let (key, purpose) = key_and_purpose(key, room, purpose).await?;
    key.open(purpose, sealed).await.map_err(|e| format!("{e:?}"))
}

async fn key_and_purpose(
    key: &str,
    room: &str,
    purpose: &str,
) -> Result<(RoomKey, Purpose), String> {
    let raw = envelope::key_from_fragment(&format!("k={key}")).ok_or("not a key")?;
    let room: RoomId = room.parse().map_err(|_| "not a room id")?;
    let purpose = match purpose {
        "m" => Purpose::Message,
        "n" => Purpose::Name,
        "k" => Purpose::KeyCheck,
        _ => return Err("purpose is m, n or k".into()),
    };
    let key = RoomKey::import(&raw, &room).await.map_err(|e| format!("{e:?}"))?;
    Ok((key, purpose))
}
