//! The home page: an anonymous identity, a lifetime, and "Create secure room".

mod banner;
mod create;
mod early_input;
mod name_field;
mod passphrase_field;
mod room_options;

use crate::error::ApiError;
use crate::model::{Destroyers, RoomId, clean_username};
use crate::names::anonymous_name;
use banner::Banner;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::hooks::use_navigate;
use name_field::NameField;
use passphrase_field::{PassphraseChoice, PassphraseField};
use room_options::RoomOptionsPicker;
pub use room_options::lifetime_label;
use serde::{Deserialize, Serialize};

/// What the visitor chose for a new room (`None`: the server's default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub ttl_secs: Option<u64>,
    pub seats: Option<u64>,
    pub destroyers: Destroyers,
    /// Disappearing messages: seconds each message lives (`None`: off).
    pub message_timer_secs: Option<u64>,
}

/// A room just created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedRoom {
    pub room_id: RoomId,
    pub expires_at: u64,
}

/// Creates a room that lives `ttl_secs` (one of the offered lifetimes; 10 minutes when
/// absent) with `capacity` seats (one of the offered counts; 2 when absent), bound to the link
/// whose membership secret has this `verifier` ([`crate::membership`]), that `destroy` says who
/// may destroy (anyone in it when absent; `creator`: the first seat only), and whose messages
/// disappear `message_timer_secs` after they are sent (one of the offered timers; never when
/// absent). Rate-limited per client address.
#[server(prefix = "/api", endpoint = "create_room", input = Json)]
pub async fn create_room(
    ttl_secs: Option<u64>,
    capacity: Option<u32>,
    verifier: String,
    destroy: Option<crate::model::Destroyers>,
    message_timer_secs: Option<u64>,
) -> Result<CreatedRoom, ApiError> {
    let destroy = destroy.unwrap_or_default();
    ssr::create_room(ttl_secs, capacity, verifier, destroy, message_timer_secs).await
}

/// What a new room may be, as this server offers it, and what it picks when nothing is asked
/// for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedOptions {
    pub lifetimes_secs: Vec<u64>,
    pub default_lifetime_secs: u64,
    pub capacities: Vec<u8>,
    pub default_capacity: u8,
    /// Disappearing messages: the timers offered (off by default).
    pub message_timers_secs: Vec<u64>,
}

/// What a new room may be: the lifetimes and seat counts the operator allows
/// (`rooms.lifetimes-secs`, `rooms.capacities`).
#[server(prefix = "/api", endpoint = "room_options", input = Json)]
pub async fn room_options() -> Result<OfferedOptions, ApiError> {
    offered_options()
}

/// [`room_options`] without waiting: the home page renders them with nothing to await.
#[cfg(feature = "ssr")]
fn offered_options() -> Result<OfferedOptions, ApiError> {
    let state = crate::server_context::server_state()?;
    crate::server_context::pass(&state.rate_limits.views, &state.reach)?;
    let rules = state.rules;
    Ok(OfferedOptions {
        lifetimes_secs: rules.lifetimes_secs.clone(),
        default_lifetime_secs: rules.default_lifetime_secs,
        capacities: rules.capacities.clone(),
        default_capacity: rules.default_capacity,
        message_timers_secs: rules.message_timers_secs.clone(),
    })
}

