//! The kernel's world: everything a run holds, the event loop, and the door patterns come through.
//!
//! `Kernel<H>` owns the clock, the event queue, the calls (an arena), the instances with their
//! workers and queues, the workload's streams, the active faults, the metrics, the edge book, the
//! trace store, the event hash and every pattern's state (`patterns`). `H` is the closed set of
//! patterns (`patterns::AllPatterns`): the kernel calls its hooks at the seams of a call's life
//! (`Hooks`), statically dispatched, and patterns act back only through the door methods marked
//! "door" (schedule a timer, emit an event, send a call, answer or finish a handler, add a span
//! event, count on an edge). The life of a call is in `life.rs`, arrivals in `workload.rs`,
//! faults and commands in `faults.rs`.

use super::call::{Answer, Arrival, ArrivalVerdict, Call, CallState, HandlerCall};
use super::edges::{EdgeBook, EdgeCounters};
use super::events::{EngineEvent, EventKind};
use super::metrics::Metrics;
use super::registry::{PatternOwner, PatternStates, PatternTimer};
use super::traces::{
    NO_SPAN, SpanEventKind, SpanParent, SpanSource, Trace, TraceCounters, TraceStore, head_sampled,
    span_id_for, trace_id_for, traceparent,
};
use crate::engine::core::arena::Arena;
use crate::engine::core::event::TraceHasher;
use crate::engine::core::ids::{CallId, CallRef, CallSlot, EdgeId, RequestId};
use crate::engine::core::queue::EventQueue;
use crate::engine::core::rng::SimRng;
use crate::engine::core::time::{SimDuration, SimTime};
use crate::engine::scenario::command::{Command, CommandError, RecordedCommand};
use crate::engine::scenario::model::{Scenario, TracingSettings, WorkloadMode};
use crate::engine::scenario::registry::{PatternCommand, PatternId};
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// How long a caller waits before it learns that a message was lost in a partition
/// (Istio's default TCP connect timeout).
pub const CONNECT_TIMEOUT: SimDuration = SimDuration(10_000_000);

/// At most this many commands are applied at run time; the log must hold every one to replay
/// the run, so more are refused with a message rather than dropped or merged.
pub const MAX_COMMANDS: usize = 10_000;

/// Why the engine stopped before reaching what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// More events were due than the bound allowed; `now` is where the engine stopped.
    EventBudgetExhausted { processed: u64, now: SimTime },
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::EventBudgetExhausted { processed, now } => write!(
                f,
                "stopped after {processed} events at {now}: the event bound was reached"
            ),
        }
    }
}

impl std::error::Error for EngineError {}

/// What is scheduled in the event queue.
#[derive(Clone, Copy, Debug)]
pub enum Pending {
    Arrival,
    UserReady(u32),
    HopArrive(CallRef),
    WorkDone(CallRef),
    ResponseArrive(CallRef),
    NetworkFailure(CallRef),
    CallTimeout(CallRef),
    ClientTimeout(CallRef),
    ScheduledFault(u32),
    FaultEnd(u32),
    /// A pattern's own timer.
    Pattern(PatternTimer),
}

