//! The real server binary as a separate process: started on free ports, killed with SIGKILL,
//! its memory read from /proc.

use crate::helpers::free_port;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub struct Instance {
    child: tokio::process::Child,
    pub addr: SocketAddr,
    pub metrics: SocketAddr,
}

impl Instance {
    /// An instance on `redis_url` (empty: the embedded backend) under `prefix`, with limits out
    /// of the way, answering once it is ready.
    pub async fn start(redis_url: &str, prefix: &str) -> Self {
        Self::start_with(redis_url, prefix, &[]).await
    }

    /// Like [`Instance::start`], with these environment settings put over the test ones (an
    /// empty value removes one, so the server's own default applies).
    pub async fn start_with(redis_url: &str, prefix: &str, settings: &[(&str, &str)]) -> Self {
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let metrics: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .current_dir(std::env::temp_dir())
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("BURNER_METRICS_ADDR", metrics.to_string())
            .env("BURNER_REDIS_URL", redis_url)
            .env("BURNER_ADDRESS_SECRET", "the fault tests' address secret, shared")
            .env("BURNER_KEY_PREFIX", prefix)
            .env("BURNER_ROOMS_PER_MINUTE", "100000")
            .env("BURNER_ROOMS_ALIVE_PER_ADDRESS", "100000")
            .env("BURNER_VIEWS_PER_MINUTE", "100000")
            .env("BURNER_ACTIONS_PER_MINUTE", "100000")
            .env("BURNER_UPGRADES_PER_MINUTE", "100000")
            .env("BURNER_MESSAGES_BURST", "100000")
            .env("BURNER_MESSAGES_PER_SECOND", "100000")
            .env("BURNER_DEFAULT_CAPACITY", "3")
            .env("BURNER_LOG", "warn")
            // This build of the binary has no hash.txt beside it (no page is loaded here).
            .env("LEPTOS_HASH_FILES", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (name, value) in settings {
            match *value {
                "" => command.env_remove(name),
                value => command.env(name, value),
            };
        }
        let child = command.spawn().expect("the server binary starts");
        let instance = Instance { child, addr, metrics };
        let started = Instant::now();
        while reqwest::get(format!("http://{addr}/readyz")).await.map(|r| r.status()).ok()
            != Some(reqwest::StatusCode::OK)
        {
            assert!(started.elapsed() < Duration::from_secs(20), "ready within 20 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        instance
    }

    /// Kills the process at once (SIGKILL): no goodbye to anyone.
    pub async fn kill(&mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// The process's resident memory, kB.
    pub fn rss_kb(&self) -> u64 {
        rss_kb_of(self.pid())
    }

    /// The process's open file descriptors (sockets among them).
    pub fn fds(&self) -> usize {
        fds_of(self.pid())
    }

    /// The value of a metric line starting with `prefix`, as Prometheus reads it here.
    pub async fn metric(&self, prefix: &str) -> f64 {
        let text = reqwest::get(format!("http://{}/metrics", self.metrics))
            .await
            .expect("metrics")
            .text()
            .await
            .unwrap_or_default();
        text.lines()
            .filter(|line| line.starts_with(prefix))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

/// Resident memory of process `pid`, kB (0 once it is gone).
pub fn rss_kb_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Open file descriptors of process `pid`.
pub fn fds_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|dir| dir.count()).unwrap_or(0)
}
