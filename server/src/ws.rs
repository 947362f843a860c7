//! `GET /ws/{room_id}?since=<seq>`: the WebSocket edge. The upgrade checks the Origin, the
//! client's rate, and the seat cookie before accepting; the socket's life is in [`socket`].

mod seat_sockets;
pub mod socket;

pub use seat_sockets::SeatSockets;

use crate::origin;
use crate::state::AppState;
use app::model::{FRAME_MAX_BYTES, RoomId};
use app::protocol::CloseCode;
use app::rate_limit::ClientKey;
use app::seat::{SeatCookie, TokenHash};
use app::store::{RoomInfo, Seat, StoreError};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use futures::{SinkExt, StreamExt, future};
use serde::Deserialize;
use socket::{Socket, WsIn, WsOut};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Instrument;

/// The upgrade's query: the highest sequence number the client already has.
#[derive(Debug, Deserialize)]
pub struct Resume {
    #[serde(default)]
    since: u64,
}

/// A seated visitor, checked before the upgrade is accepted.
struct Admitted {
    room: RoomId,
    info: RoomInfo,
    seat: Seat,
    token: TokenHash,
}

pub async fn upgrade(
    State(state): State<AppState>,
    Path(raw_room): Path<String>,
    Query(Resume { since }): Query<Resume>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    cookies: CookieJar,
    ws: WebSocketUpgrade,
) -> Response {
    let reach = state.reach();
    let https = reach.https_for(&headers);
    if !origin::allowed(&headers, &reach.allowed_origins, https) {
        return (StatusCode::FORBIDDEN, "This page may not open a Burner WebSocket.\n")
            .into_response();
    }
    let client = reach.proxy.client_ip(&headers, Some(peer.ip())).unwrap_or(peer.ip());
    if let Err(wait) = state.socket_services.rate_limits.upgrades.check(&ClientKey::from(client)) {
        // Refused before the upgrade: to a browser this is a failed connection, and it backs
        // off before trying again.
        let retry = wait.as_secs().max(1).to_string();
        let headers = [(header::RETRY_AFTER, retry)];
        return (StatusCode::TOO_MANY_REQUESTS, headers, "Too many connections; wait.\n")
            .into_response();
    }
    let admission = admit(&state, &raw_room, &cookies, https).await;
    // Boxed, so the task that waits for the upgrade holds a pointer, not the state itself.
    let pending = Box::new((admission, since, state));
    sized_for_chat(ws).on_upgrade(move |socket| {
        let (admission, since, state) = *pending;
        match admission {
            Ok(admitted) => serve(socket, admitted, since, state),
            Err(code) => Box::pin(refuse(socket, code)),
        }
    })
}