/// What the kernel asks the patterns at the seams of a call's life. Implemented once, for the
/// closed set (`patterns::AllPatterns`), by `for_each_pattern!`: each hook is one `match` on the
/// pattern or the value's variant, no `dyn`, no loop over patterns.
pub trait Hooks: Sized + 'static {
    /// Every pattern's state at the start of a run.
    fn new_states(scenario: &Scenario, seed: u64) -> PatternStates;
    /// A timer a pattern scheduled is due.
    fn on_timer(k: &mut Kernel<Self>, timer: PatternTimer);
    /// The answer to a call a pattern owns arrived, or the call timed out or was lost.
    fn on_answer(k: &mut Kernel<Self>, owner: PatternOwner, answer: Answer);
    /// A handler calls on an edge that `pattern` guards.
    fn on_guarded_call(k: &mut Kernel<Self>, pattern: PatternId, call: HandlerCall);
    /// A handler whose endpoint `pattern` takes over has done its own work.
    fn on_handler(k: &mut Kernel<Self>, pattern: PatternId, handler: CallRef);
    /// A request reached a live instance of an endpoint `pattern` watches.
    fn on_arrival(k: &mut Kernel<Self>, pattern: PatternId, arrival: Arrival) -> ArrivalVerdict;
    /// Whether a pattern's command may apply now, given the run's state (a refused command
    /// changes nothing and is not recorded).
    fn admit_command(k: &Kernel<Self>, command: &PatternCommand) -> Result<(), CommandError>;
    /// A pattern's command (a live knob) applies now.
    fn on_command(k: &mut Kernel<Self>, command: &PatternCommand);
}

/// One pattern's side of the door: its state, what it keeps in the queue and on calls, and its
/// hooks. Each pattern's folder implements it on a marker type; every hook has a default that
/// does nothing, so a pattern writes only the seams it uses.
pub trait Pattern {
    type State;
    type Timer;
    type Owner;
    type Command;

    /// The pattern's state at the start of a run.
    fn start(scenario: &Scenario, seed: u64) -> Self::State;

    fn on_timer<H: Hooks>(_k: &mut Kernel<H>, _timer: Self::Timer) {}

    fn on_answer<H: Hooks>(_k: &mut Kernel<H>, _owner: Self::Owner, _answer: Answer) {}

    fn on_guarded_call<H: Hooks>(_k: &mut Kernel<H>, _call: HandlerCall) {}

    fn on_handler<H: Hooks>(_k: &mut Kernel<H>, _handler: CallRef) {}

    fn on_arrival<H: Hooks>(_k: &mut Kernel<H>, _arrival: Arrival) -> ArrivalVerdict {
        ArrivalVerdict::Admit
    }

    /// Refuses a command the run's current state does not allow (the scenario-level checks
    /// are the command's own `check`).
    fn admit_command<H: Hooks>(
        _k: &Kernel<H>,
        _command: &Self::Command,
    ) -> Result<(), CommandError> {
        Ok(())
    }

    fn on_command<H: Hooks>(_k: &mut Kernel<H>, _command: &Self::Command) {}

    /// What the map and the panels show of the pattern now.
    type View: Clone + fmt::Debug + Default + PartialEq;
    fn view<H: Hooks>(k: &Kernel<H>) -> Self::View;

    /// The pattern's section of the run report (its JSON keys sit at the report's top level).
    type Report: Clone + fmt::Debug + PartialEq + serde::Serialize;
    fn report<H: Hooks>(k: &Kernel<H>) -> Self::Report;

    /// The report section as `lokal-cli run` prints it.
    fn write_report(_report: &Self::Report, _text: &mut String) {}