#[component]
pub fn HomePage() -> impl IntoView {
    // The server picks a name so the page is complete before the WASM loads; the browser then
    // prefers the name it remembers.
    let server_name = SharedValue::new(anonymous_name).into_inner();
    // A name typed before the page woke up is kept, and wins over the remembered one. A valid
    // one is the signal's first value: hydration writes it back, under the help the server
    // rendered. An invalid one is set just after, so the help changes to say why (hydration
    // leaves text and attributes as the server rendered them).
    let typed_early = early_input::typed("username").filter(|typed| *typed != server_name);
    let name_typed = typed_early.is_some();
    let (first_name, invalid_early) = match typed_early {
        Some(typed) if clean_username(&typed).is_ok() => (typed, None),
        typed => (server_name, typed),
    };
    let name = RwSignal::new(first_name);
    // Whether this device remembers the name: the visitor's choice, off until they make it.
    let remember = RwSignal::new(early_input::ticked("remember-name").unwrap_or(false));
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(stored) = crate::remembered_name::stored_name() {
            if !name_typed {
                name.set(stored);
            }
            remember.set(true);
        }
        if let Some(typed) = invalid_early.clone() {
            name.set(typed);
        }
        // "Remember" ticked early keeps the name at once, as a tick on the live page does.
        if remember.get_untracked()
            && let Ok(clean) = clean_username(&name.get_untracked())
        {
            crate::remembered_name::store_name(clean);
        }
        forget_room_key();
        #[cfg(feature = "hydrate")]
        crate::room::forget_ended_links();
        #[cfg(feature = "hydrate")]
        crate::crypto::forget_handed_over();
        hydrated.set(true);
    });

    // None until the visitor picks one (before the page woke up, or since): the server's
    // default then.
    let lifetime = RwSignal::new(early_input::picked("lifetime"));
    let capacity = RwSignal::new(early_input::picked("seats"));
    let destroy = RwSignal::new(early_input::picked("destroy"));
    let timer = RwSignal::new(early_input::picked("timer"));
    // Typed here, turned into keys in this browser, and never sent or stored.
    let passphrase = PassphraseChoice::new();
    let passphrase_early = early_input::picked("passphrase");
    Effect::new(move |_| {
        if let Some(asked) = passphrase_early {
            passphrase.picked_early(asked);
        }
    });
    let create =
        Action::new_unsync(move |(choice, name, passphrase): &(Choice, String, Option<String>)| {
            create::create_and_enter(*choice, name.clone(), passphrase.clone())
        });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(link)) = create.value().get() {
            navigate(&link, Default::default());
        }
    });

    let name_ok = move || clean_username(&name.read()).is_ok();
    let chosen_passphrase = move || passphrase.chosen();
    let busy = move || create.pending().get() || matches!(create.value().get(), Some(Ok(_)));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = name.get_untracked();
        if let (Ok(clean), Ok(secret), false) =
            (clean_username(&chosen), chosen_passphrase(), busy())
        {
            if remember.get_untracked() {
                crate::remembered_name::store_name(clean);
            }
            let destroyers = match destroy.get_untracked() {
                Some(room_options::ONLY_ME_DESTROYS) => Destroyers::Creator,
                _ => Destroyers::Anyone,
            };
            let choice = Choice {
                ttl_secs: lifetime.get_untracked(),
                seats: capacity.get_untracked(),
                destroyers,
                // 0 is "Off".
                message_timer_secs: timer.get_untracked().filter(|secs| *secs > 0),
            };
            create.dispatch((choice, clean.to_owned(), secret));
        }
    };
    let failure = move || match create.value().get() {
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    };

    view! {
        <main
            class="min-h-dvh flex items-center justify-center px-4 py-10 safe-area"
            data-hydrated=move || hydrated.get().to_string()
        >
            <div class="w-full max-w-md space-y-8">
                <Banner />
                <header class="space-y-2 text-center">
                    <h1 class="text-2xl font-bold tracking-tight text-accent">">private_chat"</h1>
                    <p class="text-muted text-sm">
                        "A private, self-destructing chat room. No accounts, no logs."
                    </p>
                </header>
                // `method="dialog"`: outside a dialog, a submitted form goes nowhere, so the name
                // never reaches the server in a query string, hydrated or not.
                <form
                    method="dialog"
                    class="border border-line bg-panel p-6 space-y-6"
                    on:submit=on_submit
                    aria-label="Create a room"
                >
                    <NameField name remember />
                    <RoomOptionsPicker lifetime capacity destroy timer />
                    <PassphraseField choice=passphrase />
                    <button
                        type="submit"
                        class="w-full bg-ink text-canvas p-3 text-sm font-bold uppercase tracking-wide \
                               hover:opacity-90 disabled:opacity-50 disabled:cursor-not-allowed \
                               cursor-pointer"
                        // An attribute, so the server renders it: before the page is live the
                        // button is disabled (and the form goes nowhere anyway).
                        disabled=move || {
                            !hydrated.get() || !name_ok() || chosen_passphrase().is_err() || busy()
                        }
                    >
                        {move || if busy() { "Creating…" } else { "Create secure room" }}
                    </button>
                    <Show when=move || failure().is_some()>
                        <p role="alert" class="text-danger text-sm">{failure}</p>
                    </Show>
                </form>
                <p class="text-faint text-xs text-center">
                    "A room and every message in it are gone for good when its timer runs out, \
                     or when it is destroyed."
                </p>
            </div>
        </main>
    }
}

