//! A TCP proxy between a server and Redis that can turn its pub/sub connection (the one that
//! sent SUBSCRIBE) into a black hole: it stays open, but no byte passes either way. Other
//! connections, and connections made later, pass.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct FaultProxy {
    addr: SocketAddr,
    /// Pub/sub connections numbered below this pass nothing.
    silent_below: Arc<AtomicU64>,
    next: Arc<AtomicU64>,
}

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
        let (silent, counter) = (silent_below.clone(), next.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let link = Arc::new(Link {
                    id: counter.fetch_add(1, Ordering::SeqCst),
                    pubsub: AtomicBool::new(false),
                });
                let Ok(server) = TcpStream::connect(upstream).await else { continue };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pipe(client_read, server_write, link.clone(), silent.clone(), true));
                tokio::spawn(pipe(server_read, client_write, link, silent.clone(), false));
            }
        });
        FaultProxy { addr, silent_below, next }
    }

    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// The pub/sub connection open now goes silent, both ways, without closing.
    pub fn blackhole_pubsub(&self) {
        self.silent_below.store(self.next.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Arc<Link>,
    silent_below: Arc<AtomicU64>,
    from_client: bool,
) {
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
        if to.write_all(bytes).await.is_err() {
            return;
        }
    }
}
