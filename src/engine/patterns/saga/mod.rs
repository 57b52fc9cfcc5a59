//! Sagas: distributed transactions as a sequence of local steps, each with a compensation
//! (semantics.md §6, Richardson's *Microservices Patterns* ch. 4, Temporal's `Saga`).
//!
//! A request to a saga's start endpoint, after that endpoint's own work, starts a saga run. Its
//! steps are called in order. Steps before the pivot are compensatable; the pivot is the
//! go/no-go step; steps after it are retriable. When a step up to the pivot fails, the steps that
//! completed are compensated in reverse order; a failing compensation is retried with backoff
//! until it succeeds (there is no compensation for a compensation). A step after the pivot that
//! fails is retried the same way. The requesting handler gets its answer at the decision: success
//! once the pivot succeeds, failure as soon as compensation begins; the rest runs on.
//!
//! In orchestration every command leaves from the orchestrator's station; in choreography each
//! participant triggers the next from its own station, so actions travel forward along the line
//! and compensations travel back. While a run is in flight its record carries a semantic lock
//! (`RESERVE_INVENTORY_PENDING`, …) that endpoints reading the same user's records observe.

pub mod model;
pub mod report;

use crate::engine::core::ids::{CallRef, EndpointId, RequestId, SagaId, ServiceId, StationId};
use crate::engine::core::status::{CallRole, Status};
use crate::engine::core::time::SimDuration;
use crate::engine::kernel::call::{Answer, Arrival, ArrivalVerdict, OutgoingCall, Owner};
use crate::engine::kernel::registry::{PatternOwner, PatternTimer};
use crate::engine::kernel::traces::{
    NO_SPAN, Operation, Span, SpanEventKind, SpanKind, SpanParent, SpanSource, span_id_for,
};
use crate::engine::kernel::world::{Hooks, Kernel, Pattern};
use crate::engine::scenario::model::Scenario;
use model::{
    Event, FINISHED_MEMORY, SagaCounters, SagaMode, SagaOutcome, SagaPhase, SagaRef, SagaRun,
    SagaView, State, StepRecord, Timer, lock_name,
};

/// The saga's marker in the closed set of patterns.
#[derive(Clone, Copy, Debug)]
pub struct Saga;

/// The saga panel's view: runs in flight and recently finished (newest last), and totals per
/// saga.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SagaPanelView {
    pub runs: Vec<SagaView>,
    pub counters: Vec<SagaCounters>,
}

impl Pattern for Saga {
    type State = State;
    type Timer = Timer;
    type Owner = SagaRef;
    type Command = model::Command;
    type View = SagaPanelView;
    type Report = report::SagaReports;

    fn start(scenario: &Scenario, _seed: u64) -> State {
        State::new(scenario.patterns.saga.sagas.len())
    }

    fn on_timer<H: Hooks>(k: &mut Kernel<H>, timer: Timer) {
        match timer {
            Timer::Resume(run) => on_saga_resume(k, run),
        }
    }

    fn on_answer<H: Hooks>(k: &mut Kernel<H>, run: SagaRef, answer: Answer) {
        on_saga_result(k, run, answer.status);
    }

    /// A start endpoint's handler finished its own work: its saga begins.
    fn on_handler<H: Hooks>(k: &mut Kernel<H>, handler: CallRef) {
        let Some(endpoint) = k.call(handler).map(|call| call.endpoint) else {
            return;
        };
        if let Some(saga) = k.scenario().patterns.saga.starts[endpoint.index()] {
            start_saga(k, handler, saga);
        }
    }

    /// A request reached an endpoint that reads a saga's records: it may see a lock. Never
    /// refuses.
    fn on_arrival<H: Hooks>(k: &mut Kernel<H>, arrival: Arrival) -> ArrivalVerdict {
        let Some(call) = k.call(arrival.call) else {
            return ArrivalVerdict::Admit;
        };
        let (endpoint, request, user) = (call.endpoint, call.request, call.attributes.user_id);
        if let Some(saga) = k.scenario().patterns.saga.observes[endpoint.index()]
            && let Some((run, step)) = observe_saga_lock(k, saga, request, user)
        {
            k.server_span_event(arrival.call, SpanEventKind::LockObserved { run, step });
        }
        ArrivalVerdict::Admit
    }

