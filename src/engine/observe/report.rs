//! The run report: what `lokal-cli run` prints, as plain data (its `--json` form uses these names).

use crate::engine::core::event::format_hash;
use crate::engine::core::histogram::LatencyMs;
use crate::engine::core::rng;
use crate::engine::kernel::metrics::{Counters, Tracker};
use crate::engine::kernel::traces::TraceCounters;
use crate::engine::kernel::world::Kernel;
use crate::engine::patterns::{AllPatterns, PatternReports};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EndpointReport {
    pub endpoint: String,
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
    pub latency_ms: LatencyMs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceReport {
    pub service: String,
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    pub rejected: u64,
    /// Server-side time (arrival at the instance to the answer leaving it) of successful calls.
    pub latency_ms: LatencyMs,
    /// Average share of the service's workers that were busy over the run.
    #[serde(serialize_with = "crate::engine::core::json::finite")]
    pub utilisation: f64,
}

/// The trace store's totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceReport {
    #[serde(serialize_with = "crate::engine::core::json::finite")]
    pub head_sampling: f64,
    #[serde(flatten)]
    pub counters: TraceCounters,
    /// Traces still open (a span has not ended).
    pub open: usize,
    /// Completed traces the store holds now.
    pub retained: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    pub scenario: String,
    pub seed: u64,
    pub rng: &'static str,
    /// Virtual time the run covered, in seconds.
    #[serde(serialize_with = "crate::engine::core::json::finite")]
    pub virtual_seconds: f64,
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
    pub in_flight: u64,
    /// Of the completed: answered with a fallback somewhere along the way.
    pub degraded: u64,
    /// Latency of successful requests as clients saw them.
    pub latency_ms: LatencyMs,
    /// Successful requests per virtual second.
    #[serde(serialize_with = "crate::engine::core::json::finite")]
    pub throughput_per_s: f64,
    /// Time-averaged number of requests in flight (L in Little's law).
    #[serde(serialize_with = "crate::engine::core::json::finite")]
    pub mean_in_flight: f64,
    /// Per entry endpoint, as clients saw them.
    pub endpoints: Vec<EndpointReport>,
    pub services: Vec<ServiceReport>,
    /// Each pattern's section (`edges` for resilience, `sagas` for the saga), at the top level.
    #[serde(flatten)]
    pub patterns: PatternReports,
    /// The trace store: how many requests were recorded, and what the tail policy kept.
    pub traces: TraceReport,
    pub events_processed: u64,
    pub commands_applied: usize,
    pub trace_hash: String,
}

fn endpoint_report(name: String, tracker: &Tracker) -> EndpointReport {
    let Counters {
        arrived,
        completed,
        failed,
        rejected,
        timed_out,
        ..
    } = tracker.counters;
    EndpointReport {
        endpoint: name,
        arrived,
        completed,
        failed,
        rejected,
        timed_out,
        latency_ms: tracker.summary().into(),
    }
}

impl Kernel<AllPatterns> {
    pub fn report(&self) -> RunReport {
        let scenario = self.scenario();
        let metrics = self.metrics();
        let client = metrics.client.counters;
        let elapsed_s = self.now().as_secs_f64();
        let per_second = |count: f64| {
            if elapsed_s > 0.0 {
                count / elapsed_s
            } else {
                0.0
            }
        };
        let endpoints = scenario
            .workload
            .mix
            .endpoints
            .iter()
            .zip(&metrics.client_by_entry)
            .map(|(endpoint, tracker)| {
                endpoint_report(scenario.endpoint(*endpoint).qualified_name.clone(), tracker)
            })
            .collect();
        let services = scenario
            .services
            .iter()
            .zip(&metrics.services)
            .map(|(service, tracker)| {
                let capacity = f64::from(service.workers) * service.instances.len() as f64;
                let busy_area = tracker.busy.area_until(self.now()) as f64 / 1_000_000.0;
                ServiceReport {
                    service: service.name.clone(),
                    arrived: tracker.counters.arrived,
                    completed: tracker.counters.completed,
                    failed: tracker.counters.failed,
                    rejected: tracker.counters.rejected,
                    latency_ms: tracker.summary().into(),
                    utilisation: per_second(busy_area) / capacity,
                }
            })
            .collect();
        RunReport {
            scenario: scenario.id.clone(),
            seed: self.seed(),
            rng: rng::ALGORITHM,
            virtual_seconds: elapsed_s,
            arrived: client.arrived,
            completed: client.completed,
            failed: client.failed,
            rejected: client.rejected,
            timed_out: client.timed_out,
            in_flight: client.in_flight(),
            degraded: client.degraded,
            latency_ms: metrics.client.summary().into(),
            throughput_per_s: per_second(client.completed as f64),
            mean_in_flight: per_second(
                metrics.client.busy.area_until(self.now()) as f64 / 1_000_000.0,
            ),
            endpoints,
            services,
            patterns: self.pattern_reports(),
            traces: TraceReport {
                head_sampling: self.tracing_settings().head_sampling,
                counters: self.trace_counters(),
                open: self.open_traces(),
                retained: self.retained_traces().len(),
            },
            events_processed: self.events_processed(),
            commands_applied: self.command_log().len(),
            trace_hash: format_hash(self.trace_hash()),
        }
    }
}
