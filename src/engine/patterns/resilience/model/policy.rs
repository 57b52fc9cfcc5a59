//! What a caller→callee edge is configured with, what it counts (in the spirit of the Hystrix
//! dashboard), and the live changes a learner can make while a run plays.

use super::breaker::{BreakerConfig, BreakerState};
use super::bulkhead::BulkheadConfig;
use super::rate_limit::ClientLimiterConfig;
use super::retry::RetryConfig;
use crate::engine::core::ids::ServiceId;
use crate::engine::core::time::SimDuration;
use serde::{Deserialize, Serialize};

/// A degraded answer given when every attempt failed; counted apart from real successes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// A fixed default answer (an empty list, "restaurant info unavailable").
    Static,
    /// The last good answer, if the edge ever had one; else the failure stands.
    Cached,
}

/// The policies on calls from one service to another.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EdgePolicy {
    pub from: ServiceId,
    pub to: ServiceId,
    /// Per attempt (a time limiter); replaces the calls' own timeouts on this edge.
    pub timeout: Option<SimDuration>,
    pub retry: Option<RetryConfig>,
    pub circuit_breaker: Option<BreakerConfig>,
    pub bulkhead: Option<BulkheadConfig>,
    pub rate_limiter: Option<ClientLimiterConfig>,
    pub fallback: Option<Fallback>,
}

impl EdgePolicy {
    pub fn plain(from: ServiceId, to: ServiceId) -> EdgePolicy {
        EdgePolicy {
            from,
            to,
            ..EdgePolicy::default()
        }
    }

    /// No policy at all: calls on this edge take the engine's direct path.
    pub fn is_plain(&self) -> bool {
        self.timeout.is_none()
            && self.retry.is_none()
            && self.circuit_breaker.is_none()
            && self.bulkhead.is_none()
            && self.rate_limiter.is_none()
            && self.fallback.is_none()
    }

    /// The same edge with every protection removed (the "protections off" side of a comparison).
    pub fn stripped(&self) -> EdgePolicy {
        EdgePolicy::plain(self.from, self.to)
    }
}

