//! The canvas layer over the map where requests travel as dots. Drawn imperatively every
//! animation frame (no virtual DOM), in the map's own coordinates. Each outcome has its own colour
//! *and* shape, so nothing depends on colour alone. In reduced-motion mode the canvas stays empty
//! and the map shows a static flow overlay instead.

use crate::app::layout::{MapLayout, octilinear, offset_polyline};
use crate::app::player::{DotKind, Player};
use crate::engine::ids::{RequestId, StationId};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

const RADIUS: f64 = 3.8;

/// Map-to-canvas scale and offset, matching the SVG's `xMidYMin meet` (centred across, top-aligned).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    pub scale: f64,
    pub offset_x: f64,
    pub offset_y: f64,
}

/// The transform of the map's window `view_box` (`x, y, width, height` in map units) into a
/// box of CSS size `css_width` × `css_height`, as the SVG's `xMidYMin meet` does it.
pub fn fit(css_width: f64, css_height: f64, view_box: (f64, f64, f64, f64)) -> Fit {
    let (x, y, width, height) = view_box;
    let scale = (css_width / width.max(1e-9))
        .min(css_height / height.max(1e-9))
        .max(1e-6);
    Fit {
        scale,
        offset_x: (css_width - width * scale) / 2.0 - x * scale,
        offset_y: -y * scale,
    }
}

fn colour(kind: DotKind) -> &'static str {
    match kind {
        DotKind::Request => "#1b1f2a",
        DotKind::Ok => "#0b7a55",
        DotKind::Error => "#D55E00",
        DotKind::Rejected => "#E69F00",
        DotKind::Timeout => "#7B3294",
        DotKind::Lost => "#8a8f98",
        DotKind::ShortCircuited => "#1b1f2a",
        DotKind::Retry => "#0072B2",
        DotKind::Compensation => "#A0522D",
    }
}

/// `heading` is the unit direction of travel (used by shapes that point).
fn trace_shape(
    ctx: &CanvasRenderingContext2d,
    kind: DotKind,
    (x, y): (f64, f64),
    r: f64,
    heading: (f64, f64),
) {
    match kind {
        DotKind::Compensation => {
            // A dash with a head pointing where it travels: undoing a step.
            let (dx, dy) = heading;
            let (nx, ny) = (-dy, dx);
            let point = |along: f64, across: f64| {
                (
                    x + dx * along * r + nx * across * r,
                    y + dy * along * r + ny * across * r,
                )
            };
            let (tail, tip) = (point(-2.6, 0.0), point(2.2, 0.0));
            let (left, right) = (point(0.7, -1.5), point(0.7, 1.5));
            let neck = point(0.7, 0.0);
            ctx.move_to(tail.0, tail.1);
            ctx.line_to(neck.0, neck.1);
            ctx.move_to(left.0, left.1);
            ctx.line_to(tip.0, tip.1);
            ctx.line_to(right.0, right.1);
            ctx.close_path();
        }
        DotKind::Retry => {
            // A circle with an outer ring: the same request, again.
            ctx.move_to(x + r, y);
            let _ = ctx.arc(x, y, r, 0.0, std::f64::consts::TAU);
            ctx.move_to(x + r * 1.8, y);
            let _ = ctx.arc(x, y, r * 1.8, 0.0, std::f64::consts::TAU);
        }
        DotKind::Request | DotKind::Lost => {
            ctx.move_to(x + r, y);
            let _ = ctx.arc(x, y, r, 0.0, std::f64::consts::TAU);
        }
        DotKind::ShortCircuited => {
            // A hollow ring with a bar: the "not allowed" sign.
            ctx.move_to(x + r * 1.3, y);
            let _ = ctx.arc(x, y, r * 1.3, 0.0, std::f64::consts::TAU);
            ctx.move_to(x - r, y + r);
            ctx.line_to(x + r, y - r);
        }
        DotKind::Ok => ctx.rect(x - r, y - r, 2.0 * r, 2.0 * r),
        DotKind::Error => {
            ctx.move_to(x - r, y - r);
            ctx.line_to(x + r, y + r);
            ctx.move_to(x + r, y - r);
            ctx.line_to(x - r, y + r);
        }
        DotKind::Rejected => {
            ctx.move_to(x, y - r * 1.2);
            ctx.line_to(x + r * 1.2, y + r);
            ctx.line_to(x - r * 1.2, y + r);
            ctx.close_path();
        }
        DotKind::Timeout => {
            ctx.move_to(x, y - r * 1.3);
            ctx.line_to(x + r * 1.3, y);
            ctx.line_to(x, y + r * 1.3);
            ctx.line_to(x - r * 1.3, y);
            ctx.close_path();
        }
    }
}

