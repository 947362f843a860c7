//! The choice of how long a new room lives, among the lifetimes the server offers.

use super::{OfferedLifetimes, room_options};
use leptos::prelude::*;

/// A lifetime in words: `30 s`, `5 min`, `1 h`, `24 h`, `7 d`.
pub fn lifetime_label(secs: u64) -> String {
    match secs {
        s if s < 60 || s % 60 != 0 => format!("{s} s"),
        s if s < 3600 || s % 3600 != 0 => format!("{} min", s / 60),
        s if s <= 86_400 || s % 86_400 != 0 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

#[component]
pub fn LifetimePicker(lifetime: RwSignal<Option<u64>>) -> impl IntoView {
    let offered = OnceResource::new(room_options());
    view! {
        <fieldset class="space-y-2">
            <legend class="text-muted text-xs uppercase tracking-wide mb-2">"Room lifetime"</legend>
            <Suspense fallback=|| view! { <div class="h-9"></div> }>
                {move || Suspend::new(async move {
                    match offered.await {
                        Ok(options) => view! { <Choices options lifetime /> }.into_any(),
                        Err(err) => view! { <p class="text-danger text-xs">{err.to_string()}</p> }
                            .into_any(),
                    }
                })}
            </Suspense>
        </fieldset>
    }
}

#[component]
fn Choices(options: OfferedLifetimes, lifetime: RwSignal<Option<u64>>) -> impl IntoView {
    // Until the visitor picks one, the server's default is chosen.
    let default = options.default_lifetime_secs;
    let chosen = move |secs| lifetime.get().unwrap_or(default) == secs;
    let choices = options
        .lifetimes_secs
        .into_iter()
        .map(|secs| {
            view! {
                <label class="cursor-pointer">
                    <input
                        type="radio"
                        name="lifetime"
                        class="peer sr-only"
                        value=secs.to_string()
                        checked=secs == default
                        prop:checked=move || chosen(secs)
                        on:change=move |_| lifetime.set(Some(secs))
                    />
                    <span class="block border border-line px-1 py-2 text-center text-xs text-muted \
                                 peer-checked:border-accent peer-checked:text-accent \
                                 peer-focus-visible:outline-2 peer-focus-visible:outline-accent \
                                 hover:text-ink transition-colors">
                        {lifetime_label(secs)}
                    </span>
                </label>
            }
        })
        .collect_view();
    // One row, equal widths, however many lifetimes the server offers.
    view! { <div class="grid grid-flow-col auto-cols-fr gap-2">{choices}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_in_the_largest_whole_unit() {
        let labels: Vec<String> =
            [4, 90, 300, 600, 3600, 5400, 86_400, 604_800].map(lifetime_label).into();
        assert_eq!(labels, ["4 s", "90 s", "5 min", "10 min", "1 h", "90 min", "24 h", "7 d"]);
    }
}
