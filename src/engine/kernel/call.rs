//! A call as the kernel keeps it, and the small values that cross the door between the kernel
//! and the patterns on a call's path.

use super::registry::PatternOwner;
use super::traces::SpanParent;
use crate::engine::core::attributes::RequestAttributes;
use crate::engine::core::ids::{
    CallId, CallRef, EdgeId, EndpointId, InstanceId, RequestId, ServiceId, StationId, TraceRef,
};
use crate::engine::core::status::{CallRole, Direction, Status};
use crate::engine::core::time::{SimDuration, SimTime};
use crate::engine::patterns::resilience::model::BreakerState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    ToCallee,
    Queued,
    Working,
    Calling,
    ToCaller,
    /// The current hop was lost; the caller hears of it after `CONNECT_TIMEOUT`.
    Lost,
}

/// Who waits for a call's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A client: the call is the root of a request.
    Client,
    /// A handler calling on a plain edge.
    Parent(CallRef),
    /// A pattern that owns the call (a resilience invocation's attempt, a saga's step): it
    /// hears the answer through its hooks.
    Pattern(PatternOwner),
}

#[derive(Clone, Debug)]
pub struct Call {
    pub state: CallState,
    /// The caller (or client) still waits for this call's answer.
    pub awaited: bool,
    pub status: Status,
    pub child_failure: Option<Status>,
    pub step: u16,
    pub pending_children: u32,
    pub id: CallId,
    pub request: RequestId,
    pub owner: Owner,
    /// The caller→callee edge the call travels (none for a client's call).
    pub edge: Option<EdgeId>,
    /// A 429's Retry-After, carried back to the caller (0: none).
    pub retry_after_us: u64,
    /// The answer is a fallback somewhere below: successful, but degraded.
    pub degraded: bool,
    pub endpoint: EndpointId,
    pub instance: Option<InstanceId>,
    /// Roots only: the closed-loop user who sent it.
    pub user: Option<u32>,
    /// Roots only: index of the entry endpoint in the workload mix.
    pub entry: u16,
    pub attributes: RequestAttributes,
    /// When the caller sent it.
    pub sent_at: SimTime,
    /// When it reached its instance.
    pub arrived_at: SimTime,
    pub hop_from: StationId,
    pub hop_to: StationId,
    pub hop_depart: SimTime,
    pub hop_arrive: SimTime,
    pub hop_direction: Direction,
    /// 1 for a first try; 2, 3, … for retries.
    pub attempt: u32,
    /// What the call does for a saga, if anything.
    pub role: CallRole,
    /// The call's trace buffer (sampled requests only) and its spans' indices there.
    pub trace: Option<TraceRef>,
    pub client_span: u32,
    pub server_span: u32,
}

/// What the owner of a call hears: its answer, or that it timed out or was lost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Answer {
    pub status: Status,
    /// A 429's Retry-After, if the callee gave one.
    pub retry_after: Option<SimDuration>,
    /// The answer is a fallback somewhere below: successful, but degraded.
    pub degraded: bool,
}

/// A handler's call on an edge that a pattern guards (resilience policies).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HandlerCall {
    /// The handler that calls and waits, holding its worker.
    pub parent: CallRef,
    pub edge: EdgeId,
    pub target: EndpointId,
    /// The call's own timeout from the scenario.
    pub timeout: Option<SimDuration>,
    pub from: StationId,
    pub request: RequestId,
    pub attributes: RequestAttributes,
}

/// A request that reached a live instance of an endpoint a pattern watches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrival {
    pub call: CallRef,
    pub service: ServiceId,
    pub instance: InstanceId,
}

/// What a pattern says about an arrival.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArrivalVerdict {
    Admit,
    /// The instance answers at once with `status` (a 429 with its Retry-After).
    Refuse {
        status: Status,
        retry_after: Option<SimDuration>,
    },
}

/// A call to send: who owns it, what it calls, from where, and where its CLIENT span hangs.
#[derive(Clone, Copy, Debug)]
pub struct OutgoingCall {
    pub owner: Owner,
    pub endpoint: EndpointId,
    pub from: StationId,
    pub request: RequestId,
    pub attributes: RequestAttributes,
    /// The caller stops waiting after this long.
    pub timeout: Option<SimDuration>,
    /// The caller→callee edge it travels (none for a client's call or a saga's command).
    pub edge: Option<EdgeId>,
    /// 1 for a first try; 2, 3, … for retries.
    pub attempt: u32,
    pub role: CallRole,
    pub parent: SpanParent,
    /// The state of the caller's circuit breaker on this edge as the attempt leaves, for its
    /// span (`lokal.circuit_breaker.state`).
    pub breaker: Option<BreakerState>,
}
