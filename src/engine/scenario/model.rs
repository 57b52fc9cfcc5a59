//! The validated scenario: the model the engine trusts.
//!
//! Every name is resolved to a dense id, every value is in range, and the call graph has no cycles.
//! Nothing here can fail at run time; `validate` is the only way to build one from user input.

use super::command::Command;
use super::registry::{PatternId, PatternMask, PatternSpecs};
use crate::engine::core::dist::Distribution;
use crate::engine::core::event::Names;
use crate::engine::core::ids::{
    EdgeId, EndpointId, InstanceId, LineId, SagaId, ServiceId, StationId,
};
pub use crate::engine::core::text::Text;
use crate::engine::core::time::{SimDuration, SimTime};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub id: String,
    pub title: Text,
    pub description: Text,
    /// New requests stop arriving at this time; requests in flight then drain.
    pub duration: SimDuration,
    pub seed: u64,
    pub stations: Vec<Station>,
    pub lines: Vec<Line>,
    pub services: Vec<Service>,
    pub endpoints: Vec<Endpoint>,
    pub instances: Vec<InstanceSpec>,
    pub network: Network,
    pub workload: Workload,
    pub faults: Vec<ScheduledFault>,
    /// Every caller→callee pair of services the call graph uses, sorted by (from, to): where
    /// edge patterns (resilience today, the mesh later) attach.
    pub edges: Vec<Edge>,
    /// Each pattern's validated section, from its own folder (`sections`).
    pub patterns: PatternSpecs,
    pub tracing: TracingSettings,
    pub metrics: MetricsSettings,
}

/// Head and tail sampling of traces, and how many the store keeps.
#[derive(Clone, Debug, Serialize)]
pub struct TracingSettings {
    /// Share of requests whose traces are recorded (TraceIdRatioBased at the root).
    pub head_sampling: f64,
    /// Tail sampling: keep every recorded trace with an error …
    pub keep_errors: bool,
    /// … or slower than this …
    pub keep_slower_than: Option<SimDuration>,
    /// … or, of the rest, this share.
    pub keep_ratio: f64,
    /// The most recent traces kept regardless of the tail policy.
    pub recent: u32,
    /// How many traces the tail policy may keep.
    pub kept: u32,
}

impl Default for TracingSettings {
    fn default() -> Self {
        TracingSettings {
            head_sampling: 1.0,
            keep_errors: true,
            keep_slower_than: None,
            keep_ratio: 0.0,
            recent: 200,
            kept: 100,
        }
    }
}

