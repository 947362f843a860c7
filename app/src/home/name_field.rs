//! The editable anonymous name, with a button for a fresh one, and whether this device
//! remembers it.

use crate::model::{USERNAME_MAX_CHARS, clean_username};
use crate::names::anonymous_name;
use crate::remembered_name::{forget_name, store_name};
use leptos::prelude::*;

#[component]
pub fn NameField(name: RwSignal<String>, remember: RwSignal<bool>) -> impl IntoView {
    let problem = move || clean_username(&name.read()).err();
    // The attribute carries the name in the server-rendered page; the property keeps it live.
    let initial = name.get_untracked();
    // Kept on this device only while the visitor wants it kept.
    let keep = move |value: &str| {
        if remember.get_untracked()
            && let Ok(clean) = clean_username(value)
        {
            store_name(clean);
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        keep(&value);
        name.set(value);
    };
    let regenerate = move |_| {
        let fresh = anonymous_name();
        keep(&fresh);
        name.set(fresh);
    };
    let on_remember = move |ev: leptos::ev::Event| {
        remember.set(event_target_checked(&ev));
        if remember.get_untracked() {
            keep(&name.get_untracked());
        } else {
            forget_name();
        }
    };
    view! {
        <div class="space-y-2">
            <label for="username" class="block text-muted text-xs uppercase tracking-wide">
                "Your identity"
            </label>
            <div class="flex gap-2">
                <input
                    id="username"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    maxlength=(USERNAME_MAX_CHARS * 2).to_string()
                    class="flex-1 min-w-0 bg-canvas border border-line p-3 text-sm text-ink \
                           focus:border-accent focus:outline-none"
                    aria-describedby="username-help"
                    aria-invalid=move || problem().is_some().to_string()
                    value=initial
                    prop:value=move || name.get()
                    on:input=on_input
                />
                <button
                    type="button"
                    class="border border-line px-3 text-muted hover:text-accent hover:border-accent \
                           cursor-pointer transition-colors"
                    aria-label="Pick a new random name"
                    title="Pick a new random name"
                    on:click=regenerate
                >
                    "↻"
                </button>
            </div>
            <p id="username-help" class="text-xs" class:text-danger=move || problem().is_some()>
                {move || problem().unwrap_or_else(|| "Others in the room see this name.".into())}
            </p>
            <label class="flex items-center gap-2 text-xs text-muted cursor-pointer">
                <input
                    id="remember-name"
                    type="checkbox"
                    class="accent-accent cursor-pointer"
                    prop:checked=move || remember.get()
                    on:change=on_remember
                />
                "Remember this name on this device"
            </label>
        </div>
    }
}
