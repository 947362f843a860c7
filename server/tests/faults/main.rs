//! The fault-injection suite: each test breaks one part — an instance, Redis, the pub/sub
//! connection, a client — on its own throwaway `redis-server` (never a shared one), and checks
//! that every promise of docs/PROTOCOL.md still holds. Each prints what it counted.
//!
//! Run on its own (`cargo test -p server --test faults`), one test at a time: they measure
//! timings and memory that parallel tests would disturb.

// Shared with the `api` tests, which use all of it; here only a part.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/sealing.rs"]
mod sealing;

#[allow(dead_code)]
#[path = "../api/local_cluster.rs"]
mod local_cluster;

mod chatter;
mod instance;
mod proxy;
mod redis_process;

mod abuse;
mod cluster;

mod instance_dies;
mod pubsub_blackholed;
mod redis_pauses;
mod redis_restarts_empty;
mod slow_consumer;
mod store_stalls;
