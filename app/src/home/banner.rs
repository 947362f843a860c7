//! The banner that tells a visitor why they landed on the home page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// What a banner says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notice {
    pub heading: &'static str,
    pub sentence: &'static str,
    /// Whether it reports something that went wrong (red) rather than news (neutral).
    pub is_problem: bool,
}

/// The notice for a home-page query string, if it asks for one.
pub fn notice_for(query: &ParamsMap) -> Option<Notice> {
    let notice = |heading, sentence, is_problem| Some(Notice { heading, sentence, is_problem });
    match query.get_str("error") {
        Some("room-not-found") => {
            return notice(
                "Room not found",
                "This room may have expired, been destroyed, or never existed.",
                true,
            );
        }
        Some("room-full") => {
            return notice("Room full", "This room already has all the people it can hold.", true);
        }
        Some("room-outdated") => {
            return notice(
                "Room from an earlier version",
                "It was made before rooms were bound to their link's key and can no longer be \
                 opened. Create a new room.",
                true,
            );
        }
        Some("room-locked") => {
            return notice(
                "Room locked",
                "Its creator lets nobody new in. Ask them to unlock it, or create your own room.",
                true,
            );
        }
        Some("seat-lost") => {
            return notice(
                "Your seat is gone",
                "You left this room in another tab, or this browser lost its seat.",
                true,
            );
        }
        _ => {}
    }
    if query.get_str("removed").is_some() {
        notice(
            "You were removed from this room",
            "Its creator removed you. Your seat is gone, and so are its messages on this page.",
            true,
        )
    } else if query.get_str("destroyed").is_some() {
        notice("Room destroyed", "Every message in it was deleted for good.", false)
    } else if query.get_str("expired").is_some() {
        notice("Room expired", "Its time ran out and every message is gone for good.", false)
    } else if query.get_str("left").is_some() {
        notice("You left the room", "Your seat is free again for someone else.", false)
    } else {
        None
    }
}

#[component]
pub fn Banner() -> impl IntoView {
    let query = use_query_map();
    move || {
        notice_for(&query.read()).map(|notice| {
            let tone = if notice.is_problem {
                "border-danger/60 bg-danger/10"
            } else {
                "border-line bg-panel"
            };
            view! {
                <section role="status" aria-live="polite" class=format!("border p-4 space-y-1 {tone}")>
                    <h2 class="font-bold text-sm text-ink">{notice.heading}</h2>
                    <p class="text-sm text-muted">{notice.sentence}</p>
                </section>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&'static str, &str)]) -> ParamsMap {
        let mut map = ParamsMap::new();
        for (k, v) in pairs {
            map.insert(*k, (*v).to_string());
        }
        map
    }

    #[test]
    fn each_landing_reason_has_a_heading_and_a_sentence() {
        for (k, v, heading) in [
            ("error", "room-not-found", "Room not found"),
            ("error", "room-full", "Room full"),
            ("error", "room-outdated", "Room from an earlier version"),
            ("error", "seat-lost", "Your seat is gone"),
            ("error", "room-locked", "Room locked"),
            ("removed", "1", "You were removed from this room"),
            ("destroyed", "1", "Room destroyed"),
            ("expired", "1", "Room expired"),
            ("left", "1", "You left the room"),
        ] {
            let notice = notice_for(&query(&[(k, v)]));
            assert_eq!(notice.map(|n| n.heading), Some(heading));
            assert!(notice.is_some_and(|n| n.sentence.ends_with('.')));
        }
    }

    #[test]
    fn a_plain_visit_or_an_unknown_error_shows_no_banner() {
        assert_eq!(notice_for(&query(&[])), None);
        assert_eq!(notice_for(&query(&[("error", "<script>")])), None);
    }
}
