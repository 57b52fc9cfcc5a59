//! The typed event stream the engine hands out, and `trace_hash`, a digest of the whole stream.
//!
//! Every event the engine emits is folded into the hash whether or not anyone records it, so two
//! runs with the same scenario, seed and commands can be compared by one 64-bit number.

use super::command::Command;
use super::core::ids::{CallId, EdgeId, EndpointId, InstanceId, RequestId, SagaId, StationId};
use super::core::rng::splitmix64;
use super::core::status::{CallRole, Direction, Status};
use super::core::time::SimTime;
use super::resilience::{BreakerState, TransitionReason};
use super::saga::SagaOutcome;
use super::scenario::Scenario;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EngineEvent {
    pub t_us: u64,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EventKind {
    /// A client sent a new request.
    RequestArrived {
        request: RequestId,
        call: CallId,
        endpoint: EndpointId,
    },
    HopDeparted {
        call: CallId,
        request: RequestId,
        direction: Direction,
        from: StationId,
        to: StationId,
        arrive_us: u64,
        /// The answer's status, on responses.
        status: Option<Status>,
        /// 1 for a first try; 2, 3, … for retries on a policy edge.
        attempt: u32,
        /// A saga action or compensation, or a normal call.
        role: CallRole,
    },
    HopArrived {
        call: CallId,
        direction: Direction,
    },
    /// The hop was lost in a partition; the caller learns of it after the connect timeout.
    HopLost {
        call: CallId,
        direction: Direction,
    },
    CallQueued {
        call: CallId,
        instance: InstanceId,
        queue_length: u32,
    },
    CallStarted {
        call: CallId,
        instance: InstanceId,
    },
    CallRejected {
        call: CallId,
        instance: InstanceId,
    },
    /// The handler is done and its worker is free again.
    CallFinished {
        call: CallId,
        instance: InstanceId,
        status: Status,
    },
    /// The caller stopped waiting for this call.
    CallTimedOut {
        call: CallId,
    },
    /// An answer arrived for a call nobody waits for any more.
    LateResponse {
        call: CallId,
    },
    /// The request reached its callee after the caller had given up: the caller closed the
    /// connection, so the callee discards it unopened.
    CallAbandoned {
        call: CallId,
    },
    RequestCompleted {
        request: RequestId,
        endpoint: EndpointId,
        latency_us: u64,
    },
    RequestFailed {
        request: RequestId,
        endpoint: EndpointId,
        latency_us: u64,
        status: Status,
    },
    RequestRejected {
        request: RequestId,
        endpoint: EndpointId,
        latency_us: u64,
    },
    RequestTimedOut {
        request: RequestId,
        endpoint: EndpointId,
    },
    /// A command took effect (a fault started, an instance restarted, everything healed).
    CommandApplied {
        /// Numbers commands in the order they were applied; a fault that lasts ends under the same id.
        id: u32,
        command: Command,
        /// True when a user applied it at run time; false when the scenario scheduled it.
        from_user: bool,
    },
    FaultEnded {
        id: u32,
    },
    InstanceDown {
        instance: InstanceId,
    },
    InstanceUp {
        instance: InstanceId,
    },
    /// A circuit breaker changed state, and why.
    BreakerTransition {
        edge: EdgeId,
        from: BreakerState,
        to: BreakerState,
        reason: TransitionReason,
    },
    /// An attempt was not sent: breaker open (short-circuited), bulkhead full or rate limited.
    AttemptRejected {
        edge: EdgeId,
        request: RequestId,
        reason: Status,
    },
    RetryScheduled {
        edge: EdgeId,
        request: RequestId,
        attempt: u32,
        wait_us: u64,
    },
    /// Every attempt failed and the fallback answered instead.
    FallbackServed {
        edge: EdgeId,
        request: RequestId,
    },
    SagaStarted {
        run: u64,
        saga: SagaId,
        request: RequestId,
    },
    /// A saga step's action or compensation started (`status` none) or ended.
    SagaStep {
        run: u64,
        step: u16,
        compensation: bool,
        attempt: u32,
        status: Option<Status>,
    },
    SagaFinished {
        run: u64,
        outcome: SagaOutcome,
    },
    /// A request read a record that an in-flight saga holds: it saw the `*_PENDING` lock.
    SemanticLockObserved {
        run: u64,
        request: RequestId,
        step: u16,
    },
}

impl EventKind {
    /// The event's name as the JSON stream writes it (`hop_departed`, …).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::RequestArrived { .. } => "request_arrived",
            EventKind::HopDeparted { .. } => "hop_departed",
            EventKind::HopArrived { .. } => "hop_arrived",
            EventKind::HopLost { .. } => "hop_lost",
            EventKind::CallQueued { .. } => "call_queued",
            EventKind::CallStarted { .. } => "call_started",
            EventKind::CallRejected { .. } => "call_rejected",
            EventKind::CallFinished { .. } => "call_finished",
            EventKind::CallTimedOut { .. } => "call_timed_out",
            EventKind::LateResponse { .. } => "late_response",
            EventKind::CallAbandoned { .. } => "call_abandoned",
            EventKind::RequestCompleted { .. } => "request_completed",
            EventKind::RequestFailed { .. } => "request_failed",
            EventKind::RequestRejected { .. } => "request_rejected",
            EventKind::RequestTimedOut { .. } => "request_timed_out",
            EventKind::CommandApplied { .. } => "command_applied",
            EventKind::FaultEnded { .. } => "fault_ended",
            EventKind::InstanceDown { .. } => "instance_down",
            EventKind::InstanceUp { .. } => "instance_up",
            EventKind::BreakerTransition { .. } => "breaker_transition",
            EventKind::AttemptRejected { .. } => "attempt_rejected",
            EventKind::RetryScheduled { .. } => "retry_scheduled",
            EventKind::FallbackServed { .. } => "fallback_served",
            EventKind::SagaStarted { .. } => "saga_started",
            EventKind::SagaStep { .. } => "saga_step",
            EventKind::SagaFinished { .. } => "saga_finished",
            EventKind::SemanticLockObserved { .. } => "semantic_lock_observed",
        }
    }
}

