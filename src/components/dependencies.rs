//! The circuit grid, in the spirit of the Hystrix dashboard: one compact cell per call edge of
//! the selected service (or of the whole scenario) with a circle that grows with the request
//! rate and turns from green to red with the error rate, the breaker's state (colour, icon and
//! word), rolling counters, latency percentiles and a two-minute sparkline — and the live knobs
//! that change its protections.

use super::{Local, Shared, format_ms};
use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::app::state::{Action, LiveView};
use crate::engine::Scenario;
use crate::engine::ids::{EdgeId, ServiceId};
use crate::engine::resilience::{BreakerState, Fallback, PolicyChange};
use crate::engine::resilience::{BulkheadConfig, EdgePolicy};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The word for a breaker state in the user's language.
pub fn breaker_word(lang: Lang, state: BreakerState) -> &'static str {
    tr(
        lang,
        match state {
            BreakerState::Closed => Msg::BreakerClosed,
            BreakerState::Open => Msg::BreakerOpen,
            BreakerState::HalfOpen => Msg::BreakerHalfOpen,
            BreakerState::Disabled => Msg::BreakerDisabled,
            BreakerState::ForcedOpen => Msg::BreakerForcedOpen,
            BreakerState::MetricsOnly => Msg::BreakerMetricsOnly,
        },
    )
}

/// A small icon per breaker state (filled: closed; ring: open; half: half-open; …), drawn at
/// (x, y) with radius r, in SVG user units.
pub fn breaker_icon(state: BreakerState, x: f64, y: f64, r: f64) -> Html {
    let class = format!("breaker-icon {}", state.key());
    match state {
        BreakerState::Closed => {
            html! { <circle class={class} cx={x.to_string()} cy={y.to_string()} r={r.to_string()} /> }
        }
        BreakerState::Open | BreakerState::ForcedOpen => html! {
            <g class={class}>
                <circle cx={x.to_string()} cy={y.to_string()} r={r.to_string()} />
                <path d={format!("M{} {} L{} {}", x - r * 0.7, y + r * 0.7, x + r * 0.7, y - r * 0.7)} />
            </g>
        },
        BreakerState::HalfOpen => html! {
            <g class={class}>
                <circle cx={x.to_string()} cy={y.to_string()} r={r.to_string()} />
                <path d={format!("M{x} {} A{r} {r} 0 0 1 {x} {} Z", y - r, y + r)} class="half" />
            </g>
        },
        BreakerState::Disabled | BreakerState::MetricsOnly => html! {
            <circle class={class} cx={x.to_string()} cy={y.to_string()} r={r.to_string()} />
        },
    }
}

/// Hystrix's health colour for an error percentage: green, yellow, orange, red.
pub fn health_class(error_percentage: f64) -> &'static str {
    if error_percentage < 1.0 {
        "health-good"
    } else if error_percentage < 10.0 {
        "health-warn"
    } else if error_percentage < 25.0 {
        "health-poor"
    } else {
        "health-bad"
    }
}

