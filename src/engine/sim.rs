//! The discrete-event core: calls travel the network, wait in queues, hold workers, fan out to
//! downstream endpoints, time out, and come back.
//!
//! A call's life: the caller picks an instance and sends the request hop (`ToCallee`); at the
//! instance it takes a worker or waits in the bounded queue (`Queued`), or is rejected; with a
//! worker it does its local work (`Working`), then its downstream steps one by one (`Calling`),
//! holding the worker throughout, as a thread-per-request server does; then the worker is freed and
//! the answer travels back (`ToCaller`). A caller that times out stops waiting (`awaited = false`)
//! but the callee keeps working, as in real systems.
//!
//! Later patterns plug in at three seams, all in this file's call path: instance choice
//! (`pick_instance`: discovery, balancing, mesh routing), the call edge (`send_call` /
//! `deliver_answer`: timeouts, retries, breakers, bulkheads, rate limits) and the handler
//! (`finish_work` / `run_step`: sagas, event stores).

use super::command::{Command, CommandError, RecordedCommand};
use super::core::arena::{Arena, Handle};
use super::core::attributes::RequestAttributes;
use super::core::ids::{CallId, EdgeId, EndpointId, InstanceId, RequestId, ServiceId, StationId};
use super::core::queue::EventQueue;
use super::core::rng::SimRng;
use super::core::status::{CallRole, Direction, Status};
use super::core::time::{SimDuration, SimTime, round_to_u64};
use super::edges::{EdgeRuntime, InvRef, Invocation};
use super::events::{EngineEvent, EventKind, TraceHasher};
use super::metrics::Metrics;
use super::resilience::{EdgeCounters, Permit, ServerLimiter};
use super::saga::{SagaRef, SagaState};
use super::scenario::{Balancer, Scenario, Step, WorkloadMode};
use super::traces::{
    NO_SPAN, Operation, Span, SpanEventKind, SpanKind, SpanParent, SpanSource, TraceRef,
    TraceStore, span_id_for, trace_id_for,
};
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

/// How long a caller waits before it learns that a message was lost in a partition
/// (Istio's default TCP connect timeout).
pub const CONNECT_TIMEOUT: SimDuration = SimDuration(10_000_000);

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

/// A handle on a live call; it goes stale when the call ends and its slot is reused.
pub(crate) type CallRef = Handle<Call>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallState {
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
pub(crate) enum Owner {
    /// A client: the call is the root of a request.
    Client,
    /// A handler calling on a plain edge.
    Parent(CallRef),
    /// An invocation on an edge with policies (one attempt of it).
    Invocation(InvRef),
    /// A saga run's step or compensation.
    Saga(SagaRef),
}

#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) state: CallState,
    /// The caller (or client) still waits for this call's answer.
    pub(crate) awaited: bool,
    pub(crate) status: Status,
    pub(crate) child_failure: Option<Status>,
    pub(crate) step: u16,
    pub(crate) pending_children: u32,
    pub(crate) id: CallId,
    pub(crate) request: RequestId,
    pub(crate) owner: Owner,
    /// The caller→callee edge the call travels (none for a client's call).
    pub(crate) edge: Option<EdgeId>,
    /// A 429's Retry-After, carried back to the caller (0: none).
    pub(crate) retry_after_us: u64,
    /// The answer is a fallback somewhere below: successful, but degraded.
    pub(crate) degraded: bool,
    pub(crate) endpoint: EndpointId,
    pub(crate) instance: Option<InstanceId>,
    /// Roots only: the closed-loop user who sent it.
    pub(crate) user: Option<u32>,
    /// Roots only: index of the entry endpoint in the workload mix.
    pub(crate) entry: u16,
    pub(crate) attributes: RequestAttributes,
    /// When the caller sent it.
    pub(crate) sent_at: SimTime,
    /// When it reached its instance.
    pub(crate) arrived_at: SimTime,
    pub(crate) hop_from: StationId,
    pub(crate) hop_to: StationId,
    pub(crate) hop_depart: SimTime,
    pub(crate) hop_arrive: SimTime,
    pub(crate) hop_direction: Direction,
    /// 1 for a first try; 2, 3, … for retries.
    pub(crate) attempt: u32,
    /// What the call does for a saga, if anything.
    pub(crate) role: CallRole,
    /// The call's trace buffer (sampled requests only) and its spans' indices there.
    pub(crate) trace: Option<TraceRef>,
    pub(crate) client_span: u32,
    pub(crate) server_span: u32,
}

/// What is scheduled in the event queue.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pending {
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
    InvocationResume(InvRef),
    BulkheadDeadline(InvRef),
    BreakerTimer(EdgeId, u32),
    SagaResume(SagaRef),
}

#[derive(Clone, Debug)]
pub(crate) struct InstanceState {
    pub(crate) up: bool,
    pub(crate) busy: u32,
    pub(crate) queue: VecDeque<CallRef>,
    pub(crate) slow_factor: f64,
    pub(crate) injected_error: f64,
}

struct BalancerState {
    next: usize,
    rng: SimRng,
}

struct EndpointStreams {
    work: SimRng,
    errors: SimRng,
}

