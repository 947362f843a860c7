//! The visitor's anonymous name, remembered on this device (the browser's localStorage) only
//! when the visitor chooses so on the home page; otherwise each visit starts with a fresh one.

use crate::names::anonymous_name;

pub use storage::{forget_name, store_name, stored_name};

/// The remembered name, or a fresh anonymous one (not remembered).
pub fn current_name() -> String {
    stored_name().unwrap_or_else(anonymous_name)
}

/// Whether this device remembers a name (the visitor chose so).
pub fn remembered() -> bool {
    stored_name().is_some()
}

/// Remembers `name` in place of the one remembered, if this device remembers one.
pub fn update_remembered(name: &str) {
    if remembered() {
        store_name(name);
    }
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

    /// Forgets the remembered name.
    pub fn forget_name() {
        if let Some(storage) = local_storage() {
            let _ = storage.remove_item(STORAGE_KEY);
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

    pub fn forget_name() {}
}
