//! Burner's server: settings, the WebSocket edge, the hub, and the store and broker backends.
//! `main.rs` only reads settings and calls [`startup::Application`].

#![recursion_limit = "256"]

pub mod address_secret;
pub mod api_status;
pub mod backend;
pub mod broker;
pub mod event;
pub mod gate;
pub mod health;
pub mod hub;
pub mod metrics;
pub mod origin;
pub mod presence;
pub mod redis_conn;
pub mod redis_keys;
pub mod routes;
pub mod settings;
pub mod site_check;
pub mod startup;
pub mod state;
pub mod store;
pub mod tasks;
pub mod telemetry;
pub mod ws;