struct WorkloadState {
    arrivals: SimRng,
    mix: SimRng,
    attributes: SimRng,
    think: SimRng,
    max_rate_per_s: f64,
    constant_rate: bool,
    /// Arrival times accumulate in f64 so rounding each gap to a microsecond adds no drift.
    arrival_clock_us: f64,
    next_request: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct ActiveFault {
    pub(crate) id: u32,
    pub(crate) command: Command,
}

/// The simulation. See the module documentation for the life of a call.
pub struct Engine {
    scenario: Arc<Scenario>,
    seed: u64,
    now: SimTime,
    queue: EventQueue<Pending>,
    pub(crate) calls: Arena<Call>,
    pub(crate) instances: Vec<InstanceState>,
    balancers: Vec<BalancerState>,
    endpoint_streams: Vec<EndpointStreams>,
    network_streams: Vec<SimRng>,
    workload: WorkloadState,
    pub(crate) active_faults: Vec<ActiveFault>,
    partitions_active: usize,
    next_command_id: u32,
    pub(crate) metrics: Metrics,
    pub(crate) edges: Vec<EdgeRuntime>,
    /// Every edge's counters at the start of each recent second, for rolling figures.
    pub(crate) edge_seconds: VecDeque<(u64, Vec<EdgeCounters>)>,
    pub(crate) invocations: Arena<Invocation>,
    pub(crate) server_limiters: Vec<Option<ServerLimiter>>,
    pub(crate) sagas: SagaState,
    pub(crate) traces: TraceStore,
    hasher: TraceHasher,
    recording: bool,
    recorded: Vec<EngineEvent>,
    command_log: Vec<RecordedCommand>,
    next_call_id: u64,
    pub(crate) last_event_time: SimTime,
    arrivals_end: SimTime,
}

impl Engine {
    /// A fresh run of `scenario` with `seed`, before its first event.
    pub fn new(scenario: Arc<Scenario>, seed: u64) -> Engine {
        let window = scenario.metrics.window_seconds;
        let metrics = Metrics::new(
            scenario.workload.mix.endpoints.len(),
            scenario.services.len(),
            scenario.endpoints.len(),
            scenario.edges.len(),
            window,
        );
        let edges = scenario
            .edges
            .iter()
            .enumerate()
            .map(|(index, policy)| {
                EdgeRuntime::new(
                    policy.clone(),
                    seed,
                    &scenario.edge_label(EdgeId::from_index(index)),
                )
            })
            .collect();
        let server_limiters = scenario
            .services
            .iter()
            .map(|service| service.rate_limit.clone().map(ServerLimiter::new))
            .collect();
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
        let scenario_sagas = scenario.sagas.len();
        let traces = TraceStore::new(scenario.tracing.clone());
        let mut engine = Engine {
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
            edge_seconds: VecDeque::new(),
            invocations: Arena::default(),
            server_limiters,
            sagas: SagaState::new(scenario_sagas),
            traces,
            hasher: TraceHasher::default(),
            recording: false,
            recorded: Vec::new(),
            command_log: Vec::new(),
            next_call_id: 1,
            last_event_time: SimTime::ZERO,
            arrivals_end,
        };
        engine.schedule_start();
        engine
    }

    /// Removes every protection — each edge's policy and each server's rate limit — from a run
    /// that has not started: the "protections off" side of the compare view. The run is the one
    /// `scenario.without_protections()` gives, without copying the scenario.
    pub fn remove_protections(&mut self) {
        debug_assert_eq!(
            self.last_event_time,
            SimTime::ZERO,
            "only before the first event"
        );
        for (index, runtime) in self.edges.iter_mut().enumerate() {
            let label = self.scenario.edge_label(EdgeId::from_index(index));
            *runtime = EdgeRuntime::new(runtime.policy.stripped(), self.seed, &label);
        }
        for limiter in &mut self.server_limiters {
            *limiter = None;
        }
    }

    fn schedule_start(&mut self) {
        let scenario = Arc::clone(&self.scenario);
        for (index, fault) in scenario.faults.iter().enumerate() {
            self.queue
                .push(fault.at, Pending::ScheduledFault(index as u32));
        }
        match &scenario.workload.mode {
            WorkloadMode::Open(_) => {
                if let Some(first) = self.next_arrival_time() {
                    self.queue.push(first, Pending::Arrival);
                }
            }
            WorkloadMode::Closed { users, think_time } => {
                // Users start staggered by one think time each, not all at once.
                for user in 0..*users {
                    let start = SimTime::ZERO + think_time.sample(&mut self.workload.think);
                    if start < self.arrivals_end {
                        self.queue.push(start, Pending::UserReady(user));
                    }
                }
            }
        }
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
        self.note_edge_second(time);
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
            self.note_edge_second(target);
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
        self.command_log.push(RecordedCommand {
            at_us: self.now.0,
            command: command.to_spec(&self.scenario),
        });
        self.apply_command(command, true);
        Ok(())
    }

