//! The saga's scenario section: `[[sagas]]` with their steps, pivot and compensation retry, and
//! `observes_saga` on endpoints that read a saga's records. Validated once endpoints resolve: a
//! saga's start endpoint is tagged so its handler is the saga's, and an observing endpoint so the
//! saga sees each request that reaches it.

use super::{CompensationRetry, SagaMode, SagaSpec, SagaStep, Spec};
use crate::engine::core::ids::{EndpointId, SagaId};
use crate::engine::core::text::Text;
use crate::engine::core::time::SimDuration;
use crate::engine::scenario::model::Endpoint;
use crate::engine::scenario::problems::{Problems, not_found_hint};
use crate::engine::scenario::read::{Fields, Named, RawText};
use crate::engine::scenario::registry::PatternId;
use crate::engine::scenario::sections::{CoreModel, Section};

/// What the reader collected: the `[[sagas]]` tables and each observing endpoint's saga name.
#[derive(Clone, Debug, Default)]
pub struct RawSagas {
    pub sagas: Vec<RawSaga>,
    /// (endpoint number, the saga it names).
    pub observers: Vec<(usize, Named)>,
}

/// A `[[sagas]]` table.
#[derive(Clone, Debug, Default)]
pub struct RawSaga {
    pub path: String,
    pub name: Option<String>,
    pub label: Option<RawText>,
    pub start: Option<Named>,
    pub mode: Option<Named>,
    pub retry_initial: Option<SimDuration>,
    pub retry_multiplier: Option<f64>,
    pub retry_max: Option<SimDuration>,
    pub steps: Vec<RawSagaStep>,
}

#[derive(Clone, Debug, Default)]
pub struct RawSagaStep {
    pub path: String,
    pub name: Option<String>,
    pub action: Option<Named>,
    pub compensation: Option<Named>,
    pub pivot: Option<bool>,
    pub timeout: Option<SimDuration>,
}

fn read_saga(mut fields: Fields<'_>, problems: &mut Problems) -> RawSaga {
    let mut saga = RawSaga {
        path: fields.path.clone(),
        name: fields.string("name", problems),
        label: fields.text("label", problems),
        start: fields.named("start", problems),
        mode: fields.named("mode", problems),
        ..RawSaga::default()
    };
    if let Some(mut retry) = fields.table("compensation_retry", problems) {
        saga.retry_initial = retry.duration("initial", problems);
        saga.retry_multiplier = retry.number("multiplier", problems);
        saga.retry_max = retry.duration("max", problems);
        retry.finish(problems);
    }
    for mut step in fields.tables("steps", problems) {
        saga.steps.push(RawSagaStep {
            path: step.path.clone(),
            name: step.string("name", problems),
            action: step.named("action", problems),
            compensation: step.named("compensation", problems),
            pivot: step.boolean("pivot", problems),
            timeout: step.duration("timeout", problems),
        });
        step.finish(problems);
    }
    fields.finish(problems);
    saga
}

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

/// `[[sagas]]` → saga definitions; tags each saga's start endpoint (its handler is the saga's)
/// and each endpoint that observes a saga's locks.
fn validate_sagas(raw: &RawSagas, core: &mut CoreModel<'_>, problems: &mut Problems) -> Spec {
    let endpoints = &mut *core.endpoints;
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
                .map(|t: &RawText| Text {
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
    let mut starts = vec![None; endpoints.len()];
    for saga in &mut sagas {
        if saga.label.en.is_empty() {
            saga.label = Text::english(&saga.name);
        }
        starts[saga.start.index()] = Some(saga.id);
        endpoints[saga.start.index()].handler = Some(PatternId::Saga);
    }
    // A step may not start a saga itself (no nested sagas).
    for saga in &sagas {
        for step in &saga.steps {
            for endpoint in std::iter::once(step.action).chain(step.compensation) {
                if starts[endpoint.index()].is_some() {
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
    let mut observes = vec![None; endpoints.len()];
    for (endpoint, named) in &raw.observers {
        let Some(observer) = endpoints.get_mut(*endpoint) else {
            continue;
        };
        {
            match sagas.iter().find(|s| s.name == named.value) {
                Some(saga) => {
                    observes[*endpoint] = Some(saga.id);
                    observer.arrival = observer.arrival.with(PatternId::Saga);
                }
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
    Spec {
        sagas,
        starts,
        observes,
    }
}

impl Section for Spec {
    type Raw = RawSagas;

    fn read_top(raw: &mut RawSagas, top: &mut Fields<'_>, problems: &mut Problems) {
        for fields in top.tables("sagas", problems) {
            raw.sagas.push(read_saga(fields, problems));
        }
    }

    fn read_endpoint(
        raw: &mut RawSagas,
        endpoint: usize,
        fields: &mut Fields<'_>,
        problems: &mut Problems,
    ) {
        if let Some(named) = fields.named("observes_saga", problems) {
            raw.observers.push((endpoint, named));
        }
    }

    fn validate(raw: &RawSagas, core: &mut CoreModel<'_>, problems: &mut Problems) -> Spec {
        validate_sagas(raw, core, problems)
    }
}

impl crate::engine::scenario::model::Scenario {
    /// The scenario's sagas.
    pub fn sagas(&self) -> &[SagaSpec] {
        &self.patterns.saga.sagas
    }
}
