//! The browser's connection to `/ws/{room}`: connect, resume from the last sequence number,
//! reconnect with backoff, and stop when the page lets go of it (the room is over, or the page
//! left). What arrives goes to the executor as a change; what the executor sends comes
//! through the outbox. Browser only.

use super::backoff::reconnect_delay;
use super::executor::Executor;
use super::live::{Change, Live};
use crate::model::now_ms;
use crate::protocol::{ClientFrame, CloseCode, ServerFrame};
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures::{FutureExt, SinkExt, StreamExt, select};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use leptos::prelude::*;

/// Frames the page wants sent; dropping every sender closes the connection for good.
pub type Outbox = UnboundedSender<ClientFrame>;

/// Opens the room's connection in the background, until the executor drops the outbox.
pub fn connect(executor: Executor) -> Outbox {
    let (outbox, frames) = unbounded();
    leptos::task::spawn_local(run(executor, frames));
    outbox
}

/// How one connection ended.
enum Ending {
    /// The page let go of the outbox: the room is over for it, or it left.
    PageLeft,
    /// The server closed for good (the room or the seat is over): ask why.
    Refused,
    /// The connection dropped; `welcomed` if it had been working.
    Dropped { welcomed: bool },
}

async fn run(executor: Executor, mut frames: UnboundedReceiver<ClientFrame>) {
    let live = executor.live();
    // The browser's own word on the network: going offline drops the socket at once (a dead
    // connection can otherwise go unnoticed for minutes), coming back reconnects at once.
    let (wake, mut woken) = unbounded::<()>();
    let online = window_event_listener(leptos::ev::online, move |_| {
        let _ = wake.unbounded_send(());
    });
    let (cut, mut went_offline) = unbounded::<()>();
    let offline = window_event_listener(leptos::ev::offline, move |_| {
        let _ = cut.unbounded_send(());
    });
    let mut failures = 0u32;
    loop {
        let ending = match WebSocket::open(&socket_url(&live)) {
            Ok(ws) => connection(ws, executor, &mut frames, &mut went_offline).await,
            Err(_) => Ending::Dropped { welcomed: false },
        };
        let welcomed = match ending {
            Ending::PageLeft => break,
            Ending::Refused => {
                // The executor asks why, and lets go of the outbox if the room is over for this
                // page (the wait below then ends); seated after all, this tries again.
                executor.dispatch(Change::SocketRefused);
                false
            }
            Ending::Dropped { welcomed } => welcomed,
        };
        failures = if welcomed { 1 } else { failures + 1 };
        let offline = !window().navigator().on_line();
        executor.dispatch(Change::Disconnected { failures, offline });
        // While the browser says it is offline, wait for it to come back (or a backstop delay)
        // rather than fail attempt after attempt.
        let delay = if offline {
            std::time::Duration::from_secs(15)
        } else {
            reconnect_delay(failures, js_sys::Math::random())
        };
        if !wait(delay, &mut frames, &mut woken).await {
            break;
        }
    }
    online.remove();
    offline.remove();
}

/// Waits `delay` (cut short when the browser comes back online); false if the page left.
/// Frames asked for meanwhile are dropped: messages stay pending and are resent on welcome.
async fn wait(
    delay: std::time::Duration,
    frames: &mut UnboundedReceiver<ClientFrame>,
    woken: &mut UnboundedReceiver<()>,
) -> bool {
    let mut sleep = gloo_timers::future::sleep(delay).fuse();
    loop {
        select! {
            () = sleep => return true,
            _ = woken.next() => return true,
            frame = frames.next() => if frame.is_none() { return false },
        }
    }
}

/// One connection, from its opening to its end.
async fn connection(
    ws: WebSocket,
    executor: Executor,
    frames: &mut UnboundedReceiver<ClientFrame>,
    went_offline: &mut UnboundedReceiver<()>,
) -> Ending {
    let (mut sink, stream) = ws.split();
    let mut stream = stream.fuse();
    let mut welcomed = false;
    // Only an `offline` event from now on counts, not one from before this connection.
    while went_offline.try_recv().is_ok() {}
    loop {
        select! {
            _ = went_offline.next() => return Ending::Dropped { welcomed },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    // A frame this version does not know is skipped, not fatal.
                    let Ok(frame) = ServerFrame::decode(&text) else { continue };
                    welcomed |= matches!(frame, ServerFrame::Welcome { .. });
                    executor.dispatch(Change::Frame { frame, local_now: now_ms(), hidden: tab_hidden() });
                }
                Some(Ok(Message::Bytes(_))) => {}
                Some(Err(WebSocketError::ConnectionClose(close))) => {
                    let again = CloseCode::from_code(close.code).is_none_or(CloseCode::should_reconnect);
                    return if again { Ending::Dropped { welcomed } } else { Ending::Refused };
                }
                Some(Err(_)) | None => return Ending::Dropped { welcomed },
            },
            outgoing = frames.next() => {
                let Some(frame) = outgoing else { return Ending::PageLeft };
                let Ok(text) = frame.encode() else {
                    leptos::logging::error!("a frame could not be encoded; not sent");
                    continue;
                };
                if sink.send(Message::Text(text)).await.is_err() {
                    return Ending::Dropped { welcomed };
                }
            },
        }
    }
}

fn socket_url(live: &Live) -> String {
    let location = window().location();
    let secure = location.protocol().is_ok_and(|p| p == "https:");
    let host = location.host().unwrap_or_default();
    let since = live.log.with_untracked(|log| log.last_seq());
    let scheme = if secure { "wss" } else { "ws" };
    format!("{scheme}://{host}/ws/{}?since={since}", live.room_id.get_value())
}

fn tab_hidden() -> bool {
    document().hidden()
}
