//! A socket's store and broker calls, run beside its loop: the loop queues a job and goes on
//! moving frames; jobs run one at a time, in the order they were queued, and each outcome comes
//! back to the loop. However long Redis takes, the socket's hub queue keeps being drained.

use super::Socket;
use crate::event::RoomEvent;
use app::model::{History, Seat};
use app::store::{Posted, StoreError, Window};
use futures::FutureExt;
use futures::future::BoxFuture;
use std::collections::VecDeque;
use std::time::Duration;

/// Jobs queued or running before the loop stops reading the client (its sends then wait in
/// the client's and the kernel's buffers: backpressure, not memory here).
pub(super) const MAX_PENDING: usize = 32;

pub(super) enum Job {
    /// Record this socket in presence (the call, made by the roster) and read the history the
    /// client is missing, for its welcome.
    Welcome { online: BoxFuture<'static, Vec<Seat>> },
    /// Store a message from this socket's seat.
    Post { client_id: String, body: String },
    /// Read what was stored after `after` (events may have been missed).
    CatchUp { after: u64 },
    /// Tell the others this seat is typing.
    Typing,
}

pub(super) enum Done {
    Welcome { online: Vec<Seat>, history: Result<History, StoreError> },
    Posted(Result<Posted, StoreError>),
    CaughtUp(Result<History, StoreError>),
    Typed,
}

#[derive(Default)]
pub(super) struct Jobs {
    queued: VecDeque<Job>,
    running: Option<BoxFuture<'static, Done>>,
}

impl Jobs {
    /// Jobs queued or running.
    pub(super) fn pending(&self) -> usize {
        self.queued.len() + usize::from(self.running.is_some())
    }

    /// Queues `job`, starting it at once if nothing runs; false when it was not queued: a
    /// catch-up is not queued twice (one that has not started yet will read everything stored
    /// until it does).
    pub(super) fn push(&mut self, socket: &Socket, job: Job) -> bool {
        if matches!(job, Job::CatchUp { .. })
            && self.queued.iter().any(|queued| matches!(queued, Job::CatchUp { .. }))
        {
            return false;
        }
        if self.running.is_none() {
            self.running = Some(start(socket, job));
        } else {
            self.queued.push_back(job);
        }
        true
    }

    /// The outcome of the running job, once it has one; the next job then starts. Pending for
    /// as long as nothing runs. Cancel-safe: the running job is kept, not dropped.
    pub(super) async fn done(&mut self, socket: &Socket) -> Done {
        let Some(running) = self.running.as_mut() else {
            return std::future::pending().await;
        };
        let done = running.await;
        self.running = self.queued.pop_front().map(|job| start(socket, job));
        done
    }
}

/// The call a job makes, owning what it needs.
fn start(socket: &Socket, job: Job) -> BoxFuture<'static, Done> {
    let services = &socket.services;
    let room = socket.room.clone();
    let patience = services.timing.store_patience;
    match job {
        Job::Welcome { online } => {
            let (store, since) = (services.store.clone(), socket.since);
            async move {
                // One page at most: a client further behind is told `recovered: false` and
                // reloads the newest page itself.
                let page = patiently(patience, || store.history_page(&room, Window::newest(since)));
                let (online, history) = futures::join!(online, page);
                Done::Welcome { online, history }
            }
            .boxed()
        }
        Job::Post { client_id, body } => {
            let (store, token, seat) =
                (services.store.clone(), socket.token.clone(), socket.seat.clone());
            // Safe to repeat: the store keeps one message per client id (a post that went
            // through before its answer was lost is answered as a duplicate).
            async move {
                let post = || store.post(&room, &token, &seat, &client_id, &body);
                Done::Posted(patiently(patience, post).await)
            }
            .boxed()
        }
        // Shared with this instance's other sockets of the room.
        Job::CatchUp { after } => {
            services.catch_ups.after(&room, after).map(Done::CaughtUp).boxed()
        }
        Job::Typing => {
            let published = services.broker.publish(&room, RoomEvent::Typing(socket.seat.clone()));
            async move {
                if let Err(err) = published.await {
                    tracing::debug!(%err, "typing hint not sent");
                }
                Done::Typed
            }
            .boxed()
        }
    }
}

/// Runs `call` until it succeeds, fails for a reason other than the backend, or `patience` has
/// passed: a backend failure (a timeout, a lost connection) is tried again after a pause that
/// grows from 100 ms to a second, with a random part so sockets that failed together do not
/// come back together.
pub(super) async fn patiently<T, F, Fut>(patience: Duration, call: F) -> Result<T, StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        match call().await {
            Err(StoreError::Backend(detail)) if started.elapsed() + pause < patience => {
                tracing::debug!(%detail, "the store failed; trying again");
                let jitter = Duration::from_millis(u64::from(now_nanos() % 100));
                tokio::time::sleep(pause + jitter).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            outcome => return outcome,
        }
    }
}

/// A source of jitter: the clock's nanoseconds.
fn now_nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos())
}
