//! The canvas layer over the map where requests travel as dots. Drawn imperatively every
//! animation frame (no virtual DOM), in the map's own coordinates. Each outcome has its own colour
//! *and* shape, so nothing depends on colour alone. In reduced-motion mode the canvas stays empty
//! and the map shows a static flow overlay instead.

use crate::app::player::{DotKind, Player};
use crate::engine::ids::RequestId;
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

pub fn fit(css_width: f64, css_height: f64, map_width: f64, map_height: f64) -> Fit {
    let scale = (css_width / map_width)
        .min(css_height / map_height)
        .max(1e-6);
    Fit {
        scale,
        offset_x: (css_width - map_width * scale) / 2.0,
        offset_y: 0.0,
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
fn prepare(canvas: &HtmlCanvasElement, player: &Player) -> Option<(CanvasRenderingContext2d, Fit)> {
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
    let layout = player.layout();
    let fit = fit(css_w, css_h, layout.width, layout.height);
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

/// Draws every dot at its current place. Batched: one path per kind.
pub fn draw_dots(
    canvas: &HtmlCanvasElement,
    player: &Player,
    selected: Option<RequestId>,
    reduced_motion: bool,
) {
    let Some((ctx, _)) = prepare(canvas, player) else {
        return;
    };
    if reduced_motion {
        let _ = canvas.set_attribute("data-dot-count", "0");
        return;
    }
    let now = player.display_ms();
    let dots = player.dots();
    let mut drawn = 0;
    ctx.set_line_width(1.4);
    for kind in KINDS {
        ctx.begin_path();
        for dot in dots.iter().filter(|d| d.kind == kind) {
            let progress = dot.progress(now);
            if progress >= 1.0 || now < dot.start_ms {
                continue;
            }
            let point = dot.route.at(progress);
            let heading = if kind == DotKind::Compensation {
                let (a, b) = (
                    dot.route.at((progress - 0.01).max(0.0)),
                    dot.route.at((progress + 0.01).min(1.0)),
                );
                let length = (b.0 - a.0).hypot(b.1 - a.1);
                if length > 1e-6 {
                    ((b.0 - a.0) / length, (b.1 - a.1) / length)
                } else {
                    (1.0, 0.0)
                }
            } else {
                (1.0, 0.0)
            };
            trace_shape(&ctx, kind, point, RADIUS, heading);
            drawn += 1;
        }
        let paint = colour(kind);
        match kind {
            DotKind::Error => {
                ctx.set_line_width(2.6);
                ctx.set_stroke_style_str(paint);
                ctx.stroke();
                ctx.set_line_width(1.4);
            }
            DotKind::Compensation => {
                // A white casing first, so the brown dashes read on any line colour.
                ctx.set_line_width(6.5);
                ctx.set_stroke_style_str("#ffffff");
                ctx.stroke();
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
                ctx.set_stroke_style_str("#ffffff");
                ctx.stroke();
            }
        }
    }
    // The followed request: a ring around each of its dots.
    if let Some(request) = selected {
        ctx.begin_path();
        for dot in dots.iter().filter(|d| d.request == request) {
            let progress = dot.progress(now);
            if progress < 1.0 {
                let (x, y) = dot.route.at(progress);
                ctx.move_to(x + 11.0, y);
                let _ = ctx.arc(x, y, 11.0, 0.0, std::f64::consts::TAU);
            }
        }
        ctx.set_line_width(2.5);
        ctx.set_stroke_style_str("#1b1f2a");
        ctx.stroke();
    }
    let _ = canvas.set_attribute("data-dot-count", &drawn.to_string());
}

/// The request whose dot is nearest to a click at CSS pixel (x, y), within 12 px.
pub fn nearest_dot(
    canvas: &HtmlCanvasElement,
    player: &Player,
    x: f64,
    y: f64,
) -> Option<RequestId> {
    let layout = player.layout();
    let fit = fit(
        f64::from(canvas.client_width()),
        f64::from(canvas.client_height()),
        layout.width,
        layout.height,
    );
    let now = player.display_ms();
    let mut best: Option<(f64, RequestId)> = None;
    for dot in player.dots() {
        let progress = dot.progress(now);
        if progress >= 1.0 {
            continue;
        }
        let (mx, my) = dot.route.at(progress);
        let (px, py) = (fit.offset_x + mx * fit.scale, fit.offset_y + my * fit.scale);
        let distance = ((px - x).powi(2) + (py - y).powi(2)).sqrt();
        if distance <= 12.0 && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, dot.request));
        }
    }
    best.map(|(_, request)| request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_matches_the_svg_alignment() {
        let f = fit(1000.0, 500.0, 500.0, 500.0);
        assert_eq!(f.scale, 1.0);
        assert_eq!((f.offset_x, f.offset_y), (250.0, 0.0));
        let tall = fit(500.0, 1000.0, 500.0, 500.0);
        assert_eq!(
            (tall.offset_x, tall.offset_y),
            (0.0, 0.0),
            "top-aligned like the SVG"
        );
    }
}
