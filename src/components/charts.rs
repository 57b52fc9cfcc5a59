//! A charts panel: `crate::charts` drawn with plotters on a canvas. It redraws when its series
//! changes, which the loop limits to ten times a second. Used live beside the map and twice in
//! the compare view.

use crate::app::i18n::{Lang, Msg, fill, tr};
use crate::charts::{BreakerBand, ChartLabels, ChartScale, draw_run_charts};
use crate::engine::metrics::SecondPoint;
use plotters::prelude::IntoDrawingArea;
use plotters_canvas::CanvasBackend;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

pub fn labels(lang: Lang) -> ChartLabels {
    ChartLabels {
        throughput: tr(lang, Msg::ChartThroughput).into(),
        errors: tr(lang, Msg::ChartErrors).into(),
        latency: tr(lang, Msg::ChartLatency).into(),
        time_axis: tr(lang, Msg::ChartTime).into(),
        requests_per_s: tr(lang, Msg::RequestsPerSecond).into(),
        percent: tr(lang, Msg::Percent).into(),
        milliseconds: tr(lang, Msg::Milliseconds).into(),
        drain: tr(lang, Msg::ChartDrain).into(),
    }
}

#[derive(Properties, PartialEq)]
pub struct ChartsProps {
    pub lang: Lang,
    pub series: Rc<Vec<SecondPoint>>,
    #[prop_or_default]
    pub band: Option<Rc<BreakerBand>>,
    /// A heading of its own (the compare view); the live panel uses the standard one.
    #[prop_or_default]
    pub heading: Option<String>,
    /// When the workload stops sending: the lines end there and the drain is marked.
    #[prop_or_default]
    pub arrivals_end_s: Option<f64>,
    /// A scale shared with other charts (the compare view's two runs); else the series' own.
    #[prop_or_default]
    pub scale: Option<ChartScale>,
}

#[component]
pub fn Charts(props: &ChartsProps) -> Html {
    let canvas = use_node_ref();
    let lang = props.lang;
    {
        let canvas = canvas.clone();
        let scale = props
            .scale
            .unwrap_or_else(|| ChartScale::of(&[&props.series], props.arrivals_end_s));
        // Redrawn when a second closes (the series grows) or what frames it changes, not at
        // every ten-a-second refresh: a plotters redraw is the heaviest thing in a frame.
        let series = Rc::clone(&props.series);
        use_effect_with(
            (
                series.len(),
                series.last().copied(),
                props.band.clone(),
                lang,
                scale,
            ),
            move |(_, _, band, lang, scale)| {
                if let Some(element) = canvas.cast::<HtmlCanvasElement>() {
                    let width = element.client_width().max(200) as u32;
                    let height = element.client_height().max(300) as u32;
                    if element.width() != width || element.height() != height {
                        element.set_width(width);
                        element.set_height(height);
                    }
                    if let Some(backend) = CanvasBackend::with_canvas_object(element) {
                        let root = backend.into_drawing_area();
                        // A drawing error leaves the previous frame in place; nothing to recover.
                        let _ =
                            draw_run_charts(&root, &series, &labels(*lang), band.as_deref(), scale);
                    }
                }
            },
        );
    }
    let summary = match props.series.last() {
        Some(point) => format!(
            "{}: {}; {}: {:.1} %; p50 / p95 / p99: {} / {} / {} {}",
            tr(lang, Msg::Throughput),
            fill(lang, Msg::FlowLabel, &[&point.completed.to_string()]),
            tr(lang, Msg::ErrorRate),
            point.error_ratio() * 100.0,
            point.latency_p50_us / 1_000,
            point.latency_p95_us / 1_000,
            point.latency_p99_us / 1_000,
            tr(lang, Msg::Milliseconds)
        ),
        None => String::new(),
    };
    let heading = props
        .heading
        .clone()
        .unwrap_or_else(|| tr(lang, Msg::ChartsHeading).to_string());
    let class = classes!("chart-canvas", props.band.is_some().then_some("with-band"));
    html! {
        <section class="charts">
            <h2>{ heading }</h2>
            <canvas ref={canvas} {class} role="img" aria-label={tr(lang, Msg::ChartsLabel)} data-testid="charts"></canvas>
            <p class="visually-hidden" aria-live="off">{ summary }</p>
        </section>
    }
}
