//! The call edge: how a handler's call to another service passes through that edge's policies.
//!
//! A call on a plain edge goes straight out (`send_call` with the parent as owner). A call on an
//! edge with policies becomes an *invocation* that may span several attempts, each passing, in
//! Resilience4j's decoration order, the circuit breaker, the client-side rate limiter and the
//! bulkhead before it is sent with the edge's per-attempt timeout; a failed attempt may be
//! retried after a backoff; when every attempt failed a fallback may answer instead. Every edge
//! counts its calls Hystrix-style, and every breaker transition is an event.

use super::command::CommandError;
use super::core::arena::Handle;
use super::core::attributes::RequestAttributes;
use super::core::ids::{EdgeId, EndpointId, RequestId, StationId};
use super::core::rng::SimRng;
use super::core::status::{CallRole, Status};
use super::core::time::{SimDuration, SimTime};
use super::events::EventKind;
use super::resilience::breaker::BreakerView;
use super::resilience::bulkhead::BulkheadView;
use super::resilience::{
    Admission, Bulkhead, CircuitBreaker, ClientLimiter, EdgeCounters, EdgePolicy, Fallback, Permit,
    PolicyChange, Transition,
};
use super::scenario::CallSpec;
use super::sim::{CallRef, Engine, Owner, Pending};
use super::traces::SpanEventKind;
use serde::Serialize;
use std::collections::VecDeque;

/// How many seconds of per-edge counters are kept: two minutes of sparkline, and some.
const EDGE_HISTORY_SECONDS: usize = 130;

/// How many breaker transitions each edge remembers (for the chart band and the panel).
const TRANSITION_MEMORY: usize = 256;

/// A handle on a live invocation; it goes stale when the invocation ends.
pub(crate) type InvRef = Handle<Invocation>;

/// Where an invocation is in its attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Waiting for a backoff to pass before the next attempt (or about to start).
    Backoff,
    /// The rate limiter reserved a permit; waiting for it.
    Limiter,
    /// Waiting for a place in the bulkhead.
    Bulkhead,
    /// The attempt is on the network or with the callee.
    InFlight,
}

#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    pub(crate) parent: CallRef,
    pub(crate) edge: EdgeId,
    pub(crate) target: EndpointId,
    pub(crate) from: StationId,
    pub(crate) request: RequestId,
    pub(crate) attributes: RequestAttributes,
    /// The call's own timeout from the scenario (the edge's policy timeout wins over it).
    pub(crate) call_timeout: Option<SimDuration>,
    pub(crate) attempt: u32,
    pub(crate) started_at: SimTime,
    pub(crate) attempt_started: SimTime,
    pub(crate) breaker_permit: bool,
    pub(crate) bulkhead_held: bool,
    pub(crate) stage: Stage,
}

/// An edge's live policies and what it has counted.
pub(crate) struct EdgeRuntime {
    pub(crate) policy: EdgePolicy,
    pub(crate) breaker: Option<CircuitBreaker>,
    pub(crate) bulkhead: Option<Bulkhead>,
    pub(crate) limiter: Option<ClientLimiter>,
    pub(crate) budget: super::resilience::BudgetTracker,
    pub(crate) rng: SimRng,
    pub(crate) has_succeeded: bool,
    pub(crate) counters: EdgeCounters,
    pub(crate) transitions: VecDeque<Transition>,
}

impl EdgeRuntime {
    pub(crate) fn new(policy: EdgePolicy, seed: u64, label: &str) -> EdgeRuntime {
        EdgeRuntime {
            breaker: policy.circuit_breaker.clone().map(CircuitBreaker::new),
            bulkhead: policy.bulkhead.clone().map(Bulkhead::new),
            limiter: policy.rate_limiter.clone().map(ClientLimiter::new),
            policy,
            budget: Default::default(),
            rng: SimRng::derive(seed, &format!("edge/{label}/retry")),
            has_succeeded: false,
            counters: EdgeCounters::default(),
            transitions: VecDeque::new(),
        }
    }
}

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

