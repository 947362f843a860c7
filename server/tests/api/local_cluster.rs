//! A local Redis Cluster of three masters and three replicas on free ports, started by the tests
//! themselves (`redis-server` 7 in cluster mode, `redis-cli --cluster create`), keeping nothing
//! on disk but its node files in a temporary folder. Each node dies with the test process
//! however it ends (a watchdog), and with the [`LocalCluster`] when it is dropped.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct LocalCluster {
    pub ports: Vec<u16>,
    dir: PathBuf,
}

/// One line of `CLUSTER NODES`.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub id: String,
    pub port: u16,
    pub master: bool,
    pub failed: bool,
    /// Slot ranges served (masters).
    pub slots: Vec<(u16, u16)>,
}

impl LocalCluster {
    /// Starts six nodes and makes them one cluster; returns once every node says it is ok.
    pub fn start() -> Self {
        let installed = Command::new("redis-cli").arg("--version").output().is_ok();
        assert!(
            installed,
            "the cluster tests need redis-server and redis-cli (Debian: redis-server)"
        );
        let dir = std::env::temp_dir().join(format!("burner-cluster-{}", nanoid::nanoid!(8)));
        std::fs::create_dir_all(&dir).expect("a folder for the cluster's node files");
        let ports: Vec<u16> = (0..6).map(|_| crate::helpers::free_port()).collect();
        let cluster = LocalCluster { ports, dir };
        for port in &cluster.ports {
            cluster.spawn(*port);
        }
        let nodes: Vec<String> = cluster.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli --cluster create");
        assert!(created.success(), "the cluster was created");
        cluster.wait_healthy(Duration::from_secs(20));
        cluster
    }

    /// A node on `port`, stopped by a watchdog when this test process ends.
    fn spawn(&self, port: u16) {
        let bus = crate::helpers::free_port();
        let dir = self.dir.display();
        crate::helpers::spawn_watched(
            &format!(
                "redis-server --port {port} --cluster-port {bus} --bind 127.0.0.1 \
                 --cluster-enabled yes --cluster-config-file nodes-{port}.conf \
                 --cluster-node-timeout 2000 --dir {dir} --save '' --appendonly no"
            ),
            port,
        );
    }

    /// Seed URLs, comma-separated, as `backend.redis-url` takes them.
    pub fn seeds(&self) -> String {
        self.urls().join(",")
    }

    pub fn urls(&self) -> Vec<String> {
        self.ports.iter().map(|p| format!("redis://127.0.0.1:{p}")).collect()
    }

    /// `redis-cli` against one node; its output, or `None` when the node does not answer.
    pub fn cli(&self, port: u16, args: &[&str]) -> Option<String> {
        let output = Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        (output.status.success() && !text.starts_with("Could not connect")).then_some(text)
    }

