//! Cross-instance fan-out: every instance hears every event of the rooms it has sockets in.
//!
//! A broker follows the rooms this instance has sockets in and hands what it hears to this
//! instance's hub (as [`Delivery`]s on its [`DeliveryBus`] channel). It carries two kinds of
//! events: those the store and presence announce in the same atomic step that changed them (a
//! stored message, a new online list, a seat given back, a destroyed room), and the ephemeral
//! ones it is asked to [`Broker::publish`] (typing).
//!
//! [`Delivery`]: crate::event::Delivery
//! [`DeliveryBus`]: crate::event::DeliveryBus

pub mod memory;
pub mod redis;

use crate::event::RoomEvent;
use app::model::RoomId;
use futures::future::BoxFuture;
use std::sync::Arc;

/// Why a broker call failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("broker: {0}")]
    Redis(#[source] Arc<::redis::RedisError>),
    #[error("broker: Redis did not answer in time")]
    TimedOut,
    #[error("broker: Redis is unreachable")]
    Unreachable,
    #[error("broker: {0}")]
    Encoding(#[source] Arc<crate::event::wire::WireError>),
    #[error("broker: stopped")]
    Stopped,
}

impl From<::redis::RedisError> for BrokerError {
    fn from(err: ::redis::RedisError) -> Self {
        crate::metrics::redis_failed(&err);
        BrokerError::Redis(Arc::new(err))
    }
}

/// Fan-out between instances. Methods that return futures do their ordering work before
/// returning, so calls take effect in the order they were made.
pub trait Broker: Send + Sync + 'static {
    /// Starts delivering `room`'s events here; the future resolves once they flow (a message
    /// published after that is guaranteed to be delivered).
    fn subscribe(&self, room: &RoomId) -> BoxFuture<'static, Result<(), BrokerError>>;

    /// Stops delivering `room`'s events here.
    fn unsubscribe(&self, room: &RoomId);

    /// Sends an ephemeral event (never stored) to every instance.
    fn publish(
        &self,
        room: &RoomId,
        event: RoomEvent,
    ) -> BoxFuture<'static, Result<(), BrokerError>>;
}
