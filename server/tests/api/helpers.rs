//! Test helpers: real Redis, real apps on port 0, real HTTP and WebSocket clients.

use crate::sealing::{RoomKey, key_of, remember_key, sealed_message};
use app::model::{RoomId, Seat};
use app::protocol::{ClientFrame, ServerFrame};
use app::store::StoreLimits;
use futures::{SinkExt, StreamExt};
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{Value, json};
use server::backend::Backend;
use server::settings::Settings;
use server::startup::Application;
use server::tasks::Tasks;
use server::ws::socket::Timing;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Which backend a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Embedded,
    Redis,
    /// A Redis Cluster started by the tests (one per test process, shared).
    Cluster,
}

static CLUSTER: OnceLock<crate::local_cluster::LocalCluster> = OnceLock::new();

/// This test process's local Redis Cluster, started on first use.
pub fn cluster() -> &'static crate::local_cluster::LocalCluster {
    CLUSTER.get_or_init(crate::local_cluster::LocalCluster::start)
}

static REDIS: OnceLock<String> = OnceLock::new();

/// `REDIS_URL`, or a throwaway `redis-server` on a free port that stops with this process.
pub fn redis_url() -> String {
    REDIS.get_or_init(|| std::env::var("REDIS_URL").unwrap_or_else(|_| private_redis())).clone()
}

/// A `redis-server` of the caller's own on a free port, stopped when this process ends (for
/// tests that disturb Redis itself).
pub fn private_redis() -> String {
    let installed = Command::new("redis-server").arg("--version").output().is_ok();
    assert!(
        installed,
        "these tests need Redis: set REDIS_URL, or install redis-server \
         (Debian: apt-get install redis-server)"
    );
    let port = free_port();
    spawn_watched(
        &format!("redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no"),
        port,
    );
    format!("redis://127.0.0.1:{port}")
}

/// Runs the shell `command`, a server that listens on `port`, under a watchdog that stops it
/// (SIGKILL) when this test process ends, however it ends; returns once the port answers.
#[allow(clippy::zombie_processes)]
pub fn spawn_watched(command: &str, port: u16) {
    let me = std::process::id();
    // The watchdog is never waited for: it outlives this process by design.
    let script = format!(
        "{command} & r=$!; \
         while kill -0 {me} 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 0.5; done; \
         kill -9 $r 2>/dev/null"
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting a server");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{command:?} did not start on port {port}");
}

/// A TCP port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The secret every test instance names client addresses with (siblings share it, as the
/// instances of one deployment do).
pub fn secret() -> server::address_secret::AddressSecret {
    server::address_secret::AddressSecret::new("the tests' address secret")
}

/// A key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("test-{}", nanoid::nanoid!(10, &nanoid::alphabet::SAFE[2..]))
}

/// A backend of `kind`; Redis ones get a prefix of their own.
pub async fn backend(kind: Kind, history: impl Into<StoreLimits>) -> (Backend, String) {
    let prefix = unique_prefix();
    (backend_at(kind, &prefix, history).await, prefix)
}

/// A backend of `kind` under `prefix`: another instance of a deployment when one already uses
/// it (Redis kinds; an embedded backend is always on its own).
pub async fn backend_at(kind: Kind, prefix: &str, history: impl Into<StoreLimits>) -> Backend {
    match kind {
        Kind::Embedded => Backend::embedded(history),
        Kind::Redis => {
            Backend::redis(&redis_url(), prefix, secret(), history).await.expect("Redis")
        }
        Kind::Cluster => {
            let target = server::redis_conn::RedisTarget::cluster(&cluster().urls());
            Backend::redis_at(target, prefix, secret(), history).await.expect("Redis Cluster")
        }
    }
}

/// A raw Redis connection, to look at what the store left behind.
pub async fn redis_conn() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .expect("Redis URL")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis connection")
}

/// Every key under `prefix`, in the shared Redis and in the local cluster if one runs.
pub async fn redis_keys(prefix: &str) -> Vec<String> {
    let mut conn = redis_conn().await;
    let pattern = format!("{prefix}:*");
    let mut keys: Vec<String> =
        redis::cmd("KEYS").arg(&pattern).query_async(&mut conn).await.expect("KEYS");
    if let Some(cluster) = CLUSTER.get() {
        keys.extend(cluster.keys(&pattern));
    }
    keys.sort();
    keys
}

/// A running application.
pub struct TestApp {
    pub addr: SocketAddr,
    pub prefix: String,
    /// The instance's tasks: `tasks.stop()` stops it.
    pub tasks: Tasks,
    pub stopped: tokio::task::JoinHandle<()>,
}

