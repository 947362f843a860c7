//! The one executor of an open room's effects, in the browser. Everything that happens to the
//! room — a button, a frame from the server, a tick of the clock, an answer from the server —
//! goes in as a [`Change`] through [`Executor::dispatch`]; the reducer ([`Live::dispatch`])
//! changes the signals and returns the [`Effect`]s the change asks for (seal, open, send,
//! fetch), which this runs. What an effect learns comes back as another change. It alone holds
//! what only this device has: the room key (read from the link's fragment, stretched with the
//! passphrase in a room that has one) and the connection. The server renders the page
//! without any of it.

#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "hydrate")]
pub use browser::Executor;
#[cfg(not(feature = "hydrate"))]
pub use server_side::Executor;

#[cfg(not(feature = "hydrate"))]
mod server_side {
    use crate::room::live::{Change, Live};

    /// Rendering on the server: no key, no connection; a change only changes the signals.
    #[derive(Clone, Copy)]
    pub struct Executor {
        live: Live,
    }

    impl Executor {
        pub fn new(live: Live) -> Self {
            Executor { live }
        }

        pub fn live(self) -> Live {
            self.live
        }

        pub fn start(self) {}

        pub fn dispatch(self, change: Change) {
            let _ = self.live.dispatch(change);
        }

        pub fn write(self, _text: String) {}
    }
}
