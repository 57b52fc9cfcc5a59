//! The run report: what `lokal-cli run` prints, as plain data (its `--json` form uses these names).

use super::core::histogram::LatencySummary;
use super::core::rng;
use super::events::format_hash;
use super::metrics::{Counters, Tracker};
use super::sim::Engine;
use serde::Serialize;

/// Milliseconds with the precision a reader wants: `1.25`, `12.5`, `125`.
pub fn format_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// Latency figures in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencyMs {
    #[serde(serialize_with = "super::core::json::finite")]
    pub mean: f64,
    #[serde(serialize_with = "super::core::json::finite")]
    pub p50: f64,
    #[serde(serialize_with = "super::core::json::finite")]
    pub p90: f64,
    #[serde(serialize_with = "super::core::json::finite")]
    pub p95: f64,
    #[serde(serialize_with = "super::core::json::finite")]
    pub p99: f64,
    #[serde(serialize_with = "super::core::json::finite")]
    pub p99_9: f64,
    #[serde(serialize_with = "super::core::json::finite")]
    pub max: f64,
}

impl From<LatencySummary> for LatencyMs {
    fn from(summary: LatencySummary) -> LatencyMs {
        let ms = |us: u64| us as f64 / 1_000.0;
        LatencyMs {
            mean: summary.mean_us / 1_000.0,
            p50: ms(summary.p50_us),
            p90: ms(summary.p90_us),
            p95: ms(summary.p95_us),
            p99: ms(summary.p99_us),
            p99_9: ms(summary.p999_us),
            max: ms(summary.max_us),
        }
    }
}

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
    #[serde(serialize_with = "super::core::json::finite")]
    pub utilisation: f64,
}

/// One caller→callee edge, counted like Hystrix: how its logical calls ended (success,
/// fallback, failed) and what happened to their attempts (errors, timeouts, short-circuits, …).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EdgeReport {
    pub edge: String,
    pub calls: u64,
    pub success: u64,
    pub failed: u64,
    pub failure: u64,
    pub timeout: u64,
    pub short_circuited: u64,
    pub bulkhead_rejected: u64,
    pub rate_limited: u64,
    pub fallback_served: u64,
    pub retries: u64,
    pub attempts_sent: u64,
    /// Hystrix's error percentage (short-circuited calls left out).
    #[serde(serialize_with = "super::core::json::finite")]
    pub error_percentage: f64,
    /// The breaker's state at the end of the run, if the edge has one.
    pub breaker_state: Option<&'static str>,
    pub breaker_transitions: Vec<BreakerTransitionReport>,
    /// Latency of successful (and fallback) logical calls, retries included.
    pub latency_ms: LatencyMs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerTransitionReport {
    #[serde(serialize_with = "super::core::json::finite")]
    pub at_s: f64,
    pub from: &'static str,
    pub to: &'static str,
    pub reason: super::resilience::TransitionReason,
}

/// A saga definition's runs: how they ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SagaReport {
    pub saga: String,
    pub started: u64,
    pub completed: u64,
    pub compensated: u64,
    /// Still running when the report was taken.
    pub running: u64,
    pub compensations_run: u64,
    pub retries: u64,
    pub lock_observations: u64,
}

/// The trace store's totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceReport {
    #[serde(serialize_with = "super::core::json::finite")]
    pub head_sampling: f64,
    #[serde(flatten)]
    pub counters: super::traces::TraceCounters,
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
    #[serde(serialize_with = "super::core::json::finite")]
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
    #[serde(serialize_with = "super::core::json::finite")]
    pub throughput_per_s: f64,
    /// Time-averaged number of requests in flight (L in Little's law).
    #[serde(serialize_with = "super::core::json::finite")]
    pub mean_in_flight: f64,
    /// Per entry endpoint, as clients saw them.
    pub endpoints: Vec<EndpointReport>,
    pub services: Vec<ServiceReport>,
    /// Every caller→callee edge that carried calls.
    pub edges: Vec<EdgeReport>,
    pub sagas: Vec<SagaReport>,
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

impl Engine {
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
        let edges = self
            .edge_views()
            .into_iter()
            .zip(&metrics.edges)
            .filter(|(view, _)| view.counters.calls > 0)
            .map(|(view, tracker)| {
                let c = view.counters;
                EdgeReport {
                    edge: scenario.edge_label(view.edge),
                    calls: c.calls,
                    success: c.success,
                    failed: c.failed,
                    failure: c.failure,
                    timeout: c.timeout,
                    short_circuited: c.short_circuited,
                    bulkhead_rejected: c.bulkhead_rejected,
                    rate_limited: c.rate_limited,
                    fallback_served: c.fallback_served,
                    retries: c.retries,
                    attempts_sent: c.attempts_sent,
                    error_percentage: c.error_percentage(),
                    breaker_state: view.breaker.map(|b| b.state.key()),
                    breaker_transitions: view
                        .transitions
                        .iter()
                        .map(|t| BreakerTransitionReport {
                            at_s: t.at_us as f64 / 1_000_000.0,
                            from: t.from.key(),
                            to: t.to.key(),
                            reason: t.reason,
                        })
                        .collect(),
                    latency_ms: tracker.summary().into(),
                }
            })
            .collect();
        let sagas = scenario
            .sagas
            .iter()
            .zip(self.saga_counters())
            .map(|(saga, c)| SagaReport {
                saga: saga.name.clone(),
                started: c.started,
                completed: c.completed,
                compensated: c.compensated,
                running: c.started - c.completed - c.compensated,
                compensations_run: c.compensations_run,
                retries: c.retries,
                lock_observations: c.lock_observations,
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
            edges,
            sagas,
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
