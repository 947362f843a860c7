//! The choice of how long a new room lives.

use crate::model::LIFETIMES;
use leptos::prelude::*;

#[component]
pub fn LifetimePicker(lifetime: RwSignal<u64>) -> impl IntoView {
    let options = LIFETIMES
        .iter()
        .map(|option| {
            let secs = option.secs;
            view! {
                <label class="cursor-pointer">
                    <input
                        type="radio"
                        name="lifetime"
                        class="peer sr-only"
                        value=secs.to_string()
                        checked=lifetime.get_untracked() == secs
                        prop:checked=move || lifetime.get() == secs
                        on:change=move |_| lifetime.set(secs)
                    />
                    <span class="block border border-line p-2 text-center text-xs text-muted \
                                 peer-checked:border-accent peer-checked:text-accent \
                                 peer-focus-visible:outline-2 peer-focus-visible:outline-accent \
                                 hover:text-ink transition-colors">
                        {option.label}
                    </span>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="space-y-2">
            <legend class="text-muted text-xs uppercase tracking-wide mb-2">"Room lifetime"</legend>
            <div class="grid grid-cols-4 gap-2">{options}</div>
        </fieldset>
    }
}
