//! An open room: the frame the server renders (header, countdown), then — once the browser has
//! read the key from the link — the join panel, the conversation, or why neither can be shown.

use super::RoomSnapshot;
use super::composer::Composer;
use super::executor::Executor;
use super::header::RoomHeader;
use super::join::{JoinPanel, KeyProblem};
use super::live::{Change, KeyState, Live};
use super::message_list::MessageList;
use super::presence::PresenceBar;
use super::unlock::UnlockPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

const ROOM_TITLE: &str = "Burner · private room";

/// What the body of the room page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    Join,
    Chat,
    NoKey(KeyState),
    /// The room needs its passphrase.
    Unlock,
}

#[component]
pub fn ChatRoom(room: RoomSnapshot) -> impl IntoView {
    let live = Live::new(&room);
    let hydrated = RwSignal::new(false);
    let executor = Executor::new(live);

    let navigate = use_navigate();
    Effect::new(move |_| {
        // The executor has ended the connection and forgotten what goes with the room.
        if let Some(to) = live.leave_to.get() {
            navigate(&to, Default::default());
        }
    });
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        super::forget_ended_links();
        hydrated.set(true);
        executor.start();
    });

    // What the visitor does goes in as a change, like everything else.
    let on_unlock = Callback::new(move |passphrase| {
        executor.dispatch(Change::UnlockPressed { passphrase });
    });
    let on_join = Callback::new(move |name| executor.dispatch(Change::JoinPressed { name }));
    let on_unlock_room = Callback::new(move |()| executor.dispatch(Change::LockPressed(false)));
    let on_send = Callback::new(move |text: String| executor.write(text));
    let on_retry = Callback::new(move |client_id| {
        executor.dispatch(Change::RetryPressed { client_id, now: crate::model::now_ms() });
    });
    let on_typing = Callback::new(move |()| executor.dispatch(Change::Typing));
    let on_older = Callback::new(move |()| executor.dispatch(Change::OlderWanted));

    // The unread count goes into the tab title in the browser only: a reactive <Title> would be
    // read outside the reactive owner during server rendering.
    Effect::new(move |_| {
        let title = match live.unread.get() {
            0 => ROOM_TITLE.to_owned(),
            n => format!("({n}) {ROOM_TITLE}"),
        };
        document().set_title(&title);
    });
    // Changes only when the body changes (not when the key is found), so nothing is rebuilt.
    let body = Memo::new(move |_| match (live.key.get(), live.you.with(Option::is_some)) {
        (state @ (KeyState::Missing | KeyState::Wrong), _) => Body::NoKey(state),
        (state, _) if state.locked() => Body::Unlock,
        (_, false) => Body::Join,
        (_, true) => Body::Chat,
    });
    view! {
        <Title text=ROOM_TITLE />
        <main
            class="h-dvh flex flex-col overflow-hidden"
            data-hydrated=move || hydrated.get().to_string()
        >
            <RoomHeader executor hydrated />
            {move || match body.get() {
                Body::NoKey(state) => view! { <KeyProblem state /> }.into_any(),
                Body::Unlock => view! { <UnlockPanel live on_unlock /> }.into_any(),
                Body::Join => view! { <JoinPanel live on_join on_unlock_room /> }.into_any(),
                Body::Chat => {
                    view! {
                        <PresenceBar executor hydrated />
                        <MessageList live on_retry on_older hydrated />
                        <Composer live on_send on_typing />
                    }
                        .into_any()
                }
            }}
        </main>
    }
}