const KINDS: [DotKind; 9] = [
    DotKind::Request,
    DotKind::Ok,
    DotKind::Error,
    DotKind::Rejected,
    DotKind::Timeout,
    DotKind::Lost,
    DotKind::ShortCircuited,
    DotKind::Retry,
    DotKind::Compensation,
];

/// Sizes the canvas to its box and returns its context with the map transform applied.
fn prepare(
    canvas: &HtmlCanvasElement,
    view_box: (f64, f64, f64, f64),
) -> Option<(CanvasRenderingContext2d, Fit)> {
    let ctx = canvas
        .get_context("2d")
        .ok()??
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()?;
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (css_w, css_h) = (
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
    );
    let (pixel_w, pixel_h) = (
        (css_w * ratio).round() as u32,
        (css_h * ratio).round() as u32,
    );
    if canvas.width() != pixel_w || canvas.height() != pixel_h {
        canvas.set_width(pixel_w);
        canvas.set_height(pixel_h);
    }
    let fit = fit(css_w, css_h, view_box);
    let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, f64::from(pixel_w), f64::from(pixel_h));
    let _ = ctx.set_transform(
        ratio * fit.scale,
        0.0,
        0.0,
        ratio * fit.scale,
        ratio * fit.offset_x,
        ratio * fit.offset_y,
    );
    Some((ctx, fit))
}

/// Dots per CSS pixel of a track segment, per direction: one per 14 px keeps shapes apart at
/// any zoom. Beyond this budget a segment shows its traffic as a flow band instead.
const CSS_PX_PER_DOT: f64 = 14.0;
/// Never fewer dots than this on a segment (a short hop still shows movement).
const MIN_DOTS_PER_SEGMENT: usize = 2;
/// Dots travel in a lane beside the track's centre line (left of travel), so the two directions
/// part and the track stays visible between them.
const LANE: f64 = 5.0;

/// Where a dot is this frame, and which directed track segment it is on.
struct Placed {
    index: usize,
    point: (f64, f64),
    heading: (f64, f64),
    segment: (StationId, StationId),
}

/// The traffic of one direction of one track segment this frame.
#[derive(Default)]
struct SegmentLoad {
    dots: usize,
    per_kind: [u32; KINDS.len()],
    budget: usize,
}

fn kind_index(kind: DotKind) -> usize {
    KINDS.iter().position(|&k| k == kind).unwrap_or(0)
}

