//! The room's link in this tab. Its key lives in the link's fragment (`#k=…`, and `&p=1` when
//! the room has a passphrase). Once the page has read it, the page takes it out of the address,
//! so the address bar and this tab's back/forward list no longer show it, and keeps it in the
//! tab's sessionStorage with the room's deadline: a reload finds it there, and "Copy link"
//! gives the whole link again. It is removed when the room ends or the visitor leaves it, and
//! any tab's page drops the links of rooms past their deadline; the browser drops the rest when
//! the tab closes.

use crate::model::RoomId;
use leptos::prelude::window;

const PREFIX: &str = "burner.link.";
const NAME: &str = "burner.name.";

fn session() -> Option<web_sys::Storage> {
    window().session_storage().ok()?
}

fn item(room: &RoomId) -> String {
    format!("{PREFIX}{room}")
}

fn name_item(room: &RoomId) -> String {
    format!("{NAME}{room}")
}

/// The room link's fragment (`#k=…`): from the address if it carries one (it is then kept in
/// this tab and taken out of the address), else as this tab kept it; empty when neither has it.
pub fn fragment(room: &RoomId, expires_at: u64) -> String {
    let location = window().location();
    let in_address = location.hash().unwrap_or_default();
    if in_address.len() > 1 {
        let kept = session().is_some_and(|s| {
            s.set_item(&item(room), &format!("{expires_at} {in_address}")).is_ok()
        });
        // Only once it is kept: a reload must still find the key.
        if kept {
            out_of_the_address();
        }
        return in_address;
    }
    kept(room).unwrap_or_default()
}

/// The fragment this tab keeps for `room`.
fn kept(room: &RoomId) -> Option<String> {
    let stored = session()?.get_item(&item(room)).ok()??;
    stored.split_once(' ').map(|(_, fragment)| fragment.to_owned())
}

/// The whole link of `room` (to copy), when this tab has its key.
pub fn whole(room: &RoomId) -> Option<String> {
    let location = window().location();
    let fragment = kept(room).or_else(|| Some(location.hash().ok()?).filter(|h| h.len() > 1))?;
    Some(format!("{}{}{fragment}", location.origin().ok()?, location.pathname().ok()?))
}

/// Forgets `room`'s link in this tab (it ended, or the visitor left it).
pub fn forget(room: &RoomId) {
    if let Some(session) = session() {
        let _ = session.remove_item(&item(room));
    }
}

/// Keeps in this tab the name it took a seat under in `room` (which ends at `deadline`):
/// coming back after leaving, the join page offers it again. The tab's storage, not the
/// device's: a name is kept on the device only when its owner says so (the home page's
/// "Remember this name").
pub fn keep_name(room: &RoomId, deadline: u64, name: &str) {
    if let Some(session) = session() {
        let _ = session.set_item(&name_item(room), &format!("{deadline} {name}"));
    }
}

/// The name this tab last took a seat under in `room`, if it keeps one.
pub fn kept_name(room: &RoomId) -> Option<String> {
    let stored = session()?.get_item(&name_item(room)).ok()??;
    let (_, name) = stored.split_once(' ')?;
    crate::model::clean_username(name).ok().map(str::to_owned)
}

/// Forgets the name this tab had in `room` (the room ended).
pub fn forget_name(room: &RoomId) {
    if let Some(session) = session() {
        let _ = session.remove_item(&name_item(room));
    }
}

/// Forgets the links (and names) of rooms past their deadline (`now`, by this browser's clock,
/// with a minute's leeway for a clock behind the server's).
pub fn forget_ended(now: u64) {
    if let Some(session) = session() {
        forget_past_deadline(&session, &[PREFIX, NAME], now);
    }
}

/// Removes from `storage` the items under any of `prefixes` whose value starts with a deadline
/// (`<Unix ms> …`) more than a minute before `now`, or with none at all: what Burner keeps of a
/// room goes once the room is over.
pub fn forget_past_deadline(storage: &web_sys::Storage, prefixes: &[&str], now: u64) {
    let count = storage.length().unwrap_or(0);
    let names: Vec<String> = (0..count).filter_map(|i| storage.key(i).ok().flatten()).collect();
    for name in names.iter().filter(|name| prefixes.iter().any(|p| name.starts_with(p))) {
        let deadline = storage.get_item(name).ok().flatten().and_then(|stored| {
            stored.split(' ').next().and_then(|deadline| deadline.parse::<u64>().ok())
        });
        if deadline.is_none_or(|deadline| deadline.saturating_add(60_000) < now) {
            let _ = storage.remove_item(name);
        }
    }
}

/// Replaces the address with itself minus the fragment, in place (no new history entry).
fn out_of_the_address() {
    let location = window().location();
    if let (Ok(path), Ok(query), Ok(history)) =
        (location.pathname(), location.search(), window().history())
    {
        let state = history.state().unwrap_or(wasm_bindgen::JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(&format!("{path}{query}")));
    }
}
