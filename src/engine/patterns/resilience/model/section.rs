//! Resilience's scenario section: `[[policies]]` on caller→callee edges and `rate_limit` on
//! services. Values arrive with units parsed, defaults filled in (Resilience4j's, Envoy's) and
//! ranges checked; then the policies attach to the edges the call graph uses, and the edges with
//! protections and the endpoints of rate-limited services are tagged for resilience's hooks.

use super::Spec;
use super::breaker::{BreakerConfig, BreakerState, WindowKind};
use super::bulkhead::BulkheadConfig;
use super::policy::{EdgePolicy, Fallback};
use super::rate_limit::{ClientLimiterConfig, ServerLimiterConfig};
use super::retry::{Backoff, RetryBudget, RetryConfig};
use crate::engine::core::ids::ServiceId;
use crate::engine::core::status::Status;
use crate::engine::core::time::SimDuration;
use crate::engine::scenario::problems::{Problems, not_found_hint};
use crate::engine::scenario::read::{Fields, Named};
use crate::engine::scenario::registry::PatternId;
use crate::engine::scenario::sections::{CoreModel, Section};

/// A `[[policies]]` table with its names still unresolved.
#[derive(Clone, Debug, Default)]
pub struct RawPolicy {
    pub path: String,
    pub from: Option<Named>,
    pub to: Option<Named>,
    pub timeout: Option<SimDuration>,
    pub retry: Option<RetryConfig>,
    pub circuit_breaker: Option<BreakerConfig>,
    pub bulkhead: Option<BulkheadConfig>,
    pub rate_limiter: Option<ClientLimiterConfig>,
    pub fallback: Option<Fallback>,
}

/// Picks one of `choices` by name, reporting a misspelling with a suggestion.
fn choose<T: Copy>(
    named: &Named,
    what: &str,
    choices: &[(&str, T)],
    problems: &mut Problems,
) -> Option<T> {
    match choices.iter().find(|(key, _)| *key == named.value) {
        Some((_, value)) => Some(*value),
        None => {
            let hint = not_found_hint(&named.value, choices.iter().map(|(k, _)| *k));
            problems.add(
                named.path.clone(),
                format!("{what} \"{}\" not found{hint}", named.value),
            );
            None
        }
    }
}

fn count(
    fields: &mut Fields<'_>,
    key: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
    problems: &mut Problems,
) -> u32 {
    match fields.integer(key, problems) {
        None => default,
        Some(value)
            if value >= 0 && range.contains(&(value as u32)) && value <= i64::from(u32::MAX) =>
        {
            value as u32
        }
        Some(value) => {
            problems.add(
                fields.at(key),
                format!(
                    "must be from {} to {}, got {value}",
                    range.start(),
                    range.end()
                ),
            );
            default
        }
    }
}

fn percent(
    fields: &mut Fields<'_>,
    key: &'static str,
    default: f64,
    problems: &mut Problems,
) -> f64 {
    match fields.number(key, problems) {
        None => default,
        Some(value) if (0.0..=100.0).contains(&value) => value,
        Some(value) => {
            problems.add(
                fields.at(key),
                format!("a percentage from 0 to 100, got {value}"),
            );
            default
        }
    }
}

fn positive_duration(
    fields: &mut Fields<'_>,
    key: &'static str,
    default: SimDuration,
    problems: &mut Problems,
) -> SimDuration {
    match fields.duration(key, problems) {
        None => default,
        Some(SimDuration(0)) => {
            problems.add(fields.at(key), "must be above zero");
            default
        }
        Some(value) => value,
    }
}

const STATUS_NAMES: [(&str, Status); 7] = [
    ("error", Status::Error),
    ("rejected", Status::Rejected),
    ("unavailable", Status::Unavailable),
    ("reset", Status::Reset),
    ("timeout", Status::Timeout),
    ("downstream_error", Status::DownstreamError),
    ("network_error", Status::NetworkError),
];

