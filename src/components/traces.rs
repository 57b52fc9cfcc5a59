//! The trace panel, in the style of Jaeger's trace page: a filterable list of kept traces, and
//! for the chosen one a waterfall (span bars on a time axis, nested, the critical path drawn
//! through them, errors marked in words and hatching, not colour alone) with a detail panel of
//! attributes and events, and downloads as Jaeger JSON or OTLP/JSON.

use super::inspector::status_text;
use super::trace_plots::{DurationScatter, Minimap, SameTraces};
use super::{Local, Shared, class_list, figure, figure_marked, format_clock, format_ms, percent};
use crate::app::browser;
use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::app::state::{Action, LiveView};
use crate::app::traces::{
    Segment, StatusFilter, TimeWindow, TraceFilter, parse_bound_ms, ruler_ticks, service_count,
    visible_rows, waterfall,
};
use crate::engine::Scenario;
use crate::engine::ids::RequestId;
use crate::engine::trace_export::{
    AttributeValue, TraceFormat, event_attributes, export_traces, span_attributes,
    span_operation_name,
};
use crate::engine::traces::{
    KeepReason, Operation, Span, SpanEventKind, SpanKind, Trace, traceparent,
};
use std::sync::Arc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The list shows this many traces, and this many more at each press of "show more" (the
/// filter and the scatter reach the rest). The list box scrolls, and a scrolling box that the
/// browser does not composite repaints all its rows whenever one changes: 100 rows cost about
/// 5 ms of paint at every refresh while traces arrive.
const LIST_PAGE: usize = 30;

/// Okabe–Ito colours, one per service (the client is grey). The service's name is always
/// written beside its bars, so colour is never the only cue.
const SERVICE_COLOURS: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D1F",
];

pub fn service_colour(span: &Span) -> &'static str {
    match span.service {
        Some(service) => SERVICE_COLOURS[service.index() % SERVICE_COLOURS.len()],
        None => "#6b7280",
    }
}

fn service_name(scenario: &Scenario, lang: Lang, span: &Span) -> String {
    match span.service {
        Some(service) => scenario.service(service).name.clone(),
        None => tr(lang, Msg::ClientName).to_string(),
    }
}

fn bar_style(segment: Segment) -> String {
    format!(
        "left:{};width:max({},2px)",
        percent(segment.left),
        percent(segment.width)
    )
}

fn ms(lang: Lang, us: u64) -> String {
    format!("{} {}", format_ms(us), tr(lang, Msg::Milliseconds))
}

/// A span event in the user's language.
pub fn event_text(scenario: &Scenario, lang: Lang, span: &Span, kind: &SpanEventKind) -> String {
    let step_name = |step: u16| {
        span.saga
            .and_then(|s| scenario.sagas()[s.index()].steps.get(usize::from(step)))
            .map_or_else(|| step.to_string(), |s| s.name.clone())
    };
    match *kind {
        SpanEventKind::Retry { attempt, wait_us } => fill(
            lang,
            Msg::EventRetry,
            &[&attempt.to_string(), &format_ms(wait_us)],
        ),
        SpanEventKind::Timeout => tr(lang, Msg::EventTimeout).to_string(),
        SpanEventKind::Fault { status } => {
            fill(lang, Msg::EventFault, &[status_text(lang, status)])
        }
        SpanEventKind::NotPermitted { edge, reason } => fill(
            lang,
            Msg::EventNotPermitted,
            &[&scenario.edge_label(edge), status_text(lang, reason)],
        ),
        SpanEventKind::Fallback { edge } => {
            fill(lang, Msg::EventFallback, &[&scenario.edge_label(edge)])
        }
        SpanEventKind::SagaStep { step, attempt } => fill(
            lang,
            Msg::EventSagaStep,
            &[&step_name(step), &attempt.to_string()],
        ),
        SpanEventKind::Compensation { step, attempt } => fill(
            lang,
            Msg::EventCompensation,
            &[&step_name(step), &attempt.to_string()],
        ),
        SpanEventKind::LockObserved { .. } => {
            let lock = event_attributes(scenario, span, kind)
                .into_iter()
                .find(|(k, _)| *k == "lokal.saga.lock")
                .map(|(_, v)| attribute_text(&v))
                .unwrap_or_default();
            fill(lang, Msg::EventLock, &[&lock])
        }
    }
}

