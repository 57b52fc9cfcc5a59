//! Resilience on the call edges: how a handler's call on an edge with policies passes through
//! them. The call becomes an *invocation* that may span several attempts, each passing, in
//! Resilience4j's decoration order — Fallback(Retry(CircuitBreaker(RateLimiter(TimeLimiter(
//! Bulkhead(call)))))) — the circuit breaker, the client-side rate limiter and the bulkhead before
//! it is sent with the edge's per-attempt timeout; a failed attempt may be retried after a
//! backoff; when every attempt failed a fallback may answer instead. Every breaker transition is
//! an event. A service's server-side rate limit answers 429 with a Retry-After on arrival.
//! The pure state machines and the section are in `model`.

pub mod model;
pub mod report;
pub mod view;

use crate::engine::core::arena::Arena;
use crate::engine::core::ids::EdgeId;
use crate::engine::core::status::{CallRole, Status};
use crate::engine::core::time::SimDuration;
use crate::engine::kernel::call::{
    Answer, Arrival, ArrivalVerdict, HandlerCall, OutgoingCall, Owner,
};
use crate::engine::kernel::registry::{PatternOwner, PatternTimer};
use crate::engine::kernel::traces::SpanEventKind;
use crate::engine::kernel::world::{Hooks, Kernel, Pattern};
use crate::engine::scenario::command::CommandError;
use crate::engine::scenario::model::Scenario;
use crate::engine::scenario::registry::PatternId;
use model::state::TRANSITION_MEMORY;
use model::{
    Admission, BreakerConfig, Bulkhead, CircuitBreaker, ClientLimiter, Command, EdgeRuntime, Event,
    Fallback, InvRef, Invocation, Permit, PolicyChange, ServerLimiter, Stage, State, Timer,
};
use view::{EdgeView, ResilienceView};

/// Resilience's marker in the closed set of patterns.
#[derive(Clone, Copy, Debug)]
pub struct Resilience;

impl Pattern for Resilience {
    type State = State;
    type Timer = Timer;
    type Owner = InvRef;
    type Command = Command;
    type View = ResilienceView;
    type Report = report::ResilienceReport;

    fn start(scenario: &Scenario, seed: u64) -> State {
        let spec = &scenario.patterns.resilience;
        State {
            edges: spec
                .policies
                .iter()
                .enumerate()
                .map(|(index, policy)| {
                    let label = scenario.edge_label(EdgeId::from_index(index));
                    EdgeRuntime::new(policy.clone(), seed, &label)
                })
                .collect(),
            invocations: Arena::default(),
            server_limiters: spec
                .server_limits
                .iter()
                .map(|limit| limit.clone().map(ServerLimiter::new))
                .collect(),
        }
    }

    fn on_timer<H: Hooks>(k: &mut Kernel<H>, timer: Timer) {
        match timer {
            Timer::Resume(inv) => on_invocation_resume(k, inv),
            Timer::BulkheadDeadline(inv) => on_bulkhead_deadline(k, inv),
            Timer::Breaker(edge, generation) => on_breaker_timer(k, edge, generation),
        }
    }

    fn on_answer<H: Hooks>(k: &mut Kernel<H>, inv: InvRef, answer: Answer) {
        on_attempt_result(k, inv, answer.status, answer.retry_after, answer.degraded);
    }

    fn on_guarded_call<H: Hooks>(k: &mut Kernel<H>, call: HandlerCall) {
        guarded_call(k, call);
    }

    /// The service's own rate limit: over it, the instance answers 429 with a Retry-After.
    fn on_arrival<H: Hooks>(k: &mut Kernel<H>, arrival: Arrival) -> ArrivalVerdict {
        let now = k.now();
        match k.patterns.resilience.server_limiters[arrival.service.index()].as_mut() {
            Some(limiter) => match limiter.admit(now) {
                Permit::Refused { retry_after } => ArrivalVerdict::Refuse {
                    status: Status::RateLimited,
                    retry_after,
                },
                _ => ArrivalVerdict::Admit,
            },
            None => ArrivalVerdict::Admit,
        }
    }

