//! The message log: yours on the right, others' on the left, pending ones until acknowledged,
//! and who came and went between them.

use super::chat_log::{Entry, PendingMessage, Revealed};
use super::live::{Live, Move, Movement};
use leptos::html::Div;
use leptos::prelude::*;

/// How close to the bottom (px) still counts as "reading the newest messages".
const STICKY_PX: i32 = 80;
/// Opening messages that takes less than this shows nothing at all.
const OPENING_QUIET: std::time::Duration = std::time::Duration::from_millis(200);

#[component]
pub fn MessageList(
    live: Live,
    on_retry: Callback<String>,
    on_older: Callback<()>,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let scroller = NodeRef::<Div>::new();
    let news_below = RwSignal::new(false);

    // Disappearing messages leave the page at their time, by the server's clock, whether or
    // not the page is connected.
    let timer = live.message_timer_ms;
    let messages = move || {
        let now = live.clock.get();
        live.log.with(|log| {
            let shown = log.shown();
            let left = shown.filter(|e| !crate::model::message_expired(e.message.ts, timer, now));
            left.cloned().collect::<Vec<_>>()
        })
    };
    // Who came and went goes between the messages, where it happened, and leaves with the
    // messages of its time.
    let lines = move || {
        let now = live.clock.get();
        let said = |entry: Entry| {
            let mine = live.is_yours(&entry.message.sender);
            Line::Said(entry, mine)
        };
        let mut lines: Vec<Line> = messages().into_iter().map(said).collect();
        live.movements.with(|moves| {
            let kept = moves.iter().filter(|m| !crate::model::message_expired(m.at, timer, now));
            lines.extend(kept.cloned().map(Line::Moved));
        });
        lines.sort_by_key(Line::key);
        lines
    };
    let pending = move || live.log.with(|log| log.pending().to_vec());
    // Opening the history takes a moment; say so only if it takes long enough to notice.
    let opening = Memo::new(move |_| live.log.with(|log| log.opening()));
    let slow = RwSignal::new(false);
    Effect::new(move |_| {
        if opening.get() {
            // The list may be gone by then (a missing key replaces it): `try_`, never a panic.
            let later = move || {
                slow.try_set(opening.try_get_untracked().unwrap_or(false));
            };
            set_timeout(later, OPENING_QUIET);
        } else {
            slow.set(false);
        }
    });

    // Follow new messages while the reader is at the bottom; otherwise offer a pill. "At the
    // bottom" is judged against the content as it was before this change (not against the last
    // scroll event, which may not have arrived yet).
    let seen_height = StoredValue::new(0);
    let seen_last = StoredValue::new(0);
    Effect::new(move |_| {
        // Older messages loaded above are no news: only a higher sequence number is.
        let last = live.log.with(|log| log.last_seq());
        let newer = last > seen_last.get_value();
        seen_last.set_value(last);
        let Some(el) = scroller.get_untracked() else { return };
        if el.scroll_top() + el.client_height() >= seen_height.get_value() - STICKY_PX {
            request_animation_frame(move || {
                scroll_to_bottom(scroller);
                if let Some(Some(el)) = scroller.try_get_untracked() {
                    seen_height.try_set_value(el.scroll_height());
                }
            });
        } else if newer {
            news_below.set(true);
        }
    });

    let on_scroll = move |_| {
        if let Some(el) = scroller.get() {
            let near = el.scroll_height() - el.scroll_top() - el.client_height() < STICKY_PX;
            if near {
                seen_height.set_value(el.scroll_height());
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
                <Show when=move || live.log.with(|l| l.more())>
                    <p class="text-center">
                        <button
                            type="button"
                            class="border border-line px-3 py-1 text-xs text-muted hover:text-ink \
                                   cursor-pointer"
                            data-testid="load-older"
                            on:click=move |_| on_older.run(())
                        >
                            "Load older messages"
                        </button>
                    </p>
                </Show>
                <Show when=move || live.log.with(|l| l.truncated() && !l.more())>
                    <p class="text-center text-xs text-muted">
                        "Older messages are gone: a room keeps only its most recent ones."
                    </p>
                </Show>
                <Show when=move || messages().is_empty() && live.log.with(|l| l.pending().is_empty())>
                    <p class="text-center text-sm text-muted py-10" data-testid="empty">
                        {move || match live.message_timer_ms {
                            Some(ms) => format!(
                                "No messages. Each one disappears {} after it is sent.",
                                crate::home::lifetime_label(ms / 1000)
                            ),
                            None => "No messages yet. Say something; it will vanish with the room."
                                .to_owned(),
                        }}
                    </p>
                </Show>
                <For each=lines key=Line::identity let:line>
                    {match line {
                        Line::Said(entry, mine) => {
                            view! { <MessageItem live entry mine hydrated /> }.into_any()
                        }
                        Line::Moved(movement) => view! { <MovementItem live movement /> }.into_any(),
                    }}
                </For>
                <Show when=move || slow.get()>
                    <p class="text-center text-xs text-muted" data-testid="opening">"decrypting…"</p>
                </Show>
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

/// One line of the log.
#[derive(Clone)]
enum Line {
    /// A message, and whether it is yours.
    Said(Entry, bool),
    Moved(Movement),
}

impl Line {
    /// Its place: a message by its sequence number, a movement after the message it followed.
    fn key(&self) -> (u64, u64) {
        match self {
            Line::Said(entry, _) => (entry.message.seq, 0),
            Line::Moved(movement) => (movement.after, movement.nth),
        }
    }

    /// What it is, as the list keeps it: its place, and for a message how far it is trusted
    /// and whether it is yours, so one found out later (unverified, out of place, or yours from
    /// before you left and came back) is drawn again as such.
    fn identity(&self) -> (u64, u64, u8, bool) {
        let (at, nth) = self.key();
        let (trust, mine) = match self {
            Line::Said(entry, mine) => {
                let trust = match entry.text {
                    Revealed::Text(_) => 0,
                    Revealed::OutOfPlace(_) => 1,
                    Revealed::Unverified(_) => 2,
                    Revealed::Unreadable | Revealed::Sealed => 3,
                };
                (trust, *mine)
            }
            Line::Moved(_) => (0, false),
        };
        (at, nth, trust, mine)
    }
}

/// "alice joined", "alice left", "alice was removed".
#[component]
fn MovementItem(live: Live, movement: Movement) -> impl IntoView {
    let seat = movement.seat;
    let what = match movement.kind {
        Move::Joined => "joined",
        Move::Left => "left",
        Move::Removed => "was removed by the room's creator",
    };
    view! {
        <p class="text-center text-xs text-muted" data-testid="movement">
            {move || live.name_of(&seat)} " " {what}
        </p>
    }
}

fn scroll_to_bottom(scroller: NodeRef<Div>) {
    if let Some(Some(el)) = scroller.try_get_untracked() {
        el.set_scroll_top(el.scroll_height());
    }
}

/// `HH:mm` in the browser's time zone once hydrated; UTC in the server-rendered page.
fn clock_time(ts: u64, local: bool) -> String {
    #[cfg(feature = "hydrate")]
    if local {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64));
        return format!("{:02}:{:02}", date.get_hours(), date.get_minutes());
    }
    let _ = local;
    format!("{:02}:{:02}", ts / 3_600_000 % 24, ts / 60_000 % 60)
}

#[component]
fn MessageItem(live: Live, entry: Entry, mine: bool, hydrated: RwSignal<bool>) -> impl IntoView {
    let Entry { message, text, .. } = entry;
    // Not proven to be from its seat: never shown under the seat's name.
    let unverified = matches!(text, Revealed::Unverified(_));
    let out_of_place = matches!(text, Revealed::OutOfPlace(_));
    let ts = message.ts;
    let time = move || clock_time(ts, hydrated.get());
    let iso = crate::model::iso_time(ts);
    let sender = message.sender.clone();
    let (align, name_tone) = if mine {
        ("items-end text-right", "text-mine")
    } else {
        ("items-start text-left", "text-accent")
    };
    let who = move || match (unverified, mine) {
        (true, _) => "Unverified".to_owned(),
        (false, true) => "You".to_owned(),
        (false, false) => live.name_of(&sender),
    };
    let name_tone = if unverified { "text-danger" } else { name_tone };
    // Disappearing: the time left, and a fade in its last second.
    let gone_at = live.message_timer_ms.map(|timer| ts.saturating_add(timer));
    // Never more than the timer: the clock ticks once a second and may lag the message's time.
    let left = move || {
        let timer = live.message_timer_ms.unwrap_or(0);
        gone_at.map(|at| at.saturating_sub(live.clock.get()).min(timer))
    };
    let fading = move || left().is_some_and(|ms| ms <= 1_000);
    let body = match text {
        Revealed::Text(text) | Revealed::Unverified(text) | Revealed::OutOfPlace(text) => view! {
            <p class="max-w-[85%] whitespace-pre-wrap break-words text-sm text-ink" data-testid="text">
                {text}
            </p>
        }
        .into_any(),
        Revealed::Unreadable | Revealed::Sealed => view! {
            <p class="text-sm italic text-muted" data-testid="unreadable">"Unreadable message"</p>
        }
        .into_any(),
    };
    view! {
        <article
            class=move || {
                let fade = if fading() { " opacity-0" } else { "" };
                format!("flex flex-col {align} transition-opacity duration-1000{fade}")
            }
            data-testid="message"
            data-mine=mine.to_string()
            data-unverified=unverified.then_some("true")
            data-seq=message.seq.to_string()
        >
            <header class="flex items-baseline gap-2 text-xs">
                <span
                    class=format!("font-bold {name_tone}")
                    title=unverified.then_some("Not signed by the member it names: someone else wrote it")
                    data-testid="sender"
                >
                    {who}
                </span>
                <Show when=move || out_of_place>
                    <span
                        class="font-bold text-danger"
                        title="Signed by this member, but sent before messages shown above it, or at another time: it was moved or replayed"
                        data-testid="out-of-place"
                    >
                        "out of place"
                    </span>
                </Show>
                <time class="text-faint" datetime=iso>{time}</time>
                <Show when=move || gone_at.is_some()>
                    <span class="text-faint tabular-nums" data-testid="disappears">
                        "vanishes in "
                        {move || left().map(super::countdown::format_remaining).unwrap_or_default()}
                    </span>
                </Show>
            </header>
            {body}
            // Said in words too: a title shows nothing on a phone.
            {unverified
                .then(|| {
                    view! {
                        <p class="text-xs text-danger" data-testid="why-unverified">
                            "Not signed by the member it names: someone else wrote it."
                        </p>
                    }
                })}
            {out_of_place
                .then(|| {
                    view! {
                        <p class="text-xs text-danger" data-testid="why-out-of-place">
                            "Signed by this member, but not where it was sent: moved or replayed."
                        </p>
                    }
                })}
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
