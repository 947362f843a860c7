//! The passphrase a new room may ask for besides its link: off by default; when asked for, a
//! field to type it, hidden unless the visitor shows it. It never leaves the browser.

use super::room_options::Choices;
use crate::model::{PASSPHRASE_CHARS, clean_passphrase};
use crate::secret_input::SecretInput;
use leptos::prelude::*;

/// The picker's values: no passphrase (the default), or one.
const NO_PASSPHRASE: u64 = 0;
const WITH_PASSPHRASE: u64 = 1;

/// Whether the visitor asked for a passphrase, and what they typed. What was typed stays while
/// the row is switched off and on again, in memory only.
#[derive(Clone, Copy)]
pub struct PassphraseChoice {
    asked: RwSignal<Option<u64>>,
    typed: RwSignal<String>,
}

impl PassphraseChoice {
    pub fn new() -> Self {
        PassphraseChoice { asked: RwSignal::new(None), typed: RwSignal::new(String::new()) }
    }

    /// What the visitor picked before the page woke up. Set once the page is live: it shows or
    /// hides a field, which hydration must find as the server rendered it.
    pub fn picked_early(&self, asked: u64) {
        self.asked.set(Some(asked));
    }

    fn asked(&self) -> bool {
        self.asked.get() == Some(WITH_PASSPHRASE)
    }

    /// The passphrase, trimmed, when one is asked for (`Ok(None)` when not); `Err` while what
    /// was typed is not one.
    pub fn chosen(&self) -> Result<Option<String>, String> {
        if !self.asked() {
            return Ok(None);
        }
        self.typed.with(|typed| clean_passphrase(typed).map(|clean| Some(clean.to_owned())))
    }
}

#[component]
pub fn PassphraseField(choice: PassphraseChoice) -> impl IntoView {
    let PassphraseChoice { asked, typed } = choice;
    // Said once something is typed; before that the help says what makes a good one.
    let problem = move || typed.with(|t| (!t.is_empty()).then(|| clean_passphrase(t).err())?);
    let help = move || {
        problem().unwrap_or_else(|| {
            format!(
                "At least {} characters; a few words are best. The link alone will not open the \
                 room: tell the passphrase another way. It never leaves this browser.",
                PASSPHRASE_CHARS.0
            )
        })
    };
    view! {
        <div class="space-y-2">
            <Choices
                legend="Passphrase"
                name="passphrase"
                values=vec![NO_PASSPHRASE, WITH_PASSPHRASE]
                default=NO_PASSPHRASE
                label=|v: u64| if v == WITH_PASSPHRASE { "Add one" } else { "Off" }.to_owned()
                chosen=asked
            />
            <Show when=move || choice.asked()>
                <label for="passphrase" class="sr-only">"Passphrase"</label>
                <SecretInput
                    id="passphrase"
                    typed
                    invalid=Signal::derive(move || problem().is_some())
                    described_by="passphrase-help"
                />
                <p id="passphrase-help" class="text-xs" class:text-danger=move || problem().is_some()>
                    {help}
                </p>
            </Show>
        </div>
    }
}