fn attribute_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::Text(text) => text.clone(),
        AttributeValue::Int(n) => n.to_string(),
        AttributeValue::Float(x) => format!("{x}"),
        AttributeValue::Bool(b) => b.to_string(),
    }
}

fn kind_word(lang: Lang, kind: SpanKind) -> &'static str {
    tr(
        lang,
        match kind {
            SpanKind::Client => Msg::SpanClient,
            SpanKind::Server => Msg::SpanServer,
            SpanKind::Internal => Msg::SpanSaga,
        },
    )
}

fn keep_word(lang: Lang, reason: KeepReason) -> &'static str {
    tr(
        lang,
        match reason {
            KeepReason::Error => Msg::KeepError,
            KeepReason::Slow => Msg::KeepSlow,
            KeepReason::Ratio => Msg::KeepRatio,
        },
    )
}

/// Offers `traces` as a download in `format`. Span attributes are finite by construction, so
/// the export always writes; if it ever could not, nothing half-written is offered.
fn download(scenario: &Scenario, seed: u64, traces: &[&Trace], format: TraceFormat, what: &str) {
    let Ok(text) = export_traces(scenario, traces.iter().copied(), format) else {
        return;
    };
    let name = format!(
        "lokal-{}-seed-{seed}-{what}.{}.json",
        scenario.id,
        format.key()
    );
    browser::download(&name, "application/json", &text);
}

#[derive(Properties, PartialEq)]
pub struct TracePanelProps {
    pub lang: Lang,
    pub scenario: Shared<Scenario>,
    pub seed: u64,
    /// The figures, the kept traces and the selected request's trace (kept, or in flight).
    pub live: Local<LiveView>,
    /// What the list of traces shows: `live` as it was when the list last caught up.
    pub list: Local<LiveView>,
    pub selected_trace: Option<RequestId>,
    pub selected_span: Option<usize>,
    pub filter: TraceFilter,
    pub show_critical_path: bool,
    pub on_action: Callback<Action>,
}

