//! Plain-data views of a running engine: what the map draws each frame.
//!
//! A snapshot carries in-flight hops with their depart and arrive times, so the UI interpolates
//! positions at 60 fps without stepping the engine per pixel.

use crate::engine::core::histogram::LatencySummary;
use crate::engine::core::ids::{CallId, EndpointId, InstanceId, RequestId, ServiceId, StationId};
use crate::engine::core::status::{Direction, Status};
use crate::engine::kernel::call::{CallState, Owner};
use crate::engine::kernel::metrics::{Counters, SecondPoint};
use crate::engine::kernel::world::{Hooks, Kernel};
use crate::engine::scenario::command::CommandSpec;
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

impl<H: Hooks> Kernel<H> {
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
            .zip(self.instance_states())
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
                .active_faults()
                .iter()
                .map(|fault| FaultView {
                    id: fault.id,
                    command: fault.command.to_spec(scenario),
                })
                .collect(),
            events_processed: self.events_processed(),
        }
    }
}