impl Engine {
    /// A handler calls `spec` on its edge: straight out on a plain edge, else as an invocation.
    pub(crate) fn call_on_edge(
        &mut self,
        parent: CallRef,
        spec: &CallSpec,
        from: StationId,
        request: RequestId,
        attributes: RequestAttributes,
    ) {
        let edge = spec.edge;
        let now = self.now();
        let runtime = &mut self.edges[edge.index()];
        runtime.counters.calls += 1;
        self.metrics.edges[edge.index()].arrived();
        if runtime.policy.is_plain() {
            runtime.counters.attempts_sent += 1;
            let span_parent = self.handler_span(parent);
            self.send_call(
                Owner::Parent(parent),
                spec.target,
                from,
                request,
                attributes,
                spec.timeout,
                Some(edge),
                1,
                CallRole::Normal,
                span_parent,
            );
            return;
        }
        if runtime
            .policy
            .retry
            .as_ref()
            .is_some_and(|r| r.budget.is_some())
        {
            runtime.budget.record_request(now);
        }
        let inv = self.invocations.alloc(Invocation {
            parent,
            edge,
            target: spec.target,
            from,
            request,
            attributes,
            call_timeout: spec.timeout,
            attempt: 1,
            started_at: self.now(),
            attempt_started: self.now(),
            breaker_permit: false,
            bulkhead_held: false,
            stage: Stage::Backoff,
        });
        self.attempt(inv);
    }

    fn free_invocation(&mut self, inv: InvRef) {
        self.invocations.free(inv);
    }

    pub(crate) fn live_invocation(&self, inv: InvRef) -> Option<&Invocation> {
        self.invocations.get(inv)
    }

    fn inv_mut(&mut self, inv: InvRef) -> &mut Invocation {
        &mut self.invocations[inv]
    }

    /// Emits the breaker's transitions and schedules its next timer.
    fn after_breaker(&mut self, edge: EdgeId) {
        let runtime = &mut self.edges[edge.index()];
        let Some(breaker) = runtime.breaker.as_mut() else {
            return;
        };
        let transitions = breaker.take_transitions();
        if transitions.is_empty() {
            return;
        }
        let timer = breaker
            .next_timer()
            .map(|at| (at, breaker.timer_generation()));
        for transition in &transitions {
            if runtime.transitions.len() == TRANSITION_MEMORY {
                runtime.transitions.pop_front();
            }
            runtime.transitions.push_back(*transition);
        }
        for transition in transitions {
            self.emit(EventKind::BreakerTransition {
                edge,
                from: transition.from,
                to: transition.to,
                reason: transition.reason,
            });
        }
        if let Some((at, generation)) = timer {
            self.schedule(at.max(self.now()), Pending::BreakerTimer(edge, generation));
        }
    }

    pub(crate) fn on_breaker_timer(&mut self, edge: EdgeId, generation: u32) {
        let now = self.now();
        let Some(breaker) = self.edges[edge.index()].breaker.as_mut() else {
            return;
        };
        if breaker.timer_generation() != generation {
            return;
        }
        breaker.on_timer(now);
        self.after_breaker(edge);
    }

