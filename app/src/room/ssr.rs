//! Server-side bodies of the room server functions.

use super::{Joined, RoomSnapshot};
use crate::envelope::{self, KEY_CHECK_SEALED_MAX, NAME_SEALED_MAX};
use crate::error::ApiError;
use crate::membership;
use crate::model::{History, RoomId, SEAT_ID_LEN, Seat, is_seat_id, now_ms};
use crate::seat::{SeatCookie, SeatToken};
use crate::server_context::{
    ServerState, gone_error, invalid_input, parse_room_id, pass, request_parts, seat_cookie,
    served_securely, server_state, set_cookie, store_error,
};
use crate::store::{RoomInfo, StoreError, Window};
use garde::Validate;

#[derive(Validate)]
struct JoinRequest<'a> {
    #[garde(custom(room_id_shape))]
    room_id: &'a str,
    #[garde(custom(seat_id_shape))]
    seat_id: &'a str,
    #[garde(custom(sealed(NAME_SEALED_MAX)))]
    name: &'a str,
    #[garde(inner(custom(sealed(KEY_CHECK_SEALED_MAX))))]
    key_check: Option<&'a str>,
    #[garde(custom(proof_shape))]
    proof: &'a str,
    #[garde(inner(custom(public_key_shape)))]
    owner_key: Option<&'a str>,
}

fn public_key_shape(raw: &&str, _: &()) -> garde::Result {
    match crate::rights::is_public_key(raw) {
        true => Ok(()),
        false => Err(garde::Error::new("must be an Ed25519 public key: 32 bytes in base64url")),
    }
}

fn seat_id_shape(raw: &&str, _: &()) -> garde::Result {
    match is_seat_id(raw) {
        true => Ok(()),
        false => Err(garde::Error::new(format!("must be {SEAT_ID_LEN} URL-safe characters"))),
    }
}

fn proof_shape(raw: &&str, _: &()) -> garde::Result {
    match membership::well_formed(raw) {
        true => Ok(()),
        false => Err(garde::Error::new(
            "must be the link's membership secret: 32 bytes in base64url (43 characters)",
        )),
    }
}

/// Whether `proof` shows the caller holds the whole link of `room`. A room made before rooms
/// had a verifier cannot tell, and says so.
fn check_proof(room: &RoomInfo, proof: &str) -> Result<(), ApiError> {
    let verifier = room.verifier.as_deref().ok_or(ApiError::Outdated)?;
    match membership::proves(proof, verifier) {
        true => Ok(()),
        false => Err(ApiError::WrongKey),
    }
}

fn room_id_shape(raw: &&str, _: &()) -> garde::Result {
    raw.parse::<RoomId>().map(|_| ()).map_err(|e| garde::Error::new(e.to_string()))
}

/// A sealed value of at most `max` characters (the server cannot look inside).
fn sealed(max: usize) -> impl FnOnce(&&str, &()) -> garde::Result {
    move |raw, _| {
        envelope::check(raw, max).map_err(|e| garde::Error::new(format!("a sealed value {e}")))
    }
}

/// Maps a store failure for this visitor: a vanished room reads as "ended" to a seat holder.
fn failure(cookie: Option<&SeatCookie>) -> impl Fn(StoreError) -> ApiError + '_ {
    move |err| match err {
        StoreError::Gone => gone_error(cookie),
        other => store_error(other),
    }
}

/// The room and the visitor's seat cookie; an error when the room is gone.
async fn open(
    state: &ServerState,
    raw: &str,
) -> Result<(RoomId, RoomInfo, Option<SeatCookie>), ApiError> {
    let id = parse_room_id(raw)?;
    let cookie = seat_cookie(&id, &state.reach);
    let room = state.store.room(&id).await.map_err(failure(cookie.as_ref()))?;
    let room = room.ok_or_else(|| gone_error(cookie.as_ref()))?;
    Ok((id, room, cookie))
}

/// The seat cookie of a seated visitor, or `NotSeated`.
async fn require_seat(
    state: &ServerState,
    id: &RoomId,
    cookie: Option<SeatCookie>,
) -> Result<SeatCookie, ApiError> {
    let cookie = cookie.ok_or(ApiError::NotSeated)?;
    let seat = state.store.seat(id, &cookie.token.hash()).await;
    match seat.map_err(failure(Some(&cookie)))? {
        Some(_) => Ok(cookie),
        None => Err(ApiError::NotSeated),
    }
}

