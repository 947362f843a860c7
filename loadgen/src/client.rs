//! One person, as the server sees them: a cookie jar for the seat, the server functions over
//! HTTP, and the room's WebSocket — all as docs/PROTOCOL.md describes them.

use crate::envelope::{Purpose, RoomKey, seat_id};
use anyhow::{Context, bail};
use reqwest::cookie::{CookieStore, Jar};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A frame from the server (fields this client does not use are ignored).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        you: SeatRef,
        /// Whether the welcome carries everything after `since` (false: more was missed).
        #[serde(default = "yes")]
        recovered: bool,
    },
    Message {
        seq: u64,
        client_id: String,
        sender: SeatRef,
        body: String,
    },
    Presence {},
    Typing {},
    Ended {},
    Error {
        code: String,
    },
}

fn yes() -> bool {
    true
}

/// A seat as frames carry it (its sealed name is not needed here).
#[derive(Debug, Deserialize)]
pub struct SeatRef {
    pub id: String,
}

pub struct Person {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
    addr: SocketAddr,
}

impl Person {
    /// Someone using the instance at `base` (`http://host:port`).
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder().cookie_provider(jar.clone()).build()?;
        let url = reqwest::Url::parse(base).context("an instance URL")?;
        let addr = url.socket_addrs(|| None)?.into_iter().next().context("an address")?;
        Ok(Person { http, jar, base: base.trim_end_matches('/').to_owned(), addr })
    }

    async fn call(&self, endpoint: &str, body: Value) -> anyhow::Result<Value> {
        let url = format!("{}/api/{endpoint}", self.base);
        let response = self.http.post(url).json(&body).send().await?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{endpoint}: {status} {answer}");
        }
        Ok(answer)
    }

    /// Creates a room (`capacity` seats) and takes its first seat under `name`; returns the
    /// room id and its key.
    pub async fn create(&self, capacity: usize, name: &str) -> anyhow::Result<(String, RoomKey)> {
        let key = RoomKey::generate();
        let create = json!({ "capacity": capacity, "verifier": key.verifier() });
        let created = self.call("create_room", create).await?;
        let room = created["room_id"].as_str().context("a room id")?.to_owned();
        let key = key.for_room(&room);
        self.take_seat(&room, &key, name, Some(key.seal(Purpose::KeyCheck, "burner key check")))
            .await?;
        Ok((room, key))
    }

    /// Takes a seat in `room` under `name`.
    pub async fn join(&self, room: &str, key: &RoomKey, name: &str) -> anyhow::Result<()> {
        self.take_seat(room, key, name, None).await
    }

    async fn take_seat(
        &self,
        room: &str,
        key: &RoomKey,
        name: &str,
        key_check: Option<String>,
    ) -> anyhow::Result<()> {
        let seat = seat_id();
        let name = key.seal(Purpose::Name { seat: &seat }, name);
        let join = json!({
            "room_id": room, "seat_id": seat, "name": name, "key_check": key_check,
            "proof": key.proof(),
        });
        self.call("join_room", join).await.map(drop)
    }

    /// Opens the room's WebSocket (from `source`, when given), resuming after sequence number
    /// `since`, and reads `welcome`; returns the socket, its seat id, and whether the welcome
    /// carries everything missed.
    pub async fn connect(
        &self,
        room: &str,
        since: u64,
        source: Option<IpAddr>,
    ) -> anyhow::Result<(Socket, String, bool)> {
        let ws_base = self.base.replacen("http", "ws", 1);
        let mut request = format!("{ws_base}/ws/{room}?since={since}").into_client_request()?;
        let url = reqwest::Url::parse(&self.base)?;
        let cookie = self.jar.cookies(&url).context("a seat cookie")?;
        request.headers_mut().insert("cookie", cookie);
        request.headers_mut().insert("origin", self.base.parse()?);
        let tcp = match self.addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        if let Some(source) = source {
            tcp.bind(SocketAddr::new(source, 0))?;
        }
        let stream = tcp.connect(self.addr).await?;
        stream.set_nodelay(true)?;
        // A small read buffer, as the server keeps one: tungstenite zeroes its read buffer's
        // free space before each read, and its 128 KiB default made that the generator's main
        // cost (a memset per frame received).
        let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(4096);
        let (mut socket, _) = tokio_tungstenite::client_async_with_config(
            request,
            MaybeTlsStream::Plain(stream),
            Some(config),
        )
        .await?;
        match next_frame(&mut socket).await? {
            Some(ServerFrame::Welcome { you, recovered }) => Ok((socket, you.id, recovered)),
            other => bail!("expected welcome, got {other:?}"),
        }
    }
}

/// The next frame from the server (pings skipped); `None` when the socket closed.
pub async fn next_frame(socket: &mut Socket) -> anyhow::Result<Option<ServerFrame>> {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    while let Some(message) = socket.next().await {
        match message? {
            Message::Text(text) => return Ok(Some(serde_json::from_str(text.as_str())?)),
            Message::Close(_) => return Ok(None),
            _ => continue,
        }
    }
    Ok(None)
}