/// A live change to an edge's policies, applied as a recorded command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "setting", content = "value")]
pub enum PolicyChange {
    /// Per-attempt timeout in µs; `None` removes it.
    TimeoutUs(Option<u64>),
    /// Attempts including the first; 1 switches retry off.
    RetryMaxAttempts(u32),
    RetryJitter(#[serde(serialize_with = "crate::engine::core::json::finite")] f64),
    /// Switches the retry budget on (percent of requests) or off.
    RetryBudgetPercent(
        #[serde(serialize_with = "crate::engine::core::json::finite_option")] Option<f64>,
    ),
    /// Switches the circuit breaker on (with its scenario settings, or Resilience4j's defaults)
    /// or off.
    BreakerEnabled(bool),
    BreakerFailureRate(#[serde(serialize_with = "crate::engine::core::json::finite")] f64),
    BreakerSlowCallRate(#[serde(serialize_with = "crate::engine::core::json::finite")] f64),
    BreakerSlowCallDurationUs(u64),
    BreakerMinimumCalls(u32),
    BreakerWindowSize(u32),
    BreakerWaitInOpenUs(u64),
    BreakerPermittedInHalfOpen(u32),
    /// A manual transition: forced_open, disabled, metrics_only, closed, …
    BreakerState(BreakerState),
    BulkheadMaxConcurrent(Option<u32>),
    RateLimitPerPeriod(Option<u32>),
    Fallback(Option<Fallback>),
}

impl PolicyChange {
    /// The knob's name, as the command log writes it (`"setting": "timeout_us"`).
    pub fn setting(&self) -> &'static str {
        match self {
            PolicyChange::TimeoutUs(_) => "timeout_us",
            PolicyChange::RetryMaxAttempts(_) => "retry_max_attempts",
            PolicyChange::RetryJitter(_) => "retry_jitter",
            PolicyChange::RetryBudgetPercent(_) => "retry_budget_percent",
            PolicyChange::BreakerEnabled(_) => "breaker_enabled",
            PolicyChange::BreakerFailureRate(_) => "breaker_failure_rate",
            PolicyChange::BreakerSlowCallRate(_) => "breaker_slow_call_rate",
            PolicyChange::BreakerSlowCallDurationUs(_) => "breaker_slow_call_duration_us",
            PolicyChange::BreakerMinimumCalls(_) => "breaker_minimum_calls",
            PolicyChange::BreakerWindowSize(_) => "breaker_window_size",
            PolicyChange::BreakerWaitInOpenUs(_) => "breaker_wait_in_open_us",
            PolicyChange::BreakerPermittedInHalfOpen(_) => "breaker_permitted_in_half_open",
            PolicyChange::BreakerState(_) => "breaker_state",
            PolicyChange::BulkheadMaxConcurrent(_) => "bulkhead_max_concurrent",
            PolicyChange::RateLimitPerPeriod(_) => "rate_limit_per_period",
            PolicyChange::Fallback(_) => "fallback",
        }
    }

    /// The knob's value as JSON (`null` for "off"), as serde writes it.
    pub fn value_json(&self) -> String {
        fn opt<T: std::fmt::Display>(value: &Option<T>) -> String {
            value
                .as_ref()
                .map_or_else(|| "null".to_string(), |v| v.to_string())
        }
        match self {
            PolicyChange::TimeoutUs(v) => opt(v),
            PolicyChange::RetryBudgetPercent(v) => opt(v),
            PolicyChange::BulkheadMaxConcurrent(v) | PolicyChange::RateLimitPerPeriod(v) => opt(v),
            PolicyChange::RetryMaxAttempts(v)
            | PolicyChange::BreakerMinimumCalls(v)
            | PolicyChange::BreakerWindowSize(v)
            | PolicyChange::BreakerPermittedInHalfOpen(v) => v.to_string(),
            PolicyChange::RetryJitter(v)
            | PolicyChange::BreakerFailureRate(v)
            | PolicyChange::BreakerSlowCallRate(v) => v.to_string(),
            PolicyChange::BreakerSlowCallDurationUs(v) | PolicyChange::BreakerWaitInOpenUs(v) => {
                v.to_string()
            }
            PolicyChange::BreakerEnabled(v) => v.to_string(),
            PolicyChange::BreakerState(state) => format!("\"{}\"", state.key()),
            PolicyChange::Fallback(None) => "null".to_string(),
            PolicyChange::Fallback(Some(Fallback::Static)) => "\"static\"".to_string(),
            PolicyChange::Fallback(Some(Fallback::Cached)) => "\"cached\"".to_string(),
        }
    }
}

/// Largest values a knob may be turned to.
pub const MAX_ATTEMPTS: u32 = 20;
pub const MAX_WINDOW: u32 = 10_000;
pub const MAX_CONCURRENT: u32 = 100_000;

impl PolicyChange {
    /// Checks the value is sane; the message says what is allowed.
    pub fn check(&self) -> Result<(), String> {
        let percent = |value: f64, what: &str| {
            if (0.0..=100.0).contains(&value) {
                Ok(())
            } else {
                Err(format!("{what} must be from 0 to 100 %, got {value}"))
            }
        };
        match self {
            PolicyChange::TimeoutUs(Some(0)) => Err("a timeout must be above zero".into()),
            PolicyChange::RetryMaxAttempts(n) if !(1..=MAX_ATTEMPTS).contains(n) => Err(format!(
                "attempts must be from 1 to {MAX_ATTEMPTS}, got {n}"
            )),
            PolicyChange::RetryJitter(j) if !(0.0..=1.0).contains(j) => {
                Err(format!("jitter must be from 0 to 1, got {j}"))
            }
            PolicyChange::RetryBudgetPercent(Some(p)) => percent(*p, "the retry budget"),
            PolicyChange::BreakerFailureRate(p) => percent(*p, "the failure-rate threshold"),
            PolicyChange::BreakerSlowCallRate(p) => percent(*p, "the slow-call-rate threshold"),
            PolicyChange::BreakerMinimumCalls(n)
            | PolicyChange::BreakerWindowSize(n)
            | PolicyChange::BreakerPermittedInHalfOpen(n)
                if !(1..=MAX_WINDOW).contains(n) =>
            {
                Err(format!("must be from 1 to {MAX_WINDOW}, got {n}"))
            }
            // Resilience4j refuses an OPEN wait under 1 ms (it counts whole milliseconds).
            PolicyChange::BreakerWaitInOpenUs(us) if *us < 1_000 => Err(format!(
                "the wait in OPEN must be at least 1 ms, got {us} µs"
            )),
            PolicyChange::BreakerSlowCallDurationUs(0) => {
                Err("a duration must be above zero".into())
            }
            PolicyChange::BulkheadMaxConcurrent(Some(n))
            | PolicyChange::RateLimitPerPeriod(Some(n))
                if !(1..=MAX_CONCURRENT).contains(n) =>
            {
                Err(format!("must be from 1 to {MAX_CONCURRENT}, got {n}"))
            }
            _ => Ok(()),
        }
    }

    /// Applies the change to a policy configuration.
    pub fn apply_to(&self, policy: &mut EdgePolicy) {
        fn breaker(policy: &mut EdgePolicy) -> &mut BreakerConfig {
            policy
                .circuit_breaker
                .get_or_insert_with(BreakerConfig::default)
        }
        match self {
            PolicyChange::TimeoutUs(us) => policy.timeout = us.map(SimDuration),
            PolicyChange::RetryMaxAttempts(1) => policy.retry = None,
            PolicyChange::RetryMaxAttempts(n) => {
                policy
                    .retry
                    .get_or_insert_with(RetryConfig::default)
                    .max_attempts = *n
            }
            PolicyChange::RetryJitter(j) => {
                policy.retry.get_or_insert_with(RetryConfig::default).jitter = *j
            }
            PolicyChange::RetryBudgetPercent(percent) => {
                let retry = policy.retry.get_or_insert_with(RetryConfig::default);
                retry.budget = percent.map(|percent| super::retry::RetryBudget {
                    percent,
                    min_per_second: retry.budget.map_or(1.0, |b| b.min_per_second),
                });
            }
            PolicyChange::BreakerEnabled(true) => {
                breaker(policy);
            }
            PolicyChange::BreakerEnabled(false) => policy.circuit_breaker = None,
            PolicyChange::BreakerFailureRate(p) => breaker(policy).failure_rate_threshold = *p,
            PolicyChange::BreakerSlowCallRate(p) => breaker(policy).slow_call_rate_threshold = *p,
            PolicyChange::BreakerSlowCallDurationUs(us) => {
                breaker(policy).slow_call_duration = SimDuration(*us)
            }
            PolicyChange::BreakerMinimumCalls(n) => breaker(policy).minimum_calls = *n,
            PolicyChange::BreakerWindowSize(n) => breaker(policy).window_size = *n,
            PolicyChange::BreakerWaitInOpenUs(us) => {
                breaker(policy).wait_in_open = SimDuration(*us)
            }
            PolicyChange::BreakerPermittedInHalfOpen(n) => {
                breaker(policy).permitted_in_half_open = *n
            }
            PolicyChange::BreakerState(_) => {
                breaker(policy);
            }
            PolicyChange::BulkheadMaxConcurrent(None) => policy.bulkhead = None,
            PolicyChange::BulkheadMaxConcurrent(Some(n)) => {
                policy.bulkhead = Some(match policy.bulkhead.take() {
                    Some(BulkheadConfig::ThreadPool {
                        core,
                        queue_capacity,
                        ..
                    }) => BulkheadConfig::ThreadPool {
                        core: core.min(*n),
                        max: *n,
                        queue_capacity,
                    },
                    Some(BulkheadConfig::Semaphore { max_wait, .. }) => BulkheadConfig::Semaphore {
                        max_concurrent: *n,
                        max_wait,
                    },
                    None => BulkheadConfig::Semaphore {
                        max_concurrent: *n,
                        max_wait: SimDuration::ZERO,
                    },
                });
            }
            PolicyChange::RateLimitPerPeriod(None) => policy.rate_limiter = None,
            PolicyChange::RateLimitPerPeriod(Some(n)) => {
                let limiter = policy
                    .rate_limiter
                    .get_or_insert_with(|| ClientLimiterConfig {
                        limit_for_period: *n,
                        refresh_period: SimDuration::from_secs(1),
                        timeout: SimDuration::ZERO,
                    });
                limiter.limit_for_period = *n;
            }
            PolicyChange::Fallback(fallback) => policy.fallback = *fallback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_switch_protections_on_and_off() {
        let mut policy = EdgePolicy::plain(ServiceId(0), ServiceId(1));
        assert!(policy.is_plain());
        PolicyChange::BreakerFailureRate(30.0).apply_to(&mut policy);
        let breaker = policy
            .circuit_breaker
            .clone()
            .expect("created with defaults");
        assert_eq!(breaker.failure_rate_threshold, 30.0);
        assert_eq!(
            breaker.minimum_calls, 100,
            "everything else is Resilience4j's default"
        );
        PolicyChange::RetryMaxAttempts(4).apply_to(&mut policy);
        assert_eq!(policy.retry.as_ref().map(|r| r.max_attempts), Some(4));
        PolicyChange::RetryMaxAttempts(1).apply_to(&mut policy);
        assert!(policy.retry.is_none());
        PolicyChange::BreakerEnabled(false).apply_to(&mut policy);
        assert!(policy.is_plain());
    }

    #[test]
    fn absurd_knob_values_are_refused() {
        assert!(PolicyChange::BreakerFailureRate(150.0).check().is_err());
        assert!(PolicyChange::RetryMaxAttempts(0).check().is_err());
        assert!(PolicyChange::RetryMaxAttempts(500).check().is_err());
        assert!(PolicyChange::TimeoutUs(Some(0)).check().is_err());
        assert!(
            PolicyChange::BulkheadMaxConcurrent(Some(0))
                .check()
                .is_err()
        );
        assert!(PolicyChange::TimeoutUs(Some(800_000)).check().is_ok());
    }
}
