//! Charts of a run over virtual time: throughput, error rate and latency percentiles.
//!
//! Written against plotters' `DrawingBackend`, so the same code draws on a canvas in the browser
//! and into SVG in native tests. Lines differ by dash pattern and label as well as colour.

use crate::engine::metrics::SecondPoint;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// The words a chart shows, already in the user's language.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartLabels {
    pub throughput: String,
    pub errors: String,
    pub latency: String,
    pub time_axis: String,
    pub requests_per_s: String,
    pub percent: String,
    pub milliseconds: String,
    /// The mark on the stretch after arrivals end.
    pub drain: String,
}

/// What the charts' axes span. The compare view gives its two runs one scale, so the charts
/// can be read against each other; lines end where arrivals end and the drain after it is marked,
/// so a run that stops admitting requests does not look as if it crashed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChartScale {
    /// Virtual seconds shown, from and to.
    pub x: (f64, f64),
    pub throughput_max: f64,
    pub errors_max: f64,
    pub latency_max: f64,
    /// When the workload stops sending (the scenario's duration), if the run goes past it.
    pub arrivals_end_s: Option<f64>,
}

/// The points of seconds in which requests were still arriving.
fn while_arriving(points: &[SecondPoint], arrivals_end_s: Option<f64>) -> &[SecondPoint] {
    let count = match arrivals_end_s {
        Some(end) => points.partition_point(|p| p.second as f64 + 1.0 <= end),
        None => points.len(),
    };
    &points[..count]
}

impl ChartScale {
    /// One scale for every run given: the widest time span and the highest value of each chart
    /// over the seconds while requests arrived.
    pub fn of(runs: &[&[SecondPoint]], arrivals_end_s: Option<f64>) -> ChartScale {
        let mut x = (f64::INFINITY, 0.0f64);
        let (mut throughput, mut errors, mut latency) = (0.0f64, 0.0f64, 0.0f64);
        for points in runs {
            let range = time_range(points);
            x = (x.0.min(range.start), x.1.max(range.end));
            for p in while_arriving(points, arrivals_end_s) {
                throughput = throughput.max(f64::from(p.completed));
                errors = errors.max(p.error_ratio() * 100.0);
                if p.completed > 0 {
                    latency = latency.max(p.latency_p99_us as f64 / 1_000.0);
                }
            }
        }
        if !x.0.is_finite() {
            x = (0.0, 10.0);
        }
        ChartScale {
            x,
            throughput_max: nice_max(throughput * 1.1, 1.0),
            errors_max: nice_max(errors * 1.1, 1.0).min(100.0),
            latency_max: nice_max(latency * 1.1, 1.0),
            // Only a drain that is on the chart is marked.
            arrivals_end_s: arrivals_end_s.filter(|&end| end < x.1),
        }
    }
}

/// A circuit breaker's states over time, drawn as a band under the charts.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerBand {
    pub title: String,
    /// (start s, end s, state key, label in the user's language), in time order.
    pub segments: Vec<(f64, f64, &'static str, String)>,
}

