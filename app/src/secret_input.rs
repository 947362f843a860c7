//! A room passphrase's field, with Show/Hide: typed on the home page for a new room and on a
//! room's unlock panel. What is typed stays in its signal, in memory only.

use crate::model::PASSPHRASE_CHARS;
use leptos::prelude::*;

/// The field `id`, holding `typed`; `on_edit` runs after each keystroke.
#[component]
pub fn SecretInput(
    id: &'static str,
    typed: RwSignal<String>,
    #[prop(into)] invalid: Signal<bool>,
    #[prop(optional)] described_by: Option<&'static str>,
    #[prop(optional)] on_edit: Option<Callback<()>>,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    view! {
        <div class="flex gap-2">
            <input
                id=id
                type=move || if shown.get() { "text" } else { "password" }
                autocomplete="off"
                spellcheck="false"
                maxlength=(PASSPHRASE_CHARS.1 * 2).to_string()
                class="flex-1 min-w-0 bg-canvas border border-line p-3 text-sm text-ink \
                       focus:border-accent focus:outline-none"
                aria-describedby=described_by
                aria-invalid=move || invalid.get().to_string()
                prop:value=move || typed.get()
                on:input=move |ev| {
                    typed.set(event_target_value(&ev));
                    if let Some(on_edit) = on_edit {
                        on_edit.run(());
                    }
                }
            />
            <button
                type="button"
                class="border border-line px-3 text-xs text-muted hover:text-accent \
                       hover:border-accent cursor-pointer transition-colors"
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {move || if shown.get() { "Hide" } else { "Show" }}
            </button>
        </div>
    }
}
