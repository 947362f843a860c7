//! An open room: takes a seat if needed, keeps the connection, and lays out the parts.

use super::RoomSnapshot;
use super::composer::Composer;
use super::header::RoomHeader;
use super::live::Live;
use super::message_list::MessageList;
use super::presence::PresenceBar;
use crate::protocol::ClientFrame;
use browser::Outbox;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

const ROOM_TITLE: &str = "Burner · private room";

#[component]
pub fn ChatRoom(room: RoomSnapshot) -> impl IntoView {
    let live = Live::new(&room);
    // The server's clock, ticking in the browser; starts at the render time on both sides.
    let clock = RwSignal::new(room.now);
    let hydrated = RwSignal::new(false);
    let outbox = Outbox::new();

    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(to) = live.leave_to.get() {
            navigate(&to, Default::default());
        }
    });
    Effect::new(move |_| {
        hydrated.set(true);
        #[cfg(feature = "hydrate")]
        browser::start(live, clock, outbox);
    });

    let on_send = Callback::new(move |text: String| {
        let client_id = nanoid::nanoid!(16);
        live.log.update(|log| log.queue(client_id.clone(), text.clone(), crate::model::now_ms()));
        outbox.send(ClientFrame::Send { client_id, text });
    });
    let on_retry = Callback::new(move |client_id: String| {
        let text = live.log.try_update(|log| log.retry(&client_id, crate::model::now_ms()));
        if let Some(Some(text)) = text {
            outbox.send(ClientFrame::Send { client_id, text });
        }
    });
    let on_typing = Callback::new(move |()| outbox.send(ClientFrame::Typing {}));

    // The unread count goes into the tab title in the browser only: a reactive <Title> would be
    // read outside the reactive owner during server rendering.
    Effect::new(move |_| {
        let title = match live.unread.get() {
            0 => ROOM_TITLE.to_owned(),
            n => format!("({n}) {ROOM_TITLE}"),
        };
        document().set_title(&title);
    });
    view! {
        <Title text=ROOM_TITLE />
        <main
            class="h-dvh flex flex-col overflow-hidden"
            data-hydrated=move || hydrated.get().to_string()
        >
            <RoomHeader live clock />
            <PresenceBar live clock />
            <MessageList live on_retry hydrated />
            <Composer live on_send on_typing />
        </main>
    }
}

/// Rendering on the server: there is no connection; frames go nowhere.
#[cfg(not(feature = "hydrate"))]
mod browser {
    use crate::protocol::ClientFrame;

    #[derive(Clone, Copy)]
    pub struct Outbox;

    impl Outbox {
        pub fn new() -> Self {
            Outbox
        }

        pub fn send(&self, _frame: ClientFrame) {}
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::identity::current_name;
    use crate::model::now_ms;
    use crate::protocol::ClientFrame;
    use crate::room::join_room;
    use crate::room::live::{LinkStatus, Live};
    use crate::room::socket;
    use leptos::prelude::*;
    use std::time::Duration;

    /// The sending side of the room's connection, once it is open.
    #[derive(Clone, Copy)]
    pub struct Outbox {
        sender: StoredValue<Option<socket::Outbox>, LocalStorage>,
    }

    impl Outbox {
        pub fn new() -> Self {
            Outbox { sender: StoredValue::new_local(None) }
        }

        /// Hands a frame to the connection; a message sent while offline stays pending and
        /// is sent again when the connection is back.
        pub fn send(&self, frame: ClientFrame) {
            self.sender.with_value(|sender| {
                if let Some(sender) = sender {
                    let _ = sender.unbounded_send(frame);
                }
            });
        }
    }

    /// Starts the clock, joins if this browser has no seat yet, then connects.
    pub fn start(live: Live, clock: RwSignal<u64>, outbox: Outbox) {
        let ticker =
            set_interval_with_handle(move || tick(live, clock), Duration::from_millis(250));
        let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if !document().hidden() {
                live.unread.set(0);
            }
        });
        on_cleanup(move || {
            if let Ok(ticker) = ticker {
                ticker.clear();
            }
            visible.remove();
            // Dropping the sender ends the connection.
            outbox.sender.set_value(None);
        });
        leptos::task::spawn_local(async move {
            if live.you.get_untracked().is_none() {
                let room_id = live.room_id.get_value().to_string();
                match join_room(room_id, current_name()).await {
                    Ok(joined) => live.you.set(Some(joined.you)),
                    Err(
                        err @ (crate::error::ApiError::Network { .. }
                        | crate::error::ApiError::Unavailable),
                    ) => {
                        live.link.set(LinkStatus::Offline);
                        live.notice.set(Some(err.to_string()));
                        return;
                    }
                    Err(err) => {
                        live.leave_to.set(Some(err.home_query().to_owned()));
                        return;
                    }
                }
            }
            outbox.sender.set_value(Some(socket::connect(live)));
        });
    }

    fn tick(live: Live, clock: RwSignal<u64>) {
        let local = now_ms();
        let now = live.server_now(local);
        clock.set(now);
        if live.log.with_untracked(|log| log.has_overdue(local)) {
            live.log.update(|log| {
                log.fail_overdue(local);
            });
        }
        // The deadline is never extended: if the server's word is late (offline), the room is
        // over all the same.
        let grace = 3_000;
        if now > live.expires_at + grace && live.link.get_untracked() != LinkStatus::Connected {
            live.leave_to.set(Some("/?expired=1".into()));
        }
    }
}
