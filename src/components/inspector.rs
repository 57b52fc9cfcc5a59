//! The inspector: live figures of the selected station's services, the fault toolbar, the faults
//! in force, and the path and timings of a followed request.

use super::dependencies::Dependencies;
use super::{Local, Shared, format_ms};
use crate::app::i18n::{Lang, Msg, fill, group_indian, tr};
use crate::app::player::RequestOutcome;
use crate::app::state::{Action, FaultKind, LiveView};
use crate::engine::Scenario;
use crate::engine::Status;
use crate::engine::command::{CommandSpec, KernelCommandSpec};
use crate::engine::ids::{RequestId, ServiceId, StationId};
use crate::engine::scenario::registry::PatternCommandSpec;
use yew::prelude::*;

pub fn status_text(lang: Lang, status: Status) -> &'static str {
    tr(
        lang,
        match status {
            Status::Ok => Msg::StatusOk,
            Status::Error => Msg::StatusError,
            Status::Rejected => Msg::StatusRejected,
            Status::Unavailable => Msg::StatusUnavailable,
            Status::Reset => Msg::StatusReset,
            Status::Timeout => Msg::StatusTimeout,
            Status::DownstreamError => Msg::StatusDownstream,
            Status::NetworkError => Msg::StatusNetwork,
            Status::ShortCircuited => Msg::StatusShortCircuited,
            Status::BulkheadFull => Msg::StatusBulkheadFull,
            Status::RateLimited => Msg::StatusRateLimited,
        },
    )
}

fn describe_fault(lang: Lang, spec: &CommandSpec) -> String {
    let spec = match spec {
        CommandSpec::Kernel(spec) => spec,
        CommandSpec::Pattern(PatternCommandSpec::Resilience(
            crate::engine::resilience::CommandSpec::SetPolicy { from, to, .. },
        )) => return format!("{from} → {to}"),
        CommandSpec::Pattern(PatternCommandSpec::Saga(never)) => match *never {},
    };
    match spec {
        KernelCommandSpec::Crash {
            service, instance, ..
        } => format!("{} · {service}#{instance}", tr(lang, Msg::Crash)),
        KernelCommandSpec::Restart { service, instance } => {
            format!("{} · {service}#{instance}", tr(lang, Msg::Up))
        }
        KernelCommandSpec::Slow {
            service, factor, ..
        } => format!(
            "{service} · {}",
            fill(lang, Msg::Slowed, &[&format!("{factor:.0}")])
        ),
        KernelCommandSpec::Errors {
            service,
            probability,
            ..
        } => {
            format!(
                "{service} · {}",
                fill(
                    lang,
                    Msg::Failing,
                    &[&format!("{:.0}", probability * 100.0)]
                )
            )
        }
        KernelCommandSpec::Partition { a, b, .. } => format!("{a} ⟂ {b}"),
        KernelCommandSpec::Heal {} => tr(lang, Msg::Heal).to_string(),
    }
}

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub lang: Lang,
    pub scenario: Shared<Scenario>,
    pub seed: u64,
    pub live: Local<LiveView>,
    pub selected_station: Option<StationId>,
    pub selected_service: Option<ServiceId>,
    pub selected_request: Option<RequestId>,
    pub on_action: Callback<Action>,
}

