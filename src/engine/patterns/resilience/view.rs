//! What the map and the dependency panel show of resilience: each edge's counters, breaker,
//! bulkhead and limiter, its live policy, rolling counts, sparkline and latency, and each
//! service's server-side limiter.

use super::model::breaker::BreakerView;
use super::model::bulkhead::BulkheadView;
use super::model::rate_limit::LimiterView;
use super::model::{EdgePolicy, Transition};
use crate::engine::core::histogram::LatencySummary;
use crate::engine::core::ids::EdgeId;
use crate::engine::kernel::edges::EdgeCounters;
use crate::engine::kernel::metrics::SecondPoint;
use crate::engine::kernel::world::{Hooks, Kernel};
use serde::Serialize;

/// What the map and the dependency panel show about one edge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EdgeView {
    pub edge: EdgeId,
    pub counters: EdgeCounters,
    pub breaker: Option<BreakerView>,
    pub bulkhead: Option<BulkheadView>,
    /// Client-side limiter: permits left this period, and the period's limit.
    pub limiter: Option<(i64, u32)>,
    pub has_policies: bool,
    pub in_progress: u64,
    pub transitions: Vec<Transition>,
}

/// Resilience as the panels show it now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResilienceView {
    /// Per edge: counters, breaker, bulkhead, limiter.
    pub edges: Vec<EdgeView>,
    /// Per edge: the policies in force now (knobs included).
    pub policies: Vec<EdgePolicy>,
    /// Per edge: what happened in the last ten seconds (Hystrix's rolling counters).
    pub rolling: Vec<EdgeCounters>,
    /// Per edge: calls per second over the last two minutes.
    pub sparklines: Vec<Vec<u64>>,
    /// Per edge: latency of the last whole second, and of the whole run.
    pub latency: Vec<(Option<SecondPoint>, LatencySummary)>,
    /// Per service: its server-side rate limit's fill, if it has one.
    pub limiters: Vec<Option<LimiterView>>,
}

pub(super) fn view<H: Hooks>(
    k: &Kernel<H>,
    edges: Vec<EdgeView>,
    limiters: Vec<Option<LimiterView>>,
) -> ResilienceView {
    let count = k.scenario().edges.len();
    ResilienceView {
        edges,
        policies: k
            .patterns
            .resilience
            .edges
            .iter()
            .map(|runtime| runtime.policy.clone())
            .collect(),
        rolling: (0..count)
            .map(|i| k.edge_rolling(EdgeId::from_index(i), 10))
            .collect(),
        sparklines: (0..count)
            .map(|i| k.edge_sparkline(EdgeId::from_index(i)))
            .collect(),
        latency: k
            .metrics()
            .edges
            .iter()
            .map(|tracker| (tracker.last_second().copied(), tracker.summary()))
            .collect(),
        limiters,
    }
}
