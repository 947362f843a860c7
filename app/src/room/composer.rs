//! The message input: a live character count, Enter sends, Shift+Enter adds a line.

use super::live::{KeyState, Live};
use crate::model::{MESSAGE_MAX_CHARS, clean_message};
use crate::protocol::TYPING_EVERY_MS;
use leptos::prelude::*;

/// `on_send` receives the trimmed text, and `on_typing` fires (throttled) while typing.
#[component]
pub fn Composer(live: Live, on_send: Callback<String>, on_typing: Callback<()>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    // The input takes focus once the room is open, so typing can start at once.
    let input = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if input.get().is_some() {
            // On the next frame: after a client-side navigation the element is not attached yet.
            request_animation_frame(move || {
                if let Some(Some(input)) = input.try_get_untracked() {
                    let _ = input.focus();
                }
            });
        }
    });
    let last_typing = StoredValue::new(0u64);
    let count = move || text.with(|t| t.trim().chars().count());
    let too_long = move || count() > MESSAGE_MAX_CHARS;

    // Messages are sealed with the room key: nothing can be sent until the page has it.
    let ready = move || live.key.get() == KeyState::Ready;
    let send = move || {
        let draft = text.get_untracked();
        if !ready() {
            return;
        }
        if let Ok(clean) = clean_message(&draft) {
            on_send.run(clean.to_owned());
            text.set(String::new());
            // A message ends a typing burst: the next keystroke announces typing again at once.
            last_typing.set_value(0);
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        text.set(event_target_value(&ev));
        let now = crate::model::now_ms();
        if now.saturating_sub(last_typing.get_value()) >= TYPING_EVERY_MS {
            last_typing.set_value(now);
            on_typing.run(());
        }
    };
    let problem = move || {
        if too_long() {
            Some(format!(
                "Too long: {} of {MESSAGE_MAX_CHARS} characters. Shorten it to send.",
                count()
            ))
        } else {
            live.notice.get()
        }
    };

    view! {
        // `method="dialog"`: outside a dialog, a submitted form goes nowhere (the browser never
        // sends the text), hydrated or not.
        <form
            method="dialog"
            class="border-t border-line bg-panel px-4 pt-3 safe-bottom safe-x"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <div class="mx-auto max-w-3xl flex items-end gap-2">
                <span aria-hidden="true" class="pb-2.5 text-accent font-bold">">"</span>
                <label for="message" class="sr-only">"Message"</label>
                <textarea
                    node_ref=input
                    id="message"
                    rows="1"
                    placeholder="Type a message…"
                    autocomplete="off"
                    aria-describedby="message-count message-problem"
                    aria-invalid=move || too_long().to_string()
                    class="composer flex-1 min-w-0 resize-none bg-canvas border border-line p-2 text-sm \
                           text-ink placeholder:text-faint focus:border-accent focus:outline-none"
                    prop:value=move || text.get()
                    on:input=on_input
                    on:keydown=on_keydown
                ></textarea>
                <button
                    type="submit"
                    class="bg-ink text-canvas px-4 py-2 text-sm font-bold uppercase cursor-pointer \
                           disabled:opacity-40 disabled:cursor-not-allowed"
                    // An attribute, so the server renders it: pressed before the page is live,
                    // the button does nothing.
                    disabled=move || count() == 0 || too_long() || !ready()
                >
                    "Send"
                </button>
            </div>
            <div class="mx-auto max-w-3xl flex justify-between gap-4 py-1.5 text-xs">
                <p id="message-problem" role="alert" class="text-danger">{problem}</p>
                <p
                    id="message-count"
                    data-testid="char-count"
                    class=move || if too_long() { "text-danger tabular-nums" } else { "text-faint tabular-nums" }
                >
                    {count}"/"{MESSAGE_MAX_CHARS}
                </p>
            </div>
        </form>
    }
    .into_any()
}
