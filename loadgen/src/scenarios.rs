//! The scenarios: rooms full of people sending on a schedule (`pairs`, `rooms`), the same at a
//! rising rate (`ramp`), and sockets that only sit there (`idle`).

use crate::client::{Person, ServerFrame, Socket};
use crate::envelope::{Purpose, RoomKey};
use crate::measure::{Report, cpu_seconds, latency_histogram, ms, progress, rss_kb};
use crate::{Idle, Pace, People, Ramp, RoomSize, Senders};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

/// How long after the last send deliveries are still awaited.
const DRAIN: Duration = Duration::from_secs(3);
/// Server functions called at once while setting up.
const SETUP_AT_ONCE: usize = 32;

/// One connected person of a room.
struct Seat {
    index: usize,
    room: usize,
    key: RoomKey,
    /// This person's seat id (what their messages are sealed for).
    seat: String,
    sender: bool,
    sink: Option<SplitSink<Socket, Message>>,
    stream: Option<SplitStream<Socket>>,
}

/// Everyone of a traffic scenario, connected.
struct Crowd {
    seats: Vec<Seat>,
    /// Who is in each room (indices into `seats`).
    rooms: Vec<Vec<usize>>,
    started: Instant,
    /// Rounds sent so far: a round's client ids carry its number, so a late delivery from an
    /// earlier round is neither counted as this round's nor taken for a duplicate.
    rounds: u64,
}

/// What one round of sending produced.
struct Round {
    sent: u64,
    delivered: u64,
    unreadable: u64,
    errors: std::collections::BTreeMap<String, u64>,
    lost: u64,
    duplicated: u64,
    out_of_order: u64,
    latency: Histogram<u64>,
    /// How late each send went out against its schedule.
    send_lag: Histogram<u64>,
    window: Duration,
}

