//! One admitted WebSocket, from `welcome` to close. Generic over the transport (any `Sink` of
//! [`WsOut`] and `Stream` of [`WsIn`]) so tests drive it without a network.
//!
//! Order matters: join the hub (subscribe) first, then read history, then stream live events,
//! dropping any sequence number already sent. The frame-by-frame exchange is in [`exchange`];
//! store and broker calls run beside it ([`jobs`]), so the loop only moves frames.

mod catch_ups;
mod exchange;
mod jobs;
mod order;

pub use catch_ups::CatchUps;

use crate::broker::Broker;
use crate::hub::Hub;
use crate::presence::Roster;
use crate::tasks::Tasks;
use app::model::{EndReason, RoomId};
use app::protocol::{CloseCode, ServerFrame, TYPING_EVERY_MS};
use app::rate_limit::RateLimits;
use app::seat::TokenHash;
use app::store::{RoomStore, Seat};
use axum::extract::ws::Utf8Bytes;
use exchange::Exchange;
use futures::{Sink, SinkExt, Stream};
use std::sync::Arc;
use std::time::Duration;

/// A frame from the client, as the socket loop sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsIn {
    Text(String),
    Binary,
    /// A ping or pong: the client is alive.
    Alive,
    /// A frame over the protocol's size limit.
    TooBig,
    Close,
}

/// A frame to the client. Text is shared: an event's frame is encoded once for every socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsOut {
    Text(Utf8Bytes),
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
    /// The history a socket starts with (at most the room's byte budget) must be taken within
    /// this, or the socket is closed as a slow consumer and its copy freed: a reader that takes
    /// one frame just inside `send_timeout` cannot pin it for long.
    pub catch_up_within: Duration,
    pub typing_every: Duration,
    /// How long a store call that fails for the backend (Redis slow or away) is tried again
    /// before the socket gives up on it (`unavailable`, then 1012): a stall shorter than this is
    /// waited out, each socket retrying on its own schedule.
    pub store_patience: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            ping_every: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(10),
            catch_up_within: Duration::from_secs(30),
            typing_every: Duration::from_millis(TYPING_EVERY_MS),
            store_patience: Duration::from_secs(8),
        }
    }
}

/// The longest a close frame may take to go out.
const CLOSE_WITHIN: Duration = Duration::from_secs(1);
/// How long a socket refused for an oversized frame stays open after its close frame.
const LINGER_AFTER_TOO_BIG: Duration = Duration::from_millis(300);

/// What every socket of this instance uses.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn RoomStore>,
    /// This instance's sockets by room: live events arrive through it.
    pub hub: Arc<Hub>,
    /// Carries typing hints to every instance.
    pub broker: Arc<dyn Broker>,
    /// This instance's sockets in presence.
    pub roster: Arc<Roster>,
    /// This instance's rate limits (messages per seat, here).
    pub rate_limits: Arc<RateLimits>,
    /// Catch-up reads, one per room at a time.
    pub catch_ups: Arc<CatchUps>,
    /// Every task of this instance; sockets watch it to close when the instance stops.
    pub tasks: Tasks,
    pub timing: Timing,
}

/// One seated socket, as the upgrade admitted it.
pub struct Socket {
    pub room: RoomId,
    pub seat: Seat,
    pub token: TokenHash,
    /// The highest sequence number the client has.
    pub since: u64,
    pub expires_at: u64,
    /// Whether the room was locked when the socket was admitted (what its welcome says).
    pub locked: bool,
    /// Shared by every socket of the instance (one pointer a socket).
    pub services: Arc<Services>,
}

/// How a socket ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The client closed or vanished.
    ClientLeft,
    /// Nothing from the client for too long.
    Idle,
    /// The server closed it with this code.
    Closed(CloseCode),
}

impl Exit {
    /// The metrics label: the close code, or why the client is gone.
    pub fn label(self) -> &'static str {
        match self {
            Exit::ClientLeft => "client_left",
            Exit::Idle => "idle",
            Exit::Closed(code) => code.label(),
        }
    }
}

/// Runs the socket until it ends.
pub async fn run<S, R>(socket: Socket, sink: S, mut stream: R) -> Exit
where
    S: Sink<WsOut> + Unpin,
    R: Stream<Item = WsIn> + Unpin,
{
    let services = &socket.services;
    let mut out = Out { sink, timeout: services.timing.send_timeout };
    let mut place = match services.hub.join(&socket.room, socket.expires_at).await {
        Ok(place) => place,
        Err(err) => {
            tracing::warn!(%err, "could not follow the room; asking the client to reconnect");
            return out.close(CloseCode::Restarting).await;
        }
    };
    let (here, online) = services.roster.enter(&socket.room, &socket.seat);
    let exit = Exchange::new(&socket).serve(&mut out, &mut stream, &mut place, online).await;
    metrics::counter!(crate::metrics::SOCKETS_CLOSED, "code" => exit.label()).increment(1);
    drop(place);
    if exit == Exit::ClientLeft {
        // A client's Close is answered with one (RFC 6455 §5.5.1): the transport queued the
        // answer as it read theirs, and closing our half sends it.
        let _ = tokio::time::timeout(CLOSE_WITHIN, out.sink.close()).await;
    }
    if let Exit::Closed(code) = exit {
        out.close(code).await;
        if code == CloseCode::TooBig {
            // The rest of the oversized frame may still be arriving; closing at once would make
            // the kernel reset the connection and the client could lose the close frame.
            tokio::time::sleep(LINGER_AFTER_TOO_BIG).await;
        }
    }
    here.leave().await;
    exit
}

/// The sending half, with the write timeout that tells a slow client.
struct Out<S> {
    sink: S,
    timeout: Duration,
}

impl<S: Sink<WsOut> + Unpin> Out<S> {
    /// Sends a frame; `Err` when the client is gone or too slow to take it.
    async fn send(&mut self, frame: ServerFrame) -> Result<(), Exit> {
        match frame.encode() {
            Ok(text) => self.raw(WsOut::Text(text.into())).await,
            Err(err) => {
                tracing::error!(%err, "a server frame could not be encoded");
                Err(Exit::Closed(CloseCode::Restarting))
            }
        }
    }

    async fn raw(&mut self, frame: WsOut) -> Result<(), Exit> {
        use futures::FutureExt;
        let mut send = self.sink.send(frame);
        // Most frames go out at once (the connection's buffer has room): those need no timer.
        let sent = match (&mut send).now_or_never() {
            Some(sent) => Ok(sent),
            None => tokio::time::timeout(self.timeout, send).await,
        };
        match sent {
            Ok(Ok(())) => {
                metrics::counter!(crate::metrics::FRAMES_DELIVERED).increment(1);
                Ok(())
            }
            Ok(Err(_)) => Err(Exit::ClientLeft),
            Err(_) => Err(Exit::Closed(CloseCode::SlowConsumer)),
        }
    }

    /// Says goodbye with `code`, but waits at most [`CLOSE_WITHIN`] for a client that does not
    /// read (a slow consumer's close frame is behind everything it did not read).
    async fn close(&mut self, code: CloseCode) -> Exit {
        self.timeout = self.timeout.min(CLOSE_WITHIN);
        let _ = self.raw(WsOut::Close(code)).await;
        Exit::Closed(code)
    }

    /// Tells the client the room ended; the close follows.
    async fn end(&mut self, reason: EndReason) -> Exit {
        let _ = self.send(ServerFrame::Ended { reason }).await;
        Exit::Closed(CloseCode::Normal)
    }
}

#[cfg(test)]
mod tests;
