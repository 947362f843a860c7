//! A room with a passphrase, opened by its link alone: the page asks for the passphrase and
//! tries it in the browser against the room's key check, so a wrong one is told here, before
//! anything else. Nothing takes a seat, and the passphrase is never sent or stored.

use super::live::{Change, KeyState, Live};
use crate::model::{PASSPHRASE_CHARS, clean_passphrase};
use leptos::prelude::*;

/// What a visitor sees when the passphrase they gave does not open the room.
pub const WRONG_PASSPHRASE: &str =
    "That passphrase does not open this room. Check it with the person who sent the link.";

#[component]
pub fn UnlockPanel(live: Live, on_unlock: Callback<String>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let shown = RwSignal::new(false);
    // A rule broken before anything is tried: said below the field, nothing stretched.
    let problem = RwSignal::new(None::<String>);
    // Typing again puts the last refusal away.
    let edited = RwSignal::new(false);
    let unlocking = move || live.key.get() == KeyState::Unlocking;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if unlocking() {
            return;
        }
        edited.set(false);
        match typed.with_untracked(|t| clean_passphrase(t).map(str::to_owned)) {
            Ok(passphrase) => {
                problem.set(None);
                live.dispatch(Change::UnlockPressed);
                on_unlock.run(passphrase);
            }
            // Shorter than any passphrase a room can have: it cannot be this one.
            Err(_) => problem.set(Some(WRONG_PASSPHRASE.into())),
        }
    };
    let alert = move || match live.key.get() {
        _ if edited.get() => None,
        KeyState::PassphraseWrong => Some(WRONG_PASSPHRASE.to_owned()),
        KeyState::Unlocking => None,
        _ => problem.get(),
    };
    // Someone already in the room (a reload) is not sent to ask for it.
    let seated = move || live.you.with(Option::is_some);
    view! {
        <section class="flex-1 flex items-center justify-center px-4 py-10 safe-area">
            <form
                method="dialog"
                class="w-full max-w-md border border-line bg-panel p-6 space-y-6"
                aria-label="Unlock this room"
                on:submit=on_submit
            >
                <header class="space-y-2">
                    <h1 class="text-lg font-bold text-accent">">unlock_room"</h1>
                    <p class="font-bold text-ink" data-testid="passphrase-needed">
                        "This room needs its passphrase"
                    </p>
                    <p class="text-sm text-muted">
                        {move || if seated() {
                            "Enter it again to read this room: it is never kept, not even in this \
                             browser. It is checked here and never leaves it."
                        } else {
                            "The link alone does not open it. Ask whoever sent it for the \
                             passphrase. It is checked in this browser and never leaves it."
                        }}
                    </p>
                </header>
                <div class="space-y-2">
                    <label for="room-passphrase" class="block text-muted text-xs uppercase tracking-wide">
                        "Passphrase"
                    </label>
                    <div class="flex gap-2">
                        <input
                            id="room-passphrase"
                            type=move || if shown.get() { "text" } else { "password" }
                            autocomplete="off"
                            spellcheck="false"
                            maxlength=(PASSPHRASE_CHARS.1 * 2).to_string()
                            class="flex-1 min-w-0 bg-canvas border border-line p-3 text-sm text-ink \
                                   focus:border-accent focus:outline-none"
                            aria-invalid=move || alert().is_some().to_string()
                            prop:value=move || typed.get()
                            on:input=move |ev| {
                                typed.set(event_target_value(&ev));
                                edited.set(true);
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
                </div>
                <button
                    type="submit"
                    class="w-full bg-ink text-canvas p-3 text-sm font-bold uppercase tracking-wide \
                           hover:opacity-90 disabled:opacity-50 disabled:cursor-not-allowed \
                           cursor-pointer"
                    disabled=move || unlocking() || typed.with(|t| t.trim().is_empty())
                >
                    {move || if unlocking() { "Checking…" } else { "Unlock" }}
                </button>
                <p role="alert" class="text-danger text-sm">{alert}</p>
            </form>
        </section>
    }
}