async fn gather(traffic: &People, clients: usize) -> anyhow::Result<Crowd> {
    let urls = &traffic.target.urls;
    let started = Instant::now();
    eprintln!("setting up {} rooms of {clients}", traffic.rooms);
    let rooms = futures::stream::iter(0..traffic.rooms)
        .map(|room| async move {
            let people: Vec<Person> = (0..clients)
                .map(|i| Person::new(&urls[(room * clients + i) % urls.len()]))
                .collect::<Result<_, _>>()?;
            let (id, key) = people[0].create(clients, "person 0").await?;
            for (i, person) in people.iter().enumerate().skip(1) {
                person.join(&id, &key, &format!("person {i}")).await?;
            }
            let mut sockets = Vec::new();
            for person in &people {
                sockets.push(person.connect(&id, None).await?);
            }
            anyhow::Ok((key, sockets))
        })
        .buffer_unordered(SETUP_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let mut crowd = Crowd { seats: Vec::new(), rooms: Vec::new(), started, rounds: 0 };
    for (room, result) in rooms.into_iter().enumerate() {
        let (key, sockets) = result?;
        let mut members = Vec::new();
        for (i, (socket, seat)) in sockets.into_iter().enumerate() {
            let (sink, stream) = socket.split();
            let index = crowd.seats.len();
            let sender = traffic.senders == Senders::All || i == 0;
            members.push(index);
            crowd.seats.push(Seat {
                index,
                room,
                key: key.clone(),
                seat,
                sender,
                sink: Some(sink),
                stream: Some(stream),
            });
        }
        crowd.rooms.push(members);
        if room % 200 == 199 {
            progress("rooms ready", room + 1, traffic.rooms, started.elapsed());
        }
    }
    eprintln!("{} people connected in {:.1} s", crowd.seats.len(), started.elapsed().as_secs_f64());
    Ok(crowd)
}

/// Everyone sends at `rate` for `secs`; every delivery is checked and timed.
async fn round(crowd: &mut Crowd, rate: f64, secs: u64, size: usize) -> anyhow::Result<Round> {
    let (stop_sending, sending) = watch::channel(false);
    let (stop_reading, reading) = watch::channel(false);
    let sent: Arc<Vec<AtomicU64>> =
        Arc::new((0..crowd.seats.len()).map(|_| AtomicU64::new(0)).collect());
    let started = crowd.started;
    crowd.rounds += 1;
    let this_round = crowd.rounds;
    let text: String = "x".repeat(size);
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    let count = crowd.seats.len().max(1);
    for seat in &mut crowd.seats {
        let mut sink = seat.sink.take().ok_or_else(|| anyhow::anyhow!("socket in use"))?;
        let stream = seat.stream.take().ok_or_else(|| anyhow::anyhow!("socket in use"))?;
        let (index, key, sender) = (seat.index, seat.key.clone(), seat.sender);
        let own_seat = seat.seat.clone();
        let (mut stop, counter, text) = (sending.clone(), sent.clone(), text.clone());
        // Senders are spread evenly over one period, so the load is steady.
        let period = Duration::from_secs_f64(1.0 / rate.max(0.001));
        let offset = period.mul_f64(index as f64 / count as f64);
        writers.push(tokio::spawn(async move {
            let mut lag = latency_histogram();
            if sender {
                tokio::time::sleep(offset).await;
                let mut every = tokio::time::interval(period);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut n = 0;
                loop {
                    tokio::select! {
                        _ = stop.changed() => break,
                        due = every.tick() => {
                            // Latency runs from when the message goes out; how far that is
                            // behind its schedule is measured apart (a held-up sender shows
                            // there instead of hiding).
                            let at = started.elapsed().as_micros();
                            let _ = lag.record(due.elapsed().as_micros() as u64);
                            let client_id = format!("{this_round}-{index}-{n}-{at}");
                            let mine = Purpose::Message { seat: &own_seat, client_id: &client_id };
                            let body = key.seal(mine, &text);
                            let frame = serde_json::json!({
                                "type": "send", "client_id": client_id, "body": body,
                            });
                            if sink.send(Message::Text(frame.to_string().into())).await.is_err() {
                                break;
                            }
                            n += 1;
                            counter[index].store(n, Ordering::Relaxed);
                        }
                    }
                }
            }
            (sink, lag)
        }));
        let mut stop = reading.clone();
        let key = seat.key.clone();
        readers.push(tokio::spawn(async move {
            let mut stream = stream;
            let mut seen = HashSet::new();
            let mut tally = Tally::new();
            loop {
                let message = tokio::select! {
                    _ = stop.changed() => break,
                    message = stream.next() => message,
                };
                let Some(Ok(Message::Text(text))) = message else {
                    if matches!(message, None | Some(Err(_))) {
                        break;
                    }
                    continue;
                };
                let (seq, client_id, sender, body) = match serde_json::from_str(text.as_str()) {
                    Ok(ServerFrame::Message { seq, client_id, sender, body }) => {
                        (seq, client_id, sender, body)
                    }
                    Ok(ServerFrame::Error { code }) => {
                        *tally.errors.entry(code).or_insert(0) += 1;
                        continue;
                    }
                    _ => continue,
                };
                // Every message must open with the room's key, under the seat and client id it
                // came from, as a browser opens it.
                let from = Purpose::Message { seat: &sender.id, client_id: &client_id };
                if key.open(from, &body).is_none() {
                    tally.unreadable += 1;
                }
                let now = started.elapsed().as_micros() as u64;
                let mut parts = client_id.split('-').map(|p| p.parse::<u64>().unwrap_or(0));
                let mut part = || parts.next().unwrap_or(0);
                let (round, from, n, at) = (part(), part(), part(), part());
                tally.delivered += 1;
                if !seen.insert((round, from, n)) {
                    tally.duplicated += 1;
                    continue;
                }
                if seq <= tally.last_seq {
                    tally.out_of_order += 1;
                }
                tally.last_seq = tally.last_seq.max(seq);
                if round != this_round {
                    // Sent in an earlier round and later than its drain: that round counted it
                    // as lost.
                    continue;
                }
                *tally.received.entry(from as usize).or_insert(0) += 1;
                let _ = tally.latency.record(now.saturating_sub(at).max(1));
            }
            (stream, tally)
        }));
    }
    let before = Instant::now();
    let every = Duration::from_secs(10);
    while before.elapsed() + every < Duration::from_secs(secs) {
        tokio::time::sleep(every).await;
        let so_far: u64 = sent.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        eprintln!("  sending: {} s of {secs}, {so_far} sent", before.elapsed().as_secs());
    }
    tokio::time::sleep(Duration::from_secs(secs).saturating_sub(before.elapsed())).await;
    let _ = stop_sending.send(true);
    let sinks = futures::future::join_all(writers).await;
    let window = before.elapsed();
    tokio::time::sleep(DRAIN).await;
    let _ = stop_reading.send(true);
    let tallies = futures::future::join_all(readers).await;
    let mut result = Round {
        sent: sent.iter().map(|c| c.load(Ordering::Relaxed)).sum(),
        delivered: 0,
        unreadable: 0,
        errors: std::collections::BTreeMap::new(),
        lost: 0,
        duplicated: 0,
        out_of_order: 0,
        latency: latency_histogram(),
        send_lag: latency_histogram(),
        window,
    };
    for (i, (writer, tally)) in sinks.into_iter().zip(tallies).enumerate() {
        let (stream, tally) = tally?;
        let (sink, lag) = writer?;
        let _ = result.send_lag.add(&lag);
        crowd.seats[i].sink = Some(sink);
        crowd.seats[i].stream = Some(stream);
        result.delivered += tally.delivered;
        result.unreadable += tally.unreadable;
        for (code, n) in tally.errors {
            *result.errors.entry(code).or_insert(0) += n;
        }
        result.duplicated += tally.duplicated;
        result.out_of_order += tally.out_of_order;
        let _ = result.latency.add(&tally.latency);
        // Everyone in the room should have received everything each sender sent.
        for &other in &crowd.rooms[crowd.seats[i].room] {
            let expected = sent[other].load(Ordering::Relaxed);
            let got = tally.received.get(&other).copied().unwrap_or(0);
            result.lost += expected.saturating_sub(got);
        }
    }
    Ok(result)
}

struct Tally {
    delivered: u64,
    unreadable: u64,
    errors: std::collections::HashMap<String, u64>,
    duplicated: u64,
    out_of_order: u64,
    last_seq: u64,
    received: std::collections::HashMap<usize, u64>,
    latency: Histogram<u64>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            delivered: 0,
            unreadable: 0,
            errors: std::collections::HashMap::new(),
            duplicated: 0,
            out_of_order: 0,
            last_seq: 0,
            received: std::collections::HashMap::new(),
            latency: latency_histogram(),
        }
    }
}