    /// A manual breaker move must be in Resilience4j's `StateTransition` table from the
    /// breaker's current state (a breaker the move itself switches on starts closed).
    fn admit_command<H: Hooks>(k: &Kernel<H>, command: &Command) -> Result<(), CommandError> {
        let Command::SetPolicy { edge, change } = command;
        if let PolicyChange::BreakerState(to) = change {
            let from = k.patterns.resilience.edges[edge.index()]
                .breaker
                .as_ref()
                .map_or_else(
                    || BreakerConfig::default().initial_state,
                    CircuitBreaker::state,
                );
            if !from.may_become(*to) {
                return Err(CommandError(format!(
                    "the breaker cannot go from {} to {} (Resilience4j allows no such transition)",
                    from.key(),
                    to.key()
                )));
            }
        }
        Ok(())
    }

    fn on_command<H: Hooks>(k: &mut Kernel<H>, command: &Command) {
        match command {
            // Checked by `Command::check` and admitted by `admit_command` before it was recorded.
            Command::SetPolicy { edge, change } => change_policy(k, *edge, change),
        }
    }

    fn view<H: Hooks>(k: &Kernel<H>) -> ResilienceView {
        view::view(k, edge_views(k), limiter_views(k))
    }

    fn report<H: Hooks>(k: &Kernel<H>) -> report::ResilienceReport {
        report::report(k, &edge_views(k))
    }

    fn write_report(report: &report::ResilienceReport, text: &mut String) {
        report.write_text(text);
    }

    fn check<H: Hooks>(k: &Kernel<H>) -> Result<(), String> {
        check_edges(k)
    }
}

fn pattern_timer(timer: Timer) -> PatternTimer {
    PatternTimer::Resilience(timer)
}

/// Removes every protection — each edge's policy and each server's rate limit — from a run that
/// has not started: the "protections off" side of the compare view. The run is the one
/// `scenario.without_protections()` gives, without copying the scenario.
pub fn remove_protections<H: Hooks>(k: &mut Kernel<H>) {
    debug_assert_eq!(k.events_processed(), 0, "only before the first event");
    let seed = k.seed();
    let scenario = std::sync::Arc::clone(k.scenario());
    for index in 0..k.patterns.resilience.edges.len() {
        let edge = EdgeId::from_index(index);
        let label = scenario.edge_label(edge);
        let runtime = &mut k.patterns.resilience.edges[index];
        *runtime = EdgeRuntime::new(runtime.policy.stripped(), seed, &label);
        k.set_edge_guard(edge, None);
    }
    for limiter in &mut k.patterns.resilience.server_limiters {
        *limiter = None;
    }
}

/// A handler calls on an edge with policies: the call becomes an invocation that may span
/// several attempts (the kernel has counted the call on the edge already).
fn guarded_call<H: Hooks>(k: &mut Kernel<H>, call: HandlerCall) {
    let edge = call.edge;
    let now = k.now();
    let runtime = &mut k.patterns.resilience.edges[edge.index()];
    if runtime
        .policy
        .retry
        .as_ref()
        .is_some_and(|r| r.budget.is_some())
    {
        runtime.budget.record_request(now);
    }
    let inv = k.patterns.resilience.invocations.alloc(Invocation {
        parent: call.parent,
        edge,
        target: call.target,
        from: call.from,
        request: call.request,
        attributes: call.attributes,
        call_timeout: call.timeout,
        attempt: 1,
        started_at: now,
        attempt_started: now,
        breaker_permit: false,
        bulkhead_held: false,
        stage: Stage::Backoff,
    });
    attempt(k, inv);
}

fn free_invocation<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) {
    k.patterns.resilience.invocations.free(inv);
}

fn live_invocation<H: Hooks>(k: &Kernel<H>, inv: InvRef) -> Option<&Invocation> {
    k.patterns.resilience.invocations.get(inv)
}