fn read_retry(mut fields: Fields<'_>, problems: &mut Problems) -> RetryConfig {
    let defaults = RetryConfig::default();
    let backoff = fields
        .named("backoff", problems)
        .and_then(|named| {
            choose(
                &named,
                "backoff",
                &[
                    ("fixed", Backoff::Fixed),
                    ("exponential", Backoff::Exponential),
                ],
                problems,
            )
        })
        .unwrap_or(defaults.backoff);
    let multiplier = match fields.number("multiplier", problems) {
        None => defaults.multiplier,
        Some(m) if (1.0..=10.0).contains(&m) => m,
        Some(m) => {
            problems.add(
                fields.at("multiplier"),
                format!("must be from 1 to 10, got {m}"),
            );
            defaults.multiplier
        }
    };
    let jitter = match fields.number("jitter", problems) {
        None => defaults.jitter,
        Some(j) if (0.0..=1.0).contains(&j) => j,
        Some(j) => {
            problems.add(fields.at("jitter"), format!("must be from 0 to 1, got {j}"));
            0.0
        }
    };
    let mut retry_on = defaults.retry_on.clone();
    let retry_on_names = fields.names("retry_on", problems);
    if fields.table.contains_key("retry_on") {
        retry_on = retry_on_names
            .iter()
            .filter_map(|named| {
                let extended: Vec<(&str, Status)> = STATUS_NAMES
                    .iter()
                    .copied()
                    .chain([
                        ("short_circuited", Status::ShortCircuited),
                        ("bulkhead_full", Status::BulkheadFull),
                        ("rate_limited", Status::RateLimited),
                    ])
                    .collect();
                choose(named, "outcome", &extended, problems)
            })
            .collect();
    }
    let budget = fields.table("budget", problems).map(|mut budget| {
        let percent = percent(&mut budget, "percent", 20.0, problems);
        let min_per_second = match budget.number("min_per_second", problems) {
            None => 1.0,
            Some(m) if (0.0..=1_000_000.0).contains(&m) => m,
            Some(m) => {
                problems.add(
                    budget.at("min_per_second"),
                    format!("must be from 0 to 1000000, got {m}"),
                );
                1.0
            }
        };
        budget.finish(problems);
        RetryBudget {
            percent,
            min_per_second,
        }
    });
    let config = RetryConfig {
        max_attempts: count(
            &mut fields,
            "max_attempts",
            defaults.max_attempts,
            1..=20,
            problems,
        ),
        wait: fields.duration("wait", problems).unwrap_or(defaults.wait),
        backoff,
        multiplier,
        max_wait: fields.duration("max_wait", problems),
        jitter,
        retry_on,
        honour_retry_after: fields
            .boolean("honour_retry_after", problems)
            .unwrap_or(defaults.honour_retry_after),
        budget,
    };
    fields.finish(problems);
    config
}