pub async fn traffic(
    traffic: &People,
    room: RoomSize,
    pace: Pace,
    name: &str,
) -> anyhow::Result<Report> {
    let mut crowd = gather(traffic, room.clients).await?;
    let pids = &traffic.target.pids;
    let cpu_before: Vec<f64> = pids.iter().map(|w| cpu_seconds(w.pid)).collect();
    eprintln!("sending at {} a second each for {} s", pace.rate, pace.secs);
    let result = round(&mut crowd, pace.rate, pace.secs, traffic.size).await?;
    let mut report = Report::new(name);
    report.add("instances", traffic.target.urls.len());
    report.add("rooms", traffic.rooms);
    report.add("people", crowd.seats.len());
    report.add("rate_per_sender", pace.rate);
    report.add("secs", pace.secs);
    report.add("sent", result.sent);
    report.add("sent_per_sec", (result.sent as f64 / result.window.as_secs_f64()).round());
    report.add("delivered", result.delivered);
    report
        .add("delivered_per_sec", (result.delivered as f64 / result.window.as_secs_f64()).round());
    report.latency(&result.latency);
    report.add("send_lag_p99_ms", ms(result.send_lag.value_at_quantile(0.99)));
    report.add("send_lag_max_ms", ms(result.send_lag.max()));
    report.integrity(result.lost + result.unreadable, result.duplicated, result.out_of_order);
    report.add("unreadable", result.unreadable);
    report.add("errors", serde_json::to_value(&result.errors).unwrap_or_default());
    report.cpu(pids, &cpu_before, result.sent);
    Ok(report)
}

