//! Sealing and opening with the room key, signing and verifying with each member's key, and the
//! membership proof, in the browser: WebCrypto's PBKDF2 (for a passphrase), HKDF-SHA-256,
//! AES-256-GCM, Ed25519 and SHA-256 through web-sys (no JavaScript of our own, no Rust crypto in
//! the wasm). The envelope's format is in [`crate::envelope`], the proof in
//! [`crate::membership`].

use crate::base64url;
use crate::envelope::{
    self, IV_LEN, KEY_LEN, MEMBER_INFO, PASSPHRASE_ITERATIONS, PUBLIC_KEY_LEN, Purpose, SEAL_INFO,
    SIGNATURE_LEN, SIGNED, Signed,
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

    /// `text` signed by `signer` (with its `counter` and the `time`, Unix ms) and sealed for
    /// `purpose` in this room, with a fresh random IV: envelope version 3.
    pub async fn seal(
        &self,
        purpose: Purpose<'_>,
        text: &str,
        signer: &Signer,
        counter: u64,
        time: u64,
    ) -> Result<String, CryptoError> {
        let room = self.room.as_str();
        let public_key = &signer.public;
        let signed =
            envelope::signed_bytes(purpose, room, public_key, counter, time, text.as_bytes());
        let signature = signer.sign(&signed).await?;
        let text = text.as_bytes();
        let plain = Signed { public_key, counter, time, signature: &signature, text }.to_bytes();
        let iv = random::<IV_LEN>()?;
        let params = self.params(SIGNED, purpose, &iv);
        let promise = crypto()?
            .subtle()
            .encrypt_with_object_and_u8_array(&params, &self.keys.key, &plain)
            .map_err(|_| CryptoError::Unavailable)?;
        let sealed = JsFuture::from(promise).await.map_err(|_| CryptoError::Unavailable)?;
        Ok(envelope::encode_version(SIGNED, &iv, &Uint8Array::new(&sealed).to_vec()))
    }

    /// What a value sealed for `purpose` in this room opens to, and who signed it.
    pub async fn open(&self, purpose: Purpose<'_>, sealed: &str) -> Result<Opened, CryptoError> {
        let bytes = envelope::decode(sealed, usize::MAX).map_err(|_| CryptoError::Unreadable)?;
        let (version, iv, ciphertext) = envelope::split(&bytes).ok_or(CryptoError::Unreadable)?;
        let params = self.params(version, purpose, iv);
        let promise = crypto()?
            .subtle()
            .decrypt_with_object_and_u8_array(&params, &self.keys.key, ciphertext)
            .map_err(|_| CryptoError::Unavailable)?;
        let plain = JsFuture::from(promise).await.map_err(|_| CryptoError::Unreadable)?;
        let plain = Uint8Array::new(&plain).to_vec();
        if version != SIGNED {
            let text = String::from_utf8(plain).map_err(|_| CryptoError::Unreadable)?;
            return Ok(Opened { text, signature: None });
        }
        let signed = Signed::parse(&plain).ok_or(CryptoError::Unreadable)?;
        let text = String::from_utf8(signed.text.to_vec()).map_err(|_| CryptoError::Unreadable)?;
        let bytes = envelope::signed_bytes(
            purpose,
            self.room.as_str(),
            signed.public_key,
            signed.counter,
            signed.time,
            signed.text,
        );
        let signer = signer_of(signed.public_key).await?;
        let holds = match &signer {
            Some((key, _)) => verify(key, signed.signature, &bytes).await?,
            None => false,
        };
        let fingerprint = match signer {
            Some((_, fingerprint)) => fingerprint,
            None => fingerprint(signed.public_key).await?,
        };
        let signature =
            Signature { fingerprint, counter: signed.counter, time: signed.time, holds };
        Ok(Opened { text, signature: Some(signature) })
    }

    /// Whether this key is the room's: it opens the creator's key check.
    pub async fn opens_check(&self, key_check: &str) -> bool {
        let opened = self.open(Purpose::KeyCheck, key_check).await;
        opened.is_ok_and(|opened| opened.text == envelope::KEY_CHECK_TEXT)
    }

    fn params(&self, version: u8, purpose: Purpose<'_>, iv: &[u8]) -> AesGcmParams {
        let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(iv));
        let aad = envelope::aad(version, purpose, self.room.as_str());
        params.set_additional_data_u8_array(&Uint8Array::from(&aad[..]));
        params.set_tag_length(128);
        params
    }
}

/// What a sealed value opened to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    pub text: String,
    /// Its signature (envelope version 3); `None` for a value sealed before members signed.
    pub signature: Option<Signature>,
}

/// The signature inside an opened value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The signer's public key's fingerprint ([`fingerprint`]).
    pub fingerprint: String,
    pub counter: u64,
    /// When it was signed, Unix ms (the signer's page's idea of the server's clock).
    pub time: u64,
    /// Whether the signature holds for what was opened, under the key it names.
    pub holds: bool,
}