/// A visitor sent here from a room (full, ended) by the page keeps the room link's fragment in
/// the address bar: the room key, which has no business on the home page. (The server's
/// redirect ends with an empty fragment instead, which goes too.)
fn forget_room_key() {
    #[cfg(feature = "hydrate")]
    if let (Ok(hash), Ok(href)) = (window().location().hash(), window().location().href())
        && (hash.starts_with("#k=") || href.ends_with('#'))
        && let (Ok(path), Ok(query), Ok(history)) =
            (window().location().pathname(), window().location().search(), window().history())
    {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}")),
        );
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::CreatedRoom;
    use crate::error::ApiError;
    use crate::server_context::{RoomRules, pass, server_state, store_error};
    use crate::store::Creator;
    use garde::Validate;
    use std::time::Duration;

    #[derive(Validate)]
    #[garde(context(RoomRules))]
    struct NewRoom {
        #[garde(custom(offered_lifetime))]
        ttl_secs: u64,
        #[garde(custom(offered_capacity))]
        capacity: u32,
        #[garde(custom(membership_verifier))]
        verifier: String,
        #[garde(inner(custom(offered_timer)))]
        message_timer_secs: Option<u64>,
    }

    fn offered_timer(secs: &u64, rules: &RoomRules) -> garde::Result {
        if rules.message_timers_secs.contains(secs) {
            return Ok(());
        }
        let offered: Vec<String> = rules.message_timers_secs.iter().map(u64::to_string).collect();
        Err(garde::Error::new(format!("must be one of {} seconds", offered.join(", "))))
    }

    fn membership_verifier(verifier: &str, _: &RoomRules) -> garde::Result {
        if crate::membership::well_formed(verifier) {
            Ok(())
        } else {
            Err(garde::Error::new("must be 32 bytes in base64url (43 characters)"))
        }
    }

    fn offered_lifetime(secs: &u64, rules: &RoomRules) -> garde::Result {
        if rules.lifetimes_secs.contains(secs) {
            return Ok(());
        }
        let offered: Vec<String> = rules.lifetimes_secs.iter().map(u64::to_string).collect();
        Err(garde::Error::new(format!("must be one of {} seconds", offered.join(", "))))
    }

    fn offered_capacity(seats: &u32, rules: &RoomRules) -> garde::Result {
        if rules.capacities.iter().any(|offered| u32::from(*offered) == *seats) {
            return Ok(());
        }
        let offered: Vec<String> = rules.capacities.iter().map(u8::to_string).collect();
        Err(garde::Error::new(format!("must be one of {} seats", offered.join(", "))))
    }

    pub async fn create_room(
        ttl_secs: Option<u64>,
        capacity: Option<u32>,
        verifier: String,
        destroyers: crate::model::Destroyers,
        message_timer_secs: Option<u64>,
    ) -> Result<CreatedRoom, ApiError> {
        let state = server_state()?;
        pass(&state.rate_limits.create, &state.reach)?;
        let request = NewRoom {
            ttl_secs: ttl_secs.unwrap_or(state.rules.default_lifetime_secs),
            capacity: capacity.unwrap_or(u32::from(state.rules.default_capacity)),
            verifier,
            message_timer_secs,
        };
        request.validate_with(&state.rules).map_err(crate::server_context::invalid_input)?;
        let capacity = u8::try_from(request.capacity)
            .map_err(|_| ApiError::invalid("capacity", "is not a seat count"))?;
        let key = crate::server_context::client_key(&state.reach)?.to_string();
        let creator = Creator { key: &key, max_alive: state.rules.rooms_alive_per_address };
        let room = state
            .store
            .create_room(
                Duration::from_secs(request.ttl_secs),
                capacity,
                &request.verifier,
                Some(creator),
                destroyers,
                request.message_timer_secs.map(Duration::from_secs),
            )
            .await
            .map_err(store_error)?;
        tracing::debug!(room = %room.id, ttl = request.ttl_secs, capacity, "room created");
        Ok(CreatedRoom { room_id: room.id, expires_at: room.expires_at })
    }
}
