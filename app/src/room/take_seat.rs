//! Taking a seat from the browser: a fresh random seat id, the name sealed for that seat (and,
//! for the creator, the key check), both signed with this browser's key in the room, and the
//! proof that this browser holds the whole link. The creator also registers that key's public
//! half: it proves the creator's rights from then on ([`crate::rights`]).

use super::{Joined, join_room, signing_key};
use crate::crypto::RoomKey;
use crate::envelope::{KEY_CHECK_TEXT, Purpose};
use crate::error::ApiError;
use crate::model::{SEAT_ID_LEN, now_ms};

/// Takes a seat in `key`'s room (which ends at `deadline`) under `name` (kept in the tab, for
/// coming back: [`super::link::keep_name`]); the `creator` also hands over the key check. A
/// browser that holds a seat there already gets it back (its name unchanged).
pub async fn take_seat(
    key: &RoomKey,
    name: &str,
    creator: bool,
    deadline: u64,
) -> Result<Joined, ApiError> {
    let cannot = || ApiError::Network {
        detail: "this browser cannot encrypt or sign: WebCrypto (with Ed25519) is missing".into(),
    };
    let signer = signing_key::for_room(key.room(), deadline).await.map_err(|_| cannot())?;
    let seat = crate::random::url_safe_id(SEAT_ID_LEN).ok_or_else(cannot)?;
    let now = now_ms();
    let sealed = key.seal(Purpose::Name { seat: &seat }, name, &signer, 0, now).await;
    let sealed = sealed.map_err(|_| cannot())?;
    let key_check = match creator {
        true => {
            let check = key.seal(Purpose::KeyCheck, KEY_CHECK_TEXT, &signer, 0, now).await;
            Some(check.map_err(|_| cannot())?)
        }
        false => None,
    };
    let owner_key = creator.then(|| crate::base64url::encode(signer.public_key()));
    let proof = key.proof().to_owned();
    let joined = join_room(key.room().to_string(), seat, sealed, key_check, proof, owner_key).await;
    if joined.is_ok() {
        super::link::keep_name(key.room(), deadline, name);
    }
    joined
}
