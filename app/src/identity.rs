//! The visitor's anonymous name, kept in the browser's localStorage.

use crate::names::anonymous_name;

#[cfg(feature = "hydrate")]
const STORAGE_KEY: &str = "burner.username";

/// The stored name, if the browser has one that is still valid.
pub fn stored_name() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window()?.local_storage().ok()??;
        let name = storage.get_item(STORAGE_KEY).ok()??;
        crate::model::clean_username(&name).ok().map(str::to_owned)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Remembers `name` for the next visit (silently does nothing where storage is unavailable).
pub fn store_name(name: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = storage.set_item(STORAGE_KEY, name);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}

/// The stored name, or a new anonymous one that is stored for next time.
pub fn current_name() -> String {
    stored_name().unwrap_or_else(|| {
        let name = anonymous_name();
        store_name(&name);
        name
    })
}
