//! The browser's connection to `/ws/{room}`: connect, resume from the last sequence number,
//! reconnect with backoff, and leave when the room is over. Browser only.

use super::backoff::reconnect_delay;
use super::live::{Change, Live, Next};
use super::{room_history, room_view};
use crate::model::now_ms;
use crate::protocol::{ClientFrame, CloseCode, ServerFrame};
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures::{FutureExt, SinkExt, StreamExt, select};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use leptos::prelude::*;

/// Frames the page wants sent; dropping every sender closes the connection for good.
pub type Outbox = UnboundedSender<ClientFrame>;

/// Opens the room's connection in the background; `opened` is called whenever sealed messages
/// or names may have arrived.
pub fn connect(live: Live, opened: impl Fn() + Copy + 'static) -> Outbox {
    let (outbox, frames) = unbounded();
    leptos::task::spawn_local(run(live, frames, opened));
    outbox
}

/// How one connection ended.
enum Ending {
    /// The page closed the outbox: it is leaving.
    PageLeft,
    /// The room is over; the page is leaving.
    RoomOver,
    /// The server closed for good (the room or the seat is over): ask why.
    Refused,
    /// The connection dropped; `welcomed` if it had been working.
    Dropped { welcomed: bool },
}

async fn run(
    live: Live,
    mut frames: UnboundedReceiver<ClientFrame>,
    opened: impl Fn() + Copy + 'static,
) {
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
            Ok(ws) => connection(ws, live, &mut frames, &mut went_offline, opened).await,
            Err(_) => Ending::Dropped { welcomed: false },
        };
        let welcomed = match ending {
            Ending::PageLeft => break,
            Ending::RoomOver => break,
            Ending::Refused => {
                let view = room_view(live.room_id.get_value().to_string()).await;
                match live.dispatch(Change::Refused { view }) {
                    Next::Leave(_) => break,
                    // Seated after all: try again.
                    _ => false,
                }
            }
            Ending::Dropped { welcomed } => welcomed,
        };
        failures = if welcomed { 1 } else { failures + 1 };
        let offline = !window().navigator().on_line();
        live.dispatch(Change::Disconnected { failures, offline });
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
    live: Live,
    frames: &mut UnboundedReceiver<ClientFrame>,
    went_offline: &mut UnboundedReceiver<()>,
    opened: impl Fn() + Copy + 'static,
) -> Ending {
    let (mut sink, stream) = ws.split();
    let mut stream = stream.fuse();
    let mut welcomed = false;
    // Only an `offline` event from now on counts, not one from before this connection.
    while went_offline.try_recv().is_ok() {}
    loop {
        let to_send = select! {
            _ = went_offline.next() => return Ending::Dropped { welcomed },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    // A frame this version does not know is skipped, not fatal.
                    let Ok(frame) = ServerFrame::decode(&text) else { continue };
                    welcomed |= matches!(frame, ServerFrame::Welcome { .. });
                    let change = Change::Frame { frame, local_now: now_ms(), hidden: tab_hidden() };
                    let next = live.dispatch(change);
                    opened();
                    match next {
                        Next::Continue => Vec::new(),
                        Next::Send(frames) => frames,
                        Next::SendAndReload(frames) => {
                            reload_history(live, opened);
                            frames
                        }
                        Next::Leave(_) => return Ending::RoomOver,
                    }
                }
                Some(Ok(Message::Bytes(_))) => Vec::new(),
                Some(Err(WebSocketError::ConnectionClose(close))) => {
                    let again = CloseCode::from_code(close.code).is_none_or(CloseCode::should_reconnect);
                    return if again { Ending::Dropped { welcomed } } else { Ending::Refused };
                }
                Some(Err(_)) | None => return Ending::Dropped { welcomed },
            },
            outgoing = frames.next() => match outgoing {
                Some(frame) => vec![frame],
                None => return Ending::PageLeft,
            },
        };
        for frame in to_send {
            let Ok(text) = frame.encode() else {
                leptos::logging::error!("a frame could not be encoded; not sent");
                continue;
            };
            if sink.send(Message::Text(text)).await.is_err() {
                return Ending::Dropped { welcomed };
            }
        }
    }
}

fn reload_history(live: Live, opened: impl Fn() + 'static) {
    leptos::task::spawn_local(async move {
        if let Ok(history) = room_history(live.room_id.get_value().to_string(), None, None).await {
            live.dispatch(Change::HistoryLoaded(history));
            opened();
        }
    });
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
