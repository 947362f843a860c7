//! One WebSocket session, from `welcome` to close. Generic over the transport (any `Sink` of
//! [`WsOut`] and `Stream` of [`WsIn`]) so tests drive it without a network.
//!
//! Order matters: join the hub (subscribe) first, then read history, then stream live events,
//! dropping any sequence number already sent.

use crate::broker::{Connection, PresenceChange, RoomEvent};
use crate::hub::{Hub, Membership, Outbound};
use app::model::{
    CLIENT_ID_MAX_CHARS, ChatMessage, EndReason, FRAME_MAX_BYTES, RoomId, clean_message, now_ms,
};
use app::protocol::{ClientFrame, CloseCode, ErrorCode, ServerFrame};
use app::rate_limit::RateLimiter;
use app::seat::TokenHash;
use app::store::{RoomStore, Seat, StoreError};
use futures::{Sink, SinkExt, Stream, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A frame from the client, as the session sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsIn {
    Text(String),
    Binary,
    /// A ping or pong: the client is alive.
    Alive,
    /// A frame over the transport's own limit.
    TooBig,
    Close,
}

/// A frame to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsOut {
    Text(String),
    Ping,
    Close(CloseCode),
}

/// Liveness timings.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub ping_every: Duration,
    pub idle_timeout: Duration,
    /// A write that takes longer means the client cannot keep up.
    pub send_timeout: Duration,
    pub typing_every: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            ping_every: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(10),
            typing_every: Duration::from_secs(2),
        }
    }
}

/// Refused sends in a row before the socket is closed with 4429.
const STRIKES_BEFORE_CLOSE: u32 = 10;

/// Everything a session needs, decided by the upgrade (which checked the seat).
pub struct Session {
    pub room: RoomId,
    pub seat: Seat,
    pub token: TokenHash,
    pub since: u64,
    pub expires_at: u64,
    pub store: Arc<dyn RoomStore>,
    pub hub: Arc<Hub>,
    pub limiter: Arc<RateLimiter>,
    pub shutdown: watch::Receiver<bool>,
    pub timing: Timing,
}

/// How a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The client closed or vanished.
    ClientLeft,
    /// Nothing from the client for too long.
    Idle,
    /// The server closed it with this code.
    Closed(CloseCode),
}

/// Runs the session until it ends.
pub async fn run<S, R>(session: Session, sink: S, mut stream: R) -> Exit
where
    S: Sink<WsOut> + Unpin,
    R: Stream<Item = WsIn> + Unpin,
{
    let mut out = Out { sink, timeout: session.timing.send_timeout };
    let mut membership =
        match session.hub.join(&session.room, session.expires_at, &session.seat).await {
            Ok(membership) => membership,
            Err(err) => {
                tracing::warn!(%err, "could not follow the room; asking the client to reconnect");
                return out.close(CloseCode::Restarting).await;
            }
        };
    let broker = session.hub.broker().clone();
    let online = broker
        .presence(
            &session.room,
            PresenceChange::Online(Connection {
                conn: membership.conn.clone(),
                seat_id: session.seat.seat_id.clone(),
                name: session.seat.name.clone(),
            }),
        )
        .await
        .unwrap_or_else(|_| vec![session.seat.name.clone()]);
    let limit_key = format!("{}:{}", session.room, session.seat.seat_id);
    let mut state =
        Live { session: &session, limit_key, last_sent: 0, strikes: 0, last_typing: None };
    let exit = match state.welcome(&mut out, online).await {
        Ok(()) => state.serve(&mut out, &mut stream, &mut membership).await,
        Err(exit) => exit,
    };
    if let Exit::Closed(code) = exit {
        out.close(code).await;
    }
    let offline = PresenceChange::Offline { conn: membership.conn.clone() };
    drop(membership);
    let _ = broker.presence(&session.room, offline).await;
    exit
}

struct Out<S> {
    sink: S,
    timeout: Duration,
}

impl<S: Sink<WsOut> + Unpin> Out<S> {
    /// Sends a frame; `Err` when the client is gone or too slow to take it.
    async fn send(&mut self, frame: ServerFrame) -> Result<(), Exit> {
        self.raw(WsOut::Text(frame.encode())).await
    }

