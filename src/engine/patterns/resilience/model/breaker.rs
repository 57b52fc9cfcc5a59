//! A circuit breaker with Resilience4j's state machine and defaults (semantics.md §1).
//!
//! CLOSED records outcomes in a sliding window (count- or time-based) and opens when, with at
//! least the minimum number of calls recorded, the failure rate or the slow-call rate reaches its
//! threshold. OPEN rejects every call ("not permitted", not a failure) until the wait has passed;
//! then, lazily on the next call or automatically by a timer, it moves to HALF_OPEN, which permits
//! exactly `permitted_in_half_open` trial calls and decides on their outcomes: any threshold
//! reached → OPEN again (the wait may back off), else → CLOSED with fresh metrics. DISABLED,
//! FORCED_OPEN and METRICS_ONLY are entered only by hand.
//!
//! Pure: time comes in as arguments; transitions come out as values for the engine to emit.

use super::interval;
use crate::engine::core::event::{Fold, ToJson, TraceHasher, serde_json_value};
use crate::engine::core::time::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// The last `size` calls.
    Count,
    /// The calls of the last `size` seconds, in one-second buckets.
    Time,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
    Disabled,
    ForcedOpen,
    MetricsOnly,
}

impl BreakerState {
    pub fn key(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Disabled => "disabled",
            BreakerState::ForcedOpen => "forced_open",
            BreakerState::MetricsOnly => "metrics_only",
        }
    }

    /// Resilience4j's `CircuitBreaker.StateTransition` table: CLOSED may go anywhere but to
    /// HALF_OPEN (only OPEN leads there); METRICS_ONLY only to itself, CLOSED, FORCED_OPEN or
    /// DISABLED; OPEN, HALF_OPEN, FORCED_OPEN and DISABLED anywhere. Every state may "go" to
    /// itself, which rebuilds it.
    pub fn may_become(self, next: BreakerState) -> bool {
        use BreakerState::*;
        match self {
            Closed => next != HalfOpen,
            MetricsOnly => matches!(next, MetricsOnly | Closed | ForcedOpen | Disabled),
            Open | HalfOpen | ForcedOpen | Disabled => true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerConfig {
    /// Percent of recorded calls that failed, at or above which the breaker opens.
    pub failure_rate_threshold: f64,
    /// Percent of recorded calls slower than `slow_call_duration`, at or above which it opens.
    pub slow_call_rate_threshold: f64,
    pub slow_call_duration: SimDuration,
    pub window: WindowKind,
    pub window_size: u32,
    pub minimum_calls: u32,
    pub permitted_in_half_open: u32,
    pub wait_in_open: SimDuration,
    /// Each reopening multiplies the wait by this (1 = fixed, Resilience4j's default).
    pub wait_multiplier: f64,
    pub automatic_transition: bool,
    /// Zero: wait in HALF_OPEN for as long as the trial calls take.
    pub max_wait_in_half_open: SimDuration,
    /// Where HALF_OPEN goes when its maximum wait expires: OPEN (default) or CLOSED.
    pub after_max_wait: BreakerState,
    pub initial_state: BreakerState,
}

impl Default for BreakerConfig {
    /// Resilience4j's defaults.
    fn default() -> Self {
        BreakerConfig {
            failure_rate_threshold: 50.0,
            slow_call_rate_threshold: 100.0,
            slow_call_duration: SimDuration::from_secs(60),
            window: WindowKind::Count,
            window_size: 100,
            minimum_calls: 100,
            permitted_in_half_open: 10,
            wait_in_open: SimDuration::from_secs(60),
            wait_multiplier: 1.0,
            automatic_transition: false,
            max_wait_in_half_open: SimDuration::ZERO,
            after_max_wait: BreakerState::Open,
            initial_state: BreakerState::Closed,
        }
    }
}

/// Why the breaker changed state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum TransitionReason {
    FailureRateExceeded {
        failure_rate: f64,
        calls: u32,
    },
    SlowCallRateExceeded {
        slow_call_rate: f64,
        calls: u32,
    },
    WaitInOpenElapsed,
    TrialCallsPassed {
        failure_rate: f64,
        slow_call_rate: f64,
    },
    TrialCallsFailed {
        failure_rate: f64,
        slow_call_rate: f64,
    },
    MaxWaitInHalfOpenElapsed,
    Manual,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Transition {
    pub at_us: u64,
    pub from: BreakerState,
    pub to: BreakerState,
    pub reason: TransitionReason,
}

impl Fold for BreakerState {
    fn fold(&self, hasher: &mut TraceHasher) {
        hasher.word(*self as u64);
    }
}

impl Fold for TransitionReason {
    /// A number per reason, then its figures (rates as their exact bits).
    fn fold(&self, hasher: &mut TraceHasher) {
        match *self {
            TransitionReason::FailureRateExceeded {
                failure_rate,
                calls,
            } => hasher.words(&[1, failure_rate.to_bits(), u64::from(calls)]),
            TransitionReason::SlowCallRateExceeded {
                slow_call_rate,
                calls,
            } => hasher.words(&[2, slow_call_rate.to_bits(), u64::from(calls)]),
            TransitionReason::WaitInOpenElapsed => hasher.word(3),
            TransitionReason::TrialCallsPassed {
                failure_rate,
                slow_call_rate,
            } => hasher.words(&[4, failure_rate.to_bits(), slow_call_rate.to_bits()]),
            TransitionReason::TrialCallsFailed {
                failure_rate,
                slow_call_rate,
            } => hasher.words(&[5, failure_rate.to_bits(), slow_call_rate.to_bits()]),
            TransitionReason::MaxWaitInHalfOpenElapsed => hasher.word(6),
            TransitionReason::Manual => hasher.word(7),
        }
    }
}

impl<S: ?Sized> ToJson<S> for BreakerState {
    fn to_json(&self, _: &S) -> serde_json::Value {
        serde_json_value(self)
    }
}

impl<S: ?Sized> ToJson<S> for TransitionReason {
    fn to_json(&self, _: &S) -> serde_json::Value {
        serde_json_value(self)
    }
}

/// A window's verdict on its recorded calls.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    BelowMinimumCalls,
    Below {
        failure_rate: f64,
        slow_call_rate: f64,
    },
    FailureRateExceeded {
        failure_rate: f64,
        calls: u32,
    },
    SlowCallRateExceeded {
        slow_call_rate: f64,
        calls: u32,
    },
}

#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    epoch_second: u64,
    calls: u32,
    failed: u32,
    slow: u32,
}