/// Buffers sized for chat frames, not tungstenite's 128 KiB defaults: an idle socket holds
/// little, and a client that stops reading cannot make the server hold more than
/// [`WRITE_BUFFER_MAX`] for it (its writes then wait, and it is closed with 4408). Frames over
/// the protocol's limit are refused by the transport (the socket closes with 1009).
fn sized_for_chat(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(FRAME_MAX_BYTES)
        .max_frame_size(FRAME_MAX_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(WRITE_BUFFER_MAX)
}

/// Bytes read from the socket at a time: a typical chat frame fits (the buffer grows to hold a
/// larger frame whole). Allocated for every socket, so kept small.
const READ_BUFFER: usize = 1024;
/// Bytes gathered before they are written out.
const WRITE_BUFFER: usize = 4 * 1024;
/// The most a socket's writes may hold: a full buffer and one largest frame, twice.
const WRITE_BUFFER_MAX: usize = 2 * (WRITE_BUFFER + FRAME_MAX_BYTES + 16);

/// Who may connect: a parsable id of a live room, and a seat cookie of that room that holds
/// a seat. A refusal is sent as a close code, which browsers can read (a status cannot be).
/// Without a seat cookie nothing is asked of the store.
async fn admit(
    state: &AppState,
    raw: &str,
    cookies: &CookieJar,
    https: bool,
) -> Result<Admitted, CloseCode> {
    let room: RoomId = raw.parse().map_err(|_| CloseCode::RoomGone)?;
    let cookie = SeatCookie::read(cookies, &room, https).ok_or(CloseCode::NoSeat)?;
    let unavailable = |err: StoreError| {
        tracing::warn!(%err, "store unavailable during a WebSocket upgrade");
        CloseCode::Restarting
    };
    let store = &state.socket_services.store;
    let info = store.room(&room).await.map_err(unavailable)?.ok_or(CloseCode::RoomGone)?;
    let token = cookie.token.hash();
    let seat = match store.seat(&room, &token).await {
        Ok(seat) => seat.ok_or(CloseCode::NoSeat)?,
        Err(StoreError::Removed) => return Err(CloseCode::Removed),
        Err(err) => return Err(unavailable(err)),
    };
    Ok(Admitted { room, info, seat, token })
}

async fn refuse(mut socket: WebSocket, code: CloseCode) {
    let _ = socket.send(close(code)).await;
}

/// The life of an admitted socket. Set up here, outside the future, so the future holds only
/// what the socket uses (an async fn would keep room for its arguments all along).
fn serve(
    socket: WebSocket,
    admitted: Admitted,
    since: u64,
    state: AppState,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let Some(seat_socket) = state.seat_sockets.enter(&admitted.room, &admitted.seat) else {
        metrics::counter!(crate::metrics::RATE_LIMITED, "door" => "sockets_per_seat").increment(1);
        return Box::pin(refuse(socket, CloseCode::RateLimited));
    };
    let open = Open::count();
    let (sink, stream) = socket.split();
    let sink = sink.with(|out: WsOut| future::ready(Ok::<_, axum::Error>(to_axum(out))));
    let stream = stream.map(from_axum);
    let tasks = state.socket_services.tasks.clone();
    let socket = Socket {
        room: admitted.room,
        seat: admitted.seat,
        token: admitted.token,
        since,
        expires_at: admitted.info.expires_at,
        locked: admitted.info.locked,
        services: state.socket_services.clone(),
    };
    let span = tracing::info_span!("socket", id = NEXT_SOCKET.fetch_add(1, Ordering::Relaxed));
    // Tracked, so stopping the instance waits for the socket's goodbye.
    Box::pin(
        tasks.track(
            async move {
                let _held = (seat_socket, open);
                tracing::debug!(room = %socket.room, "socket open");
                let exit = socket::run(socket, Box::pin(sink), stream).await;
                tracing::debug!(?exit, "socket closed");
            }
            .instrument(span),
        ),
    )
}

/// Counts an open socket in `burner_sockets_open` while it lives.
struct Open;

impl Open {
    fn count() -> Self {
        metrics::gauge!(crate::metrics::SOCKETS_OPEN).increment(1.0);
        Open
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        metrics::gauge!(crate::metrics::SOCKETS_OPEN).decrement(1.0);
    }
}

/// Numbers sockets for the logs.
static NEXT_SOCKET: AtomicU64 = AtomicU64::new(1);

fn close(code: CloseCode) -> Message {
    Message::Close(Some(CloseFrame { code: code.code(), reason: code.reason().into() }))
}

fn to_axum(out: WsOut) -> Message {
    match out {
        WsOut::Text(text) => Message::Text(text),
        WsOut::Ping => Message::Ping(Default::default()),
        WsOut::Close(code) => close(code),
    }
}

fn from_axum(incoming: Result<Message, axum::Error>) -> WsIn {
    match incoming {
        Ok(Message::Text(text)) => WsIn::Text(text.as_str().to_owned()),
        Ok(Message::Binary(_)) => WsIn::Binary,
        Ok(Message::Ping(_) | Message::Pong(_)) => WsIn::Alive,
        Ok(Message::Close(_)) => WsIn::Close,
        Err(err) if over_limit(&err) => WsIn::TooBig,
        Err(_) => WsIn::Close,
    }
}

/// Whether the transport refused a frame or message over its size limit.
fn over_limit(err: &axum::Error) -> bool {
    use std::error::Error as _;
    use tungstenite::error::{CapacityError, Error};
    matches!(
        err.source().and_then(|source| source.downcast_ref::<Error>()),
        Some(Error::Capacity(CapacityError::MessageTooLong { .. }))
    )
}
