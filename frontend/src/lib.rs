//! The browser entry point: hydrates the server-rendered pages, and offers the end-to-end
//! envelope to JavaScript (the browser tests check it there, where WebCrypto lives).
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

/// Seals `text` for `purpose` (`m`, `n` or `k`) in `room` with `key` (base64url, as in a link).
#[wasm_bindgen]
pub async fn seal(
    key: String,
    room: String,
    purpose: String,
    text: String,
) -> Result<String, String> {
    app::crypto::seal_with(&key, &room, &purpose, &text).await
}

/// Opens what [`seal`] sealed; an error when the key, room, purpose or envelope is wrong.
#[wasm_bindgen]
pub async fn open(
    key: String,
    room: String,
    purpose: String,
    sealed: String,
) -> Result<String, String> {
    app::crypto::open_with(&key, &room, &purpose, &sealed).await
}
