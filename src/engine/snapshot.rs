//! Plain-data views of a running engine: what the map draws each frame, and what the invariant
//! checker verifies after every event.
//!
//! A snapshot carries in-flight hops with their depart and arrive times, so the UI interpolates
//! positions at 60 fps without stepping the engine per pixel.

use super::command::CommandSpec;
use super::core::histogram::LatencySummary;
use super::core::ids::{CallId, EndpointId, InstanceId, RequestId, ServiceId, StationId};
use super::core::status::{Direction, Status};
use super::metrics::{Counters, SecondPoint};
use super::sim::{CallState, Engine, Owner};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub now_us: u64,
    pub hops: Vec<HopView>,
    pub instances: Vec<InstanceView>,
    pub services: Vec<ServiceView>,
    pub client: ClientView,
    pub active_faults: Vec<FaultView>,
    pub events_processed: u64,
}

/// A message on its way between two stations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HopView {
    pub call: CallId,
    pub request: RequestId,
    pub endpoint: EndpointId,
    pub direction: Direction,
    pub from: StationId,
    pub to: StationId,
    pub depart_us: u64,
    pub arrive_us: u64,
    /// The answer's status, on responses.
    pub status: Option<Status>,
    /// Lost in a partition: it will never arrive.
    pub lost: bool,
    /// The client's own call (the root of its request), not a downstream one.
    pub is_root: bool,
}

