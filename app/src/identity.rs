//! The visitor's anonymous name, kept in the browser's localStorage.

use crate::names::anonymous_name;

pub use storage::{store_name, stored_name};

/// The stored name, or a new anonymous one that is stored for next time.
pub fn current_name() -> String {
    stored_name().unwrap_or_else(|| {
        let name = anonymous_name();
        store_name(&name);
        name
    })
}

#[cfg(feature = "hydrate")]
mod storage {
    const STORAGE_KEY: &str = "burner.username";

    fn local_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// The stored name, if the browser has one that is still valid.
    pub fn stored_name() -> Option<String> {
        let name = local_storage()?.get_item(STORAGE_KEY).ok()??;
        crate::model::clean_username(&name).ok().map(str::to_owned)
    }

    /// Remembers `name` for the next visit (does nothing where storage is unavailable).
    pub fn store_name(name: &str) {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(STORAGE_KEY, name);
        }
    }
}

/// Rendering on the server: there is no browser storage, so nothing is remembered.
#[cfg(not(feature = "hydrate"))]
mod storage {
    pub fn stored_name() -> Option<String> {
        None
    }

    pub fn store_name(_name: &str) {}
}