    // ----- dispatch ---------------------------------------------------------------------------

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
            Pending::InvocationResume(inv) => self.on_invocation_resume(inv),
            Pending::BulkheadDeadline(inv) => self.on_bulkhead_deadline(inv),
            Pending::BreakerTimer(edge, generation) => self.on_breaker_timer(edge, generation),
            Pending::SagaResume(run) => self.on_saga_resume(run),
        }
    }

    pub(crate) fn schedule(&mut self, at: SimTime, event: Pending) {
        self.queue.push(at, event);
    }

    /// True while `call` is a live handler waiting on its downstream calls.
    pub(crate) fn is_calling(&self, call: CallRef) -> bool {
        self.live(call)
            .is_some_and(|c| c.state == CallState::Calling)
    }

    pub(crate) fn emit(&mut self, kind: EventKind) {
        let event = EngineEvent {
            t_us: self.now.0,
            kind,
        };
        self.hasher.add(&event);
        if self.recording {
            self.recorded.push(event);
        }
    }

    // ----- call slots -------------------------------------------------------------------------

    /// The call behind `call`, if the handle is still current.
    pub(crate) fn live(&self, call: CallRef) -> Option<&Call> {
        self.calls.get(call)
    }

    fn call_mut(&mut self, call: CallRef) -> &mut Call {
        &mut self.calls[call]
    }

    fn free_call(&mut self, call: CallRef) {
        self.calls.free(call);
    }

    // ----- workload ---------------------------------------------------------------------------

    /// The next Poisson arrival after the current arrival clock, by thinning against the
    /// profile's peak rate (Lewis & Shedler 1979). `None` once arrivals have ended.
    fn next_arrival_time(&mut self) -> Option<SimTime> {
        let max_rate = self.workload.max_rate_per_s;
        if max_rate <= 0.0 {
            return None;
        }
        let mean_gap_us = 1_000_000.0 / max_rate;
        loop {
            let u = self.workload.arrivals.next_f64_open_zero();
            self.workload.arrival_clock_us += -mean_gap_us * libm::log(u);
            let at = SimTime(round_to_u64(self.workload.arrival_clock_us));
            if at >= self.arrivals_end {
                return None;
            }
            if self.workload.constant_rate {
                return Some(at);
            }
            let WorkloadMode::Open(profile) = &self.scenario.workload.mode else {
                return None;
            };
            let accept = self.workload.arrivals.next_f64() * max_rate < profile.rate_at(at);
            if accept {
                return Some(at);
            }
        }
    }

    fn on_open_arrival(&mut self) {
        self.send_request(None);
        if let Some(next) = self.next_arrival_time() {
            self.queue.push(next, Pending::Arrival);
        }
    }

    fn on_user_ready(&mut self, user: u32) {
        if self.now < self.arrivals_end {
            self.send_request(Some(user));
        }
    }

    /// A user got an answer (or gave up): think, then send the next request.
    fn user_done(&mut self, user: Option<u32>) {
        let Some(user) = user else { return };
        let WorkloadMode::Closed { think_time, .. } = &self.scenario.workload.mode else {
            return;
        };
        let next = self.now + think_time.sample(&mut self.workload.think);
        if next < self.arrivals_end {
            self.queue.push(next, Pending::UserReady(user));
        }
    }

    fn draw_attributes(&mut self) -> RequestAttributes {
        let spec = &self.scenario.workload.attributes;
        let rng = &mut self.workload.attributes;
        let mut pick = |names: &super::scenario::WeightedNames| {
            if names.is_empty() {
                u16::MAX
            } else {
                rng.weighted_index(&names.cumulative_weights) as u16
            }
        };
        let city = pick(&spec.cities);
        let payment_method = pick(&spec.payment_methods);
        let api_version = pick(&spec.api_versions);
        let user_id = if spec.users > 0 {
            1 + rng.below(u64::from(spec.users)) as u32
        } else {
            0
        };
        RequestAttributes {
            city,
            payment_method,
            api_version,
            user_id,
        }
    }

    /// A client sends a new root request.
    fn send_request(&mut self, user: Option<u32>) {
        let scenario = Arc::clone(&self.scenario);
        let mix = &scenario.workload.mix;
        let entry = if mix.endpoints.len() == 1 {
            0
        } else {
            self.workload.mix.weighted_index(&mix.cumulative_weights)
        };
        let endpoint = mix.endpoints[entry];
        let attributes = self.draw_attributes();
        let request = RequestId(self.workload.next_request);
        self.workload.next_request += 1;
        self.metrics.client.arrived();
        self.metrics.client_by_entry[entry].arrived();
        self.metrics.client.busy.add(self.now, 1);
        let trace = self.traces.begin(
            trace_id_for(self.seed, request),
            request,
            endpoint,
            attributes,
        );
        let call = self.send_call(
            Owner::Client,
            endpoint,
            scenario.workload.station,
            request,
            attributes,
            scenario.workload.timeout,
            None,
            1,
            CallRole::Normal,
            SpanParent::root(trace),
        );
        let root = self.call_mut(call);
        root.user = user;
        root.entry = entry as u16;
        let call_id = root.id;
        self.emit(EventKind::RequestArrived {
            request,
            call: call_id,
            endpoint,
        });
    }

    // ----- the call path ----------------------------------------------------------------------

    /// Picks an instance of `service` that is up, by the service's balancer.
    fn pick_instance(&mut self, service: ServiceId) -> Option<InstanceId> {
        let spec = self.scenario.service(service);
        let ids = &spec.instances;
        let up_count = ids
            .iter()
            .filter(|id| self.instances[id.index()].up)
            .count();
        if up_count == 0 {
            return None;
        }
        let nth_up = |n: usize, instances: &[InstanceState]| {
            ids.iter()
                .copied()
                .filter(|id| instances[id.index()].up)
                .nth(n)
        };
        let balancer = &mut self.balancers[service.index()];
        match spec.balancer {
            Balancer::RoundRobin => {
                for offset in 0..ids.len() {
                    let index = (balancer.next + offset) % ids.len();
                    if self.instances[ids[index].index()].up {
                        balancer.next = index + 1;
                        return Some(ids[index]);
                    }
                }
                None
            }
            Balancer::Random => {
                let n = balancer.rng.below(up_count as u64) as usize;
                nth_up(n, &self.instances)
            }
            Balancer::LeastRequest => {
                if up_count == 1 {
                    return nth_up(0, &self.instances);
                }
                let first = balancer.rng.below(up_count as u64) as usize;
                let mut second = balancer.rng.below(up_count as u64 - 1) as usize;
                if second >= first {
                    second += 1;
                }
                let a = nth_up(first, &self.instances)?;
                let b = nth_up(second, &self.instances)?;
                let load = |id: InstanceId| {
                    let state = &self.instances[id.index()];
                    state.busy as usize + state.queue.len()
                };
                Some(if load(b) < load(a) { b } else { a })
            }
        }
    }

    fn sample_latency(&mut self, from: StationId, to: StationId) -> SimDuration {
        let latency = self.scenario.network.latency(from, to);
        if let super::core::dist::Distribution::Constant { value_us } = latency {
            SimDuration(round_to_u64(*value_us))
        } else {
            latency.sample(&mut self.network_streams[from.index()])
        }
    }

    fn is_partitioned(&self, a: StationId, b: StationId) -> bool {
        self.partitions_active > 0
            && self.active_faults.iter().any(|fault| match fault.command {
                Command::Partition { a: x, b: y, .. } => (x == a && y == b) || (x == b && y == a),
                _ => false,
            })
    }

    /// Starts a call of `endpoint` from `from` and sends its request hop.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_call(
        &mut self,
        owner: Owner,
        endpoint: EndpointId,
        from: StationId,
        request: RequestId,
        attributes: RequestAttributes,
        timeout: Option<SimDuration>,
        edge: Option<EdgeId>,
        attempt: u32,
        role: CallRole,
        parent: SpanParent,
    ) -> CallRef {
        let service = self.scenario.endpoint(endpoint).service;
        let to = self.scenario.service(service).station;
        let instance = self.pick_instance(service);
        let latency = self.sample_latency(from, to);
        let id = CallId(self.next_call_id);
        self.next_call_id += 1;
        let now = self.now;
        let arrive = now + latency;
        let lost = self.is_partitioned(from, to);
        let client_span = parent.trace.and_then(|trace| {
            let breaker =
                edge.and_then(|e| self.edges[e.index()].breaker.as_ref().map(|b| b.state()));
            self.traces.open_span(
                trace,
                Span {
                    id: span_id_for(self.seed, SpanSource::Client(id)),
                    parent: parent.span.map(|(_, id)| id),
                    kind: SpanKind::Client,
                    operation: Operation::Call(endpoint),
                    service: parent.service,
                    instance: parent.instance,
                    station: from,
                    peer_station: Some(to),
                    call: Some(id),
                    start_us: now.0,
                    work_start_us: None,
                    end_us: None,
                    status: None,
                    attempt,
                    breaker,
                    role,
                    saga: parent.saga.map(|(saga, _, _)| saga),
                    saga_run: parent.saga.map(|(_, run, _)| run),
                    saga_step: parent.saga.map(|(_, _, step)| step),
                    events: Vec::new(),
                },
            )
        });
        let call_ref = self.calls.alloc(Call {
            state: if lost {
                CallState::Lost
            } else {
                CallState::ToCallee
            },
            awaited: true,
            status: Status::Ok,
            child_failure: None,
            step: 0,
            pending_children: 0,
            id,
            request,
            owner,
            edge,
            retry_after_us: 0,
            degraded: false,
            endpoint,
            instance,
            user: None,
            entry: 0,
            attributes,
            sent_at: now,
            arrived_at: now,
            hop_from: from,
            hop_to: to,
            hop_depart: now,
            hop_arrive: arrive,
            hop_direction: Direction::Request,
            attempt,
            role,
            trace: client_span.and(parent.trace),
            client_span: client_span.unwrap_or(NO_SPAN),
            server_span: NO_SPAN,
        });
        self.emit(EventKind::HopDeparted {
            call: id,
            request,
            direction: Direction::Request,
            from,
            to,
            arrive_us: arrive.0,
            status: None,
            attempt,
            role,
        });
        self.queue.push(arrive, Pending::HopArrive(call_ref));
        if let Some(timeout) = timeout {
            let pending = if owner == Owner::Client {
                Pending::ClientTimeout(call_ref)
            } else {
                Pending::CallTimeout(call_ref)
            };
            self.queue.push(now + timeout, pending);
        }
        call_ref
    }

    fn on_hop_arrive(&mut self, call_ref: CallRef) {
        let Some(call) = self.live(call_ref) else {
            return;
        };
        let (id, from, to, state, instance, endpoint) = (
            call.id,
            call.hop_from,
            call.hop_to,
            call.state,
            call.instance,
            call.endpoint,
        );
        if state == CallState::Lost || self.is_partitioned(from, to) {
            self.lose_hop(call_ref, Direction::Request);
            return;
        }
        self.emit(EventKind::HopArrived {
            call: id,
            direction: Direction::Request,
        });
        if !self.calls[call_ref].awaited {
            // The caller gave up before the request arrived and closed its connection.
            self.emit(EventKind::CallAbandoned { call: id });
            self.free_call(call_ref);
            return;
        }
        let service = self.scenario.endpoint(endpoint).service;
        self.metrics.services[service.index()].arrived();
        self.metrics.endpoints[endpoint.index()].arrived();
        self.call_mut(call_ref).arrived_at = self.now;
        let Some(instance) = instance.filter(|i| self.instances[i.index()].up) else {
            self.count_server_outcome(call_ref, Status::Unavailable);
            self.send_answer(call_ref, Status::Unavailable);
            return;
        };
        self.open_server_span(call_ref, service, instance);
        if let Some(saga) = self.scenario.endpoint(endpoint).observes_saga {
            let (request, user) = (
                self.calls[call_ref].request,
                self.calls[call_ref].attributes.user_id,
            );
            if let Some((run, step)) = self.observe_saga_lock(saga, request, user) {
                self.server_span_event(call_ref, SpanEventKind::LockObserved { run, step });
            }
        }
        if let Some(limiter) = self.server_limiters[service.index()].as_mut()
            && let Permit::Refused { retry_after } = limiter.admit(self.now)
        {
            self.call_mut(call_ref).retry_after_us = retry_after.map_or(0, |d| d.0.max(1));
            self.emit(EventKind::CallRejected { call: id, instance });
            self.count_server_outcome(call_ref, Status::RateLimited);
            self.send_answer(call_ref, Status::RateLimited);
            return;
        }
        let workers = self.scenario.service(service).workers;
        let capacity = self.scenario.service(service).queue_capacity as usize;
        let state = &self.instances[instance.index()];
        if state.busy < workers {
            self.start_work(call_ref, instance);
        } else if state.queue.len() < capacity {
            let queue_length = {
                let state = &mut self.instances[instance.index()];
                state.queue.push_back(call_ref);
                state.queue.len() as u32
            };
            self.call_mut(call_ref).state = CallState::Queued;
            self.metrics.services[service.index()]
                .queued
                .add(self.now, 1);
            self.emit(EventKind::CallQueued {
                call: id,
                instance,
                queue_length,
            });
        } else {
            self.emit(EventKind::CallRejected { call: id, instance });
            self.count_server_outcome(call_ref, Status::Rejected);
            self.send_answer(call_ref, Status::Rejected);
        }
    }

    fn start_work(&mut self, call_ref: CallRef, instance: InstanceId) {
        let (id, endpoint) = {
            let call = &self.calls[call_ref];
            (call.id, call.endpoint)
        };
        let service = self.scenario.endpoint(endpoint).service;
        self.instances[instance.index()].busy += 1;
        self.metrics.services[service.index()].busy.add(self.now, 1);
        self.call_mut(call_ref).state = CallState::Working;
        let (trace, server_span) = {
            let call = &self.calls[call_ref];
            (call.trace, call.server_span)
        };
        if let Some(span) = trace.and_then(|trace| self.traces.span(trace, server_span)) {
            span.work_start_us = Some(self.now.0);
        }
        let spec = &self.scenario.endpoints[endpoint.index()];
        let method = self.calls[call_ref].attributes.payment_method;
        // A payment method with its own profile (UPI, Card, COD, …) uses it.
        let work = spec
            .variants
            .iter()
            .find(|v| v.payment_method == method)
            .map_or(&spec.work, |v| &v.work);
        let mut duration = if let super::core::dist::Distribution::Constant { value_us } = work {
            SimDuration(round_to_u64(*value_us))
        } else {
            work.sample(&mut self.endpoint_streams[endpoint.index()].work)
        };
        let slow = self.instances[instance.index()].slow_factor;
        if slow != 1.0 {
            duration = SimDuration(round_to_u64(duration.0 as f64 * slow));
        }
        self.emit(EventKind::CallStarted { call: id, instance });
        self.queue
            .push(self.now + duration, Pending::WorkDone(call_ref));
    }

    fn on_work_done(&mut self, call_ref: CallRef) {
        let Some(call) = self.live(call_ref) else {
            return;
        };
        if call.state != CallState::Working {
            return; // the instance crashed meanwhile
        }
        let endpoint = call.endpoint;
        let instance = call.instance;
        let spec = self.scenario.endpoint(endpoint);
        let method = call.attributes.payment_method;
        let base = spec
            .variants
            .iter()
            .find(|v| v.payment_method == method)
            .map_or(spec.error_probability, |v| v.error_probability);
        let injected = instance.map_or(0.0, |i| self.instances[i.index()].injected_error);
        let error_probability = 1.0 - (1.0 - base) * (1.0 - injected);
        if error_probability > 0.0
            && self.endpoint_streams[endpoint.index()]
                .errors
                .chance(error_probability)
        {
            self.server_span_event(
                call_ref,
                SpanEventKind::Fault {
                    status: Status::Error,
                },
            );
            self.finish_call(call_ref, Status::Error);
            return;
        }
        match self.scenario.endpoint(endpoint).saga {
            Some(saga) => self.start_saga(call_ref, saga),
            None => self.run_step(call_ref),
        }
    }

    /// A handler waits for its saga's decision, holding its worker.
    pub(crate) fn mark_handler_waiting(&mut self, handler: CallRef) {
        let call = self.call_mut(handler);
        call.state = CallState::Calling;
        call.pending_children = 0;
    }

    /// The saga decided: the waiting handler answers.
    pub(crate) fn finish_saga_handler(&mut self, handler: CallRef, status: Status) {
        self.finish_call(handler, status);
    }

    /// Sends the calls of the current step, or finishes when no step is left.
    fn run_step(&mut self, call_ref: CallRef) {
        let scenario = Arc::clone(&self.scenario);
        let call = &self.calls[call_ref];
        let endpoint = scenario.endpoint(call.endpoint);
        let Some(step) = endpoint.steps.get(usize::from(call.step)) else {
            self.finish_call(call_ref, Status::Ok);
            return;
        };
        let (request, attributes) = (call.request, call.attributes);
        let from = scenario.service(endpoint.service).station;
        let calls = match step {
            Step::Call(call) => std::slice::from_ref(call),
            Step::Parallel(calls) => calls.as_slice(),
        };
        {
            let call = self.call_mut(call_ref);
            call.state = CallState::Calling;
            call.pending_children = calls.len() as u32;
        }
        for spec in calls {
            self.call_on_edge(call_ref, spec, from, request, attributes);
        }
    }

    /// A child's answer (or its timeout) reached a parent still calling. `degraded`: the answer
    /// is a fallback, a success that the parent passes on as degraded.
    pub(crate) fn on_child_result(&mut self, parent_ref: CallRef, status: Status, degraded: bool) {
        let Some(parent) = self.live(parent_ref) else {
            return;
        };
        if parent.state != CallState::Calling {
            return; // the parent failed meanwhile (its instance crashed)
        }
        let parent = self.call_mut(parent_ref);
        parent.degraded |= degraded;
        if !status.is_ok() && parent.child_failure.is_none() {
            parent.child_failure = Some(status);
        }
        parent.pending_children -= 1;
        if parent.pending_children > 0 {
            return;
        }
        match parent.child_failure {
            Some(Status::Timeout) => self.finish_call(parent_ref, Status::Timeout),
            Some(_) => self.finish_call(parent_ref, Status::DownstreamError),
            None => {
                parent.step += 1;
                self.run_step(parent_ref);
            }
        }
    }

    fn count_server_outcome(&mut self, call_ref: CallRef, status: Status) {
        let call = &self.calls[call_ref];
        let endpoint = call.endpoint;
        let service = self.scenario.endpoint(endpoint).service;
        let server_time = self.now.saturating_since(call.arrived_at).0;
        for tracker in [
            &mut self.metrics.services[service.index()],
            &mut self.metrics.endpoints[endpoint.index()],
        ] {
            match status {
                Status::Ok => tracker.completed(server_time),
                Status::Rejected | Status::RateLimited => tracker.rejected(),
                _ => tracker.failed(),
            }
        }
    }

    /// The handler is done: free its worker, take the next queued call, send the answer.
    fn finish_call(&mut self, call_ref: CallRef, status: Status) {
        let (id, endpoint, instance) = {
            let call = &self.calls[call_ref];
            (call.id, call.endpoint, call.instance)
        };
        let service = self.scenario.endpoint(endpoint).service;
        if let Some(instance) = instance {
            self.emit(EventKind::CallFinished {
                call: id,
                instance,
                status,
            });
            self.release_worker(instance, service);
        }
        self.count_server_outcome(call_ref, status);
        self.send_answer(call_ref, status);
    }

    fn release_worker(&mut self, instance: InstanceId, service: ServiceId) {
        let state = &mut self.instances[instance.index()];
        state.busy -= 1;
        let next = state.queue.pop_front();
        self.metrics.services[service.index()]
            .busy
            .add(self.now, -1);
        if let Some(next) = next {
            self.metrics.services[service.index()]
                .queued
                .add(self.now, -1);
            self.start_work(next, instance);
        }
    }

    /// Sends the answer hop back to where the request came from.
    fn send_answer(&mut self, call_ref: CallRef, status: Status) {
        let call = &self.calls[call_ref];
        if let Some(trace) = call.trace {
            self.traces
                .close_span(trace, call.server_span, self.now.0, status);
        }
        let call = &self.calls[call_ref];
        let (from, to, attempt, role) = (call.hop_to, call.hop_from, call.attempt, call.role);
        let (id, request) = (call.id, call.request);
        let latency = self.sample_latency(from, to);
        let now = self.now;
        let arrive = now + latency;
        let lost = self.is_partitioned(from, to);
        let call = self.call_mut(call_ref);
        call.state = if lost {
            CallState::Lost
        } else {
            CallState::ToCaller
        };
        call.status = status;
        call.hop_from = from;
        call.hop_to = to;
        call.hop_depart = now;
        call.hop_arrive = arrive;
        call.hop_direction = Direction::Response;
        self.emit(EventKind::HopDeparted {
            call: id,
            request,
            direction: Direction::Response,
            from,
            to,
            arrive_us: arrive.0,
            status: Some(status),
            attempt,
            role,
        });
        self.queue.push(arrive, Pending::ResponseArrive(call_ref));
    }

    fn on_response_arrive(&mut self, call_ref: CallRef) {
        let Some(call) = self.live(call_ref) else {
            return;
        };
        let (id, state, from, to, status) =
            (call.id, call.state, call.hop_from, call.hop_to, call.status);
        if state == CallState::Lost || self.is_partitioned(from, to) {
            self.lose_hop(call_ref, Direction::Response);
            return;
        }
        self.emit(EventKind::HopArrived {
            call: id,
            direction: Direction::Response,
        });
        self.deliver_answer(call_ref, status);
    }

    /// A hop was lost: the caller will learn of it when its connection times out.
    fn lose_hop(&mut self, call_ref: CallRef, direction: Direction) {
        let (id, depart) = {
            let call = self.call_mut(call_ref);
            call.state = CallState::Lost;
            (call.id, call.hop_depart)
        };
        self.emit(EventKind::HopLost {
            call: id,
            direction,
        });
        self.client_span_event(
            call_ref,
            SpanEventKind::Fault {
                status: Status::NetworkError,
            },
        );
        let notice = (depart + CONNECT_TIMEOUT).max(self.now);
        self.queue.push(notice, Pending::NetworkFailure(call_ref));
    }

    fn on_network_failure(&mut self, call_ref: CallRef) {
        if self.live(call_ref).is_some() {
            self.deliver_answer(call_ref, Status::NetworkError);
        }
    }

    /// The caller receives the answer: hand it to the parent, or finish the client's request.
    fn deliver_answer(&mut self, call_ref: CallRef, status: Status) {
        let call = &self.calls[call_ref];
        let (id, awaited, owner, edge, degraded, sent_at) = (
            call.id,
            call.awaited,
            call.owner,
            call.edge,
            call.degraded,
            call.sent_at,
        );
        let retry_after = (call.retry_after_us > 0).then_some(SimDuration(call.retry_after_us));
        if !awaited {
            self.emit(EventKind::LateResponse { call: id });
            self.free_call(call_ref);
            return;
        }
        self.close_client_span(call_ref, status);
        let degraded = degraded && status.is_ok();
        match owner {
            Owner::Parent(parent) => {
                self.free_call(call_ref);
                if let Some(edge) = edge {
                    let latency = self.now.saturating_since(sent_at).0;
                    self.count_attempt(edge, status);
                    self.count_call_end(edge, status, false, latency);
                }
                self.on_child_result(parent, status, degraded);
            }
            Owner::Invocation(inv) => {
                self.free_call(call_ref);
                self.on_attempt_result(inv, status, retry_after, degraded);
            }
            Owner::Saga(run) => {
                self.free_call(call_ref);
                self.on_saga_result(run, status);
            }
            Owner::Client => {
                self.finish_request(call_ref, status);
                self.free_call(call_ref);
            }
        }
    }

    fn finish_request(&mut self, call_ref: CallRef, status: Status) {
        let call = &self.calls[call_ref];
        let (request, endpoint, entry, user) = (
            call.request,
            call.endpoint,
            usize::from(call.entry),
            call.user,
        );
        let latency_us = self.now.saturating_since(call.sent_at).0;
        let call_degraded = call.degraded;
        self.metrics.client.busy.add(self.now, -1);
        let degraded = status.is_ok() && call_degraded;
        for tracker in [
            &mut self.metrics.client,
            &mut self.metrics.client_by_entry[entry],
        ] {
            match status {
                Status::Ok => {
                    tracker.completed(latency_us);
                    if degraded {
                        tracker.degraded();
                    }
                }
                Status::Rejected | Status::RateLimited => tracker.rejected(),
                _ => tracker.failed(),
            }
        }
        let kind = match status {
            Status::Ok => EventKind::RequestCompleted {
                request,
                endpoint,
                latency_us,
            },
            Status::Rejected | Status::RateLimited => EventKind::RequestRejected {
                request,
                endpoint,
                latency_us,
            },
            _ => EventKind::RequestFailed {
                request,
                endpoint,
                latency_us,
                status,
            },
        };
        self.emit(kind);
        self.user_done(user);
    }

    fn on_call_timeout(&mut self, call_ref: CallRef) {
        let Some(call) = self.live(call_ref) else {
            return;
        };
        if !call.awaited {
            return;
        }
        let (id, owner, edge, sent_at) = (call.id, call.owner, call.edge, call.sent_at);
        self.call_mut(call_ref).awaited = false;
        self.emit(EventKind::CallTimedOut { call: id });
        self.client_span_event(call_ref, SpanEventKind::Timeout);
        self.close_client_span(call_ref, Status::Timeout);
        match owner {
            Owner::Parent(parent) => {
                if let Some(edge) = edge {
                    let latency = self.now.saturating_since(sent_at).0;
                    self.count_attempt(edge, Status::Timeout);
                    self.count_call_end(edge, Status::Timeout, false, latency);
                }
                self.on_child_result(parent, Status::Timeout, false);
            }
            Owner::Invocation(inv) => self.on_attempt_result(inv, Status::Timeout, None, false),
            Owner::Saga(run) => self.on_saga_result(run, Status::Timeout),
            Owner::Client => {}
        }
    }

    fn on_client_timeout(&mut self, call_ref: CallRef) {
        let Some(call) = self.live(call_ref) else {
            return;
        };
        if !call.awaited {
            return;
        }
        let (request, endpoint, entry, user) = (
            call.request,
            call.endpoint,
            usize::from(call.entry),
            call.user,
        );
        self.call_mut(call_ref).awaited = false;
        self.metrics.client.busy.add(self.now, -1);
        self.metrics.client.timed_out();
        self.metrics.client_by_entry[entry].timed_out();
        self.emit(EventKind::RequestTimedOut { request, endpoint });
        self.client_span_event(call_ref, SpanEventKind::Timeout);
        self.close_client_span(call_ref, Status::Timeout);
        self.user_done(user);
    }

    // ----- faults and commands ----------------------------------------------------------------

    fn apply_command(&mut self, command: Command, from_user: bool) {
        let id = self.next_command_id;
        self.next_command_id += 1;
        self.emit(EventKind::CommandApplied {
            id,
            command: command.clone(),
            from_user,
        });
        match &command {
            Command::SetPolicy { edge, change } => {
                // Checked by `Command::check`; a refusal here (an illegal breaker move) changes nothing.
                let _ = self.change_policy(*edge, change);
                return;
            }
            Command::Restart { service, instance } => {
                let target = self.scenario.instance_of(*service, *instance);
                let ended: Vec<u32> = self
                    .active_faults
                    .iter()
                    .filter(|fault| {
                        matches!(fault.command, Command::Crash { service: s, instance: i, .. }
                            if Some(s) == Some(*service) && i == *instance)
                    })
                    .map(|fault| fault.id)
                    .collect();
                for fault in ended {
                    self.end_fault(fault);
                }
                if let Some(target) = target {
                    self.bring_up(target);
                }
                return;
            }
            Command::Heal => {
                let ended: Vec<u32> = self.active_faults.iter().map(|fault| fault.id).collect();
                for fault in ended {
                    self.end_fault(fault);
                }
                for index in 0..self.instances.len() {
                    self.bring_up(InstanceId::from_index(index));
                }
                return;
            }
            _ => {}
        }
        if let Some(duration) = command.duration() {
            self.queue.push(self.now + duration, Pending::FaultEnd(id));
        }
        let is_partition = matches!(command, Command::Partition { .. });
        let crash_target = match &command {
            Command::Crash {
                service, instance, ..
            } => self.scenario.instance_of(*service, *instance),
            _ => None,
        };
        let service = command_service(&command);
        self.active_faults.push(ActiveFault { id, command });
        if is_partition {
            self.partitions_active += 1;
        }
        if let Some(target) = crash_target {
            self.crash(target);
        }
        if let Some(service) = service {
            self.recompute_effects(service);
        }
    }

    fn end_fault(&mut self, id: u32) {
        let Some(position) = self.active_faults.iter().position(|fault| fault.id == id) else {
            return; // already ended (healed, or restarted by hand)
        };
        let fault = self.active_faults.remove(position);
        self.emit(EventKind::FaultEnded { id });
        match fault.command {
            Command::Partition { .. } => self.partitions_active -= 1,
            Command::Crash {
                service, instance, ..
            } => {
                let still_crashed = self.active_faults.iter().any(|other| {
                    matches!(other.command, Command::Crash { service: s, instance: i, .. } if s == service && i == instance)
                });
                if !still_crashed && let Some(target) = self.scenario.instance_of(service, instance)
                {
                    self.bring_up(target);
                }
            }
            _ => {}
        }
        if let Some(service) = command_service(&fault.command) {
            self.recompute_effects(service);
        }
    }

    /// Recomputes the slow-down and injected error of every instance of `service`.
    fn recompute_effects(&mut self, service: ServiceId) {
        let scenario = Arc::clone(&self.scenario);
        for &instance in &scenario.service(service).instances {
            let ordinal = scenario.instances[instance.index()].ordinal;
            let applies =
                |s: ServiceId, i: Option<u32>| s == service && i.is_none_or(|i| i == ordinal);
            let mut slow_factor = 1.0;
            let mut survive = 1.0;
            for fault in &self.active_faults {
                match fault.command {
                    Command::Slow {
                        service: s,
                        instance: i,
                        factor,
                        ..
                    } if applies(s, i) => slow_factor *= factor,
                    Command::Errors {
                        service: s,
                        instance: i,
                        probability,
                        ..
                    } if applies(s, i) => survive *= 1.0 - probability,
                    _ => {}
                }
            }
            let state = &mut self.instances[instance.index()];
            state.slow_factor = slow_factor;
            state.injected_error = 1.0 - survive;
        }
    }

    /// The instance goes down: queued calls are refused, running calls are reset.
    fn crash(&mut self, instance: InstanceId) {
        if !self.instances[instance.index()].up {
            return;
        }
        let service = self.scenario.instances[instance.index()].service;
        self.instances[instance.index()].up = false;
        self.emit(EventKind::InstanceDown { instance });
        let queued: Vec<CallRef> = self.instances[instance.index()].queue.drain(..).collect();
        self.metrics.services[service.index()]
            .queued
            .add(self.now, -(queued.len() as i64));
        for call_ref in queued {
            self.server_span_event(
                call_ref,
                SpanEventKind::Fault {
                    status: Status::Unavailable,
                },
            );
            self.count_server_outcome(call_ref, Status::Unavailable);
            self.send_answer(call_ref, Status::Unavailable);
        }
        // Calls holding a worker here, in slot order (deterministic).
        let running: Vec<CallRef> = self
            .calls
            .iter()
            .filter(|(_, call)| {
                call.instance == Some(instance)
                    && matches!(call.state, CallState::Working | CallState::Calling)
            })
            .map(|(handle, _)| handle)
            .collect();
        let busy = self.instances[instance.index()].busy;
        self.instances[instance.index()].busy = 0;
        self.metrics.services[service.index()]
            .busy
            .add(self.now, -i64::from(busy));
        for call_ref in running {
            let id = self.calls[call_ref].id;
            self.emit(EventKind::CallFinished {
                call: id,
                instance,
                status: Status::Reset,
            });
            self.server_span_event(
                call_ref,
                SpanEventKind::Fault {
                    status: Status::Reset,
                },
            );
            self.count_server_outcome(call_ref, Status::Reset);
            self.send_answer(call_ref, Status::Reset);
        }
    }

    fn bring_up(&mut self, instance: InstanceId) {
        let state = &mut self.instances[instance.index()];
        if state.up {
            return;
        }
        state.up = true;
        self.emit(EventKind::InstanceUp { instance });
    }

    // ----- spans ------------------------------------------------------------------------------

    /// The call reached a live instance: its SERVER span begins.
    fn open_server_span(&mut self, call_ref: CallRef, service: ServiceId, instance: InstanceId) {
        let call = &self.calls[call_ref];
        let Some(trace) = call.trace else { return };
        let span = Span {
            id: span_id_for(self.seed, SpanSource::Server(call.id)),
            parent: Some(span_id_for(self.seed, SpanSource::Client(call.id))),
            kind: SpanKind::Server,
            operation: Operation::Call(call.endpoint),
            service: Some(service),
            instance: Some(instance),
            station: call.hop_to,
            peer_station: None,
            call: Some(call.id),
            start_us: self.now.0,
            work_start_us: None,
            end_us: None,
            status: None,
            attempt: call.attempt,
            breaker: None,
            role: call.role,
            saga: None,
            saga_run: None,
            saga_step: None,
            events: Vec::new(),
        };
        let index = self.traces.open_span(trace, span).unwrap_or(NO_SPAN);
        self.call_mut(call_ref).server_span = index;
    }

    fn server_span_event(&mut self, call_ref: CallRef, kind: SpanEventKind) {
        let call = &self.calls[call_ref];
        if let Some(trace) = call.trace {
            self.traces
                .add_event(trace, call.server_span, self.now.0, kind);
        }
    }

    fn client_span_event(&mut self, call_ref: CallRef, kind: SpanEventKind) {
        let call = &self.calls[call_ref];
        if let Some(trace) = call.trace {
            self.traces
                .add_event(trace, call.client_span, self.now.0, kind);
        }
    }

    fn close_client_span(&mut self, call_ref: CallRef, status: Status) {
        let call = &self.calls[call_ref];
        if let Some(trace) = call.trace {
            self.traces
                .close_span(trace, call.client_span, self.now.0, status);
        }
    }

    /// The span context of a handler making calls: its SERVER span, its service and instance.
    pub(crate) fn handler_span(&self, handler: CallRef) -> SpanParent {
        let call = &self.calls[handler];
        let live = self.live(handler).is_some();
        SpanParent {
            trace: call.trace.filter(|_| live && call.server_span != NO_SPAN),
            span: Some((
                call.server_span,
                span_id_for(self.seed, SpanSource::Server(call.id)),
            )),
            service: Some(self.scenario.endpoint(call.endpoint).service),
            instance: call.instance,
            saga: None,
        }
    }

    /// An event on a handler's SERVER span (a retry it schedules, a call it could not make, …).
    pub(crate) fn handler_event(&mut self, handler: CallRef, kind: SpanEventKind) {
        if self.live(handler).is_some() {
            self.server_span_event(handler, kind);
        }
    }

    // ----- views for snapshots and checks -----------------------------------------------------

    pub fn live_calls_count(&self) -> usize {
        self.live_calls().count()
    }

    pub(crate) fn live_calls(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter().map(|(_, call)| call)
    }
}

fn command_service(command: &Command) -> Option<ServiceId> {
    match command {
        Command::Slow { service, .. } | Command::Errors { service, .. } => Some(*service),
        _ => None,
    }
}