impl TracingSettings {
    /// No trace is ever recorded: the engine skips span bookkeeping entirely.
    pub fn is_off(&self) -> bool {
        self.head_sampling <= 0.0
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Station {
    pub id: StationId,
    pub name: String,
    pub label: Text,
    /// Grid position for the map; `None` lets the map lay the station out itself.
    pub position: Option<(f64, f64)>,
    pub lines: Vec<LineId>,
}

impl Station {
    /// A station served by two or more lines is an interchange.
    pub fn is_interchange(&self) -> bool {
        self.lines.len() > 1
    }
}

/// The palette family a line is drawn in. Inspired by Mumbai's suburban lines; not an official scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStyle {
    Western,
    Central,
    Harbour,
    TransHarbour,
    Metro,
    Monorail,
}

impl LineStyle {
    pub const ALL: [(&'static str, LineStyle); 6] = [
        ("western", LineStyle::Western),
        ("central", LineStyle::Central),
        ("harbour", LineStyle::Harbour),
        ("trans_harbour", LineStyle::TransHarbour),
        ("metro", LineStyle::Metro),
        ("monorail", LineStyle::Monorail),
    ];

    pub fn key(self) -> &'static str {
        LineStyle::ALL
            .iter()
            .find(|(_, style)| *style == self)
            .map(|(key, _)| *key)
            .unwrap_or("western")
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub id: LineId,
    pub name: Text,
    pub style: LineStyle,
    pub stations: Vec<StationId>,
}

/// How a caller picks one instance of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Balancer {
    RoundRobin,
    Random,
    /// Envoy's default least-request: two random instances, take the one with fewer active calls.
    LeastRequest,
}

impl Balancer {
    pub const ALL: [(&'static str, Balancer); 3] = [
        ("round_robin", Balancer::RoundRobin),
        ("random", Balancer::Random),
        ("least_request", Balancer::LeastRequest),
    ];
}

#[derive(Clone, Debug, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub label: Text,
    pub station: StationId,
    pub instances: Vec<InstanceId>,
    /// Workers (threads) per instance; a worker is held for the whole call, downstream calls included.
    pub workers: u32,
    /// Waiting room per instance; a call arriving to a full queue is rejected.
    pub queue_capacity: u32,
    pub balancer: Balancer,
    pub endpoints: Vec<EndpointId>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InstanceSpec {
    pub id: InstanceId,
    pub service: ServiceId,
    /// Position among its service's instances (0-based), as shown on the map.
    pub ordinal: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Endpoint {
    pub id: EndpointId,
    pub service: ServiceId,
    pub name: String,
    /// `service.endpoint`, as scenario files write it.
    pub qualified_name: String,
    /// Local work done before any downstream call.
    pub work: Distribution,
    /// Chance that the local work ends in an error (no downstream calls are then made).
    pub error_probability: f64,
    pub steps: Vec<Step>,
    /// Different behaviour for some payment methods (UPI, Card, COD, …).
    pub variants: Vec<Variant>,
    /// The pattern that takes over the handler after its own work (a saga's start endpoint),
    /// if any: the kernel's one `match` on this endpoint's seam.
    pub handler: Option<PatternId>,
    /// The patterns that look at each request reaching a live instance of this endpoint (a
    /// server rate limit, a saga's semantic lock), in registry order.
    pub arrival: PatternMask,
}

#[derive(Clone, Debug, Serialize)]
pub struct Variant {
    /// Index into `workload.attributes.payment_methods`.
    pub payment_method: u16,
    pub work: Distribution,
    pub error_probability: f64,
}

/// What a handler does after its local work, in order.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// One downstream call; the handler waits for it.
    Call(CallSpec),
    /// Several downstream calls at once; the handler waits for all of them.
    Parallel(Vec<CallSpec>),
}

impl Step {
    pub fn calls(&self) -> &[CallSpec] {
        match self {
            Step::Call(call) => std::slice::from_ref(call),
            Step::Parallel(calls) => calls,
        }
    }
}

/// A caller→callee pair of services that the call graph uses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Edge {
    pub from: ServiceId,
    pub to: ServiceId,
    /// The pattern a handler's call on this edge goes through (resilience policies), if any:
    /// the kernel's one `match` on this edge's seam.
    pub guard: Option<PatternId>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CallSpec {
    pub target: EndpointId,
    /// The caller stops waiting after this long and fails the call (the callee keeps working).
    pub timeout: Option<SimDuration>,
    /// The caller→callee edge this call travels, where its policies live.
    pub edge: EdgeId,
}

#[derive(Clone, Debug, Serialize)]
pub struct Network {
    /// Distinct latency distributions; `matrix` indexes into this table.
    pub latencies: Vec<Distribution>,
    /// `matrix[a * station_count + b]` is the index of the latency from station a to b.
    pub matrix: Vec<u16>,
    pub station_count: usize,
}

impl Network {
    pub fn latency_index(&self, from: StationId, to: StationId) -> usize {
        usize::from(self.matrix[from.index() * self.station_count + to.index()])
    }

