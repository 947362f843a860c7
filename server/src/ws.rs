//! `GET /ws/{room_id}?since=<seq>`: the WebSocket edge. The upgrade checks the Origin and the
//! seat cookie before accepting; the session itself lives in [`session`].

mod origin;
pub mod session;

use crate::hub::Hub;
use crate::shutdown::Sessions;
use app::model::{FRAME_MAX_BYTES, RoomId};
use app::protocol::CloseCode;
use app::rate_limit::RateLimiter;
use app::seat::{TokenHash, read_seat_cookie};
use app::store::{RoomInfo, RoomStore, Seat};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt, future};
use session::{Session, Timing, WsIn, WsOut};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::watch;

/// The transport's own limit; frames between [`FRAME_MAX_BYTES`] and this are refused by the
/// session with close code 1009, larger ones by the transport.
const TRANSPORT_MAX_BYTES: usize = 1024 * 1024;

/// What the WebSocket edge needs.
#[derive(Clone)]
pub struct WsState {
    pub store: Arc<dyn RoomStore>,
    pub hub: Arc<Hub>,
    pub limiter: Arc<RateLimiter>,
    pub allowed_origins: Arc<Vec<String>>,
    pub shutdown: watch::Receiver<bool>,
    pub sessions: Sessions,
    pub timing: Timing,
}

/// A seated visitor, checked before the upgrade is accepted.
struct Admitted {
    room: RoomId,
    info: RoomInfo,
    seat: Seat,
    token: TokenHash,
}

pub async fn upgrade(
    State(state): State<WsState>,
    Path(raw_room): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin::allowed(&headers, &state.allowed_origins) {
        return (StatusCode::FORBIDDEN, "This page may not open a Burner WebSocket.\n")
            .into_response();
    }
    let since = query.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
    let admission = admit(&state, &raw_room, &headers).await;
    ws.max_message_size(TRANSPORT_MAX_BYTES).max_frame_size(TRANSPORT_MAX_BYTES).on_upgrade(
        move |socket| async move {
            match admission {
                Ok(admitted) => serve(socket, admitted, since, state).await,
                Err(code) => refuse(socket, code).await,
            }
        },
    )
}

/// Who may connect: a parsable id of a live room, and a seat cookie of that room that holds
/// a seat. A refusal is sent as a close code, which browsers can read (a status cannot be).
async fn admit(state: &WsState, raw: &str, headers: &HeaderMap) -> Result<Admitted, CloseCode> {
    let room: RoomId = raw.parse().map_err(|_| CloseCode::RoomGone)?;
    let unavailable = |err: app::store::StoreError| {
        tracing::warn!(%err, "store unavailable during a WebSocket upgrade");
        CloseCode::Restarting
    };
    let info = state.store.room(&room).await.map_err(unavailable)?.ok_or(CloseCode::RoomGone)?;
    let cookie = read_seat_cookie(headers, &room).ok_or(CloseCode::NoSeat)?;
    let token = cookie.token.hash();
    let seat =
        state.store.seat(&room, &token).await.map_err(unavailable)?.ok_or(CloseCode::NoSeat)?;
    Ok(Admitted { room, info, seat, token })
}

async fn refuse(mut socket: WebSocket, code: CloseCode) {
    let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

async fn serve(socket: WebSocket, admitted: Admitted, since: u64, state: WsState) {
    let _active = state.sessions.enter();
    let (sink, stream) = socket.split();
    let sink = sink.with(|out: WsOut| future::ready(Ok::<_, axum::Error>(to_axum(out))));
    let stream = stream.map(from_axum);
    let session = Session {
        room: admitted.room,
        seat: admitted.seat,
        token: admitted.token,
        since,
        expires_at: admitted.info.expires_at,
        store: state.store,
        hub: state.hub,
        limiter: state.limiter,
        shutdown: state.shutdown,
        timing: state.timing,
    };
    let exit = session::run(session, Box::pin(sink), stream).await;
    tracing::debug!(?exit, "socket closed");
}

fn to_axum(out: WsOut) -> Message {
    match out {
        WsOut::Text(text) => Message::Text(text.into()),
        WsOut::Ping => Message::Ping(Default::default()),
        WsOut::Close(code) => {
            Message::Close(Some(CloseFrame { code: code.code(), reason: code.reason().into() }))
        }
    }
}

fn from_axum(incoming: Result<Message, axum::Error>) -> WsIn {
    match incoming {
        Ok(Message::Text(text)) if text.len() > FRAME_MAX_BYTES => WsIn::TooBig,
        Ok(Message::Text(text)) => WsIn::Text(text.as_str().to_owned()),
        Ok(Message::Binary(_)) => WsIn::Binary,
        Ok(Message::Ping(_) | Message::Pong(_)) => WsIn::Alive,
        Ok(Message::Close(_)) => WsIn::Close,
        // The transport refuses frames over its own limit with an error, not a frame.
        Err(err) if err.to_string().contains("too long") => WsIn::TooBig,
        Err(_) => WsIn::Close,
    }
}
