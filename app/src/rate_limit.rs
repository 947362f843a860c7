//! Token buckets keyed by a string (an IP for room creation, a seat for messages).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many actions a key may take: a burst, refilled at a steady rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quota {
    pub burst: u32,
    pub per_second: f64,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// An in-process limiter: cheap, and fair enough for one instance. Buckets that are full
/// again are forgotten, so memory stays bounded by the number of active keys.
#[derive(Debug)]
pub struct RateLimiter {
    quota: Quota,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(quota: Quota) -> Self {
        RateLimiter { quota, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `key`; `Err` holds how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Quota { burst, per_second } = self.quota;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 10_000 {
            let full_after = Duration::from_secs_f64(f64::from(burst) / per_second.max(1e-9));
            buckets.retain(|_, b| now.duration_since(b.updated) < full_after);
        }
        let bucket = buckets
            .entry(key.to_owned())
            .or_insert(Bucket { tokens: f64::from(burst), updated: now });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(f64::from(burst));
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / per_second.max(1e-9);
            Err(Duration::from_secs_f64(wait))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_then_refilled() {
        let limiter = RateLimiter::new(Quota { burst: 3, per_second: 1.0 });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("ip", t0).is_ok());
        }
        let wait = limiter.check_at("ip", t0).err().unwrap_or_default();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(limiter.check_at("other", t0).is_ok(), "keys are independent");
        assert!(limiter.check_at("ip", t0 + Duration::from_millis(1001)).is_ok());
    }
}