/// Folds events into a 64-bit digest. The fold is defined here, field by field, so it never
/// depends on `std::hash` (whose output may change between Rust releases).
#[derive(Clone, Debug)]
pub struct TraceHasher {
    state: u64,
    count: u64,
}

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher {
            state: 0x243F_6A88_85A3_08D3,
            count: 0,
        }
    }
}

impl TraceHasher {
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(23) ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    pub fn add(&mut self, event: &EngineEvent) {
        self.count += 1;
        self.mix(event.t_us);
        match &event.kind {
            EventKind::RequestArrived {
                request,
                call,
                endpoint,
            } => self.words(&[1, request.0, call.0, u64::from(endpoint.0)]),
            EventKind::HopDeparted {
                call,
                request,
                direction,
                from,
                to,
                arrive_us,
                status,
                attempt,
                role,
            } => self.words(&[
                2,
                call.0,
                request.0,
                *direction as u64,
                u64::from(from.0),
                u64::from(to.0),
                *arrive_us,
                status.map_or(99, Status::code),
                u64::from(*attempt),
                *role as u64,
            ]),
            EventKind::HopArrived { call, direction } => {
                self.words(&[3, call.0, *direction as u64])
            }
            EventKind::HopLost { call, direction } => self.words(&[4, call.0, *direction as u64]),
            EventKind::CallQueued {
                call,
                instance,
                queue_length,
            } => self.words(&[5, call.0, u64::from(instance.0), u64::from(*queue_length)]),
            EventKind::CallStarted { call, instance } => {
                self.words(&[6, call.0, u64::from(instance.0)])
            }
            EventKind::CallRejected { call, instance } => {
                self.words(&[7, call.0, u64::from(instance.0)])
            }
            EventKind::CallFinished {
                call,
                instance,
                status,
            } => self.words(&[8, call.0, u64::from(instance.0), status.code()]),
            EventKind::CallTimedOut { call } => self.words(&[9, call.0]),
            EventKind::LateResponse { call } => self.words(&[10, call.0]),
            EventKind::CallAbandoned { call } => self.words(&[27, call.0]),
            EventKind::RequestCompleted {
                request,
                endpoint,
                latency_us,
            } => self.words(&[11, request.0, u64::from(endpoint.0), *latency_us]),
            EventKind::RequestFailed {
                request,
                endpoint,
                latency_us,
                status,
            } => self.words(&[
                12,
                request.0,
                u64::from(endpoint.0),
                *latency_us,
                status.code(),
            ]),
            EventKind::RequestRejected {
                request,
                endpoint,
                latency_us,
            } => self.words(&[13, request.0, u64::from(endpoint.0), *latency_us]),
            EventKind::RequestTimedOut { request, endpoint } => {
                self.words(&[14, request.0, u64::from(endpoint.0)])
            }
            EventKind::CommandApplied {
                id,
                command,
                from_user,
            } => {
                self.words(&[15, u64::from(*id), u64::from(*from_user)]);
                self.command(command);
            }
            EventKind::FaultEnded { id } => self.words(&[16, u64::from(*id)]),
            EventKind::InstanceDown { instance } => self.words(&[17, u64::from(instance.0)]),
            EventKind::InstanceUp { instance } => self.words(&[18, u64::from(instance.0)]),
            EventKind::BreakerTransition {
                edge,
                from,
                to,
                reason,
            } => {
                self.words(&[19, u64::from(edge.0), *from as u64, *to as u64]);
                self.reason(reason);
            }
            EventKind::AttemptRejected {
                edge,
                request,
                reason,
            } => self.words(&[20, u64::from(edge.0), request.0, reason.code()]),
            EventKind::RetryScheduled {
                edge,
                request,
                attempt,
                wait_us,
            } => self.words(&[
                21,
                u64::from(edge.0),
                request.0,
                u64::from(*attempt),
                *wait_us,
            ]),
            EventKind::FallbackServed { edge, request } => {
                self.words(&[22, u64::from(edge.0), request.0])
            }
            EventKind::SagaStarted { run, saga, request } => {
                self.words(&[23, *run, u64::from(saga.0), request.0])
            }
            EventKind::SagaStep {
                run,
                step,
                compensation,
                attempt,
                status,
            } => self.words(&[
                24,
                *run,
                u64::from(*step),
                u64::from(*compensation),
                u64::from(*attempt),
                status.map_or(99, Status::code),
            ]),
            EventKind::SagaFinished { run, outcome } => self.words(&[25, *run, *outcome as u64]),
            EventKind::SemanticLockObserved { run, request, step } => {
                self.words(&[26, *run, request.0, u64::from(*step)])
            }
        }
    }