fn read_breaker(mut fields: Fields<'_>, problems: &mut Problems) -> BreakerConfig {
    let defaults = BreakerConfig::default();
    let window = fields
        .named("window", problems)
        .and_then(|named| {
            choose(
                &named,
                "window",
                &[("count", WindowKind::Count), ("time", WindowKind::Time)],
                problems,
            )
        })
        .unwrap_or(defaults.window);
    let state_names = [
        ("closed", BreakerState::Closed),
        ("open", BreakerState::Open),
        ("forced_open", BreakerState::ForcedOpen),
        ("disabled", BreakerState::Disabled),
        ("metrics_only", BreakerState::MetricsOnly),
    ];
    let initial_state = fields
        .named("state", problems)
        .and_then(|named| {
            let state = choose(&named, "breaker state", &state_names, problems)?;
            if state == BreakerState::Open {
                problems.add(
                    named.path.clone(),
                    "a breaker starts closed, forced_open, disabled or metrics_only",
                );
                return None;
            }
            Some(state)
        })
        .unwrap_or(defaults.initial_state);
    let after_max_wait = fields
        .named("after_max_wait", problems)
        .and_then(|named| {
            choose(
                &named,
                "state",
                &[
                    ("open", BreakerState::Open),
                    ("closed", BreakerState::Closed),
                ],
                problems,
            )
        })
        .unwrap_or(defaults.after_max_wait);
    let wait_multiplier = match fields.number("wait_multiplier", problems) {
        None => defaults.wait_multiplier,
        Some(m) if (1.0..=10.0).contains(&m) => m,
        Some(m) => {
            problems.add(
                fields.at("wait_multiplier"),
                format!("must be from 1 to 10, got {m}"),
            );
            1.0
        }
    };
    let config = BreakerConfig {
        failure_rate_threshold: percent(
            &mut fields,
            "failure_rate",
            defaults.failure_rate_threshold,
            problems,
        ),
        slow_call_rate_threshold: percent(
            &mut fields,
            "slow_call_rate",
            defaults.slow_call_rate_threshold,
            problems,
        ),
        slow_call_duration: positive_duration(
            &mut fields,
            "slow_call_duration",
            defaults.slow_call_duration,
            problems,
        ),
        window,
        window_size: count(
            &mut fields,
            "window_size",
            defaults.window_size,
            1..=10_000,
            problems,
        ),
        minimum_calls: count(
            &mut fields,
            "minimum_calls",
            defaults.minimum_calls,
            1..=10_000,
            problems,
        ),
        permitted_in_half_open: count(
            &mut fields,
            "permitted_in_half_open",
            defaults.permitted_in_half_open,
            1..=10_000,
            problems,
        ),
        wait_in_open: match fields.duration("wait_in_open", problems) {
            None => defaults.wait_in_open,
            // Resilience4j counts this wait in whole milliseconds and refuses less than one.
            Some(wait) if wait.0 < 1_000 => {
                problems.add(fields.at("wait_in_open"), "must be at least 1ms");
                defaults.wait_in_open
            }
            Some(wait) => wait,
        },
        wait_multiplier,
        automatic_transition: fields
            .boolean("automatic_transition", problems)
            .unwrap_or(defaults.automatic_transition),
        max_wait_in_half_open: fields
            .duration("max_wait_in_half_open", problems)
            .unwrap_or(defaults.max_wait_in_half_open),
        after_max_wait,
        initial_state,
    };
    fields.finish(problems);
    config
}

fn read_bulkhead(mut fields: Fields<'_>, problems: &mut Problems) -> Option<BulkheadConfig> {
    let kind = fields.named("kind", problems);
    let kind = match &kind {
        None => "semaphore",
        Some(named) => choose(
            named,
            "bulkhead kind",
            &[("semaphore", "semaphore"), ("thread_pool", "thread_pool")],
            problems,
        )?,
    };
    let config = if kind == "semaphore" {
        let BulkheadConfig::Semaphore {
            max_concurrent,
            max_wait,
        } = BulkheadConfig::semaphore_default()
        else {
            return None;
        };
        BulkheadConfig::Semaphore {
            max_concurrent: count(
                &mut fields,
                "max_concurrent",
                max_concurrent,
                1..=100_000,
                problems,
            ),
            max_wait: fields.duration("max_wait", problems).unwrap_or(max_wait),
        }
    } else {
        let BulkheadConfig::ThreadPool {
            core,
            max,
            queue_capacity,
        } = BulkheadConfig::thread_pool_default()
        else {
            return None;
        };
        let core = count(&mut fields, "core", core, 1..=100_000, problems);
        let max = count(&mut fields, "max", max.max(core), 1..=100_000, problems);
        if max < core {
            problems.add(
                fields.at("max"),
                format!("must be at least core ({core}), got {max}"),
            );
        }
        BulkheadConfig::ThreadPool {
            core,
            max: max.max(core),
            queue_capacity: count(
                &mut fields,
                "queue",
                queue_capacity,
                0..=1_000_000,
                problems,
            ),
        }
    };
    fields.finish(problems);
    Some(config)
}