/// Recorded outcomes: the last N calls, or the calls of the last N seconds.
#[derive(Clone, Debug)]
struct Window {
    kind: WindowKind,
    size: u32,
    minimum_calls: u32,
    /// Count-based: (failed, slow) per call, oldest first.
    outcomes: VecDeque<(bool, bool)>,
    /// Time-based: one bucket per second, indexed by epoch second modulo size.
    buckets: Vec<Bucket>,
    calls: u32,
    failed: u32,
    slow: u32,
}

impl Window {
    fn new(kind: WindowKind, size: u32, minimum_calls: u32) -> Window {
        let size = size.max(1);
        let minimum_calls = match kind {
            // Count-based: the minimum can never exceed the window.
            WindowKind::Count => minimum_calls.min(size),
            WindowKind::Time => minimum_calls,
        };
        Window {
            kind,
            size,
            minimum_calls: minimum_calls.max(1),
            outcomes: VecDeque::new(),
            buckets: match kind {
                WindowKind::Count => Vec::new(),
                WindowKind::Time => vec![Bucket::default(); size as usize],
            },
            calls: 0,
            failed: 0,
            slow: 0,
        }
    }

    /// Drops buckets older than the window (time-based), subtracting what they held.
    fn roll_to(&mut self, now: SimTime) {
        if self.kind != WindowKind::Time {
            return;
        }
        let second = now.0 / 1_000_000;
        let oldest_kept = (second + 1).saturating_sub(u64::from(self.size));
        for bucket in &mut self.buckets {
            if bucket.calls > 0 && bucket.epoch_second < oldest_kept {
                self.calls -= bucket.calls;
                self.failed -= bucket.failed;
                self.slow -= bucket.slow;
                *bucket = Bucket::default();
            }
        }
    }

    fn record(&mut self, now: SimTime, failed: bool, slow: bool) {
        match self.kind {
            WindowKind::Count => {
                if self.outcomes.len() as u32 == self.size
                    && let Some((old_failed, old_slow)) = self.outcomes.pop_front()
                {
                    self.calls -= 1;
                    self.failed -= u32::from(old_failed);
                    self.slow -= u32::from(old_slow);
                }
                self.outcomes.push_back((failed, slow));
            }
            WindowKind::Time => {
                self.roll_to(now);
                let second = now.0 / 1_000_000;
                let bucket = &mut self.buckets[(second % u64::from(self.size)) as usize];
                bucket.epoch_second = second;
                bucket.calls += 1;
                bucket.failed += u32::from(failed);
                bucket.slow += u32::from(slow);
            }
        }
        self.calls += 1;
        self.failed += u32::from(failed);
        self.slow += u32::from(slow);
    }

    fn rates(&self) -> (f64, f64) {
        if self.calls == 0 {
            return (0.0, 0.0);
        }
        let calls = f64::from(self.calls);
        (
            f64::from(self.failed) * 100.0 / calls,
            f64::from(self.slow) * 100.0 / calls,
        )
    }

