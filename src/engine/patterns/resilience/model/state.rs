//! What resilience keeps while a run goes on: each edge's live policies and state machines, the
//! invocations in progress (a logical call that may span attempts), and each service's server
//! limiter.

use super::breaker::{CircuitBreaker, Transition};
use super::bulkhead::Bulkhead;
use super::policy::EdgePolicy;
use super::rate_limit::{ClientLimiter, ServerLimiter};
use super::retry::BudgetTracker;
use crate::engine::core::arena::{Arena, Handle};
use crate::engine::core::attributes::RequestAttributes;
use crate::engine::core::ids::{CallRef, EdgeId, EndpointId, RequestId, StationId};
use crate::engine::core::rng::SimRng;
use crate::engine::core::time::{SimDuration, SimTime};
use std::collections::VecDeque;

/// A handle on a live invocation; it goes stale when the invocation ends.
pub type InvRef = Handle<Invocation>;

/// Where an invocation is in its attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for a backoff to pass before the next attempt (or about to start).
    Backoff,
    /// The rate limiter reserved a permit; waiting for it.
    Limiter,
    /// Waiting for a place in the bulkhead.
    Bulkhead,
    /// The attempt is on the network or with the callee.
    InFlight,
}

/// A logical call on an edge with policies: it may span several attempts.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The handler that made the call and waits for its outcome.
    pub parent: CallRef,
    pub edge: EdgeId,
    pub target: EndpointId,
    pub from: StationId,
    pub request: RequestId,
    pub attributes: RequestAttributes,
    /// The call's own timeout from the scenario (the edge's policy timeout wins over it).
    pub call_timeout: Option<SimDuration>,
    pub attempt: u32,
    pub started_at: SimTime,
    pub attempt_started: SimTime,
    pub breaker_permit: bool,
    pub bulkhead_held: bool,
    pub stage: Stage,
}

/// How many breaker transitions each edge remembers (for the chart band and the panel).
pub const TRANSITION_MEMORY: usize = 256;

/// An edge's live policies and their state.
#[derive(Clone, Debug)]
pub struct EdgeRuntime {
    pub policy: EdgePolicy,
    pub breaker: Option<CircuitBreaker>,
    pub bulkhead: Option<Bulkhead>,
    pub limiter: Option<ClientLimiter>,
    pub budget: BudgetTracker,
    pub rng: SimRng,
    /// A call on this edge has succeeded once (a cached fallback has something to serve).
    pub has_succeeded: bool,
    pub transitions: VecDeque<Transition>,
}

impl EdgeRuntime {
    /// `label` names the edge's retry-jitter stream (`edge/gateway → restaurant/retry`).
    pub fn new(policy: EdgePolicy, seed: u64, label: &str) -> EdgeRuntime {
        EdgeRuntime {
            breaker: policy.circuit_breaker.clone().map(CircuitBreaker::new),
            bulkhead: policy.bulkhead.clone().map(Bulkhead::new),
            limiter: policy.rate_limiter.clone().map(ClientLimiter::new),
            policy,
            budget: BudgetTracker::default(),
            rng: SimRng::derive(seed, &format!("edge/{label}/retry")),
            has_succeeded: false,
            transitions: VecDeque::new(),
        }
    }
}

/// Resilience's part of a running engine.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Per edge (`Scenario::edges`).
    pub edges: Vec<EdgeRuntime>,
    pub invocations: Arena<Invocation>,
    /// Per service.
    pub server_limiters: Vec<Option<ServerLimiter>>,
}
