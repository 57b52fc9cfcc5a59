//! The life of a call, from the caller's send to the answer it hears.
//!
//! The caller picks an instance and sends the request hop (`ToCallee`); at the instance it takes
//! a worker or waits in the bounded queue (`Queued`), or is rejected; with a worker it does its
//! local work (`Working`), then its downstream steps one by one (`Calling`), holding the worker
//! throughout, as a thread-per-request server does; then the worker is freed and the answer
//! travels back (`ToCaller`). A caller that times out stops waiting (`awaited = false`) but the
//! callee keeps working, as in real systems.
//!
//! The patterns' seams: an endpoint's `arrival` watchers see each request reaching a live
//! instance (a server rate limit, a saga's lock); an endpoint's `handler` pattern takes over
//! after the local work (a saga); an edge's guard takes a handler's call (resilience); a call a
//! pattern owns is answered through its hooks. Spans open and close where the call's life
//! already has its seams.

use super::call::{
    Answer, Arrival, ArrivalVerdict, Call, CallState, HandlerCall, OutgoingCall, Owner,
};
use super::events::EventKind;
use super::traces::{NO_SPAN, Operation, Span, SpanEventKind, SpanKind, SpanSource, span_id_for};
use super::world::{CONNECT_TIMEOUT, Hooks, InstanceState, Kernel, Pending};
use crate::engine::core::dist::Distribution;
use crate::engine::core::ids::{CallId, CallRef, EdgeId, InstanceId, ServiceId, StationId};
use crate::engine::core::status::{CallRole, Direction, Status};
use crate::engine::core::time::{SimDuration, round_to_u64};
use crate::engine::scenario::command::Command;
use crate::engine::scenario::model::{Balancer, Step};
use std::sync::Arc;

impl<H: Hooks> Kernel<H> {
    fn call_mut(&mut self, call: CallRef) -> &mut Call {
        &mut self.calls[call]
    }

