//! Rate limits on every door, keyed by client address or seat (`governor`: a steady rate with a
//! burst, per key). Keys that have been quiet long enough to be fresh again are forgotten by
//! [`RateLimits::forget_idle`], so memory follows the number of busy keys, not of keys ever seen.
//! Limits are per instance.

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

/// Refusals by a rate limit, by `door` (a Prometheus counter).
pub const RATE_LIMITED: &str = "burner_rate_limited_total";

/// A rate limit per key, at one door.
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>,
    /// Which door, for the metrics.
    door: &'static str,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// At `door`: `burst` at once, then `per_second` (which may be below one).
    pub fn new(door: &'static str, burst: u32, per_second: f64) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let period = Duration::from_secs_f64(1.0 / per_second.max(1e-6));
        let quota = Quota::with_period(period).unwrap_or(Quota::per_second(burst));
        Limiter { inner: RateLimiter::hashmap(quota.allow_burst(burst)), door }
    }

    /// At `door`: `per_minute` at once, refilled over a minute.
    pub fn per_minute(door: &'static str, per_minute: u32) -> Self {
        Self::new(door, per_minute, f64::from(per_minute) / 60.0)
    }

    /// Takes one turn for `key`; `Err` says how long until the next one.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.inner.check_key(key).map_err(|not_until| {
            metrics::counter!(RATE_LIMITED, "door" => self.door).increment(1);
            not_until.wait_time_from(self.inner.clock().now())
        })
    }

    /// Forgets keys that are as good as new again.
    pub fn forget_idle(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

/// A client as rate limits see it: its address, with an IPv6 client counted per /64 (one
/// host usually holds a whole /64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let [a, b, c, d, ..] = v6.segments();
                    ClientKey(IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0)))
                }
            },
            v4 => ClientKey(v4),
        }
    }
}

/// Every rate limit of an instance, one per way in (a door).
pub struct RateLimits {
    /// `create_room`, per client.
    pub create: Limiter<ClientKey>,
    /// `room_view`, `room_history` and `room_options`, per client.
    pub views: Limiter<ClientKey>,
    /// `join_room`, `leave_room`, `destroy_room` and `creator_act`, per client.
    pub actions: Limiter<ClientKey>,
    /// WebSocket upgrades, per client.
    pub upgrades: Limiter<ClientKey>,
    /// Messages, per seat.
    pub messages: Limiter<String>,
}

impl RateLimits {
    /// The door a call to the API endpoint `name` passes (`None`: not an endpoint of ours).
    pub fn of_endpoint(&self, name: &str) -> Option<&Limiter<ClientKey>> {
        match name {
            "create_room" => Some(&self.create),
            "room_view" | "room_history" | "room_options" => Some(&self.views),
            "join_room" | "leave_room" | "destroy_room" | "creator_act" => Some(&self.actions),
            _ => None,
        }
    }

    /// Forgets idle keys at every door (call it every minute or so).
    pub fn forget_idle(&self) {
        self.create.forget_idle();
        self.views.forget_idle();
        self.actions.forget_idle();
        self.upgrades.forget_idle();
        self.messages.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_the_wait() {
        let limiter = Limiter::new("test", 3, 1.0);
        for _ in 0..3 {
            assert!(limiter.check(&"ip").is_ok());
        }
        let wait = limiter.check(&"ip").err().unwrap_or_default();
        assert!(wait > Duration::from_millis(800) && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(limiter.check(&"other").is_ok(), "keys are independent");
    }

    #[test]
    fn memory_stays_flat_after_a_million_distinct_keys() {
        // A quota that is fresh again a millisecond after each use.
        let limiter = Limiter::new("test", 1, 1000.0);
        let mut most = 0;
        for batch in 0..10u32 {
            for i in 0..100_000u32 {
                assert!(limiter.check(&(batch, i)).is_ok());
            }
            most = most.max(limiter.len());
            std::thread::sleep(Duration::from_millis(5));
            limiter.forget_idle();
            assert_eq!(limiter.len(), 0, "batch {batch}: idle keys are forgotten");
        }
        assert_eq!(most, 100_000, "never more than one batch of keys held");
    }

    #[test]
    fn ipv6_clients_are_one_key_per_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap_or(IpAddr::V4([0; 4].into()));
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap_or(IpAddr::V4([0; 4].into()));
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap_or(IpAddr::V4([0; 4].into()));
        assert_eq!(ClientKey::from(a), ClientKey::from(b));
        assert_ne!(ClientKey::from(a), ClientKey::from(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap_or(IpAddr::V4([0; 4].into()));
        assert_eq!(ClientKey::from(mapped), ClientKey::from(IpAddr::V4([192, 0, 2, 7].into())));
    }
}