    fn view<H: Hooks>(k: &Kernel<H>) -> SagaPanelView {
        SagaPanelView {
            runs: saga_views(k),
            counters: k.patterns.saga.counters.clone(),
        }
    }

    fn report<H: Hooks>(k: &Kernel<H>) -> report::SagaReports {
        report::report(k)
    }

    fn write_report(report: &report::SagaReports, text: &mut String) {
        report.write_text(text);
    }

    fn check<H: Hooks>(k: &Kernel<H>) -> Result<(), String> {
        check_sagas(k)
    }
}

/// One command a saga run sends: a step's action or its compensation.
struct SagaCommand {
    /// Where it leaves from, and which service sends it.
    from: StationId,
    caller: ServiceId,
    target: EndpointId,
    timeout: Option<SimDuration>,
    role: CallRole,
    step: usize,
    /// Sent by the orchestrator (not by a participant, as in choreography).
    orchestrated: bool,
}

fn saga_run<H: Hooks>(k: &Kernel<H>, run: SagaRef) -> Option<&SagaRun> {
    k.patterns.saga.runs.get(run)
}

fn saga_mut<H: Hooks>(k: &mut Kernel<H>, run: SagaRef) -> &mut SagaRun {
    &mut k.patterns.saga.runs[run]
}

/// A start endpoint's handler finished its own work: the saga begins.
fn start_saga<H: Hooks>(k: &mut Kernel<H>, handler: CallRef, saga: SagaId) {
    let Some(call) = k.call(handler) else {
        return;
    };
    let (request, attributes) = (call.request, call.attributes);
    let steps = k.scenario().patterns.saga.sagas[saga.index()].steps.len();
    let id = k.patterns.saga.next_id;
    k.patterns.saga.next_id += 1;
    // The run's span: a child of the handler that started it, which it may outlive.
    let parent = k.handler_span(handler);
    let station = k.call(handler).map_or(StationId(0), |c| c.hop_to);
    let now = k.now();
    let seed = k.seed();
    let span = parent.trace.and_then(|trace| {
        let span = Span {
            id: span_id_for(seed, SpanSource::Saga(id)),
            parent: parent.span.map(|(_, id)| id),
            kind: SpanKind::Internal,
            operation: Operation::Saga(saga),
            service: parent.service,
            instance: parent.instance,
            station,
            peer_station: None,
            call: None,
            start_us: now.0,
            work_start_us: None,
            end_us: None,
            status: None,
            attempt: 1,
            breaker: None,
            role: CallRole::Normal,
            saga: Some(saga),
            saga_run: Some(id),
            saga_step: None,
            events: Vec::new(),
        };
        k.open_span(trace, span)
    });
    let run = k.patterns.saga.runs.alloc(SagaRun {
        id,
        saga,
        request,
        attributes,
        handler: Some(handler),
        phase: SagaPhase::Running,
        step: 0,
        attempt: 1,
        completed: vec![false; steps],
        compensated: vec![false; steps],
        started_at: now,
        records: vec![StepRecord::default(); steps],
        trace: span.and(parent.trace),
        span: span.unwrap_or(NO_SPAN),
        orchestrator_instance: parent.instance,
    });
    k.patterns.saga.counters[saga.index()].started += 1;
    if attributes.user_id > 0 {
        k.patterns
            .saga
            .by_user
            .insert((saga, attributes.user_id), run);
    }
    k.wait_for_pattern(handler);
    k.emit(Event::SagaStarted {
        run: id,
        saga,
        request,
    });
    saga_next(k, run);
}

