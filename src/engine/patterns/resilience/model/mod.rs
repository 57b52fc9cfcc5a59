//! Resilience's model: its scenario section, its configurations and pure state machines, and
//! the data it keeps while a run goes on. Timeout, retry, circuit breaker, bulkhead, client-side
//! rate limiter and fallback on caller→callee edges, plus server-side rate limits on services.
//! Semantics and defaults follow Resilience4j, Envoy and Kong (`../shared/docs/semantics.md`
//! §1–§3). The behaviour that drives them on the call path is the folder above this one.

pub mod breaker;
pub mod bulkhead;
pub mod commands;
pub mod interval;
pub mod policy;
pub mod protections;
pub mod rate_limit;
pub mod retry;
pub mod section;
pub mod state;

pub use breaker::{
    BreakerConfig, BreakerState, CircuitBreaker, Transition, TransitionReason, WindowKind,
};
pub use bulkhead::{Admission, Bulkhead, BulkheadConfig};
pub use policy::{EdgePolicy, Fallback, PolicyChange};
pub use rate_limit::{
    ClientLimiter, ClientLimiterConfig, Permit, ServerLimiter, ServerLimiterConfig,
};
pub use retry::{Backoff, BudgetTracker, RetryBudget, RetryConfig};
pub use state::{EdgeRuntime, InvRef, Invocation, Stage, State};

use crate::engine::core::event::{Fold, TraceHasher};
use crate::engine::core::ids::{EdgeId, RequestId};
use crate::engine::core::status::Status;
use serde::{Deserialize, Serialize};

/// The validated `[[policies]]` and `rate_limit`s of a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Spec {
    /// Per edge (`Scenario::edges`), its policies; plain when it has none.
    pub policies: Vec<EdgePolicy>,
    /// Per service, its server-side rate limit: calls over it are answered 429 with a
    /// Retry-After.
    pub server_limits: Vec<Option<ServerLimiterConfig>>,
}

/// A call resilience owns: one attempt of an invocation.
pub type Owner = InvRef;

/// What resilience schedules in the event queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A backoff, a reserved limiter permit or a bulkhead place is due: the invocation goes on.
    Resume(InvRef),
    /// A call waiting for a bulkhead place gives up.
    BulkheadDeadline(InvRef),
    /// A breaker's automatic transition, valid while its timer generation matches.
    Breaker(EdgeId, u32),
}

crate::declare_events! {
    names: crate::engine::core::event::Names;
    /// What resilience adds to the event stream (hash tags 19–22).
    pub enum Event {
        /// A circuit breaker changed state, and why.
        BreakerTransition = 19, "breaker_transition" {
            edge: EdgeId,
            from: BreakerState,
            to: BreakerState,
            reason: TransitionReason,
        },
        /// An attempt was not sent: breaker open (short-circuited), bulkhead full or rate limited.
        AttemptRejected = 20, "attempt_rejected" {
            edge: EdgeId,
            request: RequestId,
            reason: Status,
        },
        RetryScheduled = 21, "retry_scheduled" {
            edge: EdgeId,
            request: RequestId,
            attempt: u32,
            wait_us: u64,
        },
        /// Every attempt failed and the fallback answered instead.
        FallbackServed = 22, "fallback_served" {
            edge: EdgeId,
            request: RequestId,
        },
    }
}

/// A live knob, with resolved ids.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Command {
    /// Changes a policy on a caller→callee edge.
    SetPolicy { edge: EdgeId, change: PolicyChange },
}

impl Fold for Command {
    /// Tag 7; the change is small and fully determined: its name and value are a stable encoding.
    fn fold(&self, hasher: &mut TraceHasher) {
        match self {
            Command::SetPolicy { edge, change } => {
                hasher.words(&[7, u64::from(edge.0)]);
                hasher.text(&format!("{}={}", change.setting(), change.value_json()));
            }
        }
    }
}

/// A live knob as a log writes it: `{"kind": "set_policy", "from": …, "to": …, "change": …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum CommandSpec {
    SetPolicy {
        from: String,
        to: String,
        change: PolicyChange,
    },
}

impl CommandSpec {
    /// The `kind`s these commands are written with.
    pub const KINDS: &'static [&'static str] = &["set_policy"];
}