    /// What must hold of the pattern's state after every event; the first violation found.
    fn check<H: Hooks>(_k: &Kernel<H>) -> Result<(), String> {
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct InstanceState {
    pub up: bool,
    pub busy: u32,
    pub queue: VecDeque<CallRef>,
    pub slow_factor: f64,
    pub injected_error: f64,
}

#[derive(Clone, Debug)]
pub(super) struct BalancerState {
    pub(super) next: usize,
    pub(super) rng: SimRng,
}

#[derive(Clone, Debug)]
pub(super) struct EndpointStreams {
    pub(super) work: SimRng,
    pub(super) errors: SimRng,
}

#[derive(Clone, Debug)]
pub(super) struct WorkloadState {
    pub(super) arrivals: SimRng,
    pub(super) mix: SimRng,
    pub(super) attributes: SimRng,
    pub(super) think: SimRng,
    pub(super) max_rate_per_s: f64,
    pub(super) constant_rate: bool,
    /// Arrival times accumulate in f64 so rounding each gap to a microsecond adds no drift.
    pub(super) arrival_clock_us: f64,
    pub(super) next_request: u64,
}

#[derive(Clone, Debug)]
pub struct ActiveFault {
    pub id: u32,
    pub command: Command,
}

/// A run of a scenario: the simulation. `H` is the closed set of patterns. A clone is a copy
/// of the whole run that goes on independently (the command log is shared until one of them
/// records a command); `{:#?}` prints every part of the state.
#[derive(Clone, Debug)]
pub struct Kernel<H> {
    pub(super) scenario: Arc<Scenario>,
    pub(super) seed: u64,
    pub(super) now: SimTime,
    pub(super) queue: EventQueue<Pending>,
    pub(super) calls: Arena<Call, CallSlot>,
    pub(super) instances: Vec<InstanceState>,
    pub(super) balancers: Vec<BalancerState>,
    pub(super) endpoint_streams: Vec<EndpointStreams>,
    pub(super) network_streams: Vec<SimRng>,
    pub(super) workload: WorkloadState,
    pub(super) active_faults: Vec<ActiveFault>,
    pub(super) partitions_active: usize,
    pub(super) next_command_id: u32,
    pub(super) metrics: Metrics,
    pub(super) edges: EdgeBook,
    pub(super) traces: TraceStore,
    pub(super) hasher: TraceHasher,
    pub(super) recording: bool,
    pub(super) recorded: Vec<EngineEvent>,
    /// Shared, so a view of the run can hold it without copying (copied once per command applied
    /// while a view holds it, never per refresh).
    pub(super) command_log: Arc<Vec<RecordedCommand>>,
    pub(super) next_call_id: u64,
    pub(super) last_event_time: SimTime,
    pub(super) arrivals_end: SimTime,
    /// Every pattern's state: each pattern reads and changes its own part.
    pub patterns: PatternStates,
    _hooks: PhantomData<fn() -> H>,
}

impl<H: Hooks> Kernel<H> {
    /// A fresh run of `scenario` with `seed`, before its first event.
    pub fn new(scenario: Arc<Scenario>, seed: u64) -> Kernel<H> {
        let window = scenario.metrics.window_seconds;
        let metrics = Metrics::new(
            scenario.workload.mix.endpoints.len(),
            scenario.services.len(),
            scenario.endpoints.len(),
            scenario.edges.len(),
            window,
        );
        let instances = scenario
            .instances
            .iter()
            .map(|spec| InstanceState {
                up: true,
                busy: 0,
                queue: VecDeque::with_capacity(
                    (scenario.service(spec.service).queue_capacity as usize).min(1024),
                ),
                slow_factor: 1.0,
                injected_error: 0.0,
            })
            .collect();
        let balancers = scenario
            .services
            .iter()
            .map(|service| BalancerState {
                next: 0,
                rng: SimRng::derive(seed, &format!("service/{}/balancer", service.name)),
            })
            .collect();
        let endpoint_streams = scenario
            .endpoints
            .iter()
            .map(|endpoint| EndpointStreams {
                work: SimRng::derive(seed, &format!("endpoint/{}/work", endpoint.qualified_name)),
                errors: SimRng::derive(
                    seed,
                    &format!("endpoint/{}/errors", endpoint.qualified_name),
                ),
            })
            .collect();
        let network_streams = scenario
            .stations
            .iter()
            .map(|station| SimRng::derive(seed, &format!("network/{}", station.name)))
            .collect();
        let (max_rate_per_s, constant_rate) = match &scenario.workload.mode {
            WorkloadMode::Open(profile) => (profile.max_rate(), profile.is_constant()),
            WorkloadMode::Closed { .. } => (0.0, true),
        };
        let workload = WorkloadState {
            arrivals: SimRng::derive(seed, "workload/arrivals"),
            mix: SimRng::derive(seed, "workload/mix"),
            attributes: SimRng::derive(seed, "workload/attributes"),
            think: SimRng::derive(seed, "workload/think"),
            max_rate_per_s,
            constant_rate,
            arrival_clock_us: 0.0,
            next_request: 1,
        };
        let arrivals_end = SimTime(scenario.duration.0);
        let traces = TraceStore::new(scenario.tracing.clone());
        let edges = EdgeBook::new(scenario.edges.iter().map(|edge| edge.guard).collect());
        let patterns = H::new_states(&scenario, seed);
        let mut kernel = Kernel {
            scenario,
            seed,
            now: SimTime::ZERO,
            queue: EventQueue::default(),
            calls: Arena::default(),
            instances,
            balancers,
            endpoint_streams,
            network_streams,
            workload,
            active_faults: Vec::new(),
            partitions_active: 0,
            next_command_id: 1,
            metrics,
            edges,
            traces,
            hasher: TraceHasher::default(),
            recording: false,
            recorded: Vec::new(),
            command_log: Arc::new(Vec::new()),
            next_call_id: 1,
            last_event_time: SimTime::ZERO,
            arrivals_end,
            patterns,
            _hooks: PhantomData,
        };
        kernel.schedule_start();
        kernel
    }

    // ----- public API -------------------------------------------------------------------------

    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// New requests stop arriving at this time (the scenario's duration unless changed).
    pub fn arrivals_end(&self) -> SimTime {
        self.arrivals_end
    }

    /// The time of the next due event, if any.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn events_processed(&self) -> u64 {
        self.hasher.events()
    }

    /// The digest of every event emitted so far.
    pub fn trace_hash(&self) -> u64 {
        self.hasher.finish()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn command_log(&self) -> &[RecordedCommand] {
        &self.command_log
    }

    /// The command log, shared: a view can keep it without copying it.
    pub fn command_log_shared(&self) -> Arc<Vec<RecordedCommand>> {
        Arc::clone(&self.command_log)
    }

    /// Keep emitted events for `drain_events` (off by default; the hash is kept either way).
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }

    /// Takes the events recorded since the last call.
    pub fn drain_events(&mut self) -> Vec<EngineEvent> {
        std::mem::take(&mut self.recorded)
    }

    /// Processes the next event. Returns its time, or `None` when nothing is left to do.
    pub fn step(&mut self) -> Option<SimTime> {
        let (time, event) = self.queue.pop()?;
        debug_assert!(time >= self.now, "time went back: {time} < {}", self.now);
        self.now = time;
        self.last_event_time = time;
        self.metrics.roll(time);
        self.edges.note_second(time.0);
        self.dispatch(event);
        Some(time)
    }

    /// Processes every event due at or before `target`, then sets the clock to `target`.
    /// Processes at most `max_events`; if more are due, stops with an error and the clock at the
    /// last processed event, so a caller can resume.
    pub fn advance_until(&mut self, target: SimTime, max_events: u64) -> Result<u64, EngineError> {
        let mut processed = 0;
        while let Some(time) = self.queue.peek_time() {
            if time > target {
                break;
            }
            if processed == max_events {
                return Err(EngineError::EventBudgetExhausted {
                    processed,
                    now: self.now,
                });
            }
            self.step();
            processed += 1;
        }
        if target > self.now {
            self.now = target;
            self.metrics.roll(target);
            self.edges.note_second(target.0);
        }
        Ok(processed)
    }

    /// Runs until no event is left, processing at most `max_events`.
    pub fn run_until_idle(&mut self, max_events: u64) -> Result<u64, EngineError> {
        let mut processed = 0;
        while !self.queue.is_empty() {
            if processed == max_events {
                return Err(EngineError::EventBudgetExhausted {
                    processed,
                    now: self.now,
                });
            }
            self.step();
            processed += 1;
        }
        Ok(processed)
    }

    /// Applies a command now (at the current virtual time) and records it in the command log.
    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        command.check(&self.scenario)?;
        if let Command::Pattern(command) = &command {
            H::admit_command(self, command)?;
        }
        if self.command_log.len() >= MAX_COMMANDS {
            return Err(CommandError(format!(
                "this run already holds {MAX_COMMANDS} commands, the most one run can record; restart to go on"
            )));
        }
        let spec = command.to_spec(&self.scenario);
        Arc::make_mut(&mut self.command_log).push(RecordedCommand {
            at_us: self.now.0,
            command: spec,
        });
        self.apply_command(command, true);
        Ok(())
    }