#[component]
pub fn TracePanel(props: &TracePanelProps) -> Html {
    let lang = props.lang;
    let scenario = &props.scenario.0;
    let live = &props.live.0;
    let now = live.now_us;
    let settings = &scenario.tracing;
    // The duration fields keep what the user typed, valid or not, so a typo can be shown.
    let min_text = use_state(String::new);
    let max_text = use_state(String::new);
    let filter = props.filter;

    let set_filter = {
        let on_action = props.on_action.clone();
        move |filter: TraceFilter| on_action.emit(Action::SetTraceFilter(filter))
    };
    let on_endpoint = {
        let set_filter = set_filter.clone();
        let scenario = Arc::clone(scenario);
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            let endpoint = scenario.endpoint_named(&value);
            set_filter(TraceFilter { endpoint, ..filter });
        })
    };
    let on_status = {
        let set_filter = set_filter.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            set_filter(TraceFilter {
                status: StatusFilter::from_key(&value),
                ..filter
            });
        })
    };
    let bound_input = |text: UseStateHandle<String>, is_min: bool| {
        let set_filter = set_filter.clone();
        Callback::from(move |event: InputEvent| {
            let value = event.target_unchecked_into::<HtmlInputElement>().value();
            if let Ok(bound) = parse_bound_ms(&value) {
                let next = if is_min {
                    TraceFilter {
                        min_duration_ms: bound,
                        ..filter
                    }
                } else {
                    TraceFilter {
                        max_duration_ms: bound,
                        ..filter
                    }
                };
                set_filter(next);
            }
            text.set(value);
        })
    };
    let bad_bound = [&*min_text, &*max_text]
        .into_iter()
        .find_map(|text| parse_bound_ms(text).err());

    let endpoints: Vec<String> = scenario
        .workload
        .mix
        .endpoints
        .iter()
        .map(|&e| scenario.endpoint(e).qualified_name.clone())
        .collect();
    let all_downloads = {
        let button = |format: TraceFormat, label: Msg| {
            let scenario = Arc::clone(&props.scenario.0);
            let kept = std::rc::Rc::clone(&live.traces);
            let seed = props.seed;
            let onclick = Callback::from(move |_: MouseEvent| {
                let list: Vec<&Trace> = kept.iter().map(|t| t.as_ref()).collect();
                download(&scenario, seed, &list, format, "traces");
            });
            html! { <button class="download" disabled={live.traces.is_empty()} {onclick}
            data-testid={format!("download-all-{}", format.key())}>{ tr(lang, label) }</button> }
        };
        html! {
            <p class="downloads">
                { tr(lang, Msg::DownloadAll) }{ " " }
                { button(TraceFormat::Jaeger, Msg::DownloadAllJaeger) }
                { button(TraceFormat::Otlp, Msg::DownloadAllOtlp) }
            </p>
        }
    };

    let detail = match (&live.selected_trace, props.selected_trace) {
        (_, None) => html! { <p class="hint">{ tr(lang, Msg::TracePick) }</p> },
        (None, Some(request)) => trace_missing(lang, scenario, props.seed, request),
        (Some(trace), Some(_)) => html! {
            <TraceView key={trace.request.0} scenario={props.scenario.clone()} lang={lang} seed={props.seed}
                       trace={Shared(Arc::clone(trace))} now_us={if trace.complete { 0 } else { now }}
                       show_critical={props.show_critical_path} selected_span={props.selected_span}
                       on_action={props.on_action.clone()} />
        },
    };

    let on_close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ToggleTraces))
    };
    let endpoint_value = filter
        .endpoint
        .map(|e| scenario.endpoint(e).qualified_name.clone())
        .unwrap_or_default();
    html! {
        <section class="trace-panel" id="trace-panel" tabindex="-1" aria-labelledby="trace-panel-title" data-testid="trace-panel">
            <header class="trace-panel-head">
                <h2 id="trace-panel-title">{ tr(lang, Msg::Traces) }</h2>
                <p class="hint">{ tr(lang, Msg::TracesHint) }</p>
                <p class="trace-store" data-testid="trace-store">{ fill(lang, Msg::TracesStore, &[
                    &live.traces.len().to_string(),
                    &live.trace_counters.sampled.to_string(),
                    &live.open_traces.to_string(),
                    &format!("{:.0}", settings.head_sampling * 100.0),
                ]) }</p>
                <button class="close" onclick={on_close} aria-label={tr(lang, Msg::TracesClose)} title={tr(lang, Msg::TracesClose)}>{ "×" }</button>
            </header>
            <div class="trace-body">
                <div class="trace-list-pane">
                    <div class="trace-filters" role="group" aria-label={tr(lang, Msg::FilterStatus)}>
                        <label>{ tr(lang, Msg::FilterEndpoint) }
                            <select onchange={on_endpoint} data-testid="filter-endpoint">
                                <option value="" selected={filter.endpoint.is_none()}>{ tr(lang, Msg::FilterAny) }</option>
                                { for endpoints.iter().map(|name| html! {
                                    <option value={name.clone()} selected={*name == endpoint_value}>{ name.clone() }</option>
                                }) }
                            </select>
                        </label>
                        <label>{ tr(lang, Msg::FilterStatus) }
                            <select onchange={on_status} data-testid="filter-status">
                                { for StatusFilter::ALL.iter().map(|f| html! {
                                    <option value={f.key()} selected={*f == filter.status}>{ tr(lang, match f {
                                        StatusFilter::All => Msg::FilterAll,
                                        StatusFilter::Ok => Msg::FilterOk,
                                        StatusFilter::Errors => Msg::FilterErrors,
                                    }) }</option>
                                }) }
                            </select>
                        </label>
                        <label>{ tr(lang, Msg::FilterMinMs) }
                            <input type="text" inputmode="decimal" size="6" value={(*min_text).clone()}
                                   oninput={bound_input(min_text.clone(), true)} data-testid="filter-min" />
                        </label>
                        <label>{ tr(lang, Msg::FilterMaxMs) }
                            <input type="text" inputmode="decimal" size="6" value={(*max_text).clone()}
                                   oninput={bound_input(max_text.clone(), false)} data-testid="filter-max" />
                        </label>
                    </div>
                    if let Some(bad) = bad_bound {
                        <p class="field-error" role="alert">{ fill(lang, Msg::FilterBadNumber, &[&bad]) }</p>
                    }
                    <DurationScatter lang={lang} traces={SameTraces(std::rc::Rc::clone(&live.traces))} filter={filter}
                                     selected={props.selected_trace} on_action={props.on_action.clone()} />
                    <TraceList lang={lang} scenario={props.scenario.clone()} traces={SameTraces(std::rc::Rc::clone(&props.list.0.traces))}
                               now_us={props.list.0.now_us} filter={filter} selected={props.selected_trace}
                               on_action={props.on_action.clone()} />
                    { all_downloads }
                </div>
                <div class="waterfall-pane">{ detail }</div>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TraceListProps {
    lang: Lang,
    scenario: Shared<Scenario>,
    /// The kept traces, in completion order.
    traces: SameTraces,
    now_us: u64,
    filter: TraceFilter,
    selected: Option<RequestId>,
    on_action: Callback<Action>,
}

/// The list of kept traces, newest first, a page at a time. It catches up with a refresh on a
/// frame of its own (`Panels::TraceList`): new rows cost layout and paint.
#[component]
fn TraceList(props: &TraceListProps) -> Html {
    let lang = props.lang;
    let filter = props.filter;
    let frozen: UseStateHandle<Option<std::rc::Rc<Vec<Arc<Trace>>>>> = use_state(|| None);
    let list_limit = use_state(|| LIST_PAGE);
    let list_ref = use_node_ref();
    let shown: Vec<&Arc<Trace>> = props
        .traces
        .0
        .iter()
        .rev()
        .filter(|t| filter.matches(t, props.now_us))
        .collect();
    // While the pointer or focus is in the list it holds still (new traces would push the rows
    // down under the pointer, and a click would open another trace than the one read); a pill
    // counts what arrived meanwhile and lets go.
    let held = frozen.as_ref().map(|list| list.as_slice());
    let newer = match held.and_then(|list| list.first()) {
        Some(newest) => shown
            .iter()
            .take_while(|t| t.request != newest.request)
            .count(),
        None => 0,
    };
    let listed: Vec<&Arc<Trace>> = match held {
        Some(list) => list.iter().collect(),
        None => shown.iter().take(*list_limit).copied().collect(),
    };
    let hold = {
        let frozen = frozen.clone();
        let current: Vec<Arc<Trace>> = shown
            .iter()
            .take(*list_limit)
            .map(|t| Arc::clone(t))
            .collect();
        Callback::from(move |()| {
            if frozen.is_none() {
                frozen.set(Some(std::rc::Rc::new(current.clone())));
            }
        })
    };
    let release = {
        let frozen = frozen.clone();
        Callback::from(move |()| frozen.set(None))
    };
    let on_pointer_enter = hold.reform(|_: PointerEvent| ());
    let on_focus_in = hold.reform(|_: FocusEvent| ());
    let on_pointer_leave = {
        let release = release.clone();
        let list = list_ref.clone();
        Callback::from(move |_: PointerEvent| {
            // Focus still inside keeps the list held.
            let focus_inside = list
                .cast::<web_sys::Node>()
                .zip(gloo::utils::document().active_element())
                .is_some_and(|(list, active)| list.contains(Some(&active)));
            if !focus_inside {
                release.emit(());
            }
        })
    };
    let on_focus_out = {
        let release = release.clone();
        let list = list_ref.clone();
        Callback::from(move |event: FocusEvent| {
            let next = event
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
            let stays = list
                .cast::<web_sys::Node>()
                .is_some_and(|list| next.is_some_and(|next| list.contains(Some(&next))));
            let hovered = list
                .cast::<web_sys::Element>()
                .is_some_and(|list| list.matches(":hover").unwrap_or(false));
            if !stays && !hovered {
                release.emit(());
            }
        })
    };
    let show_newer = release.reform(|_: MouseEvent| ());
    // Older traces come a page at a time, at the end of the list (a held list grows downwards
    // and stays held).
    let older = match listed.last() {
        Some(last) => shown
            .iter()
            .position(|t| t.request == last.request)
            .map_or(0, |at| shown.len() - at - 1),
        None => 0,
    };
    let show_older = {
        let list_limit = list_limit.clone();
        let frozen = frozen.clone();
        let longer: Option<Vec<Arc<Trace>>> = held.map(|_| {
            shown
                .iter()
                .skip(newer)
                .take(listed.len() + LIST_PAGE)
                .map(|t| Arc::clone(t))
                .collect()
        });
        Callback::from(move |_: MouseEvent| {
            list_limit.set(*list_limit + LIST_PAGE);
            if let Some(longer) = &longer {
                frozen.set(Some(std::rc::Rc::new(longer.clone())));
            }
        })
    };
    let list_items = listed.iter().map(|trace| {
        html! {
            <TraceItem key={trace.request.0} scenario={props.scenario.clone()} lang={lang}
                       trace={Shared(Arc::clone(trace))} selected={props.selected == Some(trace.request)}
                       on_action={props.on_action.clone()} />
        }
    });

    html! {
        <>
            <p class="hint" role="status">{ fill(lang, Msg::TracesShown, &[
                &listed.len().to_string(), &shown.len().to_string(),
            ]) }</p>
            if shown.is_empty() {
                <p class="hint">{ tr(lang, Msg::TracesNone) }</p>
            }
            <div class="trace-list-hold" ref={list_ref} onpointerenter={on_pointer_enter} onpointerleave={on_pointer_leave}
                 onfocusin={on_focus_in} onfocusout={on_focus_out}>
                if newer > 0 {
                    <button class="new-traces" onclick={show_newer} data-testid="new-traces">
                        { fill(lang, Msg::NewTraces, &[&newer.to_string()]) }
                    </button>
                }
                <ol class="trace-list" aria-label={tr(lang, Msg::TraceListLabel)} data-testid="trace-list"
                    data-held={frozen.is_some().to_string()}>
                    { for list_items }
                </ol>
                // While the list is held the button stays where it is (a button that vanished
                // under the pointer would let go of the list); it says when nothing older is kept.
                if older > 0 || frozen.is_some() {
                    <button class="more-traces" onclick={show_older} disabled={older == 0} data-testid="more-traces">
                        { if older > 0 {
                            fill(lang, Msg::MoreTraces, &[&older.min(LIST_PAGE).to_string()])
                        } else {
                            tr(lang, Msg::NoOlderTraces).to_string()
                        } }
                    </button>
                }
            </div>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct TraceItemProps {
    scenario: Shared<Scenario>,
    lang: Lang,
    /// Kept traces never change: compared by identity, an item is drawn once.
    trace: Shared<Trace>,
    selected: bool,
    on_action: Callback<Action>,
}

/// One line of the trace list: its request, outcome, duration, spans and start.
#[component]
fn TraceItem(props: &TraceItemProps) -> Html {
    let lang = props.lang;
    let trace = &props.trace.0;
    let request = trace.request;
    let root = trace.root_status();
    let failed = root.is_some_and(|s| !s.is_ok());
    // The client's outcome first; errors that retries or fallbacks hid are worth a word.
    let outcome = match root {
        None => format!("… {}", tr(lang, Msg::SpanOpen)),
        Some(s) if s.is_ok() && trace.has_error() => {
            format!(
                "✓ {} · ⚠ {}",
                status_text(lang, s),
                tr(lang, Msg::TraceInnerErrors)
            )
        }
        Some(s) if s.is_ok() => format!("✓ {}", status_text(lang, s)),
        Some(s) => format!("✗ {}", status_text(lang, s)),
    };
    let on_click = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::SelectTrace(Some(request))))
    };
    let selected = props.selected;
    let figures = format!(
        "{} · {} · {}",
        ms(lang, trace.duration_us(0)),
        fill(lang, Msg::SpansCount, &[&trace.spans.len().to_string()]),
        format_clock(trace.start_us())
    );
    html! {
        <li>
            <button class={class_list(&[("trace-item", true), ("selected", selected), ("error", failed)])}
                    aria-pressed={selected.to_string()} onclick={on_click}>
                <span class="trace-item-name">{ format!("#{} {}", request.0, props.scenario.0.endpoint(trace.endpoint).qualified_name) }</span>
                <span class="trace-item-status">{ outcome }</span>
                // One text node per line: a new row is a few DOM calls, and at 5× about fifty
                // rows a second arrive.
                <span class="trace-item-figures">{ figures }</span>
            </button>
        </li>
    }
}

