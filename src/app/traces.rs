//! What the trace panel shows, computed without a browser: the list's filter, the waterfall's
//! rows (tree order, bars as shares of the trace's time, the critical path per row), and the
//! hops that light a trace's path on the map.

use crate::engine::CallRole;
use crate::engine::Status;
use crate::engine::ids::{EndpointId, StationId};
use crate::engine::traces::{SpanKind, Trace};

/// Which traces the list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    Ok,
    /// Any span in error (as the tail policy's "keep errors" sees it).
    Errors,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 3] = [StatusFilter::All, StatusFilter::Ok, StatusFilter::Errors];

    pub fn key(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Ok => "ok",
            StatusFilter::Errors => "errors",
        }
    }

    pub fn from_key(key: &str) -> StatusFilter {
        StatusFilter::ALL
            .into_iter()
            .find(|f| f.key() == key)
            .unwrap_or_default()
    }
}

/// The trace list's filters: by entry endpoint, by status, by duration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceFilter {
    pub endpoint: Option<EndpointId>,
    pub status: StatusFilter,
    pub min_duration_ms: Option<u64>,
    pub max_duration_ms: Option<u64>,
}

impl TraceFilter {
    pub fn matches(&self, trace: &Trace, now_us: u64) -> bool {
        if self.endpoint.is_some_and(|e| e != trace.endpoint) {
            return false;
        }
        // (Scanning the spans for an error only when the filter asks: the list runs this over
        // every kept trace at each refresh.)
        match self.status {
            StatusFilter::All => {}
            StatusFilter::Ok if trace.has_error() => return false,
            StatusFilter::Errors if !trace.has_error() => return false,
            _ => {}
        }
        let duration_ms = trace.duration_us(now_us) / 1_000;
        self.min_duration_ms.is_none_or(|min| duration_ms >= min)
            && self.max_duration_ms.is_none_or(|max| duration_ms <= max)
    }
}

/// A duration bound typed by the user: a whole number of milliseconds, or nothing. Anything
/// else is refused with the text back, so the form can say what is wrong.
pub fn parse_bound_ms(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(ms) if ms.is_finite() && (0.0..=1e9).contains(&ms) => Ok(Some(ms.round() as u64)),
        _ => Err(text.to_string()),
    }
}

/// A bar segment as shares (0–1) of the trace's time axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub left: f64,
    pub width: f64,
}

/// One waterfall row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub index: usize,
    pub depth: usize,
    pub bar: Segment,
    /// Server spans: the time spent queued before a worker took the call.
    pub queued: Option<Segment>,
    /// The parts of this span on the critical path.
    pub critical: Vec<Segment>,
    /// Event ticks, as shares of the axis.
    pub events: Vec<f64>,
    /// Still running.
    pub open: bool,
    /// Ended after its parent did (a callee that outlived a caller who gave up, a saga that
    /// outlived the request that started it).
    pub outlived_parent: bool,
}

/// The waterfall of `trace` at time `now_us` (open spans run to now).
pub fn waterfall(trace: &Trace, now_us: u64) -> Vec<Row> {
    let start = trace.start_us();
    let total = trace.duration_us(now_us).max(1) as f64;
    let share = |t: u64| (t.saturating_sub(start) as f64 / total).clamp(0.0, 1.0);
    let segment = |from: u64, to: u64| Segment {
        left: share(from),
        width: (share(to) - share(from)).max(0.0),
    };
    let critical = trace.critical_path(now_us);
    trace
        .tree_order()
        .into_iter()
        .map(|(index, depth)| {
            let span = &trace.spans[index];
            let end = span.end_us.unwrap_or(now_us);
            let parent_end = span
                .parent
                .and_then(|p| trace.span_index(p))
                .map(|p| trace.spans[p].end_us.unwrap_or(now_us));
            Row {
                index,
                depth,
                bar: segment(span.start_us, end),
                queued: span
                    .work_start_us
                    .filter(|&w| span.kind == SpanKind::Server && w > span.start_us)
                    .map(|w| segment(span.start_us, w)),
                critical: critical
                    .iter()
                    .filter(|&&(i, _, _)| i == index)
                    .map(|&(_, from, to)| segment(from, to))
                    .collect(),
                events: span.events.iter().map(|e| share(e.t_us)).collect(),
                open: span.end_us.is_none(),
                outlived_parent: parent_end.is_some_and(|p| end > p),
            }
        })
        .collect()
}

/// The part of a trace's time axis the waterfall shows, as shares (0–1) of the whole trace:
/// all of it, or the window the learner chose on the minimap (Jaeger's "zoom").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeWindow {
    pub from: f64,
    pub to: f64,
}

impl TimeWindow {
    pub const WHOLE: TimeWindow = TimeWindow { from: 0.0, to: 1.0 };
    /// A window narrower than this (a click rather than a drag) is not a zoom.
    const NARROWEST: f64 = 0.005;

