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

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
