//! `loadgen`: Burner under load, from the outside. It speaks only the documented protocol —
//! the server functions and the WebSocket, with every message sealed as a browser seals it —
//! and sends on a fixed schedule (open loop: a slow server does not slow the sender).
//!
//! ```text
//! loadgen pairs --url http://127.0.0.1:3000 --url http://127.0.0.1:3001 --rooms 1000 --rate 1 --secs 30 --pid 1234 --pid 1235
//! loadgen rooms --url http://127.0.0.1:3000 --rooms 100 --clients 10 --senders all --rate 1 --secs 20
//! loadgen ramp  --url http://127.0.0.1:3000 --rooms 1000 --start 2 --step 2 --p99-ms 50
//! loadgen idle  --url http://127.0.0.1:3000 --sockets 10000 --sources 4 --pid 1234
//! ```
//!
//! Progress goes to stderr; the result is a table and one JSON line on stdout.

mod client;
mod envelope;
mod measure;
mod scenarios;
mod seat;
mod summary;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "loadgen", about = "Load Burner from the outside and measure it.")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Rooms of two, each person sending at a steady rate; clients spread over the URLs.
    Pairs {
        #[command(flatten)]
        people: People,
        #[command(flatten)]
        pace: Pace,
    },
    /// Rooms of K people (up to 10); one or all sending.
    Rooms {
        #[command(flatten)]
        people: People,
        #[command(flatten)]
        size: RoomSize,
        #[command(flatten)]
        pace: Pace,
    },
    /// Rooms at a rising rate until p99 passes a bound; reports the highest rate held.
    Ramp {
        #[command(flatten)]
        people: People,
        #[command(flatten)]
        size: RoomSize,
        #[command(flatten)]
        ramp: Ramp,
    },
    /// Idle sockets: the server's memory per connection, and how long connecting takes.
    Idle(Idle),
    /// The median and spread of several runs' figures, from their JSON lines in FILE.
    Summarize { file: std::path::PathBuf },
}

/// Where the servers are, and whose CPU and memory to read.
#[derive(Args, Clone)]
pub struct Target {
    /// A Burner instance (repeat for several; clients are spread over them in turn).
    #[arg(long = "url", required = true)]
    pub urls: Vec<String>,
    /// A process to read CPU time and memory of (/proc/<pid>), as `PID` or `NAME=PID`
    /// (e.g. `redis=1234`); repeat for the instances and Redis.
    #[arg(long = "pid", value_parser = measure::Watched::parse)]
    pub pids: Vec<measure::Watched>,
}

/// The rooms of a traffic scenario and what their people send.
#[derive(Args, Clone)]
pub struct People {
    #[command(flatten)]
    pub target: Target,
    /// Rooms.
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Who sends: everyone, or one person per room.
    #[arg(long, value_enum, default_value_t = Senders::All)]
    pub senders: Senders,
    /// Bytes of text per message (before sealing).
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// Fail (exit 1) on any lost, duplicated, out-of-order or unacknowledged message.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub stall: Stall,
}

/// Redis paused for a while during the sending (`CLIENT PAUSE … ALL`, through redis-cli): how
/// the messages sent meanwhile fare is reported (when each was acknowledged after the pause).
#[derive(Args, Clone)]
pub struct Stall {
    /// The Redis to pause (a redis:// URL).
    #[arg(long = "stall-redis", id = "stall_redis")]
    pub redis: Option<String>,
    /// Seconds into the sending when Redis is paused (5 when not given).
    #[arg(long = "stall-at", requires = "stall_redis")]
    pub at: Option<u64>,
    /// Seconds Redis stays paused (5 when not given).
    #[arg(long = "stall-secs", requires = "stall_redis")]
    pub pause: Option<u64>,
    /// With --strict: fail when a message sent during the pause is acknowledged later than this
    /// after its end (milliseconds).
    #[arg(long = "stall-ack-within-ms", requires = "stall_redis")]
    pub ack_within_ms: Option<f64>,
}

impl Stall {
    /// Seconds into the sending when Redis is paused.
    pub fn at_secs(&self) -> u64 {
        self.at.unwrap_or(5)
    }

    /// Seconds Redis stays paused.
    pub fn secs(&self) -> u64 {
        self.pause.unwrap_or(5)
    }

    /// Pauses Redis for its seconds, now.
    pub async fn pause(&self) -> anyhow::Result<()> {
        let url = self.redis.as_deref().unwrap_or_default();
        let ms = (self.secs() * 1000).to_string();
        let paused = tokio::process::Command::new("redis-cli")
            .args(["-u", url, "CLIENT", "PAUSE", &ms, "ALL"])
            .output()
            .await?;
        anyhow::ensure!(
            paused.status.success(),
            "redis-cli: {}",
            String::from_utf8_lossy(&paused.stderr)
        );
        Ok(())
    }
}

#[derive(Args, Clone, Copy)]
pub struct RoomSize {
    /// People per room.
    #[arg(long, default_value_t = 2)]
    pub clients: usize,
}

/// A steady rate for a while.
#[derive(Args, Clone, Copy)]
pub struct Pace {
    /// Messages per second per sender.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
}

#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum Senders {
    All,
    One,
}

#[derive(Args, Clone, Copy)]
pub struct Ramp {
    /// First rate, messages per second per sender.
    #[arg(long, default_value_t = 1.0)]
    pub start: f64,
    /// Added to the rate at each step.
    #[arg(long, default_value_t = 1.0)]
    pub step: f64,
    /// The p99 bound, milliseconds: the ramp stops at the first step over it (or with loss).
    #[arg(long = "p99-ms", default_value_t = 50.0)]
    pub p99_ms: f64,
    /// Seconds per step.
    #[arg(long = "step-secs", default_value_t = 10)]
    pub step_secs: u64,
}

#[derive(Args, Clone)]
pub struct Idle {
    #[command(flatten)]
    pub target: Target,
    /// Sockets to open and hold.
    #[arg(long, default_value_t = 1000)]
    pub sockets: usize,
    /// Source addresses 127.0.0.1 … 127.0.0.N to connect from (more ports for many sockets).
    #[arg(long, default_value_t = 1)]
    pub sources: u8,
    /// Seconds to hold them before measuring.
    #[arg(long, default_value_t = 5)]
    pub settle_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    measure::raise_file_limit();
    let scenario = Cli::parse().scenario;
    if let Scenario::Summarize { file } = &scenario {
        println!("{}", summary::summarize(&std::fs::read_to_string(file)?)?);
        return Ok(());
    }
    let strict = match &scenario {
        Scenario::Pairs { people, .. }
        | Scenario::Rooms { people, .. }
        | Scenario::Ramp { people, .. } => people.strict,
        Scenario::Idle(_) | Scenario::Summarize { .. } => false,
    };
    let report = match scenario {
        Scenario::Pairs { people, pace } => {
            scenarios::traffic(&people, RoomSize { clients: 2 }, pace, "pairs").await?
        }
        Scenario::Rooms { people, size, pace } => {
            scenarios::traffic(&people, size, pace, "rooms").await?
        }
        Scenario::Ramp { people, size, ramp } => scenarios::ramp(&people, size, ramp).await?,
        Scenario::Idle(idle) => scenarios::idle(&idle).await?,
        Scenario::Summarize { .. } => return Ok(()),
    };
    println!("{}", report.table());
    println!("{}", report.json());
    if !report.clean() {
        eprintln!(
            "loadgen: messages were lost, duplicated, out of order or unacknowledged, or a bound was passed"
        );
        if strict {
            std::process::exit(1);
        }
    }
    Ok(())
}