fn inv_mut<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) -> &mut Invocation {
    &mut k.patterns.resilience.invocations[inv]
}

/// Emits the breaker's transitions and schedules its next timer.
fn after_breaker<H: Hooks>(k: &mut Kernel<H>, edge: EdgeId) {
    let runtime = &mut k.patterns.resilience.edges[edge.index()];
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
        k.emit(Event::BreakerTransition {
            edge,
            from: transition.from,
            to: transition.to,
            reason: transition.reason,
        });
    }
    if let Some((at, generation)) = timer {
        k.schedule(
            at.max(k.now()),
            pattern_timer(Timer::Breaker(edge, generation)),
        );
    }
}

fn on_breaker_timer<H: Hooks>(k: &mut Kernel<H>, edge: EdgeId, generation: u32) {
    let now = k.now();
    let Some(breaker) = k.patterns.resilience.edges[edge.index()].breaker.as_mut() else {
        return;
    };
    if breaker.timer_generation() != generation {
        return;
    }
    breaker.on_timer(now);
    after_breaker(k, edge);
}

/// One attempt: circuit breaker first.
fn attempt<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    let edge = invocation.edge;
    let now = k.now();
    inv_mut(k, inv).attempt_started = now;
    if let Some(breaker) = k.patterns.resilience.edges[edge.index()].breaker.as_mut() {
        let permitted = breaker.try_acquire(now);
        after_breaker(k, edge);
        if !permitted {
            attempt_rejected(k, inv, Status::ShortCircuited);
            return;
        }
        inv_mut(k, inv).breaker_permit = true;
    }
    through_limiter(k, inv);
}

/// The client-side rate limiter: go, wait for a reserved permit, or be refused.
fn through_limiter<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    let edge = invocation.edge;
    let now = k.now();
    if let Some(limiter) = k.patterns.resilience.edges[edge.index()].limiter.as_mut() {
        match limiter.acquire(now) {
            Permit::Now => {}
            Permit::After(wait) => {
                inv_mut(k, inv).stage = Stage::Limiter;
                k.schedule(now + wait, pattern_timer(Timer::Resume(inv)));
                return;
            }
            Permit::Refused { .. } => {
                attempt_rejected(k, inv, Status::RateLimited);
                return;
            }
        }
    }
    enter_bulkhead(k, inv);
}

/// The bulkhead: run, wait for a place, or be rejected.
fn enter_bulkhead<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    let edge = invocation.edge;
    let now = k.now();
    if let Some(bulkhead) = k.patterns.resilience.edges[edge.index()].bulkhead.as_mut() {
        match bulkhead.admit(inv.ticket(), now) {
            Admission::Run => inv_mut(k, inv).bulkhead_held = true,
            Admission::Wait { deadline } => {
                inv_mut(k, inv).stage = Stage::Bulkhead;
                if let Some(deadline) = deadline {
                    k.schedule(deadline, pattern_timer(Timer::BulkheadDeadline(inv)));
                }
                return;
            }
            Admission::Rejected => {
                attempt_rejected(k, inv, Status::BulkheadFull);
                return;
            }
        }
    }
    send_attempt(k, inv);
}

