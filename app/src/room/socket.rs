//! The browser's connection to `/ws/{room}`: connect, resume from the last sequence number,
//! reconnect with backoff, and leave when the room is over. Browser only.

use super::backoff::reconnect_delay;
use super::live::{LinkStatus, Live, Next};
use super::{room_history, room_view};
use crate::model::now_ms;
use crate::protocol::{ClientFrame, CloseCode, ServerFrame};
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures::future::{Either, select};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use leptos::prelude::*;

/// Frames the page wants sent; dropping every sender closes the connection for good.
pub type Outbox = UnboundedSender<ClientFrame>;

/// Opens the room's connection in the background.
pub fn connect(live: Live) -> Outbox {
    let (outbox, frames) = unbounded();
    leptos::task::spawn_local(run(live, frames));
    outbox
}

/// How one connection ended.
enum Ending {
    /// The page closed the outbox: it is leaving.
    PageLeft,
    /// The room is over; go there.
    Leave(String),
    /// The server refused the seat or the room (4401, 4404): ask why.
    Refused,
    /// The connection dropped; `welcomed` if it had been working.
    Dropped { welcomed: bool },
}

async fn run(live: Live, mut frames: UnboundedReceiver<ClientFrame>) {
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
            Ok(ws) => session(ws, live, &mut frames, &mut went_offline).await,
            Err(_) => Ending::Dropped { welcomed: false },
        };
        let welcomed = match ending {
            Ending::PageLeft => break,
            Ending::Leave(to) => {
                live.leave_to.set(Some(to));
                break;
            }
            Ending::Refused => match room_view(live.room_id.get_value().to_string()).await {
                Err(err) => {
                    live.leave_to.set(Some(err.home_query().to_owned()));
                    break;
                }
                Ok(view) if view.you.is_none() => {
                    live.leave_to.set(Some("/?error=seat-lost".to_owned()));
                    break;
                }
                // Seated after all (a race with a reconnect elsewhere): try again.
                Ok(_) => false,
            },
            Ending::Dropped { welcomed } => welcomed,
        };
        failures = if welcomed { 1 } else { failures + 1 };
        let offline = !window().navigator().on_line();
        live.link.set(if offline || failures > 3 {
            LinkStatus::Offline
        } else {
            LinkStatus::Reconnecting
        });
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
    let mut sleep = std::pin::pin!(gloo_timers::future::sleep(delay));
    loop {
        let next = select(frames.next(), woken.next());
        match select(sleep.as_mut(), next).await {
            Either::Left(_) => return true,
            Either::Right((Either::Left((None, _)), _)) => return false,
            Either::Right((Either::Left((Some(_), _)), _)) => continue,
            Either::Right((Either::Right(_), _)) => return true,
        }
    }
}

async fn session(
    ws: WebSocket,
    live: Live,
    frames: &mut UnboundedReceiver<ClientFrame>,
    went_offline: &mut UnboundedReceiver<()>,
) -> Ending {
    let (mut sink, mut stream) = ws.split();
    let mut welcomed = false;
    // Only an `offline` event from now on counts, not one from before this connection.
    while went_offline.try_recv().is_ok() {}
    loop {
        let outgoing = select(frames.next(), went_offline.next());
        match select(stream.next(), outgoing).await {
            Either::Right((Either::Right(_), _)) => return Ending::Dropped { welcomed },
            Either::Left((incoming, _)) => match incoming {
                Some(Ok(Message::Text(text))) => {
                    // A frame this version does not know is skipped, not fatal.
                    let Ok(frame) = ServerFrame::decode(&text) else { continue };
                    welcomed |= matches!(frame, ServerFrame::Welcome { .. });
                    let to_send = match live.apply(frame, now_ms(), tab_hidden()) {
                        Next::Continue => Vec::new(),
                        Next::Send(frames) => frames,
                        Next::SendAndReload(frames) => {
                            reload_history(live);
                            frames
                        }
                        Next::Leave(to) => return Ending::Leave(to),
                    };
                    for frame in to_send {
                        if sink.send(Message::Text(frame.encode())).await.is_err() {
                            return Ending::Dropped { welcomed };
                        }
                    }
                }
                Some(Ok(Message::Bytes(_))) => {}
                Some(Err(WebSocketError::ConnectionClose(close))) => {
                    return match CloseCode::from_code(close.code) {
                        Some(CloseCode::NoSeat | CloseCode::RoomGone) => Ending::Refused,
                        _ => Ending::Dropped { welcomed },
                    };
                }
                Some(Err(_)) | None => return Ending::Dropped { welcomed },
            },
            Either::Right((Either::Left((outgoing, _)), _)) => match outgoing {
                Some(frame) => {
                    if sink.send(Message::Text(frame.encode())).await.is_err() {
                        return Ending::Dropped { welcomed };
                    }
                }
                None => return Ending::PageLeft,
            },
        }
    }
}

fn reload_history(live: Live) {
    leptos::task::spawn_local(async move {
        if let Ok(history) = room_history(live.room_id.get_value().to_string(), None).await {
            live.log.update(|log| log.replace_history(history));
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