fn read_client_limiter(mut fields: Fields<'_>, problems: &mut Problems) -> ClientLimiterConfig {
    let defaults = ClientLimiterConfig::default();
    let config = ClientLimiterConfig {
        limit_for_period: count(
            &mut fields,
            "limit_for_period",
            defaults.limit_for_period,
            1..=1_000_000,
            problems,
        ),
        refresh_period: positive_duration(
            &mut fields,
            "refresh_period",
            defaults.refresh_period,
            problems,
        ),
        timeout: fields
            .duration("timeout", problems)
            .unwrap_or(defaults.timeout),
    };
    fields.finish(problems);
    config
}

/// `rate_limit` on a service: how the service itself sheds load with 429s.
fn read_server_limiter(
    mut fields: Fields<'_>,
    problems: &mut Problems,
) -> Option<ServerLimiterConfig> {
    let kind = match fields.named("kind", problems) {
        None => {
            problems.add(
                fields.at("kind"),
                "missing; one of token_bucket, fixed_window, sliding_window",
            );
            return None;
        }
        Some(named) => choose(
            &named,
            "rate limit kind",
            &[
                ("token_bucket", 0),
                ("fixed_window", 1),
                ("sliding_window", 2),
            ],
            problems,
        )?,
    };
    let config = match kind {
        0 => {
            let fill_interval = positive_duration(
                &mut fields,
                "fill_interval",
                SimDuration::from_secs(1),
                problems,
            );
            if fill_interval < SimDuration::from_millis(50) {
                problems.add(fields.at("fill_interval"), "Envoy requires at least 50ms");
            }
            ServerLimiterConfig::TokenBucket {
                max_tokens: count(&mut fields, "max_tokens", 100, 1..=10_000_000, problems),
                tokens_per_fill: count(&mut fields, "tokens_per_fill", 1, 1..=10_000_000, problems),
                fill_interval,
            }
        }
        1 => ServerLimiterConfig::FixedWindow {
            limit: count(&mut fields, "limit", 100, 1..=10_000_000, problems),
            window: positive_duration(&mut fields, "window", SimDuration::from_secs(1), problems),
        },
        _ => ServerLimiterConfig::SlidingWindow {
            limit: count(&mut fields, "limit", 100, 1..=10_000_000, problems),
            window: positive_duration(&mut fields, "window", SimDuration::from_secs(1), problems),
        },
    };
    fields.finish(problems);
    Some(config)
}

/// One `[[policies]]` table.
fn read_policy(mut fields: Fields<'_>, problems: &mut Problems) -> RawPolicy {
    let mut policy = RawPolicy {
        path: fields.path.clone(),
        from: fields.named("from", problems),
        to: fields.named("to", problems),
        ..RawPolicy::default()
    };
    policy.timeout = match fields.duration("timeout", problems) {
        Some(SimDuration(0)) => {
            problems.add(fields.at("timeout"), "must be above zero");
            None
        }
        other => other,
    };
    policy.retry = fields
        .table("retry", problems)
        .map(|t| read_retry(t, problems));
    policy.circuit_breaker = fields
        .table("circuit_breaker", problems)
        .map(|t| read_breaker(t, problems));
    policy.bulkhead = fields
        .table("bulkhead", problems)
        .and_then(|t| read_bulkhead(t, problems));
    policy.rate_limiter = fields
        .table("rate_limiter", problems)
        .map(|t| read_client_limiter(t, problems));
    policy.fallback = fields.table("fallback", problems).and_then(|mut t| {
        let kind = t.named("kind", problems);
        t.finish(problems);
        match kind {
            Some(named) => choose(
                &named,
                "fallback kind",
                &[("static", Fallback::Static), ("cached", Fallback::Cached)],
                problems,
            ),
            None => Some(Fallback::Static),
        }
    });
    fields.finish(problems);
    policy
}

/// What the reader collected: the `[[policies]]` tables and each service's `rate_limit`.
#[derive(Clone, Debug, Default)]
pub struct RawResilience {
    pub policies: Vec<RawPolicy>,
    /// (service number, its limit), for services that have one.
    pub server_limits: Vec<(usize, ServerLimiterConfig)>,
}

