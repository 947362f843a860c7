//! What the visitor typed or picked in the server-rendered form before the page woke up. The
//! form is usable as soon as it is painted, and hydration would put the server's values back
//! (a property bound to a signal is set as the page hydrates); so the home page's signals start
//! from what the fields hold then. On the server, and on a visit from inside the app (where no
//! such field is on the page yet), there is nothing to read.

/// The text the visitor left in the field with this `id`.
pub fn typed(id: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        input(&format!("#{id}")).map(|field| field.value())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        None
    }
}

/// Whether the checkbox with this `id` is ticked.
pub fn ticked(id: &str) -> Option<bool> {
    #[cfg(feature = "hydrate")]
    {
        input(&format!("#{id}")).map(|field| field.checked())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        None
    }
}

/// The value of the radio button picked in the group `name`.
pub fn picked(name: &str) -> Option<u64> {
    #[cfg(feature = "hydrate")]
    {
        input(&format!("input[type=radio][name={name}]:checked"))?.value().parse().ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        None
    }
}

#[cfg(feature = "hydrate")]
fn input(selector: &str) -> Option<web_sys::HtmlInputElement> {
    use wasm_bindgen::JsCast;
    let found = leptos::prelude::document().query_selector(selector).ok()??;
    found.dyn_into().ok()
}
