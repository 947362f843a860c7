//! This browser's signing key in a room, kept while the room lives. The page makes an Ed25519
//! key pair the first time it seals anything in a room (the creator's key check and name, or a
//! visitor's name when joining) and keeps it in the browser's localStorage, with the room's
//! deadline and the counter its messages carry: a reload, a second tab, and a leave and rejoin
//! all sign with the same key, so the same person keeps the same tag. Like the link, it is
//! removed when the room ends, and any page of the site removes those of rooms past their
//! deadline. (localStorage rather than the tab's sessionStorage: the seat cookie belongs to the
//! browser, not the tab, and a second tab on the same seat must sign as it.)
//!
//! Beside it, the other members' keys as this browser learnt them (`burner.seen.<room>`: each
//! seat id with the fingerprint of the key that signed its name), so that a reload trusts the
//! key it saw first, not whichever name a tampered history shows it first.

use crate::base64url;
use crate::crypto::{CryptoError, Signer};
use crate::envelope::PUBLIC_KEY_LEN;
use crate::model::RoomId;
use leptos::prelude::window;

const PREFIX: &str = "burner.signer.";
const SEEN: &str = "burner.seen.";

fn local() -> Option<web_sys::Storage> {
    window().local_storage().ok()?
}

fn item(room: &RoomId) -> String {
    format!("{PREFIX}{room}")
}

/// A kept key: `<deadline> <counter> <public key> <private key, PKCS #8>` (keys in base64url).
struct Kept {
    deadline: u64,
    counter: u64,
    public: [u8; PUBLIC_KEY_LEN],
    pkcs8: Vec<u8>,
}

impl Kept {
    fn read(room: &RoomId) -> Option<Self> {
        let stored = local()?.get_item(&item(room)).ok()??;
        let mut parts = stored.split(' ');
        let deadline = parts.next()?.parse().ok()?;
        let counter = parts.next()?.parse().ok()?;
        let public = base64url::decode(parts.next()?)?.try_into().ok()?;
        let pkcs8 = base64url::decode(parts.next()?)?;
        Some(Kept { deadline, counter, public, pkcs8 })
    }

    fn write(&self, room: &RoomId) -> bool {
        let text = format!(
            "{} {} {} {}",
            self.deadline,
            self.counter,
            base64url::encode(&self.public),
            base64url::encode(&self.pkcs8)
        );
        local().is_some_and(|local| local.set_item(&item(room), &text).is_ok())
    }
}

/// This browser's key in `room` (which ends at `deadline`): the one kept, or a new one, kept
/// from now on.
pub async fn for_room(room: &RoomId, deadline: u64) -> Result<Signer, CryptoError> {
    if let Some(kept) = Kept::read(room)
        && let Ok(signer) = Signer::import(&kept.pkcs8, kept.public).await
    {
        return Ok(signer);
    }
    let (signer, pkcs8) = Signer::generate().await?;
    // Another tab may have made one meanwhile: the first kept is the room's.
    if let Some(kept) = Kept::read(room)
        && let Ok(theirs) = Signer::import(&kept.pkcs8, kept.public).await
    {
        return Ok(theirs);
    }
    let kept = Kept { deadline, counter: 0, public: *signer.public_key(), pkcs8 };
    // A browser that keeps nothing (storage full or refused) still signs, for this page.
    kept.write(room);
    Ok(signer)
}

/// The public half of the key this browser keeps for `room`, if it keeps one.
pub fn kept_public(room: &RoomId) -> Option<[u8; PUBLIC_KEY_LEN]> {
    Kept::read(room).map(|kept| kept.public)
}

/// The next counter for a message signed in `room`: one more than the last this browser used
/// there (kept with the key, so a reload goes on counting), and never below `floor`.
pub fn next_counter(room: &RoomId, floor: u64) -> u64 {
    let Some(mut kept) = Kept::read(room) else { return floor.max(1) };
    kept.counter = kept.counter.saturating_add(1).max(floor);
    kept.write(room);
    kept.counter
}

/// Keeps the seats' keys this browser knows in `room` (which ends at `deadline`): `None` for a
/// seat whose names two keys signed.
pub fn keep_seen(room: &RoomId, deadline: u64, seats: &[(String, Option<String>)]) {
    let mut text = deadline.to_string();
    for (seat, key) in seats {
        text.push(' ');
        text.push_str(seat);
        text.push(':');
        text.push_str(key.as_deref().unwrap_or("!"));
    }
    if let Some(local) = local() {
        let _ = local.set_item(&format!("{SEEN}{room}"), &text);
    }
}

/// The seats' keys this browser kept for `room`.
pub fn seen(room: &RoomId) -> Vec<(String, Option<String>)> {
    let Some(stored) = local().and_then(|l| l.get_item(&format!("{SEEN}{room}")).ok().flatten())
    else {
        return Vec::new();
    };
    stored
        .split(' ')
        .skip(1)
        .filter_map(|pair| pair.split_once(':'))
        .map(|(seat, key)| (seat.to_owned(), (key != "!").then(|| key.to_owned())))
        .collect()
}

/// Forgets this browser's key in `room`, and the others' it learnt there (the room ended).
pub fn forget(room: &RoomId) {
    if let Some(local) = local() {
        let _ = local.remove_item(&item(room));
        let _ = local.remove_item(&format!("{SEEN}{room}"));
    }
}

/// Forgets the keys (its own and those it learnt) of rooms past their deadline (`now`, by this
/// browser's clock, with a minute's leeway for a clock behind the server's).
pub fn forget_ended(now: u64) {
    if let Some(local) = local() {
        super::link::forget_past_deadline(&local, &[PREFIX, SEEN], now);
    }
}