/// Sends the run's next command: the current step's action, or the next compensation.
fn saga_next<H: Hooks>(k: &mut Kernel<H>, run: SagaRef) {
    let Some(state) = saga_run(k, run) else {
        return;
    };
    let scenario = std::sync::Arc::clone(k.scenario());
    let spec = &scenario.patterns.saga.sagas[state.saga.index()];
    let orchestrator_service = scenario.endpoint(spec.start).service;
    let orchestrator = scenario.service(orchestrator_service).station;
    let service_of = |step: usize| scenario.endpoint(spec.steps[step].action).service;
    let station_of = |step: usize| scenario.service(service_of(step)).station;
    let (phase, step, attempt, id) = (state.phase, state.step, state.attempt, state.id);
    match phase {
        SagaPhase::Running => {
            let (from, caller) = match spec.mode {
                SagaMode::Choreography if step > 0 => (station_of(step - 1), service_of(step - 1)),
                _ => (orchestrator, orchestrator_service),
            };
            let target = spec.steps[step].action;
            let timeout = spec.steps[step].timeout;
            note_saga_step(k, run, id, step, false, attempt, None);
            saga_span_event(
                k,
                run,
                SpanEventKind::SagaStep {
                    step: step as u16,
                    attempt,
                },
            );
            let command = SagaCommand {
                from,
                caller,
                target,
                timeout,
                role: CallRole::SagaAction,
                step,
                orchestrated: caller == orchestrator_service,
            };
            saga_call(k, run, command);
        }
        SagaPhase::Compensating => {
            // The highest completed, not yet compensated, compensatable step below the cursor.
            let state =
                saga_run(k, run).map(|s| (s.completed.clone(), s.compensated.clone(), s.step));
            let Some((completed, compensated, cursor)) = state else {
                return;
            };
            let next = (0..cursor.min(spec.steps.len()))
                .rev()
                .find(|&j| completed[j] && !compensated[j] && spec.steps[j].compensation.is_some());
            let Some(j) = next else {
                finish_saga(k, run, SagaOutcome::Compensated);
                return;
            };
            if saga_mut(k, run).step != j + 1 {
                // Moving to a new compensation: its attempts count from one.
                saga_mut(k, run).attempt = 1;
            }
            saga_mut(k, run).step = j + 1;
            let attempt = saga_run(k, run).map_or(1, |s| s.attempt);
            let (from, caller) = match spec.mode {
                SagaMode::Orchestration => (orchestrator, orchestrator_service),
                SagaMode::Choreography => {
                    let next = (j + 1).min(spec.steps.len() - 1);
                    (station_of(next), service_of(next))
                }
            };
            let Some(target) = spec.steps[j].compensation else {
                return;
            };
            k.patterns.saga.counters[spec.id.index()].compensations_run += 1;
            note_saga_step(k, run, id, j, true, attempt, None);
            saga_span_event(
                k,
                run,
                SpanEventKind::Compensation {
                    step: j as u16,
                    attempt,
                },
            );
            let command = SagaCommand {
                from,
                caller,
                target,
                timeout: spec.steps[j].timeout,
                role: CallRole::SagaCompensation,
                step: j,
                orchestrated: caller == orchestrator_service,
            };
            saga_call(k, run, command);
        }
        SagaPhase::Completed | SagaPhase::Compensated => {}
    }
}

fn saga_call<H: Hooks>(k: &mut Kernel<H>, run: SagaRef, command: SagaCommand) {
    let Some(state) = saga_run(k, run) else {
        return;
    };
    let (request, attributes, attempt) = (state.request, state.attributes, state.attempt);
    let span_parent = SpanParent {
        trace: state.trace,
        span: Some((
            state.span,
            span_id_for(k.seed(), SpanSource::Saga(state.id)),
        )),
        service: Some(command.caller),
        instance: state.orchestrator_instance.filter(|_| command.orchestrated),
        saga: Some((state.saga, state.id, command.step as u16)),
    };
    k.send_call(OutgoingCall {
        owner: Owner::Pattern(PatternOwner::Saga(run)),
        endpoint: command.target,
        from: command.from,
        request,
        attributes,
        timeout: command.timeout,
        edge: None,
        attempt,
        role: command.role,
        parent: span_parent,
        breaker: None,
    });
}

fn saga_span_event<H: Hooks>(k: &mut Kernel<H>, run: SagaRef, kind: SpanEventKind) {
    let Some(state) = saga_run(k, run) else {
        return;
    };
    if let Some(trace) = state.trace {
        let span = state.span;
        k.span_event(trace, span, kind);
    }
}

