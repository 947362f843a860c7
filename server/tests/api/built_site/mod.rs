//! Tests that need the release build's site (`cargo leptos build --release --precompress`):
//! the test command runs them once that build is done (`built_site::`), the others beside it.

mod interop;
mod served;
