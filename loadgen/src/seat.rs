//! One person's connection through a round, as a browser keeps it: it sends on its schedule,
//! reads every frame, and when the socket closes it reconnects (after a pause that grows, as
//! the page's does), resumes from the last sequence number it has, and sends again what was not
//! acknowledged yet (the server stores each client id once). So a stall of the server shows as
//! latency, and "lost" means only what was acknowledged to its sender and never reached another
//! member.

use crate::client::{Person, ServerFrame, Socket};
use crate::envelope::{Purpose, RoomKey};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

pub type Sink = SplitSink<Socket, Message>;
pub type Stream = SplitStream<Socket>;

/// The longest pause between two reconnection attempts (the page's backoff ends there too).
const RECONNECT_MAX: Duration = Duration::from_secs(2);

/// One connected person of a room, between rounds.
pub struct Seat {
    pub index: usize,
    pub room: usize,
    pub room_id: String,
    pub key: RoomKey,
    /// This person's seat id (what their messages are sealed for).
    pub seat: String,
    pub sender: bool,
    pub person: Arc<Person>,
    /// The socket, while it is open.
    pub socket: Option<(Sink, Stream)>,
    /// The highest sequence number received.
    pub last_seq: u64,
}

/// What a round asks of every seat.
#[derive(Clone)]
pub struct Plan {
    /// When the crowd started (client ids carry µs since then).
    pub started: Instant,
    pub round: u64,
    pub text: String,
    pub rate: f64,
    /// Seats in the crowd (senders are spread over one period by index).
    pub count: usize,
    /// A window (µs since `started`) whose sends are watched: when their acknowledgements come,
    /// against the window's end (a stall of Redis, say).
    pub watched: Option<(u64, u64)>,
}

/// What one seat saw in a round.
pub struct Tally {
    /// Messages this seat scheduled.
    pub sent: u64,
    /// Of those, acknowledged (its own message came back stored).
    pub acked: u64,
    pub delivered: u64,
    pub unreadable: u64,
    pub errors: HashMap<String, u64>,
    pub duplicated: u64,
    pub out_of_order: u64,
    /// Messages of this round received, by sender index.
    pub received: HashMap<usize, u64>,
    // Samples (µs), put into histograms once the round is over: a histogram per seat would
    // make the generator hold (and fault in) hundreds of MB for thousands of seats.
    pub latency: Vec<u64>,
    /// From a send to its acknowledgement.
    pub ack_latency: Vec<u64>,
    /// For sends in the watched window: the acknowledgement's time after the window's end.
    pub watched_acks: Vec<u64>,
    /// How late each send went out against its schedule.
    pub send_lag: Vec<u64>,
    pub reconnects: u64,
    /// Reconnections whose welcome said more was missed than it carries (a page reloads then).
    pub gaps: u64,
}

/// Runs `seat` through a round: sending until `sending` turns true (when it is a sender),
/// reading until `reading` does.
pub async fn run(
    seat: &mut Seat,
    plan: Plan,
    sent: Arc<Vec<AtomicU64>>,
    mut sending: watch::Receiver<bool>,
    mut reading: watch::Receiver<bool>,
) -> Tally {
    let mut tally = Tally::new();
    let mut pending: VecDeque<(String, String, u64)> = VecDeque::new();
    let mut seen = HashSet::new();
    let mut socket = seat.socket.take();
    // Senders are spread evenly over one period, so the load is steady.
    let period = Duration::from_secs_f64(1.0 / plan.rate.max(0.001));
    let offset = period.mul_f64(seat.index as f64 / plan.count.max(1) as f64);
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut still_sending = seat.sender;
    let mut n = 0u64;
    let mut retry = Duration::from_millis(250);
    // Made once: every seat waits on the same two channels, and a fresh wait each turn would
    // take their locks from every seat at once.
    let stop_sending = sending.changed();
    let stop_reading = reading.changed();
    tokio::pin!(stop_sending, stop_reading);
    loop {
        let Some((sink, stream)) = socket.as_mut() else {
            tokio::select! {
                _ = &mut stop_reading => break,
                () = tokio::time::sleep(retry) => {}
            }
            retry = (retry * 2).min(RECONNECT_MAX);
            if let Ok((fresh, _, recovered)) =
                seat.person.connect(&seat.room_id, seat.last_seq, None).await
            {
                tally.reconnects += 1;
                tally.gaps += u64::from(!recovered);
                retry = Duration::from_millis(250);
                let (mut sink, stream) = fresh.split();
                let mut resent = true;
                for (client_id, body, _) in &pending {
                    resent &= sink.send(send_frame(client_id, body)).await.is_ok();
                }
                if resent {
                    socket = Some((sink, stream));
                }
            }
            continue;
        };
        tokio::select! {
            _ = &mut stop_sending, if still_sending => still_sending = false,
            _ = &mut stop_reading => break,
            due = every.tick(), if still_sending => {
                // Latency runs from when the message is written; how far that is behind its
                // schedule is measured apart (a held-up sender shows there instead of hiding).
                let at = plan.started.elapsed().as_micros() as u64;
                tally.send_lag.push(due.elapsed().as_micros() as u64);
                let client_id = format!("{}-{}-{n}-{at}", plan.round, seat.index);
                let mine = Purpose::Message { seat: &seat.seat, client_id: &client_id };
                let body = seat.key.seal(mine, &plan.text);
                n += 1;
                tally.sent = n;
                sent[seat.index].store(n, Ordering::Relaxed);
                let frame = send_frame(&client_id, &body);
                pending.push_back((client_id, body, at));
                // Offline, it waits among the pending and goes out after the reconnection.
                if sink.send(frame).await.is_err() {
                    socket = None;
                }
            }
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    tally.frame(seat, &plan, text.as_str(), &mut seen, &mut pending);
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => socket = None,
                Some(Ok(_)) => {}
            },
        }
    }
    seat.socket = socket;
    tally
}