/// Why the selected request has no trace to show.
fn trace_missing(lang: Lang, scenario: &Scenario, seed: u64, request: RequestId) -> Html {
    let settings = &scenario.tracing;
    let sampled = crate::engine::traces::head_sampled(
        crate::engine::traces::trace_id_for(seed, request),
        settings.head_sampling,
    );
    let text = if sampled {
        fill(
            lang,
            Msg::TraceGone,
            &[
                &request.0.to_string(),
                &settings.recent.to_string(),
                &settings.kept.to_string(),
            ],
        )
    } else {
        fill(
            lang,
            Msg::TraceNotSampled,
            &[
                &request.0.to_string(),
                &format!("{:.0}", settings.head_sampling * 100.0),
            ],
        )
    };
    html! { <p class="hint" data-testid="trace-missing">{ text }</p> }
}

#[derive(Properties, PartialEq)]
struct TraceViewProps {
    scenario: Shared<Scenario>,
    lang: Lang,
    seed: u64,
    /// Compared by identity: a kept trace never changes, so its view is not redrawn at every
    /// refresh (an open trace is a fresh copy each time, and grows).
    trace: Shared<Trace>,
    /// The virtual time open spans run to; 0 for a complete trace.
    now_us: u64,
    show_critical: bool,
    selected_span: Option<usize>,
    on_action: Callback<Action>,
}

