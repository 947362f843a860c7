//! Who else is here: each peer online or away, how many seats are taken, whether the room is
//! locked, and who is typing; for the creator, Lock and Remove.

use super::executor::Executor;
use super::header::QUIET_BUTTON;
use super::live::Change;
use super::question::{Question, on_escape};
use crate::model::Seat;
use leptos::prelude::*;

#[component]
pub fn PresenceBar(executor: Executor, hydrated: RwSignal<bool>) -> impl IntoView {
    let live = executor.live();
    let clock = live.clock;
    // The member the creator is asked about removing: the question takes a line of its own
    // below the bar, so nothing in the bar moves.
    let removing = RwSignal::new(None::<Seat>);
    let typing = move || {
        live.typing
            .get()
            .filter(|(_, until)| *until > clock.get())
            .map(|(who, _)| format!("{} is typing…", live.name_of(&who)))
    };
    // Offline, the page cannot know who is here: nobody is shown online or away until it is
    // connected again (a moment's reconnecting keeps what it knew).
    let connected = move || live.connection.get() != super::live::ConnectionStatus::Offline;
    let peers = move || {
        let online = live.online.get();
        live.peers
            .get()
            .into_iter()
            .map(|seat| {
                let here = online.iter().any(|s| s.id == seat.id);
                let status = move || match (connected(), here) {
                    (false, _) => "unknown while offline",
                    (true, true) => "online",
                    (true, false) => "away",
                };
                let dot = move || match (connected(), here) {
                    (true, true) => "size-2 rounded-full bg-accent",
                    _ => "size-2 rounded-full bg-faint",
                };
                let name = {
                    let seat = seat.clone();
                    move || live.name_of(&seat)
                };
                view! {
                    <li class="flex items-center gap-1.5" data-testid="peer">
                        <span aria-hidden="true" class=dot></span>
                        <span class="text-ink">{name}</span>
                        <span class="text-muted">{status}</span>
                        <Show when=move || live.is_creator.get()>
                            <RemoveButton hydrated seat=seat.clone() removing />
                        </Show>
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
        <div class="border-b border-line px-4 py-2 text-xs safe-x">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <Show
                    when=move || !alone()
                    fallback=move || view! {
                        <p class="text-muted">
                            {move || if live.locked.get() {
                                "Nobody else is here, and the room is locked: nobody new can join."
                            } else {
                                "Waiting for someone to join. Send them the link."
                            }}
                        </p>
                    }
                >
                    <ul class="flex flex-wrap gap-4" aria-label="People in this room">{peers}</ul>
                </Show>
                <div class="flex flex-wrap items-center justify-end gap-x-4 gap-y-1">
                    <p class="text-muted italic" aria-live="polite">{typing}</p>
                    <p class="text-faint tabular-nums whitespace-nowrap" data-testid="seats">{seats}</p>
                    <Show when=move || live.is_creator.get()>
                        <LockButton executor hydrated />
                    </Show>
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
            // On a line of its own: it appears and goes without moving the bar's controls.
            <Show when=move || live.locked.get()>
                <p class="mt-1 text-right text-warn" data-testid="room-locked">
                    "Locked: nobody new can join"
                </p>
            </Show>
            <Show when=move || removing.with(Option::is_some) && live.is_creator.get()>
                <RemoveQuestion executor removing />
            </Show>
        </div>
    }
    .into_any()
}

/// The creator's Lock / Unlock (disabled, and looking it, until the page runs).
#[component]
fn LockButton(executor: Executor, hydrated: RwSignal<bool>) -> impl IntoView {
    let live = executor.live();
    view! {
        <button
            type="button"
            data-testid="lock-toggle"
            // As wide as "Unlock room" either way: the button stays where it was pressed.
            class=format!("min-w-[calc(11ch+1rem+2px)] px-2 py-1 text-center {QUIET_BUTTON}")
            disabled=move || !hydrated.get()
            title=move || if live.locked.get() {
                "Let people with the link join again"
            } else {
                "Stop anyone new from joining, even with the link"
            }
            on:click=move |_| executor.dispatch(Change::LockPressed(!live.locked.get_untracked()))
        >
            {move || if live.locked.get() { "Unlock room" } else { "Lock room" }}
        </button>
    }
}

/// The creator's Remove beside a member: asks its question below the bar
/// ([`RemoveQuestion`]).
#[component]
fn RemoveButton(
    hydrated: RwSignal<bool>,
    seat: Seat,
    removing: RwSignal<Option<Seat>>,
) -> impl IntoView {
    let asked = {
        let seat = seat.clone();
        move || removing.with(|r| r.as_ref().is_some_and(|r| r.id == seat.id))
    };
    view! {
        <button
            type="button"
            data-testid="remove"
            class=format!("px-2 py-0.5 hover:text-danger hover:border-danger {QUIET_BUTTON}")
            aria-expanded=move || asked().to_string()
            disabled=move || !hydrated.get()
            on:click=move |_| removing.set(Some(seat.clone()))
            on:keydown=on_escape(move || removing.set(None))
        >
            "Remove"
        </button>
    }
}

/// "Remove bob?", and whether they can come back, on a line of its own below the bar.
#[component]
fn RemoveQuestion(executor: Executor, removing: RwSignal<Option<Seat>>) -> impl IntoView {
    let live = executor.live();
    let question = move || {
        let Some(seat) = removing.get() else { return String::new() };
        let name = live.name_of(&seat);
        match live.locked.get() {
            true => format!("Remove {name}? The room is locked: they cannot come back."),
            false => {
                format!("Remove {name}? They can come back with the link unless you lock the room.")
            }
        }
    };
    let remove = move |()| {
        if let Some(seat) = removing.get_untracked() {
            removing.set(None);
            executor.dispatch(Change::RemovePressed { seat: seat.id });
        }
    };
    view! {
        <Question
            label="Confirm removing this member"
            text=Signal::derive(question)
            confirm="Yes, remove"
            confirm_id="confirm-remove"
            busy=Signal::stored(false)
            on_confirm=Callback::new(remove)
            on_cancel=Callback::new(move |()| removing.set(None))
        />
    }
}