/// Draws the dots at their current places (and returns the map-to-canvas fit it used), at most a budget per pixel of each track segment
/// (spread evenly along it); a segment over budget gets a flow band under its dots whose width
/// follows its rate and whose stripes are its outcome mix. Batched: one path per kind.
pub fn draw_dots(
    canvas: &HtmlCanvasElement,
    player: &Player,
    selected: Option<RequestId>,
    reduced_motion: bool,
    // The map's window (`MapView::view_box` over the drawing's extent), shared with the SVG.
    view_box: (f64, f64, f64, f64),
    drawn_dots: &mut Vec<DrawnDot>,
) -> Option<Fit> {
    drawn_dots.clear();
    let (ctx, fit) = prepare(canvas, view_box)?;
    if reduced_motion {
        let _ = canvas.set_attribute("data-dot-count", "0");
        let _ = canvas.set_attribute("data-band-count", "0");
        return Some(fit);
    }
    let now = player.display_ms();
    let dots = player.dots();
    let layout = player.layout();

    // Per directed station pair, in one dense table (a map has at most a few dozen stations).
    let stations = layout.stations.len();
    let pair = |(from, to): (StationId, StationId)| from.index() * stations + to.index();
    let mut placed: Vec<Placed> = Vec::with_capacity(dots.len());
    let mut loads: Vec<SegmentLoad> = Vec::new();
    loads.resize_with(stations * stations, SegmentLoad::default);
    for (index, dot) in dots.iter().enumerate() {
        let progress = dot.progress(now);
        if progress >= 1.0 || now < dot.start_ms {
            continue;
        }
        let ((x, y), heading) = dot.route.line.at_with_heading(progress);
        let leg = dot.route.leg_at(progress);
        let segment = (leg.from, leg.to);
        let load = &mut loads[pair(segment)];
        load.dots += 1;
        load.per_kind[kind_index(dot.kind)] += 1;
        // In the direction's own lane, on the side `offset_polyline` shifts to (the bands' side).
        let point = (x - heading.1 * LANE, y + heading.0 * LANE);
        placed.push(Placed {
            index,
            point,
            heading,
            segment,
        });
    }
    let segments = || {
        (0..stations).flat_map(move |from| {
            (0..stations).map(move |to| (StationId::from_index(from), StationId::from_index(to)))
        })
    };
    for segment in segments() {
        let load = &mut loads[pair(segment)];
        if load.dots > 0 {
            let css_length = layout.leg_length(segment.0, segment.1) * fit.scale;
            load.budget = ((css_length / CSS_PX_PER_DOT) as usize).max(MIN_DOTS_PER_SEGMENT);
        }
    }

    // Bands first, under the dots, on the segments over budget.
    let mut rates = vec![0.0; stations * stations];
    for (from, to, rate) in layout.segment_flows(&player.flows()) {
        rates[pair((from, to))] = rate;
    }
    let busiest = rates.iter().copied().fold(1.0, f64::max);
    let mut bands = 0;
    for segment in segments() {
        let load = &loads[pair(segment)];
        if load.dots <= load.budget || segment.0 == segment.1 {
            continue;
        }
        let width = 4.0 + 8.0 * (rates[pair(segment)] / busiest).clamp(0.0, 1.0).sqrt();
        draw_band(&ctx, layout, segment, width, &load.per_kind);
        bands += 1;
    }

    // Which dots to draw: on a segment over budget, every (dots / budget)-th in order of
    // departure, so those drawn stay spread along it; the followed request's always.
    let mut shown = vec![false; dots.len()];
    let mut seen = vec![0usize; stations * stations];
    for place in &placed {
        let load = &loads[pair(place.segment)];
        let nth = &mut seen[pair(place.segment)];
        let keep = load.dots <= load.budget
            || (*nth * load.budget) / load.dots != ((*nth + 1) * load.budget) / load.dots;
        *nth += 1;
        shown[place.index] = keep || Some(dots[place.index].request) == selected;
    }

    let mut drawn = 0;
    ctx.set_line_width(1.4);
    for kind in KINDS {
        ctx.begin_path();
        for place in placed
            .iter()
            .filter(|p| shown[p.index] && dots[p.index].kind == kind)
        {
            trace_shape(&ctx, kind, place.point, RADIUS, place.heading);
            drawn_dots.push(DrawnDot {
                x_css: fit.offset_x + place.point.0 * fit.scale,
                y_css: fit.offset_y + place.point.1 * fit.scale,
                request: dots[place.index].request,
            });
            drawn += 1;
        }
        paint_kind(&ctx, kind);
    }
    // The followed request: a ring around each of its dots.
    if let Some(request) = selected {
        ctx.begin_path();
        for place in placed.iter().filter(|p| dots[p.index].request == request) {
            let (x, y) = place.point;
            ctx.move_to(x + 11.0, y);
            let _ = ctx.arc(x, y, 11.0, 0.0, std::f64::consts::TAU);
        }
        ctx.set_line_width(2.5);
        ctx.set_stroke_style_str("#1b1f2a");
        ctx.stroke();
    }
    let _ = canvas.set_attribute("data-dot-count", &drawn.to_string());
    let _ = canvas.set_attribute("data-band-count", &bands.to_string());
    Some(fit)
}

