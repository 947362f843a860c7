//! A socket's store and broker calls, run beside its loop: the loop queues a job and goes on
//! moving frames; jobs run one at a time, in the order they were queued, and each outcome comes
//! back to the loop. However long Redis takes, the socket's hub queue keeps being drained.

use super::Socket;
use crate::event::RoomEvent;
use app::model::History;
use app::store::{Posted, StoreError};
use futures::FutureExt;
use futures::future::BoxFuture;
use std::collections::VecDeque;

/// Jobs queued or running before the loop stops reading the client (its sends then wait in
/// the client's and the kernel's buffers: backpressure, not memory here).
pub(super) const MAX_PENDING: usize = 32;

pub(super) enum Job {
    /// Store a message from this socket's seat.
    Post { client_id: String, body: String },
    /// Read what was stored after `after` (events may have been missed).
    CatchUp { after: u64 },
    /// Tell the others this seat is typing.
    Typing,
}

pub(super) enum Done {
    Posted(Result<Posted, StoreError>),
    CaughtUp(Result<History, StoreError>),
    Typed,
}

#[derive(Default)]
pub(super) struct StoreWork {
    queued: VecDeque<Job>,
    running: Option<BoxFuture<'static, Done>>,
    /// Whether a catch-up is queued or running: live messages wait until it is done.
    catching_up: bool,
}

impl StoreWork {
    /// Jobs queued or running.
    pub(super) fn pending(&self) -> usize {
        self.queued.len() + usize::from(self.running.is_some())
    }

    pub(super) fn catching_up(&self) -> bool {
        self.catching_up
    }

    /// Queues `job`, starting it at once if nothing runs.
    pub(super) fn push(&mut self, socket: &Socket, job: Job) {
        self.catching_up |= matches!(job, Job::CatchUp { .. });
        if self.running.is_none() {
            self.running = Some(start(socket, job));
        } else {
            self.queued.push_back(job);
        }
    }

    /// The outcome of the running job, once it has one; the next job then starts. Pending for
    /// as long as nothing runs. Cancel-safe: the running job is kept, not dropped.
    pub(super) async fn done(&mut self, socket: &Socket) -> Done {
        let Some(running) = self.running.as_mut() else {
            return std::future::pending().await;
        };
        let done = running.await;
        if matches!(done, Done::CaughtUp(_)) {
            self.catching_up = self.queued.iter().any(|job| matches!(job, Job::CatchUp { .. }));
        }
        self.running = self.queued.pop_front().map(|job| start(socket, job));
        done
    }
}

/// The call a job makes, owning what it needs.
fn start(socket: &Socket, job: Job) -> BoxFuture<'static, Done> {
    let services = &socket.services;
    let room = socket.room.clone();
    match job {
        Job::Post { client_id, body } => {
            let (store, token) = (services.store.clone(), socket.token.clone());
            async move { Done::Posted(store.post(&room, &token, &client_id, &body).await) }.boxed()
        }
        Job::CatchUp { after } => {
            let store = services.store.clone();
            async move { Done::CaughtUp(store.history(&room, after).await) }.boxed()
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