#[component]
pub fn Inspector(props: &InspectorProps) -> Html {
    let lang = props.lang;
    let scenario = &props.scenario.0;
    let live = &props.live.0;
    let fault_button = |kind: FaultKind,
                        label: Msg,
                        key: &'static str,
                        class: &'static str,
                        enabled: bool| {
        let on_action = props.on_action.clone();
        html! {
            <button class={classes!("fault", class)} disabled={!enabled} aria-keyshortcuts={key}
                    title={format!("{} ({key})", tr(lang, label))}
                    onclick={Callback::from(move |_: MouseEvent| on_action.emit(Action::Fault(kind)))}>
                { tr(lang, label) }
            </button>
        }
    };

    let station_panel = match props.selected_station {
        None => html! { <p class="hint">{ tr(lang, Msg::InspectHint) }</p> },
        Some(station_id) => {
            let station = scenario.station(station_id);
            let services: Vec<ServiceId> = scenario
                .services
                .iter()
                .filter(|s| s.station == station_id)
                .map(|s| s.id)
                .collect();
            let service_rows = services.iter().map(|&service_id| {
                let service = scenario.service(service_id);
                let view = live.services.iter().find(|s| s.service == service_id);
                let instances: Vec<_> = live.instances.iter().filter(|i| i.service == service_id).collect();
                let up = instances.iter().filter(|i| i.up).count();
                let busy: u32 = instances.iter().map(|i| i.busy_workers).sum();
                let workers: u32 = instances.iter().map(|i| i.workers).sum();
                let queued: u32 = instances.iter().map(|i| i.queue_length).sum();
                let last = view.and_then(|v| v.last_second);
                // Throughput is what completed; what arrives is shown beside it, so a service
                // whose instances are all down reads "0/s" however much still knocks.
                let arrived = last.map_or(0, |p| p.arrived);
                let completed = last.map_or(0, |p| p.completed);
                // A figure of nothing is absent, not 0: no error rate when nothing ended in the
                // last second, no percentile when nothing completed.
                let error = last
                    .filter(|p| p.completed + p.failed + p.rejected + p.timed_out > 0)
                    .map_or_else(|| "—".to_string(), |p| format!("{:.1} %", p.error_ratio() * 100.0));
                let p99 = last
                    .filter(|p| p.completed > 0)
                    .map_or_else(
                        || tr(lang, Msg::NoneCompleted).to_string(),
                        |p| format!("{} {}", format_ms(p.latency_p99_us), tr(lang, Msg::Milliseconds)),
                    );
                let selected = props.selected_service == Some(service_id);
                let on_select = {
                    let on_action = props.on_action.clone();
                    Callback::from(move |_: Event| on_action.emit(Action::SelectService(service_id)))
                };
                html! {
                    <section class={classes!("service-card", selected.then_some("selected"))} key={service_id.0}>
                        <h4>
                            <label>
                                <input type="radio" name="inspected-service" checked={selected} onchange={on_select} />
                                { service.label.in_language(lang.code()) }
                                <code>{ format!(" {}", service.name) }</code>
                            </label>
                        </h4>
                        <dl class="figures">
                            <div><dt>{ tr(lang, Msg::Throughput) }</dt><dd data-testid="throughput">{ fill(lang, Msg::FlowLabel, &[&completed.to_string()]) }</dd></div>
                            <div><dt>{ tr(lang, Msg::Arrivals) }</dt><dd>{ fill(lang, Msg::FlowLabel, &[&arrived.to_string()]) }</dd></div>
                            <div><dt>{ tr(lang, Msg::P99) }</dt><dd>{ p99 }</dd></div>
                            <div><dt>{ tr(lang, Msg::ErrorRate) }</dt><dd>{ error }</dd></div>
                            <div><dt>{ tr(lang, Msg::Queue) }</dt><dd>{ group_indian(u64::from(queued)) }</dd></div>
                            <div><dt>{ tr(lang, Msg::BusyWorkers) }</dt><dd>{ format!("{busy} / {workers}") }</dd></div>
                            <div class={classes!((up < instances.len()).then_some("bad"))}><dt>{ tr(lang, Msg::InstancesUp) }</dt><dd data-testid="instances-up">{ format!("{up} / {}", instances.len()) }</dd></div>
                        </dl>
                    </section>
                }
            });
            let can_crash = props
                .selected_service
                .is_some_and(|service| live.instances.iter().any(|i| i.service == service && i.up));
            let has_service = props.selected_service.is_some();
            html! {
                <>
                    <h3>{ format!("{} · {}", tr(lang, Msg::Station), station.label.in_language(lang.code())) }</h3>
                    if station_id == scenario.workload.station {
                        <p class="hint">{ tr(lang, Msg::ClientsHere) }</p>
                    }
                    if services.is_empty() {
                        <p class="hint">{ tr(lang, Msg::NoServiceHere) }</p>
                    } else {
                        { for service_rows }
                        <div class="fault-bar" role="group" aria-label={tr(lang, Msg::Faults)}>
                            <h4>{ tr(lang, Msg::Faults) }</h4>
                            <p class="hint">{ tr(lang, Msg::FaultsHint) }</p>
                            { fault_button(FaultKind::Crash, Msg::Crash, "C", "crash", can_crash && has_service) }
                            { fault_button(FaultKind::Slow, Msg::Slow, "W", "slow", has_service) }
                            { fault_button(FaultKind::Fail, Msg::MakeFail, "F", "fail", has_service) }
                            if has_service && !can_crash {
                                <p class="hint">{ tr(lang, Msg::NothingToCrash) }</p>
                            }
                        </div>
                        if let Some(service) = props.selected_service {
                            <Dependencies lang={lang} scenario={props.scenario.clone()} live={props.live.clone()}
                                          service={Some(service)} on_action={props.on_action.clone()} />
                        }
                    }
                </>
            }
        }
    };

    let faults = if live.active_faults.is_empty() {
        Html::default()
    } else {
        html! {
            <section class="active-faults">
                <h4>{ tr(lang, Msg::ActiveFaults) }</h4>
                <ul>
                    { for live.active_faults.iter().map(|fault| html! {
                        <li key={fault.id}>{ describe_fault(lang, &fault.command) }</li>
                    }) }
                </ul>
                { fault_button(FaultKind::Heal, Msg::Heal, "X", "heal", true) }
            </section>
        }
    };

    // The command log: every fault and knob applied at run time, with its virtual time. With the
    // scenario and seed it replays the run exactly (`lokal-cli run --commands`).
    // Every recorded command was checked when applied, so its numbers are finite and it writes.
    let command_log = match crate::engine::command::command_log_json(&live.commands) {
        Ok(json) if !live.commands.is_empty() => {
            let href = format!(
                "data:application/json;charset=utf-8,{}",
                js_sys::encode_uri_component(&json)
            );
            html! {
                <p class="command-log" data-testid="command-log">
                    { fill(lang, Msg::CommandsRecorded, &[&live.commands.len().to_string()]) }
                    { " " }
                    <a href={href} download={format!("{}-seed-{}-commands.json", scenario.id, props.seed)}>{ tr(lang, Msg::DownloadCommands) }</a>
                </p>
            }
        }
        _ => Html::default(),
    };

    let request_panel = match (&props.selected_request, &live.followed) {
        (None, _) => html! { <p class="hint">{ tr(lang, Msg::RequestHint) }</p> },
        (Some(_), None) => html! { <p class="hint">{ tr(lang, Msg::RequestGone) }</p> },
        (Some(request), Some(trace)) => {
            let outcome = match trace.outcome {
                None => tr(lang, Msg::Pending).to_string(),
                Some(RequestOutcome::TimedOut) => tr(lang, Msg::TimedOut).to_string(),
                Some(RequestOutcome::Answered { status, latency_us }) => {
                    format!(
                        "{} · {} {}",
                        status_text(lang, status),
                        format_ms(latency_us),
                        tr(lang, Msg::Milliseconds)
                    )
                }
            };
            html! {
                <section class="request-card" data-testid="request-card">
                    <h4>{ format!("{} #{} · {}", tr(lang, Msg::Request), request.0, scenario.endpoint(trace.endpoint).qualified_name) }</h4>
                    <button class="link" onclick={{
                        let on_action = props.on_action.clone();
                        let request = *request;
                        Callback::from(move |_: MouseEvent| on_action.emit(Action::SelectTrace(Some(request))))
                    }}>{ tr(lang, Msg::OpenTrace) }</button>
                    <p><strong>{ tr(lang, Msg::Outcome) }{ ": " }</strong>{ outcome }</p>
                    <p class="hint">{ tr(lang, Msg::RequestPathInTrace) }</p>
                </section>
            }
        }
    };

    html! {
        <section class="inspector" id="inspector" tabindex="-1" aria-labelledby="inspector-title">
            <h2 id="inspector-title">{ tr(lang, Msg::Inspect) }</h2>
            { station_panel }
            { faults }
            { command_log }
            <h3>{ tr(lang, Msg::Request) }</h3>
            { request_panel }
        </section>
    }
}