/// The release build's list of asset hashes: beside the release server binary, in the same
/// target folder as this test binary (`<target>/debug/deps/api-…`).
pub fn release_hash_file() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let target = exe.ancestors().nth(3).unwrap_or(std::path::Path::new("target"));
    target.join("release/hash.txt").display().to_string()
}

/// Settings to serve the release build's site (its pages load the wasm): `root` and the
/// asset hashes the build wrote.
pub fn serve_release_site(settings: &mut Settings, root: &str) {
    settings.site.root = root.to_owned();
    settings.site.hash_files = true;
    settings.site.hash_file = release_hash_file();
}

/// Settings for a test app: port 0, second-long lifetimes offered, limits out of the way.
pub fn test_settings() -> Settings {
    let mut settings = Settings::defaults();
    settings.site.addr = ([127, 0, 0, 1], 0).into();
    settings.rooms.lifetimes_secs = vec![1, 2, 3, 300, 600, 3600, 86400];
    settings.limits.rooms_per_minute = 1000;
    settings.limits.rooms_alive_per_address = 1_000_000;
    settings.limits.messages_burst = 1000;
    settings.limits.messages_per_second = 1000.0;
    settings.limits.actions_per_minute = 1000;
    settings.log.filter = "warn".into();
    // Many apps run in one test process: none serves metrics.
    settings.metrics.addr = None;
    // The test binary has no hash.txt beside it; the site test points at the release build's.
    settings.site.hash_files = false;
    settings
}

impl TestApp {
    pub async fn spawn(kind: Kind) -> Self {
        Self::spawn_with(kind, |_| {}).await
    }

    /// An app whose test settings `change` adjusts first.
    pub async fn spawn_with(kind: Kind, change: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = test_settings();
        change(&mut settings);
        assert!(settings.validate_all().is_ok(), "test settings break a rule");
        let (backend, prefix) = backend(kind, settings.store_limits()).await;
        Self::start(settings, backend, prefix, Timing::default()).await
    }

    /// Another instance sharing this one's Redis prefix (a second server of one deployment).
    pub async fn sibling(&self) -> Self {
        let settings = test_settings();
        let backend = Backend::redis(&redis_url(), &self.prefix, secret(), settings.store_limits())
            .await
            .expect("Redis");
        Self::start(settings, backend, self.prefix.clone(), Timing::default()).await
    }

    pub async fn start(
        settings: Settings,
        backend: Backend,
        prefix: String,
        timing: Timing,
    ) -> Self {
        server::telemetry::init(&settings.log).expect("the test log filter");
        let app = Application::with_backend(settings, backend, timing).await.expect("app");
        let addr = app.local_addr();
        let tasks = app.tasks();
        let stopped = tokio::spawn(async move {
            let _ = app.run().await;
        });
        TestApp { addr, prefix, tasks, stopped }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A new visitor: an HTTP client with its own cookie jar.
    pub fn visitor(&self) -> Visitor {
        Visitor::new(self.addr)
    }
}

/// A `join_room` body for a new seat called `name` in `room`, proving its link.
pub fn join_body(room: &RoomId, name: &str) -> Value {
    let key = key_of(room);
    let seat = key.new_seat(room, name);
    json!({ "room_id": room, "seat_id": seat.id, "name": seat.name, "proof": key.proof() })
}

/// `base` with the fields of `extra` put in (a `null` removes one).
pub fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        for (field, value) in extra {
            match value {
                Value::Null => base.remove(&field),
                value => base.insert(field, value),
            };
        }
    }
    base
}

/// A `create_room` body with these options and a new link secret's verifier.
pub fn create_body(options: Value) -> Value {
    merged(options, json!({ "verifier": RoomKey::generate().verifier() }))
}

/// One browser, as far as the server can tell: a cookie jar and an address.
#[derive(Clone)]
pub struct Visitor {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    pub addr: SocketAddr,
    /// The loopback address this visitor connects from (another client, as the server sees
    /// it); the system's choice when `None`.
    pub source: Option<std::net::IpAddr>,
}

/// An API answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub set_cookie: Option<String>,
}

impl Visitor {
    pub fn new(addr: SocketAddr) -> Self {
        Self::from_source(addr, None)
    }

