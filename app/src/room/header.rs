//! The room's header: its id and link, the countdown, the connection, Leave and Destroy.

use super::countdown::Countdown;
use super::executor::Executor;
use super::live::{Change, ConnectionStatus, KeyState, Live};
use super::question::{Question, on_escape};
use leptos::prelude::*;

/// `hydrated`: whether the page is live. Until it is, Copy link, Leave and Destroy are disabled
/// and look it (the server renders them so), like Create and Join: pressed, they would do
/// nothing.
#[component]
pub fn RoomHeader(executor: Executor, hydrated: RwSignal<bool>) -> impl IntoView {
    let live = executor.live();
    let room_id = live.room_id.get_value();
    let short = room_id.short().to_owned();
    // Destroy asks below the header's controls, so that nothing in them moves: a second click
    // (a double click) still lands on Destroy, never on Leave.
    let confirming = RwSignal::new(false);
    view! {
        <header class="border-b border-line bg-panel px-4 py-3 safe-x">
            // From a tablet's width on, three columns: the countdown stays in the middle.
            <div class="flex flex-wrap items-center justify-between gap-x-6 gap-y-3 \
                        md:grid md:grid-cols-[1fr_auto_1fr]">
                <div class="flex items-center gap-3 min-w-0">
                    <div class="flex flex-col min-w-0">
                        <span class="text-faint text-[0.65rem] uppercase tracking-wide">"Room"</span>
                        <span class="text-accent font-bold truncate" title=room_id.to_string()>
                            {short}"…"
                        </span>
                    </div>
                    <CopyLink live hydrated />
                </div>
                <Countdown expires_at=live.expires_at now=live.clock />
                <Show when=move || live.you.with(Option::is_some)>
                    // Wraps on a narrow screen: nothing is pushed past the edge.
                    <div class="flex flex-wrap items-center gap-2 min-w-0 md:justify-end">
                        <LinkIndicator live />
                        <LeaveButton executor hydrated />
                        // In a room made for its creator alone, the others have no Destroy.
                        <Show when=move || live.may_destroy.get()>
                            <DestroyButton hydrated confirming />
                        </Show>
                    </div>
                </Show>
            </div>
            <Show when=move || confirming.get() && live.may_destroy.get() && live.you.with(Option::is_some)>
                <DestroyQuestion executor confirming />
            </Show>
        </header>
    }
    .into_any()
}

/// A small bordered button that says what it does quietly (Copy link, Leave, Lock), disabled
/// and looking it until the page runs; the caller adds its padding.
pub(super) const QUIET_BUTTON: &str = "border border-line text-xs text-muted hover:text-ink \
    hover:border-ink whitespace-nowrap cursor-pointer transition-colors disabled:opacity-50 \
    disabled:cursor-not-allowed";

#[component]
fn CopyLink(live: Live, hydrated: RwSignal<bool>) -> impl IntoView {
    // A link without its key (or with a wrong one) is not worth passing on; one that needs a
    // passphrase is, even before the passphrase is given here (it is not in the link).
    let keyless = move || matches!(live.key.get(), KeyState::Missing | KeyState::Wrong);
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            // The address no longer carries the key (the page took it out): the tab kept it.
            let href = super::link::whole(&live.room_id.get_value()).unwrap_or_default();
            let promise = window().navigator().clipboard().write_text(&href);
            leptos::task::spawn_local(async move {
                let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                copied.try_set(Some(ok));
                let forget = move || {
                    copied.try_set(None);
                };
                set_timeout(forget, std::time::Duration::from_secs(2));
            });
        }
    };
    let label = move || match copied.get() {
        Some(true) => "Copied!",
        Some(false) => "Copy failed",
        None => "Copy link",
    };
    view! {
        <button
            type="button"
            class=format!("px-2 py-1 {QUIET_BUTTON}")
            disabled=move || !hydrated.get()
            on:click=copy
            aria-live="polite"
            hidden=keyless
        >
            {label}
        </button>
    }
}

#[component]
fn LinkIndicator(live: Live) -> impl IntoView {
    // A seat holder's page that waits for the room's passphrase has not connected yet.
    let text = move || match live.connection.get() {
        _ if live.key.get().locked() => "locked",
        ConnectionStatus::Connecting => "connecting…",
        ConnectionStatus::Connected => "connected",
        ConnectionStatus::Reconnecting => "reconnecting…",
        ConnectionStatus::Offline => "offline",
    };
    let dot = move || match live.connection.get() {
        _ if live.key.get().locked() => "bg-faint",
        ConnectionStatus::Connected => "bg-accent",
        ConnectionStatus::Offline => "bg-danger",
        _ => "bg-warn animate-pulse",
    };
    view! {
        <span role="status" data-testid="link-status" class="flex items-center gap-1.5 text-xs text-muted mr-1">
            <span aria-hidden="true" class=move || format!("inline-block size-2 rounded-full {}", dot())></span>
            // As wide as its longest word ("reconnecting…"), so that nothing in the header moves
            // when the page connects.
            <span class="inline-block min-w-[13ch]">{text}</span>
        </span>
    }
}

#[component]
fn LeaveButton(executor: Executor, hydrated: RwSignal<bool>) -> impl IntoView {
    let live = executor.live();
    view! {
        <button
            type="button"
            class=format!("px-3 py-1.5 {QUIET_BUTTON}")
            // An attribute, so the server renders it disabled.
            disabled=move || !hydrated.get() || live.leaving.get()
            on:click=move |_| executor.dispatch(Change::LeavePressed)
        >
            "Leave room"
        </button>
    }
}

/// Destroy: asks its question below the header ([`DestroyQuestion`]); pressed again while it
/// asks, it changes nothing.
#[component]
fn DestroyButton(hydrated: RwSignal<bool>, confirming: RwSignal<bool>) -> impl IntoView {
    view! {
        <button
            type="button"
            // Red while its question is open.
            class=move || {
                let colours = if confirming.get() { "bg-alarm text-white" } else { "bg-line text-ink" };
                format!(
                    "{colours} px-3 py-1.5 text-xs font-bold hover:bg-alarm hover:text-white \
                     whitespace-nowrap cursor-pointer transition-colors disabled:opacity-50 \
                     disabled:cursor-not-allowed disabled:hover:bg-line disabled:hover:text-ink"
                )
            }
            aria-expanded=move || confirming.get().to_string()
            disabled=move || !hydrated.get()
            on:click=move |_| confirming.set(true)
            on:keydown=on_escape(move || confirming.set(false))
        >
            "Destroy now"
        </button>
    }
}

/// "Delete everything for everyone?", on a line of its own below the header's controls.
#[component]
fn DestroyQuestion(executor: Executor, confirming: RwSignal<bool>) -> impl IntoView {
    let live = executor.live();
    // A refused Destroy puts the question away (the notice says why).
    Effect::new(move |was_leaving: Option<bool>| {
        let leaving = live.leaving.get();
        if was_leaving == Some(true) && !leaving {
            confirming.set(false);
        }
        leaving
    });
    view! {
        <Question
            label="Confirm destroying the room"
            text="Delete everything for everyone?".to_owned()
            confirm="Yes, destroy"
            confirm_id="confirm-destroy"
            busy=live.leaving
            on_confirm=Callback::new(move |()| executor.dispatch(Change::DestroyPressed))
            on_cancel=Callback::new(move |()| confirming.set(false))
        />
    }
}
