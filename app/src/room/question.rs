//! A question before what cannot be undone (destroy the room, remove a member), on a line of
//! its own below the controls that asked it: nothing under the pointer moves, so a second click
//! lands where the first did. The confirming button takes the focus; Escape or Cancel puts the
//! question away.

use leptos::prelude::*;

/// A keydown handler that runs `close` on Escape: for the question, and for the button that
/// opened it (a double click leaves the focus there).
pub fn on_escape(close: impl Fn() + 'static) -> impl FnMut(leptos::ev::KeyboardEvent) {
    move |ev| {
        if ev.key() == "Escape" {
            close();
        }
    }
}

#[component]
pub fn Question(
    /// What the question is, for assistive technology ("Confirm destroying the room").
    label: &'static str,
    /// The question itself.
    #[prop(into)]
    text: Signal<String>,
    /// The confirming button's words ("Yes, destroy"), and its test id.
    confirm: &'static str,
    confirm_id: &'static str,
    /// While the answer is on its way, the confirming button is disabled.
    #[prop(into)]
    busy: Signal<bool>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let confirm_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_ref.get() {
            let _ = button.focus();
        }
    });
    view! {
        <div
            role="group"
            aria-label=label
            class="mt-2 flex flex-wrap items-center justify-end gap-2 border-t border-line pt-2 text-xs"
            on:keydown=on_escape(move || on_cancel.run(()))
        >
            <span class="text-danger">{text}</span>
            <button
                type="button"
                node_ref=confirm_ref
                data-testid=confirm_id
                class="bg-alarm px-3 py-1.5 font-bold text-white whitespace-nowrap cursor-pointer \
                       disabled:opacity-50"
                prop:disabled=busy
                on:click=move |_| on_confirm.run(())
            >
                {confirm}
            </button>
            <button
                type="button"
                class="border border-line px-3 py-1.5 text-muted hover:text-ink whitespace-nowrap \
                       cursor-pointer"
                on:click=move |_| on_cancel.run(())
            >
                "Cancel"
            </button>
        </div>
    }
}
