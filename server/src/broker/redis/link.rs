//! One pub/sub link to Redis, as the subscriber task sees it whichever Redis it is: a single
//! server's RESP2 pub/sub connection, or a cluster connection that subscribes sharded channels
//! (`SSUBSCRIBE`, one channel per command, routed to the master of that channel's slot) and
//! reports what the masters push over RESP3.
//!
//! A link is never repaired: the crate's cluster connection resubscribes on its own in ways
//! Redis refuses or forgets (see docs/OPERATIONS.md), so whatever goes wrong, the subscriber
//! drops the link and builds a new one from its own record of the rooms it wants.

use crate::broker::BrokerError;
use crate::redis_conn::{ANSWER_WITHIN, RedisMode, RedisTarget};
use futures::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use redis::cluster_async::ClusterConnection;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// What a link heard.
pub enum Heard {
    /// A message on a channel.
    Message { channel: String, payload: Vec<u8> },
    /// Redis ended a subscription: asked for, or not (a slot moved, a master became a replica).
    Unsubscribed(String),
    /// The link is gone.
    Lost,
}

/// What makes links.
pub struct Connector {
    target: RedisTarget,
}

pub enum Link {
    Single { sink: PubSubSink, stream: PubSubStream },
    Cluster { conn: ClusterConnection, pushes: mpsc::UnboundedReceiver<PushInfo> },
}

impl Connector {
    pub fn new(target: RedisTarget) -> Self {
        Connector { target }
    }

    /// A new link, subscribed to nothing yet.
    pub async fn connect(&self) -> Result<Link, BrokerError> {
        let connecting = async {
            match self.target.mode {
                RedisMode::Single => {
                    let url = self.target.urls.first().map(String::as_str).unwrap_or_default();
                    let client = redis::Client::open(url)?;
                    let (sink, stream) = client.get_async_pubsub().await?.split();
                    Ok(Link::Single { sink, stream })
                }
                RedisMode::Cluster => {
                    let (sender, pushes) = mpsc::unbounded_channel();
                    let client = self
                        .target
                        .cluster_client(Some(sender))
                        .map_err(|_| BrokerError::Unreachable)?;
                    let conn = client.get_async_connection().await?;
                    Ok(Link::Cluster { conn, pushes })
                }
            }
        };
        timeout(ANSWER_WITHIN, connecting).await.map_err(|_| BrokerError::TimedOut)?
    }
}

impl Link {
    pub async fn subscribe(&mut self, channel: &str) -> Result<(), BrokerError> {
        let subscribing = async {
            match self {
                Link::Single { sink, .. } => sink.subscribe(channel).await,
                Link::Cluster { conn, .. } => conn.ssubscribe(channel).await,
            }
        };
        Ok(timeout(ANSWER_WITHIN, subscribing).await.map_err(|_| BrokerError::TimedOut)??)
    }

    pub async fn unsubscribe(&mut self, channel: &str) -> Result<(), BrokerError> {
        let unsubscribing = async {
            match self {
                Link::Single { sink, .. } => sink.unsubscribe(channel).await,
                Link::Cluster { conn, .. } => conn.sunsubscribe(channel).await,
            }
        };
        Ok(timeout(ANSWER_WITHIN, unsubscribing).await.map_err(|_| BrokerError::TimedOut)??)
    }

    /// The next thing worth telling the subscriber.
    pub async fn next(&mut self) -> Heard {
        match self {
            Link::Single { stream, .. } => match stream.next().await {
                Some(message) => Heard::Message {
                    channel: message.get_channel_name().to_owned(),
                    payload: message.get_payload_bytes().to_vec(),
                },
                None => Heard::Lost,
            },
            Link::Cluster { pushes, .. } => loop {
                let Some(push) = pushes.recv().await else { return Heard::Lost };
                if let Some(heard) = read_push(push) {
                    return heard;
                }
            },
        }
    }
}

/// What a RESP3 push means to the subscriber (`None`: nothing, such as a confirmation).
fn read_push(push: PushInfo) -> Option<Heard> {
    let text = |value: Option<&Value>| match value {
        Some(Value::BulkString(bytes)) => String::from_utf8(bytes.clone()).ok(),
        Some(Value::SimpleString(text)) => Some(text.clone()),
        _ => None,
    };
    match push.kind {
        PushKind::Disconnection => Some(Heard::Lost),
        PushKind::SMessage | PushKind::Message => {
            let channel = text(push.data.first())?;
            let payload = match push.data.get(1) {
                Some(Value::BulkString(bytes)) => bytes.clone(),
                _ => return None,
            };
            Some(Heard::Message { channel, payload })
        }
        PushKind::SUnsubscribe => text(push.data.first()).map(Heard::Unsubscribed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn pushes_are_read_as_messages_unsubscribes_and_losses() {
        let message =
            PushInfo { kind: PushKind::SMessage, data: vec![bulk("b:{r}:events"), bulk("x")] };
        assert!(matches!(
            read_push(message),
            Some(Heard::Message { channel, payload }) if channel == "b:{r}:events" && payload == b"x"
        ));
        let dropped = PushInfo {
            kind: PushKind::SUnsubscribe,
            data: vec![bulk("b:{r}:events"), Value::Int(0)],
        };
        assert!(matches!(read_push(dropped), Some(Heard::Unsubscribed(c)) if c == "b:{r}:events"));
        let lost = PushInfo { kind: PushKind::Disconnection, data: vec![] };
        assert!(matches!(read_push(lost), Some(Heard::Lost)));
        let confirmed = PushInfo {
            kind: PushKind::SSubscribe,
            data: vec![bulk("b:{r}:events"), Value::Int(1)],
        };
        assert!(read_push(confirmed).is_none());
    }
}