    fn dispatch(&mut self, event: Pending) {
        match event {
            Pending::Arrival => self.on_open_arrival(),
            Pending::UserReady(user) => self.on_user_ready(user),
            Pending::HopArrive(call) => self.on_hop_arrive(call),
            Pending::WorkDone(call) => self.on_work_done(call),
            Pending::ResponseArrive(call) => self.on_response_arrive(call),
            Pending::NetworkFailure(call) => self.on_network_failure(call),
            Pending::CallTimeout(call) => self.on_call_timeout(call),
            Pending::ClientTimeout(call) => self.on_client_timeout(call),
            Pending::ScheduledFault(index) => {
                let command = self.scenario.faults[index as usize].command.clone();
                self.apply_command(command, false);
            }
            Pending::FaultEnd(id) => self.end_fault(id),
            Pending::Pattern(timer) => H::on_timer(self, timer),
        }
    }

    // ----- the door: what patterns may do -----------------------------------------------------

    /// Door: schedules a pattern's timer.
    pub fn schedule(&mut self, at: SimTime, timer: PatternTimer) {
        debug_assert!(at >= self.now, "a timer in the past: {at} < {}", self.now);
        self.queue.push(at, Pending::Pattern(timer));
    }

    /// Door: emits an event (folded into `trace_hash`, recorded if asked).
    pub fn emit(&mut self, kind: impl Into<EventKind>) {
        let event = EngineEvent {
            t_us: self.now.0,
            kind: kind.into(),
        };
        event.fold(&mut self.hasher);
        if self.recording {
            self.recorded.push(event);
        }
    }