    /// One attempt: circuit breaker first.
    fn attempt(&mut self, inv: InvRef) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        let edge = invocation.edge;
        let now = self.now();
        self.inv_mut(inv).attempt_started = now;
        if let Some(breaker) = self.edges[edge.index()].breaker.as_mut() {
            let permitted = breaker.try_acquire(now);
            self.after_breaker(edge);
            if !permitted {
                self.attempt_rejected(inv, Status::ShortCircuited);
                return;
            }
            self.inv_mut(inv).breaker_permit = true;
        }
        self.through_limiter(inv);
    }

    /// The client-side rate limiter: go, wait for a reserved permit, or be refused.
    fn through_limiter(&mut self, inv: InvRef) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        let edge = invocation.edge;
        let now = self.now();
        if let Some(limiter) = self.edges[edge.index()].limiter.as_mut() {
            match limiter.acquire(now) {
                Permit::Now => {}
                Permit::After(wait) => {
                    self.inv_mut(inv).stage = Stage::Limiter;
                    self.schedule(now + wait, Pending::InvocationResume(inv));
                    return;
                }
                Permit::Refused { .. } => {
                    self.attempt_rejected(inv, Status::RateLimited);
                    return;
                }
            }
        }
        self.enter_bulkhead(inv);
    }

    /// The bulkhead: run, wait for a place, or be rejected.
    fn enter_bulkhead(&mut self, inv: InvRef) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        let edge = invocation.edge;
        let now = self.now();
        if let Some(bulkhead) = self.edges[edge.index()].bulkhead.as_mut() {
            match bulkhead.admit(inv.ticket(), now) {
                Admission::Run => self.inv_mut(inv).bulkhead_held = true,
                Admission::Wait { deadline } => {
                    self.inv_mut(inv).stage = Stage::Bulkhead;
                    if let Some(deadline) = deadline {
                        self.schedule(deadline, Pending::BulkheadDeadline(inv));
                    }
                    return;
                }
                Admission::Rejected => {
                    self.attempt_rejected(inv, Status::BulkheadFull);
                    return;
                }
            }
        }
        self.send_attempt(inv);
    }

    fn send_attempt(&mut self, inv: InvRef) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        let (edge, target, from, request, attributes, attempt, parent) = (
            invocation.edge,
            invocation.target,
            invocation.from,
            invocation.request,
            invocation.attributes,
            invocation.attempt,
            invocation.parent,
        );
        if !self.is_calling(parent) {
            // The caller died (its instance crashed) while this attempt waited: it is never
            // sent, and the breaker hears of it as a failed call.
            self.inv_mut(inv).stage = Stage::InFlight;
            self.on_attempt_result(inv, Status::Reset, None, false);
            return;
        }
        let timeout = self.edges[edge.index()]
            .policy
            .timeout
            .or(invocation.call_timeout);
        self.inv_mut(inv).stage = Stage::InFlight;
        self.edges[edge.index()].counters.attempts_sent += 1;
        let span_parent = self.handler_span(parent);
        self.send_call(
            Owner::Invocation(inv),
            target,
            from,
            request,
            attributes,
            timeout,
            Some(edge),
            attempt,
            CallRole::Normal,
            span_parent,
        );
    }

    pub(crate) fn on_invocation_resume(&mut self, inv: InvRef) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        match invocation.stage {
            Stage::Backoff => self.attempt(inv),
            Stage::Limiter => self.enter_bulkhead(inv),
            Stage::Bulkhead => self.send_attempt(inv),
            Stage::InFlight => {}
        }
    }

    pub(crate) fn on_bulkhead_deadline(&mut self, inv: InvRef) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        if invocation.stage != Stage::Bulkhead || invocation.bulkhead_held {
            return;
        }
        let edge = invocation.edge;
        let gave_up = self.edges[edge.index()]
            .bulkhead
            .as_mut()
            .is_some_and(|bulkhead| bulkhead.give_up(inv.ticket()));
        if gave_up {
            self.attempt_rejected(inv, Status::BulkheadFull);
        }
    }

    /// A limiter or bulkhead refused the attempt, or the breaker did not permit it.
    fn attempt_rejected(&mut self, inv: InvRef, status: Status) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        let (edge, request, parent) = (invocation.edge, invocation.request, invocation.parent);
        self.emit(EventKind::AttemptRejected {
            edge,
            request,
            reason: status,
        });
        self.handler_event(
            parent,
            SpanEventKind::NotPermitted {
                edge,
                reason: status,
            },
        );
        self.count_attempt(edge, status);
        // Inside the breaker, a refusal by the limiter or the bulkhead is a failed call
        // (Resilience4j records RequestNotPermitted and BulkheadFullException as errors).
        self.record_in_breaker(inv, false);
        self.attempt_failed(inv, status, None);
    }

    fn record_in_breaker(&mut self, inv: InvRef, ok: bool) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        if !invocation.breaker_permit {
            return;
        }
        let (edge, started) = (invocation.edge, invocation.attempt_started);
        self.inv_mut(inv).breaker_permit = false;
        let now = self.now();
        if let Some(breaker) = self.edges[edge.index()].breaker.as_mut() {
            breaker.on_result(now, now.saturating_since(started), !ok);
        }
        self.after_breaker(edge);
    }

    /// An attempt's answer (or timeout, or loss) came back.
    pub(crate) fn on_attempt_result(
        &mut self,
        inv: InvRef,
        status: Status,
        retry_after: Option<SimDuration>,
        degraded: bool,
    ) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        if invocation.stage != Stage::InFlight {
            return;
        }
        let (edge, held) = (invocation.edge, invocation.bulkhead_held);
        self.inv_mut(inv).stage = Stage::Backoff;
        if held {
            self.inv_mut(inv).bulkhead_held = false;
            self.release_bulkhead(edge);
        }
        self.record_in_breaker(inv, status.is_ok());
        self.count_attempt(edge, status);
        if status.is_ok() {
            self.edges[edge.index()].has_succeeded = true;
            self.finish_invocation(inv, Status::Ok, false, degraded);
        } else {
            self.attempt_failed(inv, status, retry_after);
        }
    }

    fn release_bulkhead(&mut self, edge: EdgeId) {
        let next = self.edges[edge.index()]
            .bulkhead
            .as_mut()
            .and_then(Bulkhead::release);
        if let Some(ticket) = next {
            self.grant_bulkhead(InvRef::from_ticket(ticket));
        }
    }

    fn grant_bulkhead(&mut self, inv: InvRef) {
        if self.live_invocation(inv).is_some() {
            self.inv_mut(inv).bulkhead_held = true;
            self.schedule(self.now(), Pending::InvocationResume(inv));
        }
    }

    /// Retry if the policy allows, else give the final answer (or the fallback).
    fn attempt_failed(&mut self, inv: InvRef, status: Status, retry_after: Option<SimDuration>) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        let (edge, request, attempt, parent) = (
            invocation.edge,
            invocation.request,
            invocation.attempt,
            invocation.parent,
        );
        if !self.is_calling(parent) {
            // The caller is gone (its instance crashed): nobody waits for a retry.
            self.finish_invocation(inv, status, false, false);
            return;
        }
        let now = self.now();
        let runtime = &mut self.edges[edge.index()];
        if let Some(retry) = runtime.policy.retry.clone()
            && retry.retries(status)
            && attempt < retry.max_attempts
            && retry
                .budget
                .is_none_or(|budget| runtime.budget.try_retry(now, &budget))
        {
            let wait = retry.wait_after(attempt, &mut runtime.rng, retry_after);
            runtime.counters.retries += 1;
            let invocation = self.inv_mut(inv);
            invocation.attempt += 1;
            invocation.stage = Stage::Backoff;
            self.emit(EventKind::RetryScheduled {
                edge,
                request,
                attempt: attempt + 1,
                wait_us: wait.0,
            });
            self.handler_event(
                parent,
                SpanEventKind::Retry {
                    attempt: attempt + 1,
                    wait_us: wait.0,
                },
            );
            self.schedule(now + wait, Pending::InvocationResume(inv));
            return;
        }
        let fallback = match runtime.policy.fallback {
            Some(Fallback::Static) => true,
            Some(Fallback::Cached) => runtime.has_succeeded,
            None => false,
        };
        if fallback {
            self.emit(EventKind::FallbackServed { edge, request });
            self.handler_event(parent, SpanEventKind::Fallback { edge });
            self.finish_invocation(inv, Status::Ok, true, false);
        } else {
            self.finish_invocation(inv, status, false, false);
        }
    }

    /// The logical call is over: count it and hand the result to the caller. `fallback`: this
    /// edge's fallback answered; `degraded`: a fallback further down did.
    fn finish_invocation(&mut self, inv: InvRef, status: Status, fallback: bool, degraded: bool) {
        let Some(invocation) = self.live_invocation(inv) else {
            return;
        };
        let (edge, parent, started) = (invocation.edge, invocation.parent, invocation.started_at);
        let latency = self.now().saturating_since(started).0;
        self.count_call_end(edge, status, fallback, latency);
        self.free_invocation(inv);
        self.on_child_result(parent, status, degraded || fallback);
    }

    /// Counts one attempt's outcome on `edge` (successes are counted when the call ends).
    pub(crate) fn count_attempt(&mut self, edge: EdgeId, status: Status) {
        let counters = &mut self.edges[edge.index()].counters;
        match status {
            Status::Ok => {}
            Status::Timeout => counters.timeout += 1,
            Status::ShortCircuited => counters.short_circuited += 1,
            Status::BulkheadFull => counters.bulkhead_rejected += 1,
            Status::RateLimited => counters.rate_limited += 1,
            _ => counters.failure += 1,
        }
    }

    /// Counts how a logical call on `edge` ended: success, this edge's fallback, or failed.
    pub(crate) fn count_call_end(
        &mut self,
        edge: EdgeId,
        status: Status,
        fallback: bool,
        latency_us: u64,
    ) {
        let counters = &mut self.edges[edge.index()].counters;
        let tracker = &mut self.metrics.edges[edge.index()];
        match status {
            Status::Ok if fallback => {
                counters.fallback_served += 1;
                tracker.completed(latency_us);
                tracker.degraded();
            }
            Status::Ok => {
                counters.success += 1;
                tracker.completed(latency_us);
            }
            Status::Timeout => {
                counters.failed += 1;
                tracker.timed_out();
            }
            Status::ShortCircuited | Status::BulkheadFull | Status::RateLimited => {
                counters.failed += 1;
                tracker.rejected();
            }
            _ => {
                counters.failed += 1;
                tracker.failed();
            }
        }
    }

    /// A live change to an edge's policies.
    pub(crate) fn change_policy(
        &mut self,
        edge: EdgeId,
        change: &PolicyChange,
    ) -> Result<(), CommandError> {
        change.check().map_err(CommandError)?;
        let now = self.now();
        let runtime = &mut self.edges[edge.index()];
        change.apply_to(&mut runtime.policy);
        let policy = runtime.policy.clone();
        // Circuit breaker: created, removed, reconfigured or moved by hand.
        match (&policy.circuit_breaker, runtime.breaker.as_mut()) {
            (None, _) => runtime.breaker = None,
            (Some(config), None) => runtime.breaker = Some(CircuitBreaker::new(config.clone())),
            (Some(config), Some(breaker)) => {
                if breaker.config() != config {
                    breaker.reconfigure(config.clone());
                }
            }
        }
        if let PolicyChange::BreakerState(state) = change
            && let Some(breaker) = runtime.breaker.as_mut()
            && !breaker.force(now, *state)
        {
            return Err(CommandError(format!(
                "the breaker cannot go from {} to {}",
                breaker.state().key(),
                state.key()
            )));
        }
        // Rate limiter.
        match (&policy.rate_limiter, runtime.limiter.as_mut()) {
            (None, _) => runtime.limiter = None,
            (Some(config), None) => runtime.limiter = Some(ClientLimiter::new(config.clone())),
            (Some(config), Some(limiter)) => limiter.reconfigure(config.clone()),
        }
        // Bulkhead: calls already inside keep their places; waiting calls may start.
        let mut started = Vec::new();
        match (&policy.bulkhead, runtime.bulkhead.as_mut()) {
            (None, Some(_)) => {
                // Removing the bulkhead lets every waiting call through at once.
                runtime.bulkhead = None;
            }
            (None, None) => {}
            (Some(config), None) => runtime.bulkhead = Some(Bulkhead::new(config.clone())),
            (Some(config), Some(bulkhead)) => started = bulkhead.reconfigure(config.clone()),
        }
        self.after_breaker(edge);
        if let Some(breaker) = self.edges[edge.index()].breaker.as_ref()
            && let Some(at) = breaker.next_timer()
        {
            let generation = breaker.timer_generation();
            self.schedule(at.max(now), Pending::BreakerTimer(edge, generation));
        }
        for ticket in started {
            self.grant_bulkhead(InvRef::from_ticket(ticket));
        }
        if self.edges[edge.index()].bulkhead.is_none() {
            // Invocations that waited for a bulkhead that is gone go ahead now.
            let waiting: Vec<InvRef> = self
                .invocations
                .iter()
                .filter(|(_, inv)| inv.edge == edge && inv.stage == Stage::Bulkhead)
                .map(|(handle, _)| handle)
                .collect();
            for inv in waiting {
                self.inv_mut(inv).bulkhead_held = false;
                self.schedule(now, Pending::InvocationResume(inv));
            }
            for invocation in self.invocations.values_mut().filter(|i| i.edge == edge) {
                invocation.bulkhead_held = false;
            }
        }
        Ok(())
    }

    /// Keeps every edge's counters at the start of each second (the last two minutes and a bit).
    pub(crate) fn note_edge_second(&mut self, now: SimTime) {
        if self.edges.is_empty() {
            return;
        }
        let second = now.0 / 1_000_000;
        if self.edge_seconds.back().is_some_and(|(s, _)| *s >= second) {
            return;
        }
        if self.edge_seconds.len() == EDGE_HISTORY_SECONDS {
            self.edge_seconds.pop_front();
        }
        let counters = self.edges.iter().map(|e| e.counters).collect();
        self.edge_seconds.push_back((second, counters));
    }

    /// What happened on `edge` over the last `seconds` seconds (Hystrix's rolling counters).
    pub fn edge_rolling(&self, edge: EdgeId, seconds: u64) -> EdgeCounters {
        let now_second = self.now().0 / 1_000_000;
        let current = self.edges[edge.index()].counters;
        let Some((_, before)) = self
            .edge_seconds
            .iter()
            .find(|(s, _)| *s + seconds >= now_second)
        else {
            return current;
        };
        let b = before[edge.index()];
        EdgeCounters {
            calls: current.calls - b.calls,
            success: current.success - b.success,
            fallback_served: current.fallback_served - b.fallback_served,
            failed: current.failed - b.failed,
            failure: current.failure - b.failure,
            timeout: current.timeout - b.timeout,
            short_circuited: current.short_circuited - b.short_circuited,
            bulkhead_rejected: current.bulkhead_rejected - b.bulkhead_rejected,
            rate_limited: current.rate_limited - b.rate_limited,
            retries: current.retries - b.retries,
            attempts_sent: current.attempts_sent - b.attempts_sent,
        }
    }

    /// Calls per second on `edge` over the last two minutes, oldest first (the sparkline).
    pub fn edge_sparkline(&self, edge: EdgeId) -> Vec<u64> {
        let index = edge.index();
        let mut points: Vec<u64> = self
            .edge_seconds
            .iter()
            .zip(self.edge_seconds.iter().skip(1))
            .map(|((_, a), (_, b))| b[index].calls - a[index].calls)
            .collect();
        if points.len() > 120 {
            points.drain(..points.len() - 120);
        }
        points
    }

    /// Calls on `edge` still in progress: live invocations, and plain calls still awaited.
    fn edge_in_progress(&self, edge: EdgeId) -> u64 {
        let invocations = self
            .invocations
            .iter()
            .filter(|(_, i)| i.edge == edge)
            .count();
        let plain = self
            .live_calls()
            .filter(|call| {
                call.awaited && call.edge == Some(edge) && matches!(call.owner, Owner::Parent(_))
            })
            .count();
        (invocations + plain) as u64
    }

    pub fn edge_views(&self) -> Vec<EdgeView> {
        self.edges
            .iter()
            .enumerate()
            .map(|(index, runtime)| {
                let edge = EdgeId::from_index(index);
                EdgeView {
                    edge,
                    counters: runtime.counters,
                    breaker: runtime.breaker.as_ref().map(CircuitBreaker::view),
                    bulkhead: runtime.bulkhead.as_ref().map(Bulkhead::view),
                    limiter: runtime
                        .limiter
                        .as_ref()
                        .map(|limiter| (limiter.permits(), limiter.config().limit_for_period)),
                    has_policies: !runtime.policy.is_plain(),
                    in_progress: self.edge_in_progress(edge),
                    transitions: runtime.transitions.iter().copied().collect(),
                }
            })
            .collect()
    }

    /// Each service's server-side rate limit fill, if it has one.
    pub fn limiter_views(&self) -> Vec<Option<super::resilience::rate_limit::LimiterView>> {
        let now = self.now();
        self.server_limiters
            .iter()
            .map(|limiter| limiter.as_ref().map(|l| l.view(now)))
            .collect()
    }

    /// The live policy of an edge (after any knob changes).
    pub fn edge_policy(&self, edge: EdgeId) -> &EdgePolicy {
        &self.edges[edge.index()].policy
    }

    /// Edge invariants: counts are conserved, and bulkhead occupancy agrees with invocations.
    pub(crate) fn check_edges(&self) -> Result<(), String> {
        let scenario = self.scenario();
        for (index, runtime) in self.edges.iter().enumerate() {
            let edge = EdgeId::from_index(index);
            let label = scenario.edge_label(edge);
            let counters = runtime.counters;
            let in_progress = self.edge_in_progress(edge);
            if counters.calls != counters.ended() + in_progress {
                return Err(format!(
                    "edge {label}: {} calls, {} ended, {in_progress} in progress",
                    counters.calls,
                    counters.ended()
                ));
            }
            if let Some(bulkhead) = &runtime.bulkhead {
                let view = bulkhead.view();
                let held = self
                    .invocations
                    .iter()
                    .filter(|(_, i)| i.edge == edge && i.bulkhead_held)
                    .count() as u32;
                let waiting = self
                    .invocations
                    .iter()
                    .filter(|(_, i)| {
                        i.edge == edge && i.stage == Stage::Bulkhead && !i.bulkhead_held
                    })
                    .count() as u32;
                if view.running != held || view.waiting != waiting {
                    return Err(format!(
                        "edge {label}: bulkhead says {} running and {} waiting, invocations say {held} and {waiting}",
                        view.running, view.waiting
                    ));
                }
            }
        }
        for (handle, invocation) in self.invocations.iter() {
            if invocation.stage == Stage::InFlight {
                let owned = self
                    .live_calls()
                    .any(|call| call.awaited && call.owner == Owner::Invocation(handle));
                if !owned {
                    return Err(format!(
                        "an invocation on {} is in flight with no attempt",
                        scenario.edge_label(invocation.edge)
                    ));
                }
            }
        }
        Ok(())
    }
}
