//! Stopping cleanly: a signal every session watches (they close with 1012 so browsers
//! reconnect elsewhere), and a count of open sessions to wait for.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// Open WebSocket sessions of this instance.
#[derive(Clone, Default)]
pub struct Sessions {
    inner: Arc<(AtomicUsize, Notify)>,
}

/// Held for as long as a session runs.
pub struct Active(Sessions);

impl Sessions {
    pub fn enter(&self) -> Active {
        self.inner.0.fetch_add(1, Ordering::SeqCst);
        metrics::gauge!(crate::metrics::SOCKETS_OPEN).increment(1.0);
        Active(self.clone())
    }

    pub fn open(&self) -> usize {
        self.inner.0.load(Ordering::SeqCst)
    }

    /// Waits until no session is open, or `limit` has passed.
    pub async fn drained(&self, limit: Duration) {
        let _ = tokio::time::timeout(limit, async {
            while self.open() > 0 {
                self.inner.1.notified().await;
            }
        })
        .await;
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.0.inner.0.fetch_sub(1, Ordering::SeqCst);
        metrics::gauge!(crate::metrics::SOCKETS_OPEN).decrement(1.0);
        self.0.inner.1.notify_waiters();
    }
}

/// Tells sessions to close; cloneable, and safe to fire more than once.
#[derive(Clone)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
}

impl Shutdown {
    pub fn new() -> (Self, watch::Receiver<bool>) {
        let (sender, receiver) = watch::channel(false);
        (Shutdown { sender: Arc::new(sender) }, receiver)
    }

    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// Resolves once triggered.
    pub async fn triggered(&self) {
        let mut receiver = self.sender.subscribe();
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }
}

/// A future that resolves on Ctrl-C or SIGTERM; an error if they cannot be listened for.
#[cfg(unix)]
pub fn signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future that resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}
