//! Creating a room from the home page, in the browser: the browser makes the link's secret and
//! derives its keys; the server makes the room bound to the secret's membership verifier; the
//! browser seals the creator's name and the key check, takes the first seat, and goes to the
//! room's link — the secret in its fragment, which no request ever carries. A passphrase goes
//! into the keys (never into the link or a request); the room page gets them in memory.

pub use imp::create_and_enter;

#[cfg(feature = "hydrate")]
mod imp {
    use crate::crypto::{LinkKeys, hand_over};
    use crate::envelope::fragment_of;
    use crate::error::ApiError;
    use crate::home::{Choice, create_room};
    use crate::room::take_seat;

    /// Creates a room as `choice` says (its keys need `passphrase` too, when given: trimmed),
    /// seats its creator under `name`, and returns the room's address with its key.
    pub async fn create_and_enter(
        choice: Choice,
        name: String,
        passphrase: Option<String>,
    ) -> Result<String, ApiError> {
        let cannot = |_| ApiError::Network {
            detail: "this browser cannot encrypt: WebCrypto is missing".into(),
        };
        // The keys do not depend on the room id (the envelope binds it), so the verifier can
        // travel with the request that makes the room.
        let (keys, raw) = LinkKeys::generate(passphrase.as_deref()).await.map_err(cannot)?;
        let verifier = keys.verifier().await.map_err(cannot)?;
        let seats = choice.seats.and_then(|n| u32::try_from(n).ok());
        let destroy = Some(choice.destroyers);
        let timer = choice.message_timer_secs;
        let room = create_room(choice.ttl_secs, seats, verifier, destroy, timer).await?;
        let key = keys.for_room(&room.room_id);
        take_seat(&key, &name, true, room.expires_at).await?;
        hand_over(key);
        Ok(format!("/room/{}{}", room.room_id, fragment_of(&raw, passphrase.is_some())))
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use crate::error::ApiError;
    use crate::home::Choice;

    /// Rendering on the server: rooms are created from the browser only (it holds the key).
    pub async fn create_and_enter(
        _choice: Choice,
        _name: String,
        _passphrase: Option<String>,
    ) -> Result<String, ApiError> {
        Err(ApiError::Unavailable)
    }
}
