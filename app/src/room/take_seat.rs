//! Taking a seat from the browser: a fresh random seat id, the name sealed for that seat (and,
//! for the creator, the key check), and the proof that this browser holds the whole link.

use super::{Joined, join_room};
use crate::crypto::RoomKey;
use crate::envelope::{KEY_CHECK_TEXT, Purpose};
use crate::error::ApiError;
use crate::model::SEAT_ID_LEN;

/// Takes a seat in `key`'s room under `name`; the `creator` also hands over the key check.
/// A browser that holds a seat there already gets it back (its name unchanged).
pub async fn take_seat(key: &RoomKey, name: &str, creator: bool) -> Result<Joined, ApiError> {
    let cannot =
        || ApiError::Network { detail: "this browser cannot encrypt: WebCrypto is missing".into() };
    let seat = crate::random::url_safe_id(SEAT_ID_LEN).ok_or_else(cannot)?;
    let name = key.seal(Purpose::Name { seat: &seat }, name).await.map_err(|_| cannot())?;
    let key_check = match creator {
        true => Some(key.seal(Purpose::KeyCheck, KEY_CHECK_TEXT).await.map_err(|_| cannot())?),
        false => None,
    };
    let proof = key.proof().to_owned();
    join_room(key.room().to_string(), seat, name, key_check, proof).await
}
