//! A socket frame by frame: its welcome (with the history the client is missing), then live
//! events and the client's sends, with the rate limit and the typing throttle. The loop only
//! moves frames: what waits on the store, presence or the broker runs beside it
//! ([`StoreWork`]) and comes back as an outcome.

use super::store_work::{Done, Job, MAX_PENDING, StoreWork};
use super::{Exit, Out, Socket, WsIn, WsOut};
use crate::event::{Announcement, Delivery, RoomEvent};
use crate::hub::Membership;
use app::envelope::{self, MESSAGE_SEALED_MAX};
use app::model::{
    CLIENT_ID_MAX_CHARS, ChatMessage, EndReason, FRAME_MAX_BYTES, History, Seat, now_ms,
};
use app::protocol::{ClientFrame, CloseCode, ErrorCode, ServerFrame};
use app::store::{Posted, StoreError};
use futures::future::BoxFuture;
use futures::{Sink, Stream, StreamExt};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// Refused frames in a row (bad frames, invalid or rate-limited sends) before the socket is
/// closed with 4429.
const STRIKES_BEFORE_CLOSE: u32 = 10;
/// Live events held while a history read runs (as many as the hub queues for a socket); one
/// more and the socket is too far behind: it is closed with 4408.
const HELD_MAX: usize = 256;

pub(super) struct Exchange<'a> {
    socket: &'a Socket,
    /// This seat's key in the message rate limiter.
    limit_key: String,
    /// Whether `welcome` went out.
    welcomed: bool,
    /// The highest sequence number sent on this socket.
    last_sent: u64,
    /// Refused frames in a row.
    strikes: u32,
    last_typing: Option<Instant>,
    work: StoreWork,
    /// Live events that came while a history read ran: they go out after it.
    held: VecDeque<Arc<Announcement>>,
}

impl<'a> Exchange<'a> {
    pub(super) fn new(socket: &'a Socket) -> Self {
        let limit_key = format!("{}:{}", socket.room, socket.seat.id);
        Exchange {
            socket,
            limit_key,
            welcomed: false,
            last_sent: 0,
            strikes: 0,
            last_typing: None,
            work: StoreWork::default(),
            held: VecDeque::new(),
        }
    }

