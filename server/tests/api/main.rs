//! Burner's server integration tests: one binary, real sockets, real Redis.

/// One test per backend for each listed `async fn name(kind: Kind)`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(crate::helpers::Kind::Embedded).await })*
        }
        mod redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(crate::helpers::Kind::Redis).await })*
        }
    };
}

/// Like `both_backends!`, and once more on a local Redis Cluster (3 masters, 3 replicas).
macro_rules! every_backend {
    ($($name:ident),* $(,)?) => {
        both_backends!($($name),*);
        mod cluster {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(crate::helpers::Kind::Cluster).await })*
        }
    };
}

mod binary;
mod broker_recovery;
mod built_site;
mod connections;
mod contract;
mod cross_instance;
mod edge;
mod helpers;
mod hostile;
// Shared with the fault suite, which uses all of it.
#[allow(dead_code)]
mod local_cluster;
mod membership;
mod persistence;
mod redis_modes;
mod rights;
mod rooms;
mod sealing;
mod site;
mod websocket;
mod wire;