/// Builds the band's segments from a breaker's transitions (`(at s, from, to)`), its state now
/// and the current time.
pub fn band_segments(
    transitions: &[(f64, &'static str, &'static str)],
    state_now: &'static str,
    now_s: f64,
    label: impl Fn(&'static str) -> String,
) -> Vec<(f64, f64, &'static str, String)> {
    let mut segments = Vec::new();
    let mut start = 0.0;
    let mut state = transitions.first().map_or(state_now, |t| t.1);
    for &(at, _, to) in transitions {
        if at > start {
            segments.push((start, at, state, label(state)));
        }
        start = at;
        state = to;
    }
    if now_s > start {
        segments.push((start, now_s, state, label(state)));
    }
    segments
}

fn band_colour(state: &str) -> RGBColor {
    match state {
        "open" | "forced_open" => RGBColor(246, 196, 176),
        "half_open" => RGBColor(251, 224, 160),
        "closed" => RGBColor(205, 232, 218),
        _ => RGBColor(226, 228, 232),
    }
}

/// Colour-blind-safe series colours (Okabe–Ito).
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const VERMILION: RGBColor = RGBColor(213, 94, 0);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
const INK: RGBColor = RGBColor(40, 44, 52);
const GRID: RGBColor = RGBColor(225, 228, 235);

/// The x range shown: the series' span, at least 10 s so a fresh run is not a single point.
fn time_range(points: &[SecondPoint]) -> std::ops::Range<f64> {
    let last = points.last().map_or(0, |p| p.second + 1) as f64;
    let first = points.first().map_or(0, |p| p.second) as f64;
    let start = first.min((last - 10.0).max(0.0));
    start..(start + (last - start).max(10.0))
}

/// `50`, `2.5`, `0.25`: no trailing zeros on axis labels.
fn trim_number(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn nice_max(value: f64, floor: f64) -> f64 {
    let value = value.max(floor);
    let magnitude = 10f64.powf(value.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if value <= step * magnitude {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One chart panel: caption, axes with units, light grid, integer time labels.
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x_range: std::ops::Range<f64>,
    y_max: f64,
    time_axis: &str,
    y_unit: &str,
) -> Result<Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let font = ("sans-serif", 13).into_font().color(&INK);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 14).into_font().color(&INK))
        .margin(6)
        .x_label_area_size(34)
        .y_label_area_size(52)
        .build_cartesian_2d(x_range, 0.0..y_max)?;
    chart
        .configure_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .x_desc(time_axis)
        .y_desc(y_unit)
        .label_style(font)
        .x_labels(6)
        .y_labels(4)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| trim_number(*y))
        .draw()?;
    Ok(chart)
}

/// (end of second, value) for every point.
fn series(points: &[SecondPoint], value: impl Fn(&SecondPoint) -> f64) -> Vec<(f64, f64)> {
    points
        .iter()
        .map(|p| (p.second as f64 + 1.0, value(p)))
        .collect()
}

/// Greys the stretch after arrivals end, so it reads as the drain rather than as a collapse.
fn mark_drain<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    scale: &ChartScale,
    y_max: f64,
    label: Option<&str>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let Some(end) = scale.arrivals_end_s else {
        return Ok(());
    };
    chart.draw_series(std::iter::once(Rectangle::new(
        [(end, 0.0), (scale.x.1, y_max)],
        RGBColor(236, 236, 240).filled(),
    )))?;
    chart.draw_series(DashedLineSeries::new(
        [(end, 0.0), (end, y_max)],
        4,
        3,
        INK.stroke_width(1),
    ))?;
    if let Some(label) = label {
        chart.draw_series(std::iter::once(Text::new(
            label.to_string(),
            (end + (scale.x.1 - scale.x.0) * 0.01, y_max * 0.92),
            ("sans-serif", 12).into_font().color(&INK),
        )))?;
    }
    Ok(())
}