fn send_attempt<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) {
    let Some(invocation) = live_invocation(k, inv) else {
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
    if !k.is_calling(parent) {
        // The caller died (its instance crashed) while this attempt waited: it is never
        // sent, and the breaker hears of it as a failed call.
        inv_mut(k, inv).stage = Stage::InFlight;
        on_attempt_result(k, inv, Status::Reset, None, false);
        return;
    }
    let timeout = k.patterns.resilience.edges[edge.index()]
        .policy
        .timeout
        .or(invocation.call_timeout);
    inv_mut(k, inv).stage = Stage::InFlight;
    k.edge_counters_mut(edge).attempts_sent += 1;
    let span_parent = k.handler_span(parent);
    let breaker = k.patterns.resilience.edges[edge.index()]
        .breaker
        .as_ref()
        .map(CircuitBreaker::state);
    k.send_call(OutgoingCall {
        owner: Owner::Pattern(PatternOwner::Resilience(inv)),
        endpoint: target,
        from,
        request,
        attributes,
        timeout,
        edge: Some(edge),
        attempt,
        role: CallRole::Normal,
        parent: span_parent,
        breaker,
    });
}

fn on_invocation_resume<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    match invocation.stage {
        Stage::Backoff => attempt(k, inv),
        Stage::Limiter => enter_bulkhead(k, inv),
        Stage::Bulkhead => send_attempt(k, inv),
        Stage::InFlight => {}
    }
}

fn on_bulkhead_deadline<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    if invocation.stage != Stage::Bulkhead || invocation.bulkhead_held {
        return;
    }
    let edge = invocation.edge;
    let gave_up = k.patterns.resilience.edges[edge.index()]
        .bulkhead
        .as_mut()
        .is_some_and(|bulkhead| bulkhead.give_up(inv.ticket()));
    if gave_up {
        attempt_rejected(k, inv, Status::BulkheadFull);
    }
}

/// A limiter or bulkhead refused the attempt, or the breaker did not permit it.
fn attempt_rejected<H: Hooks>(k: &mut Kernel<H>, inv: InvRef, status: Status) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    let (edge, request, parent) = (invocation.edge, invocation.request, invocation.parent);
    k.emit(Event::AttemptRejected {
        edge,
        request,
        reason: status,
    });
    k.handler_event(
        parent,
        SpanEventKind::NotPermitted {
            edge,
            reason: status,
        },
    );
    k.count_attempt(edge, status);
    // Inside the breaker, a refusal by the limiter or the bulkhead is a failed call
    // (Resilience4j records RequestNotPermitted and BulkheadFullException as errors).
    record_in_breaker(k, inv, false);
    attempt_failed(k, inv, status, None);
}

fn record_in_breaker<H: Hooks>(k: &mut Kernel<H>, inv: InvRef, ok: bool) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    if !invocation.breaker_permit {
        return;
    }
    let (edge, started) = (invocation.edge, invocation.attempt_started);
    inv_mut(k, inv).breaker_permit = false;
    let now = k.now();
    if let Some(breaker) = k.patterns.resilience.edges[edge.index()].breaker.as_mut() {
        breaker.on_result(now, now.saturating_since(started), !ok);
    }
    after_breaker(k, edge);
}

/// An attempt's answer (or timeout, or loss) came back.
fn on_attempt_result<H: Hooks>(
    k: &mut Kernel<H>,
    inv: InvRef,
    status: Status,
    retry_after: Option<SimDuration>,
    degraded: bool,
) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    if invocation.stage != Stage::InFlight {
        return;
    }
    let (edge, held) = (invocation.edge, invocation.bulkhead_held);
    inv_mut(k, inv).stage = Stage::Backoff;
    if held {
        inv_mut(k, inv).bulkhead_held = false;
        release_bulkhead(k, edge);
    }
    record_in_breaker(k, inv, status.is_ok());
    k.count_attempt(edge, status);
    if status.is_ok() {
        k.patterns.resilience.edges[edge.index()].has_succeeded = true;
        finish_invocation(k, inv, Status::Ok, false, degraded);
    } else {
        attempt_failed(k, inv, status, retry_after);
    }
}

fn release_bulkhead<H: Hooks>(k: &mut Kernel<H>, edge: EdgeId) {
    let next = k.patterns.resilience.edges[edge.index()]
        .bulkhead
        .as_mut()
        .and_then(Bulkhead::release);
    if let Some(ticket) = next {
        grant_bulkhead(k, InvRef::from_ticket(ticket));
    }
}

