//! Retry (Resilience4j semantics, semantics.md §2): at most `max_attempts` attempts including the
//! first, waiting between them a fixed interval or an exponential one (initial × multiplierⁿ⁻¹,
//! iterated in whole milliseconds as Resilience4j's `IntervalFunction` does), optionally
//! randomised uniformly within ±`jitter` of it (truncated to a millisecond again), then capped.
//! Which outcomes are
//! retried is configurable; a retry budget can cap retries to a share of recent requests, so a
//! struggling dependency is not buried under a retry storm.

use super::interval;
use crate::engine::core::rng::SimRng;
use crate::engine::core::status::Status;
use crate::engine::core::time::{SimDuration, SimTime};
use serde::Serialize;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    Fixed,
    Exponential,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RetryConfig {
    pub max_attempts: u32,
    pub wait: SimDuration,
    pub backoff: Backoff,
    pub multiplier: f64,
    pub max_wait: Option<SimDuration>,
    /// 0: no randomisation; 0.5: uniform within ±50 % of the interval.
    pub jitter: f64,
    /// Outcomes that are retried.
    pub retry_on: Vec<Status>,
    /// Wait at least as long as a 429's Retry-After asks.
    pub honour_retry_after: bool,
    pub budget: Option<RetryBudget>,
}

/// Retries allowed in any 10-second window: `percent` of the requests plus `min_per_second` × 10.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RetryBudget {
    pub percent: f64,
    pub min_per_second: f64,
}

/// How long the budget remembers requests and retries.
pub const BUDGET_WINDOW: SimDuration = SimDuration(10_000_000);

impl Default for RetryConfig {
    /// Resilience4j's defaults: 3 attempts, 500 ms fixed, every failure retried.
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            wait: SimDuration::from_millis(500),
            backoff: Backoff::Fixed,
            multiplier: 1.5,
            max_wait: None,
            jitter: 0.0,
            retry_on: Status::ALL.iter().copied().filter(|s| !s.is_ok()).collect(),
            honour_retry_after: true,
            budget: None,
        }
    }
}

impl RetryConfig {
    /// The interval in whole milliseconds before attempt `attempt + 1`, after attempt `attempt`
    /// (1-based) failed, before jitter and cap: `IntervalFunction.of(wait)` or
    /// `ofExponentialBackoff(wait, multiplier)`.
    pub fn interval_ms(&self, attempt: u32) -> u64 {
        let initial_ms = self.wait.as_millis();
        match self.backoff {
            Backoff::Fixed => initial_ms,
            Backoff::Exponential => interval::exponential_ms(initial_ms, self.multiplier, attempt),
        }
    }

    /// The wait before the next attempt, with jitter drawn from `rng` when configured: as
    /// `ofRandomized` / `ofExponentialRandomBackoff` (randomised, truncated, then capped by
    /// `max_wait`). A 429's Retry-After wins when it is longer.
    pub fn wait_after(
        &self,
        attempt: u32,
        rng: &mut SimRng,
        retry_after: Option<SimDuration>,
    ) -> SimDuration {
        let mut interval_ms = self.interval_ms(attempt);
        if self.jitter > 0.0 {
            interval_ms = interval::randomized_ms(interval_ms, self.jitter, rng.next_f64());
        }
        if let Some(cap) = self.max_wait {
            interval_ms = interval_ms.min(cap.as_millis());
        }
        let mut wait = SimDuration::from_millis(interval_ms);
        if self.honour_retry_after
            && let Some(after) = retry_after
        {
            wait = wait.max(after);
        }
        wait
    }

    pub fn retries(&self, status: Status) -> bool {
        self.retry_on.contains(&status)
    }
}

/// The retry budget's memory of recent requests and retries.
#[derive(Clone, Debug, Default)]
pub struct BudgetTracker {
    requests: VecDeque<SimTime>,
    retries: VecDeque<SimTime>,
}

impl BudgetTracker {
    fn forget(&mut self, now: SimTime) {
        let horizon = SimTime(now.0.saturating_sub(BUDGET_WINDOW.0));
        while self.requests.front().is_some_and(|&t| t < horizon) {
            self.requests.pop_front();
        }
        while self.retries.front().is_some_and(|&t| t < horizon) {
            self.retries.pop_front();
        }
    }

    pub fn record_request(&mut self, now: SimTime) {
        self.forget(now);
        self.requests.push_back(now);
    }