/// Draws the three charts stacked in `root`, on `scale`.
pub fn draw_run_charts<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[SecondPoint],
    labels: &ChartLabels,
    band: Option<&BreakerBand>,
    scale: &ChartScale,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (_, height) = root.dim_in_pixel();
    let (charts, band_area) = match band {
        Some(_) => {
            let (top, bottom) = root.split_vertically(height.saturating_sub(64));
            (top, Some(bottom))
        }
        None => (root.clone(), None),
    };
    let areas = charts.split_evenly((3, 1));
    let x_range = scale.x.0..scale.x.1;
    let points = while_arriving(points, scale.arrivals_end_s);

    // Throughput: successful requests per second.
    let throughput = series(points, |p| f64::from(p.completed));
    let mut chart = panel(
        &areas[0],
        &labels.throughput,
        x_range.clone(),
        scale.throughput_max,
        &labels.time_axis,
        &labels.requests_per_s,
    )?;
    mark_drain(&mut chart, scale, scale.throughput_max, Some(&labels.drain))?;
    chart.draw_series(LineSeries::new(throughput, BLUE.stroke_width(2)))?;

    // Error rate: share of finished requests that failed, were rejected or timed out.
    let errors = series(points, |p| p.error_ratio() * 100.0);
    let mut chart = panel(
        &areas[1],
        &labels.errors,
        x_range.clone(),
        scale.errors_max,
        &labels.time_axis,
        &labels.percent,
    )?;
    mark_drain(&mut chart, scale, scale.errors_max, None)?;
    chart.draw_series(LineSeries::new(errors, VERMILION.stroke_width(2)))?;

    // Latency percentiles of successful requests, in milliseconds (seconds without any are gaps).
    let answered: Vec<SecondPoint> = points.iter().filter(|p| p.completed > 0).copied().collect();
    let ms = |us: u64| us as f64 / 1_000.0;
    let p50 = series(&answered, |p| ms(p.latency_p50_us));
    let p95 = series(&answered, |p| ms(p.latency_p95_us));
    let p99 = series(&answered, |p| ms(p.latency_p99_us));
    let mut chart = panel(
        &areas[2],
        &labels.latency,
        x_range.clone(),
        scale.latency_max,
        &labels.time_axis,
        &labels.milliseconds,
    )?;
    mark_drain(&mut chart, scale, scale.latency_max, None)?;
    chart
        .draw_series(LineSeries::new(p50, GREEN.stroke_width(2)))?
        .label("p50")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREEN.stroke_width(2)));
    chart
        .draw_series(DashedLineSeries::new(p95, 6, 4, BLUE.stroke_width(2)))?
        .label("p95 - -")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 7, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(DashedLineSeries::new(p99, 2, 3, PURPLE.stroke_width(2)))?
        .label("p99 ···")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 3, y)], PURPLE.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .label_font(("sans-serif", 13).into_font().color(&INK))
        .draw()?;
    if let (Some(band), Some(area)) = (band, band_area) {
        draw_band(&area, band, x_range)?;
    }
    root.present()?;
    Ok(())
}