    /// Door: the call behind `call`, if the handle is still current.
    pub fn call(&self, call: CallRef) -> Option<&Call> {
        self.calls.get(call)
    }

    /// Door: true while `call` is a live handler waiting on its downstream calls.
    pub fn is_calling(&self, call: CallRef) -> bool {
        self.call(call)
            .is_some_and(|c| c.state == CallState::Calling)
    }

    /// Door: counts one attempt's outcome on `edge` (successes count when the call ends).
    pub fn count_attempt(&mut self, edge: EdgeId, status: crate::engine::core::status::Status) {
        self.edges.counters[edge.index()].count_attempt(status);
    }

    /// Door: a pattern's own counters on `edge` (retries, attempts it sent).
    pub fn edge_counters_mut(&mut self, edge: EdgeId) -> &mut EdgeCounters {
        &mut self.edges.counters[edge.index()]
    }

    /// Door: which pattern guards `edge` from now on (`None`: plain).
    pub fn set_edge_guard(&mut self, edge: EdgeId, guard: Option<PatternId>) {
        self.edges.guards[edge.index()] = guard;
    }

    /// Door: adds an event to a span of an open trace.
    pub fn span_event(
        &mut self,
        trace: crate::engine::core::ids::TraceRef,
        span: u32,
        kind: SpanEventKind,
    ) {
        let now = self.now.0;
        self.traces.add_event(trace, span, now, kind);
    }

    /// Door: opens a span (a saga run's INTERNAL span); its index in the trace.
    pub fn open_span(
        &mut self,
        trace: crate::engine::core::ids::TraceRef,
        span: super::traces::Span,
    ) -> Option<u32> {
        self.traces.open_span(trace, span)
    }

