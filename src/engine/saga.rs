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

use super::core::arena::{Arena, Handle};
use super::core::attributes::RequestAttributes;
use super::core::ids::{RequestId, SagaId, StationId};
use super::core::status::{CallRole, Status};
use super::core::time::SimTime;
use super::events::EventKind;
use super::scenario::SagaMode;
use super::sim::{CallRef, Engine, Owner, Pending};
use super::traces::{
    NO_SPAN, Operation, Span, SpanEventKind, SpanKind, SpanParent, SpanSource, TraceRef,
    span_id_for,
};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// One command a saga run sends: a step's action or its compensation.
struct SagaCommand {
    /// Where it leaves from, and which service sends it.
    from: StationId,
    caller: super::core::ids::ServiceId,
    target: super::core::ids::EndpointId,
    timeout: Option<super::core::time::SimDuration>,
    role: CallRole,
    step: usize,
    /// Sent by the orchestrator (not by a participant, as in choreography).
    orchestrated: bool,
}

/// How many finished runs the saga panel remembers.
const FINISHED_MEMORY: usize = 40;

/// A handle on a live saga run; it goes stale when the run finishes.
pub(crate) type SagaRef = Handle<SagaRun>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaOutcome {
    Completed,
    Compensated,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaPhase {
    Running,
    Compensating,
    Completed,
    Compensated,
}

/// One step's story in a run, for the saga panel's timeline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StepRecord {
    pub action_started_us: Option<u64>,
    pub action_ended_us: Option<u64>,
    pub action_status: Option<Status>,
    pub action_attempts: u32,
    pub compensation_started_us: Option<u64>,
    pub compensation_ended_us: Option<u64>,
    pub compensation_status: Option<Status>,
    pub compensation_attempts: u32,
}

/// A saga run as the panel shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SagaView {
    pub run: u64,
    pub saga: SagaId,
    pub request: RequestId,
    pub phase: SagaPhase,
    pub started_us: u64,
    pub ended_us: Option<u64>,
    /// The semantic lock the record carries while in flight.
    pub lock: Option<String>,
    pub steps: Vec<StepRecord>,
}

/// Totals per saga definition (also in the run report).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SagaCounters {
    pub started: u64,
    pub completed: u64,
    pub compensated: u64,
    pub compensations_run: u64,
    pub retries: u64,
    pub lock_observations: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct SagaRun {
    pub(crate) id: u64,
    pub(crate) saga: SagaId,
    pub(crate) request: RequestId,
    pub(crate) attributes: RequestAttributes,
    /// The handler that waits for the decision (until it has its answer).
    pub(crate) handler: Option<CallRef>,
    pub(crate) phase: SagaPhase,
    pub(crate) step: usize,
    pub(crate) attempt: u32,
    pub(crate) completed: Vec<bool>,
    pub(crate) compensated: Vec<bool>,
    pub(crate) started_at: SimTime,
    pub(crate) records: Vec<StepRecord>,
    /// The run's INTERNAL span at the orchestrator (sampled requests only).
    pub(crate) trace: Option<TraceRef>,
    pub(crate) span: u32,
    /// The orchestrator's instance: where the run's commands leave from.
    pub(crate) orchestrator_instance: Option<super::core::ids::InstanceId>,
}

/// The engine's saga bookkeeping.
#[derive(Default)]
pub(crate) struct SagaState {
    pub(crate) runs: Arena<SagaRun>,
    next_id: u64,
    /// Runs in flight by (saga, user): whose records are locked.
    by_user: BTreeMap<(SagaId, u32), SagaRef>,
    pub(crate) counters: Vec<SagaCounters>,
    pub(crate) finished: VecDeque<SagaView>,
}

impl SagaState {
    pub(crate) fn new(sagas: usize) -> SagaState {
        SagaState {
            counters: vec![SagaCounters::default(); sagas],
            next_id: 1,
            ..SagaState::default()
        }
    }
}

/// The semantic lock a record carries while `step` is in flight: `RESERVE_INVENTORY_PENDING`.
pub fn step_lock(step_name: &str) -> String {
    format!("{}_PENDING", step_name.to_ascii_uppercase())
}