    /// A visitor connecting from `source` (say 127.0.0.2: another client address on loopback).
    pub fn from_source(addr: SocketAddr, source: Option<std::net::IpAddr>) -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .local_address(source)
            .build()
            .expect("client");
        Visitor { http, jar, addr, source }
    }

    /// The same cookies, talking to another instance.
    pub fn at(&self, other: &TestApp) -> Visitor {
        let mut visitor = self.clone();
        visitor.addr = other.addr;
        visitor
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Calls a server function with a JSON body.
    pub async fn call(&self, endpoint: &str, body: Value) -> Answer {
        let response = self
            .http
            .post(format!("{}/api/{endpoint}", self.base()))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let set_cookie =
            response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body, set_cookie }
    }

    /// Creates a room with these options, bound to a new link secret (its membership
    /// verifier is added to the options); returns its id (its secret is [`sealing::key_of`]).
    pub async fn create_room(&self, options: Value) -> RoomId {
        let answer = self.create(options).await;
        assert_eq!(answer.status, 200, "create_room: {answer:?}");
        answer.body["room_id"].as_str().and_then(|s| s.parse().ok()).expect("room id")
    }

    /// Calls `create_room` with these options and a new link secret's verifier; the secret is
    /// remembered for the room made, if one is.
    pub async fn create(&self, mut options: Value) -> Answer {
        let key = RoomKey::generate();
        options["verifier"] = json!(key.verifier());
        let answer = self.call("create_room", options).await;
        if let Some(room) = answer.body["room_id"].as_str().and_then(|s| s.parse().ok()) {
            remember_key(&room, key);
        }
        answer
    }

    /// Takes a new seat under `name`, sealed for it with the room's key, proving the link
    /// (with the key check, of which only the first seat's is kept).
    pub async fn join(&self, room: &RoomId, name: &str) -> Answer {
        let key = key_of(room);
        self.join_with(room, &key.new_seat(room, name), &key.proof()).await
    }

    /// Asks for `seat` in `room` with this membership `proof`.
    pub async fn join_with(&self, room: &RoomId, seat: &Seat, proof: &str) -> Answer {
        let check = key_of(room).key_check(room);
        let body = json!({
            "room_id": room, "seat_id": seat.id, "name": seat.name, "key_check": check,
            "proof": proof,
        });
        self.call("join_room", body).await
    }

    /// Creates a room (default options) and takes a seat in it.
    pub async fn room_with_seat(&self, name: &str) -> RoomId {
        let room = self.create_room(json!({})).await;
        let answer = self.join(&room, name).await;
        assert_eq!(answer.status, 200, "join_room: {answer:?}");
        room
    }

    /// GETs a page as a browser navigation would (`Accept: text/html`).
    pub async fn page(&self, path: &str, extra: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let mut request =
            self.http.get(format!("{}{path}", self.base())).header("accept", "text/html");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("page");
        let status = response.status().as_u16();
        let location =
            response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        (status, location, response.text().await.unwrap_or_default())
    }

    /// The Cookie header this visitor would send.
    pub fn cookie_header(&self) -> Option<HeaderValue> {
        let url = reqwest::Url::parse(&self.base()).ok()?;
        let value = self.jar.cookies(&url)?;
        HeaderValue::from_bytes(value.as_bytes()).ok()
    }

    /// Opens `/ws/{room}?since=…` from the site's own origin.
    pub async fn connect(&self, room: &RoomId, since: u64) -> Socket {
        let origin = self.base();
        self.connect_from(room, since, Some(&origin)).await.expect("WebSocket upgrade")
    }

    /// Opens the room's socket with nothing held yet and waits for `welcome`.
    pub async fn enter(&self, room: &RoomId) -> Socket {
        let mut socket = self.connect(room, 0).await;
        socket.welcome().await;
        socket
    }

    /// Opens a socket with a chosen Origin header; `Err` holds the HTTP status of a refusal.
    pub async fn connect_from(
        &self,
        room: &RoomId,
        since: u64,
        origin: Option<&str>,
    ) -> Result<Socket, u16> {
        self.connect_with_query(room, &format!("since={since}"), origin).await
    }

    /// Opens `/ws/{room}?{query}` with this Origin; `Err` holds the status of a refusal.
    pub async fn connect_with_query(
        &self,
        room: &RoomId,
        query: &str,
        origin: Option<&str>,
    ) -> Result<Socket, u16> {
        match self.try_connect(room, query, origin).await {
            Ok(socket) => Ok(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(other) => panic!("WebSocket connect failed: {other}"),
        }
    }

    /// Opens `/ws/{room}?{query}`; any failure (a dead instance, say) is an error, not a panic.
    pub async fn try_connect(
        &self,
        room: &RoomId,
        query: &str,
        origin: Option<&str>,
    ) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        let url = format!("ws://{}/ws/{room}?{query}", self.addr);
        let mut request = url.into_client_request()?;
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", HeaderValue::from_str(origin).expect("origin"));
        }
        if let Some(cookie) = self.cookie_header() {
            request.headers_mut().insert("cookie", cookie);
        }
        let connect = async {
            let tcp = tokio::net::TcpSocket::new_v4()?;
            if let Some(source) = self.source {
                tcp.bind(SocketAddr::new(source, 0))?;
            }
            let stream = tcp.connect(self.addr).await?;
            stream.set_nodelay(true)?;
            tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await
        };
        match tokio::time::timeout(WAIT, connect).await {
            Ok(connected) => {
                connected.map(|(stream, _)| Socket { stream, room: room.clone(), seat: None })
            }
            Err(_) => Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed),
        }
    }
}