    async fn raw(&mut self, frame: WsOut) -> Result<(), Exit> {
        match tokio::time::timeout(self.timeout, self.sink.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Exit::ClientLeft),
            Err(_) => Err(Exit::Closed(CloseCode::SlowConsumer)),
        }
    }

    async fn close(&mut self, code: CloseCode) -> Exit {
        let _ = self.raw(WsOut::Close(code)).await;
        Exit::Closed(code)
    }

    /// Tells the client the room ended; the close follows.
    async fn end(&mut self, reason: EndReason) -> Exit {
        let _ = self.send(ServerFrame::Ended { reason }).await;
        Exit::Closed(CloseCode::Normal)
    }
}

struct Live<'a> {
    session: &'a Session,
    /// This seat's key in the message rate limiter.
    limit_key: String,
    /// The highest sequence number sent on this socket.
    last_sent: u64,
    /// Refused sends in a row.
    strikes: u32,
    last_typing: Option<Instant>,
}

impl Live<'_> {
    /// Sends `welcome` and whatever history the client is missing.
    async fn welcome<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        online: Vec<String>,
    ) -> Result<(), Exit> {
        let s = self.session;
        let history = match s.store.history(&s.room, s.since).await {
            Ok(history) => history,
            Err(err) => return Err(self.store_failed(out, err).await),
        };
        // Covered when the oldest message kept is right after what the client has.
        let recovered = history.messages.first().is_none_or(|m| m.seq <= s.since + 1);
        let peers = online.into_iter().filter(|n| *n != s.seat.name).collect();
        out.send(ServerFrame::Welcome {
            you: s.seat.name.clone(),
            seq: history.seq,
            expires_at: s.expires_at,
            now: now_ms(),
            peers,
            recovered,
        })
        .await?;
        if recovered {
            for message in history.messages {
                out.send(ServerFrame::Message(message)).await?;
            }
        }
        self.last_sent = history.seq;
        Ok(())
    }

    async fn serve<S, R>(
        &mut self,
        out: &mut Out<S>,
        stream: &mut R,
        membership: &mut Membership,
    ) -> Exit
    where
        S: Sink<WsOut> + Unpin,
        R: Stream<Item = WsIn> + Unpin,
    {
        let timing = self.session.timing;
        let mut shutdown = self.session.shutdown.clone();
        let mut ping = tokio::time::interval(timing.ping_every);
        ping.tick().await;
        let mut last_seen = Instant::now();
        loop {
            let step = tokio::select! {
                code = &mut membership.kicked => Err(Exit::Closed(code.unwrap_or(CloseCode::SlowConsumer))),
                _ = shutdown.changed() => Err(Exit::Closed(CloseCode::Restarting)),
                outbound = membership.events.recv() => match outbound {
                    Some(Outbound::Event(event)) => self.forward(out, &event).await,
                    Some(Outbound::Resync) => self.catch_up(out).await,
                    None => Err(Exit::Closed(CloseCode::Restarting)),
                },
                incoming = stream.next() => {
                    last_seen = Instant::now();
                    match incoming {
                        Some(WsIn::Text(text)) => self.receive(out, &text).await,
                        Some(WsIn::Binary) => out.send(bad_frame("Burner speaks JSON text frames.")).await,
                        Some(WsIn::Alive) => Ok(()),
                        Some(WsIn::TooBig) => Err(Exit::Closed(CloseCode::TooBig)),
                        Some(WsIn::Close) | None => Err(Exit::ClientLeft),
                    }
                }
                _ = ping.tick() => {
                    if last_seen.elapsed() > timing.idle_timeout {
                        Err(Exit::Idle)
                    } else {
                        out.raw(WsOut::Ping).await
                    }
                }
            };
            if let Err(exit) = step {
                return exit;
            }
        }
    }

    /// Forwards one room event to this client.
    async fn forward<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        event: &RoomEvent,
    ) -> Result<(), Exit> {
        match event {
            RoomEvent::Message(message) => self.deliver(out, message.clone()).await,
            RoomEvent::Presence(online) => {
                out.send(ServerFrame::Presence { online: online.clone() }).await
            }
            RoomEvent::Typing(sender) if *sender != self.session.seat.name => {
                out.send(ServerFrame::Typing { sender: sender.clone() }).await
            }
            RoomEvent::Typing(_) => Ok(()),
            RoomEvent::Ended(reason) => Err(out.end(*reason).await),
            RoomEvent::SeatLeft(seat) if *seat == self.session.seat.seat_id => {
                Err(Exit::Closed(CloseCode::NoSeat))
            }
            RoomEvent::SeatLeft(_) => Ok(()),
        }
    }

    /// Sends a message unless this socket already has it.
    async fn deliver<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        message: ChatMessage,
    ) -> Result<(), Exit> {
        if message.seq <= self.last_sent {
            return Ok(());
        }
        self.last_sent = message.seq;
        out.send(ServerFrame::Message(message)).await
    }

    /// Sends what was stored after the last message this socket sent.
    async fn catch_up<S: Sink<WsOut> + Unpin>(&mut self, out: &mut Out<S>) -> Result<(), Exit> {
        let s = self.session;
        match s.store.history(&s.room, self.last_sent).await {
            Ok(history) => {
                for message in history.messages {
                    self.deliver(out, message).await?;
                }
                Ok(())
            }
            Err(err) => Err(self.store_failed(out, err).await),
        }
    }

    /// Handles one text frame from the client.
    async fn receive<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        text: &str,
    ) -> Result<(), Exit> {
        if text.len() > FRAME_MAX_BYTES {
            return Err(Exit::Closed(CloseCode::TooBig));
        }
        match ClientFrame::decode(text) {
            Ok(ClientFrame::Send { client_id, text }) => self.post(out, &client_id, &text).await,
            Ok(ClientFrame::Typing {}) => self.typing().await,
            Err(_) => {
                out.send(bad_frame("Not a Burner frame: expected JSON with a known \"type\"."))
                    .await
            }
        }
    }

    async fn post<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        client_id: &str,
        text: &str,
    ) -> Result<(), Exit> {
        let s = self.session;
        let id_len = client_id.chars().count();
        if id_len == 0 || id_len > CLIENT_ID_MAX_CHARS {
            return out.send(bad_frame("client_id must be 1 to 64 characters.")).await;
        }
        let text = match clean_message(text) {
            Ok(text) => text,
            Err(problem) => {
                return out.send(error(ErrorCode::InvalidMessage, problem)).await;
            }
        };
        if let Err(wait) = s.limiter.check(&self.limit_key) {
            self.strikes += 1;
            if self.strikes >= STRIKES_BEFORE_CLOSE {
                return Err(Exit::Closed(CloseCode::RateLimited));
            }
            let message = format!("Slow down: you can send again in {:.1} s.", wait.as_secs_f64());
            return out.send(error(ErrorCode::RateLimited, message)).await;
        }
        self.strikes = 0;
        // A message ends a typing burst; the next keystroke may be announced at once.
        self.last_typing = None;
        match s.store.post(&s.room, &s.token, client_id, text).await {
            // A resend: acknowledge again (the client dedupes by sequence number).
            Ok(posted) if posted.duplicate => out.send(ServerFrame::Message(posted.message)).await,
            // The stored copy comes back through the hub, in order, as the acknowledgement.
            Ok(_) => Ok(()),
            Err(err) => Err(self.store_failed(out, err).await),
        }
    }

    async fn typing(&mut self) -> Result<(), Exit> {
        let s = self.session;
        if self.last_typing.is_some_and(|t| t.elapsed() < s.timing.typing_every) {
            return Ok(());
        }
        self.last_typing = Some(Instant::now());
        let event = RoomEvent::Typing(s.seat.name.clone());
        if let Err(err) = s.hub.broker().publish(&s.room, event).await {
            tracing::debug!(%err, "typing hint not sent");
        }
        Ok(())
    }

    /// Turns a store failure into what the client is told (the close is sent by `run`).
    async fn store_failed<S: Sink<WsOut> + Unpin>(
        &self,
        out: &mut Out<S>,
        err: StoreError,
    ) -> Exit {
        match err {
            StoreError::Gone => {
                let expired = now_ms() >= self.session.expires_at;
                out.end(if expired { EndReason::Expired } else { EndReason::Destroyed }).await
            }
            StoreError::NotSeated | StoreError::Full => Exit::Closed(CloseCode::NoSeat),
            StoreError::Backend(detail) => {
                tracing::warn!(%detail, "store failed during a session");
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

#[cfg(test)]
mod tests;
