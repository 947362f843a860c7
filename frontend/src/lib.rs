//! The browser entry point: hydrates the server-rendered pages, and offers the end-to-end
//! envelope to JavaScript (the browser tests check it there, where WebCrypto lives).
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

mod wiping;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: wiping::Wiping = wiping::Wiping;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

/// Seals `text` for `purpose` (`m`, `n` or `k`) in `room` with `key` (base64url, as in a link),
/// owned by `owner`: `[seat, client id]` for a message, `[seat]` for a name, `[]` for the key
/// check.
#[wasm_bindgen]
pub async fn seal(
    key: String,
    room: String,
    purpose: String,
    owner: Vec<String>,
    text: String,
) -> Result<String, String> {
    app::crypto::seal_with(&key, &room, &purpose, &owner, &text).await
}

/// Opens what [`seal`] sealed; an error when the key, room, purpose, owner or envelope is wrong.
#[wasm_bindgen]
pub async fn open(
    key: String,
    room: String,
    purpose: String,
    owner: Vec<String>,
    sealed: String,
) -> Result<String, String> {
    app::crypto::open_with(&key, &room, &purpose, &owner, &sealed).await
}

/// The membership proof and verifier of a link's `key` (base64url) and the room's `passphrase`
/// (when it has one), as `[proof, verifier]`.
#[wasm_bindgen]
pub async fn membership(
    key: String,
    room: String,
    passphrase: Option<String>,
) -> Result<Vec<String>, String> {
    app::crypto::membership_of(&key, &room, passphrase.as_deref()).await
}