fn send_frame(client_id: &str, body: &str) -> Message {
    let frame = serde_json::json!({ "type": "send", "client_id": client_id, "body": body });
    Message::Text(frame.to_string().into())
}

impl Tally {
    fn new() -> Self {
        Tally {
            sent: 0,
            acked: 0,
            delivered: 0,
            unreadable: 0,
            errors: HashMap::new(),
            duplicated: 0,
            out_of_order: 0,
            received: HashMap::new(),
            latency: Vec::new(),
            ack_latency: Vec::new(),
            watched_acks: Vec::new(),
            send_lag: Vec::new(),
            reconnects: 0,
            gaps: 0,
        }
    }

    /// One frame from the server: a message is checked (it must open), counted once, timed,
    /// and when it is this seat's own, taken as its acknowledgement.
    fn frame(
        &mut self,
        seat: &mut Seat,
        plan: &Plan,
        text: &str,
        seen: &mut HashSet<(u64, u64, u64)>,
        pending: &mut VecDeque<(String, String, u64)>,
    ) {
        let (seq, client_id, sender, body) = match serde_json::from_str(text) {
            Ok(ServerFrame::Message { seq, client_id, sender, body }) => {
                (seq, client_id, sender, body)
            }
            Ok(ServerFrame::Error { code }) => {
                *self.errors.entry(code).or_insert(0) += 1;
                return;
            }
            _ => return,
        };
        // Every message must open with the room's key, under the seat and client id it came
        // from, as a browser opens it.
        let from = Purpose::Message { seat: &sender.id, client_id: &client_id };
        if seat.key.open(from, &body).is_none() {
            self.unreadable += 1;
        }
        let now = plan.started.elapsed().as_micros() as u64;
        let mut parts = client_id.split('-').map(|p| p.parse::<u64>().unwrap_or(0));
        let mut part = || parts.next().unwrap_or(0);
        let (round, from, n, at) = (part(), part(), part(), part());
        self.delivered += 1;
        if !seen.insert((round, from, n)) {
            self.duplicated += 1;
            return;
        }
        if seq <= seat.last_seq {
            self.out_of_order += 1;
        }
        seat.last_seq = seat.last_seq.max(seq);
        if sender.id == seat.seat
            && let Some(i) = pending.iter().position(|(id, ..)| *id == client_id)
        {
            pending.remove(i);
            self.acked += 1;
            self.ack_latency.push(now.saturating_sub(at).max(1));
            if let Some((start, end)) = plan.watched
                && (start..end).contains(&at)
            {
                self.watched_acks.push(now.saturating_sub(end).max(1));
            }
        }
        if round != plan.round {
            // Sent in an earlier round and later than its drain: that round counted it.
            return;
        }
        *self.received.entry(from as usize).or_insert(0) += 1;
        self.latency.push(now.saturating_sub(at).max(1));
    }
}

/// Errors by code, summed over seats.
pub fn errors(tallies: &[Tally]) -> BTreeMap<String, u64> {
    let mut all = BTreeMap::new();
    for tally in tallies {
        for (code, n) in &tally.errors {
            *all.entry(code.clone()).or_insert(0) += n;
        }
    }
    all
}
