//! What the visitor typed or picked in the server-rendered form before the page woke up. The
//! form is usable as soon as it is painted, and hydration would put the server's values back
//! (a property bound to a signal is set as the page hydrates); so the home page's signals start
//! from what the fields hold then. On the server, and on a visit from inside the app (where no
//! such field is on the page yet), there is nothing to read.

pub use fields::{picked, ticked, typed};

#[cfg(feature = "hydrate")]
mod fields {
    use wasm_bindgen::JsCast;
    use web_sys::HtmlInputElement;

    /// The text the visitor left in the field with this `id`.
    pub fn typed(id: &str) -> Option<String> {
        input(&format!("#{id}")).map(|field| field.value())
    }

    /// Whether the checkbox with this `id` is ticked.
    pub fn ticked(id: &str) -> Option<bool> {
        input(&format!("#{id}")).map(|field| field.checked())
    }

    /// The value of the radio button picked in the group `name`.
    pub fn picked(name: &str) -> Option<u64> {
        input(&format!("input[type=radio][name={name}]:checked"))?.value().parse().ok()
    }

    fn input(selector: &str) -> Option<HtmlInputElement> {
        let found = leptos::prelude::document().query_selector(selector).ok()??;
        found.dyn_into().ok()
    }
}

/// On the server there is no page to read.
#[cfg(not(feature = "hydrate"))]
mod fields {
    pub fn typed(_id: &str) -> Option<String> {
        None
    }

    pub fn ticked(_id: &str) -> Option<bool> {
        None
    }

    pub fn picked(_name: &str) -> Option<u64> {
        None
    }
}
