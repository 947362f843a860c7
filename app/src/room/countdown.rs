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

/// The time left until `expires_at`, by the server's clock `now`: amber, red in the last minute.
#[component]
pub fn Countdown(expires_at: u64, now: ReadSignal<u64>) -> impl IntoView {
    let remaining = move || expires_at.saturating_sub(now.get());
    let tone = move || if remaining() < 60_000 { "text-danger" } else { "text-warn" };
    view! {
        <div class="flex flex-col items-center">
            <span class="text-faint text-[0.65rem] uppercase tracking-wide">"Self-destruct"</span>
            <span
                role="timer"
                data-testid="countdown"
                class=move || format!("font-bold text-lg tabular-nums {}", tone())
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
}