/// Fills or strokes the current path in the kind's colour. No white outline: outlines of
/// neighbouring dots merged into white bands that hid the tracks.
fn paint_kind(ctx: &CanvasRenderingContext2d, kind: DotKind) {
    let paint = colour(kind);
    match kind {
        DotKind::Error => {
            ctx.set_line_width(2.6);
            ctx.set_stroke_style_str(paint);
            ctx.stroke();
            ctx.set_line_width(1.4);
        }
        DotKind::Compensation => {
            ctx.set_line_width(3.2);
            ctx.set_line_dash(&js_sys::Array::of2(&3.5.into(), &2.0.into()))
                .ok();
            ctx.set_stroke_style_str(paint);
            ctx.stroke();
            ctx.set_line_dash(&js_sys::Array::new()).ok();
            // The head is solid: it shows which way the undo travels.
            ctx.set_fill_style_str(paint);
            ctx.fill();
            ctx.set_line_width(1.4);
        }
        DotKind::Lost | DotKind::ShortCircuited | DotKind::Retry => {
            ctx.set_line_width(1.8);
            ctx.set_stroke_style_str(paint);
            ctx.stroke();
            ctx.set_line_width(1.4);
        }
        _ => {
            ctx.set_fill_style_str(paint);
            ctx.fill();
        }
    }
}

/// A flow band along one direction of a segment, in that direction's lane: side-by-side stripes,
/// one per outcome in proportion to its share, translucent so the track shows through; failing
/// outcomes (error, timeout, rejected, lost) are dashed, so the mix does not rest on colour alone.
fn draw_band(
    ctx: &CanvasRenderingContext2d,
    layout: &MapLayout,
    (from, to): (StationId, StationId),
    width: f64,
    per_kind: &[u32; KINDS.len()],
) {
    let total: u32 = per_kind.iter().sum();
    if total == 0 {
        return;
    }
    let centre = octilinear(layout.station_point(from), layout.station_point(to));
    ctx.save();
    ctx.set_global_alpha(0.5);
    ctx.set_line_cap("butt");
    ctx.set_line_join("round");
    // Stripes from the track outwards, starting at the lane's inner edge.
    let mut across = LANE - width / 2.0;
    for (kind, &count) in KINDS.iter().zip(per_kind) {
        if count == 0 {
            continue;
        }
        let stripe = width * f64::from(count) / f64::from(total);
        let lane = offset_polyline(&centre, across + stripe / 2.0);
        ctx.begin_path();
        for (i, &(x, y)) in lane.iter().enumerate() {
            if i == 0 {
                ctx.move_to(x, y);
            } else {
                ctx.line_to(x, y);
            }
        }
        ctx.set_line_width(stripe);
        ctx.set_stroke_style_str(colour(*kind));
        let dashed = matches!(
            kind,
            DotKind::Error | DotKind::Timeout | DotKind::Rejected | DotKind::Lost
        );
        if dashed {
            ctx.set_line_dash(&js_sys::Array::of2(&5.0.into(), &3.0.into()))
                .ok();
        }
        ctx.stroke();
        if dashed {
            ctx.set_line_dash(&js_sys::Array::new()).ok();
        }
        across += stripe;
    }
    ctx.restore();
}

/// A dot as drawn in the last frame, in CSS pixels of the canvas: what a click can pick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrawnDot {
    pub x_css: f64,
    pub y_css: f64,
    pub request: RequestId,
}

/// The request whose drawn dot is nearest to a click at CSS pixel (x, y), within 12 px (a dot
/// folded into a flow band cannot be picked: it is not on screen).
pub fn nearest_dot(drawn: &[DrawnDot], x: f64, y: f64) -> Option<RequestId> {
    drawn
        .iter()
        .map(|dot| ((dot.x_css - x).hypot(dot.y_css - y), dot.request))
        .filter(|&(distance, _)| distance <= 12.0)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, request)| request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_matches_the_svg_alignment() {
        let f = fit(1000.0, 500.0, (0.0, 0.0, 500.0, 500.0));
        assert_eq!(f.scale, 1.0);
        assert_eq!((f.offset_x, f.offset_y), (250.0, 0.0));
        let tall = fit(500.0, 1000.0, (0.0, 0.0, 500.0, 500.0));
        assert_eq!(
            (tall.offset_x, tall.offset_y),
            (0.0, 0.0),
            "top-aligned like the SVG"
        );
        // A zoomed window: its corner maps to the box's corner, twice as large.
        let zoomed = fit(500.0, 500.0, (100.0, 50.0, 250.0, 250.0));
        assert_eq!(zoomed.scale, 2.0);
        assert_eq!((zoomed.offset_x, zoomed.offset_y), (-200.0, -100.0));
    }
}