impl Section for Spec {
    type Raw = RawResilience;

    fn read_top(raw: &mut RawResilience, top: &mut Fields<'_>, problems: &mut Problems) {
        for fields in top.tables("policies", problems) {
            raw.policies.push(read_policy(fields, problems));
        }
    }

    fn read_service(
        raw: &mut RawResilience,
        service: usize,
        fields: &mut Fields<'_>,
        problems: &mut Problems,
    ) {
        if let Some(limit) = fields
            .table("rate_limit", problems)
            .and_then(|table| read_server_limiter(table, problems))
        {
            raw.server_limits.push((service, limit));
        }
    }

    /// Each `[[policies]]` table attaches to the edge it names; an edge with a protection, and
    /// every endpoint of a service with a rate limit, is tagged for resilience.
    fn validate(raw: &RawResilience, core: &mut CoreModel<'_>, problems: &mut Problems) -> Spec {
        let mut policies: Vec<EdgePolicy> = core
            .edges
            .iter()
            .map(|edge| EdgePolicy::plain(edge.from, edge.to))
            .collect();
        let service_names: Vec<&str> = core.services.iter().map(|s| s.name.as_str()).collect();
        let resolve = |named: &Option<Named>,
                       key: &str,
                       path: &str,
                       problems: &mut Problems|
         -> Option<ServiceId> {
            let Some(named) = named else {
                problems.add(format!("{path}.{key}"), "missing; name a service");
                return None;
            };
            match service_names.iter().position(|n| *n == named.value) {
                Some(index) => Some(ServiceId::from_index(index)),
                None => {
                    let hint = not_found_hint(&named.value, service_names.iter().copied());
                    problems.add(
                        named.path.clone(),
                        format!("service \"{}\" not found{hint}", named.value),
                    );
                    None
                }
            }
        };
        let mut configured: Vec<usize> = Vec::new();
        for raw in &raw.policies {
            let from = resolve(&raw.from, "from", &raw.path, problems);
            let to = resolve(&raw.to, "to", &raw.path, problems);
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            let Some(index) = core.edges.iter().position(|e| e.from == from && e.to == to) else {
                let callees: Vec<&str> = core
                    .edges
                    .iter()
                    .filter(|e| e.from == from)
                    .map(|e| service_names[e.to.index()])
                    .collect();
                let known = if callees.is_empty() {
                    "it calls nothing".to_string()
                } else {
                    format!("it calls {}", callees.join(", "))
                };
                problems.add(
                    raw.path.clone(),
                    format!(
                        "\"{}\" never calls \"{}\", so there is no edge to protect; {known}",
                        service_names[from.index()],
                        service_names[to.index()]
                    ),
                );
                continue;
            };
            if configured.contains(&index) {
                problems.add(
                    raw.path.clone(),
                    "this edge already has a [[policies]] table",
                );
                continue;
            }
            configured.push(index);
            policies[index] = EdgePolicy {
                from,
                to,
                timeout: raw.timeout,
                retry: raw.retry.clone(),
                circuit_breaker: raw.circuit_breaker.clone(),
                bulkhead: raw.bulkhead.clone(),
                rate_limiter: raw.rate_limiter.clone(),
                fallback: raw.fallback,
            };
        }
        for (edge, policy) in core.edges.iter_mut().zip(&policies) {
            if !policy.is_plain() {
                edge.guard = Some(PatternId::Resilience);
            }
        }
        let mut server_limits = vec![None; core.services.len()];
        for (service, limit) in &raw.server_limits {
            if let Some(slot) = server_limits.get_mut(*service) {
                *slot = Some(limit.clone());
            }
        }
        for (service, limit) in core.services.iter().zip(&server_limits) {
            if limit.is_some() {
                for endpoint in &service.endpoints {
                    let arrival = &mut core.endpoints[endpoint.index()].arrival;
                    *arrival = arrival.with(PatternId::Resilience);
                }
            }
        }
        Spec {
            policies,
            server_limits,
        }
    }
}
