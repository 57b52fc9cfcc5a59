//! Resilience4j's `IntervalFunction` (resilience4j-core): the wait before an attempt, in whole
//! milliseconds, for attempt 1, 2, 3, …
//!
//! Exponential backoff is not `initial × multiplierⁿ⁻¹` in real numbers: Resilience4j iterates
//! `x → (long) (x × multiplier)` from the initial interval, truncating to a whole millisecond at
//! every step, so 1 ms × 1.5 stays 1 ms for ever and 5 ms × 1.5 goes 5, 7, 10, 15, 22. The
//! randomised variants draw uniformly in [x·(1−f), x·(1+f)) and truncate once more. A cap, if
//! any, applies last.

/// Waits longer than this (about 31 years) are clamped: they would overflow the clock.
pub const MAX_INTERVAL_MS: u64 = 1_000_000_000_000;

/// `IntervalFunction.ofExponentialBackoff(initial_ms, multiplier).apply(attempt)`: the interval
/// for `attempt` (1-based; 0 is read as 1), iterated in whole milliseconds. A multiplier of 1
/// is `IntervalFunction.of(initial_ms)`, the fixed interval.
pub fn exponential_ms(initial_ms: u64, multiplier: f64, attempt: u32) -> u64 {
    let mut interval = initial_ms.min(MAX_INTERVAL_MS);
    for _ in 1..attempt {
        // Java's `(long)` of a double truncates toward zero and saturates, like `as u64` (for
        // the non-negative values a validated multiplier gives).
        let next = ((interval as f64 * multiplier) as u64).min(MAX_INTERVAL_MS);
        if next == interval {
            break; // a fixed point: every later attempt gets the same interval
        }
        interval = next;
    }
    interval
}

/// `IntervalFunctionCompanion.randomize` then `(long)`: uniform in `[x·(1−f), x·(1+f))` for
/// `unit` uniform in [0, 1), truncated to a whole millisecond.
pub fn randomized_ms(interval_ms: u64, factor: f64, unit: f64) -> u64 {
    let current = interval_ms as f64;
    let delta = factor * current;
    let (min, max) = (current - delta, current + delta);
    ((min + unit * (max - min)) as u64).min(MAX_INTERVAL_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_backoff_truncates_at_every_step() {
        let series: Vec<u64> = (1..=6).map(|n| exponential_ms(5, 1.5, n)).collect();
        assert_eq!(series, [5, 7, 10, 15, 22, 33]);
        // Real-number powers would give 5, 7.5, 11.25, 16.875, …
        assert_ne!(
            exponential_ms(5, 1.5, 3),
            (5.0 * libm::pow(1.5, 2.0)) as u64
        );
        assert_eq!(exponential_ms(1, 1.5, 10), 1, "1 ms × 1.5 stays 1 ms");
        assert_eq!(exponential_ms(500, 1.5, 1), 500);
        assert_eq!(
            exponential_ms(500, 1.5, 0),
            500,
            "attempt 0 reads as the first"
        );
        assert_eq!(
            exponential_ms(60_000, 1.0, 7),
            60_000,
            "a multiplier of 1 is fixed"
        );
        assert_eq!(exponential_ms(1_000, 2.0, u32::MAX), MAX_INTERVAL_MS);
    }

    #[test]
    fn randomisation_stays_in_its_band_and_truncates() {
        assert_eq!(randomized_ms(1_000, 0.5, 0.0), 500);
        assert_eq!(randomized_ms(1_000, 0.5, 0.999_999), 1_499);
        assert_eq!(randomized_ms(3, 0.5, 0.5), 3);
        assert_eq!(randomized_ms(3, 0.5, 0.1), 1, "1.8 ms truncates to 1 ms");
        assert_eq!(randomized_ms(1_000, 0.0, 0.7), 1_000);
    }
}
