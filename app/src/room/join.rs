//! Before the conversation: the room as a visitor without a seat sees it — how long it has
//! left, how many seats are free, and a Join button with the name to join under — or why the
//! link cannot open it. Nothing takes a seat until the visitor presses Join.

use super::countdown::{format_remaining, reserved_width};
use super::live::{KeyState, Live};
use super::panel::{PanelButton, PanelForm};
use crate::model::{USERNAME_MAX_CHARS, clean_username};
use crate::remembered_name::current_name;
use leptos::prelude::*;

#[component]
pub fn JoinPanel(
    live: Live,
    on_join: Callback<String>,
    on_unlock_room: Callback<()>,
) -> impl IntoView {
    // The server does not know the visitor's name; the browser fills it in: the name this
    // tab last had in the room (coming back after leaving), or the one it remembers.
    let name = RwSignal::new(String::new());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        let offered =
            super::link::kept_name(&live.room_id.get_value()).unwrap_or_else(current_name);
        #[cfg(not(feature = "hydrate"))]
        let offered = current_name();
        name.set(offered);
    });
    let joining = RwSignal::new(false);
    // Whether the link says the room has a passphrase: known in the browser only.
    let with_passphrase = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let fragment = super::link::fragment(&live.room_id.get_value(), live.expires_at);
        with_passphrase.set(crate::envelope::needs_passphrase(&fragment));
    });
    Effect::new(move |_| {
        if live.notice.get().is_some() {
            joining.set(false);
        }
    });
    let ready = move || live.key.get() == KeyState::Ready;
    // Said once the page is live: the server renders the panel before the name is filled in.
    let problem = move || if ready() { clean_username(&name.read()).err() } else { None };
    let free = move || live.capacity.saturating_sub(live.seated.get());
    // Counted as the room counts them once inside ("2 of 3 seats taken").
    let seats = move || match live.locked.get() {
        true => "locked: nobody new can join".to_owned(),
        false => {
            format!("{} of {} seats taken", live.seated.get().min(live.capacity), live.capacity)
        }
    };
    let left = move || format_remaining(live.expires_at.saturating_sub(live.clock.get()));
    let left_width = reserved_width(live.expires_at.saturating_sub(live.clock.get_untracked()));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(clean) = clean_username(&name.get_untracked())
            && ready()
            && !joining.get_untracked()
        {
            joining.set(true);
            on_join.run(clean.to_owned());
        }
    };
    view! {
        <PanelForm label="Join this room" on_submit>
            <header class="space-y-2">
                <h1 class="text-lg font-bold text-accent">">join_room"</h1>
                <p class="text-sm text-muted" data-testid="room-facts">
                    <span class=format!("inline-block tabular-nums {left_width}")>{left}</span>" left · "<span>{seats}</span>
                    <Show when=move || live.destroyers == crate::model::Destroyers::Creator>
                        <span>
                            {move || if live.is_creator.get() {
                                " · only you, its creator, can destroy it"
                            } else {
                                " · only its creator can destroy it"
                            }}
                        </span>
                    </Show>
                    <Show when=move || live.message_timer_ms.is_some()>
                        <span>
                            " · messages disappear "
                            {live.message_timer_words().unwrap_or_default()}
                        </span>
                    </Show>
                </p>
                <p class="text-xs text-faint">
                    {move || if with_passphrase.get() {
                        "Messages here are end-to-end encrypted with the key in your link and \
                         the room's passphrase."
                    } else {
                        "Messages here are end-to-end encrypted with the key in your link."
                    }}
                </p>
            </header>
            <div class="space-y-2">
                <label for="join-name" class="block text-muted text-xs uppercase tracking-wide">
                    "Your name in this room"
                </label>
                <input
                    id="join-name"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    maxlength=(USERNAME_MAX_CHARS * 2).to_string()
                    class="w-full bg-canvas border border-line p-3 text-sm text-ink \
                           focus:border-accent focus:outline-none"
                    aria-describedby="join-help"
                    aria-invalid=move || problem().is_some().to_string()
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <p id="join-help" class="text-xs" class:text-danger=move || problem().is_some()>
                    {move || problem().unwrap_or_else(|| "Only the others in this room can read it.".into())}
                </p>
            </div>
            <PanelButton
                disabled=Signal::derive(move || {
                    !ready() || problem().is_some() || joining.get() || free() == 0 || live.locked.get()
                })
                working=joining
                idle="Join"
                busy="Joining…"
            />
            <p role="alert" class="text-danger text-sm">
                {move || live.notice.get().or_else(|| match (live.locked.get(), live.is_creator.get()) {
                    (false, _) => None,
                    (true, false) => Some(
                        "Its creator has locked this room: nobody new can join. Ask them to unlock it."
                            .to_owned(),
                    ),
                    (true, true) => Some(
                        "You locked this room: nobody new can join, you included. Unlock it to join again."
                            .to_owned(),
                    ),
                })}
            </p>
            // The creator's key proves them without a seat: they may open the room again.
            <Show when=move || live.locked.get() && live.is_creator.get()>
                <button
                    type="button"
                    data-testid="unlock-room"
                    class="border border-line px-3 py-2 text-sm text-ink hover:border-ink cursor-pointer"
                    on:click=move |_| on_unlock_room.run(())
                >
                    "Unlock room"
                </button>
            </Show>
        </PanelForm>
    }
}

/// Why this link cannot open the room.
#[component]
pub fn KeyProblem(state: KeyState) -> impl IntoView {
    let (heading, sentence) = match state {
        KeyState::Wrong => (
            "This key does not open this room",
            "The link was changed or cut short, so its messages cannot be read here. Ask for \
             the full link again (a room with a passphrase has a link that ends in &p=1).",
        ),
        _ => (
            "This link is missing its key. Ask for the full link.",
            "Burner rooms are end-to-end encrypted: the key is the part of the link after the \
             #, which never reaches the server. Without it nothing here can be read.",
        ),
    };
    view! {
        <section class="flex-1 flex items-center justify-center px-4 py-10 safe-area">
            <div role="alert" class="w-full max-w-md border border-danger/60 bg-danger/10 p-6 space-y-3">
                <h1 class="font-bold text-ink" data-testid="key-problem">{heading}</h1>
                <p class="text-sm text-muted">{sentence}</p>
                <a href="/" class="inline-block underline text-ink text-sm">"Create your own room"</a>
            </div>
        </section>
    }
}
