//! The card a room shows in the middle of the page before the conversation (join, unlock): one
//! form, its button, and a line for what went wrong.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

/// The form named `label`, centred on the page.
#[component]
pub fn PanelForm<F>(label: &'static str, on_submit: F, children: Children) -> impl IntoView
where
    F: FnMut(SubmitEvent) + 'static,
{
    view! {
        <section class="flex-1 flex items-center justify-center px-4 py-10 safe-area">
            // `method="dialog"`: submitted before the page is live, it goes nowhere.
            <form
                method="dialog"
                class="w-full max-w-md border border-line bg-panel p-6 space-y-6"
                aria-label=label
                on:submit=on_submit
            >
                {children()}
            </form>
        </section>
    }
}

/// The panel's button: `busy` while its work runs, `idle` otherwise.
#[component]
pub fn PanelButton(
    #[prop(into)] disabled: Signal<bool>,
    #[prop(into)] working: Signal<bool>,
    idle: &'static str,
    busy: &'static str,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class="w-full bg-ink text-canvas p-3 text-sm font-bold uppercase tracking-wide \
                   hover:opacity-90 disabled:opacity-50 disabled:cursor-not-allowed cursor-pointer"
            disabled=move || disabled.get()
        >
            {move || if working.get() { busy } else { idle }}
        </button>
    }
}
