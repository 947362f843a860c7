//! The gate every TCP connection passes before HTTP (or TLS) sees it: a cap on connections open
//! at once, in total and per client address, answered at accept by closing the connection (no
//! byte read, no task beyond the accept); and an idle timeout on every connection, whatever it
//! speaks: one that sends nothing for `idle` — a TLS handshake that never finishes, an HTTP/2
//! connection that sent only its preface, a keep-alive connection left open — is closed. Open
//! WebSockets are never idle that long: browsers answer the server's ping every 25 s.

use app::rate_limit::ClientKey;
use axum_server::accept::Accept;
use std::collections::HashMap;
use std::future::{Ready, ready};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// How many connections may be open, and for how long one may stay silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateLimits {
    pub total: usize,
    /// Per client address (an IPv6 /64); `None` behind a trusted proxy, where every
    /// connection comes from the proxy (it should cap per client itself).
    pub per_address: Option<usize>,
    pub idle: Duration,
}

/// Counts open connections; shared by the acceptor and every connection's slot.
#[derive(Debug)]
struct Count {
    total: usize,
    by_address: HashMap<ClientKey, usize>,
}

/// The acceptor: sets `TCP_NODELAY` (chat frames are small), admits or refuses, and wraps what
/// it admits in an idle timeout.
#[derive(Clone, Debug)]
pub struct Gate {
    limits: GateLimits,
    count: Arc<Mutex<Count>>,
}

/// Why a connection was refused at the gate (the `reason` label of the metric).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Total,
    Address,
}

impl Refusal {
    fn label(self) -> &'static str {
        match self {
            Refusal::Total => "total",
            Refusal::Address => "address",
        }
    }
}

impl Gate {
    pub fn new(limits: GateLimits) -> Self {
        let count = Count { total: 0, by_address: HashMap::new() };
        Gate { limits, count: Arc::new(Mutex::new(count)) }
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().total
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Count> {
        self.count.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for a connection from `peer`, or why there is none.
    pub fn admit(&self, peer: SocketAddr) -> Result<Slot, Refusal> {
        let key = ClientKey::from(peer.ip());
        let mut count = self.lock();
        if count.total >= self.limits.total {
            return Err(Refusal::Total);
        }
        let from_here = count.by_address.get(&key).copied().unwrap_or(0);
        if self.limits.per_address.is_some_and(|max| from_here >= max) {
            return Err(Refusal::Address);
        }
        count.total += 1;
        count.by_address.insert(key, from_here + 1);
        metrics::gauge!(crate::metrics::CONNECTIONS_OPEN).set(count.total as f64);
        Ok(Slot { count: self.count.clone(), key })
    }
}

/// A connection's place in the count, given back when the connection ends.
#[derive(Debug)]
pub struct Slot {
    count: Arc<Mutex<Count>>,
    key: ClientKey,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        count.total = count.total.saturating_sub(1);
        if let Some(n) = count.by_address.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                count.by_address.remove(&self.key);
            }
        }
        metrics::gauge!(crate::metrics::CONNECTIONS_OPEN).set(count.total as f64);
    }
}

impl<S> Accept<TcpStream, S> for Gate {
    type Stream = Gated<TcpStream>;
    type Service = S;
    type Future = Ready<io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let admitted = stream.peer_addr().and_then(|peer| {
            self.admit(peer).map_err(|refusal| {
                let reason = refusal.label();
                metrics::counter!(crate::metrics::CONNECTIONS_REFUSED, "reason" => reason)
                    .increment(1);
                io::Error::other(format!("connection refused at the gate: {reason}"))
            })
        });
        ready(admitted.and_then(|slot| {
            stream.set_nodelay(true)?;
            Ok((Gated::new(stream, slot, self.limits.idle), service))
        }))
    }
}

/// A connection that holds its slot and ends after `idle` without a byte from the client.
pub struct Gated<T> {
    inner: T,
    _slot: Slot,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> Gated<T> {
    fn new(inner: T, slot: Slot, idle: Duration) -> Self {
        Gated { inner, _slot: slot, idle, deadline: Box::pin(tokio::time::sleep(idle)) }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Gated<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    let next = Instant::now() + self.idle;
                    self.deadline.as_mut().reset(next);
                }
                Poll::Ready(result)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    metrics::counter!(crate::metrics::CONNECTIONS_IDLE_CLOSED).increment(1);
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "idle connection")))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Gated<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// How often memory freed by ended connections is handed back to the system.
const GIVE_BACK_EVERY: Duration = Duration::from_secs(10);
/// Free memory the allocator keeps whatever the rest: a little is always reused at once.
const KEEP_FREE_BYTES: usize = 4 * 1024 * 1024;

/// Hands memory the allocator holds but no longer uses back to the system, every
/// [`GIVE_BACK_EVERY`], when it holds more than [`KEEP_FREE_BYTES`] of it and more than a
/// quarter of what is in use: after a burst (thousands of HTTP/2 streams, say), not under steady
/// load, where the free blocks are reused at once and handing them back would only have them
/// faulted in again (measured: 8% of an instance's CPU per message at 2,000 messages a second).
/// glibc's allocator keeps what a burst freed in its per-thread arenas, so without this a
/// process's resident memory stays at its peak for good; `malloc_trim` returns those pages (it
/// takes well under a millisecond on a heap of tens of MB).
pub async fn give_back_memory() {
    let mut every = tokio::time::interval(GIVE_BACK_EVERY);
    loop {
        every.tick().await;
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallinfo2 reads the allocator's counters and malloc_trim only releases free
        // memory the allocator owns; neither takes a pointer, and both may be called from any
        // thread at any time.
        unsafe {
            let heap = libc::mallinfo2();
            if heap.fordblks > KEEP_FREE_BYTES.max(heap.uordblks / 4) {
                libc::malloc_trim(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(total: usize, per_address: Option<usize>) -> Gate {
        Gate::new(GateLimits { total, per_address, idle: Duration::from_secs(60) })
    }

    fn from(ip: [u8; 4]) -> SocketAddr {
        SocketAddr::from((ip, 40_000))
    }

    #[test]
    fn an_address_gets_its_share_and_the_total_is_a_ceiling() {
        let gate = gate(3, Some(2));
        let a1 = gate.admit(from([10, 0, 0, 1])).expect("first");
        let _a2 = gate.admit(from([10, 0, 0, 1])).expect("second");
        assert_eq!(gate.admit(from([10, 0, 0, 1])).err(), Some(Refusal::Address));
        let _b1 = gate.admit(from([10, 0, 0, 2])).expect("another address");
        assert_eq!(gate.admit(from([10, 0, 0, 3])).err(), Some(Refusal::Total));
        drop(a1);
        assert_eq!(gate.open(), 2);
        assert!(gate.admit(from([10, 0, 0, 3])).is_ok(), "a closed connection frees its slot");
    }

    #[test]
    fn behind_a_proxy_only_the_total_counts() {
        let gate = gate(3, None);
        let held: Vec<Slot> = (0..3).filter_map(|_| gate.admit(from([10, 0, 0, 1])).ok()).collect();
        assert_eq!(held.len(), 3);
        assert_eq!(gate.admit(from([10, 0, 0, 1])).err(), Some(Refusal::Total));
    }
}
