//! Who else is here: each peer online or away, how many seats are taken, and who is typing.

use super::live::Live;
use leptos::prelude::*;

#[component]
pub fn PresenceBar(live: Live) -> impl IntoView {
    let clock = live.clock;
    let typing = move || {
        live.typing
            .get()
            .filter(|(_, until)| *until > clock.get())
            .map(|(who, _)| format!("{} is typing…", live.name_of(&who)))
    };
    let peers = move || {
        let online = live.online.get();
        live.peers
            .get()
            .into_iter()
            .map(|seat| {
                let here = online.iter().any(|s| s.id == seat.id);
                let name = move || live.name_of(&seat);
                view! {
                    <li class="flex items-center gap-1.5" data-testid="peer">
                        <span
                            aria-hidden="true"
                            class=if here { "size-2 rounded-full bg-accent" } else { "size-2 rounded-full bg-faint" }
                        ></span>
                        <span class="text-ink">{name}</span>
                        <span class="text-muted">{if here { "online" } else { "away" }}</span>
                    </li>
                }
            })
            .collect_view()
    };
    let alone = move || live.peers.with(Vec::is_empty);
    // Everyone known to hold a seat: the others and you; the room's own count when it is higher
    // (someone seated who has not been online since this page opened).
    let taken = move || live.seated.get().max(live.peers.with(|p| p.len()).saturating_add(1) as u8);
    let seats = move || format!("{} of {} seats taken", taken().min(live.capacity), live.capacity);
    view! {
        <div class="flex flex-wrap items-center justify-between gap-2 border-b border-line px-4 py-2 text-xs safe-x">
            <Show
                when=move || !alone()
                fallback=|| view! {
                    <p class="text-muted">"Waiting for someone to join. Send them the link."</p>
                }
            >
                <ul class="flex flex-wrap gap-4" aria-label="People in this room">{peers}</ul>
            </Show>
            <div class="flex flex-wrap items-center justify-end gap-x-4 gap-y-1">
                <p class="text-muted italic" aria-live="polite">{typing}</p>
                <p class="text-faint tabular-nums whitespace-nowrap" data-testid="seats">{seats}</p>
                <Show when=move || live.message_timer_ms.is_some()>
                    <p class="text-faint whitespace-nowrap" data-testid="message-timer">
                        "Messages disappear "{live.message_timer_words().unwrap_or_default()}
                    </p>
                </Show>
                <Show when=move || live.destroyers == crate::model::Destroyers::Creator>
                    <p class="text-faint whitespace-nowrap" data-testid="creator-destroys">
                        {move || if live.may_destroy.get() {
                            "Only you can destroy it"
                        } else {
                            "Only its creator can destroy it"
                        }}
                    </p>
                </Show>
            </div>
        </div>
    }
    .into_any()
}
