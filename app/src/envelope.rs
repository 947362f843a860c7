//! The end-to-end envelope: what a sealed message text or name looks like, and what is bound
//! into it. Both sides share this file; the sealing itself happens only where the key is — in
//! the browser (WebCrypto, [`crate::crypto`]) or in another client (`docs/PROTOCOL.md` §5).
//!
//! The link's fragment carries a 32-byte secret; HKDF-SHA-256 turns it into two independent
//! values ([`SEAL_INFO`], [`MEMBER_INFO`]): the AES-256-GCM key that seals, and the membership
//! secret that proves to the server that a caller holds the whole link (the server keeps only
//! its SHA-256, [`crate::membership`]). Neither can be computed from the other.
//!
//! A room may also have a passphrase, which the link does not carry (its fragment says only
//! that one is needed, [`needs_passphrase`]). PBKDF2-HMAC-SHA-256 stretches it
//! ([`PASSPHRASE_ITERATIONS`], salted with [`passphrase_salt`]), and the input to HKDF becomes
//! the secret followed by the stretched passphrase ([`key_material`]): both keys then need the
//! link *and* the passphrase.
//!
//! A sealed value is `base64url-no-padding( version ‖ iv ‖ ciphertext‖tag )`:
//! one version byte ([`VERSION`]), a fresh random 96-bit IV, and the AES-256-GCM output (the
//! plaintext's length plus a 128-bit tag). The additional authenticated data ([`aad`]) is
//! `version ‖ purpose ‖ room id ‖ 0 ‖ seat id ‖ 0 ‖ client id`, so a sealed value opens only
//! in the room, for the purpose and under the seat (and, for a message, the client id) it was
//! sealed for: it cannot be replayed into another room, shown as another member's, or a name
//! shown as a message.
//!
//! Version 3 ([`SIGNED`]) adds a signature inside the sealed text: every member's page makes an
//! Ed25519 key pair of its own, and what a value opens to starts with the signer's public key,
//! a counter and the send time, then the signature over all of it ([`signed_bytes`], [`Signed`]).
//! Members learn each other's public keys from the names (sealed, so the server never does),
//! and a value signed by another key than its seat's is not that member's. The shared AES key
//! still keeps out whoever lacks the link; the signature keeps one member from passing for
//! another, even with the server's help.

use crate::base64url;

/// The envelope version sealed without a signature: 2 binds the seat and client id (1, before,
/// bound only the room). Still opened, in rooms made before signing (rollout).
pub const VERSION: u8 = 2;
/// The envelope version whose plaintext carries the signer's key and signature ([`Signed`]).
pub const SIGNED: u8 = 3;
/// Bytes of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Bytes of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// What a version 3 plaintext holds before its text: public key, counter, time, signature.
pub const SIGNED_HEAD_LEN: usize = PUBLIC_KEY_LEN + 8 + 8 + SIGNATURE_LEN;
/// What the bytes a member signs start with, so a signature made for Burner means nothing
/// anywhere else.
pub const SIGNING_CONTEXT: &[u8] = b"burner v3 signed";
/// Bytes of the IV.
pub const IV_LEN: usize = 12;
/// Bytes of the authentication tag.
pub const TAG_LEN: usize = 16;
/// Bytes of the room key (AES-256).
pub const KEY_LEN: usize = 32;
/// What the creator seals when making a room, so a visitor can tell a wrong key at once.
pub const KEY_CHECK_TEXT: &str = "burner key check";
/// HKDF-SHA-256 `info` of the sealing key (no salt; the input is the link's secret).
pub const SEAL_INFO: &[u8] = b"burner v2 seal";
/// HKDF-SHA-256 `info` of the membership secret.
pub const MEMBER_INFO: &[u8] = b"burner v2 member";
/// PBKDF2-HMAC-SHA-256 iterations that stretch a passphrase: OWASP's figure for that hash
/// (Password Storage Cheat Sheet, 2023 onward).
pub const PASSPHRASE_ITERATIONS: u32 = 600_000;
/// What the salt of a passphrase starts with; the link's secret follows.
pub const PASSPHRASE_SALT_PREFIX: &[u8] = b"burner v2 passphrase";
/// The part of a link's fragment that says the room needs its passphrase.
const PASSPHRASE_MARK: &str = "p=1";

/// What a sealed value is for, and whose it is; all of it is authenticated ([`aad`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// A message text, sent from `seat` as `client_id`.
    Message { seat: &'a str, client_id: &'a str },
    /// The display name of `seat`.
    Name { seat: &'a str },
    /// The room's key check value.
    KeyCheck,
}

