//! Two of Jaeger's views that matter here: the minimap over a trace's waterfall (every span in
//! a thin strip; drag across it to zoom in on part of the time axis) and the duration scatter
//! plot of the kept traces (start time across, duration up; click a point to open its trace).

use super::{format_clock, format_ms, percent};
use crate::app::browser;
use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::app::state::Action;
use crate::app::traces::{Segment, TimeWindow, TraceFilter, ruler_ticks, scatter};
use crate::engine::ids::RequestId;
use crate::engine::traces::Trace;
use std::rc::Rc;
use std::sync::Arc;
use web_sys::{Element, PointerEvent};
use yew::prelude::*;

/// The share (0–1) across `element` where the pointer of `event` is. (The element comes from a
/// node ref: with Yew's event delegation an event's current target is not the element whose
/// listener it is.)
fn share_across(element: &NodeRef, event: &PointerEvent) -> Option<f64> {
    let element: Element = element.cast()?;
    let (x, _) = browser::fraction_within(&element, f64::from(event.client_x()), 0.0);
    Some(x.clamp(0.0, 1.0))
}

#[derive(Properties, PartialEq)]
pub struct MinimapProps {
    pub lang: Lang,
    /// Every span's bar over the whole trace, in waterfall order, with whether it failed.
    pub bars: Vec<(Segment, bool)>,
    pub window: TimeWindow,
    pub selected_bar: Option<Segment>,
    pub on_zoom: Callback<TimeWindow>,
}

#[component]
pub fn Minimap(props: &MinimapProps) -> Html {
    let lang = props.lang;
    // The window being dragged out, as (where the drag began, where the pointer is).
    let drag: UseStateHandle<Option<(f64, f64)>> = use_state(|| None);
    let strip = use_node_ref();
    let on_down = {
        let drag = drag.clone();
        let strip = strip.clone();
        Callback::from(move |event: PointerEvent| {
            if let Some(at) = share_across(&strip, &event) {
                if let Some(element) = strip.cast::<Element>() {
                    let _ = element.set_pointer_capture(event.pointer_id());
                }
                drag.set(Some((at, at)));
            }
        })
    };
    let on_move = {
        let drag = drag.clone();
        let strip = strip.clone();
        Callback::from(move |event: PointerEvent| {
            if let (Some((from, _)), Some(at)) = (*drag, share_across(&strip, &event)) {
                drag.set(Some((from, at)));
            }
        })
    };
    let on_up = {
        let drag = drag.clone();
        let on_zoom = props.on_zoom.clone();
        Callback::from(move |_: PointerEvent| {
            if let Some(window) = drag.and_then(|(a, b)| TimeWindow::between(a, b)) {
                on_zoom.emit(window);
            }
            drag.set(None);
        })
    };
    const WIDTH: f64 = 1000.0;
    const HEIGHT: f64 = 40.0;
    let count = props.bars.len().max(1) as f64;
    let lane = HEIGHT / count;
    let window = props.window;
    let zoom = |window: TimeWindow| {
        let on_zoom = props.on_zoom.clone();
        Callback::from(move |_: MouseEvent| on_zoom.emit(window))
    };
    html! {
        <div class="minimap" data-testid="minimap">
            <svg ref={strip} viewBox={format!("0 0 {WIDTH} {HEIGHT}")} preserveAspectRatio="none" role="img"
                 aria-label={tr(lang, Msg::MinimapLabel)} onpointerdown={on_down} onpointermove={on_move}
                 onpointerup={on_up.clone()} onpointercancel={on_up}>
                { for props.bars.iter().enumerate().map(|(i, (bar, error))| html! {
                    <rect class={if *error { "minimap-bar error" } else { "minimap-bar" }}
                          x={format!("{:.1}", bar.left * WIDTH)} y={format!("{:.2}", i as f64 * lane)}
                          width={format!("{:.1}", (bar.width * WIDTH).max(2.0))} height={format!("{:.2}", (lane * 0.8).max(0.6))} />
                }) }
                // What lies outside the shown window is veiled.
                <rect class="minimap-outside" x="0" y="0" width={format!("{:.1}", window.from * WIDTH)} height={HEIGHT.to_string()} />
                <rect class="minimap-outside" x={format!("{:.1}", window.to * WIDTH)} y="0"
                      width={format!("{:.1}", (1.0 - window.to) * WIDTH)} height={HEIGHT.to_string()} />
                if let Some((a, b)) = *drag {
                    <rect class="minimap-drag" x={format!("{:.1}", a.min(b) * WIDTH)} y="0"
                          width={format!("{:.1}", (a - b).abs() * WIDTH)} height={HEIGHT.to_string()} />
                }
            </svg>
            <p class="minimap-tools">
                <span class="hint">{ tr(lang, Msg::MinimapHint) }</span>
                <button onclick={zoom(props.selected_bar.map_or(TimeWindow::WHOLE, TimeWindow::around))}
                        disabled={props.selected_bar.is_none()} data-testid="zoom-span">{ tr(lang, Msg::ZoomToSpan) }</button>
                <button onclick={zoom(TimeWindow::WHOLE)} disabled={window == TimeWindow::WHOLE}
                        data-testid="zoom-whole">{ tr(lang, Msg::WholeTrace) }</button>
            </p>
        </div>
    }
}