fn lock_name(step_name: &str, phase: SagaPhase) -> String {
    match phase {
        SagaPhase::Compensating => "COMPENSATION_PENDING".to_string(),
        _ => step_lock(step_name),
    }
}

impl Engine {
    fn saga_run(&self, run: SagaRef) -> Option<&SagaRun> {
        self.sagas.runs.get(run)
    }

    fn saga_mut(&mut self, run: SagaRef) -> &mut SagaRun {
        &mut self.sagas.runs[run]
    }

    /// A start endpoint's handler finished its own work: the saga begins.
    pub(crate) fn start_saga(&mut self, handler: CallRef, saga: SagaId) {
        let Some(call) = self.live(handler) else {
            return;
        };
        let (request, attributes) = (call.request, call.attributes);
        let steps = self.scenario().sagas[saga.index()].steps.len();
        let id = self.sagas.next_id;
        self.sagas.next_id += 1;
        // The run's span: a child of the handler that started it, which it may outlive.
        let parent = self.handler_span(handler);
        let station = self.live(handler).map_or(StationId(0), |c| c.hop_to);
        let now = self.now();
        let span = parent.trace.and_then(|trace| {
            let span = Span {
                id: span_id_for(self.seed(), SpanSource::Saga(id)),
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
            self.traces.open_span(trace, span)
        });
        let run = self.sagas.runs.alloc(SagaRun {
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
        self.sagas.counters[saga.index()].started += 1;
        if attributes.user_id > 0 {
            self.sagas.by_user.insert((saga, attributes.user_id), run);
        }
        self.mark_handler_waiting(handler);
        self.emit(EventKind::SagaStarted {
            run: id,
            saga,
            request,
        });
        self.saga_next(run);
    }

    /// Sends the run's next command: the current step's action, or the next compensation.
    fn saga_next(&mut self, run: SagaRef) {
        let Some(state) = self.saga_run(run) else {
            return;
        };
        let scenario = std::sync::Arc::clone(self.scenario());
        let spec = &scenario.sagas[state.saga.index()];
        let orchestrator_service = scenario.endpoint(spec.start).service;
        let orchestrator = scenario.service(orchestrator_service).station;
        let service_of = |step: usize| scenario.endpoint(spec.steps[step].action).service;
        let station_of = |step: usize| scenario.service(service_of(step)).station;
        let (phase, step, attempt, id) = (state.phase, state.step, state.attempt, state.id);
        match phase {
            SagaPhase::Running => {
                let (from, caller) = match spec.mode {
                    SagaMode::Choreography if step > 0 => {
                        (station_of(step - 1), service_of(step - 1))
                    }
                    _ => (orchestrator, orchestrator_service),
                };
                let target = spec.steps[step].action;
                let timeout = spec.steps[step].timeout;
                self.note_saga_step(run, id, step, false, attempt, None);
                self.saga_span_event(
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
                self.saga_call(run, command);
            }
            SagaPhase::Compensating => {
                // The highest completed, not yet compensated, compensatable step below the cursor.
                let state = self
                    .saga_run(run)
                    .map(|s| (s.completed.clone(), s.compensated.clone(), s.step));
                let Some((completed, compensated, cursor)) = state else {
                    return;
                };
                let next = (0..cursor.min(spec.steps.len())).rev().find(|&j| {
                    completed[j] && !compensated[j] && spec.steps[j].compensation.is_some()
                });
                let Some(j) = next else {
                    self.finish_saga(run, SagaOutcome::Compensated);
                    return;
                };
                if self.saga_mut(run).step != j + 1 {
                    // Moving to a new compensation: its attempts count from one.
                    self.saga_mut(run).attempt = 1;
                }
                self.saga_mut(run).step = j + 1;
                let attempt = self.saga_run(run).map_or(1, |s| s.attempt);
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
                self.sagas.counters[spec.id.index()].compensations_run += 1;
                self.note_saga_step(run, id, j, true, attempt, None);
                self.saga_span_event(
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
                self.saga_call(run, command);
            }
            SagaPhase::Completed | SagaPhase::Compensated => {}
        }
    }

    fn saga_call(&mut self, run: SagaRef, command: SagaCommand) {
        let Some(state) = self.saga_run(run) else {
            return;
        };
        let (request, attributes, attempt) = (state.request, state.attributes, state.attempt);
        let span_parent = SpanParent {
            trace: state.trace,
            span: Some((
                state.span,
                span_id_for(self.seed(), SpanSource::Saga(state.id)),
            )),
            service: Some(command.caller),
            instance: state.orchestrator_instance.filter(|_| command.orchestrated),
            saga: Some((state.saga, state.id, command.step as u16)),
        };
        self.send_call(
            Owner::Saga(run),
            command.target,
            command.from,
            request,
            attributes,
            command.timeout,
            None,
            attempt,
            command.role,
            span_parent,
        );
    }

    fn saga_span_event(&mut self, run: SagaRef, kind: SpanEventKind) {
        let Some(state) = self.saga_run(run) else {
            return;
        };
        if let Some(trace) = state.trace {
            let (span, now) = (state.span, self.now().0);
            self.traces.add_event(trace, span, now, kind);
        }
    }

    /// The answer (or timeout) of the run's current command.
    pub(crate) fn on_saga_result(&mut self, run: SagaRef, status: Status) {
        let Some(state) = self.saga_run(run) else {
            return;
        };
        let scenario = std::sync::Arc::clone(self.scenario());
        let spec = &scenario.sagas[state.saga.index()];
        let (phase, step, id, saga, attempt) =
            (state.phase, state.step, state.id, state.saga, state.attempt);
        match phase {
            SagaPhase::Running => {
                self.note_saga_step(run, id, step, false, attempt, Some(status));
                if status.is_ok() {
                    self.saga_mut(run).completed[step] = true;
                    if step == spec.pivot {
                        self.answer_saga_handler(run, Status::Ok);
                    }
                    if step + 1 < spec.steps.len() {
                        let state = self.saga_mut(run);
                        state.step = step + 1;
                        state.attempt = 1;
                        self.saga_next(run);
                    } else {
                        self.finish_saga(run, SagaOutcome::Completed);
                    }
                } else if step > spec.pivot {
                    // A retriable step: it must succeed; try again after the backoff.
                    self.retry_saga(run, saga, spec.retry.wait(attempt));
                } else {
                    // Up to the pivot: undo what completed, newest first.
                    self.saga_mut(run).phase = SagaPhase::Compensating;
                    self.saga_mut(run).attempt = 1;
                    self.answer_saga_handler(run, Status::DownstreamError);
                    self.saga_next(run);
                }
            }
            SagaPhase::Compensating => {
                let j = step - 1;
                self.note_saga_step(run, id, j, true, attempt, Some(status));
                if status.is_ok() {
                    let state = self.saga_mut(run);
                    state.compensated[j] = true;
                    state.step = j;
                    state.attempt = 1;
                    self.saga_next(run);
                } else {
                    // There is no compensation for a compensation: retry it until it succeeds.
                    self.retry_saga(run, saga, spec.retry.wait(attempt));
                }
            }
            SagaPhase::Completed | SagaPhase::Compensated => {}
        }
    }

    /// Records that step `step`'s action (or, with `compensation`, its compensation) started
    /// (`status` None) or ended with `status`, in the run's record and as a `SagaStep` event.
    fn note_saga_step(
        &mut self,
        run: SagaRef,
        id: u64,
        step: usize,
        compensation: bool,
        attempt: u32,
        status: Option<Status>,
    ) {
        let now = self.now().0;
        let record = &mut self.saga_mut(run).records[step];
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
        self.emit(EventKind::SagaStep {
            run: id,
            step: step as u16,
            compensation,
            attempt,
            status,
        });
    }

    fn retry_saga(&mut self, run: SagaRef, saga: SagaId, wait: super::core::time::SimDuration) {
        self.sagas.counters[saga.index()].retries += 1;
        self.saga_mut(run).attempt += 1;
        let attempt = self.saga_mut(run).attempt;
        self.saga_span_event(
            run,
            SpanEventKind::Retry {
                attempt,
                wait_us: wait.0,
            },
        );
        let at = self.now() + wait;
        self.schedule(at, Pending::SagaResume(run));
    }

    pub(crate) fn on_saga_resume(&mut self, run: SagaRef) {
        if self.saga_run(run).is_some() {
            self.saga_next(run);
        }
    }

    /// The requesting handler learns the decision (once).
    fn answer_saga_handler(&mut self, run: SagaRef, status: Status) {
        let Some(handler) = self.saga_run(run).and_then(|s| s.handler) else {
            return;
        };
        self.saga_mut(run).handler = None;
        if self.is_calling(handler) {
            self.finish_saga_handler(handler, status);
        }
    }

    fn finish_saga(&mut self, run: SagaRef, outcome: SagaOutcome) {
        let Some(state) = self.saga_run(run) else {
            return;
        };
        let (id, saga, user) = (state.id, state.saga, state.attributes.user_id);
        // A run with no pivot decision yet (all steps compensated before any answer) still answers.
        let status = match outcome {
            SagaOutcome::Completed => Status::Ok,
            SagaOutcome::Compensated => Status::DownstreamError,
        };
        self.answer_saga_handler(run, status);
        if let Some(state) = self.saga_run(run)
            && let Some(trace) = state.trace
        {
            let (span, now) = (state.span, self.now().0);
            self.traces.close_span(trace, span, now, status);
        }
        let counters = &mut self.sagas.counters[saga.index()];
        match outcome {
            SagaOutcome::Completed => counters.completed += 1,
            SagaOutcome::Compensated => counters.compensated += 1,
        }
        let now = self.now();
        let state = self.saga_mut(run);
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
        self.sagas.runs.free(run);
        if self.sagas.by_user.get(&(saga, user)) == Some(&run) {
            self.sagas.by_user.remove(&(saga, user));
        }
        if self.sagas.finished.len() == FINISHED_MEMORY {
            self.sagas.finished.pop_front();
        }
        self.sagas.finished.push_back(view);
        self.emit(EventKind::SagaFinished { run: id, outcome });
    }

    /// A request reached an endpoint that reads this user's records: it sees the lock.
    /// Returns the run and step whose lock it saw.
    pub(crate) fn observe_saga_lock(
        &mut self,
        saga: SagaId,
        request: RequestId,
        user: u32,
    ) -> Option<(u64, u16)> {
        if user == 0 {
            return None;
        }
        let run = *self.sagas.by_user.get(&(saga, user))?;
        let state = self.saga_run(run)?;
        let (id, step) = (state.id, state.step);
        self.sagas.counters[saga.index()].lock_observations += 1;
        self.emit(EventKind::SemanticLockObserved {
            run: id,
            request,
            step: step as u16,
        });
        Some((id, step as u16))
    }

    /// Runs in flight and recently finished, newest last.
    pub fn saga_views(&self) -> Vec<SagaView> {
        let scenario = self.scenario();
        let mut views: Vec<SagaView> = self.sagas.finished.iter().cloned().collect();
        let mut live: Vec<&SagaRun> = self.sagas.runs.iter().map(|(_, r)| r).collect();
        live.sort_by_key(|r| r.id);
        for run in live {
            let spec = &scenario.sagas[run.saga.index()];
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

    pub fn saga_counters(&self) -> &[SagaCounters] {
        &self.sagas.counters
    }

    /// Saga invariants: nothing compensated that never completed; runs conserved.
    pub(crate) fn check_sagas(&self) -> Result<(), String> {
        for (_, run) in self.sagas.runs.iter() {
            for (j, (&done, &undone)) in run.completed.iter().zip(&run.compensated).enumerate() {
                if undone && !done {
                    return Err(format!(
                        "saga run {}: step {j} compensated but never completed",
                        run.id
                    ));
                }
            }
        }
        for (index, counters) in self.sagas.counters.iter().enumerate() {
            let live = self
                .sagas
                .runs
                .iter()
                .filter(|(_, r)| r.saga.index() == index)
                .count() as u64;
            if counters.started != counters.completed + counters.compensated + live {
                return Err(format!(
                    "saga {}: {} started, {} completed, {} compensated, {live} running",
                    self.scenario().sagas[index].name,
                    counters.started,
                    counters.completed,
                    counters.compensated
                ));
            }
        }
        Ok(())
    }
}