impl Purpose<'_> {
    pub fn byte(self) -> u8 {
        match self {
            Purpose::Message { .. } => b'm',
            Purpose::Name { .. } => b'n',
            Purpose::KeyCheck => b'k',
        }
    }
}

/// The additional authenticated data of a value sealed for `purpose` in room `room_id` under
/// envelope `version`: `version ‖ purpose ‖ room id ‖ 0 ‖ seat id ‖ 0 ‖ client id` (ids never
/// hold a 0 byte).
pub fn aad(version: u8, purpose: Purpose<'_>, room_id: &str) -> Vec<u8> {
    let (seat, client_id) = match purpose {
        Purpose::Message { seat, client_id } => (seat, client_id),
        Purpose::Name { seat } => (seat, ""),
        Purpose::KeyCheck => ("", ""),
    };
    let mut aad = Vec::with_capacity(4 + room_id.len() + seat.len() + client_id.len());
    aad.push(version);
    aad.push(purpose.byte());
    aad.extend_from_slice(room_id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(seat.as_bytes());
    aad.push(0);
    aad.extend_from_slice(client_id.as_bytes());
    aad
}

/// What a version 3 value opens to: who signed it, when, their counter, the signature, and
/// the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed<'a> {
    pub public_key: &'a [u8; PUBLIC_KEY_LEN],
    /// The signer's counter: it grows with every message the signer sends in the room.
    pub counter: u64,
    /// When it was signed, Unix ms by the signer's clock.
    pub time: u64,
    pub signature: &'a [u8; SIGNATURE_LEN],
    pub text: &'a [u8],
}

impl<'a> Signed<'a> {
    /// Reads a version 3 plaintext; `None` when it is too short to hold the head.
    pub fn parse(plain: &'a [u8]) -> Option<Self> {
        let (public_key, rest) = plain.split_first_chunk::<PUBLIC_KEY_LEN>()?;
        let (counter, rest) = rest.split_first_chunk::<8>()?;
        let (time, rest) = rest.split_first_chunk::<8>()?;
        let (signature, text) = rest.split_first_chunk::<SIGNATURE_LEN>()?;
        let (counter, time) = (u64::from_be_bytes(*counter), u64::from_be_bytes(*time));
        Some(Signed { public_key, counter, time, signature, text })
    }

    /// The plaintext: `public key ‖ counter ‖ time ‖ signature ‖ text` (numbers big-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut plain = Vec::with_capacity(SIGNED_HEAD_LEN + self.text.len());
        plain.extend_from_slice(self.public_key);
        plain.extend_from_slice(&self.counter.to_be_bytes());
        plain.extend_from_slice(&self.time.to_be_bytes());
        plain.extend_from_slice(self.signature);
        plain.extend_from_slice(self.text);
        plain
    }
}

/// What a member signs for a value sealed for `purpose` in `room_id`: [`SIGNING_CONTEXT`], a
/// zero byte, the value's AAD ([`aad`], version 3), then `public key ‖ counter ‖ time ‖ text`.
/// So a signature holds only for its room, purpose, seat, client id, counter and time.
pub fn signed_bytes(
    purpose: Purpose<'_>,
    room_id: &str,
    public_key: &[u8; PUBLIC_KEY_LEN],
    counter: u64,
    time: u64,
    text: &[u8],
) -> Vec<u8> {
    let aad = aad(SIGNED, purpose, room_id);
    let mut bytes = Vec::with_capacity(SIGNING_CONTEXT.len() + 1 + aad.len() + 48 + text.len());
    bytes.extend_from_slice(SIGNING_CONTEXT);
    bytes.push(0);
    bytes.extend_from_slice(&aad);
    bytes.extend_from_slice(public_key);
    bytes.extend_from_slice(&counter.to_be_bytes());
    bytes.extend_from_slice(&time.to_be_bytes());
    bytes.extend_from_slice(text);
    bytes
}

/// The longest sealed value (in characters) for a plaintext of at most `max_bytes` bytes.
pub const fn sealed_len(max_bytes: usize) -> usize {
    (1 + IV_LEN + max_bytes + TAG_LEN).div_ceil(3) * 4 - pad(1 + IV_LEN + max_bytes + TAG_LEN)
}

const fn pad(bytes: usize) -> usize {
    match bytes % 3 {
        1 => 2,
        2 => 1,
        _ => 0,
    }
}

/// A sealed message text: 1000 characters of up to 4 bytes each, signed.
pub const MESSAGE_SEALED_MAX: usize =
    sealed_len(SIGNED_HEAD_LEN + crate::model::MESSAGE_MAX_CHARS * 4);
