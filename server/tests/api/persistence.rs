//! A Redis that writes to disk is named at start-up: Burner's promise ("gone for good") holds
//! only if Redis keeps nothing (docs/OPERATIONS.md).

use crate::helpers::free_port;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A throwaway redis-server with these extra arguments, in a folder of its own.
struct OwnRedis(std::process::Child, std::path::PathBuf, u16);

impl OwnRedis {
    fn start(extra: &[&str]) -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("burner-persist-{}", nanoid::nanoid!(8)));
        std::fs::create_dir_all(&dir).expect("folder");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        OwnRedis(child, dir, port)
    }

    async fn persistence(&self) -> Option<String> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.2)).expect("url");
        let conn = redis::aio::ConnectionManager::new(client).await.expect("connection");
        let mut conn = server::redis_conn::RedisConn::Single(conn);
        server::backend::persistence(&mut conn).await.expect("CONFIG GET")
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

#[tokio::test]
async fn a_redis_that_writes_to_disk_is_told_apart_from_one_that_keeps_nothing() {
    let persisting = OwnRedis::start(&["--save", "3600 1", "--appendonly", "yes"]);
    let kept = persisting.persistence().await.expect("it persists");
    assert!(kept.contains("save 3600 1") && kept.contains("append-only"), "{kept}");
    let forgetful = OwnRedis::start(&["--save", "", "--appendonly", "no"]);
    assert_eq!(forgetful.persistence().await, None);
}