    /// Runs the socket: its welcome first (once `online`, the presence call, and the history
    /// read are done), then everything else.
    pub(super) async fn serve<S, R>(
        &mut self,
        out: &mut Out<S>,
        stream: &mut R,
        membership: &mut Membership,
        online: BoxFuture<'static, Vec<Seat>>,
    ) -> Exit
    where
        S: Sink<WsOut> + Unpin,
        R: Stream<Item = WsIn> + Unpin,
    {
        self.work.push(self.socket, Job::Welcome { online });
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
                code = &mut membership.kicked => Err(Exit::Closed(code.unwrap_or(CloseCode::SlowConsumer))),
                () = &mut stopped => Err(Exit::Closed(CloseCode::Restarting)),
                done = self.work.done(self.socket) => Box::pin(self.finish(out, done)).await,
                delivery = membership.events.recv() => match delivery {
                    Some(Delivery::Event(event)) => Box::pin(self.offer(out, event)).await,
                    Some(Delivery::Reconnect(_)) => Err(Exit::Closed(CloseCode::Restarting)),
                    Some(Delivery::Resync) => {
                        self.work.push(self.socket, Job::CatchUp { after: self.last_sent });
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
        if !self.work.reading_history() {
            return self.forward(out, &event).await;
        }
        if self.held.len() >= HELD_MAX {
            return Err(Exit::Closed(CloseCode::SlowConsumer));
        }
        self.held.push_back(event);
        Ok(())
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
        })
        .await?;
        self.welcomed = true;
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
        self.last_sent = history.seq;
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
                if !self.first_time(message.seq) {
                    return Ok(());
                }
                if let Some(frame) = frame() {
                    out.raw(frame).await?;
                }
                let latency = now_ms().saturating_sub(message.ts) as f64 / 1000.0;
                metrics::histogram!(crate::metrics::DELIVERY_SECONDS).record(latency);
                Ok(())
            }
            RoomEvent::Presence(_) => match frame() {
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
            RoomEvent::SeatLeft(_) => match frame() {
                Some(frame) => out.raw(frame).await,
                None => Ok(()),
            },
        }
    }

    /// Acts on the outcome of a job that ran beside the loop; after the last history read,
    /// sends the live events held meanwhile.
    async fn finish<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        done: Done,
    ) -> Result<(), Exit> {
        self.outcome(out, done).await?;
        // Events are held only while a history read runs: none left to read, none left held.
        if !self.work.reading_history() {
            while let Some(event) = self.held.pop_front() {
                self.forward(out, &event).await?;
            }
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
                    self.deliver(out, message).await?;
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
    async fn deliver<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        message: ChatMessage,
    ) -> Result<(), Exit> {
        if !self.first_time(message.seq) {
            return Ok(());
        }
        out.send(ServerFrame::Message(message)).await
    }

    /// Whether message `seq` is still to be sent on this socket (not already sent as history,
    /// a resend's acknowledgement or a live event), noting it as sent if so.
    fn first_time(&mut self, seq: u64) -> bool {
        let first = seq > self.last_sent;
        self.last_sent = self.last_sent.max(seq);
        first
    }

    /// Handles one text frame from the client.
    async fn receive<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        text: &str,
    ) -> Result<(), Exit> {
        // The transport enforces this too; a socket over another transport must not rely on it.
        if text.len() > FRAME_MAX_BYTES {
            return Err(Exit::Closed(CloseCode::TooBig));
        }
        match ClientFrame::decode(text) {
            Ok(ClientFrame::Send { client_id, body }) => self.post(out, client_id, body).await,
            Ok(ClientFrame::Typing {}) => {
                self.typing();
                Ok(())
            }
            Err(_) => {
                let problem = "Not a Burner frame: expected JSON with a known \"type\".";
                self.refuse(out, bad_frame(problem)).await
            }
        }
    }

    /// Checks a send and queues it to be stored.
    async fn post<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        client_id: String,
        body: String,
    ) -> Result<(), Exit> {
        let id_len = client_id.chars().count();
        if id_len == 0 || id_len > CLIENT_ID_MAX_CHARS {
            let problem = format!("client_id must be 1 to {CLIENT_ID_MAX_CHARS} characters.");
            return self.refuse(out, bad_frame(&problem)).await;
        }
        if let Err(problem) = envelope::check(&body, MESSAGE_SEALED_MAX) {
            // The text was checked (1 to 1000 characters) before it was sealed; here only the
            // envelope's shape and size can be.
            let problem = format!("A sealed message body {problem}.");
            return self.refuse(out, error(ErrorCode::InvalidMessage, problem)).await;
        }
        if let Err(wait) = self.socket.services.doors.messages.check(&self.limit_key) {
            let message = format!("Slow down: you can send again in {:.1} s.", wait.as_secs_f64());
            return self.refuse(out, error(ErrorCode::RateLimited, message)).await;
        }
        self.strikes = 0;
        // A message ends a typing burst; the next keystroke may be announced at once.
        self.last_typing = None;
        self.work.push(self.socket, Job::Post { client_id, body });
        Ok(())
    }

    /// Tells the client a frame was refused; too many refusals in a row close the socket.
    async fn refuse<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        refusal: ServerFrame,
    ) -> Result<(), Exit> {
        self.strikes += 1;
        if self.strikes >= STRIKES_BEFORE_CLOSE {
            return Err(Exit::Closed(CloseCode::RateLimited));
        }
        out.send(refusal).await
    }

    /// Relays a typing hint to the others, at most once per `typing_every`, and only when no
    /// other job waits (a hint is worth nothing late).
    fn typing(&mut self) {
        let every = self.socket.services.timing.typing_every;
        if self.last_typing.is_some_and(|t| t.elapsed() < every) || self.work.pending() > 0 {
            return;
        }
        self.last_typing = Some(Instant::now());
        self.work.push(self.socket, Job::Typing);
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
            StoreError::NotSeated | StoreError::Full | StoreError::SeatIdTaken => {
                Exit::Closed(CloseCode::NoSeat)
            }
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

fn error(code: ErrorCode, message: impl Into<String>) -> ServerFrame {
    ServerFrame::Error { code, message: message.into() }
}

fn bad_frame(message: &str) -> ServerFrame {
    error(ErrorCode::BadFrame, message)
}
