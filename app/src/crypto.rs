//! Sealing and opening with the room key, and the membership proof, in the browser: WebCrypto's
//! PBKDF2 (for a passphrase), HKDF-SHA-256 and AES-256-GCM through web-sys (no JavaScript of our own, no Rust crypto in
//! the wasm). The envelope's format is in [`crate::envelope`], the proof in
//! [`crate::membership`].

use crate::base64url;
use crate::envelope::{
    self, IV_LEN, KEY_LEN, MEMBER_INFO, PASSPHRASE_ITERATIONS, Purpose, SEAL_INFO,
};
use crate::membership::SECRET_LEN;
use crate::model::RoomId;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AesGcmParams, AesKeyGenParams, Crypto, CryptoKey, HkdfParams, Pbkdf2Params, SubtleCrypto,
};

/// The keys a link's secret (and the room's passphrase, when it has one) yields: the sealing key
/// (WebCrypto keeps its bytes; they cannot be read back) and the membership secret. They do not
/// depend on the room.
#[derive(Clone)]
pub struct LinkKeys {
    key: CryptoKey,
    /// The membership secret, base64url: sent to join (and to destroy without a seat).
    proof: String,
}

/// A room's keys: its link's keys, bound to the room (the envelope binds the room id).
#[derive(Clone)]
pub struct RoomKey {
    keys: LinkKeys,
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

fn subtle() -> Result<SubtleCrypto, CryptoError> {
    Ok(crypto()?.subtle())
}

/// `N` random bytes from the browser's cryptographic generator.
fn random<const N: usize>() -> Result<[u8; N], CryptoError> {
    crate::random::bytes().ok_or(CryptoError::Unavailable)
}

/// Awaits a WebCrypto promise; any refusal is `Unavailable`.
async fn settle(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, CryptoError> {
    let promise = promise.map_err(|_| CryptoError::Unavailable)?;
    JsFuture::from(promise).await.map_err(|_| CryptoError::Unavailable)
}

fn cast(value: JsValue) -> Result<CryptoKey, CryptoError> {
    value.dyn_into::<CryptoKey>().map_err(|_| CryptoError::Unavailable)
}

/// The passphrase stretched for the link secret `raw`: PBKDF2-HMAC-SHA-256 over its UTF-8 in
/// Unicode NFC (so it is the same typed on any system), [`PASSPHRASE_ITERATIONS`] rounds,
/// salted with [`envelope::passphrase_salt`]; 32 bytes. The caller trims it first
/// ([`crate::model::clean_passphrase`]).
async fn stretch(raw: &[u8; KEY_LEN], passphrase: &str) -> Result<Vec<u8>, CryptoError> {
    let subtle = subtle()?;
    let normal = String::from(js_sys::JsString::from(passphrase).normalize("NFC"));
    let bytes = Uint8Array::from(normal.as_bytes());
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let base =
        cast(settle(subtle.import_key_with_str("raw", &bytes, "PBKDF2", false, &usages)).await?)?;
    let salt = Uint8Array::from(&envelope::passphrase_salt(raw)[..]);
    let params = Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", PASSPHRASE_ITERATIONS, &salt);
    let bits = settle(subtle.derive_bits_with_object(&params, &base, 256)).await?;
    Ok(Uint8Array::new(&bits).to_vec())
}

fn hkdf(info: &[u8]) -> HkdfParams {
    let info = Uint8Array::from(info);
    let salt = Uint8Array::new_with_length(0);
    HkdfParams::new_with_str("HKDF", "SHA-256", &info, &salt)
}

impl LinkKeys {
    /// A new random secret for a link, its keys (with `passphrase`, when the room is to have
    /// one), and the secret's bytes (for the fragment).
    pub async fn generate(passphrase: Option<&str>) -> Result<(Self, [u8; KEY_LEN]), CryptoError> {
        let raw = random::<KEY_LEN>()?;
        Ok((Self::derive(&raw, passphrase).await?, raw))
    }

    /// The keys of the link secret `raw` (and `passphrase`): the sealing key and the membership
    /// secret, each by HKDF-SHA-256 (no salt) with its own `info`, from
    /// [`envelope::key_material`].
    pub async fn derive(
        raw: &[u8; KEY_LEN],
        passphrase: Option<&str>,
    ) -> Result<Self, CryptoError> {
        let stretched = match passphrase {
            Some(passphrase) => Some(stretch(raw, passphrase).await?),
            None => None,
        };
        let material = envelope::key_material(raw, stretched.as_deref());
        let subtle = subtle()?;
        let usages = Array::of2(&JsValue::from_str("deriveKey"), &JsValue::from_str("deriveBits"));
        let bytes = Uint8Array::from(&material[..]);
        let base =
            cast(settle(subtle.import_key_with_str("raw", &bytes, "HKDF", false, &usages)).await?)?;
        let aes = AesKeyGenParams::new("AES-GCM", 256);
        let usages = Array::of2(&JsValue::from_str("encrypt"), &JsValue::from_str("decrypt"));
        let key =
            subtle.derive_key_with_object_and_object(&hkdf(SEAL_INFO), &base, &aes, false, &usages);
        let key = cast(settle(key).await?)?;
        let bits = subtle.derive_bits_with_object(&hkdf(MEMBER_INFO), &base, 8 * SECRET_LEN as u32);
        let secret = Uint8Array::new(&settle(bits).await?).to_vec();
        Ok(LinkKeys { key, proof: base64url::encode(&secret) })
    }

    /// The verifier a creator registers: SHA-256 of the membership secret.
    pub async fn verifier(&self) -> Result<String, CryptoError> {
        let secret = base64url::decode(&self.proof).ok_or(CryptoError::Unavailable)?;
        let digest = settle(subtle()?.digest_with_str_and_u8_array("SHA-256", &secret)).await?;
        Ok(base64url::encode(&Uint8Array::new(&digest).to_vec()))
    }

    /// These keys, for `room`.
    pub fn for_room(self, room: &RoomId) -> RoomKey {
        RoomKey { keys: self, room: room.clone() }
    }
}

impl RoomKey {
    /// The keys of the link secret `raw` (and the room's `passphrase`), for `room`.
    pub async fn import(
        raw: &[u8; KEY_LEN],
        passphrase: Option<&str>,
        room: &RoomId,
    ) -> Result<Self, CryptoError> {
        Ok(LinkKeys::derive(raw, passphrase).await?.for_room(room))
    }

    /// The membership proof: the secret the server checks against the room's verifier.
    pub fn proof(&self) -> &str {
        &self.keys.proof
    }

    pub fn room(&self) -> &RoomId {
        &self.room
    }

    /// `plaintext` sealed for `purpose` in this room, with a fresh random IV.
    pub async fn seal(&self, purpose: Purpose<'_>, plaintext: &str) -> Result<String, CryptoError> {
        let iv = random::<IV_LEN>()?;
        let params = self.params(purpose, &iv);
        let promise = crypto()?
            .subtle()
            .encrypt_with_object_and_u8_array(&params, &self.keys.key, plaintext.as_bytes())
            .map_err(|_| CryptoError::Unavailable)?;
        let sealed = JsFuture::from(promise).await.map_err(|_| CryptoError::Unavailable)?;
        Ok(envelope::encode(&iv, &Uint8Array::new(&sealed).to_vec()))
    }

    /// The plaintext of a value sealed for `purpose` in this room.
    pub async fn open(&self, purpose: Purpose<'_>, sealed: &str) -> Result<String, CryptoError> {
        let bytes = envelope::decode(sealed, usize::MAX).map_err(|_| CryptoError::Unreadable)?;
        let (iv, ciphertext) = envelope::split(&bytes).ok_or(CryptoError::Unreadable)?;
        let params = self.params(purpose, iv);
        let promise = crypto()?
            .subtle()
            .decrypt_with_object_and_u8_array(&params, &self.keys.key, ciphertext)
            .map_err(|_| CryptoError::Unavailable)?;
        let plain = JsFuture::from(promise).await.map_err(|_| CryptoError::Unreadable)?;
        String::from_utf8(Uint8Array::new(&plain).to_vec()).map_err(|_| CryptoError::Unreadable)
    }

    /// Whether this key is the room's: it opens the creator's key check.
    pub async fn opens_check(&self, key_check: &str) -> bool {
        let opened = self.open(Purpose::KeyCheck, key_check).await;
        opened.is_ok_and(|text| text == envelope::KEY_CHECK_TEXT)
    }

    fn params(&self, purpose: Purpose<'_>, iv: &[u8]) -> AesGcmParams {
        let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(iv));
        let aad = envelope::aad(purpose, self.room.as_str());
        params.set_additional_data_u8_array(&Uint8Array::from(&aad[..]));
        params.set_tag_length(128);
        params
    }
}

thread_local! {
    /// The keys a creator just made, on their way from the home page to the room page.
    static HANDED_OVER: std::cell::RefCell<Option<RoomKey>> = const { std::cell::RefCell::new(None) };
}

/// Hands the creator's keys to the room page the home page goes to next (the same page in
/// memory, never stored): a room with a passphrase does not ask its creator for it again.
pub fn hand_over(key: RoomKey) {
    HANDED_OVER.with(|slot| *slot.borrow_mut() = Some(key));
}

/// The keys handed over for `room`, if those are the keys held.
pub fn handed_over(room: &RoomId) -> Option<RoomKey> {
    HANDED_OVER.with(|slot| slot.borrow().as_ref().filter(|key| key.room == *room).cloned())
}

/// Forgets the keys handed over: the home page does, so leaving a room and coming back asks
/// for its passphrase again.
pub fn forget_handed_over() {
    HANDED_OVER.with(|slot| *slot.borrow_mut() = None);
}
