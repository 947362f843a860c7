//! The message log: yours on the right, others' on the left, pending ones until acknowledged.

use super::chat_log::PendingMessage;
use super::live::Live;
use crate::model::ChatMessage;
use leptos::html::Div;
use leptos::prelude::*;

/// How close to the bottom (px) still counts as "reading the newest messages".
const STICKY_PX: i32 = 80;

#[component]
pub fn MessageList(
    live: Live,
    on_retry: Callback<String>,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let scroller = NodeRef::<Div>::new();
    let at_bottom = RwSignal::new(true);
    let news_below = RwSignal::new(false);

    let messages = move || live.log.with(|log| log.messages().cloned().collect::<Vec<_>>());
    let pending = move || live.log.with(|log| log.pending().to_vec());
    let you = move || live.you.get().unwrap_or_default();

    // Follow new messages while the reader is at the bottom; otherwise offer a pill.
    Effect::new(move |_| {
        live.log.track();
        if at_bottom.get_untracked() {
            request_animation_frame(move || scroll_to_bottom(scroller));
        } else {
            news_below.set(true);
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = scroller.get() {
            let near = el.scroll_height() - el.scroll_top() - el.client_height() < STICKY_PX;
            at_bottom.set(near);
            if near {
                news_below.set(false);
            }
        }
    };

    view! {
        <div class="relative flex-1 min-h-0">
            <div
                node_ref=scroller
                on:scroll=on_scroll
                role="log"
                aria-live="polite"
                aria-label="Messages"
                tabindex="0"
                class="h-full overflow-y-auto py-4 safe-x"
            >
                <div class="mx-auto max-w-3xl space-y-4">
                <Show when=move || live.log.with(|l| l.truncated())>
                    <p class="text-center text-xs text-muted">
                        "Older messages are gone: a room keeps only its most recent ones."
                    </p>
                </Show>
                <Show when=move || live.you.with(Option::is_none)>
                    <p class="text-center text-sm text-muted py-10">"Taking your seat…"</p>
                </Show>
                <Show when=move || live.you.with(Option::is_some) && live.log.with(|l| l.is_empty())>
                    <p class="text-center text-sm text-muted py-10" data-testid="empty">
                        "No messages yet. Say something; it will vanish with the room."
                    </p>
                </Show>
                <For each=messages key=|m| m.seq let:message>
                    <MessageItem mine=message.sender == you() message hydrated />
                </For>
                <For each=pending key=|p| (p.client_id.clone(), p.failed) let:pending>
                    <PendingItem pending on_retry />
                </For>
                </div>
            </div>
            <Show when=move || news_below.get()>
                <button
                    type="button"
                    class="absolute bottom-3 left-1/2 -translate-x-1/2 bg-accent text-canvas px-3 py-1 \
                           text-xs font-bold shadow cursor-pointer"
                    on:click=move |_| {
                        news_below.set(false);
                        at_bottom.set(true);
                        scroll_to_bottom(scroller);
                    }
                >
                    "New messages ↓"
                </button>
            </Show>
        </div>
    }
    .into_any()
}

fn scroll_to_bottom(scroller: NodeRef<Div>) {
    if let Some(el) = scroller.get_untracked() {
        el.set_scroll_top(el.scroll_height());
    }
}

/// `HH:mm` in the browser's time zone once hydrated; UTC in the server-rendered page.
fn clock_time(ts: u64, local: bool) -> String {
    use chrono::{Local, TimeZone, Utc};
    let Ok(ms) = i64::try_from(ts) else { return String::new() };
    let Some(utc) = Utc.timestamp_millis_opt(ms).single() else { return String::new() };
    if local {
        utc.with_timezone(&Local).format("%H:%M").to_string()
    } else {
        utc.format("%H:%M").to_string()
    }
}

#[component]
fn MessageItem(message: ChatMessage, mine: bool, hydrated: RwSignal<bool>) -> impl IntoView {
    let ts = message.ts;
    let time = move || clock_time(ts, hydrated.get());
    let iso = chrono::DateTime::from_timestamp_millis(i64::try_from(ts).unwrap_or(0))
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    let (align, who, name_tone) = if mine {
        ("items-end text-right", "You".to_owned(), "text-mine")
    } else {
        ("items-start text-left", message.sender.clone(), "text-accent")
    };
    view! {
        <article
            class=format!("flex flex-col {align}")
            data-testid="message"
            data-mine=mine.to_string()
            data-seq=message.seq.to_string()
        >
            <header class="flex items-baseline gap-2 text-xs">
                <span class=format!("font-bold {name_tone}")>{who}</span>
                <time class="text-faint" datetime=iso>{time}</time>
            </header>
            <p class="max-w-[85%] whitespace-pre-wrap break-words text-sm text-ink" data-testid="text">
                {message.text}
            </p>
        </article>
    }
}

#[component]
fn PendingItem(pending: PendingMessage, on_retry: Callback<String>) -> impl IntoView {
    let client_id = pending.client_id.clone();
    view! {
        <article class="flex flex-col items-end text-right opacity-70" data-testid="pending">
            <header class="flex items-baseline gap-2 text-xs">
                <span class="font-bold text-mine">"You"</span>
                {if pending.failed {
                    view! {
                        <span class="text-danger">"Not sent."</span>
                        <button
                            type="button"
                            class="underline text-danger cursor-pointer"
                            on:click=move |_| on_retry.run(client_id.clone())
                        >
                            "Retry"
                        </button>
                    }
                        .into_any()
                } else {
                    view! { <span class="text-faint">"sending…"</span> }.into_any()
                }}
            </header>
            <p class="max-w-[85%] whitespace-pre-wrap break-words text-sm text-ink">{pending.text}</p>
        </article>
    }
}
