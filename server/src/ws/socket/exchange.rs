//! A socket frame by frame: its welcome (with the history the client is missing), then live
//! events and the client's sends, with the rate limit and the typing throttle. The loop only
//! moves frames: what waits on the store, presence or the broker runs beside it
//! ([`Jobs`]) and comes back as an outcome.

mod incoming;

use super::jobs::{Done, Job, Jobs, MAX_PENDING};
use super::order::{Offered, Order};
use super::{Exit, Out, Socket, WsIn, WsOut};
use crate::event::{Announcement, Delivery, RoomEvent};
use crate::hub::Place;
use app::model::{ChatMessage, EndReason, History, Seat, now_ms};
use app::protocol::{CloseCode, ErrorCode, ServerFrame};
use app::store::{Posted, StoreError};
use futures::future::BoxFuture;
use futures::{Sink, Stream, StreamExt};
use incoming::{bad_frame, error};
use std::sync::Arc;
use std::time::Instant;

pub(super) struct Exchange<'a> {
    socket: &'a Socket,
    /// This seat's key in the message rate limiter.
    limit_key: String,
    /// What is sent when: held events, sequence numbers sent.
    order: Order,
    /// Refused frames in a row.
    strikes: u32,
    last_typing: Option<Instant>,
    work: Jobs,
}

impl<'a> Exchange<'a> {
    pub(super) fn new(socket: &'a Socket) -> Self {
        let limit_key = format!("{}:{}", socket.room, socket.seat.id);
        Exchange {
            socket,
            limit_key,
            order: Order::default(),
            strikes: 0,
            last_typing: None,
            work: Jobs::default(),
        }
    }

    /// Runs the socket: its welcome first (once `online`, the presence call, and the history
    /// read are done), then everything else.
    pub(super) async fn serve<S, R>(
        &mut self,
        out: &mut Out<S>,
        stream: &mut R,
        place: &mut Place,
        online: BoxFuture<'static, Vec<Seat>>,
    ) -> Exit
    where
        S: Sink<WsOut> + Unpin,
        R: Stream<Item = WsIn> + Unpin,
    {
        self.queue(Job::Welcome { online });
        let services = &self.socket.services;
        let timing = services.timing;
        // A token of this socket's own, made once: waiting on the instance-wide token each turn
        // would take its lock, shared by every socket, several times a turn.
        let stopping = services.tasks.stopping().child_token();
        let stopped = stopping.cancelled();
        tokio::pin!(stopped);
        let mut ping = tokio::time::interval(timing.ping_every);
        ping.tick().await;
        let mut last_seen = Instant::now();
        // What each step does is boxed while it runs: an idle socket holds only this loop's
        // small state, not room for the largest thing it might do (memory per idle socket).
        loop {
            // Biased: what the room sends goes out before more is read from the client, so a
            // client that floods the room waits for its own acknowledgements instead of
            // overflowing its queue. The client waits while its jobs pile up.
            let reading = self.work.pending() < MAX_PENDING;
            let step = tokio::select! {
                biased;
                code = &mut place.kicked => Err(Exit::Closed(code.unwrap_or(CloseCode::SlowConsumer))),
                () = &mut stopped => Err(Exit::Closed(CloseCode::Restarting)),
                done = self.work.done(self.socket) => Box::pin(self.finish(out, done)).await,
                delivery = place.events.recv() => match delivery {
                    Some(Delivery::Event(event)) => Box::pin(self.offer(out, event)).await,
                    Some(Delivery::Reconnect(_)) => Err(Exit::Closed(CloseCode::Restarting)),
                    Some(Delivery::Resync) => {
                        self.queue(Job::CatchUp { after: self.order.last_sent() });
                        Ok(())
                    }
                    None => Err(Exit::Closed(CloseCode::Restarting)),
                },
                incoming = stream.next(), if reading => {
                    last_seen = Instant::now();
                    match incoming {
                        Some(WsIn::Text(text)) => Box::pin(self.receive(out, &text)).await,
                        Some(WsIn::Binary) => Box::pin(self.refuse(out, bad_frame("Burner speaks JSON text frames."))).await,
                        Some(WsIn::Alive) => Ok(()),
                        Some(WsIn::TooBig) => Err(Exit::Closed(CloseCode::TooBig)),
                        Some(WsIn::Close) | None => Err(Exit::ClientLeft),
                    }
                }
                _ = ping.tick() => {
                    if last_seen.elapsed() > timing.idle_timeout {
                        Err(Exit::Idle)
                    } else {
                        Box::pin(out.raw(WsOut::Ping)).await
                    }
                }
            };
            if let Err(exit) = step {
                return exit;
            }
        }
    }

