//! Resilience's section of the run report: every edge that carried calls, counted like Hystrix,
//! with its breaker's transitions (`"edges"` in `lokal-cli run --json`).

use super::model::TransitionReason;
use super::view::EdgeView;
use crate::engine::core::histogram::LatencyMs;
use crate::engine::kernel::world::{Hooks, Kernel};
use serde::Serialize;
use std::fmt::Write as _;

/// One caller→callee edge, counted like Hystrix: how its logical calls ended (success,
/// fallback, failed) and what happened to their attempts (errors, timeouts, short-circuits, …).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EdgeReport {
    pub edge: String,
    pub calls: u64,
    pub success: u64,
    pub failed: u64,
    pub failure: u64,
    pub timeout: u64,
    pub short_circuited: u64,
    pub bulkhead_rejected: u64,
    pub rate_limited: u64,
    pub fallback_served: u64,
    pub retries: u64,
    pub attempts_sent: u64,
    /// Hystrix's error percentage (short-circuited calls left out).
    #[serde(serialize_with = "crate::engine::core::json::finite")]
    pub error_percentage: f64,
    /// The breaker's state at the end of the run, if the edge has one.
    pub breaker_state: Option<&'static str>,
    pub breaker_transitions: Vec<BreakerTransitionReport>,
    /// Latency of successful (and fallback) logical calls, retries included.
    pub latency_ms: LatencyMs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerTransitionReport {
    #[serde(serialize_with = "crate::engine::core::json::finite")]
    pub at_s: f64,
    pub from: &'static str,
    pub to: &'static str,
    pub reason: TransitionReason,
}

/// Resilience's part of the run report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResilienceReport {
    /// Every caller→callee edge that carried calls.
    pub edges: Vec<EdgeReport>,
}

pub(super) fn report<H: Hooks>(k: &Kernel<H>, views: &[EdgeView]) -> ResilienceReport {
    let scenario = k.scenario();
    let edges = views
        .iter()
        .zip(&k.metrics().edges)
        .filter(|(view, _)| view.counters.calls > 0)
        .map(|(view, tracker)| {
            let c = view.counters;
            EdgeReport {
                edge: scenario.edge_label(view.edge),
                calls: c.calls,
                success: c.success,
                failed: c.failed,
                failure: c.failure,
                timeout: c.timeout,
                short_circuited: c.short_circuited,
                bulkhead_rejected: c.bulkhead_rejected,
                rate_limited: c.rate_limited,
                fallback_served: c.fallback_served,
                retries: c.retries,
                attempts_sent: c.attempts_sent,
                error_percentage: c.error_percentage(),
                breaker_state: view.breaker.map(|b| b.state.key()),
                breaker_transitions: view
                    .transitions
                    .iter()
                    .map(|t| BreakerTransitionReport {
                        at_s: t.at_us as f64 / 1_000_000.0,
                        from: t.from.key(),
                        to: t.to.key(),
                        reason: t.reason,
                    })
                    .collect(),
                latency_ms: tracker.summary().into(),
            }
        })
        .collect();
    ResilienceReport { edges }
}

impl ResilienceReport {
    /// The edges as a table, as `lokal-cli run` prints them.
    pub fn write_text(&self, text: &mut String) {
        if self.edges.is_empty() {
            return;
        }
        let _ = writeln!(text);
        let _ = writeln!(
            text,
            "{:<26} {:>7} {:>7} {:>8} {:>7} | {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7}  breaker",
            "edge",
            "calls",
            "success",
            "fallback",
            "failed",
            "attempts",
            "retries",
            "errors",
            "timeout",
            "short",
            "bulkhd",
            "limited",
            "error %",
        );
        for edge in &self.edges {
            let _ = writeln!(
                text,
                "{:<26} {:>7} {:>7} {:>8} {:>7} | {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7.1}  {}",
                edge.edge,
                edge.calls,
                edge.success,
                edge.fallback_served,
                edge.failed,
                edge.attempts_sent,
                edge.retries,
                edge.failure,
                edge.timeout,
                edge.short_circuited,
                edge.bulkhead_rejected,
                edge.rate_limited,
                edge.error_percentage,
                match edge.breaker_state {
                    Some(state) => format!(
                        "{state} after {} transitions",
                        edge.breaker_transitions.len()
                    ),
                    None => "—".to_string(),
                }
            );
        }
    }
}
