//! The embedded broker: one process, so every event goes straight to this instance's hub.

use super::{Broker, BrokerError};
use crate::event::{Announcement, Delivery, DeliveryBus, RoomEvent};
use app::model::RoomId;
use futures::future::{BoxFuture, FutureExt, ready};

pub struct MemoryBroker {
    bus: DeliveryBus,
}

impl MemoryBroker {
    pub fn new(bus: DeliveryBus) -> Self {
        MemoryBroker { bus }
    }
}

impl Broker for MemoryBroker {
    fn subscribe(&self, _room: &RoomId) -> BoxFuture<'static, Result<(), BrokerError>> {
        // The bus carries every room's events already.
        ready(Ok(())).boxed()
    }

    fn unsubscribe(&self, _room: &RoomId) {}

    fn publish(
        &self,
        room: &RoomId,
        event: RoomEvent,
    ) -> BoxFuture<'static, Result<(), BrokerError>> {
        let sent = self.bus.send(Delivery::Event(Announcement::new(room.clone(), event)));
        ready(sent.map_err(|_| BrokerError::Stopped)).boxed()
    }
}
