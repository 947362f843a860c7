//! A client that behaves as the browser does when things fail: it keeps what it sent until it
//! is acknowledged, reconnects (to the next instance it knows) with `since` when its socket
//! drops, and sends again what is unacknowledged, with the same `client_id`. It counts what it
//! sees.

use crate::helpers::{Next, Socket, Visitor};
use app::model::{ChatMessage, RoomId};
use app::protocol::ServerFrame;
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub struct Chatter {
    pub name: &'static str,
    visitor: Visitor,
    room: RoomId,
    instances: Vec<SocketAddr>,
    current: usize,
    socket: Option<Socket>,
    /// Sent, not acknowledged yet: client id → text.
    pending: BTreeMap<String, String>,
    /// Acknowledged: client id → sequence number.
    pub acked: BTreeMap<String, u64>,
    /// Every message seen, by sequence number.
    pub seen: BTreeMap<u64, ChatMessage>,
    pub delivered: usize,
    pub duplicated: usize,
    pub reconnects: usize,
    pub sent: usize,
    /// Close codes and errors met.
    pub events: Vec<String>,
    /// When each of them was met.
    pub met_at: Vec<Instant>,
}

impl Chatter {
    /// `visitor` (already seated in `room`), trying `instances` in turn.
    pub fn new(
        name: &'static str,
        visitor: Visitor,
        room: &RoomId,
        instances: &[SocketAddr],
    ) -> Self {
        Chatter {
            name,
            visitor,
            room: room.clone(),
            instances: instances.to_vec(),
            current: 0,
            socket: None,
            pending: BTreeMap::new(),
            acked: BTreeMap::new(),
            seen: BTreeMap::new(),
            delivered: 0,
            duplicated: 0,
            reconnects: 0,
            sent: 0,
            events: Vec::new(),
            met_at: Vec::new(),
        }
    }

    fn last_seq(&self) -> u64 {
        self.seen.last_key_value().map_or(0, |(seq, _)| *seq)
    }

    /// Connects if it is not; false when no instance answered this time.
    pub async fn connect(&mut self) -> bool {
        if self.socket.is_some() {
            return true;
        }
        for _ in 0..self.instances.len() {
            let addr = self.instances[self.current];
            let visitor = Visitor { addr, ..self.visitor.clone() };
            let origin = format!("http://{addr}");
            let query = format!("since={}", self.last_seq());
            match visitor.try_connect(&self.room, &query, Some(&origin)).await {
                Ok(mut socket) => match socket.next_within(Duration::from_secs(5)).await {
                    Some(Next::Frame(ServerFrame::Welcome { .. })) => {
                        self.socket = Some(socket);
                        self.reconnects += 1;
                        self.resend().await;
                        return true;
                    }
                    other => self.met(format!("no welcome from {addr}: {other:?}")),
                },
                Err(err) => self.met(format!("{addr}: {err}")),
            }
            self.current = (self.current + 1) % self.instances.len();
        }
        false
    }

    /// Sends a message (it stays pending until acknowledged, and is resent after reconnects).
    pub async fn say(&mut self, client_id: &str, text: &str) {
        self.pending.insert(client_id.to_owned(), text.to_owned());
        self.sent += 1;
        self.send(client_id, text).await;
    }

    async fn resend(&mut self) {
        let pending: Vec<(String, String)> =
            self.pending.iter().map(|(id, text)| (id.clone(), text.clone())).collect();
        for (client_id, text) in pending {
            self.send(&client_id, &text).await;
        }
    }

    /// Sends on the socket, if there is one. A connection that broke under the send is dropped
    /// (as the browser drops it) and met; the message stays pending for the next socket.
    async fn send(&mut self, client_id: &str, text: &str) {
        let Some(socket) = &mut self.socket else { return };
        if let Err(err) = socket.try_say(client_id, text).await {
            self.socket = None;
            self.met(format!("send failed: {err}"));
        }
    }

    fn met(&mut self, event: String) {
        self.events.push(event);
        self.met_at.push(Instant::now());
    }

    /// Reads what arrives for `for_`, reconnecting whenever the socket drops.
    pub async fn pump(&mut self, for_: Duration) {
        let until = Instant::now() + for_;
        while Instant::now() < until {
            if !self.connect().await {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let left = until.saturating_duration_since(Instant::now());
            let Some(socket) = &mut self.socket else { continue };
            match socket.next_within(left.min(Duration::from_millis(200))).await {
                None => {}
                Some(Next::Frame(ServerFrame::Message(message))) => self.record(message),
                Some(Next::Frame(ServerFrame::Error { code, .. })) => {
                    self.met(format!("error {code:?}"));
                }
                Some(Next::Frame(ServerFrame::Ended { reason })) => {
                    self.met(format!("ended {reason:?}"));
                }
                Some(Next::Frame(_)) => {}
                Some(Next::Closed(code)) => {
                    self.met(format!("closed {code:?}"));
                    self.socket = None;
                    self.current = (self.current + 1) % self.instances.len();
                }
            }
        }
    }

    /// Pumps until every message sent is acknowledged (or `limit` passes).
    pub async fn settle(&mut self, limit: Duration) {
        let until = Instant::now() + limit;
        while !self.pending.is_empty() && Instant::now() < until {
            self.pump(Duration::from_millis(200)).await;
        }
    }

    fn record(&mut self, message: ChatMessage) {
        self.delivered += 1;
        if self.pending.remove(&message.client_id).is_some() {
            self.acked.insert(message.client_id.clone(), message.seq);
        }
        if self.seen.insert(message.seq, message).is_some() {
            self.duplicated += 1;
        }
    }

    pub fn unacknowledged(&self) -> usize {
        self.pending.len()
    }

    /// The client ids of all messages seen (each message counted once).
    pub fn client_ids(&self) -> HashSet<&str> {
        self.seen.values().map(|m| m.client_id.as_str()).collect()
    }

    pub fn report(&self) -> String {
        format!(
            "{}: sent {}, acknowledged {}, delivered {}, distinct {}, duplicated {}, lost {}, \
             connections {}",
            self.name,
            self.sent,
            self.acked.len(),
            self.delivered,
            self.seen.len(),
            self.duplicated,
            self.unacknowledged(),
            self.reconnects
        )
    }
}
