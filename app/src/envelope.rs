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

use crate::base64url;

/// The envelope version: 2 binds the seat and client id (1, before, bound only the room).
pub const VERSION: u8 = 2;
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

/// The additional authenticated data of a value sealed for `purpose` in room `room_id`:
/// `version ‖ purpose ‖ room id ‖ 0 ‖ seat id ‖ 0 ‖ client id` (ids never hold a 0 byte).
pub fn aad(purpose: Purpose<'_>, room_id: &str) -> Vec<u8> {
    let (seat, client_id) = match purpose {
        Purpose::Message { seat, client_id } => (seat, client_id),
        Purpose::Name { seat } => (seat, ""),
        Purpose::KeyCheck => ("", ""),
    };
    let mut aad = Vec::with_capacity(4 + room_id.len() + seat.len() + client_id.len());
    aad.push(VERSION);
    aad.push(purpose.byte());
    aad.extend_from_slice(room_id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(seat.as_bytes());
    aad.push(0);
    aad.extend_from_slice(client_id.as_bytes());
    aad
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

/// A sealed message text: 1000 characters of up to 4 bytes each.
pub const MESSAGE_SEALED_MAX: usize = sealed_len(crate::model::MESSAGE_MAX_CHARS * 4);
/// A sealed name: 100 characters of up to 4 bytes each.
pub const NAME_SEALED_MAX: usize = sealed_len(crate::model::USERNAME_MAX_CHARS * 4);
/// The sealed key check value.
pub const KEY_CHECK_SEALED_MAX: usize = sealed_len(KEY_CHECK_TEXT.len());

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

/// An envelope of `len` bytes starting with `first`: long enough to hold something, and of the
/// version this code opens.
fn shape(len: usize, first: Option<u8>) -> Result<(), NotSealed> {
    if len <= 1 + IV_LEN + TAG_LEN {
        return Err(NotSealed::TooShort);
    }
    if first != Some(VERSION) {
        return Err(NotSealed::Version);
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

/// The envelope of these parts, as text.
pub fn encode(iv: &[u8], ciphertext: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(1 + iv.len() + ciphertext.len());
    bytes.push(VERSION);
    bytes.extend_from_slice(iv);
    bytes.extend_from_slice(ciphertext);
    base64url::encode(&bytes)
}

/// The IV and the ciphertext (with its tag) of an envelope's bytes.
pub fn split(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = bytes.get(1..)?;
    (rest.len() > IV_LEN + TAG_LEN).then(|| rest.split_at(IV_LEN))
}

/// The room key in a link's fragment: `#k=<43 characters of base64url>`.
pub fn key_from_fragment(fragment: &str) -> Option<[u8; KEY_LEN]> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let encoded = fragment.split('&').find_map(|part| part.strip_prefix("k="))?;
    let bytes = base64url::decode(encoded)?;
    bytes.try_into().ok()
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
    fn the_limits_are_what_the_largest_plaintexts_seal_to() {
        assert_eq!(MESSAGE_SEALED_MAX, 5372, "4000 bytes + 29 → 4029 bytes → 5372 characters");
        assert_eq!(NAME_SEALED_MAX, 572);
        let largest = encode(&[0; IV_LEN], &vec![0; 4000 + TAG_LEN]);
        assert_eq!(largest.len(), MESSAGE_SEALED_MAX);
        assert!(decode(&largest, MESSAGE_SEALED_MAX).is_ok());
        let one_more = encode(&[0; IV_LEN], &vec![0; 4001 + TAG_LEN]);
        assert_eq!(decode(&one_more, MESSAGE_SEALED_MAX), Err(NotSealed::TooLong(5372)));
    }

    #[test]
    fn check_agrees_with_decode() {
        let sealed = encode(&[7; IV_LEN], &[1; 40 + TAG_LEN]);
        let largest = encode(&[0; IV_LEN], &vec![0; 4000 + TAG_LEN]);
        let mut wrong_version = sealed.clone();
        wrong_version.replace_range(0..1, "B");
        let cases = [
            sealed.as_str(),
            largest.as_str(),
            wrong_version.as_str(),
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
        assert_eq!(aad(message, "abc"), b"\x02mabc\0s1\0c1");
        assert_eq!(aad(Purpose::Name { seat: "s1" }, "abc"), b"\x02nabc\0s1\0");
        assert_eq!(aad(Purpose::KeyCheck, "abc"), b"\x02kabc\0\0");
        assert_ne!(aad(message, "abd"), aad(message, "abc"));
        let other_seat = Purpose::Message { seat: "s2", client_id: "c1" };
        assert_ne!(aad(other_seat, "abc"), aad(message, "abc"));
        let other_id = Purpose::Message { seat: "s1", client_id: "c2" };
        assert_ne!(aad(other_id, "abc"), aad(message, "abc"));
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
