//! What the subscriber last knew of its pub/sub path, for `/readyz`.

use app::model::now_ms;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How long the path may stay broken before the instance is unready and its sockets are sent
/// elsewhere.
pub(super) const BROKEN_AFTER: Duration = Duration::from_secs(5);
/// A link not heard from for this long is not ready (see [`Liveness::ready`]).
const SILENT_FOR_MS: u64 = 10_000;

/// What the subscriber last knew of its path, for readiness.
#[derive(Default)]
pub struct Liveness {
    pub(super) connected: AtomicBool,
    /// The path has been broken for longer than [`BROKEN_AFTER`].
    pub(super) broken: AtomicBool,
    /// When a probe last came back, Unix ms.
    heard_at: AtomicU64,
}

impl Liveness {
    pub(super) fn heard(&self) {
        self.connected.store(true, Ordering::Relaxed);
        self.broken.store(false, Ordering::Relaxed);
        self.heard_at.store(now_ms(), Ordering::Relaxed);
    }

    /// Whether the path works; `Err` says what is wrong.
    pub fn ready(&self) -> Result<(), String> {
        if self.broken.load(Ordering::Relaxed) {
            return Err(format!(
                "pub/sub: no working subscription for over {} s",
                BROKEN_AFTER.as_secs()
            ));
        }
        if !self.connected.load(Ordering::Relaxed) {
            return Err("pub/sub: not connected to Redis".into());
        }
        let silent = now_ms().saturating_sub(self.heard_at.load(Ordering::Relaxed));
        if silent > SILENT_FOR_MS {
            return Err(format!("pub/sub: Redis silent for {} s", silent / 1000));
        }
        Ok(())
    }
}
