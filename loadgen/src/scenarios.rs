//! The scenarios: rooms full of people sending on a schedule (`pairs`, `rooms`), the same at a
//! rising rate (`ramp`), and sockets that only sit there (`idle`).

use crate::client::Person;
use crate::envelope::RoomKey;
use crate::measure::{Report, cpu_seconds, latency_histogram, ms, progress, rss_kb};
use crate::seat::{self, Plan, Seat, Tally};
use crate::{Idle, Pace, People, Ramp, RoomSize, Senders, Stall};
use futures::StreamExt;
use hdrhistogram::Histogram;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long after the last send deliveries are still awaited.
const DRAIN: Duration = Duration::from_secs(3);
/// Server functions called at once while setting up.
const SETUP_AT_ONCE: usize = 32;

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
    acked: u64,
    delivered: u64,
    unreadable: u64,
    errors: std::collections::BTreeMap<String, u64>,
    lost: u64,
    duplicated: u64,
    out_of_order: u64,
    reconnects: u64,
    gaps: u64,
    latency: Histogram<u64>,
    ack_latency: Histogram<u64>,
    /// For sends during a stall: their acknowledgement after the stall's end.
    stall_acks: Histogram<u64>,
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
            for person in people {
                let (socket, seat, _) = person.connect(&id, 0, None).await?;
                sockets.push((Arc::new(person), socket, seat));
            }
            anyhow::Ok((id, key, sockets))
        })
        .buffer_unordered(SETUP_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    let mut crowd = Crowd { seats: Vec::new(), rooms: Vec::new(), started, rounds: 0 };
    for (room, result) in rooms.into_iter().enumerate() {
        let (room_id, key, sockets) = result?;
        let mut members = Vec::new();
        for (i, (person, socket, seat)) in sockets.into_iter().enumerate() {
            let index = crowd.seats.len();
            members.push(index);
            crowd.seats.push(Seat {
                index,
                room,
                room_id: room_id.clone(),
                key: RoomKey::clone(&key),
                seat,
                sender: traffic.senders == Senders::All || i == 0,
                person,
                socket: Some(futures::StreamExt::split(socket)),
                last_seq: 0,
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

/// Everyone sends at `rate` for `secs` (Redis paused meanwhile, when `stall` says so); every
/// delivery is checked and timed.
async fn round(
    crowd: &mut Crowd,
    rate: f64,
    secs: u64,
    size: usize,
    stall: Option<&Stall>,
) -> anyhow::Result<Round> {
    let (stop_sending, sending) = watch::channel(false);
    let (stop_reading, reading) = watch::channel(false);
    let sent: Arc<Vec<AtomicU64>> =
        Arc::new((0..crowd.seats.len()).map(|_| AtomicU64::new(0)).collect());
    crowd.rounds += 1;
    let begins = crowd.started.elapsed();
    let watched = stall.map(|stall| {
        let from = begins + Duration::from_secs(stall.at_secs());
        let to = from + Duration::from_secs(stall.secs());
        (from.as_micros() as u64, to.as_micros() as u64)
    });
    let plan = Plan {
        started: crowd.started,
        round: crowd.rounds,
        text: "x".repeat(size),
        rate,
        count: crowd.seats.len(),
        watched,
    };
    let people: Vec<_> = std::mem::take(&mut crowd.seats)
        .into_iter()
        .map(|mut person| {
            let (plan, sent) = (plan.clone(), sent.clone());
            let (sending, reading) = (sending.clone(), reading.clone());
            tokio::spawn(async move {
                let tally = seat::run(&mut person, plan, sent, sending, reading).await;
                (person, tally)
            })
        })
        .collect();
    if let Some(stall) = stall {
        let stall = stall.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(stall.at_secs())).await;
            eprintln!("  pausing Redis for {} s", stall.secs());
            if let Err(err) = stall.pause().await {
                eprintln!("  could not pause Redis: {err}");
            }
        });
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
    let window = before.elapsed();
    tokio::time::sleep(DRAIN).await;
    let _ = stop_reading.send(true);
    let mut tallies: Vec<Tally> = Vec::new();
    for done in futures::future::join_all(people).await {
        let (person, tally) = done?;
        crowd.seats.push(person);
        tallies.push(tally);
    }
    Ok(sum(crowd, &tallies, window))
}

/// A round's tallies, summed; "lost" counts what was acknowledged to its sender and did not
/// reach another member of the room.
fn sum(crowd: &Crowd, tallies: &[Tally], window: Duration) -> Round {
    let mut result = Round {
        sent: 0,
        acked: 0,
        delivered: 0,
        unreadable: 0,
        errors: seat::errors(tallies),
        lost: 0,
        duplicated: 0,
        out_of_order: 0,
        reconnects: 0,
        gaps: 0,
        latency: latency_histogram(),
        ack_latency: latency_histogram(),
        stall_acks: latency_histogram(),
        send_lag: latency_histogram(),
        window,
    };
    for (i, tally) in tallies.iter().enumerate() {
        result.sent += tally.sent;
        result.acked += tally.acked;
        result.delivered += tally.delivered;
        result.unreadable += tally.unreadable;
        result.duplicated += tally.duplicated;
        result.out_of_order += tally.out_of_order;
        result.reconnects += tally.reconnects;
        result.gaps += tally.gaps;
        for (histogram, samples) in [
            (&mut result.latency, &tally.latency),
            (&mut result.ack_latency, &tally.ack_latency),
            (&mut result.stall_acks, &tally.watched_acks),
            (&mut result.send_lag, &tally.send_lag),
        ] {
            for &sample in samples {
                let _ = histogram.record(sample);
            }
        }
        for &other in &crowd.rooms[crowd.seats[i].room] {
            let acked = tallies[other].acked;
            let got = tally.received.get(&other).copied().unwrap_or(0);
            result.lost += acked.saturating_sub(got);
        }
    }
    result
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
    let own_before = cpu_seconds(std::process::id());
    eprintln!("sending at {} a second each for {} s", pace.rate, pace.secs);
    let stall = traffic.stall.redis.is_some().then_some(&traffic.stall);
    let result = round(&mut crowd, pace.rate, pace.secs, traffic.size, stall).await?;
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
    report.acknowledged(result.sent, result.acked);
    report.add("ack_p99_ms", ms(result.ack_latency.value_at_quantile(0.99)));
    report.add("ack_max_ms", ms(result.ack_latency.max()));
    report.add("reconnects", result.reconnects);
    report.add("resumed_with_gaps", result.gaps);
    if let Some(stall) = stall {
        report.add("redis_paused_secs", stall.secs());
        report.add("sent_during_pause", result.stall_acks.len());
        report.add("acked_after_pause_p50_ms", ms(result.stall_acks.value_at_quantile(0.5)));
        let latest = ms(result.stall_acks.max());
        report.add("acked_after_pause_max_ms", latest);
        if let Some(bound) = stall.ack_within_ms {
            report.bound("acked_after_pause_max_ms", latest, bound);
        }
    }
    report.add("unreadable", result.unreadable);
    report.add("errors", serde_json::to_value(&result.errors).unwrap_or_default());
    report.cpu(pids, &cpu_before, result.sent);
    // The generator's own share: on a shared machine it is CPU the server does not get.
    let own = cpu_seconds(std::process::id()) - own_before;
    report.add("cpu_s[loadgen]", (own * 1000.0).round() / 1000.0);
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
        let result = round(&mut crowd, rate, ramp.step_secs, traffic.size, None).await?;
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
            sockets.push(person.connect(room, 0, Some(source)).await?.0);
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
