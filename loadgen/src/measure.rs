//! What is measured, and how it is reported: latency histograms, counts, the CPU time and
//! memory of the server's processes (from /proc), and a table and a JSON line at the end.

use hdrhistogram::Histogram;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Lets this process hold many sockets.
pub fn raise_file_limit() {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// A process whose CPU time and memory are reported, under a name.
#[derive(Clone, Debug)]
pub struct Watched {
    pub name: String,
    pub pid: u32,
}

impl Watched {
    /// `PID` or `NAME=PID`.
    pub fn parse(arg: &str) -> Result<Self, String> {
        let (name, pid) = arg.split_once('=').unwrap_or(("", arg));
        let pid: u32 = pid.parse().map_err(|_| format!("not a process id: {pid}"))?;
        let name = if name.is_empty() { pid.to_string() } else { name.to_owned() };
        Ok(Watched { name, pid })
    }
}

/// CPU seconds (user + system) the process `pid` has used.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is the 3rd field.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    // SAFETY: sysconf with a valid name.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / per_second.max(1.0)
}

/// Resident memory of `pid`, kB.
pub fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

pub fn latency_histogram() -> Histogram<u64> {
    // Microseconds, from 1 µs to 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).expect("histogram"))
}

/// `µs` as milliseconds with three decimals.
pub fn ms(micros: u64) -> f64 {
    (micros as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// The outcome of a scenario.
pub struct Report {
    pub scenario: String,
    rows: Vec<(String, Value)>,
    clean: bool,
}

impl Report {
    pub fn new(scenario: &str) -> Self {
        Report { scenario: scenario.to_owned(), rows: Vec::new(), clean: true }
    }

    pub fn add(&mut self, name: &str, value: impl Into<Value>) {
        self.rows.push((name.to_owned(), value.into()));
    }

    /// Records counts that must be zero.
    pub fn integrity(&mut self, lost: u64, duplicated: u64, out_of_order: u64) {
        self.add("lost", lost);
        self.add("duplicated", duplicated);
        self.add("out_of_order", out_of_order);
        self.clean &= lost == 0 && duplicated == 0 && out_of_order == 0;
    }

    /// Records how many of the messages sent were acknowledged; all of them must be.
    pub fn acknowledged(&mut self, sent: u64, acked: u64) {
        self.add("acked", acked);
        self.add("unacknowledged", sent.saturating_sub(acked));
        self.clean &= acked >= sent;
    }

    /// Marks the report unclean when `value` (named `name`) is over `bound`.
    pub fn bound(&mut self, name: &str, value: f64, bound: f64) {
        if value > bound {
            eprintln!("loadgen: {name} is {value}, over the bound of {bound}");
            self.clean = false;
        }
    }

    pub fn latency(&mut self, histogram: &Histogram<u64>) {
        for (name, q) in [("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99), ("p999_ms", 0.999)] {
            self.add(name, ms(histogram.value_at_quantile(q)));
        }
        self.add("max_ms", ms(histogram.max()));
    }

    /// CPU seconds each process used since `before`, and per message sent; processes named
    /// `instance…` are also summed.
    pub fn cpu(&mut self, watched: &[Watched], before: &[f64], messages: u64) {
        let per_message = |used: f64| (used / messages.max(1) as f64 * 1e7).round() / 10.0;
        let mut instances = 0.0;
        for (i, w) in watched.iter().enumerate() {
            let used = cpu_seconds(w.pid) - before.get(i).copied().unwrap_or(0.0);
            if w.name.starts_with("instance") {
                instances += used;
            }
            self.add(&format!("cpu_s[{}]", w.name), (used * 1000.0).round() / 1000.0);
            self.add(&format!("cpu_us_per_msg[{}]", w.name), per_message(used));
        }
        if watched.iter().filter(|w| w.name.starts_with("instance")).count() > 1 {
            self.add("cpu_us_per_msg[instances]", per_message(instances));
        }
        // A cluster's nodes, all together: what Redis costs a message, wherever it ran.
        let redis: Vec<usize> =
            (0..watched.len()).filter(|i| watched[*i].name.starts_with("redis-")).collect();
        if redis.len() > 1 {
            let used: f64 = redis
                .iter()
                .map(|i| cpu_seconds(watched[*i].pid) - before.get(*i).copied().unwrap_or(0.0))
                .sum();
            self.add("cpu_us_per_msg[redis-all]", per_message(used));
        }
    }

    pub fn clean(&self) -> bool {
        self.clean
    }

    pub fn table(&self) -> String {
        let width = self.rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let mut out = format!("{}\n", self.scenario);
        for (name, value) in &self.rows {
            out.push_str(&format!("  {name:<width$}  {value}\n"));
        }
        out
    }

    pub fn json(&self) -> String {
        let mut map = Map::new();
        map.insert("scenario".into(), json!(self.scenario));
        for (name, value) in &self.rows {
            map.insert(name.clone(), value.clone());
        }
        Value::Object(map).to_string()
    }
}

/// Prints progress to stderr.
pub fn progress(what: &str, done: usize, of: usize, elapsed: Duration) {
    eprintln!("  {what}: {done}/{of} ({:.1} s)", elapsed.as_secs_f64());
}