    /// A live event: sent now, or held while a history read runs (it sends what came first).
    async fn offer<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        event: Arc<Announcement>,
    ) -> Result<(), Exit> {
        match self.order.offer(event) {
            Offered::Send(event) => self.forward(out, &event).await,
            Offered::Held => Ok(()),
            Offered::TooFarBehind => Err(Exit::Closed(CloseCode::SlowConsumer)),
        }
    }

    /// Queues a job beside the loop, telling the order when it reads history.
    fn queue(&mut self, job: Job) {
        let reads_history = matches!(job, Job::Welcome { .. } | Job::CatchUp { .. });
        if self.work.push(self.socket, job) && reads_history {
            self.order.reading();
        }
    }

    /// Sends `welcome` and whatever history the client is missing.
    async fn welcome<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        online: Vec<Seat>,
        history: History,
    ) -> Result<(), Exit> {
        let s = self.socket;
        // Covered when the oldest message kept is right after what the client has.
        let recovered = history.messages.first().is_none_or(|m| m.seq <= s.since + 1);
        let peers = online.into_iter().filter(|seat| seat.id != s.seat.id).collect();
        out.send(ServerFrame::Welcome {
            you: s.seat.clone(),
            seq: history.seq,
            expires_at: s.expires_at,
            now: now_ms(),
            peers,
            recovered,
            locked: s.locked,
        })
        .await?;
        if recovered {
            let catch_up = async {
                for message in history.messages {
                    out.send(ServerFrame::Message(message)).await?;
                }
                Ok(())
            };
            match tokio::time::timeout(s.services.timing.catch_up_within, catch_up).await {
                Ok(sent) => sent?,
                Err(_) => return Err(Exit::Closed(CloseCode::SlowConsumer)),
            }
        }
        Ok(())
    }

    /// Forwards one room event to this client, as the frame encoded once for every socket.
    async fn forward<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        announced: &Announcement,
    ) -> Result<(), Exit> {
        let seat = &self.socket.seat;
        let frame = || announced.frame().cloned().map(WsOut::Text);
        match &announced.event {
            RoomEvent::Message(message) => {
                if !self.order.first_time(message.seq) {
                    return Ok(());
                }
                if let Some(frame) = frame() {
                    out.raw(frame).await?;
                }
                let latency = now_ms().saturating_sub(message.ts) as f64 / 1000.0;
                metrics::histogram!(crate::metrics::DELIVERY_SECONDS).record(latency);
                Ok(())
            }
            // A socket's own seat joining is no news to it (its page took the seat).
            RoomEvent::SeatJoined(joined) if joined.id == seat.id => Ok(()),
            RoomEvent::Presence(_) | RoomEvent::SeatJoined(_) => match frame() {
                Some(frame) => out.raw(frame).await,
                None => Ok(()),
            },
            RoomEvent::Typing(sender) if sender.id != seat.id => match frame() {
                Some(frame) => out.raw(frame).await,
                None => Ok(()),
            },
            RoomEvent::Typing(_) => Ok(()),
            RoomEvent::Ended(reason) => Err(out.end(*reason).await),
            RoomEvent::SeatLeft(left) if left.id == seat.id => Err(Exit::Closed(CloseCode::NoSeat)),
            RoomEvent::SeatRemoved(removed) if removed.id == seat.id => {
                Err(Exit::Closed(CloseCode::Removed))
            }
            RoomEvent::SeatLeft(_) | RoomEvent::SeatRemoved(_) | RoomEvent::Locked(_) => {
                match frame() {
                    Some(frame) => out.raw(frame).await,
                    None => Ok(()),
                }
            }
        }
    }

    /// Acts on the outcome of a job that ran beside the loop; after the last history read,
    /// sends the live events held meanwhile.
    async fn finish<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        done: Done,
    ) -> Result<(), Exit> {
        match &done {
            Done::Welcome { history, .. } => {
                self.order.read(Some(history.as_ref().map_or(0, |h| h.seq)));
            }
            Done::CaughtUp(_) => self.order.read(None),
            Done::Posted(_) | Done::Typed => {}
        }
        self.outcome(out, done).await?;
        // Events are held only while a history read runs: none left to read, none left held.
        while let Some(event) = self.order.release() {
            self.forward(out, &event).await?;
        }
        Ok(())
    }

    async fn outcome<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        done: Done,
    ) -> Result<(), Exit> {
        match done {
            Done::Welcome { online, history: Ok(history) } => {
                self.welcome(out, online, history).await
            }
            // A resend. Its stored copy is already on this socket (sent as history or live),
            // or on its way here in order (it was published when it was stored): either way,
            // nothing to send now, or it could pass messages queued before it.
            Done::Posted(Ok(Posted::Duplicate(_))) => Ok(()),
            // The stored copy comes back through the hub, in order, as the acknowledgement.
            Done::Posted(Ok(Posted::Stored { .. })) => {
                metrics::counter!(crate::metrics::MESSAGES_STORED).increment(1);
                Ok(())
            }
            Done::CaughtUp(Ok(history)) => {
                for message in history.messages {
                    self.send_message(out, message).await?;
                }
                Ok(())
            }
            Done::Welcome { history: Err(err), .. }
            | Done::Posted(Err(err))
            | Done::CaughtUp(Err(err)) => Err(self.store_failed(out, err).await),
            Done::Typed => Ok(()),
        }
    }

    /// Sends a message unless this socket already has it.
    async fn send_message<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        message: ChatMessage,
    ) -> Result<(), Exit> {
        if !self.order.first_time(message.seq) {
            return Ok(());
        }
        out.send(ServerFrame::Message(message)).await
    }

    /// Turns a store failure into what the client is told (the close is sent by `run`).
    async fn store_failed<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        err: StoreError,
    ) -> Exit {
        match err {
            StoreError::Gone => {
                let expired = now_ms() >= self.socket.expires_at;
                out.end(if expired { EndReason::Expired } else { EndReason::Destroyed }).await
            }
            StoreError::NotSeated
            | StoreError::Full
            | StoreError::SeatIdTaken
            | StoreError::Locked => Exit::Closed(CloseCode::NoSeat),
            StoreError::Removed => Exit::Closed(CloseCode::Removed),
            // Only creating a room answers this; a socket never creates one.
            StoreError::TooManyRooms { .. } | StoreError::AtCapacity | StoreError::Backend(_) => {
                tracing::warn!(%err, "store failed during a socket");
                let notice =
                    error(ErrorCode::Unavailable, "Burner could not store that; it will retry.");
                match out.send(notice).await {
                    Ok(()) => Exit::Closed(CloseCode::Restarting),
                    Err(exit) => exit,
                }
            }
        }
    }
}