/// A sealed name: 100 characters of up to 4 bytes each, signed.
pub const NAME_SEALED_MAX: usize =
    sealed_len(SIGNED_HEAD_LEN + crate::model::USERNAME_MAX_CHARS * 4);
/// The sealed key check value, signed.
pub const KEY_CHECK_SEALED_MAX: usize = sealed_len(SIGNED_HEAD_LEN + KEY_CHECK_TEXT.len());

/// Why a value is not a sealed envelope.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotSealed {
    #[error("is not base64url")]
    Encoding,
    #[error("is longer than {0} characters")]
    TooLong(usize),
    #[error("is too short to hold anything")]
    TooShort,
    #[error("has an unknown envelope version")]
    Version,
}

/// Checks an envelope's shape as [`decode`] does, without decoding it: the server's check of
/// every message (it cannot open one), so it only reads the encoding's length, its alphabet and
/// its first byte.
pub fn check(sealed: &str, max_len: usize) -> Result<(), NotSealed> {
    if sealed.len() > max_len {
        return Err(NotSealed::TooLong(max_len));
    }
    let (len, first) = base64url::peek(sealed).ok_or(NotSealed::Encoding)?;
    shape(len, first)
}

/// The version byte of a sealed value (without decoding the rest).
pub fn version_of(sealed: &str) -> Option<u8> {
    base64url::peek(sealed)?.1
}

/// An envelope of `len` bytes starting with `first`: of a version this code opens, and long
/// enough to hold something (a signed one, its head too).
fn shape(len: usize, first: Option<u8>) -> Result<(), NotSealed> {
    let least = match first {
        Some(VERSION) => 1 + IV_LEN + TAG_LEN,
        Some(SIGNED) => 1 + IV_LEN + TAG_LEN + SIGNED_HEAD_LEN,
        _ if len <= 1 + IV_LEN + TAG_LEN => return Err(NotSealed::TooShort),
        _ => return Err(NotSealed::Version),
    };
    if len <= least {
        return Err(NotSealed::TooShort);
    }
    Ok(())
}

/// The envelope's bytes, checked for shape, for the browser to open.
pub fn decode(sealed: &str, max_len: usize) -> Result<Vec<u8>, NotSealed> {
    if sealed.len() > max_len {
        return Err(NotSealed::TooLong(max_len));
    }
    let bytes = base64url::decode(sealed).ok_or(NotSealed::Encoding)?;
    shape(bytes.len(), bytes.first().copied())?;
    Ok(bytes)
}

/// The envelope of these parts, as text, unsigned (version 2).
pub fn encode(iv: &[u8], ciphertext: &[u8]) -> String {
    encode_version(VERSION, iv, ciphertext)
}

/// The envelope of these parts under `version`, as text.
pub fn encode_version(version: u8, iv: &[u8], ciphertext: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(1 + iv.len() + ciphertext.len());
    bytes.push(version);
    bytes.extend_from_slice(iv);
    bytes.extend_from_slice(ciphertext);
    base64url::encode(&bytes)
}

/// The version, the IV and the ciphertext (with its tag) of an envelope's bytes.
pub fn split(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (version, rest) = bytes.split_first()?;
    (rest.len() > IV_LEN + TAG_LEN).then(|| {
        let (iv, ciphertext) = rest.split_at(IV_LEN);
        (*version, iv, ciphertext)
    })
}

/// The room key in a link's fragment: `#k=<43 characters of base64url>`.
pub fn key_from_fragment(fragment: &str) -> Option<[u8; KEY_LEN]> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let encoded = fragment.split('&').find_map(|part| part.strip_prefix("k="))?;
    let bytes = base64url::decode(encoded)?;
    bytes.try_into().ok()
}

/// Whether a link's fragment has a key at all (`k=`), readable or not.
pub fn has_key(fragment: &str) -> bool {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    fragment.split('&').any(|part| part.starts_with("k="))
}

/// The fragment that carries `key`, and says when the room needs its passphrase as well:
/// `#k=<key>` or `#k=<key>&p=1`.
pub fn fragment_of(key: &[u8; KEY_LEN], passphrase: bool) -> String {
    let mark = if passphrase { format!("&{PASSPHRASE_MARK}") } else { String::new() };
    format!("#k={}{mark}", base64url::encode(key))
}

/// Whether a link's fragment says its room needs a passphrase besides the key.
pub fn needs_passphrase(fragment: &str) -> bool {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    fragment.split('&').any(|part| part == PASSPHRASE_MARK)
}