pub async fn room_view(raw: String) -> Result<RoomSnapshot, ApiError> {
    let state = server_state()?;
    pass(&state.rate_limits.views, &state.reach)?;
    let (id, room, cookie) = open(&state, &raw).await?;
    if room.verifier.is_none() {
        return Err(ApiError::Outdated);
    }
    let seat = match &cookie {
        Some(c) => match state.store.seat(&id, &c.token.hash()).await {
            // Told once: the cookie goes, so the next visit is a newcomer's.
            Err(StoreError::Removed) => {
                set_cookie(&SeatCookie::removal(&id, served_securely(&state.reach)))?;
                return Err(ApiError::Removed);
            }
            seat => seat.map_err(failure(Some(c)))?,
        },
        None => None,
    };
    let history = match seat {
        Some(_) => {
            let page = state.store.history_page(&id, Window::newest(0)).await;
            Some(page.map_err(failure(cookie.as_ref()))?)
        }
        None => None,
    };
    if seat.is_none() && room.seated >= room.capacity && !arrived_cross_site() {
        return Err(ApiError::Full);
    }
    // Where the creator's key decides, the seat they took first is shown Destroy at once (the
    // page also knows its own key, whatever seat it holds now).
    let may_destroy = match &seat {
        Some(seat) => room.may_destroy(Some(&seat.id)) || room.is_creator_seat(&seat.id),
        None => room.destroyers == crate::model::Destroyers::Anyone,
    };
    let creator_seat = seat.as_ref().is_some_and(|seat| room.is_creator_seat(&seat.id));
    Ok(RoomSnapshot {
        room_id: id,
        expires_at: room.expires_at,
        now: now_ms(),
        capacity: room.capacity,
        seated: room.seated,
        destroyers: room.destroyers,
        may_destroy,
        message_timer_ms: room.message_timer_ms,
        key_check: room.key_check,
        creator_seat,
        owner_key: room.owner_key,
        locked: room.locked,
        you: seat,
        history,
    })
}

/// A top-level navigation from another site: the browser withheld SameSite=Strict cookies,
/// so "no cookie" does not mean "no seat" yet.
fn arrived_cross_site() -> bool {
    request_parts()
        .ok()
        .and_then(|parts| parts.headers.get("sec-fetch-site").cloned())
        .is_some_and(|v| v.as_bytes() == b"cross-site")
}

pub async fn join_room(
    raw: String,
    seat_id: String,
    name: String,
    key_check: Option<String>,
    proof: String,
    owner_key: Option<String>,
) -> Result<Joined, ApiError> {
    let state = server_state()?;
    pass(&state.rate_limits.actions, &state.reach)?;
    let request = JoinRequest {
        room_id: &raw,
        seat_id: &seat_id,
        name: &name,
        key_check: key_check.as_deref(),
        proof: &proof,
        owner_key: owner_key.as_deref(),
    };
    request.validate().map_err(invalid_input)?;
    let (id, room, cookie) = open(&state, &raw).await?;
    check_proof(&room, &proof)?;
    // A browser whose cookie holds a seat here keeps it: joining is idempotent. Any other token
    // the request brings is never adopted (it may have been planted): a fresh one is made.
    let held = match &cookie {
        Some(c) => match state.store.seat(&id, &c.token.hash()).await {
            // A removed member comes back only as a newcomer would (not into a locked room).
            Err(StoreError::Removed) => None,
            seat => seat.map_err(failure(Some(c)))?,
        },
        None => None,
    };
    let token = match (&cookie, held) {
        (Some(c), Some(_)) => c.token.clone(),
        _ => SeatToken::generate(),
    };
    let seat = Seat { id: seat_id, name };
    let seat = state
        .store
        .claim_seat(&id, &token.hash(), &seat, key_check.as_deref())
        .await
        .map_err(failure(cookie.as_ref()))?;
    // The first seat's holder registers the creator's key (once: the store keeps the first).
    let first = room.creator_seat.as_deref().is_none_or(|creator| creator == seat.id);
    if let Some(key) = owner_key.filter(|_| room.owner_key.is_none() && first) {
        state.store.set_owner(&id, &token.hash(), &key).await.map_err(failure(cookie.as_ref()))?;
    }
    set_cookie(&SeatCookie::issue(&id, &token, room.expires_at, served_securely(&state.reach)))?;
    Ok(Joined { you: seat, expires_at: room.expires_at, capacity: room.capacity })
}

