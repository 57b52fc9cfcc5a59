//! The workload: when clients send requests (open-loop Poisson arrivals by thinning a rate
//! profile, or a closed population of users who think between requests), which entry endpoint
//! each calls, and the attributes each request carries. Faults the scenario schedules are queued
//! at the start too.

use super::call::{OutgoingCall, Owner};
use super::events::EventKind;
use super::traces::{SpanParent, trace_id_for};
use super::world::{Hooks, Kernel, Pending};
use crate::engine::core::attributes::RequestAttributes;
use crate::engine::core::ids::RequestId;
use crate::engine::core::status::CallRole;
use crate::engine::core::time::{SimTime, round_to_u64};
use crate::engine::scenario::model::{WeightedNames, WorkloadMode};
use std::sync::Arc;

impl<H: Hooks> Kernel<H> {
    pub(super) fn schedule_start(&mut self) {
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

    pub(super) fn on_open_arrival(&mut self) {
        self.send_request(None);
        if let Some(next) = self.next_arrival_time() {
            self.queue.push(next, Pending::Arrival);
        }
    }

    pub(super) fn on_user_ready(&mut self, user: u32) {
        if self.now < self.arrivals_end {
            self.send_request(Some(user));
        }
    }

    /// A user got an answer (or gave up): think, then send the next request.
    pub(super) fn user_done(&mut self, user: Option<u32>) {
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
        let mut pick = |names: &WeightedNames| {
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
        let call = self.send_call(OutgoingCall {
            owner: Owner::Client,
            endpoint,
            from: scenario.workload.station,
            request,
            attributes,
            timeout: scenario.workload.timeout,
            edge: None,
            attempt: 1,
            role: CallRole::Normal,
            parent: SpanParent::root(trace),
            breaker: None,
        });
        let root = &mut self.calls[call];
        root.user = user;
        root.entry = entry as u16;
        let call_id = root.id;
        self.emit(EventKind::RequestArrived {
            request,
            call: call_id,
            endpoint,
        });
    }
}
