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

mod binary;
mod broker_recovery;
mod connections;
mod contract;
mod cross_instance;
mod edge;
mod helpers;
mod hostile;
mod interop;
mod membership;
mod persistence;
mod rooms;
mod sealing;
mod site;
mod websocket;