    pub fn latency(&self, from: StationId, to: StationId) -> &Distribution {
        &self.latencies[self.latency_index(from, to)]
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Workload {
    /// Where the clients are: every request starts and ends here.
    pub station: StationId,
    pub mode: WorkloadMode,
    pub mix: EndpointMix,
    /// The client gives up after this long and counts the request as timed out.
    pub timeout: Option<SimDuration>,
    pub attributes: AttributeSpec,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadMode {
    /// Poisson arrivals whose rate follows a profile over time.
    Open(RateProfile),
    /// A fixed population of users, each waiting for its answer and thinking before the next request.
    Closed {
        users: u32,
        think_time: Distribution,
    },
}

/// Which entry endpoint each request calls, by weight.
#[derive(Clone, Debug, Serialize)]
pub struct EndpointMix {
    pub endpoints: Vec<EndpointId>,
    pub cumulative_weights: Vec<f64>,
}

/// Arrival rate over time: a base rate, changed in steps or ramps, multiplied by flash-sale spikes.
#[derive(Clone, Debug, Serialize)]
pub struct RateProfile {
    pub base_per_s: f64,
    /// Sorted by `at`.
    pub changes: Vec<RateChange>,
    pub spikes: Vec<Spike>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RateChange {
    pub at: SimTime,
    pub rate_per_s: f64,
    /// `None`: a step at `at`. `Some(d)`: a linear ramp from the previous rate, over `d` from `at`.
    pub ramp: Option<SimDuration>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Spike {
    pub at: SimTime,
    pub duration: SimDuration,
    pub multiplier: f64,
}

impl RateProfile {
    pub fn constant(rate_per_s: f64) -> RateProfile {
        RateProfile {
            base_per_s: rate_per_s,
            changes: Vec::new(),
            spikes: Vec::new(),
        }
    }

    pub fn is_constant(&self) -> bool {
        self.changes.is_empty() && self.spikes.is_empty()
    }

    /// The arrival rate at `t`, per second.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        let mut rate = self.base_per_s;
        for change in &self.changes {
            if t < change.at {
                break;
            }
            rate = match change.ramp {
                Some(ramp) if t < change.at + ramp && ramp.0 > 0 => {
                    let progress = (t.0 - change.at.0) as f64 / ramp.0 as f64;
                    rate + (change.rate_per_s - rate) * progress
                }
                _ => change.rate_per_s,
            };
        }
        for spike in &self.spikes {
            if t >= spike.at && t < spike.at + spike.duration {
                rate *= spike.multiplier;
            }
        }
        rate
    }

    /// The highest rate the profile ever reaches. The profile is piecewise linear, so the maximum
    /// sits at a breakpoint or just before one.
    pub fn max_rate(&self) -> f64 {
        let mut breakpoints = vec![SimTime::ZERO];
        for change in &self.changes {
            breakpoints.push(change.at);
            if let Some(ramp) = change.ramp {
                breakpoints.push(change.at + ramp);
            }
        }
        for spike in &self.spikes {
            breakpoints.push(spike.at);
            breakpoints.push(spike.at + spike.duration);
        }
        breakpoints
            .iter()
            .flat_map(|&t| [t, SimTime(t.0.saturating_sub(1))])
            .map(|t| self.rate_at(t))
            .fold(0.0, f64::max)
    }
}

/// Request attributes that later patterns route and hash on. An empty list means "not drawn".
#[derive(Clone, Debug, Default, Serialize)]
pub struct AttributeSpec {
    pub cities: WeightedNames,
    pub payment_methods: WeightedNames,
    pub api_versions: WeightedNames,
    /// Number of distinct users; user ids are drawn uniformly from 1..=users. 0 = no user ids.
    pub users: u32,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct WeightedNames {
    pub names: Vec<String>,
    pub cumulative_weights: Vec<f64>,
}

impl WeightedNames {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ScheduledFault {
    pub at: SimTime,
    pub command: Command,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetricsSettings {
    /// How many one-second points each time series keeps.
    pub window_seconds: u32,
}

impl Scenario {
    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }

    pub fn endpoint(&self, id: EndpointId) -> &Endpoint {
        &self.endpoints[id.index()]
    }

    pub fn station(&self, id: StationId) -> &Station {
        &self.stations[id.index()]
    }

    pub fn service_named(&self, name: &str) -> Option<ServiceId> {
        self.services.iter().find(|s| s.name == name).map(|s| s.id)
    }

    pub fn station_named(&self, name: &str) -> Option<StationId> {
        self.stations.iter().find(|s| s.name == name).map(|s| s.id)
    }

    pub fn endpoint_named(&self, qualified: &str) -> Option<EndpointId> {
        self.endpoints
            .iter()
            .find(|e| e.qualified_name == qualified)
            .map(|e| e.id)
    }

    /// The instance with `ordinal` of `service`, if it exists.
    pub fn instance_of(&self, service: ServiceId, ordinal: u32) -> Option<InstanceId> {
        self.service(service)
            .instances
            .get(ordinal as usize)
            .copied()
    }

    /// The edge for calls from `from` to `to`, if the call graph has one.
    pub fn edge_between(&self, from: ServiceId, to: ServiceId) -> Option<EdgeId> {
        self.edges
            .binary_search_by(|edge| (edge.from, edge.to).cmp(&(from, to)))
            .ok()
            .map(EdgeId::from_index)
    }

    pub fn edge(&self, id: EdgeId) -> &Edge {
        &self.edges[id.index()]
    }

    /// `gateway → restaurant`.
    pub fn edge_label(&self, id: EdgeId) -> String {
        let edge = self.edge(id);
        format!(
            "{} → {}",
            self.service(edge.from).name,
            self.service(edge.to).name
        )
    }

    /// A short name for an instance as the map labels it: `payment#1`.
    pub fn instance_label(&self, instance: InstanceId) -> String {
        let spec = &self.instances[instance.index()];
        format!("{}#{}", self.service(spec.service).name, spec.ordinal)
    }
}

impl Names for Scenario {
    fn endpoint_name(&self, id: EndpointId) -> String {
        self.endpoint(id).qualified_name.clone()
    }

    fn station_name(&self, id: StationId) -> String {
        self.station(id).name.clone()
    }

    fn instance_name(&self, id: InstanceId) -> String {
        self.instance_label(id)
    }

    fn edge_name(&self, id: EdgeId) -> String {
        self.edge_label(id)
    }

    fn saga_name(&self, id: SagaId) -> String {
        self.patterns
            .saga
            .sagas
            .get(id.index())
            .map_or_else(|| format!("saga{}", id.0), |saga| saga.name.clone())
    }
}