    fn verdict(&self, config: &BreakerConfig) -> Verdict {
        if self.calls < self.minimum_calls {
            return Verdict::BelowMinimumCalls;
        }
        let (failure_rate, slow_call_rate) = self.rates();
        if failure_rate >= config.failure_rate_threshold {
            Verdict::FailureRateExceeded {
                failure_rate,
                calls: self.calls,
            }
        } else if slow_call_rate >= config.slow_call_rate_threshold {
            Verdict::SlowCallRateExceeded {
                slow_call_rate,
                calls: self.calls,
            }
        } else {
            Verdict::Below {
                failure_rate,
                slow_call_rate,
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: BreakerState,
    window: Window,
    /// OPEN: calls may be tried again strictly after this instant.
    open_until: SimTime,
    /// Resilience4j's `attempts()` of the current state, which the OPEN wait backs off on: 0 in
    /// CLOSED, METRICS_ONLY and DISABLED; entering OPEN or FORCED_OPEN adds 1; HALF_OPEN keeps
    /// the count of the OPEN it came from.
    attempts: u32,
    /// HALF_OPEN: trial calls still permitted, and when the state began.
    permits_left: u32,
    half_open_since: SimTime,
    /// METRICS_ONLY: whether the threshold event was emitted already.
    reported: bool,
    transitions: Vec<Transition>,
    /// Bumped whenever a timer becomes stale, so the engine can ignore old timer events.
    timer_generation: u32,
}

/// The summary the map and the dependency panel show.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BreakerView {
    pub state: BreakerState,
    pub failure_rate: f64,
    pub slow_call_rate: f64,
    pub calls_in_window: u32,
    pub open_until_us: Option<u64>,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> CircuitBreaker {
        let window = Window::new(config.window, config.window_size, config.minimum_calls);
        // Resilience4j's initial FORCED_OPEN state starts at 1 attempt, every other at 0.
        let attempts = u32::from(config.initial_state == BreakerState::ForcedOpen);
        CircuitBreaker {
            state: config.initial_state,
            config,
            window,
            open_until: SimTime::ZERO,
            attempts,
            permits_left: 0,
            half_open_since: SimTime::ZERO,
            reported: false,
            transitions: Vec::new(),
            timer_generation: 0,
        }
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    pub fn view(&self) -> BreakerView {
        let (failure_rate, slow_call_rate) = self.window.rates();
        BreakerView {
            state: self.state,
            failure_rate,
            slow_call_rate,
            calls_in_window: self.window.calls,
            open_until_us: (self.state == BreakerState::Open).then_some(self.open_until.0),
        }
    }

    /// Transitions since the last call, oldest first.
    pub fn take_transitions(&mut self) -> Vec<Transition> {
        std::mem::take(&mut self.transitions)
    }

    pub fn timer_generation(&self) -> u32 {
        self.timer_generation
    }

    /// When the breaker wants `on_timer` called: the automatic end of OPEN, or the maximum wait
    /// in HALF_OPEN. `None` when nothing is due.
    pub fn next_timer(&self) -> Option<SimTime> {
        match self.state {
            BreakerState::Open if self.config.automatic_transition => Some(self.open_until),
            BreakerState::HalfOpen => self
                .max_wait_in_half_open()
                .map(|wait| self.half_open_since + wait),
            _ => None,
        }
    }

    /// The OPEN wait for the current attempt count: `waitIntervalFunctionInOpenState`, in
    /// whole milliseconds (a fixed wait, or exponential backoff iterated with truncation).
    fn wait_in_open(&self) -> SimDuration {
        SimDuration::from_millis(interval::exponential_ms(
            self.config.wait_in_open.as_millis(),
            self.config.wait_multiplier.max(1.0),
            self.attempts,
        ))
    }

    /// Builds state `to` afresh, as Resilience4j's state constructors do; any timer of the old
    /// state is cancelled. Publishes nothing: `transition` does.
    fn enter(&mut self, now: SimTime, to: BreakerState) {
        self.state = to;
        self.timer_generation = self.timer_generation.wrapping_add(1);
        let fresh_window = |config: &BreakerConfig| {
            Window::new(config.window, config.window_size, config.minimum_calls)
        };
        match to {
            BreakerState::Closed | BreakerState::MetricsOnly | BreakerState::Disabled => {
                self.window = fresh_window(&self.config);
                self.attempts = 0;
                self.reported = false;
            }
            BreakerState::Open => {
                // The metrics of the state it came from stay (calls permitted before may still
                // end and be recorded); the wait backs off on one more attempt.
                self.attempts += 1;
                self.open_until = now + self.wait_in_open();
            }
            BreakerState::ForcedOpen => {
                self.window = fresh_window(&self.config);
                self.attempts += 1;
            }
            BreakerState::HalfOpen => {
                let permitted = self.config.permitted_in_half_open.max(1);
                self.permits_left = permitted;
                self.half_open_since = now;
                self.window = Window::new(
                    WindowKind::Count,
                    permitted,
                    self.config.minimum_calls.min(permitted),
                );
            }
        }
    }

    fn transition(&mut self, now: SimTime, to: BreakerState, reason: TransitionReason) {
        let from = self.state;
        debug_assert!(
            from.may_become(to),
            "{from:?} → {to:?} is not a legal transition"
        );
        self.enter(now, to);
        self.transitions.push(Transition {
            at_us: now.0,
            from,
            to,
            reason,
        });
    }

    /// HALF_OPEN's maximum wait as Resilience4j schedules it: whole milliseconds, and only
    /// when at least 1 ms.
    fn max_wait_in_half_open(&self) -> Option<SimDuration> {
        let ms = self.config.max_wait_in_half_open.as_millis();
        (ms >= 1).then(|| SimDuration::from_millis(ms))
    }

    /// May a call go ahead now? OPEN moves lazily to HALF_OPEN on the first call strictly
    /// after its deadline (`clock.instant().isAfter(retryAfterWaitDuration)`): a call at the
    /// deadline itself is not permitted.
    pub fn try_acquire(&mut self, now: SimTime) -> bool {
        match self.state {
            BreakerState::Closed | BreakerState::Disabled | BreakerState::MetricsOnly => true,
            BreakerState::ForcedOpen => false,
            BreakerState::Open => {
                if now > self.open_until {
                    self.transition(
                        now,
                        BreakerState::HalfOpen,
                        TransitionReason::WaitInOpenElapsed,
                    );
                    self.try_acquire(now)
                } else {
                    false
                }
            }
            BreakerState::HalfOpen => {
                if self.permits_left > 0 {
                    self.permits_left -= 1;
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Records the outcome of a permitted call that took `duration`.
    pub fn on_result(&mut self, now: SimTime, duration: SimDuration, failed: bool) {
        let slow = duration > self.config.slow_call_duration;
        match self.state {
            BreakerState::Disabled | BreakerState::ForcedOpen => {}
            BreakerState::Open => {
                // A call permitted while CLOSED that ends after the breaker opened still counts,
                // but decides nothing (Resilience4j's OpenState records it too).
                self.window.record(now, failed, slow);
            }
            BreakerState::Closed => {
                self.window.record(now, failed, slow);
                match self.window.verdict(&self.config) {
                    Verdict::FailureRateExceeded {
                        failure_rate,
                        calls,
                    } => self.transition(
                        now,
                        BreakerState::Open,
                        TransitionReason::FailureRateExceeded {
                            failure_rate,
                            calls,
                        },
                    ),
                    Verdict::SlowCallRateExceeded {
                        slow_call_rate,
                        calls,
                    } => self.transition(
                        now,
                        BreakerState::Open,
                        TransitionReason::SlowCallRateExceeded {
                            slow_call_rate,
                            calls,
                        },
                    ),
                    Verdict::Below { .. } | Verdict::BelowMinimumCalls => {}
                }
            }
            BreakerState::MetricsOnly => {
                self.window.record(now, failed, slow);
                if !self.reported
                    && let Verdict::FailureRateExceeded { .. }
                    | Verdict::SlowCallRateExceeded { .. } = self.window.verdict(&self.config)
                {
                    // The threshold event, once; METRICS_ONLY never opens.
                    self.reported = true;
                }
            }
            BreakerState::HalfOpen => {
                self.window.record(now, failed, slow);
                match self.window.verdict(&self.config) {
                    Verdict::BelowMinimumCalls => {}
                    Verdict::Below {
                        failure_rate,
                        slow_call_rate,
                    } => self.transition(
                        now,
                        BreakerState::Closed,
                        TransitionReason::TrialCallsPassed {
                            failure_rate,
                            slow_call_rate,
                        },
                    ),
                    Verdict::FailureRateExceeded { .. } | Verdict::SlowCallRateExceeded { .. } => {
                        let (failure_rate, slow_call_rate) = self.window.rates();
                        self.transition(
                            now,
                            BreakerState::Open,
                            TransitionReason::TrialCallsFailed {
                                failure_rate,
                                slow_call_rate,
                            },
                        );
                    }
                }
            }
        }
    }

    /// A timer the engine scheduled from `next_timer` fired.
    pub fn on_timer(&mut self, now: SimTime) {
        match self.state {
            BreakerState::Open if self.config.automatic_transition && now >= self.open_until => {
                self.transition(
                    now,
                    BreakerState::HalfOpen,
                    TransitionReason::WaitInOpenElapsed,
                );
            }
            BreakerState::HalfOpen
                if self
                    .max_wait_in_half_open()
                    .is_some_and(|wait| now >= self.half_open_since + wait) =>
            {
                let to = self.config.after_max_wait;
                self.transition(now, to, TransitionReason::MaxWaitInHalfOpenElapsed);
            }
            _ => {}
        }
    }

    /// A manual transition (`transitionToForcedOpenState()` and the like). Illegal ones, like
    /// CLOSED → HALF_OPEN or METRICS_ONLY → OPEN, are refused with `false` and change nothing.
    /// A move to the current state is not a no-op: the state is built afresh (new metrics and
    /// permits; OPEN gets a new, backed-off wait), without a transition event, as Resilience4j
    /// does (`isInternalTransition`).
    pub fn force(&mut self, now: SimTime, to: BreakerState) -> bool {
        if !self.state.may_become(to) {
            return false;
        }
        if to == self.state {
            self.enter(now, to);
        } else {
            self.transition(now, to, TransitionReason::Manual);
        }
        true
    }

    /// Replaces the configuration (a live knob), keeping the state; the window restarts when its
    /// shape changes.
    pub fn reconfigure(&mut self, config: BreakerConfig) {
        let reshaped = config.window != self.config.window
            || config.window_size != self.config.window_size
            || config.minimum_calls != self.config.minimum_calls;
        self.config = config;
        if reshaped && matches!(self.state, BreakerState::Closed | BreakerState::MetricsOnly) {
            self.window = Window::new(
                self.config.window,
                self.config.window_size,
                self.config.minimum_calls,
            );
        }
        self.timer_generation = self.timer_generation.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000;

    fn at(ms: u64) -> SimTime {
        SimTime(ms * MS)
    }

    fn quick(ms: u64) -> SimDuration {
        SimDuration(ms * MS)
    }

    /// Feeds outcomes ('s' success, 'f' failure, 'w' slow success) one millisecond apart,
    /// each after asking permission. Returns the 1-based index of the call that opened the breaker.
    fn feed(breaker: &mut CircuitBreaker, outcomes: &str, start_ms: u64) -> Option<usize> {
        for (i, outcome) in outcomes.chars().enumerate() {
            let now = at(start_ms + i as u64);
            assert!(breaker.try_acquire(now), "call {} was not permitted", i + 1);
            let duration = if outcome == 'w' {
                quick(5_000)
            } else {
                quick(1)
            };
            breaker.on_result(now, duration, outcome == 'f');
            if breaker.state() == BreakerState::Open {
                return Some(i + 1);
            }
        }
        None
    }

    fn small() -> BreakerConfig {
        BreakerConfig {
            window_size: 10,
            minimum_calls: 5,
            permitted_in_half_open: 3,
            wait_in_open: quick(1_000),
            slow_call_duration: quick(2_000),
            slow_call_rate_threshold: 80.0,
            ..BreakerConfig::default()
        }
    }

    #[test]
    fn defaults_are_resilience4js() {
        let config = BreakerConfig::default();
        assert_eq!(config.failure_rate_threshold, 50.0);
        assert_eq!(config.slow_call_rate_threshold, 100.0);
        assert_eq!(config.slow_call_duration, SimDuration::from_secs(60));
        assert_eq!(
            (config.window, config.window_size, config.minimum_calls),
            (WindowKind::Count, 100, 100)
        );
        assert_eq!(config.permitted_in_half_open, 10);
        assert_eq!(config.wait_in_open, SimDuration::from_secs(60));
        assert!(!config.automatic_transition);
        assert_eq!(config.max_wait_in_half_open, SimDuration::ZERO);
        assert_eq!(config.initial_state, BreakerState::Closed);
    }

    #[test]
    fn opens_at_the_exact_call_the_failure_rate_reaches_the_threshold() {
        let mut breaker = CircuitBreaker::new(small());
        // Four calls: below the minimum of five, no verdict even at 100 % failures.
        assert_eq!(feed(&mut breaker, "ffff", 0), None);
        // Fifth call: 5 of 5 failed → 100 % ≥ 50 %: opens on call 5.
        assert_eq!(feed(&mut breaker, "f", 10), Some(1));
        let transitions = breaker.take_transitions();
        assert_eq!(transitions.len(), 1);
        assert_eq!(
            transitions[0].reason,
            TransitionReason::FailureRateExceeded {
                failure_rate: 100.0,
                calls: 5
            }
        );

        // 4 successes then failures: opens when failures reach half of the recorded calls.
        let mut breaker = CircuitBreaker::new(small());
        assert_eq!(feed(&mut breaker, "ssssfffff", 0), Some(8), "4 of 8 = 50 %");
    }

    #[test]
    fn the_count_window_forgets_old_calls() {
        let mut breaker = CircuitBreaker::new(small());
        // 10 successes, 4 failures (40 %, below 50 %), then 10 successes push them out.
        assert_eq!(feed(&mut breaker, "ssssssssssffffssssssssss", 0), None);
        assert_eq!(breaker.view().calls_in_window, 10);
        assert_eq!(breaker.view().failure_rate, 0.0);
        // Now it takes 5 failures out of the last 10 to open.
        assert_eq!(feed(&mut breaker, "fffff", 100), Some(5));
    }

    #[test]
    fn the_count_minimum_is_capped_by_the_window() {
        let config = BreakerConfig {
            window_size: 4,
            minimum_calls: 100,
            ..small()
        };
        let mut breaker = CircuitBreaker::new(config);
        assert_eq!(
            feed(&mut breaker, "ssff", 0),
            Some(4),
            "min(100, 4) = 4 calls suffice"
        );
    }

    #[test]
    fn the_time_window_drops_whole_seconds() {
        let config = BreakerConfig {
            window: WindowKind::Time,
            window_size: 2,
            minimum_calls: 4,
            ..small()
        };
        let mut breaker = CircuitBreaker::new(config);
        // Three failures in second 0 …
        assert_eq!(feed(&mut breaker, "fff", 0), None);
        // … are gone by second 2 (the window holds seconds 1 and 2).
        assert_eq!(feed(&mut breaker, "s", 2_500), None);
        assert_eq!(breaker.view().calls_in_window, 1);
        // Three failures in second 2 plus the success: 3 of 4 → opens on the third.
        assert_eq!(feed(&mut breaker, "fff", 2_600), Some(3));
        // The time window's minimum is not capped by its size in seconds.
        let config = BreakerConfig {
            window: WindowKind::Time,
            window_size: 2,
            minimum_calls: 50,
            ..small()
        };
        let mut breaker = CircuitBreaker::new(config);
        assert_eq!(feed(&mut breaker, &"f".repeat(49), 0), None);
        assert_eq!(feed(&mut breaker, "f", 100), Some(1));
    }

    #[test]
    fn slow_calls_open_it_too_and_the_boundary_is_strict() {
        let mut breaker = CircuitBreaker::new(small());
        // 4 of 5 slow = 80 % ≥ 80 %.
        assert_eq!(feed(&mut breaker, "wwsww", 0), Some(5));
        assert!(matches!(
            breaker.take_transitions()[0].reason,
            TransitionReason::SlowCallRateExceeded { calls: 5, .. }
        ));
        // Exactly the slow-call duration is not slow.
        let mut breaker = CircuitBreaker::new(small());
        for i in 0..10 {
            assert!(breaker.try_acquire(at(i)));
            breaker.on_result(at(i), quick(2_000), false);
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn open_rejects_until_the_wait_then_half_open_trials_decide() {
        let mut breaker = CircuitBreaker::new(small());
        feed(&mut breaker, "fffff", 0);
        // Open at t = 4 ms, for 1 s: rejected until then, without recording anything.
        assert!(!breaker.try_acquire(at(500)));
        assert!(!breaker.try_acquire(at(1_003)));
        assert_eq!(breaker.state(), BreakerState::Open);
        // Lazily half-open on the first call after the wait: exactly 3 trial permits.
        assert!(breaker.try_acquire(at(1_004) + SimDuration(1)));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(breaker.try_acquire(at(1_005)));
        assert!(breaker.try_acquire(at(1_006)));
        assert!(
            !breaker.try_acquire(at(1_007)),
            "a fourth trial is rejected"
        );
        // Two successes and a failure: 33 % < 50 % → closed, with fresh metrics.
        breaker.on_result(at(1_010), quick(1), false);
        breaker.on_result(at(1_011), quick(1), false);
        assert_eq!(
            breaker.state(),
            BreakerState::HalfOpen,
            "no verdict before all trials end"
        );
        breaker.on_result(at(1_012), quick(1), true);
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert_eq!(breaker.view().calls_in_window, 0);
        let states: Vec<_> = breaker.take_transitions().iter().map(|t| t.to).collect();
        assert_eq!(
            states,
            [
                BreakerState::Open,
                BreakerState::HalfOpen,
                BreakerState::Closed
            ]
        );
    }

    #[test]
    fn failed_trials_reopen_and_the_wait_can_back_off() {
        let config = BreakerConfig {
            wait_multiplier: 2.0,
            ..small()
        };
        let mut breaker = CircuitBreaker::new(config);
        feed(&mut breaker, "fffff", 0);
        assert_eq!(breaker.view().open_until_us, Some(at(1_004).0));
        for i in 0..3 {
            assert!(breaker.try_acquire(at(1_005 + i)));
        }
        breaker.on_result(at(1_010), quick(1), true);
        breaker.on_result(at(1_011), quick(1), true);
        breaker.on_result(at(1_012), quick(1), false);
        assert_eq!(
            breaker.state(),
            BreakerState::Open,
            "2 of 3 failed = 67 % ≥ 50 %"
        );
        // Second opening: the wait doubled to 2 s.
        assert_eq!(breaker.view().open_until_us, Some(at(3_012).0));
    }

    #[test]
    fn automatic_transition_and_half_open_max_wait_use_timers() {
        let config = BreakerConfig {
            automatic_transition: true,
            max_wait_in_half_open: quick(300),
            ..small()
        };
        let mut breaker = CircuitBreaker::new(config);
        feed(&mut breaker, "fffff", 0);
        assert_eq!(breaker.next_timer(), Some(at(1_004)));
        breaker.on_timer(at(1_004));
        assert_eq!(breaker.state(), BreakerState::HalfOpen, "no call needed");
        assert_eq!(breaker.next_timer(), Some(at(1_304)));
        assert!(breaker.try_acquire(at(1_100)));
        breaker.on_timer(at(1_304));
        assert_eq!(
            breaker.state(),
            BreakerState::Open,
            "trials took too long: back to OPEN"
        );
        assert_eq!(
            breaker.take_transitions().last().map(|t| t.reason),
            Some(TransitionReason::MaxWaitInHalfOpenElapsed)
        );
    }

    #[test]
    fn manual_states_behave_and_illegal_moves_are_refused() {
        let mut breaker = CircuitBreaker::new(small());
        assert!(breaker.force(at(0), BreakerState::ForcedOpen));
        assert!(!breaker.try_acquire(at(1)));
        assert!(breaker.force(at(2), BreakerState::Disabled));
        assert_eq!(
            feed(&mut breaker, &"f".repeat(50), 3),
            None,
            "disabled never opens"
        );
        assert_eq!(breaker.view().calls_in_window, 0, "and records nothing");
        assert!(breaker.force(at(100), BreakerState::MetricsOnly));
        assert_eq!(
            feed(&mut breaker, &"f".repeat(20), 101),
            None,
            "metrics only never opens"
        );
        assert_eq!(breaker.view().calls_in_window, 10, "but keeps metrics");
        assert!(
            !breaker.force(at(200), BreakerState::Open),
            "METRICS_ONLY → OPEN is illegal"
        );
        assert!(breaker.force(at(200), BreakerState::Closed));
    }

    #[test]
    fn calls_ending_after_it_opened_are_recorded_without_a_decision() {
        let mut breaker = CircuitBreaker::new(small());
        for i in 0..3 {
            assert!(breaker.try_acquire(at(i)));
        }
        feed(&mut breaker, "fffff", 10);
        assert_eq!(breaker.state(), BreakerState::Open);
        breaker.on_result(at(20), quick(1), false);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(breaker.view().calls_in_window, 6);
    }

    fn opened(config: BreakerConfig) -> CircuitBreaker {
        let mut breaker = CircuitBreaker::new(config);
        assert_eq!(feed(&mut breaker, "fffff", 0), Some(5));
        breaker
    }

    /// Where the current OPEN state ends, relative to `from`, in ms (µs must be zero).
    fn open_wait_ms(breaker: &CircuitBreaker, from: SimTime) -> u64 {
        let until = breaker.view().open_until_us.expect("open");
        let wait = until - from.0;
        assert_eq!(
            wait % MS,
            0,
            "the OPEN wait is whole milliseconds: {wait} µs"
        );
        wait / MS
    }

    #[test]
    fn a_call_is_permitted_only_strictly_after_the_open_deadline() {
        let mut breaker = opened(small());
        let deadline = SimTime(breaker.view().open_until_us.expect("open"));
        assert!(
            !breaker.try_acquire(deadline),
            "isAfter: not at the deadline"
        );
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(breaker.try_acquire(deadline + SimDuration(1)));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        // The automatic transition is a timer set for the deadline itself (Resilience4j
        // schedules it after exactly the wait).
        let mut automatic = opened(BreakerConfig {
            automatic_transition: true,
            ..small()
        });
        assert_eq!(automatic.next_timer(), Some(deadline));
        automatic.on_timer(deadline);
        assert_eq!(automatic.state(), BreakerState::HalfOpen);
    }

    #[test]
    fn open_and_half_open_waits_are_whole_milliseconds() {
        // 1 000.9 ms reads as 1 000 ms (`toMillis()`).
        let breaker = opened(BreakerConfig {
            wait_in_open: SimDuration(1_000_900),
            ..small()
        });
        assert_eq!(open_wait_ms(&breaker, at(4)), 1_000);
        // HALF_OPEN's maximum wait: 300.9 ms → a timer after 300 ms; under 1 ms → none.
        let mut breaker = opened(BreakerConfig {
            max_wait_in_half_open: SimDuration(300_900),
            ..small()
        });
        let trial = at(2_000);
        assert!(breaker.try_acquire(trial));
        assert_eq!(breaker.next_timer(), Some(trial + quick(300)));
        let mut breaker = opened(BreakerConfig {
            max_wait_in_half_open: SimDuration(999),
            ..small()
        });
        assert!(breaker.try_acquire(trial));
        assert_eq!(
            breaker.next_timer(),
            None,
            "0 ms after toMillis(): wait for ever"
        );
    }

    /// Fails all three half-open trials from `now` on, reopening the breaker.
    fn fail_trials(breaker: &mut CircuitBreaker, now: SimTime) {
        for i in 0..3 {
            assert!(breaker.try_acquire(now + quick(i)), "trial {i}");
        }
        for i in 0..3 {
            breaker.on_result(now + quick(10 + i), quick(1), true);
        }
        assert_eq!(breaker.state(), BreakerState::Open);
    }

    #[test]
    fn the_open_wait_backs_off_in_whole_milliseconds_at_every_step() {
        // 5 ms × 1.5: Resilience4j's (long) (x × 1.5) gives 5, 7, 10, 15, 22 (not 7.5, 11.25…).
        let mut breaker = opened(BreakerConfig {
            wait_in_open: quick(5),
            wait_multiplier: 1.5,
            ..small()
        });
        let mut now = at(4);
        let mut waits = vec![open_wait_ms(&breaker, now)];
        for _ in 0..4 {
            let trial = SimTime(breaker.view().open_until_us.expect("open") + 1);
            fail_trials(&mut breaker, trial);
            now = trial + quick(12);
            waits.push(open_wait_ms(&breaker, now));
        }
        assert_eq!(waits, [5, 7, 10, 15, 22]);
        // 1 ms × 1.5 stays 1 ms.
        let mut breaker = opened(BreakerConfig {
            wait_in_open: quick(1),
            wait_multiplier: 1.5,
            ..small()
        });
        for _ in 0..3 {
            let trial = SimTime(breaker.view().open_until_us.expect("open") + 1);
            fail_trials(&mut breaker, trial);
            assert_eq!(open_wait_ms(&breaker, trial + quick(12)), 1);
        }
    }

    #[test]
    fn the_legal_manual_moves_are_resilience4js_state_transition_table() {
        use BreakerState::*;
        // `CircuitBreaker.StateTransition`, copied pair by pair.
        let legal = [
            (Closed, Closed),
            (Closed, Open),
            (Closed, Disabled),
            (Closed, MetricsOnly),
            (Closed, ForcedOpen),
            (HalfOpen, HalfOpen),
            (HalfOpen, Closed),
            (HalfOpen, Open),
            (HalfOpen, Disabled),
            (HalfOpen, MetricsOnly),
            (HalfOpen, ForcedOpen),
            (Open, Open),
            (Open, Closed),
            (Open, HalfOpen),
            (Open, Disabled),
            (Open, MetricsOnly),
            (Open, ForcedOpen),
            (ForcedOpen, ForcedOpen),
            (ForcedOpen, Closed),
            (ForcedOpen, Open),
            (ForcedOpen, Disabled),
            (ForcedOpen, MetricsOnly),
            (ForcedOpen, HalfOpen),
            (Disabled, Disabled),
            (Disabled, Closed),
            (Disabled, Open),
            (Disabled, ForcedOpen),
            (Disabled, HalfOpen),
            (Disabled, MetricsOnly),
            (MetricsOnly, MetricsOnly),
            (MetricsOnly, Closed),
            (MetricsOnly, ForcedOpen),
            (MetricsOnly, Disabled),
        ];
        let all = [Closed, Open, HalfOpen, Disabled, ForcedOpen, MetricsOnly];
        for from in all {
            for to in all {
                assert_eq!(
                    from.may_become(to),
                    legal.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
        // Refused moves change nothing.
        let mut breaker = CircuitBreaker::new(small());
        feed(&mut breaker, "ff", 0);
        assert!(
            !breaker.force(at(10), HalfOpen),
            "CLOSED → HALF_OPEN is illegal"
        );
        assert_eq!(breaker.state(), Closed);
        assert_eq!(breaker.view().calls_in_window, 2);
        assert!(breaker.take_transitions().is_empty());
    }

    #[test]
    fn a_manual_move_to_the_current_state_rebuilds_it_without_an_event() {
        // CLOSED → CLOSED: fresh metrics.
        let mut breaker = CircuitBreaker::new(small());
        feed(&mut breaker, "ffss", 0);
        let generation = breaker.timer_generation();
        assert!(breaker.force(at(10), BreakerState::Closed));
        assert_eq!(breaker.view().calls_in_window, 0);
        assert!(breaker.take_transitions().is_empty(), "no transition event");
        assert_ne!(
            breaker.timer_generation(),
            generation,
            "old timers are stale"
        );
        // OPEN → OPEN: a new wait, backed off on one more attempt.
        let mut breaker = opened(BreakerConfig {
            wait_multiplier: 2.0,
            ..small()
        });
        breaker.take_transitions();
        assert_eq!(open_wait_ms(&breaker, at(4)), 1_000);
        assert!(breaker.force(at(100), BreakerState::Open));
        assert_eq!(open_wait_ms(&breaker, at(100)), 2_000);
        assert!(breaker.take_transitions().is_empty());
        // HALF_OPEN → HALF_OPEN: the trial permits start again.
        assert!(breaker.force(at(200), BreakerState::HalfOpen));
        for i in 0..3 {
            assert!(breaker.try_acquire(at(201 + i)));
        }
        assert!(!breaker.try_acquire(at(205)));
        assert!(breaker.force(at(206), BreakerState::HalfOpen));
        assert!(breaker.try_acquire(at(207)), "permits rebuilt");
        assert_eq!(
            breaker.take_transitions().len(),
            1,
            "only OPEN → HALF_OPEN was published"
        );
        // METRICS_ONLY → METRICS_ONLY: fresh metrics.
        let mut breaker = CircuitBreaker::new(small());
        assert!(breaker.force(at(0), BreakerState::MetricsOnly));
        feed(&mut breaker, "fff", 1);
        assert!(breaker.force(at(10), BreakerState::MetricsOnly));
        assert_eq!(breaker.view().calls_in_window, 0);
    }

    #[test]
    fn forced_open_adds_an_attempt_and_disabled_resets_them() {
        let config = BreakerConfig {
            wait_multiplier: 2.0,
            ..small()
        };
        // OPEN (attempt 1, 1 s) → FORCED_OPEN (2) → OPEN (3): 1 s × 2² = 4 s.
        let mut breaker = opened(config.clone());
        assert_eq!(open_wait_ms(&breaker, at(4)), 1_000);
        assert!(breaker.force(at(10), BreakerState::ForcedOpen));
        assert!(breaker.force(at(20), BreakerState::Open));
        assert_eq!(open_wait_ms(&breaker, at(20)), 4_000);
        // FORCED_OPEN (4) → FORCED_OPEN (5, a rebuild adds one more) → OPEN (6): 1 s × 2⁵.
        assert!(breaker.force(at(30), BreakerState::ForcedOpen));
        assert!(breaker.force(at(31), BreakerState::ForcedOpen));
        assert!(breaker.force(at(40), BreakerState::Open));
        assert_eq!(open_wait_ms(&breaker, at(40)), 32_000);
        // DISABLED resets the count: → OPEN at attempt 1 again.
        assert!(breaker.force(at(50), BreakerState::Disabled));
        assert!(breaker.force(at(60), BreakerState::Open));
        assert_eq!(open_wait_ms(&breaker, at(60)), 1_000);
        // A breaker that starts FORCED_OPEN starts at attempt 1: its first OPEN is attempt 2.
        let mut breaker = CircuitBreaker::new(BreakerConfig {
            initial_state: BreakerState::ForcedOpen,
            ..config
        });
        assert!(breaker.force(at(0), BreakerState::Open));
        assert_eq!(open_wait_ms(&breaker, at(0)), 2_000);
    }
}
