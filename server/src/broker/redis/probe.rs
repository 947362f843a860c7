//! The probes that prove a pub/sub path: their channels (one per master on a cluster), their
//! publishing, and which were sent, which Redis took, which came back.

use crate::broker::BrokerError;
use crate::redis_conn::{ANSWER_WITHIN, RedisConn, SlotRanges, slot, slot_ranges};
use crate::redis_keys::Keys;
use crate::tasks::Tasks;
use std::collections::HashMap;
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

/// A probe Redis took and that has not come back after this long is lost: checked at the next
/// probe, so a path that drops messages is found within one period of its publish.
pub(super) const LOST_AFTER: Duration = Duration::from_millis(1_500);

/// The probe channels of one link: one per master on a cluster (each in a slot that master
/// serves), one on a single server.
pub(super) struct Probes {
    /// Channel → the slot ranges it proves (empty on a single server: it proves everything).
    pub channels: HashMap<String, Vec<(u16, u16)>>,
    /// The slot map the link was made for (`None` on a single server).
    pub topology: Option<SlotRanges>,
}

impl Probes {
    /// Whether Redis ended a subscription nobody asked to end (a probe's, or one of the
    /// `wanted` rooms'); `Some` with the slot ranges to blame (`None` inside: all of them).
    pub(super) fn unrequested(
        &self,
        channel: &str,
        keys: &Keys,
        wanted: &std::collections::HashSet<app::model::RoomId>,
    ) -> Option<Option<Vec<(u16, u16)>>> {
        if let Some(ranges) = self.channels.get(channel) {
            return Some(self.topology.as_ref().map(|_| ranges.clone()));
        }
        let room = keys.room_of_channel(channel)?;
        wanted.contains(&room).then(|| {
            let slot = slot(room.as_str());
            Some(vec![(slot, slot)])
        })
    }

    /// The probe channels for the current slot map.
    pub(super) async fn make(
        conn: &mut RedisConn,
        keys: &Keys,
        instance: &str,
    ) -> Result<Probes, BrokerError> {
        let prefix = keys.prefix();
        if !matches!(conn, RedisConn::Cluster(_)) {
            let channel = format!("{prefix}:probe:{}", instance);
            return Ok(Probes { channels: HashMap::from([(channel, Vec::new())]), topology: None });
        }
        let read = tokio::time::timeout(ANSWER_WITHIN, slot_ranges(conn)).await;
        let topology = read.map_err(|_| BrokerError::TimedOut)??;
        let mut by_master: HashMap<&str, Vec<(u16, u16)>> = HashMap::new();
        for (start, end, master) in &topology {
            by_master.entry(master).or_default().push((*start, *end));
        }
        let channels = by_master
            .into_values()
            .filter_map(|ranges| {
                let (start, end) = *ranges.first()?;
                // A hash tag whose slot this master serves: a few tries on average.
                let tag = (0..100_000u32)
                    .map(|n| format!("probe-{n}"))
                    .find(|tag| (start..=end).contains(&slot(tag)))?;
                Some((format!("{prefix}:{{{tag}}}:probe:{}", instance), ranges))
            })
            .collect();
        Ok(Probes { channels, topology: Some(topology) })
    }

    /// Publishes probe `round` on every channel through the command connection and, on a
    /// cluster, reads the slot map; runs on its own so the link keeps being served meanwhile.
    /// Each publish Redis answered is reported with how many subscribers it reached.
    pub(super) fn publish(
        &self,
        conn: &RedisConn,
        round: u64,
        tasks: &Tasks,
        observed: mpsc::UnboundedSender<Option<SlotRanges>>,
        published: mpsc::UnboundedSender<Publication>,
    ) {
        let mut conn = conn.clone();
        let publish = conn.publish_command();
        let channels: Vec<String> = self.channels.keys().cloned().collect();
        let cluster = self.topology.is_some();
        tasks.spawn_until_stopped(async move {
            for channel in channels {
                let probe = redis::cmd(publish).arg(&channel).arg(round).clone();
                let answer =
                    tokio::time::timeout(ANSWER_WITHIN, probe.query_async::<u64>(&mut conn));
                if let Ok(Ok(reached)) = answer.await {
                    let at = Instant::now();
                    let _ = published.send(Publication { channel, round, reached, at });
                }
            }
            if cluster {
                let read = tokio::time::timeout(ANSWER_WITHIN, slot_ranges(&mut conn)).await;
                if let Ok(Ok(topology)) = read {
                    let _ = observed.send(Some(topology));
                }
            }
        });
    }
}