    /// Takes a retry from the budget if one is left.
    pub fn try_retry(&mut self, now: SimTime, budget: &RetryBudget) -> bool {
        self.forget(now);
        let window_s = BUDGET_WINDOW.as_secs_f64();
        let allowed =
            budget.percent / 100.0 * self.requests.len() as f64 + budget.min_per_second * window_s;
        if (self.retries.len() + 1) as f64 <= allowed {
            self.retries.push_back(now);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_resilience4js() {
        let config = RetryConfig::default();
        assert_eq!(config.max_attempts, 3);
        assert_eq!(config.wait, SimDuration::from_millis(500));
        assert_eq!(config.backoff, Backoff::Fixed);
        assert!(config.retries(Status::Error) && config.retries(Status::Timeout));
        assert!(!config.retries(Status::Ok));
    }

    #[test]
    fn exponential_backoff_multiplies_and_caps() {
        let config = RetryConfig {
            wait: SimDuration::from_millis(100),
            backoff: Backoff::Exponential,
            multiplier: 2.0,
            max_wait: Some(SimDuration::from_millis(500)),
            ..RetryConfig::default()
        };
        let mut rng = SimRng::derive(1, "retry-test");
        let waits: Vec<u64> = (1..=5)
            .map(|n| config.wait_after(n, &mut rng, None).0 / 1_000)
            .collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
        let fixed = RetryConfig::default();
        assert_eq!(fixed.interval_ms(4), 500);
    }

    #[test]
    fn exponential_backoff_is_whole_milliseconds_at_every_step() {
        // Resilience4j: 5 → (long) 7.5 = 7 → (long) 10.5 = 10 → 15 → (long) 22.5 = 22 ms.
        let config = RetryConfig {
            wait: SimDuration(5_900),
            backoff: Backoff::Exponential,
            multiplier: 1.5,
            ..RetryConfig::default()
        };
        let mut rng = SimRng::derive(1, "retry-test");
        let waits: Vec<SimDuration> = (1..=5)
            .map(|n| config.wait_after(n, &mut rng, None))
            .collect();
        let expected: Vec<SimDuration> = [5, 7, 10, 15, 22]
            .into_iter()
            .map(SimDuration::from_millis)
            .collect();
        assert_eq!(
            waits, expected,
            "5.9 ms reads as 5 ms, and each step truncates"
        );
        // 1 ms × 1.5 stays 1 ms for ever.
        let tiny = RetryConfig {
            wait: SimDuration::from_millis(1),
            ..config
        };
        assert_eq!(
            tiny.wait_after(9, &mut rng, None),
            SimDuration::from_millis(1)
        );
    }

    #[test]
    fn jitter_stays_within_its_band_and_retry_after_wins_when_longer() {
        let config = RetryConfig {
            wait: SimDuration::from_millis(100),
            jitter: 0.5,
            ..RetryConfig::default()
        };
        let mut rng = SimRng::derive(3, "retry-test");
        let waits: Vec<u64> = (0..1_000)
            .map(|_| config.wait_after(1, &mut rng, None).0)
            .collect();
        assert!(waits.iter().all(|&w| (50_000..150_000).contains(&w)));
        assert!(waits.iter().any(|&w| w < 70_000) && waits.iter().any(|&w| w > 130_000));
        assert!(
            waits.iter().all(|&w| w % 1_000 == 0),
            "randomised waits are whole milliseconds too"
        );
        let plain = RetryConfig::default();
        assert_eq!(
            plain.wait_after(1, &mut rng, Some(SimDuration::from_secs(2))),
            SimDuration::from_secs(2)
        );
        assert_eq!(
            plain.wait_after(1, &mut rng, Some(SimDuration::from_millis(1))),
            SimDuration::from_millis(500)
        );
    }

    #[test]
    fn the_budget_caps_retries_to_a_share_of_recent_requests() {
        let budget = RetryBudget {
            percent: 20.0,
            min_per_second: 0.0,
        };
        let mut tracker = BudgetTracker::default();
        for i in 0..50 {
            tracker.record_request(SimTime(i * 1_000));
        }
        let granted = (0..30)
            .filter(|_| tracker.try_retry(SimTime(60_000), &budget))
            .count();
        assert_eq!(granted, 10, "20 % of 50 requests");
        // Ten seconds later the window has forgotten them all.
        tracker.record_request(SimTime(20_000_000));
        assert!(
            !tracker.try_retry(SimTime(20_000_000), &budget),
            "20 % of 1 request is under one retry"
        );
    }
}