    /// The cluster as `port` sees it.
    pub fn nodes(&self, port: u16) -> Vec<NodeInfo> {
        let text = self.cli(port, &["cluster", "nodes"]).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let port = fields.get(1)?.split(['@', ',']).next()?.rsplit(':').next()?;
                let flags = fields.get(2)?;
                let slots = fields
                    .iter()
                    .skip(8)
                    .filter(|f| !f.starts_with('['))
                    .filter_map(|range| match range.split_once('-') {
                        Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                        None => range.parse().ok().map(|s| (s, s)),
                    })
                    .collect();
                Some(NodeInfo {
                    id: fields.first()?.to_string(),
                    port: port.parse().ok()?,
                    master: flags.contains("master"),
                    failed: flags.contains("fail") && !flags.contains("pfail"),
                    slots,
                })
            })
            .collect()
    }

    /// The master serving `slot`, as a live node sees it.
    pub fn master_of_slot(&self, slot: u16) -> NodeInfo {
        self.master_of_slot_if_any(slot).expect("a master for the slot")
    }

    /// The master serving `slot` and answering, if there is one now.
    pub fn master_of_slot_if_any(&self, slot: u16) -> Option<NodeInfo> {
        let alive = self.alive();
        let first = *alive.first()?;
        self.nodes(first).into_iter().find(|n| {
            n.master
                && !n.failed
                && alive.contains(&n.port)
                && n.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot))
        })
    }

    /// The ports of nodes that answer.
    pub fn alive(&self) -> Vec<u16> {
        self.ports.iter().copied().filter(|p| self.cli(*p, &["ping"]).is_some()).collect()
    }

    /// Kills the node on `port` at once (SIGKILL).
    pub fn kill(&self, port: u16) {
        if let Some(pid) = self.pid(port) {
            let _ = Command::new("kill").args(["-9", &pid]).stderr(Stdio::null()).status();
        }
        let until = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Freezes (`STOP`) or thaws (`CONT`) every node: a cluster that answers nobody.
    pub fn signal_all(&self, signal: &str) {
        let pids: Vec<String> = self.ports.iter().filter_map(|p| self.pid_cached(*p)).collect();
        for pid in pids {
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), &pid])
                .stderr(Stdio::null())
                .status();
        }
    }

    fn pid(&self, port: u16) -> Option<String> {
        let info = self.cli(port, &["info", "server"])?;
        let pid = info.lines().find_map(|l| l.trim().strip_prefix("process_id:"))?.to_owned();
        let _ = std::fs::write(self.dir.join(format!("pid-{port}")), &pid);
        Some(pid)
    }

    /// The pid last read (works while the node is frozen).
    fn pid_cached(&self, port: u16) -> Option<String> {
        std::fs::read_to_string(self.dir.join(format!("pid-{port}")))
            .ok()
            .or_else(|| self.pid(port))
    }

    /// Reads every node's pid now, so a frozen cluster can be thawed.
    pub fn remember_pids(&self) {
        for port in &self.ports {
            let _ = self.pid(*port);
        }
    }

    /// Waits until every live node says the cluster is ok and every live replica has synced
    /// with its master (a replica that never did would not take over).
    pub fn wait_healthy(&self, within: Duration) {
        let until = Instant::now() + within;
        loop {
            let alive = self.alive();
            let ok = !alive.is_empty()
                && alive.iter().all(|p| {
                    let state_ok = self
                        .cli(*p, &["cluster", "info"])
                        .is_some_and(|info| info.lines().any(|l| l.trim() == "cluster_state:ok"));
                    let replication = self.cli(*p, &["info", "replication"]).unwrap_or_default();
                    let synced = !replication.contains("role:slave")
                        || replication.contains("master_link_status:up");
                    state_ok && synced
                });
            if ok {
                return;
            }
            assert!(Instant::now() < until, "the cluster became healthy within {within:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Moves `slot`, with its keys, from the master serving it to `to`, as `redis-cli --cluster
    /// reshard` does, one slot: IMPORTING/MIGRATING, MIGRATE the keys, then SETSLOT NODE on
    /// every master.
    pub fn migrate_slot(&self, slot: u16, to: &NodeInfo) {
        let from = self.master_of_slot(slot);
        let s = slot.to_string();
        let ok = |out: Option<String>, what: &str| {
            assert!(
                out.as_deref()
                    .is_some_and(|o| o.starts_with("OK") || o.is_empty() || o.starts_with("NOKEY")),
                "{what}: {out:?}"
            )
        };
        ok(self.cli(to.port, &["cluster", "setslot", &s, "importing", &from.id]), "importing");
        ok(self.cli(from.port, &["cluster", "setslot", &s, "migrating", &to.id]), "migrating");
        loop {
            let keys =
                self.cli(from.port, &["cluster", "getkeysinslot", &s, "100"]).unwrap_or_default();
            let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
            if keys.is_empty() {
                break;
            }
            let port = to.port.to_string();
            let mut args = vec!["migrate", "127.0.0.1", &port, "", "0", "5000", "KEYS"];
            args.extend(keys.iter().copied());
            ok(self.cli(from.port, &args), "migrate");
        }
        for node in self.nodes(from.port).iter().filter(|n| n.master && !n.failed) {
            ok(self.cli(node.port, &["cluster", "setslot", &s, "node", &to.id]), "setslot node");
        }
    }

    /// Every key matching `pattern` on every live master.
    pub fn keys(&self, pattern: &str) -> Vec<String> {
        let alive = self.alive();
        let Some(first) = alive.first() else { return Vec::new() };
        let mut keys: Vec<String> = self
            .nodes(*first)
            .iter()
            .filter(|n| n.master && !n.failed && alive.contains(&n.port))
            .flat_map(|n| {
                let listed = self.cli(n.port, &["keys", pattern]).unwrap_or_default();
                listed.lines().filter(|k| !k.is_empty()).map(String::from).collect::<Vec<_>>()
            })
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.signal_all("CONT");
        for port in self.ports.clone() {
            self.kill(port);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
