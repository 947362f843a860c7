//! Creating a room from the home page, in the browser: the server makes the room; the browser
//! makes its key, seals the creator's name and the key check with it, takes the first seat,
//! and goes to the room's link — the key in its fragment, which no request ever carries.

pub use imp::create_and_enter;

#[cfg(feature = "hydrate")]
mod imp {
    use crate::crypto::RoomKey;
    use crate::envelope::{KEY_CHECK_TEXT, Purpose, fragment_of};
    use crate::error::ApiError;
    use crate::home::create_room;
    use crate::room::join_room;

    /// Creates a room living `ttl_secs`, seats its creator under `name`, and returns the room's
    /// address with its key.
    pub async fn create_and_enter(ttl_secs: Option<u64>, name: String) -> Result<String, ApiError> {
        let room = create_room(ttl_secs, None).await?;
        let cannot = |_| ApiError::Network {
            detail: "this browser cannot encrypt: WebCrypto is missing".into(),
        };
        let (key, raw) = RoomKey::generate(&room.room_id).await.map_err(cannot)?;
        let name = key.seal(Purpose::Name, &name).await.map_err(cannot)?;
        let check = key.seal(Purpose::KeyCheck, KEY_CHECK_TEXT).await.map_err(cannot)?;
        join_room(room.room_id.to_string(), name, Some(check)).await?;
        Ok(format!("/room/{}{}", room.room_id, fragment_of(&raw)))
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use crate::error::ApiError;

    /// Rendering on the server: rooms are created from the browser only (it holds the key).
    pub async fn create_and_enter(_ttl: Option<u64>, _name: String) -> Result<String, ApiError> {
        Err(ApiError::Unavailable)
    }
}
