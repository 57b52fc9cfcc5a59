//! The call graph's edges as the kernel observes them: Hystrix-style counts of every logical call
//! and attempt on each caller→callee edge (plain or guarded), per-second history for rolling
//! figures and sparklines, and which pattern, if any, guards each edge right now.

use crate::engine::core::ids::EdgeId;
use crate::engine::core::status::Status;
use crate::engine::scenario::registry::PatternId;
use serde::Serialize;
use std::collections::VecDeque;

/// How many seconds of per-edge counters are kept: two minutes of sparkline, and some.
const EDGE_HISTORY_SECONDS: usize = 130;

/// Hystrix-style counts for one edge. Each logical call ends exactly once as `success`,
/// `fallback_served` or `failed`; along the way each of its attempts may add one attempt event
/// (`failure`, `timeout`, `short_circuited`, `bulkhead_rejected`, `rate_limited`), so a
/// short-circuited call answered by the fallback counts in both, as in Hystrix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EdgeCounters {
    pub calls: u64,
    pub success: u64,
    pub fallback_served: u64,
    pub failed: u64,
    pub failure: u64,
    pub timeout: u64,
    pub short_circuited: u64,
    pub bulkhead_rejected: u64,
    pub rate_limited: u64,
    pub retries: u64,
    /// Attempts (first tries and retries) that went out on the network.
    pub attempts_sent: u64,
}

impl EdgeCounters {
    /// Calls that ended one way or another.
    pub fn ended(&self) -> u64 {
        self.success + self.fallback_served + self.failed
    }

    /// Hystrix's error percentage: failed, timed-out and rejected attempts over those plus
    /// successes; short-circuited attempts are left out.
    pub fn error_percentage(&self) -> f64 {
        let errors = self.failure + self.timeout + self.bulkhead_rejected + self.rate_limited;
        let total = errors + self.success;
        if total == 0 {
            0.0
        } else {
            errors as f64 * 100.0 / total as f64
        }
    }
}

impl EdgeCounters {
    /// Counts one attempt's outcome (successes are counted when the call ends).
    pub fn count_attempt(&mut self, status: Status) {
        match status {
            Status::Ok => {}
            Status::Timeout => self.timeout += 1,
            Status::ShortCircuited => self.short_circuited += 1,
            Status::BulkheadFull => self.bulkhead_rejected += 1,
            Status::RateLimited => self.rate_limited += 1,
            _ => self.failure += 1,
        }
    }

    /// What happened between `before` and `self`.
    pub fn since(&self, before: &EdgeCounters) -> EdgeCounters {
        EdgeCounters {
            calls: self.calls - before.calls,
            success: self.success - before.success,
            fallback_served: self.fallback_served - before.fallback_served,
            failed: self.failed - before.failed,
            failure: self.failure - before.failure,
            timeout: self.timeout - before.timeout,
            short_circuited: self.short_circuited - before.short_circuited,
            bulkhead_rejected: self.bulkhead_rejected - before.bulkhead_rejected,
            rate_limited: self.rate_limited - before.rate_limited,
            retries: self.retries - before.retries,
            attempts_sent: self.attempts_sent - before.attempts_sent,
        }
    }
}

/// Every edge's counters, their recent history, and each edge's live guard.
#[derive(Clone, Debug)]
pub struct EdgeBook {
    pub counters: Vec<EdgeCounters>,
    /// Every edge's counters at the start of each recent second.
    seconds: VecDeque<(u64, Vec<EdgeCounters>)>,
    /// The pattern a handler's call on each edge goes through now (knobs can add or remove
    /// protections at run time): the kernel's one `match` on the edge seam.
    pub guards: Vec<Option<PatternId>>,
}

impl EdgeBook {
    pub fn new(guards: Vec<Option<PatternId>>) -> EdgeBook {
        EdgeBook {
            counters: vec![EdgeCounters::default(); guards.len()],
            seconds: VecDeque::new(),
            guards,
        }
    }

    /// Keeps every edge's counters at the start of each second (the last two minutes and a bit).
    pub fn note_second(&mut self, now_us: u64) {
        if self.counters.is_empty() {
            return;
        }
        let second = now_us / 1_000_000;
        if self.seconds.back().is_some_and(|(s, _)| *s >= second) {
            return;
        }
        if self.seconds.len() == EDGE_HISTORY_SECONDS {
            self.seconds.pop_front();
        }
        self.seconds.push_back((second, self.counters.clone()));
    }

    /// What happened on `edge` over the last `seconds` seconds (Hystrix's rolling counters).
    pub fn rolling(&self, edge: EdgeId, seconds: u64, now_us: u64) -> EdgeCounters {
        let now_second = now_us / 1_000_000;
        let current = self.counters[edge.index()];
        match self
            .seconds
            .iter()
            .find(|(s, _)| *s + seconds >= now_second)
        {
            Some((_, before)) => current.since(&before[edge.index()]),
            None => current,
        }
    }

    /// Calls per second on `edge` over the last two minutes, oldest first (the sparkline).
    pub fn sparkline(&self, edge: EdgeId) -> Vec<u64> {
        let index = edge.index();
        let mut points: Vec<u64> = self
            .seconds
            .iter()
            .zip(self.seconds.iter().skip(1))
            .map(|((_, a), (_, b))| b[index].calls - a[index].calls)
            .collect();
        if points.len() > 120 {
            points.drain(..points.len() - 120);
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hystrix_error_percentage_leaves_out_short_circuits() {
        let counters = EdgeCounters {
            success: 50,
            failure: 30,
            timeout: 10,
            bulkhead_rejected: 10,
            short_circuited: 1_000,
            fallback_served: 1_000,
            ..EdgeCounters::default()
        };
        assert_eq!(counters.error_percentage(), 50.0);
    }
}