    fn reason(&mut self, reason: &TransitionReason) {
        match *reason {
            TransitionReason::FailureRateExceeded {
                failure_rate,
                calls,
            } => self.words(&[1, failure_rate.to_bits(), u64::from(calls)]),
            TransitionReason::SlowCallRateExceeded {
                slow_call_rate,
                calls,
            } => self.words(&[2, slow_call_rate.to_bits(), u64::from(calls)]),
            TransitionReason::WaitInOpenElapsed => self.words(&[3]),
            TransitionReason::TrialCallsPassed {
                failure_rate,
                slow_call_rate,
            } => self.words(&[4, failure_rate.to_bits(), slow_call_rate.to_bits()]),
            TransitionReason::TrialCallsFailed {
                failure_rate,
                slow_call_rate,
            } => self.words(&[5, failure_rate.to_bits(), slow_call_rate.to_bits()]),
            TransitionReason::MaxWaitInHalfOpenElapsed => self.words(&[6]),
            TransitionReason::Manual => self.words(&[7]),
        }
    }

    fn words(&mut self, words: &[u64]) {
        for &word in words {
            self.mix(word);
        }
    }

    fn command(&mut self, command: &Command) {
        let duration = |d: &Option<super::core::time::SimDuration>| d.map_or(u64::MAX, |d| d.0);
        match command {
            Command::Crash {
                service,
                instance,
                duration: d,
            } => self.words(&[1, u64::from(service.0), u64::from(*instance), duration(d)]),
            Command::Restart { service, instance } => {
                self.words(&[2, u64::from(service.0), u64::from(*instance)])
            }
            Command::Slow {
                service,
                instance,
                factor,
                duration: d,
            } => self.words(&[
                3,
                u64::from(service.0),
                instance.map_or(u64::MAX, u64::from),
                factor.to_bits(),
                duration(d),
            ]),
            Command::Errors {
                service,
                instance,
                probability,
                duration: d,
            } => self.words(&[
                4,
                u64::from(service.0),
                instance.map_or(u64::MAX, u64::from),
                probability.to_bits(),
                duration(d),
            ]),
            Command::Partition { a, b, duration: d } => {
                self.words(&[5, u64::from(a.0), u64::from(b.0), duration(d)])
            }
            Command::Heal => self.words(&[6]),
            Command::SetPolicy { edge, change } => {
                self.words(&[7, u64::from(edge.0)]);
                // The change is small and fully determined: its name and value are a stable encoding.
                let text = format!("{}={}", change.setting(), change.value_json());
                for chunk in text.as_bytes().chunks(8) {
                    let mut word = [0u8; 8];
                    word[..chunk.len()].copy_from_slice(chunk);
                    self.mix(u64::from_le_bytes(word));
                }
            }
        }
    }

    /// The digest of every event so far.
    pub fn finish(&self) -> u64 {
        splitmix64(self.state ^ splitmix64(self.count))
    }

    pub fn events(&self) -> u64 {
        self.count
    }
}