/// One trace: header, ruler, waterfall rows and the selected span's details.
#[component]
fn TraceView(props: &TraceViewProps) -> Html {
    let lang = props.lang;
    let scenario = &props.scenario.0;
    let trace = &props.trace.0;
    let now = props.now_us;
    let total = trace.duration_us(now);
    let rows = waterfall(trace, now);
    let show_critical = props.show_critical;
    // Jaeger's extras: sub-trees folded away, and the part of the time axis shown (chosen by
    // dragging on the minimap, or around the selected span).
    let folded: UseStateHandle<Vec<usize>> = use_state(Vec::new);
    let window = use_state(|| TimeWindow::WHOLE);
    let root_status = trace.root_status();

    let downloads = {
        let button = |format: TraceFormat, label: Msg| {
            let scenario = Arc::clone(scenario);
            let complete = trace.complete;
            let trace = Arc::clone(trace);
            let seed = props.seed;
            let onclick = Callback::from(move |_: MouseEvent| {
                download(
                    &scenario,
                    seed,
                    &[trace.as_ref()],
                    format,
                    &format!("trace-{}", trace.id),
                );
            });
            html! { <button class="download" disabled={!complete} {onclick}
            data-testid={format!("download-trace-{}", format.key())}>{ tr(lang, label) }</button> }
        };
        html! {
            <p class="downloads">
                { tr(lang, Msg::DownloadThis) }{ " " }
                { button(TraceFormat::Jaeger, Msg::DownloadJaeger) }
                { button(TraceFormat::Otlp, Msg::DownloadOtlp) }
            </p>
        }
    };

    let on_critical = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: Event| on_action.emit(Action::ToggleCriticalPath))
    };
    let shown_rows = visible_rows(&rows, &folded);
    let row_html = shown_rows.iter().map(|&(position, has_children)| {
        let row = &rows[position];
        let span = &trace.spans[row.index];
        let window = *window;
        let is_folded = folded.contains(&row.index);
        let on_fold = {
            let folded = folded.clone();
            let index = row.index;
            Callback::from(move |_: MouseEvent| {
                let mut next = (*folded).clone();
                match next.iter().position(|&i| i == index) {
                    Some(at) => {
                        next.remove(at);
                    }
                    None => next.push(index),
                }
                folded.set(next);
            })
        };
        let hidden_below = if is_folded {
            rows[position + 1..].iter().take_while(|r| r.depth > row.depth).count()
        } else {
            0
        };
        let selected = props.selected_span == Some(row.index);
        let error = span.is_error();
        let on_click = {
            let on_action = props.on_action.clone();
            let index = row.index;
            Callback::from(move |_: MouseEvent| {
                on_action.emit(Action::SelectSpan((!selected).then_some(index)))
            })
        };
        let end = span.end_us.unwrap_or(now);
        let name = service_name(scenario, lang, span);
        let operation = span_operation_name(scenario, span);
        let compensation = span.role == crate::engine::CallRole::SagaCompensation;
        html! {
            <li key={row.index} role="treeitem" aria-level={(row.depth + 1).to_string()} aria-selected={selected.to_string()}
                aria-expanded={has_children.then(|| (!is_folded).to_string())}>
                if has_children {
                    <button class="fold" onclick={on_fold} style={format!("left:{}rem", 0.8 * row.depth as f64)}
                            aria-label={tr(lang, if is_folded { Msg::Unfold } else { Msg::Fold })}
                            title={tr(lang, if is_folded { Msg::Unfold } else { Msg::Fold })} data-testid="fold">
                        <span aria-hidden="true">{ if is_folded { "▸" } else { "▾" } }</span>
                    </button>
                }
                <button class={class_list(&[("span-row", true), ("selected", selected), ("error", error), ("compensation", compensation)])}
                        onclick={on_click} data-testid="span-row">
                    <span class="span-label" style={format!("padding-left:{}rem", 1.2 + 0.8 * row.depth as f64)}>
                        <span class="service-swatch" style={format!("background:{}", service_colour(span))}></span>
                        <span class="span-service">{ name }</span>{ " " }
                        <span class="span-operation">{ operation }</span>
                        { " " }<span class="span-kind">{ kind_word(lang, span.kind) }</span>
                        if error {
                            { " " }<span class="span-error-mark">{ "⚠ " }{ tr(lang, Msg::SpanErrorMark) }</span>
                        }
                        if hidden_below > 0 {
                            { " " }<span class="span-folded" data-testid="folded-count">{ fill(lang, Msg::SpansFolded, &[&hidden_below.to_string()]) }</span>
                        }
                    </span>
                    <span class="span-track">
                        if let Some(bar) = window.clip(row.bar) {
                            <span class={class_list(&[("span-bar", true), ("open", row.open)])} style={format!("{};background:{}", bar_style(bar), service_colour(span))}></span>
                        }
                        if let Some(queued) = row.queued.and_then(|q| window.clip(q)) {
                            <span class="span-queued" style={bar_style(queued)}></span>
                        }
                        if show_critical {
                            { for row.critical.iter().filter_map(|c| window.clip(*c)).map(|c| html! { <span class="span-critical" style={bar_style(c)}></span> }) }
                        }
                        { for row.events.iter().map(|&at| window.place(at)).filter(|at| (0.0..=1.0).contains(at)).map(|at| html! { <span class="span-event" style={format!("left:{}", percent(at))}></span> }) }
                        <span class="span-duration" style={format!("left:min({}, calc(100% - 5.5rem))", percent(window.place(row.bar.left + row.bar.width).clamp(0.0, 1.0)))}>
                            { ms(lang, end - span.start_us) }
                            if row.outlived_parent {
                                { " " }<span title={tr(lang, Msg::SpanOutlived)} aria-label={tr(lang, Msg::SpanOutlived)}>{ "↦" }</span>
                            }
                        </span>
                    </span>
                </button>
            </li>
        }
    });

    // The ruler of the part shown: its length and where it starts, in µs from the trace's start.
    let window_start_us = (window.from * total as f64).round() as u64;
    let window_us = ((window.to - window.from) * total as f64).round() as u64;
    let minimap = {
        let selected_bar = props
            .selected_span
            .and_then(|index| rows.iter().find(|r| r.index == index))
            .map(|r| r.bar);
        let on_zoom = {
            let window = window.clone();
            Callback::from(move |zoom: TimeWindow| window.set(zoom))
        };
        html! {
            <Minimap lang={lang} bars={rows.iter().map(|r| (r.bar, trace.spans[r.index].is_error())).collect::<Vec<_>>()}
                     window={*window} selected_bar={selected_bar} on_zoom={on_zoom} />
        }
    };

    let span_detail = props
        .selected_span
        .and_then(|index| trace.spans.get(index))
        .map(|span| span_details(scenario, lang, trace, span, now))
        .unwrap_or_default();

    html! {
        <div class="trace-view" id="trace-view" tabindex="-1" role="region" aria-label={tr(lang, Msg::Waterfall)} data-testid="trace-view">
            <header class="trace-head">
                <h3>{ fill(lang, Msg::TraceTitle, &[&format!("#{} · {}", trace.request.0, scenario.endpoint(trace.endpoint).qualified_name)]) }</h3>
                <p class="trace-id"><code>{ trace.id.to_string() }</code></p>
                <dl class="figures trace-figures">
                    { figure(tr(lang, Msg::Outcome), root_status.map_or(tr(lang, Msg::SpanOpen), |s| status_text(lang, s)).to_string()) }
                    { figure(tr(lang, Msg::TraceDuration), ms(lang, total)) }
                    { figure(tr(lang, Msg::TraceServices), service_count(trace).to_string()) }
                    { figure(tr(lang, Msg::TraceDepth), trace.depth().to_string()) }
                    { figure_marked(tr(lang, Msg::TraceSpanCount), trace.spans.len().to_string(), None, "span-count") }
                    { figure(tr(lang, Msg::SpanStart), format_clock(trace.start_us())) }
                </dl>
                if !trace.complete {
                    <p class="hint in-flight">{ tr(lang, Msg::TraceInFlight) }</p>
                }
                if let Some(reason) = trace.keep {
                    <p class="hint">{ fill(lang, Msg::TraceKept, &[keep_word(lang, reason)]) }</p>
                }
                { downloads }
                <label class="critical-toggle">
                    <input type="checkbox" checked={show_critical} onchange={on_critical} />
                    { " " }{ tr(lang, Msg::CriticalPath) }
                </label>
                <p class="hint">{ tr(lang, Msg::CriticalPathHint) }</p>
            </header>
            { minimap }
            <div class="waterfall-ruler" aria-hidden="true">
                <span class="span-label"></span>
                <span class="span-track">
                    { for ruler_ticks(window_us).into_iter().map(|(at, us)| html! {
                        <span class="tick" style={format!("left:{}", percent(at))}>{ format_ms(us + window_start_us) }</span>
                    }) }
                </span>
            </div>
            <ol class="waterfall" role="tree" aria-label={tr(lang, Msg::Waterfall)} data-testid="waterfall">
                { for row_html }
            </ol>
            { span_detail }
        </div>
    }
}

