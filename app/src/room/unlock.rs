//! A room with a passphrase, opened by its link alone: the page asks for the passphrase and
//! tries it in the browser against the room's key check, so a wrong one is told here, before
//! anything else. Nothing takes a seat, and the passphrase is never sent or stored.

use super::live::{KeyState, Live};
use super::panel::{PanelButton, PanelForm};
use crate::model::clean_passphrase;
use crate::secret_input::SecretInput;
use leptos::prelude::*;

/// What a visitor sees when the passphrase they gave does not open the room.
pub const WRONG_PASSPHRASE: &str =
    "That passphrase does not open this room. Check it with the person who sent the link.";

#[component]
pub fn UnlockPanel(live: Live, on_unlock: Callback<String>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
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
    // A wrong passphrase puts the cursor back in the field, its text selected, to type again.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        if live.key.get() == KeyState::PassphraseWrong
            && let Some(field) = document()
                .get_element_by_id("room-passphrase")
                .and_then(|field| field.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            let _ = field.focus();
            field.select();
        }
    });
    // Someone already in the room (a reload) is not sent to ask for it.
    let seated = move || live.you.with(Option::is_some);
    view! {
        <PanelForm label="Unlock this room" on_submit>
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
                <SecretInput
                    id="room-passphrase"
                    typed
                    invalid=Signal::derive(move || alert().is_some())
                    on_edit=Callback::new(move |()| edited.set(true))
                />
            </div>
            <PanelButton
                disabled=Signal::derive(move || unlocking() || typed.with(|t| t.trim().is_empty()))
                working=Signal::derive(unlocking)
                idle="Unlock"
                busy="Checking…"
            />
            <p role="alert" class="text-danger text-sm">{alert}</p>
        </PanelForm>
    }
}