pub async fn room_history(
    raw: String,
    since: u64,
    before: Option<u64>,
) -> Result<History, ApiError> {
    let state = server_state()?;
    pass(&state.rate_limits.views, &state.reach)?;
    let (id, _, cookie) = open(&state, &raw).await?;
    let cookie = require_seat(&state, &id, cookie).await?;
    let window = match before {
        Some(before) => Window { after: since, ..Window::older_than(before) },
        None => Window::newest(since),
    };
    state.store.history_page(&id, window).await.map_err(failure(Some(&cookie)))
}

pub async fn destroy_room(raw: String, proof: Option<String>) -> Result<(), ApiError> {
    let state = server_state()?;
    pass(&state.rate_limits.actions, &state.reach)?;
    let (id, room, cookie) = open(&state, &raw).await?;
    // A seat, or the proof of the whole link, may destroy; the id alone may not. A room made
    // for its creator alone takes only the creator's seat.
    let (cookie, seat) = match proof {
        Some(proof) => check_proof(&room, &proof).map(|()| (cookie, None))?,
        None => {
            let cookie = require_seat(&state, &id, cookie).await?;
            let seat = state.store.seat(&id, &cookie.token.hash()).await;
            let seat = seat.map_err(failure(Some(&cookie)))?;
            (Some(cookie), seat)
        }
    };
    if !room.may_destroy(seat.as_ref().map(|s| s.id.as_str())) {
        return Err(ApiError::OnlyCreator);
    }
    state.store.destroy(&id).await.map_err(failure(cookie.as_ref()))?;
    tracing::debug!(room = %id, "room destroyed");
    // Nothing of the room outlives it, its seat cookie in this browser included.
    if cookie.is_some() {
        set_cookie(&SeatCookie::removal(&id, served_securely(&state.reach)))?;
    }
    Ok(())
}

pub async fn creator_act(
    raw: String,
    act: crate::rights::Act,
    time: u64,
    signature: String,
) -> Result<(), ApiError> {
    use crate::rights::{Act, Refusal};
    let state = server_state()?;
    pass(&state.rate_limits.actions, &state.reach)?;
    if let Act::Remove { seat } = &act
        && !is_seat_id(seat)
    {
        return Err(ApiError::invalid(
            "seat",
            format!("must be {SEAT_ID_LEN} URL-safe characters"),
        ));
    }
    let (id, room, cookie) = open(&state, &raw).await?;
    // A room whose creator registered no key has no creator's rights but destroy by seat.
    let owner = room.owner_key.as_deref().ok_or(ApiError::NotTheCreator)?;
    match crate::rights::check(owner, id.as_str(), &act, time, &signature, now_ms()) {
        Ok(()) => {}
        Err(Refusal::Malformed) => {
            return Err(ApiError::invalid("signature", Refusal::Malformed.to_string()));
        }
        Err(refusal @ Refusal::Stale) => {
            return Err(ApiError::invalid("time", format!("{refusal}: check this device's clock")));
        }
        Err(Refusal::NotTheCreator) => return Err(ApiError::NotTheCreator),
    }
    let store = &state.store;
    match act {
        Act::Lock | Act::Unlock => {
            store.set_locked(&id, act == Act::Lock).await.map_err(failure(cookie.as_ref()))?;
        }
        Act::Remove { seat } => {
            let removed = store.remove_seat(&id, &seat).await.map_err(failure(cookie.as_ref()))?;
            if !removed {
                return Err(ApiError::invalid("seat", "no one holds this seat now"));
            }
        }
        Act::Destroy => {
            store.destroy(&id).await.map_err(failure(cookie.as_ref()))?;
            if cookie.is_some() {
                set_cookie(&SeatCookie::removal(&id, served_securely(&state.reach)))?;
            }
        }
    }
    tracing::debug!(room = %id, "the creator acted");
    Ok(())
}

pub async fn leave_room(raw: String) -> Result<(), ApiError> {
    let state = server_state()?;
    pass(&state.rate_limits.actions, &state.reach)?;
    let (id, _, cookie) = match open(&state, &raw).await {
        Ok(opened) => opened,
        // The room ended: its seat cookie is forgotten all the same (the page asks, once told),
        // and the answer says how it ended.
        Err(err @ ApiError::Ended { .. }) => {
            let id = parse_room_id(&raw)?;
            set_cookie(&SeatCookie::removal(&id, served_securely(&state.reach)))?;
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    let cookie = require_seat(&state, &id, cookie).await?;
    state.store.leave(&id, &cookie.token.hash()).await.map_err(failure(Some(&cookie)))?;
    set_cookie(&SeatCookie::removal(&id, served_securely(&state.reach)))?;
    Ok(())
}
