//! Every task this instance starts, and stopping them cleanly: one [`CancellationToken`] that
//! sockets and background loops watch (sockets close with 1012, so browsers reconnect
//! elsewhere), and one [`TaskTracker`] that knows every task, so stopping waits for all of them.

use std::time::Duration;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TrackedFuture;

/// This instance's tasks. Cloning shares them.
#[derive(Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    stop: CancellationToken,
}

impl Tasks {
    /// Runs `task` until it ends or the instance stops (a loop that would run for ever).
    pub fn spawn_until_stopped(
        &self,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> AbortHandle {
        let stop = self.stop.clone();
        self.tracker
            .spawn(async move {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = task => {}
                }
            })
            .abort_handle()
    }

    /// Runs `task` to its end, even while the instance stops (a last write).
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tracker.spawn(task);
    }

    /// `future` (run by someone else, such as a socket run by axum), counted until it ends.
    pub fn track<F: Future>(&self, future: F) -> TrackedFuture<F> {
        self.tracker.track_future(future)
    }

    /// The token every socket and loop watches.
    pub fn stopping(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Tells every socket and loop to stop; safe to call more than once.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Resolves once stopped.
    pub async fn stopped(&self) {
        self.stop.cancelled().await;
    }

    /// Tasks running now.
    pub fn running(&self) -> usize {
        self.tracker.len()
    }

    /// Waits until every task has ended, or `limit` has passed (then says how many are left).
    pub async fn drained(&self, limit: Duration) {
        self.tracker.close();
        if tokio::time::timeout(limit, self.tracker.wait()).await.is_err() {
            tracing::warn!(running = self.running(), "stopping without waiting for every task");
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stopping_ends_loops_and_waits_for_last_writes() {
        let tasks = Tasks::default();
        tasks.spawn_until_stopped(std::future::pending());
        let (done, finished) = tokio::sync::oneshot::channel();
        let stopping = tasks.stopping();
        tasks.spawn(async move {
            stopping.cancelled().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = done.send(());
        });
        assert_eq!(tasks.running(), 2);
        tasks.stop();
        tasks.drained(Duration::from_secs(5)).await;
        assert_eq!(tasks.running(), 0, "every task ended");
        assert!(finished.await.is_ok(), "the last write was not cut short");
    }
}
