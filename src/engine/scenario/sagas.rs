//! Validating sagas, per-payment-method variants and tracing settings: the parts of a scenario
//! that refer to endpoints and to the workload's attributes, so they are checked once both exist.

use super::model::*;
use super::problems::{Problems, not_found_hint};
use super::raw::{Named, RawScenario};
use crate::engine::core::ids::{EndpointId, SagaId};
use crate::engine::core::time::SimDuration;

fn resolve_endpoint(
    named: &Named,
    endpoints: &[Endpoint],
    problems: &mut Problems,
) -> Option<EndpointId> {
    let found = endpoints
        .iter()
        .find(|e| e.qualified_name == named.value)
        .map(|e| e.id);
    if found.is_none() {
        let hint = not_found_hint(
            &named.value,
            endpoints.iter().map(|e| e.qualified_name.as_str()),
        );
        problems.add(
            named.path.clone(),
            format!("endpoint \"{}\" not found{hint}", named.value),
        );
    }
    found
}

/// Variants by payment method, resolved against the workload's payment methods.
pub(super) fn attach_variants(
    raw: &RawScenario,
    endpoints: &mut [Endpoint],
    payment_methods: &WeightedNames,
    problems: &mut Problems,
) {
    let raw_endpoints = raw.services.iter().flat_map(|s| s.endpoints.iter());
    for (raw_endpoint, endpoint) in raw_endpoints.zip(endpoints.iter_mut()) {
        for raw_variant in &raw_endpoint.variants {
            let Some(named) = &raw_variant.payment_method else {
                problems.add(
                    format!("{}.payment_method", raw_variant.path),
                    "missing; which payment method, like \"UPI\"?",
                );
                continue;
            };
            let Some(index) = payment_methods.names.iter().position(|n| *n == named.value) else {
                let hint = not_found_hint(
                    &named.value,
                    payment_methods.names.iter().map(String::as_str),
                );
                let known = if payment_methods.is_empty() {
                    "; list it in [workload.attributes] payment_methods first".to_string()
                } else {
                    hint
                };
                problems.add(
                    named.path.clone(),
                    format!("payment method \"{}\" not found{known}", named.value),
                );
                continue;
            };
            let work = match &raw_variant.service_time {
                Some(dist) => super::validate::distribution(dist, problems)
                    .unwrap_or_else(|| endpoint.work.clone()),
                None => endpoint.work.clone(),
            };
            let error_probability = match raw_variant.error_rate {
                None => endpoint.error_probability,
                Some(p) if (0.0..=1.0).contains(&p) => p,
                Some(p) => {
                    problems.add(
                        format!("{}.error_rate", raw_variant.path),
                        format!("must be from 0 to 1, got {p}"),
                    );
                    endpoint.error_probability
                }
            };
            endpoint.variants.push(Variant {
                payment_method: index as u16,
                work,
                error_probability,
            });
        }
    }
}

