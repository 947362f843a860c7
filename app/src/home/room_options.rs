//! The choices a new room is made with: how long it lives and how many seats it has (among
//! those the server offers), and who may destroy it.

use super::{OfferedOptions, room_options};
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

/// Who may destroy the room, as the picker's values: anyone in it (the default), or only me.
pub const ANYONE_DESTROYS: u64 = 0;
pub const ONLY_ME_DESTROYS: u64 = 1;

/// `lifetime`, `capacity` and `destroy` stay `None` until the visitor picks one (the server's
/// default applies then: anyone in the room may destroy it).
#[component]
pub fn RoomOptionsPicker(
    lifetime: RwSignal<Option<u64>>,
    capacity: RwSignal<Option<u64>>,
    destroy: RwSignal<Option<u64>>,
    timer: RwSignal<Option<u64>>,
) -> impl IntoView {
    // The server renders the options with the page, and the page hydrates with them; on a
    // visit from inside the app they are fetched (nothing waits on the server: see
    // `room::preload`).
    let at_hand = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            Some(super::offered_options())
        }
        #[cfg(not(feature = "ssr"))]
        {
            None
        }
    })
    .into_inner();
    let shown = move |offered: Result<OfferedOptions, crate::error::ApiError>| match offered {
        Ok(options) => view! { <Pickers options lifetime capacity destroy timer /> }.into_any(),
        Err(err) => view! { <p class="text-danger text-xs">{err.to_string()}</p> }.into_any(),
    };
    match at_hand {
        Some(offered) => leptos::either::Either::Left(shown(offered)),
        None => {
            let offered = OnceResource::new(room_options());
            leptos::either::Either::Right(view! {
                <Suspense fallback=|| view! { <div class="h-48"></div> }>
                    {move || Suspend::new(async move { shown(offered.await) })}
                </Suspense>
            })
        }
    }
}

#[component]
fn Pickers(
    options: OfferedOptions,
    lifetime: RwSignal<Option<u64>>,
    capacity: RwSignal<Option<u64>>,
    destroy: RwSignal<Option<u64>>,
    timer: RwSignal<Option<u64>>,
) -> impl IntoView {
    let seats: Vec<u64> = options.capacities.iter().copied().map(u64::from).collect();
    // 0 is "Off", the default.
    let timers: Vec<u64> = std::iter::once(0).chain(options.message_timers_secs).collect();
    view! {
        <Choices
            legend="Room lifetime"
            name="lifetime"
            values=options.lifetimes_secs
            default=options.default_lifetime_secs
            label=lifetime_label
            chosen=lifetime
        />
        <Choices
            legend="Seats"
            name="seats"
            values=seats
            default=u64::from(options.default_capacity)
            label=|n: u64| n.to_string()
            chosen=capacity
        />
        <Choices
            legend="Who can destroy it"
            name="destroy"
            values=vec![ANYONE_DESTROYS, ONLY_ME_DESTROYS]
            default=ANYONE_DESTROYS
            label=|v: u64| {
                if v == ONLY_ME_DESTROYS { "Only me" } else { "Anyone in it" }.to_owned()
            }
            chosen=destroy
        />
        <Choices
            legend="Messages disappear"
            name="timer"
            values=timers
            default=0
            label=|secs: u64| if secs == 0 { "Off".to_owned() } else { lifetime_label(secs) }
            chosen=timer
        />
    }
}

/// A labelled row of radio buttons of equal width, however many values the server offers.
#[component]
pub(super) fn Choices(
    legend: &'static str,
    name: &'static str,
    values: Vec<u64>,
    default: u64,
    label: fn(u64) -> String,
    chosen: RwSignal<Option<u64>>,
) -> impl IntoView {
    let is_chosen = move |value| chosen.get().unwrap_or(default) == value;
    let choices = values
        .into_iter()
        .map(|value| {
            view! {
                <label class="cursor-pointer">
                    <input
                        type="radio"
                        name=name
                        class="peer sr-only"
                        value=value.to_string()
                        checked=value == default
                        prop:checked=move || is_chosen(value)
                        on:change=move |_| chosen.set(Some(value))
                    />
                    <span class="block border border-line px-1 py-2 text-center text-xs text-muted \
                                 peer-checked:border-accent peer-checked:text-accent \
                                 peer-focus-visible:outline-2 peer-focus-visible:outline-accent \
                                 hover:text-ink transition-colors">
                        {label(value)}
                    </span>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="space-y-2">
            <legend class="text-muted text-xs uppercase tracking-wide mb-2">{legend}</legend>
            <div class="grid grid-flow-col auto-cols-fr gap-2">{choices}</div>
        </fieldset>
    }
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