    /// The window between two shares, in either order, or `None` if it is too narrow.
    pub fn between(a: f64, b: f64) -> Option<TimeWindow> {
        let (from, to) = (a.min(b).clamp(0.0, 1.0), a.max(b).clamp(0.0, 1.0));
        (to - from >= Self::NARROWEST).then_some(TimeWindow { from, to })
    }

    /// The window around one segment (a span's bar), with a little room either side.
    pub fn around(segment: Segment) -> TimeWindow {
        let pad = (segment.width * 0.05).max(Self::NARROWEST);
        TimeWindow::between(segment.left - pad, segment.left + segment.width + pad)
            .unwrap_or(TimeWindow::WHOLE)
    }

    /// Where a share of the whole trace falls in this window (may be outside 0–1).
    pub fn place(self, share: f64) -> f64 {
        (share - self.from) / (self.to - self.from)
    }

    /// The part of `segment` inside this window, re-scaled to it; `None` if none is.
    pub fn clip(self, segment: Segment) -> Option<Segment> {
        let left = self.place(segment.left);
        let right = self.place(segment.left + segment.width);
        (right >= 0.0 && left <= 1.0).then(|| Segment {
            left: left.clamp(0.0, 1.0),
            width: right.clamp(0.0, 1.0) - left.clamp(0.0, 1.0),
        })
    }
}

/// The waterfall rows left when the sub-trees under `folded` (span indices) are folded away:
/// (position in `rows`, whether the row has children and so can be folded).
pub fn visible_rows(rows: &[Row], folded: &[usize]) -> Vec<(usize, bool)> {
    let mut shown = Vec::with_capacity(rows.len());
    // The depth of the folded row whose sub-tree is being skipped, if any.
    let mut skipping_below: Option<usize> = None;
    for (position, row) in rows.iter().enumerate() {
        if let Some(depth) = skipping_below {
            if row.depth > depth {
                continue;
            }
            skipping_below = None;
        }
        let has_children = rows
            .get(position + 1)
            .is_some_and(|next| next.depth > row.depth);
        shown.push((position, has_children));
        if has_children && folded.contains(&row.index) {
            skipping_below = Some(row.depth);
        }
    }
    shown
}

/// One kept trace in the duration scatter plot (Jaeger's search page): when it started across,
/// how long it took up, both as shares of the plot's axes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScatterPoint {
    pub request: crate::engine::ids::RequestId,
    pub x: f64,
    pub y: f64,
    pub duration_us: u64,
    pub error: bool,
}

/// The scatter plot of `traces`' durations against their start times.
#[derive(Clone, Debug, PartialEq)]
pub struct Scatter {
    pub points: Vec<ScatterPoint>,
    /// The start-time axis, virtual µs.
    pub from_us: u64,
    pub to_us: u64,
    /// The duration axis runs from 0 to this (a round number at or above the longest).
    pub max_duration_us: u64,
}

/// The duration scatter of the traces at `now_us` (open traces run to now), or `None` if there
/// are none (an empty plot is not drawn).
pub fn scatter<'a>(traces: impl IntoIterator<Item = &'a Trace>, now_us: u64) -> Option<Scatter> {
    let measured: Vec<(&Trace, u64, u64)> = traces
        .into_iter()
        .map(|t| (t, t.start_us(), t.duration_us(now_us)))
        .collect();
    let from_us = measured.iter().map(|m| m.1).min()?;
    let to_us = measured.iter().map(|m| m.1).max()?.max(from_us + 1);
    let longest = measured.iter().map(|m| m.2).max()?.max(1);
    // The axis ends on the first round step (the ruler's) at or above the longest trace.
    let step = ruler_ticks(longest).get(1).map_or(longest, |t| t.1).max(1);
    let max_duration_us = longest.div_ceil(step) * step;
    let points = measured
        .iter()
        .map(|&(trace, start, duration)| ScatterPoint {
            request: trace.request,
            x: (start - from_us) as f64 / (to_us - from_us) as f64,
            y: duration as f64 / max_duration_us as f64,
            duration_us: duration,
            error: trace.has_error(),
        })
        .collect();
    Some(Scatter {
        points,
        from_us,
        to_us,
        max_duration_us,
    })
}

/// One hop of a trace on the map: a call from one station to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathHop {
    pub from: StationId,
    pub to: StationId,
    pub compensation: bool,
    pub failed: bool,
}