fn span_details(scenario: &Scenario, lang: Lang, trace: &Trace, span: &Span, now: u64) -> Html {
    // The header the call carried: a client span sends its own id, a server span received its
    // caller's.
    let header = match span.kind {
        SpanKind::Client => Some(traceparent(trace.id, span.id, true)),
        SpanKind::Server => span.parent.map(|p| traceparent(trace.id, p, true)),
        SpanKind::Internal => None,
    };
    let end = span.end_us.unwrap_or(now);
    let station = scenario
        .station(span.station)
        .label
        .in_language(lang.code());
    let what = match span.operation {
        Operation::Call(endpoint) => scenario.endpoint(endpoint).qualified_name.clone(),
        Operation::Saga(saga) => scenario.sagas()[saga.index()]
            .label
            .in_language(lang.code())
            .to_string(),
    };
    html! {
        <section class="span-detail" aria-label={tr(lang, Msg::SpanDetails)} data-testid="span-detail">
            <h4>{ format!("{} · {}", service_name(scenario, lang, span), what) }</h4>
            <dl class="figures">
                { figure(tr(lang, Msg::SpanKindLabel), kind_word(lang, span.kind).to_string()) }
                { figure(tr(lang, Msg::Outcome), span.status.map_or(tr(lang, Msg::SpanOpen), |s| status_text(lang, s)).to_string()) }
                { figure(tr(lang, Msg::SpanStart), format!("+{}", ms(lang, span.start_us - trace.start_us()))) }
                { figure(tr(lang, Msg::TraceDuration), ms(lang, end - span.start_us)) }
                { figure(tr(lang, Msg::Station), station.to_string()) }
                if let Some(instance) = span.instance {
                    { figure(tr(lang, Msg::SpanInstance), scenario.instance_label(instance)) }
                }
                if let Some(work) = span.work_start_us.filter(|&w| w > span.start_us) {
                    { figure(tr(lang, Msg::Queue), fill(lang, Msg::SpanQueued, &[&format_ms(work - span.start_us)])) }
                }
            </dl>
            if let Some(header) = header {
                <p class="traceparent"><strong>{ tr(lang, Msg::SpanTraceparent) }{ ": " }</strong><code data-testid="traceparent">{ header }</code></p>
            }
            <h5>{ tr(lang, Msg::SpanAttributes) }</h5>
            <table class="attributes">
                <tbody>
                    { for span_attributes(scenario, trace, span).into_iter().map(|(key, value)| html! {
                        <tr><th scope="row"><code>{ key }</code></th><td>{ attribute_text(&value) }</td></tr>
                    }) }
                </tbody>
            </table>
            <h5>{ tr(lang, Msg::SpanEvents) }</h5>
            if span.events.is_empty() {
                <p class="hint">{ tr(lang, Msg::SpanNoEvents) }</p>
            } else {
                <ol class="span-events">
                    { for span.events.iter().map(|event| html! {
                        <li><span class="hop-time">{ format!("+{}", ms(lang, event.t_us - trace.start_us())) }</span>{ " " }
                            { event_text(scenario, lang, span, &event.kind) }</li>
                    }) }
                </ol>
            }
        </section>
    }
}