/// The PBKDF2 salt of a room's passphrase: [`PASSPHRASE_SALT_PREFIX`] ‖ the link's secret.
/// Unique per room (the secret is random), so no table of guesses serves two rooms, and known
/// only to those who hold the link.
pub fn passphrase_salt(secret: &[u8; KEY_LEN]) -> Vec<u8> {
    [PASSPHRASE_SALT_PREFIX, &secret[..]].concat()
}

/// What HKDF derives a link's keys from: its secret, followed by the stretched passphrase
/// when the room has one.
pub fn key_material(secret: &[u8; KEY_LEN], stretched: Option<&[u8]>) -> Vec<u8> {
    [&secret[..], stretched.unwrap_or_default()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_what_the_largest_signed_plaintexts_seal_to() {
        assert_eq!(SIGNED_HEAD_LEN, 112);
        assert_eq!(MESSAGE_SEALED_MAX, 5522, "4000 + 112 + 29 → 4141 bytes → 5522 characters");
        assert_eq!(NAME_SEALED_MAX, 722);
        assert_eq!(KEY_CHECK_SEALED_MAX, 210);
        let largest = encode_version(SIGNED, &[0; IV_LEN], &vec![0; 4112 + TAG_LEN]);
        assert_eq!(largest.len(), MESSAGE_SEALED_MAX);
        assert!(decode(&largest, MESSAGE_SEALED_MAX).is_ok());
        let one_more = encode_version(SIGNED, &[0; IV_LEN], &vec![0; 4113 + TAG_LEN]);
        assert_eq!(decode(&one_more, MESSAGE_SEALED_MAX), Err(NotSealed::TooLong(5522)));
        // An unsigned value (rooms from before signing) fits the same limits.
        assert!(
            decode(&encode(&[0; IV_LEN], &vec![0; 4000 + TAG_LEN]), MESSAGE_SEALED_MAX).is_ok()
        );
    }

    #[test]
    fn a_signed_plaintext_reads_back_and_a_short_one_is_none() {
        let (key, signature) = ([1u8; PUBLIC_KEY_LEN], [2u8; SIGNATURE_LEN]);
        let signed = Signed {
            public_key: &key,
            counter: 7,
            time: 1_795_815_250_000,
            signature: &signature,
            text: b"hi",
        };
        let bytes = signed.to_bytes();
        assert_eq!(bytes.len(), SIGNED_HEAD_LEN + 2);
        assert_eq!(&bytes[32..40], &7u64.to_be_bytes());
        assert_eq!(Signed::parse(&bytes), Some(signed));
        assert_eq!(Signed::parse(&bytes[..SIGNED_HEAD_LEN - 1]), None);
        let empty = Signed::parse(&bytes[..SIGNED_HEAD_LEN]).map(|s| s.text.len());
        assert_eq!(empty, Some(0));
    }

    #[test]
    fn what_is_signed_binds_room_purpose_seat_client_id_counter_and_time() {
        let message = Purpose::Message { seat: "s1", client_id: "c1" };
        let key = [1u8; PUBLIC_KEY_LEN];
        let bytes = signed_bytes(message, "abc", &key, 1, 2, b"hi");
        let mut expected = b"burner v3 signed\0\x03mabc\0s1\0c1".to_vec();
        expected.extend_from_slice(&key);
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
        expected.extend_from_slice(b"hi");
        assert_eq!(bytes, expected);
        let other = Purpose::Message { seat: "s1", client_id: "c2" };
        for changed in [
            signed_bytes(other, "abc", &key, 1, 2, b"hi"),
            signed_bytes(message, "abd", &key, 1, 2, b"hi"),
            signed_bytes(message, "abc", &key, 2, 2, b"hi"),
            signed_bytes(message, "abc", &key, 1, 3, b"hi"),
            signed_bytes(Purpose::Name { seat: "s1" }, "abc", &key, 1, 2, b"hi"),
        ] {
            assert_ne!(changed, bytes);
        }
    }

    #[test]
    fn check_agrees_with_decode() {
        let sealed = encode(&[7; IV_LEN], &[1; 40 + TAG_LEN]);
        let largest = encode(&[0; IV_LEN], &vec![0; 4000 + TAG_LEN]);
        let mut wrong_version = sealed.clone();
        wrong_version.replace_range(0..1, "B");
        let signed = encode_version(SIGNED, &[7; IV_LEN], &[1; SIGNED_HEAD_LEN + 1 + TAG_LEN]);
        let signed_but_short = encode_version(SIGNED, &[7; IV_LEN], &[1; 40 + TAG_LEN]);
        let cases = [
            sealed.as_str(),
            largest.as_str(),
            wrong_version.as_str(),
            signed.as_str(),
            signed_but_short.as_str(),
            "not base64!",
            "",
            "QQ",
            &sealed[..sealed.len() - 1],
        ];
        for case in cases {
            let expected = decode(case, MESSAGE_SEALED_MAX).map(drop);
            assert_eq!(check(case, MESSAGE_SEALED_MAX), expected, "{case:.20}");
        }
        assert_eq!(check(&largest, 100), Err(NotSealed::TooLong(100)));
        let huge = encode(&[0; IV_LEN], &vec![0; 6000 + TAG_LEN]);
        assert_eq!(check(&huge, usize::MAX), Ok(()), "larger than the stack buffer");
    }

    #[test]
    fn malformed_envelopes_are_told_apart() {
        assert_eq!(decode("not base64!", 100), Err(NotSealed::Encoding));
        assert_eq!(decode(&encode(&[0; IV_LEN], &[0; TAG_LEN]), 100), Err(NotSealed::TooShort));
        let mut wrong = base64url::decode(&encode(&[0; 12], &[1; 20])).unwrap_or_default();
        wrong[0] = 1; // the version before seats were bound
        assert_eq!(decode(&base64url::encode(&wrong), 100), Err(NotSealed::Version));
    }

    #[test]
    fn the_aad_binds_version_purpose_room_seat_and_client_id() {
        let message = Purpose::Message { seat: "s1", client_id: "c1" };
        let aad = |purpose| aad(VERSION, purpose, "abc");
        assert_eq!(aad(message), b"\x02mabc\0s1\0c1");
        assert_eq!(aad(Purpose::Name { seat: "s1" }), b"\x02nabc\0s1\0");
        assert_eq!(aad(Purpose::KeyCheck), b"\x02kabc\0\0");
        assert_eq!(super::aad(SIGNED, message, "abc"), b"\x03mabc\0s1\0c1");
        assert_ne!(super::aad(VERSION, message, "abd"), aad(message));
        let other_seat = Purpose::Message { seat: "s2", client_id: "c1" };
        assert_ne!(aad(other_seat), aad(message));
        let other_id = Purpose::Message { seat: "s1", client_id: "c2" };
        assert_ne!(aad(other_id), aad(message));
    }

    #[test]
    fn a_key_travels_in_the_fragment_and_a_malformed_one_is_none() {
        let key = [7u8; KEY_LEN];
        let fragment = fragment_of(&key, false);
        assert_eq!(fragment.len(), 3 + 43);
        assert_eq!(key_from_fragment(&fragment), Some(key));
        assert!(!needs_passphrase(&fragment));
        assert_eq!(key_from_fragment(&format!("x=1&{}", &fragment[1..])), Some(key));
        for bad in ["", "#", "#k=", "#k=short", "#key=abc", &fragment[..fragment.len() - 1]] {
            assert_eq!(key_from_fragment(bad), None, "{bad:?}");
        }
        // A key that is not one is still a key that is there (damaged, not missing).
        for damaged in ["#k=", "#k=short", "#x=1&k=abc", &fragment[..fragment.len() - 1]] {
            assert!(has_key(damaged), "{damaged:?}");
        }
        for missing in ["", "#", "#key=abc", "#p=1"] {
            assert!(!has_key(missing), "{missing:?}");
        }
    }

    #[test]
    fn a_link_says_when_its_room_needs_a_passphrase_but_never_carries_it() {
        let key = [9u8; KEY_LEN];
        let fragment = fragment_of(&key, true);
        assert!(fragment.ends_with("&p=1"), "{fragment}");
        assert_eq!(key_from_fragment(&fragment), Some(key));
        assert!(needs_passphrase(&fragment));
        assert!(needs_passphrase(&fragment[1..]));
        for other in ["#k=abc&p=0", "#k=abc&pp=1", "#p=12", ""] {
            assert!(!needs_passphrase(other), "{other:?}");
        }
    }

    #[test]
    fn a_passphrase_is_salted_with_the_link_and_follows_the_secret_into_hkdf() {
        let secret = [3u8; KEY_LEN];
        let salt = passphrase_salt(&secret);
        assert_eq!(&salt[..PASSPHRASE_SALT_PREFIX.len()], b"burner v2 passphrase");
        assert_eq!(&salt[PASSPHRASE_SALT_PREFIX.len()..], &secret[..]);
        assert_eq!(key_material(&secret, None), secret.to_vec());
        let stretched = [5u8; 32];
        let both = key_material(&secret, Some(&stretched));
        assert_eq!(both.len(), 64);
        assert_eq!((&both[..32], &both[32..]), (&secret[..], &stretched[..]));
    }
}