/// Formats a trace hash as 16 lowercase hex digits.
pub fn format_hash(hash: u64) -> String {
    format!("{hash:016x}")
}

impl EngineEvent {
    pub fn at(&self) -> SimTime {
        SimTime(self.t_us)
    }

    /// The event as one JSON object with `t_us` and `kind`, names instead of ids.
    pub fn to_json(&self, scenario: &Scenario) -> Value {
        let endpoint = |id: &EndpointId| scenario.endpoint(*id).qualified_name.clone();
        let station = |id: &StationId| scenario.station(*id).name.clone();
        let instance = |id: &InstanceId| scenario.instance_label(*id);
        let mut object = match &self.kind {
            EventKind::RequestArrived {
                request,
                call,
                endpoint: e,
            } => json!({"request": request.0, "call": call.0, "endpoint": endpoint(e)}),
            EventKind::HopDeparted {
                call,
                request,
                direction,
                from,
                to,
                arrive_us,
                status,
                attempt,
                role,
            } => json!({
                "call": call.0, "request": request.0, "direction": direction,
                "from": station(from), "to": station(to), "arrive_us": arrive_us, "status": status,
                "attempt": attempt, "role": role,
            }),
            EventKind::HopArrived { call, direction } | EventKind::HopLost { call, direction } => {
                json!({"call": call.0, "direction": direction})
            }
            EventKind::CallQueued {
                call,
                instance: i,
                queue_length,
            } => json!({"call": call.0, "instance": instance(i), "queue_length": queue_length}),
            EventKind::CallStarted { call, instance: i }
            | EventKind::CallRejected { call, instance: i } => {
                json!({"call": call.0, "instance": instance(i)})
            }
            EventKind::CallFinished {
                call,
                instance: i,
                status,
            } => json!({"call": call.0, "instance": instance(i), "status": status}),
            EventKind::CallTimedOut { call }
            | EventKind::LateResponse { call }
            | EventKind::CallAbandoned { call } => {
                json!({"call": call.0})
            }
            EventKind::RequestCompleted {
                request,
                endpoint: e,
                latency_us,
            }
            | EventKind::RequestRejected {
                request,
                endpoint: e,
                latency_us,
            } => json!({"request": request.0, "endpoint": endpoint(e), "latency_us": latency_us}),
            EventKind::RequestFailed {
                request,
                endpoint: e,
                latency_us,
                status,
            } => {
                json!({"request": request.0, "endpoint": endpoint(e), "latency_us": latency_us, "status": status})
            }
            EventKind::RequestTimedOut {
                request,
                endpoint: e,
            } => {
                json!({"request": request.0, "endpoint": endpoint(e)})
            }
            EventKind::CommandApplied {
                id,
                command,
                from_user,
            } => json!({"id": id, "command": command.to_spec(scenario), "from_user": from_user}),
            EventKind::FaultEnded { id } => json!({"id": id}),
            EventKind::InstanceDown { instance: i } | EventKind::InstanceUp { instance: i } => {
                json!({"instance": instance(i)})
            }
            EventKind::BreakerTransition {
                edge,
                from,
                to,
                reason,
            } => {
                json!({"edge": scenario.edge_label(*edge), "from": from, "to": to, "reason": reason})
            }
            EventKind::AttemptRejected {
                edge,
                request,
                reason,
            } => {
                json!({"edge": scenario.edge_label(*edge), "request": request.0, "reason": reason})
            }
            EventKind::RetryScheduled {
                edge,
                request,
                attempt,
                wait_us,
            } => {
                json!({"edge": scenario.edge_label(*edge), "request": request.0, "attempt": attempt, "wait_us": wait_us})
            }
            EventKind::FallbackServed { edge, request } => {
                json!({"edge": scenario.edge_label(*edge), "request": request.0})
            }
            EventKind::SagaStarted { run, saga, request } => {
                json!({"run": run, "saga": scenario.sagas[saga.index()].name, "request": request.0})
            }
            EventKind::SagaStep {
                run,
                step,
                compensation,
                attempt,
                status,
            } => {
                json!({"run": run, "step": step, "compensation": compensation, "attempt": attempt, "status": status})
            }
            EventKind::SagaFinished { run, outcome } => json!({"run": run, "outcome": outcome}),
            EventKind::SemanticLockObserved { run, request, step } => {
                json!({"run": run, "request": request.0, "step": step})
            }
        };
        if let Value::Object(map) = &mut object {
            map.insert("t_us".into(), json!(self.t_us));
            map.insert("kind".into(), json!(self.kind.name()));
        }
        object
    }
}