    pub(super) fn free_call(&mut self, call: CallRef) {
        self.calls.free(call);
    }

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
        if let Distribution::Constant { value_us } = latency {
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

    /// Door: starts a call and sends its request hop.
    pub fn send_call(&mut self, outgoing: OutgoingCall) -> CallRef {
        let OutgoingCall {
            owner,
            endpoint,
            from,
            request,
            attributes,
            timeout,
            edge,
            attempt,
            role,
            parent,
            breaker,
        } = outgoing;
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

    pub(super) fn on_hop_arrive(&mut self, call_ref: CallRef) {
        let Some(call) = self.calls.get(call_ref) else {
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
        let watchers = self.scenario.endpoint(endpoint).arrival;
        if !watchers.is_empty() {
            let arrival = Arrival {
                call: call_ref,
                service,
                instance,
            };
            for pattern in watchers.iter() {
                if let ArrivalVerdict::Refuse {
                    status,
                    retry_after,
                } = H::on_arrival(self, pattern, arrival)
                {
                    self.call_mut(call_ref).retry_after_us = retry_after.map_or(0, |d| d.0.max(1));
                    self.emit(EventKind::CallRejected { call: id, instance });
                    self.count_server_outcome(call_ref, status);
                    self.send_answer(call_ref, status);
                    return;
                }
            }
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

    pub(super) fn start_work(&mut self, call_ref: CallRef, instance: InstanceId) {
        let (id, endpoint) = {
            let call = &self.calls[call_ref];
            (call.id, call.endpoint)
        };
        let service = self.scenario.endpoint(endpoint).service;
        debug_assert!(
            matches!(
                self.calls[call_ref].state,
                CallState::ToCallee | CallState::Queued
            ),
            "work starts on a call that arrived or waited, not one in {:?}",
            self.calls[call_ref].state
        );
        debug_assert!(
            self.instances[instance.index()].busy < self.scenario.service(service).workers,
            "more calls working than the instance has workers"
        );
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
        let mut duration = if let Distribution::Constant { value_us } = work {
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

    pub(super) fn on_work_done(&mut self, call_ref: CallRef) {
        let Some(call) = self.calls.get(call_ref) else {
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
        match self.scenario.endpoint(endpoint).handler {
            Some(pattern) => H::on_handler(self, pattern, call_ref),
            None => self.run_step(call_ref),
        }
    }

    /// Door: a handler waits for the pattern that took it over (a saga's decision), holding
    /// its worker.
    pub fn wait_for_pattern(&mut self, handler: CallRef) {
        let call = self.call_mut(handler);
        call.state = CallState::Calling;
        call.pending_children = 0;
    }

    /// Door: the pattern decided: the waiting handler answers with `status`.
    pub fn finish_handler(&mut self, handler: CallRef, status: Status) {
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
            self.call_on_edge(HandlerCall {
                parent: call_ref,
                edge: spec.edge,
                target: spec.target,
                timeout: spec.timeout,
                from,
                request,
                attributes,
            });
        }
    }

    /// A handler's call: straight out on a plain edge, else through the pattern that guards it.
    fn call_on_edge(&mut self, call: HandlerCall) {
        let edge = call.edge;
        self.edges.counters[edge.index()].calls += 1;
        self.metrics.edges[edge.index()].arrived();
        match self.edges.guards[edge.index()] {
            None => {
                self.edges.counters[edge.index()].attempts_sent += 1;
                let parent = self.handler_span(call.parent);
                self.send_call(OutgoingCall {
                    owner: Owner::Parent(call.parent),
                    endpoint: call.target,
                    from: call.from,
                    request: call.request,
                    attributes: call.attributes,
                    timeout: call.timeout,
                    edge: Some(edge),
                    attempt: 1,
                    role: CallRole::Normal,
                    parent,
                    breaker: None,
                });
            }
            Some(pattern) => H::on_guarded_call(self, pattern, call),
        }
    }

    /// Door: a child's answer (or its timeout) reached a parent still calling. `degraded`: the
    /// answer is a fallback, a success that the parent passes on as degraded.
    pub fn child_result(&mut self, parent_ref: CallRef, status: Status, degraded: bool) {
        let Some(parent) = self.calls.get(parent_ref) else {
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
        debug_assert!(parent.pending_children > 0, "an answer nobody waits for");
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

    pub(super) fn count_server_outcome(&mut self, call_ref: CallRef, status: Status) {
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
    pub(super) fn finish_call(&mut self, call_ref: CallRef, status: Status) {
        let (id, endpoint, instance) = {
            let call = &self.calls[call_ref];
            (call.id, call.endpoint, call.instance)
        };
        let service = self.scenario.endpoint(endpoint).service;
        debug_assert!(
            matches!(
                self.calls[call_ref].state,
                CallState::Working | CallState::Calling
            ),
            "a handler finishes only while it works or calls, not in {:?}",
            self.calls[call_ref].state
        );
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
        debug_assert!(state.busy > 0, "a worker released twice");
        state.busy -= 1;
        let next = state.queue.pop_front();
        self.metrics.services[service.index()]
            .busy
            .add(self.now, -1);
        if let Some(next) = next {
            debug_assert_eq!(
                self.calls[next].state,
                CallState::Queued,
                "a queued call waits"
            );
            self.metrics.services[service.index()]
                .queued
                .add(self.now, -1);
            self.start_work(next, instance);
        }
    }

    /// Sends the answer hop back to where the request came from.
    pub(super) fn send_answer(&mut self, call_ref: CallRef, status: Status) {
        let call = &self.calls[call_ref];
        debug_assert!(
            !matches!(call.state, CallState::ToCaller | CallState::Lost),
            "a call answered twice, or one that never arrived"
        );
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

    pub(super) fn on_response_arrive(&mut self, call_ref: CallRef) {
        let Some(call) = self.calls.get(call_ref) else {
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

    pub(super) fn on_network_failure(&mut self, call_ref: CallRef) {
        if self.calls.contains(call_ref) {
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
                self.child_result(parent, status, degraded);
            }
            Owner::Pattern(pattern) => {
                self.free_call(call_ref);
                H::on_answer(
                    self,
                    pattern,
                    Answer {
                        status,
                        retry_after,
                        degraded,
                    },
                );
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

    pub(super) fn on_call_timeout(&mut self, call_ref: CallRef) {
        let Some(call) = self.calls.get(call_ref) else {
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
                self.child_result(parent, Status::Timeout, false);
            }
            Owner::Pattern(pattern) => H::on_answer(
                self,
                pattern,
                Answer {
                    status: Status::Timeout,
                    retry_after: None,
                    degraded: false,
                },
            ),
            Owner::Client => {}
        }
    }

    pub(super) fn on_client_timeout(&mut self, call_ref: CallRef) {
        let Some(call) = self.calls.get(call_ref) else {
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

    /// Door: an event on a call's SERVER span.
    pub fn server_span_event(&mut self, call_ref: CallRef, kind: SpanEventKind) {
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

    /// Door: an event on a handler's SERVER span (a retry it schedules, a call it could not
    /// make, a semantic lock it saw, …).
    pub fn handler_event(&mut self, handler: CallRef, kind: SpanEventKind) {
        if self.calls.contains(handler) {
            self.server_span_event(handler, kind);
        }
    }

    /// Door: counts how a logical call on `edge` ended: success, this edge's fallback, or
    /// failed.
    pub fn count_call_end(
        &mut self,
        edge: EdgeId,
        status: Status,
        fallback: bool,
        latency_us: u64,
    ) {
        let counters = &mut self.edges.counters[edge.index()];
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
}