    /// Door: ends a span with `status`.
    pub fn close_span(
        &mut self,
        trace: crate::engine::core::ids::TraceRef,
        span: u32,
        status: crate::engine::core::status::Status,
    ) {
        let now = self.now.0;
        self.traces.close_span(trace, span, now, status);
    }

    // ----- reading a run (views, reports, invariants) -----------------------------------------

    /// Every live call, in slot order.
    pub fn live_calls(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter().map(|(_, call)| call)
    }

    pub fn live_calls_count(&self) -> usize {
        self.calls.len()
    }

    pub fn instance_states(&self) -> &[InstanceState] {
        &self.instances
    }

    pub fn active_faults(&self) -> &[ActiveFault] {
        &self.active_faults
    }

    /// The time of the last event processed (the clock may be later, after `advance_until`).
    pub fn last_event_time(&self) -> SimTime {
        self.last_event_time
    }

    /// Every edge's counters, as the kernel and the patterns counted them.
    pub fn edge_counters(&self, edge: EdgeId) -> EdgeCounters {
        self.edges.counters[edge.index()]
    }

    /// The pattern guarding `edge` now, if any.
    pub fn edge_guard(&self, edge: EdgeId) -> Option<PatternId> {
        self.edges.guards[edge.index()]
    }

    /// What happened on `edge` over the last `seconds` seconds (Hystrix's rolling counters).
    pub fn edge_rolling(&self, edge: EdgeId, seconds: u64) -> EdgeCounters {
        self.edges.rolling(edge, seconds, self.now.0)
    }

    /// Calls per second on `edge` over the last two minutes, oldest first (the sparkline).
    pub fn edge_sparkline(&self, edge: EdgeId) -> Vec<u64> {
        self.edges.sparkline(edge)
    }

    /// Plain calls on `edge` still awaited (a pattern's own calls in progress are its to count).
    pub fn plain_calls_in_progress(&self, edge: EdgeId) -> u64 {
        self.live_calls()
            .filter(|call| {
                call.awaited
                    && call.edge == Some(edge)
                    && matches!(call.owner, super::call::Owner::Parent(_))
            })
            .count() as u64
    }

    /// Every retained trace once, in the order they completed.
    pub fn retained_traces(&self) -> Vec<Arc<Trace>> {
        self.traces.retained()
    }

    /// The trace of `request`: retained, or still open (what it has so far). `None` when the
    /// request was not sampled or its trace has left the store.
    pub fn trace_of(&self, request: RequestId) -> Option<Arc<Trace>> {
        self.traces.find(request)
    }

    pub fn trace_counters(&self) -> TraceCounters {
        self.traces.counters
    }

    /// How many sampled traces are still open (some span has not ended).
    pub fn open_traces(&self) -> usize {
        self.traces.open_count()
    }

    pub fn tracing_settings(&self) -> &TracingSettings {
        &self.traces.settings
    }

    /// The trace store, for the invariant checker.
    pub fn trace_store(&self) -> &TraceStore {
        &self.traces
    }

    /// The `traceparent` header `call` of `request` carried.
    pub fn traceparent_of(&self, request: RequestId, call: CallId) -> String {
        let trace = trace_id_for(self.seed, request);
        let sampled = head_sampled(trace, self.traces.settings.head_sampling);
        traceparent(
            trace,
            span_id_for(self.seed, SpanSource::Client(call)),
            sampled,
        )
    }

    /// The span context of a handler making calls: its SERVER span, its service and instance.
    pub fn handler_span(&self, handler: CallRef) -> SpanParent {
        let Some(call) = self.calls.get(handler) else {
            return SpanParent::root(None);
        };
        SpanParent {
            trace: call.trace.filter(|_| call.server_span != NO_SPAN),
            span: Some((
                call.server_span,
                span_id_for(self.seed, SpanSource::Server(call.id)),
            )),
            service: Some(self.scenario.endpoint(call.endpoint).service),
            instance: call.instance,
            saga: None,
        }
    }
}