/// This browser's Ed25519 key in one room: it signs every message, name and key check the page
/// seals there. WebCrypto holds the private half (it is never read back into the wasm).
#[derive(Clone)]
pub struct Signer {
    private: CryptoKey,
    public: [u8; PUBLIC_KEY_LEN],
}

impl Signer {
    /// A new key pair, and its private half in PKCS #8 (for this browser to keep while the room
    /// lives).
    pub async fn generate() -> Result<(Self, Vec<u8>), CryptoError> {
        let subtle = subtle()?;
        let usages = Array::of2(&JsValue::from_str("sign"), &JsValue::from_str("verify"));
        let pair = settle(subtle.generate_key_with_str("Ed25519", true, &usages)).await?;
        let half = |name: &str| {
            js_sys::Reflect::get(&pair, &JsValue::from_str(name))
                .map_err(|_| CryptoError::Unavailable)
                .and_then(cast)
        };
        let (private, public) = (half("privateKey")?, half("publicKey")?);
        let raw = Uint8Array::new(&settle(subtle.export_key("raw", &public)).await?).to_vec();
        let public = raw.try_into().map_err(|_| CryptoError::Unavailable)?;
        let pkcs8 = Uint8Array::new(&settle(subtle.export_key("pkcs8", &private)).await?).to_vec();
        Ok((Signer::import(&pkcs8, public).await?, pkcs8))
    }

    /// The key pair kept as `pkcs8` (the private half) and `public`; the private half is not
    /// extractable once imported.
    pub async fn import(pkcs8: &[u8], public: [u8; PUBLIC_KEY_LEN]) -> Result<Self, CryptoError> {
        let usages = Array::of1(&JsValue::from_str("sign"));
        let bytes = Uint8Array::from(pkcs8);
        let private = subtle()?.import_key_with_str("pkcs8", &bytes, "Ed25519", false, &usages);
        Ok(Signer { private: cast(settle(private).await?)?, public })
    }

    pub fn public_key(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.public
    }

    /// The signature (base64url) that proves the creator asks for `act` in `room` at `time`
    /// (Unix ms, by the server's clock as this page knows it): [`crate::rights`].
    pub async fn sign_right(
        &self,
        room: &RoomId,
        act: &crate::rights::Act,
        time: u64,
    ) -> Result<String, CryptoError> {
        let bytes = crate::rights::signed_bytes(room.as_str(), act, time);
        Ok(base64url::encode(&self.sign(&bytes).await?))
    }

    async fn sign(&self, bytes: &[u8]) -> Result<[u8; SIGNATURE_LEN], CryptoError> {
        let signature =
            settle(subtle()?.sign_with_str_and_u8_array("Ed25519", &self.private, bytes)).await?;
        Uint8Array::new(&signature).to_vec().try_into().map_err(|_| CryptoError::Unavailable)
    }
}

/// A signer's public key as imported for verifying, and its fingerprint.
type KnownSigner = (CryptoKey, String);

thread_local! {
    /// Signers met so far, by their public key's bytes: a room has a few members, and each
    /// key is imported and hashed once.
    static SIGNERS: std::cell::RefCell<Vec<([u8; PUBLIC_KEY_LEN], KnownSigner)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The key `public_key` imported for verifying, with its fingerprint; `None` when it is not
/// an Ed25519 public key at all (nothing it signed holds).
async fn signer_of(public_key: &[u8; PUBLIC_KEY_LEN]) -> Result<Option<KnownSigner>, CryptoError> {
    let known = SIGNERS.with(|signers| {
        signers.borrow().iter().find(|(raw, _)| raw == public_key).map(|(_, known)| known.clone())
    });
    if known.is_some() {
        return Ok(known);
    }
    let usages = Array::of1(&JsValue::from_str("verify"));
    let raw = Uint8Array::from(&public_key[..]);
    let imported = subtle()?.import_key_with_str("raw", &raw, "Ed25519", false, &usages);
    let Ok(key) = settle(imported).await.and_then(cast) else { return Ok(None) };
    let known = (key, fingerprint(public_key).await?);
    SIGNERS.with(|signers| signers.borrow_mut().push((*public_key, known.clone())));
    Ok(Some(known))
}

/// Whether `signature` is `key`'s over `bytes`.
async fn verify(
    key: &CryptoKey,
    signature: &[u8; SIGNATURE_LEN],
    bytes: &[u8],
) -> Result<bool, CryptoError> {
    let verified =
        subtle()?.verify_with_str_and_u8_array_and_u8_array("Ed25519", key, signature, bytes);
    Ok(settle(verified).await?.as_bool().unwrap_or(false))
}

/// A public key's fingerprint: SHA-256 of its 32 bytes, base64url (43 characters). A member's
/// tag is its first characters.
pub async fn fingerprint(public_key: &[u8; PUBLIC_KEY_LEN]) -> Result<String, CryptoError> {
    let digest = settle(subtle()?.digest_with_str_and_u8_array("SHA-256", public_key)).await?;
    Ok(base64url::encode(&Uint8Array::new(&digest).to_vec()))
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
