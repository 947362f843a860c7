//! Reconnect delays: exponential, capped, with jitter so a restarted server is not stampeded.

use std::time::Duration;

const BASE_MS: f64 = 500.0;
const CAP_MS: f64 = 15_000.0;

/// The delay before reconnect attempt `attempt` (1 = first retry); `random` in `[0, 1)`
/// spreads it over the upper half of the exponential step.
pub fn reconnect_delay(attempt: u32, random: f64) -> Duration {
    let step = (BASE_MS * 2f64.powi(attempt.saturating_sub(1).min(16) as i32)).min(CAP_MS);
    let jittered = step * (0.5 + 0.5 * random.clamp(0.0, 1.0));
    Duration::from_millis(jittered as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_stop_at_the_cap() {
        assert_eq!(reconnect_delay(1, 1.0), Duration::from_millis(500));
        assert_eq!(reconnect_delay(2, 1.0), Duration::from_millis(1000));
        assert_eq!(reconnect_delay(4, 1.0), Duration::from_millis(4000));
        assert_eq!(reconnect_delay(30, 1.0), Duration::from_millis(15_000));
    }

    #[test]
    fn jitter_keeps_at_least_half_the_step() {
        assert_eq!(reconnect_delay(3, 0.0), Duration::from_millis(1000));
        assert!(reconnect_delay(3, 0.5) > Duration::from_millis(1000));
    }
}
