//! The creator's rights — lock, unlock, remove a member, destroy a room only its creator may —
//! and how a request for one is proved: the creator's page signs it with the room's signing key
//! (the one it signs its messages with, kept for the room's life, so leaving and rejoining
//! changes nothing), and the server checks the signature against the public key the creator
//! registered with the room's first seat. A seat id proves nothing.
//!
//! ```text
//! signed = "burner v3 rights" ‖ 0 ‖ room id ‖ 0 ‖ act ‖ 0 ‖ time (8 bytes, big-endian Unix ms)
//! act    = "lock" | "unlock" | "destroy" | "remove " seat id
//! ```
//!
//! A request is good for [`TIME_SLACK_MS`] either side of the server's clock: one overheard (by
//! whoever runs a proxy that ends TLS) is worthless a minute later, and within that minute it
//! can only ask again for what the creator asked.

use crate::base64url;
use crate::envelope::PUBLIC_KEY_LEN;
use serde::{Deserialize, Serialize};

/// What the bytes the creator signs start with: a signature over them means nothing as a
/// message's, nor a message's as a right's.
pub const CONTEXT: &[u8] = b"burner v3 rights";
/// How far a request's signed time may be from the server's clock, ms.
pub const TIME_SLACK_MS: u64 = 60_000;

/// What the creator asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Act {
    /// No new seat is given out; members keep theirs.
    Lock,
    /// New seats are given out again.
    Unlock,
    /// The member in seat `seat` is put out at once, and their seat freed.
    Remove { seat: String },
    /// The room and everything in it is destroyed.
    Destroy,
}

impl Act {
    /// The act as it is signed.
    pub fn words(&self) -> String {
        match self {
            Act::Lock => "lock".into(),
            Act::Unlock => "unlock".into(),
            Act::Remove { seat } => format!("remove {seat}"),
            Act::Destroy => "destroy".into(),
        }
    }
}

/// The bytes the creator's key signs for `act` in `room` at `time` (Unix ms).
pub fn signed_bytes(room: &str, act: &Act, time: u64) -> Vec<u8> {
    let words = act.words();
    let mut bytes = Vec::with_capacity(CONTEXT.len() + room.len() + words.len() + 11);
    bytes.extend_from_slice(CONTEXT);
    bytes.push(0);
    bytes.extend_from_slice(room.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(words.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&time.to_be_bytes());
    bytes
}

/// Whether `raw` is a public key as the creator registers it: 32 bytes in base64url.
pub fn is_public_key(raw: &str) -> bool {
    base64url::decode(raw).is_some_and(|bytes| bytes.len() == PUBLIC_KEY_LEN)
}

/// Why a request for a right was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not 64 bytes of base64url.
    #[error("the signature must be 64 bytes in base64url")]
    Malformed,
    /// Signed too long ago, or too far ahead.
    #[error("the request's time is more than a minute from the server's clock")]
    Stale,
    /// Not the registered key's signature of this request.
    #[error("the signature is not the creator's")]
    NotTheCreator,
}

/// Whether `signature` (base64url) is `owner_key`'s (base64url) over `act` in `room` at
/// `time`, with `time` within [`TIME_SLACK_MS`] of `now`.
#[cfg(feature = "ssr")]
pub fn check(
    owner_key: &str,
    room: &str,
    act: &Act,
    time: u64,
    signature: &str,
    now: u64,
) -> Result<(), Refusal> {
    use crate::envelope::SIGNATURE_LEN;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let signature = base64url::decode(signature)
        .and_then(|bytes| <[u8; SIGNATURE_LEN]>::try_from(bytes).ok())
        .ok_or(Refusal::Malformed)?;
    if time.abs_diff(now) > TIME_SLACK_MS {
        return Err(Refusal::Stale);
    }
    let key = base64url::decode(owner_key)
        .and_then(|bytes| <[u8; PUBLIC_KEY_LEN]>::try_from(bytes).ok())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .ok_or(Refusal::NotTheCreator)?;
    let signature = Signature::from_bytes(&signature);
    key.verify(&signed_bytes(room, act, time), &signature).map_err(|_| Refusal::NotTheCreator)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const ROOM: &str = "V1StGXR8_Z5jdHi6B-myT";
    const NOW: u64 = 1_795_815_250_000;

    fn signed(key: &SigningKey, act: &Act, time: u64) -> String {
        base64url::encode(&key.sign(&signed_bytes(ROOM, act, time)).to_bytes())
    }

    #[test]
    fn the_signed_bytes_name_the_room_the_act_and_the_time() {
        let bytes = signed_bytes(ROOM, &Act::Remove { seat: "nDRMIDh72P23".into() }, 1);
        let mut expected =
            b"burner v3 rights\0V1StGXR8_Z5jdHi6B-myT\0remove nDRMIDh72P23\0".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn only_the_registered_keys_fresh_signature_of_this_very_act_holds() {
        let creator = SigningKey::from_bytes(&[7; 32]);
        let owner = base64url::encode(creator.verifying_key().as_bytes());
        let good = signed(&creator, &Act::Lock, NOW);
        assert_eq!(check(&owner, ROOM, &Act::Lock, NOW, &good, NOW + 59_000), Ok(()));
        // Another act, room or time than was signed.
        assert_eq!(check(&owner, ROOM, &Act::Unlock, NOW, &good, NOW), Err(Refusal::NotTheCreator));
        let elsewhere = check(&owner, "x1StGXR8_Z5jdHi6B-myT", &Act::Lock, NOW, &good, NOW);
        assert_eq!(elsewhere, Err(Refusal::NotTheCreator));
        assert_eq!(
            check(&owner, ROOM, &Act::Lock, NOW + 1, &good, NOW),
            Err(Refusal::NotTheCreator)
        );
        // Another member's key.
        let member = SigningKey::from_bytes(&[8; 32]);
        let theirs = signed(&member, &Act::Lock, NOW);
        assert_eq!(check(&owner, ROOM, &Act::Lock, NOW, &theirs, NOW), Err(Refusal::NotTheCreator));
        // Too old, too far ahead, or not a signature at all.
        let old = signed(&creator, &Act::Lock, NOW - 61_000);
        assert_eq!(check(&owner, ROOM, &Act::Lock, NOW - 61_000, &old, NOW), Err(Refusal::Stale));
        let ahead = signed(&creator, &Act::Lock, NOW + 61_000);
        assert_eq!(check(&owner, ROOM, &Act::Lock, NOW + 61_000, &ahead, NOW), Err(Refusal::Stale));
        assert_eq!(check(&owner, ROOM, &Act::Lock, NOW, "abc", NOW), Err(Refusal::Malformed));
        assert_eq!(check("junk", ROOM, &Act::Lock, NOW, &good, NOW), Err(Refusal::NotTheCreator));
    }

    #[test]
    fn a_public_key_is_32_bytes_of_base64url() {
        assert!(is_public_key(&base64url::encode(&[1; 32])));
        assert!(!is_public_key(&base64url::encode(&[1; 31])));
        assert!(!is_public_key("not base64url!"));
    }
}
