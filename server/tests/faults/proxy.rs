//! A TCP proxy between a server and Redis that can turn its pub/sub connection (the one that
//! sent SUBSCRIBE) into a black hole: it stays open, but no byte passes either way. Other
//! connections, and connections made later, pass. It can also stall the command connections
//! (every one but pub/sub) for a while, as a Redis busy for that long would look to them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct FaultProxy {
    addr: SocketAddr,
    /// Pub/sub connections numbered below this pass nothing.
    silent_below: Arc<AtomicU64>,
    next: Arc<AtomicU64>,
    /// Until when commands wait before they pass.
    stalled_until: Stall,
}

type Stall = Arc<Mutex<Option<tokio::time::Instant>>>;

/// One proxied connection, as both directions see it.
struct Link {
    id: u64,
    /// Whether the client has subscribed on it.
    pubsub: AtomicBool,
}

impl FaultProxy {
    /// A proxy to `upstream`, passing everything for now.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let addr = listener.local_addr().expect("proxy address");
        let silent_below = Arc::new(AtomicU64::new(0));
        let next = Arc::new(AtomicU64::new(0));
        let stalled_until = Stall::default();
        let (silent, counter, stall) = (silent_below.clone(), next.clone(), stalled_until.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let link = Arc::new(Link {
                    id: counter.fetch_add(1, Ordering::SeqCst),
                    pubsub: AtomicBool::new(false),
                });
                let Ok(server) = TcpStream::connect(upstream).await else { continue };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                let to_server = Some(stall.clone());
                tokio::spawn(pipe(
                    client_read,
                    server_write,
                    link.clone(),
                    silent.clone(),
                    to_server,
                ));
                tokio::spawn(pipe(server_read, client_write, link, silent.clone(), None));
            }
        });
        FaultProxy { addr, silent_below, next, stalled_until }
    }

    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// The pub/sub connection open now goes silent, both ways, without closing.
    pub fn blackhole_pubsub(&self) {
        self.silent_below.store(self.next.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// Every pub/sub connection, open now or opened later, goes silent: a path to Redis that
    /// stays broken for subscriptions while commands pass.
    pub fn silence_every_subscription(&self) {
        self.silent_below.store(u64::MAX, Ordering::SeqCst);
    }

    /// Pub/sub connections opened from now on pass again.
    pub fn heal(&self) {
        self.silent_below.store(self.next.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// Commands sent in the next `time` (on every connection but pub/sub) reach Redis only
    /// once it is over, in the order they were sent.
    pub fn stall_commands(&self, time: Duration) {
        let until = tokio::time::Instant::now() + time;
        *self.stalled_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(until);
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Arc<Link>,
    silent_below: Arc<AtomicU64>,
    // The stall, on the way from the client (the server under test) to Redis.
    stall: Option<Stall>,
) {
    let from_client = stall.is_some();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let bytes = &buffer[..read];
        if from_client && bytes.windows(9).any(|w| w.eq_ignore_ascii_case(b"SUBSCRIBE")) {
            link.pubsub.store(true, Ordering::SeqCst);
        }
        let silent =
            link.pubsub.load(Ordering::SeqCst) && link.id < silent_below.load(Ordering::SeqCst);
        if silent {
            // A black hole: swallow what arrives, send nothing, keep the connection open.
            continue;
        }
        let until = stall.as_ref().and_then(|s| *s.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(until) = until.filter(|_| !link.pubsub.load(Ordering::SeqCst)) {
            tokio::time::sleep_until(until).await;
        }
        if to.write_all(bytes).await.is_err() {
            return;
        }
    }
}