/// A probe Redis took: on `channel`, round `round`, heard by `reached` subscribers.
pub(super) struct Publication {
    pub channel: String,
    pub round: u64,
    pub reached: u64,
    pub at: Instant,
}

/// The probes sent and not heard back yet. A probe counts as lost only once Redis has taken
/// it (answered its publish) and it still has not come back within [`LOST_AFTER`], or when
/// Redis says nobody is subscribed to it: a Redis too busy to answer the publish is slow, not a
/// broken path, and replacing the link then would only add a resync of every socket to its load.
#[derive(Default)]
pub(super) struct Awaited {
    /// Channel → the oldest round sent and not heard.
    sent: HashMap<String, u64>,
    /// Channel → the latest round Redis took, and when.
    taken: HashMap<String, (u64, Instant)>,
    /// Channels whose probe reached no subscriber.
    unheard: Vec<String>,
}

impl Awaited {
    pub(super) fn sent<'a>(&mut self, channels: impl Iterator<Item = &'a String>, round: u64) {
        for channel in channels {
            self.sent.entry(channel.clone()).or_insert(round);
        }
    }

    pub(super) fn published(&mut self, publication: Publication) {
        let Publication { channel, round, reached, at } = publication;
        if reached == 0 {
            self.unheard.push(channel);
        } else if self.sent.get(&channel).is_some_and(|oldest| *oldest <= round) {
            self.taken.insert(channel, (round, at));
        }
    }

    /// A message on `channel`; true when it was the last probe awaited (the path works).
    pub(super) fn heard(&mut self, channel: &str, payload: &[u8]) -> bool {
        let round = std::str::from_utf8(payload).ok().and_then(|r| r.parse::<u64>().ok());
        let Some(oldest) = self.sent.get(channel) else { return false };
        if round.is_none_or(|round| round < *oldest) {
            return false;
        }
        self.sent.remove(channel);
        self.taken.remove(channel);
        self.sent.is_empty()
    }

    /// The channels whose probe is lost at `now`.
    pub(super) fn overdue(&mut self, now: Instant) -> Vec<String> {
        let mut lost = std::mem::take(&mut self.unheard);
        lost.extend(
            self.taken
                .iter()
                .filter(|(_, (_, at))| now.duration_since(*at) >= LOST_AFTER)
                .map(|(channel, _)| channel.clone()),
        );
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(channel: &str, round: u64, reached: u64, at: Instant) -> Publication {
        Publication { channel: channel.into(), round, reached, at }
    }

    #[test]
    fn a_probe_redis_has_not_taken_yet_is_slow_not_lost() {
        let mut awaited = Awaited::default();
        let start = Instant::now();
        let probe = "p".to_owned();
        awaited.sent([&probe].into_iter(), 1);
        // Redis answers nothing for ten seconds: no verdict on the path.
        assert!(awaited.overdue(start + Duration::from_secs(10)).is_empty());
        // Then it takes round 1 and the message follows.
        awaited.published(taken("p", 1, 1, start + Duration::from_secs(10)));
        assert!(awaited.heard("p", b"1"), "every probe back: the path works");
        assert!(awaited.overdue(start + Duration::from_secs(20)).is_empty());
    }

    #[test]
    fn a_probe_taken_and_not_heard_or_heard_by_nobody_is_lost() {
        let mut awaited = Awaited::default();
        let start = Instant::now();
        let (a, b) = ("a".to_owned(), "b".to_owned());
        awaited.sent([&a, &b].into_iter(), 1);
        awaited.published(taken("a", 1, 1, start));
        awaited.published(taken("b", 1, 1, start));
        assert!(!awaited.heard("a", b"1"), "b is still awaited");
        assert!(awaited.overdue(start + Duration::from_millis(1_000)).is_empty());
        assert_eq!(awaited.overdue(start + LOST_AFTER), ["b"]);
        // A channel nobody is subscribed to is lost at once.
        let mut awaited = Awaited::default();
        awaited.sent([&a].into_iter(), 7);
        awaited.published(taken("a", 7, 0, start));
        assert_eq!(awaited.overdue(start), ["a"]);
    }

    #[test]
    fn an_older_probe_heard_late_does_not_stand_for_a_newer_one_and_the_oldest_is_awaited() {
        let mut awaited = Awaited::default();
        let probe = "p".to_owned();
        awaited.sent([&probe].into_iter(), 3);
        awaited.sent([&probe].into_iter(), 4);
        assert!(!awaited.heard("p", b"2"), "a round before the oldest awaited");
        assert!(!awaited.heard("p", b"junk"));
        assert!(awaited.heard("p", b"3"));
    }
}