/// The answer (or timeout) of the run's current command.
fn on_saga_result<H: Hooks>(k: &mut Kernel<H>, run: SagaRef, status: Status) {
    let Some(state) = saga_run(k, run) else {
        return;
    };
    let scenario = std::sync::Arc::clone(k.scenario());
    let spec = &scenario.patterns.saga.sagas[state.saga.index()];
    let (phase, step, id, saga, attempt) =
        (state.phase, state.step, state.id, state.saga, state.attempt);
    match phase {
        SagaPhase::Running => {
            note_saga_step(k, run, id, step, false, attempt, Some(status));
            if status.is_ok() {
                saga_mut(k, run).completed[step] = true;
                if step == spec.pivot {
                    answer_saga_handler(k, run, Status::Ok);
                }
                if step + 1 < spec.steps.len() {
                    let state = saga_mut(k, run);
                    state.step = step + 1;
                    state.attempt = 1;
                    saga_next(k, run);
                } else {
                    finish_saga(k, run, SagaOutcome::Completed);
                }
            } else if step > spec.pivot {
                // A retriable step: it must succeed; try again after the backoff.
                retry_saga(k, run, saga, spec.retry.wait(attempt));
            } else {
                // Up to the pivot: undo what completed, newest first.
                saga_mut(k, run).phase = SagaPhase::Compensating;
                saga_mut(k, run).attempt = 1;
                answer_saga_handler(k, run, Status::DownstreamError);
                saga_next(k, run);
            }
        }
        SagaPhase::Compensating => {
            let j = step - 1;
            note_saga_step(k, run, id, j, true, attempt, Some(status));
            if status.is_ok() {
                let state = saga_mut(k, run);
                state.compensated[j] = true;
                state.step = j;
                state.attempt = 1;
                saga_next(k, run);
            } else {
                // There is no compensation for a compensation: retry it until it succeeds.
                retry_saga(k, run, saga, spec.retry.wait(attempt));
            }
        }
        SagaPhase::Completed | SagaPhase::Compensated => {}
    }
}

/// Records that step `step`'s action (or, with `compensation`, its compensation) started
/// (`status` None) or ended with `status`, in the run's record and as a `SagaStep` event.
fn note_saga_step<H: Hooks>(
    k: &mut Kernel<H>,
    run: SagaRef,
    id: u64,
    step: usize,
    compensation: bool,
    attempt: u32,
    status: Option<Status>,
) {
    let now = k.now().0;
    let record = &mut saga_mut(k, run).records[step];
    let (attempts, started, ended, outcome) = if compensation {
        (
            &mut record.compensation_attempts,
            &mut record.compensation_started_us,
            &mut record.compensation_ended_us,
            &mut record.compensation_status,
        )
    } else {
        (
            &mut record.action_attempts,
            &mut record.action_started_us,
            &mut record.action_ended_us,
            &mut record.action_status,
        )
    };
    match status {
        None => {
            *attempts += 1;
            *started = Some(now);
        }
        Some(status) => {
            *ended = Some(now);
            *outcome = Some(status);
        }
    }
    k.emit(Event::SagaStep {
        run: id,
        step: step as u16,
        compensation,
        attempt,
        status,
    });
}

fn retry_saga<H: Hooks>(k: &mut Kernel<H>, run: SagaRef, saga: SagaId, wait: SimDuration) {
    k.patterns.saga.counters[saga.index()].retries += 1;
    saga_mut(k, run).attempt += 1;
    let attempt = saga_mut(k, run).attempt;
    saga_span_event(
        k,
        run,
        SpanEventKind::Retry {
            attempt,
            wait_us: wait.0,
        },
    );
    let at = k.now() + wait;
    k.schedule(at, PatternTimer::Saga(Timer::Resume(run)));
}

fn on_saga_resume<H: Hooks>(k: &mut Kernel<H>, run: SagaRef) {
    if saga_run(k, run).is_some() {
        saga_next(k, run);
    }
}

/// The requesting handler learns the decision (once).
fn answer_saga_handler<H: Hooks>(k: &mut Kernel<H>, run: SagaRef, status: Status) {
    let Some(handler) = saga_run(k, run).and_then(|s| s.handler) else {
        return;
    };
    saga_mut(k, run).handler = None;
    if k.is_calling(handler) {
        k.finish_handler(handler, status);
    }
}