/// The kept traces, compared by which traces they are (the list is rebuilt at every refresh;
/// a trace, once kept, never changes).
#[derive(Clone)]
pub struct SameTraces(pub Rc<Vec<Arc<Trace>>>);

impl PartialEq for SameTraces {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(other.0.iter())
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

#[derive(Properties, PartialEq)]
pub struct ScatterProps {
    pub lang: Lang,
    pub traces: SameTraces,
    pub filter: TraceFilter,
    pub selected: Option<RequestId>,
    pub on_action: Callback<Action>,
}

#[component]
pub fn DurationScatter(props: &ScatterProps) -> Html {
    let lang = props.lang;
    let area = use_node_ref();
    // Kept traces are complete, so their durations do not depend on the clock.
    let Some(plot) = scatter(
        props
            .traces
            .0
            .iter()
            .filter(|t| props.filter.matches(t, 0))
            .map(|t| t.as_ref()),
        0,
    ) else {
        return Html::default();
    };
    // Every point of a kind is one path of zero-length strokes with round (ok) or square
    // (error) caps and a stroke that does not scale: two elements for two hundred points, so a
    // refresh that moves them all costs one attribute each, not two hundred elements.
    const WIDTH: f64 = 1000.0;
    const HEIGHT: f64 = 100.0;
    let path = |error: bool| -> String {
        plot.points
            .iter()
            .filter(|p| p.error == error)
            .map(|p| format!("M{:.1} {:.1}h0", p.x * WIDTH, (1.0 - p.y) * HEIGHT))
            .collect()
    };
    let selected = plot
        .points
        .iter()
        .find(|p| Some(p.request) == props.selected)
        .map(|p| format!("M{:.1} {:.1}h0", p.x * WIDTH, (1.0 - p.y) * HEIGHT));
    // A click opens the trace of the nearest point (within a few pixels).
    let on_click = {
        let on_action = props.on_action.clone();
        let area = area.clone();
        let points: Vec<(f64, f64, RequestId)> = plot
            .points
            .iter()
            .map(|p| (p.x, 1.0 - p.y, p.request))
            .collect();
        Callback::from(move |event: MouseEvent| {
            let Some(element) = area.cast::<Element>() else {
                return;
            };
            let rect = element.get_bounding_client_rect();
            let (x, y) = (
                f64::from(event.client_x()) - rect.left(),
                f64::from(event.client_y()) - rect.top(),
            );
            let nearest = points
                .iter()
                .map(|&(px, py, request)| {
                    (
                        (px * rect.width() - x).hypot(py * rect.height() - y),
                        request,
                    )
                })
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((distance, request)) = nearest
                && distance <= 8.0
            {
                on_action.emit(Action::SelectTrace(Some(request)));
            }
        })
    };
    let ok_count = plot.points.iter().filter(|p| !p.error).count();
    let summary = fill(
        lang,
        Msg::ScatterSummary,
        &[
            &plot.points.len().to_string(),
            &(plot.points.len() - ok_count).to_string(),
            &format_ms(plot.max_duration_us),
        ],
    );
    html! {
        <figure class="scatter" data-testid="duration-scatter" data-points={plot.points.len().to_string()}>
            <figcaption>{ tr(lang, Msg::ScatterTitle) }</figcaption>
            <div class="scatter-plot">
                <div class="scatter-y" aria-hidden="true">
                    { for ruler_ticks(plot.max_duration_us).into_iter().map(|(at, us)| html! {
                        <span style={format!("bottom:{}", percent(at))}>{ format_ms(us) }</span>
                    }) }
                </div>
                <svg ref={area} class="scatter-area" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} preserveAspectRatio="none"
                     role="img" aria-label={summary} onclick={on_click}>
                    { for ruler_ticks(plot.max_duration_us).into_iter().map(|(at, _)| html! {
                        <line class="scatter-grid" x1="0" x2={WIDTH.to_string()}
                              y1={format!("{:.1}", (1.0 - at) * HEIGHT)} y2={format!("{:.1}", (1.0 - at) * HEIGHT)} />
                    }) }
                    <path class="scatter-points ok" d={path(false)} />
                    <path class="scatter-points error" d={path(true)} />
                    if let Some(d) = selected {
                        <path class="scatter-points selected" d={d} />
                    }
                </svg>
                <div class="scatter-x" aria-hidden="true">
                    <span>{ format_clock(plot.from_us) }</span>
                    <span>{ tr(lang, Msg::ScatterAxes) }</span>
                    <span>{ format_clock(plot.to_us) }</span>
                </div>
            </div>
        </figure>
    }
}