fn grant_bulkhead<H: Hooks>(k: &mut Kernel<H>, inv: InvRef) {
    if live_invocation(k, inv).is_some() {
        inv_mut(k, inv).bulkhead_held = true;
        k.schedule(k.now(), pattern_timer(Timer::Resume(inv)));
    }
}

/// Retry if the policy allows, else give the final answer (or the fallback).
fn attempt_failed<H: Hooks>(
    k: &mut Kernel<H>,
    inv: InvRef,
    status: Status,
    retry_after: Option<SimDuration>,
) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    let (edge, request, attempt, parent) = (
        invocation.edge,
        invocation.request,
        invocation.attempt,
        invocation.parent,
    );
    if !k.is_calling(parent) {
        // The caller is gone (its instance crashed): nobody waits for a retry.
        finish_invocation(k, inv, status, false, false);
        return;
    }
    let now = k.now();
    let runtime = &mut k.patterns.resilience.edges[edge.index()];
    if let Some(retry) = runtime.policy.retry.clone()
        && retry.retries(status)
        && attempt < retry.max_attempts
        && retry
            .budget
            .is_none_or(|budget| runtime.budget.try_retry(now, &budget))
    {
        let wait = retry.wait_after(attempt, &mut runtime.rng, retry_after);
        k.edge_counters_mut(edge).retries += 1;
        let invocation = inv_mut(k, inv);
        invocation.attempt += 1;
        invocation.stage = Stage::Backoff;
        k.emit(Event::RetryScheduled {
            edge,
            request,
            attempt: attempt + 1,
            wait_us: wait.0,
        });
        k.handler_event(
            parent,
            SpanEventKind::Retry {
                attempt: attempt + 1,
                wait_us: wait.0,
            },
        );
        k.schedule(now + wait, pattern_timer(Timer::Resume(inv)));
        return;
    }
    let fallback = match runtime.policy.fallback {
        Some(Fallback::Static) => true,
        Some(Fallback::Cached) => runtime.has_succeeded,
        None => false,
    };
    if fallback {
        k.emit(Event::FallbackServed { edge, request });
        k.handler_event(parent, SpanEventKind::Fallback { edge });
        finish_invocation(k, inv, Status::Ok, true, false);
    } else {
        finish_invocation(k, inv, status, false, false);
    }
}

/// The logical call is over: count it and hand the result to the caller. `fallback`: this
/// edge's fallback answered; `degraded`: a fallback further down did.
fn finish_invocation<H: Hooks>(
    k: &mut Kernel<H>,
    inv: InvRef,
    status: Status,
    fallback: bool,
    degraded: bool,
) {
    let Some(invocation) = live_invocation(k, inv) else {
        return;
    };
    let (edge, parent, started) = (invocation.edge, invocation.parent, invocation.started_at);
    let latency = k.now().saturating_since(started).0;
    k.count_call_end(edge, status, fallback, latency);
    free_invocation(k, inv);
    k.child_result(parent, status, degraded || fallback);
}

