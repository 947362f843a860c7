//! The self-destruct countdown.

use leptos::prelude::*;

/// `M:SS` under an hour, `H:MM:SS` from an hour, rounding partial seconds up.
pub fn format_remaining(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    let (hours, minutes, seconds) = (secs / 3600, secs / 60 % 60, secs % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// A width for a countdown that starts at `remaining_ms`, reserved so that nothing beside it
/// moves as it ticks ("10:00" is wider than "9:59"): as many `ch` (a digit's width) as its first
/// text has characters, the text starting at its left edge. Remaining time only shrinks, and so
/// does its text. A class, not a style attribute: the page's Content-Security-Policy allows no
/// inline style.
pub fn reserved_width(remaining_ms: u64) -> &'static str {
    match format_remaining(remaining_ms).chars().count() {
        0..=4 => "min-w-[4ch]",
        5 => "min-w-[5ch]",
        6 | 7 => "min-w-[7ch]",
        _ => "min-w-[8ch]",
    }
}

/// The time left until `expires_at`, by the server's clock `now`: amber, red in the last minute.
#[component]
pub fn Countdown(expires_at: u64, now: ReadSignal<u64>) -> impl IntoView {
    let remaining = move || expires_at.saturating_sub(now.get());
    let tone = move || if remaining() < 60_000 { "text-danger" } else { "text-warn" };
    let width = reserved_width(expires_at.saturating_sub(now.get_untracked()));
    view! {
        <div class="flex flex-col items-center">
            <span class="text-faint text-[0.65rem] uppercase tracking-wide">"Self-destruct"</span>
            <span
                role="timer"
                data-testid="countdown"
                class=move || {
                    format!("inline-block font-bold text-lg tabular-nums {width} {}", tone())
                }
            >
                {move || format_remaining(remaining())}
            </span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_countdown_reads_minutes_and_seconds_then_hours() {
        assert_eq!(format_remaining(600_000), "10:00");
        assert_eq!(format_remaining(59_001), "1:00");
        assert_eq!(format_remaining(59_000), "0:59");
        assert_eq!(format_remaining(0), "0:00");
        assert_eq!(format_remaining(3_600_000), "1:00:00");
        assert_eq!(format_remaining(86_400_000), "24:00:00");
        assert_eq!(format_remaining(3_725_000), "1:02:05");
    }

    #[test]
    fn the_reserved_width_holds_every_later_text() {
        for start in [600_000, 599_000, 3_600_000, 86_400_000, 59_000, 0] {
            let reserved: usize = reserved_width(start)
                .trim_start_matches("min-w-[")
                .trim_end_matches("ch]")
                .parse()
                .expect("a width in ch");
            assert!(format_remaining(start).chars().count() <= reserved);
            for later in (0..=start).step_by(1000) {
                assert!(format_remaining(later).chars().count() <= reserved, "{start} → {later}");
            }
        }
    }
}
