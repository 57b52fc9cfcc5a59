//! Two of Jaeger's views that matter here: the minimap over a trace's waterfall (every span in
//! a thin strip; drag across it to zoom in on part of the time axis) and the duration scatter
//! plot of the kept traces (start time across, duration up; click a point to open its trace).

use super::{format_clock, format_ms};
use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::app::state::Action;
use crate::app::traces::{Segment, TimeWindow, TraceFilter, ruler_ticks, scatter};
use crate::engine::ids::RequestId;
use crate::engine::traces::Trace;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsCast;
use web_sys::{Element, PointerEvent};
use yew::prelude::*;

/// The share (0–1) across `element` where the pointer of `event` is. (The element comes from a
/// node ref: with Yew's event delegation an event's current target is not the element whose
/// listener it is.)
fn share_across(element: &NodeRef, event: &PointerEvent) -> Option<f64> {
    let element: Element = element.cast()?;
    let rect = element.get_bounding_client_rect();
    (rect.width() > 0.0)
        .then(|| ((f64::from(event.client_x()) - rect.left()) / rect.width()).clamp(0.0, 1.0))
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
    let on_click = {
        let on_action = props.on_action.clone();
        Callback::from(move |event: MouseEvent| {
            let request = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|e| e.get_attribute("data-request"))
                .and_then(|r| r.parse::<u64>().ok());
            if let Some(request) = request {
                on_action.emit(Action::SelectTrace(Some(RequestId(request))));
            }
        })
    };
    let percent = |share: f64| format!("{:.2}%", share * 100.0);
    html! {
        <figure class="scatter" data-testid="duration-scatter">
            <figcaption>{ tr(lang, Msg::ScatterTitle) }</figcaption>
            <div class="scatter-plot">
                <div class="scatter-y" aria-hidden="true">
                    { for ruler_ticks(plot.max_duration_us).into_iter().map(|(at, us)| html! {
                        <span style={format!("bottom:{}", percent(at))}>{ format_ms(us) }</span>
                    }) }
                </div>
                <div class="scatter-area" onclick={on_click} role="group" aria-label={tr(lang, Msg::ScatterTitle)}>
                    { for ruler_ticks(plot.max_duration_us).into_iter().map(|(at, _)| html! {
                        <span class="scatter-grid" style={format!("bottom:{}", percent(at))}></span>
                    }) }
                    { for plot.points.iter().map(|point| {
                        let words = fill(lang, Msg::ScatterPoint, &[
                            &point.request.0.to_string(),
                            &format_ms(point.duration_us),
                            tr(lang, if point.error { Msg::FilterErrors } else { Msg::FilterOk }),
                        ]);
                        html! {
                            <span class={classes!("scatter-point", if point.error { "error" } else { "ok" },
                                                  (props.selected == Some(point.request)).then_some("selected"))}
                                  data-request={point.request.0.to_string()} title={words}
                                  style={format!("left:{};bottom:{}", percent(point.x), percent(point.y))}></span>
                        }
                    }) }
                </div>
                <div class="scatter-x" aria-hidden="true">
                    <span>{ format_clock(plot.from_us) }</span>
                    <span>{ tr(lang, Msg::ScatterAxes) }</span>
                    <span>{ format_clock(plot.to_us) }</span>
                </div>
            </div>
        </figure>
    }
}