fn finish_saga<H: Hooks>(k: &mut Kernel<H>, run: SagaRef, outcome: SagaOutcome) {
    let Some(state) = saga_run(k, run) else {
        return;
    };
    let (id, saga, user) = (state.id, state.saga, state.attributes.user_id);
    // A run with no pivot decision yet (all steps compensated before any answer) still answers.
    let status = match outcome {
        SagaOutcome::Completed => Status::Ok,
        SagaOutcome::Compensated => Status::DownstreamError,
    };
    answer_saga_handler(k, run, status);
    if let Some(state) = saga_run(k, run)
        && let Some(trace) = state.trace
    {
        let span = state.span;
        k.close_span(trace, span, status);
    }
    let counters = &mut k.patterns.saga.counters[saga.index()];
    match outcome {
        SagaOutcome::Completed => counters.completed += 1,
        SagaOutcome::Compensated => counters.compensated += 1,
    }
    let now = k.now();
    let state = saga_mut(k, run);
    state.phase = match outcome {
        SagaOutcome::Completed => SagaPhase::Completed,
        SagaOutcome::Compensated => SagaPhase::Compensated,
    };
    let view = SagaView {
        run: state.id,
        saga: state.saga,
        request: state.request,
        phase: state.phase,
        started_us: state.started_at.0,
        ended_us: Some(now.0),
        lock: None,
        steps: state.records.clone(),
    };
    k.patterns.saga.runs.free(run);
    if k.patterns.saga.by_user.get(&(saga, user)) == Some(&run) {
        k.patterns.saga.by_user.remove(&(saga, user));
    }
    if k.patterns.saga.finished.len() == FINISHED_MEMORY {
        k.patterns.saga.finished.pop_front();
    }
    k.patterns.saga.finished.push_back(view);
    k.emit(Event::SagaFinished { run: id, outcome });
}

/// A request reached an endpoint that reads this user's records: it sees the lock.
/// Returns the run and step whose lock it saw.
fn observe_saga_lock<H: Hooks>(
    k: &mut Kernel<H>,
    saga: SagaId,
    request: RequestId,
    user: u32,
) -> Option<(u64, u16)> {
    if user == 0 {
        return None;
    }
    let run = *k.patterns.saga.by_user.get(&(saga, user))?;
    let state = saga_run(k, run)?;
    let (id, step) = (state.id, state.step);
    k.patterns.saga.counters[saga.index()].lock_observations += 1;
    k.emit(Event::SemanticLockObserved {
        run: id,
        request,
        step: step as u16,
    });
    Some((id, step as u16))
}

/// Runs in flight and recently finished, newest last.
fn saga_views<H: Hooks>(k: &Kernel<H>) -> Vec<SagaView> {
    let scenario = k.scenario();
    let mut views: Vec<SagaView> = k.patterns.saga.finished.iter().cloned().collect();
    let mut live: Vec<&SagaRun> = k.patterns.saga.runs.iter().map(|(_, r)| r).collect();
    live.sort_by_key(|r| r.id);
    for run in live {
        let spec = &scenario.patterns.saga.sagas[run.saga.index()];
        let step_name = &spec.steps[run.step.min(spec.steps.len() - 1)].name;
        views.push(SagaView {
            run: run.id,
            saga: run.saga,
            request: run.request,
            phase: run.phase,
            started_us: run.started_at.0,
            ended_us: None,
            lock: Some(lock_name(step_name, run.phase)),
            steps: run.records.clone(),
        });
    }
    views
}

/// Saga invariants: nothing compensated that never completed; runs conserved.
fn check_sagas<H: Hooks>(k: &Kernel<H>) -> Result<(), String> {
    for (_, run) in k.patterns.saga.runs.iter() {
        for (j, (&done, &undone)) in run.completed.iter().zip(&run.compensated).enumerate() {
            if undone && !done {
                return Err(format!(
                    "saga run {}: step {j} compensated but never completed",
                    run.id
                ));
            }
        }
    }
    for (index, counters) in k.patterns.saga.counters.iter().enumerate() {
        let live = k
            .patterns
            .saga
            .runs
            .iter()
            .filter(|(_, r)| r.saga.index() == index)
            .count() as u64;
        if counters.started != counters.completed + counters.compensated + live {
            return Err(format!(
                "saga {}: {} started, {} completed, {} compensated, {live} running",
                k.scenario().patterns.saga.sagas[index].name,
                counters.started,
                counters.completed,
                counters.compensated
            ));
        }
    }
    Ok(())
}