pub async fn ramp(traffic: &People, room: RoomSize, ramp: Ramp) -> anyhow::Result<Report> {
    let mut crowd = gather(traffic, room.clients).await?;
    let senders = crowd.seats.iter().filter(|s| s.sender).count() as f64;
    let mut report = Report::new("ramp");
    let mut held: Option<(f64, u64)> = None;
    let mut rate = ramp.start;
    let mut own_before = cpu_seconds(std::process::id());
    let pids = &traffic.target.pids;
    loop {
        let cpu_before: Vec<f64> = pids.iter().map(|w| cpu_seconds(w.pid)).collect();
        let result = round(&mut crowd, rate, ramp.step_secs, traffic.size).await?;
        // How busy each watched process was: which one saturates first.
        let busy: Vec<String> = pids
            .iter()
            .zip(&cpu_before)
            .map(|(w, before)| {
                let share = (cpu_seconds(w.pid) - before) / result.window.as_secs_f64();
                format!("{} {:.0}%", w.name, share * 100.0)
            })
            .collect();
        let own = cpu_seconds(std::process::id()) - own_before;
        own_before += own;
        let p99 = result.latency.value_at_quantile(0.99);
        let total = senders * rate;
        let clean = result.lost + result.unreadable + result.duplicated + result.out_of_order == 0;
        eprintln!(
            "  {total:.0} msg/s: p99 {:.2} ms, lost {}, duplicated {}; CPU: {}, loadgen {:.0}%",
            ms(p99),
            result.lost,
            result.duplicated,
            busy.join(", "),
            own / (result.window + DRAIN).as_secs_f64() * 100.0
        );
        if !clean || ms(p99) > ramp.p99_ms {
            report.add("stopped_at_msgs_per_sec", total.round());
            report.add("stopped_p99_ms", ms(p99));
            report.add("stopped_lost", result.lost);
            break;
        }
        held = Some((total, p99));
        rate += ramp.step;
    }
    let (rate, p99) = held.unwrap_or((0.0, 0));
    report.add("held_msgs_per_sec", rate.round());
    report.add("held_p99_ms", ms(p99));
    report.add("p99_bound_ms", ramp.p99_ms);
    Ok(report)
}

pub async fn idle(idle: &Idle) -> anyhow::Result<Report> {
    const SEATS_PER_ROOM: usize = 10;
    const SOCKETS_PER_SEAT: usize = 5;
    let urls = &idle.target.urls;
    let seats = idle.sockets.div_ceil(SOCKETS_PER_SEAT);
    let rooms = seats.div_ceil(SEATS_PER_ROOM);
    let started = Instant::now();
    eprintln!("seating {seats} people in {rooms} rooms");
    let people = futures::stream::iter(0..rooms)
        .map(|room| async move {
            let url = &urls[room % urls.len()];
            let creator = Person::new(url)?;
            let (id, key) = creator.create(SEATS_PER_ROOM, "idle 0").await?;
            let mut people = vec![(creator, id.clone())];
            for i in 1..SEATS_PER_ROOM {
                let person = Person::new(url)?;
                person.join(&id, &key, &format!("idle {i}")).await?;
                people.push((person, id.clone()));
            }
            anyhow::Ok(people)
        })
        .buffer_unordered(SETUP_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    let pids = &idle.target.pids;
    let before: Vec<u64> = pids.iter().map(|w| rss_kb(w.pid)).collect();
    let mut connect_times = latency_histogram();
    let mut sockets = Vec::with_capacity(idle.sockets);
    let sources: Vec<IpAddr> =
        (1..=idle.sources.max(1)).map(|i| IpAddr::from([127, 0, 0, i])).collect();
    let opening = Instant::now();
    'open: for round in 0..SOCKETS_PER_SEAT {
        for (i, (person, room)) in people.iter().enumerate() {
            if sockets.len() >= idle.sockets {
                break 'open;
            }
            let source = sources[(round * people.len() + i) % sources.len()];
            let t0 = Instant::now();
            sockets.push(person.connect(room, Some(source)).await?.0);
            let _ = connect_times.record(t0.elapsed().as_micros() as u64);
            if sockets.len() % 1000 == 0 {
                progress("sockets open", sockets.len(), idle.sockets, started.elapsed());
            }
        }
    }
    let opened_in = opening.elapsed();
    tokio::time::sleep(Duration::from_secs(idle.settle_secs)).await;
    let mut report = Report::new("idle");
    report.add("sockets", sockets.len());
    report.add("open_secs", (opened_in.as_secs_f64() * 100.0).round() / 100.0);
    report.add("connect_p50_ms", ms(connect_times.value_at_quantile(0.5)));
    report.add("connect_p99_ms", ms(connect_times.value_at_quantile(0.99)));
    // The server side's memory per connection: what every watched process (the instances,
    // which hold the sockets, and Redis) grew by, over every socket open on them.
    let mut grown_kb = 0;
    for (i, w) in pids.iter().enumerate() {
        let after = rss_kb(w.pid);
        report.add(&format!("rss_kb_before[{}]", w.name), before[i]);
        report.add(&format!("rss_kb_after[{}]", w.name), after);
        grown_kb += after.saturating_sub(before[i]);
    }
    let per = (grown_kb * 1024) as f64 / sockets.len().max(1) as f64;
    report.add("rss_bytes_per_socket", per.round());
    drop(sockets);
    Ok(report)
}