/// The breaker band: one labelled rectangle per stretch of time in a state.
fn draw_band<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    band: &BreakerBand,
    x_range: std::ops::Range<f64>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(area)
        .caption(&band.title, ("sans-serif", 13).into_font().color(&INK))
        .margin(6)
        .margin_left(58)
        .build_cartesian_2d(x_range.clone(), 0.0..1.0)?;
    let font = ("sans-serif", 11).into_font().color(&INK);
    for (start, end, state, label) in &band.segments {
        let (start, end) = (start.max(x_range.start), end.min(x_range.end));
        if end <= start {
            continue;
        }
        chart.draw_series(std::iter::once(Rectangle::new(
            [(start, 0.0), (end, 1.0)],
            band_colour(state).filled(),
        )))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(start, 0.0), (end, 1.0)],
            INK.stroke_width(1),
        )))?;
        // Wide enough stretches carry their state's name, so colour is never the only cue.
        if (end - start) / (x_range.end - x_range.start) > 0.06 {
            chart.draw_series(std::iter::once(Text::new(
                label.clone(),
                (start + (end - start) * 0.08, 0.72),
                font.clone(),
            )))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::builtin::load_builtin;
    use crate::engine::{Engine, SimDuration};
    use std::sync::Arc;

    fn labels() -> ChartLabels {
        ChartLabels {
            throughput: "Throughput (successful requests/s)".into(),
            errors: "Error rate (%)".into(),
            latency: "Latency (ms): p50, p95, p99".into(),
            time_axis: "virtual time (s)".into(),
            requests_per_s: "requests/s".into(),
            percent: "%".into(),
            milliseconds: "ms".into(),
            drain: "drain: no new arrivals".into(),
        }
    }

    fn svg_of(points: &[SecondPoint]) -> String {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (640, 600)).into_drawing_area();
            draw_run_charts(
                &root,
                points,
                &labels(),
                None,
                &ChartScale::of(&[points], None),
            )
            .expect("draws");
        }
        svg
    }

    #[test]
    fn charts_of_a_real_run_have_axes_units_and_lines() {
        let Some(Ok(mut scenario)) = load_builtin("flipkart") else {
            panic!()
        };
        scenario.duration = SimDuration::from_secs(30);
        let mut engine = Engine::new(Arc::new(scenario), 2);
        engine.run_until_idle(u64::MAX).expect("finite");
        let points: Vec<SecondPoint> = engine.metrics().client.series().iter().copied().collect();
        assert!(points.len() >= 30);
        let svg = svg_of(&points);
        for text in [
            "Throughput (successful requests/s)",
            "Error rate (%)",
            "Latency (ms)",
            "virtual time (s)",
            "requests/s",
            "p50",
            "p95",
            "p99",
        ] {
            assert!(svg.contains(text), "missing {text:?}");
        }
        // Three series in the latency chart plus one each in the others: at least five paths.
        assert!(svg.matches("<polyline").count() + svg.matches("<path").count() >= 5);
    }

    #[test]
    fn an_empty_run_still_draws_its_axes() {
        let svg = svg_of(&[]);
        assert!(svg.contains("virtual time (s)"));
    }

    #[test]
    fn the_breaker_band_names_its_states() {
        let segments = band_segments(
            &[
                (20.0, "closed", "open"),
                (25.0, "open", "half_open"),
                (25.5, "half_open", "closed"),
            ],
            "closed",
            40.0,
            |state| state.replace('_', "-"),
        );
        assert_eq!(segments.len(), 4);
        assert_eq!(
            (segments[1].0, segments[1].1, segments[1].2),
            (20.0, 25.0, "open")
        );
        let band = BreakerBand {
            title: "Breaker state: api → restaurant".into(),
            segments,
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (640, 660)).into_drawing_area();
            let points: Vec<SecondPoint> = (0..40)
                .map(|second| SecondPoint {
                    second,
                    ..SecondPoint::default()
                })
                .collect();
            draw_run_charts(
                &root,
                &points,
                &labels(),
                Some(&band),
                &ChartScale::of(&[&points], None),
            )
            .expect("draws");
        }
        for text in ["Breaker state: api → restaurant", "closed", "open"] {
            assert!(svg.contains(text), "missing {text:?}");
        }
    }

    fn point(second: u64, completed: u32, failed: u32, p99_ms: u64) -> SecondPoint {
        SecondPoint {
            second,
            arrived: completed + failed,
            completed,
            failed,
            latency_p99_us: p99_ms * 1_000,
            ..SecondPoint::default()
        }
    }

    #[test]
    fn one_scale_spans_both_runs_and_ignores_the_drain() {
        // Run A: quiet and healthy; run B: busier, failing, slow. Arrivals stop at 20 s; the
        // drain after it has a huge latency that must not set the axis.
        let a: Vec<SecondPoint> = (0..25).map(|s| point(s, 40, 0, 30)).collect();
        let mut b: Vec<SecondPoint> = (0..20).map(|s| point(s, 90, 10, 120)).collect();
        b.extend((20..30).map(|s| point(s, 1, 0, 9_000)));
        let scale = ChartScale::of(&[&a, &b], Some(20.0));
        assert_eq!(scale.x, (0.0, 30.0), "the longer run's span");
        assert_eq!(scale.throughput_max, 100.0, "90 × 1.1 rounded up");
        assert_eq!(scale.errors_max, 20.0, "10 % × 1.1 rounded up");
        assert_eq!(
            scale.latency_max, 200.0,
            "p99 120 ms, the drain's 9 s ignored"
        );
        assert_eq!(scale.arrivals_end_s, Some(20.0));
        // Each run alone would have had its own axes: that is what the compare view must avoid.
        assert_ne!(
            ChartScale::of(&[&a], Some(20.0)).errors_max,
            scale.errors_max
        );
        assert_eq!(while_arriving(&b, Some(20.0)).len(), 20);
        // Drawn, the drain is marked and the lines stop at 20 s.
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (640, 600)).into_drawing_area();
            draw_run_charts(&root, &b, &labels(), None, &scale).expect("draws");
        }
        assert!(svg.contains("drain: no new arrivals"));
        // A run that ends with its arrivals has no drain to mark.
        assert_eq!(ChartScale::of(&[&a], Some(25.0)).arrivals_end_s, None);
    }

    #[test]
    fn nice_maxima_round_up() {
        assert_eq!(nice_max(0.0, 1.0), 1.0);
        assert_eq!(nice_max(7.3, 1.0), 10.0);
        assert_eq!(nice_max(130.0, 1.0), 200.0);
        assert_eq!(nice_max(2.2, 1.0), 2.5);
    }
}