/// A WebSocket client speaking the Burner protocol, sealing with its room's key.
pub struct Socket {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub room: RoomId,
    /// This socket's seat id, once its `welcome` has been read (messages are sealed for it).
    pub seat: Option<String>,
}

/// What came next on a socket.
#[derive(Debug, PartialEq)]
pub enum Next {
    Frame(ServerFrame),
    Closed(Option<u16>),
}

const WAIT: Duration = Duration::from_secs(5);

impl Socket {
    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_text(&frame.encode().expect("encodable")).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.try_send_text(text).await.expect("send");
    }

    async fn try_send_text(
        &mut self,
        text: &str,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        self.stream.send(Message::Text(text.into())).await
    }

    pub async fn say(&mut self, client_id: &str, text: &str) {
        self.try_say(client_id, text).await.expect("send");
    }

    /// Like [`Socket::say`], with the error when the connection is gone (a server killed or
    /// restarting closes it under a client that is still sending).
    pub async fn try_say(
        &mut self,
        client_id: &str,
        text: &str,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        let seat = self.seat.as_deref().expect("a socket says something after its welcome");
        let body = sealed_message(&self.room, seat, client_id, text);
        let frame = ClientFrame::Send { client_id: client_id.into(), body };
        self.try_send_text(&frame.encode().expect("encodable")).await
    }

    /// The next frame or close, skipping pings; panics after five seconds of silence.
    pub async fn next(&mut self) -> Next {
        self.next_within(WAIT).await.unwrap_or_else(|| panic!("nothing arrived within {WAIT:?}"))
    }

    /// Like [`Socket::next`], `None` when nothing arrives within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Next> {
        loop {
            let item = tokio::time::timeout(wait, self.stream.next()).await.ok()?;
            return Some(match item {
                Some(Ok(Message::Text(text))) => {
                    let frame = ServerFrame::decode(text.as_str()).expect("a server frame");
                    if let ServerFrame::Welcome { you, .. } = &frame {
                        self.seat = Some(you.id.clone());
                    }
                    Next::Frame(frame)
                }
                Some(Ok(Message::Close(frame))) => Next::Closed(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Next::Closed(None),
            });
        }
    }

    /// The next frame, which must not be a close.
    pub async fn frame(&mut self) -> ServerFrame {
        match self.next().await {
            Next::Frame(frame) => frame,
            Next::Closed(code) => panic!("socket closed ({code:?}) while a frame was expected"),
        }
    }

    /// The next frame that answers this client (presence, typing and joining news are skipped).
    pub async fn reply(&mut self) -> ServerFrame {
        loop {
            match self.frame().await {
                ServerFrame::Presence { .. }
                | ServerFrame::Typing { .. }
                | ServerFrame::Joined { .. } => continue,
                other => return other,
            }
        }
    }

    /// Frames until the next `message`, which is returned (presence, typing and joining news are
    /// skipped).
    pub async fn message(&mut self) -> app::model::ChatMessage {
        loop {
            match self.frame().await {
                ServerFrame::Message(message) => return message,
                ServerFrame::Presence { .. }
                | ServerFrame::Typing { .. }
                | ServerFrame::Joined { .. } => continue,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// The `welcome` frame every connection starts with.
    pub async fn welcome(&mut self) -> ServerFrame {
        let frame = self.frame().await;
        assert!(matches!(frame, ServerFrame::Welcome { .. }), "expected welcome, got {frame:?}");
        frame
    }

    /// Skips frames until `ended`, checks that the socket then closes normally, and returns
    /// the reason.
    pub async fn ended(&mut self) -> app::model::EndReason {
        loop {
            match self.next().await {
                Next::Frame(ServerFrame::Ended { reason }) => {
                    assert_eq!(self.closed().await, Some(1000), "closed normally after ended");
                    return reason;
                }
                Next::Frame(_) => continue,
                Next::Closed(code) => panic!("closed ({code:?}) before ended"),
            }
        }
    }

    /// Skips frames until the socket closes; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Next::Closed(code) = self.next().await {
                return code;
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