fn sparkline(points: &[u64]) -> Html {
    const W: f64 = 120.0;
    const H: f64 = 28.0;
    let max = points.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = W / (points.len().max(2) - 1) as f64;
    let path: String = points
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            format!(
                "{}{:.1} {:.1}",
                if i == 0 { "M" } else { " L" },
                i as f64 * step,
                H - v as f64 / max * (H - 2.0) - 1.0
            )
        })
        .collect();
    html! {
        <svg class="sparkline" viewBox={format!("0 0 {W} {H}")} aria-hidden="true" focusable="false">
            <path d={path} />
        </svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct KnobsProps {
    pub lang: Lang,
    pub edge: EdgeId,
    pub policy: EdgePolicy,
    pub on_action: Callback<Action>,
}

/// Live knobs for one edge. Numbers apply when the field is left (or Enter is pressed).
#[component]
pub fn Knobs(props: &KnobsProps) -> Html {
    let lang = props.lang;
    let edge = props.edge;
    let policy = &props.policy;
    let send = |make: fn(&str) -> Option<PolicyChange>| {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Some(change) = make(input.value().trim()) {
                on_action.emit(Action::SetPolicy(edge, change));
            }
        })
    };
    let timeout = send(|text| match text {
        "" => Some(PolicyChange::TimeoutUs(None)),
        text => text
            .parse::<f64>()
            .ok()
            .filter(|v| *v > 0.0 && *v <= 3_600_000.0)
            .map(|ms| PolicyChange::TimeoutUs(Some((ms * 1_000.0) as u64))),
    });
    let attempts = send(|text| text.parse::<u32>().ok().map(PolicyChange::RetryMaxAttempts));
    let failure_rate = send(|text| {
        text.parse::<f64>()
            .ok()
            .map(PolicyChange::BreakerFailureRate)
    });
    let minimum_calls = send(|text| {
        text.parse::<u32>()
            .ok()
            .map(PolicyChange::BreakerMinimumCalls)
    });
    let wait_in_open = send(|text| {
        text.parse::<f64>()
            .ok()
            .filter(|v| *v > 0.0)
            .map(|ms| PolicyChange::BreakerWaitInOpenUs((ms * 1_000.0) as u64))
    });
    let bulkhead = send(|text| match text {
        "" => Some(PolicyChange::BulkheadMaxConcurrent(None)),
        text => text
            .parse::<u32>()
            .ok()
            .map(|n| PolicyChange::BulkheadMaxConcurrent(Some(n))),
    });
    let rate_limit = send(|text| match text {
        "" => Some(PolicyChange::RateLimitPerPeriod(None)),
        text => text
            .parse::<u32>()
            .ok()
            .map(|n| PolicyChange::RateLimitPerPeriod(Some(n))),
    });
    let breaker_toggle = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            on_action.emit(Action::SetPolicy(
                edge,
                PolicyChange::BreakerEnabled(input.checked()),
            ));
        })
    };
    let breaker_state = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let state = match select.value().as_str() {
                "forced_open" => BreakerState::ForcedOpen,
                "disabled" => BreakerState::Disabled,
                "metrics_only" => BreakerState::MetricsOnly,
                _ => BreakerState::Closed,
            };
            on_action.emit(Action::SetPolicy(edge, PolicyChange::BreakerState(state)));
        })
    };
    let fallback = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let fallback = match select.value().as_str() {
                "static" => Some(Fallback::Static),
                "cached" => Some(Fallback::Cached),
                _ => None,
            };
            on_action.emit(Action::SetPolicy(edge, PolicyChange::Fallback(fallback)));
        })
    };
    let breaker = policy.circuit_breaker.as_ref();
    let bulkhead_limit = match &policy.bulkhead {
        Some(BulkheadConfig::Semaphore { max_concurrent, .. }) => max_concurrent.to_string(),
        Some(BulkheadConfig::ThreadPool { max, .. }) => max.to_string(),
        None => String::new(),
    };
    let id = |name: &str| format!("knob-{}-{name}", edge.0);
    html! {
        <details class="knobs">
            <summary title={tr(lang, Msg::Knobs)}><span aria-hidden="true">{ "⚙ " }</span>{ tr(lang, Msg::KnobsShort) }</summary>
            <h6>{ tr(lang, Msg::Knobs) }</h6>
            <p class="hint">{ tr(lang, Msg::KnobsHint) }</p>
            <div class="knob-grid">
                <label for={id("timeout")}>{ tr(lang, Msg::KnobTimeout) }</label>
                <input id={id("timeout")} type="number" min="1" step="1" placeholder={tr(lang, Msg::KnobOff)}
                    value={policy.timeout.map(|t| (t.0 / 1_000).to_string()).unwrap_or_default()} onchange={timeout} />
                <label for={id("attempts")}>{ tr(lang, Msg::KnobAttempts) }</label>
                <input id={id("attempts")} type="number" min="1" max="20" step="1"
                    value={policy.retry.as_ref().map_or(1, |r| r.max_attempts).to_string()} onchange={attempts} />
                <label for={id("breaker")}>{ tr(lang, Msg::KnobBreaker) }</label>
                <input id={id("breaker")} type="checkbox" checked={breaker.is_some()} onchange={breaker_toggle} />
                if let Some(config) = breaker {
                    <label for={id("failure")}>{ tr(lang, Msg::KnobFailureRate) }</label>
                    <input id={id("failure")} type="number" min="1" max="100" step="1"
                        value={config.failure_rate_threshold.to_string()} onchange={failure_rate} />
                    <label for={id("minimum")}>{ tr(lang, Msg::KnobMinimumCalls) }</label>
                    <input id={id("minimum")} type="number" min="1" max="10000" step="1"
                        value={config.minimum_calls.to_string()} onchange={minimum_calls} />
                    <label for={id("wait")}>{ tr(lang, Msg::KnobWaitInOpen) }</label>
                    <input id={id("wait")} type="number" min="1" step="100"
                        value={(config.wait_in_open.0 / 1_000).to_string()} onchange={wait_in_open} />
                    <label for={id("state")}>{ tr(lang, Msg::KnobBreakerState) }</label>
                    <select id={id("state")} onchange={breaker_state}>
                        <option value="closed">{ tr(lang, Msg::BreakerClosed) }</option>
                        <option value="forced_open">{ tr(lang, Msg::BreakerForcedOpen) }</option>
                        <option value="disabled">{ tr(lang, Msg::BreakerDisabled) }</option>
                        <option value="metrics_only">{ tr(lang, Msg::BreakerMetricsOnly) }</option>
                    </select>
                }
                <label for={id("bulkhead")}>{ tr(lang, Msg::KnobBulkhead) }</label>
                <input id={id("bulkhead")} type="number" min="1" step="1" placeholder={tr(lang, Msg::KnobOff)}
                    value={bulkhead_limit} onchange={bulkhead} />
                <label for={id("limit")}>{ tr(lang, Msg::KnobRateLimit) }</label>
                <input id={id("limit")} type="number" min="1" step="1" placeholder={tr(lang, Msg::KnobOff)}
                    value={policy.rate_limiter.as_ref().map(|l| l.limit_for_period.to_string()).unwrap_or_default()} onchange={rate_limit} />
                <label for={id("fallback")}>{ tr(lang, Msg::KnobFallback) }</label>
                <select id={id("fallback")} onchange={fallback}>
                    <option value="none" selected={policy.fallback.is_none()}>{ tr(lang, Msg::KnobOff) }</option>
                    <option value="static" selected={policy.fallback == Some(Fallback::Static)}>{ tr(lang, Msg::FallbackStatic) }</option>
                    <option value="cached" selected={policy.fallback == Some(Fallback::Cached)}>{ tr(lang, Msg::FallbackCached) }</option>
                </select>
            </div>
        </details>
    }
}