/// `[[sagas]]` → saga definitions; marks each saga's start endpoint.
pub(super) fn validate_sagas(
    raw: &RawScenario,
    endpoints: &mut [Endpoint],
    problems: &mut Problems,
) -> Vec<SagaSpec> {
    let mut sagas: Vec<SagaSpec> = Vec::new();
    for (index, raw_saga) in raw.sagas.iter().enumerate() {
        let path = &raw_saga.path;
        let id = SagaId::from_index(index);
        let name = match &raw_saga.name {
            Some(name) if !name.trim().is_empty() => name.clone(),
            _ => {
                problems.add(format!("{path}.name"), "missing; every saga needs a name");
                format!("saga{index}")
            }
        };
        if sagas.iter().any(|s| s.name == name) {
            problems.add(
                format!("{path}.name"),
                format!("saga \"{name}\" is defined twice"),
            );
        }
        let mode = match raw_saga.mode.as_ref().map(|m| m.value.as_str()) {
            None | Some("orchestration") => SagaMode::Orchestration,
            Some("choreography") => SagaMode::Choreography,
            Some(other) => {
                let hint = not_found_hint(other, ["orchestration", "choreography"]);
                problems.add(
                    raw_saga
                        .mode
                        .as_ref()
                        .map(|m| m.path.clone())
                        .unwrap_or_default(),
                    format!("saga mode \"{other}\" not found{hint}"),
                );
                SagaMode::Orchestration
            }
        };
        let start = match &raw_saga.start {
            Some(named) => resolve_endpoint(named, endpoints, problems),
            None => {
                problems.add(format!("{path}.start"), "missing; the endpoint whose requests start the saga, like \"checkout.place_order\"");
                None
            }
        };
        if raw_saga.steps.is_empty() {
            problems.add(
                format!("{path}.steps"),
                "a saga needs at least one [[sagas.steps]]",
            );
        }
        let mut steps = Vec::new();
        let mut pivots = Vec::new();
        for (step_index, raw_step) in raw_saga.steps.iter().enumerate() {
            let step_name = raw_step.name.clone().unwrap_or_else(|| {
                problems.add(
                    format!("{}.name", raw_step.path),
                    "missing; every step needs a name",
                );
                format!("step{step_index}")
            });
            let action = match &raw_step.action {
                Some(named) => resolve_endpoint(named, endpoints, problems),
                None => {
                    problems.add(
                        format!("{}.action", raw_step.path),
                        "missing; the endpoint that does the step",
                    );
                    None
                }
            };
            let compensation = raw_step
                .compensation
                .as_ref()
                .and_then(|named| resolve_endpoint(named, endpoints, problems));
            if raw_step.pivot == Some(true) {
                pivots.push(step_index);
            }
            if raw_step.timeout == Some(SimDuration::ZERO) {
                problems.add(format!("{}.timeout", raw_step.path), "must be above zero");
            }
            if let Some(action) = action {
                steps.push(SagaStep {
                    name: step_name,
                    action,
                    compensation,
                    timeout: raw_step.timeout,
                });
            }
        }
        if pivots.len() > 1 {
            problems.add(format!("{path}.steps"), "a saga has at most one pivot step");
        }
        let pivot = pivots
            .first()
            .copied()
            .unwrap_or(raw_saga.steps.len().saturating_sub(1));
        for (step_index, raw_step) in raw_saga.steps.iter().enumerate() {
            if step_index < pivot && raw_step.compensation.is_none() {
                problems.add(
                    format!("{}.compensation", raw_step.path),
                    "missing; a step before the pivot must be compensatable (name the endpoint that undoes it)",
                );
            }
            if step_index >= pivot && raw_step.compensation.is_some() {
                problems.add(
                    format!("{}.compensation", raw_step.path),
                    "the pivot and the steps after it are never compensated (they are retried until they succeed); remove this",
                );
            }
        }
        let initial = raw_saga.retry_initial.unwrap_or(SimDuration::from_secs(1));
        let multiplier = match raw_saga.retry_multiplier {
            None => 2.0,
            Some(m) if (1.0..=10.0).contains(&m) => m,
            Some(m) => {
                problems.add(
                    format!("{path}.compensation_retry.multiplier"),
                    format!("must be from 1 to 10, got {m}"),
                );
                2.0
            }
        };
        let max = raw_saga
            .retry_max
            .unwrap_or(SimDuration(initial.0.saturating_mul(100)));
        if initial.0 == 0 || max < initial {
            problems.add(
                format!("{path}.compensation_retry"),
                "needs 0 < initial ≤ max",
            );
        }
        if let Some(start) = start {
            if !endpoints[start.index()].steps.is_empty() {
                problems.add(
                    raw_saga.start.as_ref().map(|n| n.path.clone()).unwrap_or_default(),
                    "a saga's start endpoint makes no calls of its own (the saga's steps are its calls)",
                );
            }
            if sagas.iter().any(|s| s.start == start) {
                problems.add(
                    format!("{path}.start"),
                    "another saga already starts at this endpoint",
                );
            }
        }
        let (Some(start), true) = (
            start,
            steps.len() == raw_saga.steps.len() && !steps.is_empty(),
        ) else {
            continue;
        };
        sagas.push(SagaSpec {
            id,
            name,
            label: raw_saga
                .label
                .as_ref()
                .map(|t| Text {
                    en: t.en.clone(),
                    hi: t.hi.clone(),
                })
                .unwrap_or_default(),
            start,
            mode,
            steps,
            pivot,
            retry: CompensationRetry {
                initial,
                multiplier,
                max,
            },
        });
    }
    for saga in &mut sagas {
        if saga.label.en.is_empty() {
            saga.label = Text::english(&saga.name);
        }
        endpoints[saga.start.index()].saga = Some(saga.id);
    }
    // A step may not start a saga itself (no nested sagas).
    for saga in &sagas {
        for step in &saga.steps {
            for endpoint in std::iter::once(step.action).chain(step.compensation) {
                if endpoints[endpoint.index()].saga.is_some() {
                    problems.add(
                        format!("sagas (saga {})", saga.name),
                        format!(
                            "step endpoint \"{}\" starts a saga itself; sagas do not nest",
                            endpoints[endpoint.index()].qualified_name
                        ),
                    );
                }
            }
        }
    }
    let raw_endpoints = raw.services.iter().flat_map(|s| s.endpoints.iter());
    for (raw_endpoint, endpoint) in raw_endpoints.zip(endpoints.iter_mut()) {
        if let Some(named) = &raw_endpoint.observes_saga {
            match sagas.iter().find(|s| s.name == named.value) {
                Some(saga) => endpoint.observes_saga = Some(saga.id),
                // A saga that is defined but has problems of its own was reported already.
                None if raw
                    .sagas
                    .iter()
                    .any(|r| r.name.as_deref() == Some(named.value.as_str())) => {}
                None => {
                    let hint = not_found_hint(&named.value, sagas.iter().map(|s| s.name.as_str()));
                    problems.add(
                        named.path.clone(),
                        format!("saga \"{}\" not found{hint}", named.value),
                    );
                }
            }
        }
    }
    sagas
}

pub(super) fn validate_tracing(raw: &RawScenario, problems: &mut Problems) -> TracingSettings {
    let defaults = TracingSettings::default();
    let t = &raw.tracing;
    let share = |value: Option<f64>, key: &str, default: f64, problems: &mut Problems| match value {
        None => default,
        Some(v) if (0.0..=1.0).contains(&v) => v,
        Some(v) => {
            problems.add(
                format!("tracing.{key}"),
                format!("a share from 0 to 1, got {v}"),
            );
            default
        }
    };
    let count = |value: Option<i64>, key: &str, default: u32, min: i64, problems: &mut Problems| {
        match value {
            None => default,
            Some(v) if (min..=10_000).contains(&v) => v as u32,
            Some(v) => {
                problems.add(
                    format!("tracing.{key}"),
                    format!("must be from {min} to 10000, got {v}"),
                );
                default
            }
        }
    };
    TracingSettings {
        head_sampling: share(
            t.head_sampling,
            "head_sampling",
            defaults.head_sampling,
            problems,
        ),
        keep_errors: t.tail_errors.unwrap_or(defaults.keep_errors),
        keep_slower_than: t.tail_slow,
        keep_ratio: share(t.tail_ratio, "keep_ratio", defaults.keep_ratio, problems),
        recent: count(t.recent, "recent", defaults.recent, 1, problems),
        kept: count(t.kept, "kept", defaults.kept, 0, problems),
    }
}