/// The hops of `trace`'s calls, each once, for lighting its path on the map.
pub fn trace_path(trace: &Trace) -> Vec<PathHop> {
    let mut hops: Vec<PathHop> = Vec::new();
    for span in trace.spans.iter().filter(|s| s.kind == SpanKind::Client) {
        let Some(to) = span.peer_station else {
            continue;
        };
        let hop = PathHop {
            from: span.station,
            to,
            compensation: span.role == CallRole::SagaCompensation,
            failed: span.status.is_some_and(|st| st != Status::Ok),
        };
        if !hops.contains(&hop) {
            hops.push(hop);
        }
    }
    hops
}

/// The distinct services a trace touched (the client counts as one).
pub fn service_count(trace: &Trace) -> usize {
    let mut services: Vec<Option<crate::engine::ids::ServiceId>> = Vec::new();
    for span in &trace.spans {
        if !services.contains(&span.service) {
            services.push(span.service);
        }
    }
    services.len()
}

/// Ruler ticks for a time axis of `total_us`: about five round steps, as (share, µs).
pub fn ruler_ticks(total_us: u64) -> Vec<(f64, u64)> {
    let total = total_us.max(1);
    let rough = total as f64 / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(rough)
        .max(1.0) as u64;
    (0..=total / step)
        .map(|k| {
            let t = k * step;
            (t as f64 / total as f64, t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::builtin::load_builtin;
    use crate::engine::{Engine, SimDuration};
    use std::sync::Arc;

    fn traces(id: &str, seconds: u64) -> (Engine, Vec<Arc<Trace>>) {
        let Some(Ok(mut scenario)) = load_builtin(id) else {
            panic!("{id}")
        };
        scenario.duration = SimDuration::from_secs(seconds);
        let mut engine = Engine::new(Arc::new(scenario), 5);
        engine.run_until_idle(u64::MAX).expect("finite");
        let traces = engine.retained_traces();
        (engine, traces)
    }

    #[test]
    fn filters_by_endpoint_status_and_duration() {
        let (engine, traces) = traces("paytm-saga", 60);
        let checkout = engine
            .scenario()
            .endpoint_named("checkout.place_order")
            .unwrap();
        let by_endpoint = TraceFilter {
            endpoint: Some(checkout),
            ..TraceFilter::default()
        };
        let shown: Vec<_> = traces
            .iter()
            .filter(|t| by_endpoint.matches(t, 0))
            .collect();
        assert!(!shown.is_empty() && shown.len() < traces.len());
        assert!(shown.iter().all(|t| t.endpoint == checkout));
        let errors = TraceFilter {
            status: StatusFilter::Errors,
            ..TraceFilter::default()
        };
        let ok = TraceFilter {
            status: StatusFilter::Ok,
            ..TraceFilter::default()
        };
        let (e, o) = (
            traces.iter().filter(|t| errors.matches(t, 0)).count(),
            traces.iter().filter(|t| ok.matches(t, 0)).count(),
        );
        assert!(e > 0 && o > 0);
        assert_eq!(e + o, traces.len());
        let slow = TraceFilter {
            min_duration_ms: Some(500),
            max_duration_ms: Some(2_000),
            ..TraceFilter::default()
        };
        for trace in traces.iter().filter(|t| slow.matches(t, 0)) {
            let ms = trace.duration_us(0) / 1_000;
            assert!((500..=2_000).contains(&ms), "{ms}");
        }
    }

    #[test]
    fn duration_bounds_accept_numbers_and_refuse_the_rest() {
        assert_eq!(parse_bound_ms(""), Ok(None));
        assert_eq!(parse_bound_ms(" 250 "), Ok(Some(250)));
        assert_eq!(parse_bound_ms("2.6"), Ok(Some(3)));
        assert!(parse_bound_ms("-1").is_err());
        assert!(parse_bound_ms("fast").is_err());
        assert!(parse_bound_ms("1e300").is_err());
    }

    #[test]
    fn rows_nest_stay_inside_the_axis_and_the_root_spans_the_whole_trace() {
        let (_, traces) = traces("paytm-saga", 30);
        for trace in &traces {
            let rows = waterfall(trace, 0);
            assert_eq!(rows.len(), trace.spans.len());
            assert_eq!(rows[0].index, 0);
            assert_eq!(rows[0].depth, 0);
            for row in &rows {
                assert!(row.bar.left >= 0.0 && row.bar.left + row.bar.width <= 1.0 + 1e-9);
                for c in &row.critical {
                    assert!(c.left >= row.bar.left - 1e-9);
                    assert!(c.left + c.width <= row.bar.left + row.bar.width + 1e-9);
                }
            }
            // A child's row comes after its parent's, one level deeper.
            for (position, row) in rows.iter().enumerate() {
                if let Some(parent) = trace.spans[row.index].parent {
                    let p = rows
                        .iter()
                        .position(|r| trace.spans[r.index].id == parent)
                        .unwrap();
                    assert!(p < position);
                    assert_eq!(rows[p].depth + 1, row.depth);
                }
            }
            let critical: f64 = rows.iter().flat_map(|r| &r.critical).map(|c| c.width).sum();
            let root_share = rows[0].bar.width;
            assert!(
                (critical - root_share).abs() < 1e-6,
                "{critical} vs {root_share}"
            );
        }
    }

    #[test]
    fn a_compensated_saga_shows_its_compensations_on_the_path() {
        let (_, traces) = traces("paytm-saga", 120);
        let compensated = traces
            .iter()
            .find(|t| trace_path(t).iter().any(|h| h.compensation))
            .expect("some retained trace has a compensation");
        let path = trace_path(compensated);
        assert!(path.iter().any(|h| !h.compensation));
        assert!(waterfall(compensated, 0).iter().any(|r| r.outlived_parent));
    }

    #[test]
    fn folding_a_row_hides_its_sub_tree_and_nothing_else() {
        let (_, traces) = traces("paytm-saga", 30);
        let trace = traces
            .iter()
            .max_by_key(|t| t.spans.len())
            .expect("some trace");
        let rows = waterfall(trace, 0);
        let all = visible_rows(&rows, &[]);
        assert_eq!(all.len(), rows.len());
        // Fold each row that has children: exactly its descendants disappear.
        for &(position, has_children) in &all {
            let row = &rows[position];
            let descendants = rows[position + 1..]
                .iter()
                .take_while(|r| r.depth > row.depth)
                .count();
            assert_eq!(has_children, descendants > 0);
            let shown = visible_rows(&rows, &[row.index]);
            assert_eq!(shown.len(), rows.len() - descendants, "row {position}");
            assert!(
                shown.iter().any(|&(p, _)| p == position),
                "the folded row stays"
            );
        }
        // Folding the root leaves the root alone.
        assert_eq!(visible_rows(&rows, &[rows[0].index]).len(), 1);
    }

    #[test]
    fn a_time_window_clips_and_rescales_bars() {
        let window = TimeWindow::between(0.5, 0.25).expect("wide enough");
        assert_eq!((window.from, window.to), (0.25, 0.5));
        let inside = window
            .clip(Segment {
                left: 0.3,
                width: 0.1,
            })
            .unwrap();
        assert!((inside.left - 0.2).abs() < 1e-9 && (inside.width - 0.4).abs() < 1e-9);
        let across = window
            .clip(Segment {
                left: 0.0,
                width: 1.0,
            })
            .unwrap();
        assert_eq!((across.left, across.width), (0.0, 1.0));
        assert!(
            window
                .clip(Segment {
                    left: 0.6,
                    width: 0.1
                })
                .is_none()
        );
        assert!(
            TimeWindow::between(0.4, 0.401).is_none(),
            "a click is not a zoom"
        );
        let around = TimeWindow::around(Segment {
            left: 0.4,
            width: 0.2,
        });
        assert!(around.from < 0.4 && around.to > 0.6 && around.to - around.from < 0.3);
        let whole = TimeWindow::WHOLE
            .clip(Segment {
                left: 0.1,
                width: 0.2,
            })
            .unwrap();
        assert!((whole.left - 0.1).abs() < 1e-12 && (whole.width - 0.2).abs() < 1e-12);
    }

    #[test]
    fn the_scatter_places_every_trace_inside_its_axes() {
        let (_, traces) = traces("paytm-saga", 60);
        let plot = scatter(traces.iter().map(|t| t.as_ref()), 0).expect("traces");
        assert_eq!(plot.points.len(), traces.len());
        let longest = traces.iter().map(|t| t.duration_us(0)).max().unwrap();
        assert!(plot.max_duration_us >= longest);
        assert!(
            plot.max_duration_us < longest * 2 + 1,
            "{} vs {longest}",
            plot.max_duration_us
        );
        for (point, trace) in plot.points.iter().zip(&traces) {
            assert_eq!(point.request, trace.request);
            assert!((0.0..=1.0).contains(&point.x) && (0.0..=1.0).contains(&point.y));
            assert_eq!(point.error, trace.has_error());
            let expected = trace.duration_us(0) as f64 / plot.max_duration_us as f64;
            assert!((point.y - expected).abs() < 1e-12);
        }
        assert!(plot.points.iter().any(|p| p.x == 0.0) && plot.points.iter().any(|p| p.x == 1.0));
        assert!(scatter(std::iter::empty(), 0).is_none());
    }

    #[test]
    fn ruler_ticks_are_round_and_within_the_axis() {
        let ticks = ruler_ticks(1_234_000);
        assert_eq!(ticks[0], (0.0, 0));
        assert!(ticks.len() >= 4 && ticks.len() <= 6, "{ticks:?}");
        assert!(ticks.iter().all(|&(s, _)| (0.0..=1.0).contains(&s)));
        assert_eq!(ticks[1].1, 250_000);
        assert_eq!(ruler_ticks(0).len(), 2);
    }
}