#[derive(Properties, PartialEq)]
pub struct DependenciesProps {
    pub lang: Lang,
    pub scenario: Shared<Scenario>,
    pub live: Local<LiveView>,
    /// The service whose calls are shown; `None` shows every circuit of the scenario.
    pub service: Option<ServiceId>,
    pub on_action: Callback<Action>,
}

/// Every circuit (call edge) of one service, or of the whole scenario, as a compact grid of
/// cells like the Hystrix dashboard's: one cell per edge, a few lines each, so that a dozen
/// circuits are seen at once instead of a column of tall cards.
#[component]
pub fn Dependencies(props: &DependenciesProps) -> Html {
    let lang = props.lang;
    let scenario = &props.scenario.0;
    let live: &LiveView = &props.live.0;
    // A service's panel can widen to the whole scenario (and back) without losing the station.
    let whole_scenario = use_state_eq(|| false);
    let scope = if *whole_scenario { None } else { props.service };
    let edges: Vec<EdgeId> = scenario
        .edges
        .iter()
        .enumerate()
        .filter(|(_, e)| scope.is_none_or(|service| e.from == service))
        .map(|(i, _)| EdgeId::from_index(i))
        .collect();
    let scope_switch = props.service.map(|_| {
        let choose = |whole: bool| {
            let whole_scenario = whole_scenario.clone();
            Callback::from(move |_: MouseEvent| whole_scenario.set(whole))
        };
        html! {
            <div class="circuit-scope" role="group" aria-label={tr(lang, Msg::CircuitScope)}>
                <button aria-pressed={(!*whole_scenario).to_string()} onclick={choose(false)}>{ tr(lang, Msg::CircuitsThisService) }</button>
                <button aria-pressed={whole_scenario.to_string()} onclick={choose(true)} data-testid="all-circuits">
                    { fill(lang, Msg::CircuitsAll, &[&scenario.edges.len().to_string()]) }
                </button>
            </div>
        }
    });
    let cells = edges.iter().map(|&edge| {
        let policy = scenario.edge_policy(edge);
        let caller = scenario.service(scenario.edges[edge.index()].from);
        let callee = scenario.service(policy.to);
        let resilience = &live.patterns.resilience;
        let view = resilience.edges.get(edge.index());
        let rolling = resilience.rolling.get(edge.index()).copied().unwrap_or_default();
        let sparkline_points = resilience.sparklines.get(edge.index()).cloned().unwrap_or_default();
        let (last, summary) = resilience.latency.get(edge.index()).copied().unwrap_or_default();
        let rate = rolling.calls as f64 / 10.0;
        let error = rolling.error_percentage();
        let radius = (5.0 + rate.sqrt() * 2.0).min(17.0);
        let live_policy = resilience.policies.get(edge.index()).cloned().unwrap_or_else(|| policy.clone());
        let breaker = view.and_then(|v| v.breaker);
        // Hystrix's counters, each with its word (never its colour alone).
        let counts = [
            (Msg::CountSuccess, rolling.success, "ok"),
            (Msg::CountFallback, rolling.fallback_served, "fallback"),
            (Msg::CountShortCircuited, rolling.short_circuited, "short"),
            (Msg::CountBulkhead, rolling.bulkhead_rejected, "bulkhead"),
            (Msg::CountRateLimited, rolling.rate_limited, "limited"),
            (Msg::CountTimeout, rolling.timeout, "timeout"),
            (Msg::CountFailure, rolling.failure, "failure"),
            (Msg::CountRetries, rolling.retries, "retries"),
        ];
        let name = if scope.is_none() {
            format!("{} → {}", caller.label.in_language(lang.code()), callee.label.in_language(lang.code()))
        } else {
            format!("→ {}", callee.label.in_language(lang.code()))
        };
        html! {
            <section class="dependency" key={edge.0} data-testid="dependency" aria-label={name.clone()}>
                <div class="dependency-head">
                    <svg class="health" viewBox="-18 -18 36 36" aria-hidden="true" focusable="false">
                        <circle r={format!("{radius:.1}")} class={health_class(error)} />
                    </svg>
                    <div class="dependency-name">
                        <h5>{ name }</h5>
                        <p class="dependency-rate">
                            <strong>{ format!("{rate:.1}/s") }</strong>
                            { " · " }
                            <span class={health_class(error)}>{ format!("{error:.1} % {}", tr(lang, Msg::ErrorRate)) }</span>
                        </p>
                    </div>
                </div>
                if let Some(breaker) = breaker {
                    <span class={classes!("breaker-chip", breaker.state.key())} data-testid="breaker-state" data-state={breaker.state.key()}
                          title={tr(lang, Msg::CircuitBreaker)}>
                        <svg viewBox="-8 -8 16 16" aria-hidden="true" focusable="false">{ breaker_icon(breaker.state, 0.0, 0.0, 6.0) }</svg>
                        { breaker_word(lang, breaker.state) }
                    </span>
                }
                // The counters that are not zero (success always), each a number with its word.
                <dl class="rolling" aria-label={tr(lang, Msg::Last10s)} title={tr(lang, Msg::Last10s)}>
                    { for counts.iter().filter(|(_, n, class)| *n > 0 || *class == "ok").map(|(msg, n, class)| html! {
                        <div class={*class}><dd>{ n }</dd><dt>{ tr(lang, *msg) }</dt></div>
                    }) }
                </dl>
                // One row per window; a window in which nothing completed shows no percentile at
                // all (never 0).
                <table class="latency-table">
                    <caption class="visually-hidden">{ format!("{} ({})", tr(lang, Msg::Latency), tr(lang, Msg::Milliseconds)) }</caption>
                    <tr><th></th><th scope="col">{ "p50" }</th><th scope="col">{ "p99" }</th><th></th></tr>
                    <tr data-testid="latency-last-second"
                        title={last.filter(|p| p.completed > 0).map(|p| format!("p95 {} {}", format_ms(p.latency_p95_us), tr(lang, Msg::Milliseconds)))}>
                        <th scope="row">{ tr(lang, Msg::LatencyLastSecond) }</th>
                        { match last.filter(|p| p.completed > 0) {
                            Some(p) => html! { <>
                                <td>{ format_ms(p.latency_p50_us) }</td><td>{ format_ms(p.latency_p99_us) }</td><td>{ tr(lang, Msg::Milliseconds) }</td>
                            </> },
                            None => html! { <td colspan="3">{ tr(lang, Msg::NoneCompleted) }</td> },
                        } }
                    </tr>
                    <tr data-testid="latency-whole-run"
                        title={(summary.count > 0).then(|| format!("p90 {} {}", format_ms(summary.p90_us), tr(lang, Msg::Milliseconds)))}>
                        <th scope="row">{ tr(lang, Msg::LatencyWholeRun) }</th>
                        if summary.count > 0 {
                            <td>{ format_ms(summary.p50_us) }</td><td>{ format_ms(summary.p99_us) }</td><td>{ tr(lang, Msg::Milliseconds) }</td>
                        } else {
                            <td colspan="3">{ tr(lang, Msg::NoneCompleted) }</td>
                        }
                    </tr>
                </table>
                <div class="cell-foot">
                    <span class="sparkline-row" title={tr(lang, Msg::Sparkline)}>{ sparkline(&sparkline_points) }</span>
                    <Knobs lang={lang} edge={edge} policy={live_policy} on_action={props.on_action.clone()} />
                </div>
            </section>
        }
    });
    html! {
        <section class="dependencies" aria-label={tr(lang, Msg::Dependencies)} data-testid="circuits">
            <h4>{ tr(lang, if props.service.is_some() { Msg::Dependencies } else { Msg::AllCircuits }) }</h4>
            <p class="hint">{ tr(lang, if scope.is_some() { Msg::DependenciesHint } else { Msg::AllCircuitsHint }) }</p>
            { scope_switch.unwrap_or_default() }
            if edges.is_empty() {
                <p class="hint">{ tr(lang, if scope.is_some() { Msg::NoDependencies } else { Msg::NoCircuits }) }</p>
            } else {
                <div class="circuit-grid">{ for cells }</div>
            }
        </section>
    }
}