/// A live change to an edge's policies.
fn change_policy<H: Hooks>(k: &mut Kernel<H>, edge: EdgeId, change: &PolicyChange) {
    let now = k.now();
    let runtime = &mut k.patterns.resilience.edges[edge.index()];
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
    {
        let moved = breaker.force(now, *state);
        debug_assert!(moved, "legality was checked before the change");
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
    let guard = (!policy.is_plain()).then_some(PatternId::Resilience);
    k.set_edge_guard(edge, guard);
    after_breaker(k, edge);
    if let Some(breaker) = k.patterns.resilience.edges[edge.index()].breaker.as_ref()
        && let Some(at) = breaker.next_timer()
    {
        let generation = breaker.timer_generation();
        k.schedule(at.max(now), pattern_timer(Timer::Breaker(edge, generation)));
    }
    for ticket in started {
        grant_bulkhead(k, InvRef::from_ticket(ticket));
    }
    if k.patterns.resilience.edges[edge.index()].bulkhead.is_none() {
        // Invocations that waited for a bulkhead that is gone go ahead now.
        let waiting: Vec<InvRef> = k
            .patterns
            .resilience
            .invocations
            .iter()
            .filter(|(_, inv)| inv.edge == edge && inv.stage == Stage::Bulkhead)
            .map(|(handle, _)| handle)
            .collect();
        for inv in waiting {
            inv_mut(k, inv).bulkhead_held = false;
            k.schedule(now, pattern_timer(Timer::Resume(inv)));
        }
        for invocation in k
            .patterns
            .resilience
            .invocations
            .values_mut()
            .filter(|i| i.edge == edge)
        {
            invocation.bulkhead_held = false;
        }
    }
}

/// Calls on `edge` still in progress: live invocations, and plain calls still awaited.
fn edge_in_progress<H: Hooks>(k: &Kernel<H>, edge: EdgeId) -> u64 {
    let invocations = k
        .patterns
        .resilience
        .invocations
        .iter()
        .filter(|(_, i)| i.edge == edge)
        .count() as u64;
    invocations + k.plain_calls_in_progress(edge)
}

fn edge_views<H: Hooks>(k: &Kernel<H>) -> Vec<EdgeView> {
    k.patterns
        .resilience
        .edges
        .iter()
        .enumerate()
        .map(|(index, runtime)| {
            let edge = EdgeId::from_index(index);
            EdgeView {
                edge,
                counters: k.edge_counters(edge),
                breaker: runtime.breaker.as_ref().map(CircuitBreaker::view),
                bulkhead: runtime.bulkhead.as_ref().map(Bulkhead::view),
                limiter: runtime
                    .limiter
                    .as_ref()
                    .map(|limiter| (limiter.permits(), limiter.config().limit_for_period)),
                has_policies: !runtime.policy.is_plain(),
                in_progress: edge_in_progress(k, edge),
                transitions: runtime.transitions.iter().copied().collect(),
            }
        })
        .collect()
}

/// Each service's server-side rate limit fill, if it has one.
fn limiter_views<H: Hooks>(k: &Kernel<H>) -> Vec<Option<LimiterView>> {
    let now = k.now();
    k.patterns
        .resilience
        .server_limiters
        .iter()
        .map(|limiter| limiter.as_ref().map(|l| l.view(now)))
        .collect()
}

/// Edge invariants: counts are conserved, and bulkhead occupancy agrees with invocations.
fn check_edges<H: Hooks>(k: &Kernel<H>) -> Result<(), String> {
    let scenario = k.scenario();
    let invocations = &k.patterns.resilience.invocations;
    for (index, runtime) in k.patterns.resilience.edges.iter().enumerate() {
        let edge = EdgeId::from_index(index);
        let label = scenario.edge_label(edge);
        let counters = k.edge_counters(edge);
        let in_progress = edge_in_progress(k, edge);
        if counters.calls != counters.ended() + in_progress {
            return Err(format!(
                "edge {label}: {} calls, {} ended, {in_progress} in progress",
                counters.calls,
                counters.ended()
            ));
        }
        if let Some(bulkhead) = &runtime.bulkhead {
            let view = bulkhead.view();
            let held = invocations
                .iter()
                .filter(|(_, i)| i.edge == edge && i.bulkhead_held)
                .count() as u32;
            let waiting = invocations
                .iter()
                .filter(|(_, i)| i.edge == edge && i.stage == Stage::Bulkhead && !i.bulkhead_held)
                .count() as u32;
            if view.running != held || view.waiting != waiting {
                return Err(format!(
                    "edge {label}: bulkhead says {} running and {} waiting, invocations say {held} and {waiting}",
                    view.running, view.waiting
                ));
            }
        }
    }
    for (handle, invocation) in invocations.iter() {
        if invocation.stage == Stage::InFlight {
            let owner = Owner::Pattern(PatternOwner::Resilience(handle));
            let owned = k
                .live_calls()
                .any(|call| call.awaited && call.owner == owner);
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

use model::rate_limit::LimiterView;
