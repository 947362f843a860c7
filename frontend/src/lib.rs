//! The browser entry point: hydrates the server-rendered pages. Nothing else is exported: the
//! browser tests hold the page to docs/PROTOCOL.md from outside it (end2end/tests/protocol.ts).
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