impl HopView {
    /// How far along its track the hop is at `t_us`, from 0 to 1.
    pub fn progress_at(&self, t_us: u64) -> f64 {
        if self.arrive_us <= self.depart_us {
            return 1.0;
        }
        let done = t_us.saturating_sub(self.depart_us) as f64;
        (done / (self.arrive_us - self.depart_us) as f64).clamp(0.0, 1.0)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceView {
    pub instance: InstanceId,
    pub service: ServiceId,
    pub ordinal: u32,
    pub up: bool,
    pub busy_workers: u32,
    pub workers: u32,
    pub queue_length: u32,
    pub queue_capacity: u32,
    /// Service times are multiplied by this (1 = normal).
    pub slow_factor: f64,
    /// Extra chance of failing that a fault injects (0 = none).
    pub injected_error: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceView {
    pub service: ServiceId,
    pub counters: Counters,
    /// Calls queued or holding a worker right now.
    pub in_progress: u64,
    /// The last whole second: arrivals, outcomes and latency percentiles.
    pub last_second: Option<SecondPoint>,
    pub latency: LatencySummary,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientView {
    pub counters: Counters,
    pub in_flight: u64,
    pub last_second: Option<SecondPoint>,
    pub latency: LatencySummary,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultView {
    pub id: u32,
    pub command: CommandSpec,
}

impl Engine {
    /// Everything the map needs to draw this instant.
    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = self.snapshot_without_hops();
        snapshot.hops = self.hops_in_flight();
        snapshot
    }

    /// Every hop in flight now, in call-slot order.
    pub fn hops_in_flight(&self) -> Vec<HopView> {
        let now = self.now();
        self.live_calls()
            .filter(|call| match call.state {
                CallState::ToCallee | CallState::ToCaller => true,
                CallState::Lost => now < call.hop_arrive,
                _ => false,
            })
            .map(|call| HopView {
                call: call.id,
                request: call.request,
                endpoint: call.endpoint,
                direction: call.hop_direction,
                from: call.hop_from,
                to: call.hop_to,
                depart_us: call.hop_depart.0,
                arrive_us: call.hop_arrive.0,
                status: (call.state == CallState::ToCaller).then_some(call.status),
                lost: call.state == CallState::Lost,
                is_root: call.owner == Owner::Client,
            })
            .collect()
    }

    /// The snapshot without the (possibly long) list of hops, for panels that only need figures.
    pub fn snapshot_without_hops(&self) -> Snapshot {
        let now = self.now();
        let scenario = self.scenario();
        let instances = scenario
            .instances
            .iter()
            .zip(&self.instances)
            .map(|(spec, state)| {
                let service = scenario.service(spec.service);
                InstanceView {
                    instance: spec.id,
                    service: spec.service,
                    ordinal: spec.ordinal,
                    up: state.up,
                    busy_workers: state.busy,
                    workers: service.workers,
                    queue_length: state.queue.len() as u32,
                    queue_capacity: service.queue_capacity,
                    slow_factor: state.slow_factor,
                    injected_error: state.injected_error,
                }
            })
            .collect();
        let metrics = self.metrics();
        let services = scenario
            .services
            .iter()
            .zip(&metrics.services)
            .map(|(service, tracker)| ServiceView {
                service: service.id,
                counters: tracker.counters,
                in_progress: tracker.counters.in_flight(),
                last_second: tracker.last_second().copied(),
                latency: tracker.summary(),
            })
            .collect();
        Snapshot {
            now_us: now.0,
            hops: Vec::new(),
            instances,
            services,
            client: ClientView {
                counters: metrics.client.counters,
                in_flight: metrics.client.counters.in_flight(),
                last_second: metrics.client.last_second().copied(),
                latency: metrics.client.summary(),
            },
            active_faults: self
                .active_faults
                .iter()
                .map(|fault| FaultView {
                    id: fault.id,
                    command: fault.command.to_spec(scenario),
                })
                .collect(),
            events_processed: self.events_processed(),
        }
    }

    /// Checks what must hold after every event. Returns the first violation found.
    ///
    /// - requests are conserved: arrived = completed + failed + rejected + timed out + in flight,
    ///   for clients as a whole, per entry endpoint, and (without timeouts) per service;
    /// - time never goes back: nothing is scheduled before the current time;
    /// - every queue is within its bound and every busy count within its worker pool, and both
    ///   agree with the calls actually queued and running.
    pub fn check_invariants(&self) -> Result<(), String> {
        let scenario = self.scenario();
        let now = self.now();
        if let Some(next) = self.next_event_time()
            && next < now
        {
            return Err(format!(
                "an event is due at {next}, before the current time {now}"
            ));
        }
        self.check_edges()?;
        self.check_sagas()?;
        self.check_traces()?;
        if self.last_event_time > now {
            return Err(format!(
                "the clock ({now}) is behind the last event ({})",
                self.last_event_time
            ));
        }

        let metrics = self.metrics();
        let awaited_roots = self
            .live_calls()
            .filter(|call| call.owner == Owner::Client && call.awaited)
            .count() as u64;
        let client = metrics.client.counters;
        let ended = client.completed + client.failed + client.rejected + client.timed_out;
        if client.arrived != ended + awaited_roots {
            return Err(format!(
                "requests not conserved: {} arrived, {ended} ended, {awaited_roots} in flight",
                client.arrived
            ));
        }
        if metrics.client.busy.current != awaited_roots {
            return Err(format!(
                "client in-flight gauge {} disagrees with {awaited_roots} requests in flight",
                metrics.client.busy.current
            ));
        }
        let by_entry: u64 = metrics
            .client_by_entry
            .iter()
            .map(|t| t.counters.arrived)
            .sum();
        if by_entry != client.arrived {
            return Err(format!(
                "entry counters sum to {by_entry}, not {}",
                client.arrived
            ));
        }

        let mut busy_by_instance = vec![0u32; self.instances.len()];
        let mut queued_by_instance = vec![0u32; self.instances.len()];
        for call in self.live_calls() {
            match (call.state, call.instance) {
                (CallState::Working | CallState::Calling, Some(instance)) => {
                    busy_by_instance[instance.index()] += 1;
                }
                (CallState::Queued, Some(instance)) => queued_by_instance[instance.index()] += 1,
                (CallState::Working | CallState::Calling | CallState::Queued, None) => {
                    return Err(format!(
                        "call {} holds no instance but is {:?}",
                        call.id.0, call.state
                    ));
                }
                _ => {}
            }
        }
        let mut in_progress_by_service = vec![0u64; scenario.services.len()];
        let mut busy_by_service = vec![0u64; scenario.services.len()];
        let mut queued_by_service = vec![0u64; scenario.services.len()];
        for (spec, state) in scenario.instances.iter().zip(&self.instances) {
            let service = scenario.service(spec.service);
            let label = scenario.instance_label(spec.id);
            let index = spec.id.index();
            if state.queue.len() > service.queue_capacity as usize {
                return Err(format!(
                    "{label}: queue holds {}, above its bound {}",
                    state.queue.len(),
                    service.queue_capacity
                ));
            }
            if state.busy > service.workers {
                return Err(format!(
                    "{label}: {} busy workers of {}",
                    state.busy, service.workers
                ));
            }
            if state.busy != busy_by_instance[index] {
                return Err(format!(
                    "{label}: busy count {} but {} calls hold a worker",
                    state.busy, busy_by_instance[index]
                ));
            }
            if state.queue.len() as u32 != queued_by_instance[index] {
                return Err(format!(
                    "{label}: queue holds {} but {} calls are queued",
                    state.queue.len(),
                    queued_by_instance[index]
                ));
            }
            if !state.up && (state.busy > 0 || !state.queue.is_empty()) {
                return Err(format!("{label} is down but still holds calls"));
            }
            if state.busy < service.workers && !state.queue.is_empty() {
                return Err(format!(
                    "{label}: calls wait in the queue while workers are idle"
                ));
            }
            let work = u64::from(state.busy) + state.queue.len() as u64;
            in_progress_by_service[spec.service.index()] += work;
            busy_by_service[spec.service.index()] += u64::from(state.busy);
            queued_by_service[spec.service.index()] += state.queue.len() as u64;
        }
        for (index, tracker) in metrics.services.iter().enumerate() {
            let name = &scenario.services[index].name;
            let counters = tracker.counters;
            let ended = counters.completed + counters.failed + counters.rejected;
            if counters.arrived != ended + in_progress_by_service[index] {
                return Err(format!(
                    "service {name}: {} arrived, {ended} ended, {} in progress",
                    counters.arrived, in_progress_by_service[index]
                ));
            }
            if tracker.busy.current != busy_by_service[index]
                || tracker.queued.current != queued_by_service[index]
            {
                return Err(format!(
                    "service {name}: gauges disagree with its instances"
                ));
            }
        }
        Ok(())
    }
}
