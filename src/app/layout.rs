//! Map layout: where each station sits and how each line runs, in the style of a transit diagram.
//!
//! Positions come from the scenario; stations without one are placed next to a placed neighbour
//! on their line. Tracks are octilinear: every segment between two stations runs horizontally,
//! vertically or at 45°, with at most one bend. Requests travel along the tracks, so a route
//! between any two stations is the shortest path over the line graph.

use crate::engine::Scenario;
use crate::engine::ids::{LineId, StationId};
use crate::engine::scenario::LineStyle;
use std::collections::BTreeMap;
use std::collections::VecDeque;

/// Map units per grid step of scenario positions.
pub const GRID: f64 = 64.0;
const MARGIN: f64 = 90.0;
/// Blank paper around the drawing.
const PAPER: f64 = 24.0;

pub type Point = (f64, f64);

#[derive(Clone, Debug, PartialEq)]
pub struct StationPlace {
    pub point: Point,
    /// Lines serving the station; two or more make an interchange.
    pub lines: Vec<LineId>,
    /// Where the station's name and services go: the side its tracks leave most free.
    pub label_side: LabelSide,
    /// How far the label block slides along its side (across for Above/Below, down for
    /// Left/Right) to clear a track; (0, 0) when it needs not.
    pub label_shift: Point,
    /// A unit vector across the station's first track, pointing to the label side: the
    /// direction of its tick mark.
    pub tick: Point,
    /// Whether the label is written at all: on a map drawn so small that a grown label would
    /// cover another, it is left out (the station still names itself to assistive tools and
    /// in its tooltip, and the label returns when the learner zooms in).
    pub label_shown: bool,
    /// Whether the label writes the station's services (names and instances) under its name.
    pub services_shown: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelSide {
    Right,
    Left,
    Above,
    Below,
}

impl LabelSide {
    const ALL: [(LabelSide, Point); 4] = [
        (LabelSide::Right, (1.0, 0.0)),
        (LabelSide::Left, (-1.0, 0.0)),
        (LabelSide::Below, (0.0, 1.0)),
        (LabelSide::Above, (0.0, -1.0)),
    ];
}

/// Sides in order of preference, widest angle to every track leaving the station first; a side
/// running along a track (under 45° from it) only when every side does.
fn ranked_label_sides(directions: &[Point]) -> Vec<LabelSide> {
    let mut ranked: Vec<(LabelSide, f64)> = LabelSide::ALL
        .iter()
        .map(|&(side, (sx, sy))| {
            // Smallest angle (as 1 − cosine) between this side and any track.
            let clearance = directions
                .iter()
                .map(|&(dx, dy)| {
                    let length = (dx * dx + dy * dy).sqrt().max(1e-9);
                    1.0 - (sx * dx + sy * dy) / length
                })
                .fold(2.0, f64::min);
            (side, clearance)
        })
        .collect();
    // Stable: among equals the order of `LabelSide::ALL` decides.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let clear = ranked
        .iter()
        .filter(|(_, clearance)| *clearance >= 0.29)
        .count()
        .max(1);
    ranked
        .into_iter()
        .take(clear)
        .map(|(side, _)| side)
        .collect()
}

#[cfg(test)]
fn choose_label_side(directions: &[Point]) -> LabelSide {
    ranked_label_sides(directions)[0]
}

/// Approximate width of text in map units (service names and pills are 11–13 px, about 7.5
/// units a character, measured at 6.9 on average and 7.4 at most).
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 7.5
}

/// Approximate width of a station's name (15 px bold: measured at 8.6 units a character on
/// average and 10.2 at most, for names in capitals), generous so that no name outgrows its box.
fn station_name_width(text: &str) -> f64 {
    text.chars().count() as f64 * 9.4
}

/// The width of a line's name pill: its text and the rounded ends.
pub fn pill_width(name: &str) -> f64 {
    16.0 + text_width(name)
}

/// How one service's instances are drawn: each worker as a cell when there are few (an M/M/c
/// station shows its ten counters), else a box filled to its share of busy workers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PipShape {
    /// Worker cells across and down, when workers are drawn one by one.
    pub cells: Option<(u32, u32)>,
    pub width: f64,
}

pub const CELL: f64 = 5.0;
pub const BOX_W: f64 = 11.0;
pub const BOX_H: f64 = 16.0;
pub const PIP_GAP: f64 = 4.0;

impl PipShape {
    pub fn of(workers: u32, instances: usize) -> PipShape {
        if workers <= 16 && instances <= 4 {
            let across = workers.clamp(1, 8);
            let down = workers.div_ceil(across).max(1);
            PipShape {
                cells: Some((across, down)),
                width: f64::from(across) * CELL + 2.0,
            }
        } else {
            PipShape {
                cells: None,
                width: BOX_W,
            }
        }
    }

    /// The width of all the service's instances side by side.
    pub fn row_width(&self, instances: usize) -> f64 {
        instances as f64 * (self.width + PIP_GAP) - PIP_GAP
    }
}

/// An axis-aligned box (x0, y0, x1, y1).
pub type Rect = (f64, f64, f64, f64);

/// The box a station's name and services take on `side`, at natural size (`width` ×
/// `height`) grown by `growth` about the block's corner nearest the station: where the map
/// scales the drawn block from (`map.rs`), so that box and drawing agree at any size.
fn label_box(point: Point, side: LabelSide, width: f64, height: f64, growth: f64) -> Rect {
    let natural = natural_label_box(point, side, width, height);
    let (x, y) = point;
    let (ox, oy) = match side {
        LabelSide::Right => (x + 18.0, y - 6.0),
        LabelSide::Left => (x - 18.0, y - 6.0),
        LabelSide::Below => (x, y + 16.0),
        LabelSide::Above => (x, y - 14.0),
    };
    (
        ox + (natural.0 - ox) * growth,
        oy + (natural.1 - oy) * growth,
        ox + (natural.2 - ox) * growth,
        oy + (natural.3 - oy) * growth,
    )
}

fn natural_label_box(point: Point, side: LabelSide, width: f64, height: f64) -> Rect {
    let (x, y) = point;
    match side {
        // A name's text box (its font's ascent) rises 14 units above its baseline, which is 2
        // above the station on the sides and 4 below the block's top above it.
        LabelSide::Right => (x + 14.0, y - 17.0, x + 18.0 + width, y - 10.0 + height),
        LabelSide::Left => (x - 18.0 - width, y - 17.0, x - 14.0, y - 10.0 + height),
        LabelSide::Below => (
            x - width / 2.0,
            y + 12.0,
            x + width / 2.0,
            y + 16.0 + height,
        ),
        LabelSide::Above => (
            x - width / 2.0,
            y - 26.0 - height,
            x + width / 2.0,
            y - 12.0,
        ),
    }
}

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Whether the straight piece a–b passes through the box (Liang–Barsky clipping).
fn crosses(r: Rect, a: Point, b: Point) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.0),
        (dx, r.2 - a.0),
        (-dy, a.1 - r.1),
        (dy, r.3 - a.1),
    ] {
        if p.abs() < 1e-12 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// How many straight pieces of track pass through the box.
fn track_crossings(r: Rect, tracks: &[TrackPath]) -> usize {
    tracks
        .iter()
        .flat_map(|track| &track.segments)
        .flat_map(|segment| segment.windows(2))
        .filter(|piece| crosses(r, piece[0], piece[1]))
        .count()
}

/// A line's name pill: centred at `centre`, `width` wide (for the longer of its two names),
/// beside its track where no label, station, other pill or track is.
#[derive(Clone, Debug, PartialEq)]
pub struct Pill {
    pub line: LineId,
    pub centre: Point,
    pub width: f64,
    /// How much the pill is drawn larger than its natural size (see `LabelFit`).
    pub scale: f64,
}

pub const PILL_HEIGHT: f64 = 22.0;

/// The box a pill takes.
pub fn pill_box(pill: &Pill) -> Rect {
    let (x, y) = pill.centre;
    let (half_w, half_h) = (
        pill.width * pill.scale / 2.0,
        PILL_HEIGHT * pill.scale / 2.0,
    );
    (x - half_w, y - half_h, x + half_w, y + half_h)
}

/// Places each line's name beside its own track, on the longest straight stretches first, where
/// it hits nothing (or, on a crowded map, the least).
fn place_pills(
    scenario: &Scenario,
    tracks: &[TrackPath],
    labels: &[Rect],
    points: &[Point],
    scale: f64,
    bounds: Option<Rect>,
    covered: &[Rect],
) -> Vec<Pill> {
    let mut pills: Vec<Pill> = Vec::new();
    for (line, track) in scenario.lines.iter().zip(tracks) {
        // Room for the longer of its two names.
        let width = pill_width(&line.name.en).max(line.name.hi.as_deref().map_or(0.0, pill_width));
        let mut pieces: Vec<(Point, Point)> = track
            .segments
            .iter()
            .flat_map(|segment| segment.windows(2).map(|w| (w[0], w[1])))
            .collect();
        let length = |(a, b): &(Point, Point)| (b.0 - a.0).hypot(b.1 - a.1);
        pieces.sort_by(|p, q| length(q).total_cmp(&length(p)));
        let mut best: Option<(usize, Pill)> = None;
        'search: for (a, b) in &pieces {
            let piece_length = length(&(*a, *b));
            let (ux, uy) = (
                (b.0 - a.0) / piece_length.max(1e-9),
                (b.1 - a.1) / piece_length.max(1e-9),
            );
            for along in [0.5, 0.35, 0.65, 0.2, 0.8] {
                let (cx, cy) = (a.0 + (b.0 - a.0) * along, a.1 + (b.1 - a.1) * along);
                for side in [1.0, -1.0] {
                    // Beside the track: the pill's nearest edge clears the track's casing.
                    let (nx, ny) = (-uy * side, ux * side);
                    // The box's extent towards the track, plus the casing's half-width and a gap.
                    let reach =
                        8.0 + (nx.abs() * width / 2.0 + ny.abs() * PILL_HEIGHT / 2.0) * scale;
                    let pill = Pill {
                        line: line.id,
                        centre: (cx + nx * reach, cy + ny * reach),
                        width,
                        scale,
                    };
                    let r = pill_box(&pill);
                    // Keep labels a little clear of the pill too.
                    let grown = {
                        let (gx, gy) = ((r.2 - r.0) * 0.25, (r.3 - r.1) * 0.25);
                        (r.0 - gx, r.1 - gy, r.2 + gx, r.3 + gy)
                    };
                    let cost = labels.iter().filter(|&&l| overlaps(r, l)).count() * 10
                        + labels.iter().filter(|&&l| overlaps(grown, l)).count() * 2
                        + pills.iter().filter(|p| overlaps(r, pill_box(p))).count() * 10
                        + points
                            .iter()
                            .filter(|&&(x, y)| {
                                overlaps(r, (x - 12.0, y - 12.0, x + 12.0, y + 12.0))
                            })
                            .count()
                            * 10
                        + track_crossings(r, tracks) * 3
                        + usize::from(
                            bounds
                                .is_some_and(|b| r.0 < b.0 || r.1 < b.1 || r.2 > b.2 || r.3 > b.3)
                                || covered.iter().any(|&c| overlaps(r, c)),
                        ) * 10;
                    if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                        best = Some((cost, pill));
                    }
                    if cost == 0 {
                        break 'search;
                    }
                }
            }
        }
        // Drawn larger than natural, a pill with no free place is left out (the legend still
        // names every line).
        if let Some((cost, pill)) = best
            && (scale <= 1.0 || cost < 10)
        {
            pills.push(pill);
        }
    }
    pills
}

/// How labels are drawn on a map shown small: larger by `growth` (so that text stays at least
/// 11 CSS px), and with only the station names at the whole-map view of a phone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelFit {
    /// Labels, pills and their boxes are drawn this many times their natural size (≥ 1).
    pub growth: f64,
    /// Only station names, no services (their names and instances appear once zoomed in).
    pub names_only: bool,
    /// The part of the plane on screen at the whole-map view (`x0, y0, x1, y1`, map units): the
    /// drawing and, where the stage is wider or taller than the map, the paper beside it.
    /// Grown labels stay inside it. `None`: the drawing itself.
    pub room: Option<Rect>,
    /// Where controls float over the map (the legend and zoom buttons), in map units at the
    /// whole-map view: grown labels keep out of them.
    pub covered: [Rect; 2],
}

impl LabelFit {
    pub const NATURAL: LabelFit = LabelFit {
        growth: 1.0,
        names_only: false,
        room: None,
        covered: [(0.0, 0.0, 0.0, 0.0); 2],
    };

    /// The part of a `width` × `height` map on screen at the whole-map view, for a stage of
    /// `stage_w` × `stage_h` CSS px showing it centred across and from the top (as the map's
    /// `preserveAspectRatio` does), rounded inwards to whole steps of 16 units; and the boxes
    /// of `controls` (CSS px from the stage's top left) in map units.
    pub fn on_screen(
        width: f64,
        height: f64,
        (stage_w, stage_h): (f64, f64),
        controls: [Rect; 2],
    ) -> (Rect, [Rect; 2]) {
        let scale = (stage_w / width.max(1.0)).min(stage_h / height.max(1.0));
        if scale.is_nan() || scale <= 0.0 {
            return ((0.0, 0.0, width, height), [(0.0, 0.0, 0.0, 0.0); 2]);
        }
        let (seen_w, seen_h) = ((stage_w / scale).max(width), (stage_h / scale).max(height));
        let left = (width - seen_w) / 2.0;
        let side = ((seen_w - width) / 2.0 / 16.0).floor() * 16.0;
        let below = ((seen_h - height) / 16.0).floor() * 16.0;
        let to_map =
            |(x0, y0, x1, y1): Rect| (left + x0 / scale, y0 / scale, left + x1 / scale, y1 / scale);
        (
            (-side, 0.0, width + side, height + below),
            controls.map(to_map),
        )
    }
    /// The largest growth: beyond it a map this small is better read zoomed in.
    pub const MAX_GROWTH: f64 = 4.0;
    /// Growth comes in these steps, so a few pixels of resizing does not re-place labels.
    const STEP: f64 = 0.125;

    /// The growth that keeps 13-unit service names at 11 CSS px or more when the map is drawn
    /// at `scale` CSS px per map unit, rounded up to a step.
    pub fn growth_for(scale: f64) -> f64 {
        if scale.is_nan() || scale <= 0.0 {
            return 1.0;
        }
        let needed = (11.0 / 13.0 / scale).max(1.0);
        ((needed / Self::STEP - 1e-9).ceil() * Self::STEP).min(Self::MAX_GROWTH)
    }
}

/// A station's placed label: its side, its slide along that side, its box, whether it is
/// shown, and whether its services are (a crowded map drawn small may write only the name).
type PlacedLabel = (LabelSide, Point, Rect, bool, bool);

/// Picks each station's label side: the freest side whose label box hits no label placed
/// before it and no other station, falling back to the freest side. Drawn larger than natural
/// (a map drawn small), labels are placed busiest station first; one that would still cover
/// another label, a station, a track or the edge keeps only its station's name, or if even that
/// does not fit, is left out.
fn place_labels(
    scenario: &Scenario,
    points: &[Point],
    directions: &[Vec<Point>],
    tracks: &[TrackPath],
    fit: LabelFit,
    bounds: Option<Rect>,
) -> Vec<PlacedLabel> {
    let services_at = |index: usize| {
        scenario
            .services
            .iter()
            .filter(|s| s.station == scenario.stations[index].id)
            .collect::<Vec<_>>()
    };
    let mut order: Vec<usize> = (0..scenario.stations.len()).collect();
    // Drawn larger than natural there is less room: stations with services go first, the
    // widest labels among them first (they are the hardest to fit, and the ones to read).
    if fit.growth > 1.0 {
        order.sort_by_key(|&index| {
            let services = services_at(index);
            let widest = services
                .iter()
                .map(|s| s.label.en.chars().count())
                .max()
                .unwrap_or(0);
            std::cmp::Reverse((services.len().min(1), widest))
        });
    }
    let mut placed: Vec<Rect> = Vec::new();
    let mut sides: Vec<Option<PlacedLabel>> = vec![None; points.len()];
    for index in order {
        let station = &scenario.stations[index];
        let services = services_at(index);
        let name_width = station_name_width(&station.label.en)
            .max(station.label.hi.as_deref().map_or(0.0, station_name_width));
        let service_width = services
            .iter()
            .map(|s| {
                let label =
                    text_width(&s.label.en).max(s.label.hi.as_deref().map_or(0.0, text_width));
                let instances = s.instances.len();
                label.max(PipShape::of(s.workers, instances).row_width(instances))
            })
            .fold(0.0, f64::max);
        let ranked = ranked_label_sides(&directions[index]);
        // What a side would hit: labels placed before, other stations, and track (a label across
        // a line hides it). The clear sides come first; the others only when every clear side
        // hits something and they hit less.
        let cost = |side: LabelSide, shift: Point, width: f64, height: f64| {
            let (x, y) = points[index];
            let candidate = label_box((x + shift.0, y + shift.1), side, width, height, fit.growth);
            // Keep a margin between neighbours.
            let (gx, gy) = (
                (candidate.2 - candidate.0) * 0.12,
                (candidate.3 - candidate.1) * 0.12,
            );
            let grown = (
                candidate.0 - gx,
                candidate.1 - gy,
                candidate.2 + gx,
                candidate.3 + gy,
            );
            let labels = placed
                .iter()
                .filter(|&&other| overlaps(grown, other))
                .count();
            let stations = points
                .iter()
                .enumerate()
                .filter(|&(other, &(x, y))| {
                    other != index && overlaps(candidate, (x - 8.0, y - 8.0, x + 8.0, y + 8.0))
                })
                .count();
            // Past the edge of what is on screen, or under a control floating over the map,
            // counts as covering something: it would be cut or hidden.
            let outside = bounds.is_some_and(|b| {
                candidate.0 < b.0 || candidate.1 < b.1 || candidate.2 > b.2 || candidate.3 > b.3
            }) || fit.covered.iter().any(|&c| overlaps(candidate, c));
            // A crossing outweighs any slide (at most 3), so a label slides off a track.
            (labels + stations + usize::from(outside)) * 10 + track_crossings(candidate, tracks) * 6
        };
        // The best side and slide for a label of this size, and what it costs.
        let best = |width: f64, height: f64| {
            let candidates = ranked.iter().copied().chain(
                LabelSide::ALL
                    .iter()
                    .map(|&(side, _)| side)
                    .filter(|side| !ranked.contains(side)),
            );
            let mut choice = (ranked[0], (0.0, 0.0), usize::MAX);
            for (order, candidate) in candidates.enumerate() {
                // A side along a track costs one more than a clear one with the same hits, and
                // a label slid away from its station one more per step.
                let penalty = usize::from(order >= ranked.len());
                for (step, slide) in [0.0, 16.0, -16.0, 32.0, -32.0, 48.0, -48.0]
                    .into_iter()
                    .enumerate()
                {
                    let offset = match candidate {
                        LabelSide::Left | LabelSide::Right => (0.0, slide),
                        LabelSide::Above | LabelSide::Below => (slide, 0.0),
                    };
                    let total = cost(candidate, offset, width, height)
                        .saturating_add(penalty + step.div_ceil(2));
                    if total < choice.2 {
                        choice = (candidate, offset, total);
                    }
                }
            }
            let (x, y) = points[index];
            let (side, shift, least) = choice;
            let chosen = label_box((x + shift.0, y + shift.1), side, width, height, fit.growth);
            (side, shift, chosen, least)
        };
        let full = (
            name_width.max(service_width),
            21.0 + services.len() as f64 * 44.0,
        );
        let name_only = (name_width, 21.0);
        // Drawn larger than natural, a label that still covers something (a crossing costs 6;
        // side and slide penalties at most 4) is not drawn so.
        let fits = |least: usize| fit.growth <= 1.0 || least < 6;
        let with_services = !fit.names_only && !services.is_empty();
        let attempt = if with_services { full } else { name_only };
        let (side, shift, chosen, least) = best(attempt.0, attempt.1);
        let label = if fits(least) {
            (side, shift, chosen, true, with_services)
        } else if with_services {
            let (side, shift, chosen, least) = best(name_only.0, name_only.1);
            (side, shift, chosen, fits(least), false)
        } else {
            (side, shift, chosen, false, false)
        };
        if label.3 {
            placed.push(label.2);
        }
        sides[index] = Some(label);
    }
    sides.into_iter().flatten().collect()
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrackPath {
    pub line: LineId,
    pub style: LineStyle,
    /// One octilinear polyline per pair of neighbouring stations, bends included. Where several
    /// lines share a corridor each is shifted sideways so they run side by side.
    pub segments: Vec<Vec<Point>>,
}

/// Distance between parallel lines sharing a corridor.
pub const PARALLEL_SPACING: f64 = 8.0;

/// `points` shifted sideways by `distance` (left of the direction of travel), with mitred bends.
pub fn offset_polyline(points: &[Point], distance: f64) -> Vec<Point> {
    if distance.abs() < 1e-9 || points.len() < 2 {
        return points.to_vec();
    }
    let normal = |a: Point, b: Point| {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length = (dx * dx + dy * dy).sqrt().max(1e-9);
        (-dy / length, dx / length)
    };
    let mut out = Vec::with_capacity(points.len());
    for i in 0..points.len() {
        let before = (i > 0).then(|| normal(points[i - 1], points[i]));
        let after = (i + 1 < points.len()).then(|| normal(points[i], points[i + 1]));
        let (nx, ny) = match (before, after) {
            (Some(a), Some(b)) => {
                let (sx, sy) = (a.0 + b.0, a.1 + b.1);
                let length = (sx * sx + sy * sy).sqrt().max(1e-9);
                let (mx, my) = (sx / length, sy / length);
                let cos_half = (mx * a.0 + my * a.1).max(0.3);
                (mx / cos_half, my / cos_half)
            }
            (Some(n), None) | (None, Some(n)) => n,
            (None, None) => (0.0, 0.0),
        };
        out.push((points[i].0 + nx * distance, points[i].1 + ny * distance));
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
pub struct MapLayout {
    /// The size of the drawing, fitted to its labels at natural size (labels placed for a map
    /// drawn small keep within it).
    pub width: f64,
    pub height: f64,
    /// How the labels are placed.
    pub label_fit: LabelFit,
    pub stations: Vec<StationPlace>,
    pub tracks: Vec<TrackPath>,
    /// Each line's name pill, beside its track.
    pub pills: Vec<Pill>,
    /// Each station's label box (name and services), as placed (`x0, y0, x1, y1`).
    pub labels: Vec<(f64, f64, f64, f64)>,
    /// How many lines run each corridor, keyed by its stations' indices in order.
    corridor_lines: BTreeMap<(usize, usize), usize>,
    /// Station adjacency along the lines, for routing.
    neighbours: Vec<Vec<StationId>>,
    /// The directions in which tracks leave each station, for placing its label.
    directions: Vec<Vec<Point>>,
}

/// Labels, pills and tick marks placed for one `LabelFit`, before any translation.
struct LabelPlan {
    placed: Vec<PlacedLabel>,
    pills: Vec<Pill>,
    ticks: Vec<Point>,
}

impl LabelPlan {
    fn place(
        scenario: &Scenario,
        points: &[Point],
        directions: &[Vec<Point>],
        tracks: &[TrackPath],
        fit: LabelFit,
        bounds: Option<Rect>,
    ) -> LabelPlan {
        let placed = place_labels(scenario, points, directions, tracks, fit, bounds);
        let shown_boxes: Vec<Rect> = placed.iter().filter(|p| p.3).map(|p| p.2).collect();
        let pills = place_pills(
            scenario,
            tracks,
            &shown_boxes,
            points,
            fit.growth,
            bounds,
            &fit.covered,
        );
        let ticks = directions
            .iter()
            .zip(&placed)
            .map(|(directions, (side, _, _, _, _))| {
                let (sx, sy) = LabelSide::ALL
                    .iter()
                    .find(|(s, _)| s == side)
                    .map_or((1.0, 0.0), |(_, v)| *v);
                let Some(&(dx, dy)) = directions.first() else {
                    return (sx, sy);
                };
                let length = (dx * dx + dy * dy).sqrt().max(1e-9);
                let (nx, ny) = (-dy / length, dx / length);
                if nx * sx + ny * sy >= 0.0 {
                    (nx, ny)
                } else {
                    (-nx, -ny)
                }
            })
            .collect();
        LabelPlan {
            placed,
            pills,
            ticks,
        }
    }

    /// The box around the stations, the labels shown and the pills (no paper yet).
    fn extent(&self, points: &[Point]) -> Rect {
        let mut extent = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        let mut take = |(bx0, by0, bx1, by1): Rect| {
            extent = (
                extent.0.min(bx0),
                extent.1.min(by0),
                extent.2.max(bx1),
                extent.3.max(by1),
            );
        };
        for placed in self.placed.iter().filter(|p| p.3) {
            take(placed.2);
        }
        for pill in &self.pills {
            take(pill_box(pill));
        }
        for &(x, y) in points {
            take((x - 60.0, y - 40.0, x + 60.0, y + 40.0));
        }
        extent
    }
}

/// Directions a line may take from a placed station: right, down-right, down, up-right, …
const DIRECTIONS: [Point; 8] = [
    (1.0, 0.0),
    (1.0, 1.0),
    (0.0, 1.0),
    (1.0, -1.0),
    (0.0, -1.0),
    (-1.0, 1.0),
    (-1.0, 0.0),
    (-1.0, -1.0),
];

fn occupied(grid: &[Option<Point>], point: Point) -> bool {
    grid.iter()
        .flatten()
        .any(|p| (p.0 - point.0).abs() < 0.5 && (p.1 - point.1).abs() < 0.5)
}

/// Grid positions for every station: the scenario's, or placed along their lines.
fn grid_positions(scenario: &Scenario) -> Vec<Point> {
    let mut grid: Vec<Option<Point>> = scenario.stations.iter().map(|s| s.position).collect();
    let mut next_row = grid
        .iter()
        .flatten()
        .map(|p| p.1)
        .fold(f64::NEG_INFINITY, f64::max);
    next_row = if next_row.is_finite() {
        next_row + 3.0
    } else {
        0.0
    };
    for (line_index, line) in scenario.lines.iter().enumerate() {
        let direction = DIRECTIONS[line_index % DIRECTIONS.len()];
        if line.stations.iter().all(|s| grid[s.index()].is_none()) {
            // A line with nothing placed yet starts a new row.
            if let Some(first) = line.stations.first() {
                grid[first.index()] = Some((0.0, next_row));
                next_row += 3.0;
            }
        }
        // Walk outwards from placed stations in both directions until the line is placed.
        let mut changed = true;
        while changed {
            changed = false;
            for (i, station) in line.stations.iter().enumerate() {
                if grid[station.index()].is_some() {
                    continue;
                }
                let before = i
                    .checked_sub(1)
                    .and_then(|j| grid[line.stations[j].index()]);
                let after = line.stations.get(i + 1).and_then(|s| grid[s.index()]);
                let (anchor, sign) = match (before, after) {
                    (Some(p), _) => (p, 1.0),
                    (None, Some(p)) => (p, -1.0),
                    (None, None) => continue,
                };
                let mut candidate = (
                    anchor.0 + sign * 2.0 * direction.0,
                    anchor.1 + sign * 2.0 * direction.1,
                );
                let mut tries = 0;
                while occupied(&grid, candidate) && tries < 16 {
                    let turn = DIRECTIONS[(line_index + tries + 1) % DIRECTIONS.len()];
                    candidate = (
                        anchor.0 + sign * 2.0 * turn.0,
                        anchor.1 + sign * 2.0 * turn.1,
                    );
                    tries += 1;
                }
                grid[station.index()] = Some(candidate);
                changed = true;
            }
        }
    }
    // Stations on no line go in a row of their own.
    let mut column = 0.0;
    for place in grid.iter_mut() {
        if place.is_none() {
            *place = Some((column, next_row));
            column += 2.0;
        }
    }
    grid.into_iter().map(|p| p.unwrap_or((0.0, 0.0))).collect()
}

/// An octilinear path from `a` to `b`: straight when possible, else one bend. The bend is the
/// same whichever way the path is asked for, so a dot travelling B → A follows the track A → B.
pub fn octilinear(a: Point, b: Point) -> Vec<Point> {
    if (b.0, b.1) < (a.0, a.1) {
        let mut reversed = octilinear_forward(b, a);
        reversed.reverse();
        return reversed;
    }
    octilinear_forward(a, b)
}

/// Straight then 45°, from `a` to `b`.
fn octilinear_forward(a: Point, b: Point) -> Vec<Point> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (adx, ady) = (dx.abs(), dy.abs());
    if adx < 1e-9 || ady < 1e-9 || (adx - ady).abs() < 1e-9 {
        return vec![a, b];
    }
    let diagonal = adx.min(ady);
    let bend = if adx > ady {
        (b.0 - dx.signum() * diagonal, a.1)
    } else {
        (a.0, b.1 - dy.signum() * diagonal)
    };
    vec![a, bend, b]
}

impl MapLayout {
    pub fn new(scenario: &Scenario) -> MapLayout {
        let grid = grid_positions(scenario);
        let (min_x, min_y) = grid
            .iter()
            .fold((f64::INFINITY, f64::INFINITY), |(mx, my), p| {
                (mx.min(p.0), my.min(p.1))
            });
        let to_map = |p: &Point| (MARGIN + (p.0 - min_x) * GRID, MARGIN + (p.1 - min_y) * GRID);
        let points: Vec<Point> = grid.iter().map(to_map).collect();

        let mut neighbours = vec![Vec::new(); scenario.stations.len()];
        // How many lines use each corridor (pair of neighbouring stations), to set them side by side.
        let mut corridor_lines: BTreeMap<(usize, usize), Vec<LineId>> = BTreeMap::new();
        for line in &scenario.lines {
            for pair in line.stations.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if !neighbours[a.index()].contains(&b) {
                    neighbours[a.index()].push(b);
                    neighbours[b.index()].push(a);
                }
                let key = (a.index().min(b.index()), a.index().max(b.index()));
                corridor_lines.entry(key).or_default().push(line.id);
            }
        }
        let tracks: Vec<TrackPath> = scenario
            .lines
            .iter()
            .map(|line| {
                let segments = line
                    .stations
                    .windows(2)
                    .map(|pair| {
                        let (a, b) = (pair[0], pair[1]);
                        let key = (a.index().min(b.index()), a.index().max(b.index()));
                        let sharing = corridor_lines.get(&key).map_or(&[][..], Vec::as_slice);
                        let rank = sharing.iter().position(|&l| l == line.id).unwrap_or(0) as f64;
                        let centred = rank - (sharing.len().max(1) as f64 - 1.0) / 2.0;
                        // Offsets are measured along the corridor's canonical direction, so two
                        // lines running it in opposite directions still end up side by side.
                        let (from, to) = (points[key.0], points[key.1]);
                        let canonical =
                            offset_polyline(&octilinear(from, to), centred * PARALLEL_SPACING);
                        if a.index() == key.0 {
                            canonical
                        } else {
                            canonical.into_iter().rev().collect()
                        }
                    })
                    .collect();
                TrackPath {
                    line: line.id,
                    style: line.style,
                    segments,
                }
            })
            .collect();
        // The directions in which tracks leave each station.
        let mut directions: Vec<Vec<Point>> = vec![Vec::new(); scenario.stations.len()];
        for (line, track) in scenario.lines.iter().zip(&tracks) {
            let track: &TrackPath = track;
            for (pair, segment) in line.stations.windows(2).zip(&track.segments) {
                if let (Some(&first), Some(&second), Some(&last), Some(&before_last)) = (
                    segment.first(),
                    segment.get(1),
                    segment.last(),
                    segment.get(segment.len().saturating_sub(2)),
                ) {
                    directions[pair[0].index()].push((second.0 - first.0, second.1 - first.1));
                    directions[pair[1].index()]
                        .push((before_last.0 - last.0, before_last.1 - last.1));
                }
            }
        }
        let plan = LabelPlan::place(
            scenario,
            &points,
            &directions,
            &tracks,
            LabelFit::NATURAL,
            None,
        );
        // Fit the drawing to everything on it, labels included, with a little paper around.
        let (x0, y0, x1, y1) = plan.extent(&points);
        let shift = (PAPER - x0, PAPER - y0);
        let moved = |p: Point| (p.0 + shift.0, p.1 + shift.1);
        let moved_box = |(bx0, by0, bx1, by1): Rect| {
            let (a, b) = (moved((bx0, by0)), moved((bx1, by1)));
            (a.0, a.1, b.0, b.1)
        };
        let width = x1 - x0 + 2.0 * PAPER;
        let height = y1 - y0 + 2.0 * PAPER;
        let tracks = tracks
            .into_iter()
            .map(|track| TrackPath {
                segments: track
                    .segments
                    .into_iter()
                    .map(|segment| segment.into_iter().map(moved).collect())
                    .collect(),
                ..track
            })
            .collect();
        let stations = scenario
            .stations
            .iter()
            .zip(points)
            .zip(&plan.placed)
            .zip(&plan.ticks)
            .map(
                |(
                    ((station, point), &(label_side, label_shift, _, label_shown, services_shown)),
                    &tick,
                )| {
                    StationPlace {
                        point: moved(point),
                        lines: station.lines.clone(),
                        label_side,
                        label_shift,
                        tick,
                        label_shown,
                        services_shown,
                    }
                },
            )
            .collect();
        let pills = plan
            .pills
            .into_iter()
            .map(|pill| Pill {
                centre: moved(pill.centre),
                ..pill
            })
            .collect();
        let labels = plan.placed.iter().map(|p| moved_box(p.2)).collect();
        MapLayout {
            width,
            height,
            label_fit: LabelFit::NATURAL,
            stations,
            tracks,
            pills,
            labels,
            corridor_lines: corridor_lines
                .into_iter()
                .map(|(key, lines)| (key, lines.len()))
                .collect(),
            neighbours,
            directions,
        }
    }

    /// The same map with its labels placed for `fit` (a map drawn small): the stations, the
    /// tracks and the drawing's extent stay as they are (so anything travelling on them is
    /// unaffected, and the map is drawn at the scale the growth was measured for); grown
    /// labels and pills that find no free place inside the extent are left out.
    pub fn with_label_fit(&self, scenario: &Scenario, fit: LabelFit) -> MapLayout {
        if fit == self.label_fit {
            return self.clone();
        }
        let points: Vec<Point> = self.stations.iter().map(|s| s.point).collect();
        let bounds = (fit != LabelFit::NATURAL)
            .then(|| fit.room.unwrap_or((0.0, 0.0, self.width, self.height)));
        let plan = LabelPlan::place(
            scenario,
            &points,
            &self.directions,
            &self.tracks,
            fit,
            bounds,
        );
        let stations = self
            .stations
            .iter()
            .zip(&plan.placed)
            .zip(&plan.ticks)
            .map(
                |((place, &(label_side, label_shift, _, label_shown, services_shown)), &tick)| {
                    StationPlace {
                        label_side,
                        label_shift,
                        tick,
                        label_shown,
                        services_shown,
                        ..place.clone()
                    }
                },
            )
            .collect();
        MapLayout {
            label_fit: fit,
            stations,
            labels: plan.placed.iter().map(|p| p.2).collect(),
            pills: plan.pills,
            ..self.clone()
        }
    }

    pub fn station_point(&self, station: StationId) -> Point {
        self.stations
            .get(station.index())
            .map(|s| s.point)
            .unwrap_or((0.0, 0.0))
    }

    /// The stations a message passes from `from` to `to` along the tracks (breadth-first, so the
    /// fewest stops); a direct hop when no track joins them.
    pub fn station_route(&self, from: StationId, to: StationId) -> Vec<StationId> {
        if from == to {
            return vec![from];
        }
        let count = self.neighbours.len();
        let mut previous: Vec<Option<StationId>> = vec![None; count];
        let mut seen = vec![false; count];
        let mut queue = VecDeque::new();
        seen[from.index()] = true;
        queue.push_back(from);
        while let Some(station) = queue.pop_front() {
            if station == to {
                let mut route = vec![to];
                let mut at = to;
                while let Some(before) = previous[at.index()] {
                    route.push(before);
                    at = before;
                }
                route.reverse();
                return route;
            }
            for &next in &self.neighbours[station.index()] {
                if !seen[next.index()] {
                    seen[next.index()] = true;
                    previous[next.index()] = Some(station);
                    queue.push_back(next);
                }
            }
        }
        vec![from, to]
    }

    /// The health of each track segment (either direction): answers per second crossing it and
    /// the share of them that carry a failure, from `(from, to, answers/s, failed/s)` between
    /// stations. Keyed by the segment's stations in index order.
    pub fn segment_health(
        &self,
        answers: &[(StationId, StationId, f64, f64)],
    ) -> Vec<SegmentHealth> {
        let mut per_segment: BTreeMap<(StationId, StationId), (f64, f64)> = BTreeMap::new();
        for &(from, to, all, failed) in answers {
            for pair in self.station_route(from, to).windows(2) {
                let key = if pair[0].index() <= pair[1].index() {
                    (pair[0], pair[1])
                } else {
                    (pair[1], pair[0])
                };
                let entry = per_segment.entry(key).or_insert((0.0, 0.0));
                entry.0 += all;
                entry.1 += failed;
            }
        }
        per_segment
            .into_iter()
            .filter(|(_, (all, _))| *all > 0.0)
            .map(|((a, b), (all, failed))| SegmentHealth {
                a,
                b,
                answers_per_s: all,
                error_share: (failed / all).clamp(0.0, 1.0),
            })
            .collect()
    }

    /// How many lines run between two neighbouring stations (the corridor's width in tracks).
    pub fn lines_between(&self, a: StationId, b: StationId) -> usize {
        let key = (a.index().min(b.index()), a.index().max(b.index()));
        self.corridor_lines.get(&key).copied().unwrap_or(0)
    }

    /// From the corridor's centre to the outer edge of its outermost track's centre line: what
    /// a mark beside the tracks must clear (plus its own gap).
    pub fn corridor_half_width(&self, a: StationId, b: StationId) -> f64 {
        (self.lines_between(a, b).max(1) as f64 - 1.0) * PARALLEL_SPACING / 2.0
    }

    /// Hop rates between stations spread onto the track segments they travel, per direction:
    /// what the static flow overlay draws.
    pub fn segment_flows(
        &self,
        flows: &[(StationId, StationId, f64)],
    ) -> Vec<(StationId, StationId, f64)> {
        let mut per_segment: BTreeMap<(StationId, StationId), f64> = BTreeMap::new();
        for &(from, to, rate) in flows {
            for pair in self.station_route(from, to).windows(2) {
                *per_segment.entry((pair[0], pair[1])).or_insert(0.0) += rate;
            }
        }
        per_segment
            .iter()
            .map(|(&(a, b), &rate)| (a, b, rate))
            .collect()
    }

    /// The polyline a message follows from `from` to `to`.
    pub fn route(&self, from: StationId, to: StationId) -> Polyline {
        self.travel(from, to).line
    }

    /// The way a message travels from `from` to `to`: its polyline and the station-to-station
    /// legs it passes, each with the fraction of the way where it ends.
    pub fn travel(&self, from: StationId, to: StationId) -> Route {
        let stations = self.station_route(from, to);
        let mut points: Vec<Point> = Vec::new();
        let mut leg_ends: Vec<(StationId, StationId, f64)> = Vec::new();
        if stations.len() == 1 {
            let p = self.station_point(from);
            points.push(p);
            points.push(p);
            leg_ends.push((from, from, 0.0));
        }
        let mut length = 0.0;
        for pair in stations.windows(2) {
            let segment = octilinear(self.station_point(pair[0]), self.station_point(pair[1]));
            length += Polyline::new(segment.clone()).length();
            leg_ends.push((pair[0], pair[1], length));
            if points.is_empty() {
                points.extend(segment);
            } else {
                points.extend(segment.into_iter().skip(1));
            }
        }
        let legs = leg_ends
            .into_iter()
            .map(|(from, to, end)| Leg {
                from,
                to,
                until: if length > 0.0 { end / length } else { 1.0 },
            })
            .collect();
        Route {
            line: Polyline::new(points),
            legs,
        }
    }

    /// The length of the track between two neighbouring stations, in map units.
    pub fn leg_length(&self, from: StationId, to: StationId) -> f64 {
        Polyline::new(octilinear(self.station_point(from), self.station_point(to))).length()
    }
}

/// What part of the map is on screen. Zoom 1 shows the whole map ("fit"); deeper zooms show a
/// window around `centre`, given as fractions of the map's width and height (so the view needs
/// no layout to change), and always inside the map. The SVG layers take it as their viewBox and
/// the traffic canvas as its transform, so all three stay aligned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapView {
    pub zoom: f64,
    pub centre: Point,
}

pub const MAX_ZOOM: f64 = 8.0;

impl MapView {
    pub const FIT: MapView = MapView {
        zoom: 1.0,
        centre: (0.5, 0.5),
    };

    fn zoom_level(&self) -> f64 {
        if self.zoom.is_finite() {
            self.zoom.clamp(1.0, MAX_ZOOM)
        } else {
            1.0
        }
    }

    /// The window as fractions of the map: `(x, y, size)` (the same share across and down).
    fn window(&self) -> (f64, f64, f64) {
        let size = 1.0 / self.zoom_level();
        let (cx, cy) = self.centre;
        let place = |c: f64| {
            let c = if c.is_finite() { c } else { 0.5 };
            (c - size / 2.0).clamp(0.0, 1.0 - size)
        };
        (place(cx), place(cy), size)
    }

    /// The window on screen, `(x, y, width, height)` in map units, for a map of that size.
    pub fn view_box(&self, width: f64, height: f64) -> (f64, f64, f64, f64) {
        let (x, y, size) = self.window();
        (x * width, y * height, size * width, size * height)
    }

    /// Zoomed by `factor`, keeping the map point under `at` (fractions of the window across and
    /// down, e.g. where the pointer is) where it is on screen.
    pub fn zoomed(self, factor: f64, at: Point) -> MapView {
        let (x, y, size) = self.window();
        let zoom = (self.zoom_level() * factor).clamp(1.0, MAX_ZOOM);
        if zoom <= 1.0 || !zoom.is_finite() {
            return MapView::FIT;
        }
        let (fx, fy) = (at.0.clamp(0.0, 1.0), at.1.clamp(0.0, 1.0));
        let anchor = (x + fx * size, y + fy * size);
        let new_size = 1.0 / zoom;
        MapView {
            zoom,
            centre: (
                anchor.0 + (0.5 - fx) * new_size,
                anchor.1 + (0.5 - fy) * new_size,
            ),
        }
        .settled()
    }

    /// Moved by a share of the window (positive: the view moves right/down over the map).
    pub fn panned(self, across: f64, down: f64) -> MapView {
        if self.zoom_level() <= 1.0 {
            return MapView::FIT;
        }
        let (x, y, size) = self.window();
        MapView {
            zoom: self.zoom_level(),
            centre: (x + size / 2.0 + across * size, y + size / 2.0 + down * size),
        }
        .settled()
    }

    /// The centre moved to where the clamped window really is, so a pan past the edge does not
    /// store a centre the view cannot show.
    fn settled(self) -> MapView {
        let (x, y, size) = self.window();
        MapView {
            zoom: self.zoom_level(),
            centre: (x + size / 2.0, y + size / 2.0),
        }
    }
}

/// A track segment's health, as the map shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SegmentHealth {
    pub a: StationId,
    pub b: StationId,
    pub answers_per_s: f64,
    pub error_share: f64,
}

/// One station-to-station stretch of a route, ending at fraction `until` of the whole way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Leg {
    pub from: StationId,
    pub to: StationId,
    pub until: f64,
}

/// A message's way between stations: the polyline a dot follows and the legs it passes, so a
/// dot knows which track segment it is on (dots are capped per segment).
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub line: Polyline,
    pub legs: Vec<Leg>,
}

impl Route {
    /// The leg the dot is on at `fraction` of the way.
    pub fn leg_at(&self, fraction: f64) -> Leg {
        let index = self
            .legs
            .partition_point(|leg| leg.until < fraction)
            .min(self.legs.len().saturating_sub(1));
        self.legs[index]
    }
}

/// A polyline with its cumulative lengths, for placing a dot at a fraction of the way.
#[derive(Clone, Debug, PartialEq)]
pub struct Polyline {
    pub points: Vec<Point>,
    cumulative: Vec<f64>,
}

impl Polyline {
    pub fn new(points: Vec<Point>) -> Polyline {
        let mut cumulative = Vec::with_capacity(points.len());
        let mut total = 0.0;
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                let q = points[i - 1];
                total += ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
            }
            cumulative.push(total);
        }
        Polyline { points, cumulative }
    }

    pub fn length(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    /// The point at `fraction` (0 to 1) of the way along.
    pub fn at(&self, fraction: f64) -> Point {
        self.at_with_heading(fraction).0
    }

    /// The point at `fraction` of the way along and the unit direction of travel there
    /// ((1, 0) on a route of no length).
    pub fn at_with_heading(&self, fraction: f64) -> (Point, Point) {
        const EAST: Point = (1.0, 0.0);
        let Some(&first) = self.points.first() else {
            return ((0.0, 0.0), EAST);
        };
        let total = self.length();
        if total <= 0.0 {
            return (first, EAST);
        }
        let target = fraction.clamp(0.0, 1.0) * total;
        // The first piece of non-zero length that reaches the target.
        let index = self
            .cumulative
            .partition_point(|&c| c < target)
            .clamp(1, self.points.len() - 1);
        let (a, b) = (self.points[index - 1], self.points[index]);
        let span = self.cumulative[index] - self.cumulative[index - 1];
        let t = if span > 0.0 {
            ((target - self.cumulative[index - 1]) / span).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let heading = if span > 0.0 {
            ((b.0 - a.0) / span, (b.1 - a.1) / span)
        } else {
            EAST
        };
        ((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t), heading)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::builtin::load_builtin;

    fn is_octilinear(a: Point, b: Point) -> bool {
        let (dx, dy) = ((b.0 - a.0).abs(), (b.1 - a.1).abs());
        dx < 1e-9 || dy < 1e-9 || (dx - dy).abs() < 1e-9
    }

    #[test]
    fn zooming_keeps_the_point_under_the_pointer_and_the_window_inside_the_map() {
        let (width, height) = (1000.0, 600.0);
        assert_eq!(
            MapView::FIT.view_box(width, height),
            (0.0, 0.0, 1000.0, 600.0)
        );
        // Zoom ×2 at the left quarter, a third down: that map point stays where it was.
        let at = (0.25, 1.0 / 3.0);
        let point = (at.0 * width, at.1 * height);
        let view = MapView::FIT.zoomed(2.0, at);
        let (x, y, w, h) = view.view_box(width, height);
        assert_eq!((w, h), (500.0, 300.0));
        assert!((x + at.0 * w - point.0).abs() < 1e-9, "{x}");
        assert!((y + at.1 * h - point.1).abs() < 1e-9, "{y}");
        // Panning far right stops at the map's edge; zooming out past 1 is the fit view.
        let far = view.panned(10.0, 0.0);
        assert_eq!(far.view_box(width, height).0, 500.0);
        assert_eq!(far.zoomed(0.1, (0.5, 0.5)), MapView::FIT);
        assert_eq!(MapView::FIT.panned(0.5, 0.5), MapView::FIT);
        assert_eq!(view.zoomed(100.0, (0.5, 0.5)).zoom, MAX_ZOOM);
        // A nonsense view shows the whole map rather than nothing.
        let broken = MapView {
            zoom: f64::NAN,
            centre: (f64::INFINITY, f64::NAN),
        };
        assert_eq!(broken.view_box(width, height), (0.0, 0.0, 1000.0, 600.0));
    }

    #[test]
    fn every_track_segment_is_octilinear() {
        for id in crate::engine::builtin::builtin_ids() {
            let Some(Ok(scenario)) = load_builtin(id) else {
                panic!("{id}")
            };
            let layout = MapLayout::new(&scenario);
            for track in &layout.tracks {
                for segment in &track.segments {
                    for pair in segment.windows(2) {
                        assert!(is_octilinear(pair[0], pair[1]), "{id}: {pair:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn stations_without_positions_get_distinct_places() {
        let Some(Ok(scenario)) = load_builtin("irctc-tatkal") else {
            panic!()
        };
        assert!(
            scenario
                .stations
                .iter()
                .filter(|s| s.position.is_none())
                .count()
                > 3
        );
        let layout = MapLayout::new(&scenario);
        for (i, a) in layout.stations.iter().enumerate() {
            for b in &layout.stations[i + 1..] {
                let distance =
                    ((a.point.0 - b.point.0).powi(2) + (a.point.1 - b.point.1).powi(2)).sqrt();
                assert!(distance > GRID, "stations overlap: {a:?} {b:?}");
            }
        }
    }

    #[test]
    fn routes_follow_the_lines() {
        let Some(Ok(scenario)) = load_builtin("flipkart") else {
            panic!()
        };
        let layout = MapLayout::new(&scenario);
        let id = |name: &str| scenario.station_named(name).expect(name);
        // Churchgate to Vashi: Western to Dadar, Central to Kurla, Harbour to Vashi.
        let route = layout.station_route(id("Churchgate"), id("Vashi"));
        let names: Vec<&str> = route
            .iter()
            .map(|s| scenario.station(*s).name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "Churchgate",
                "Mumbai Central",
                "Dadar",
                "Kurla",
                "Chembur",
                "Vashi"
            ]
        );
        let line = layout.route(id("Churchgate"), id("Vashi"));
        assert_eq!(line.at(0.0), layout.station_point(id("Churchgate")));
        assert_eq!(line.at(1.0), layout.station_point(id("Vashi")));
    }

    #[test]
    fn lines_sharing_a_corridor_run_side_by_side() {
        let text = r#"
            [[lines]]
            name = "A"
            stations = ["X", "Y", "Z"]
            [[lines]]
            name = "B"
            stations = ["Z", "Y"]
            [[stations]]
            name = "X"
            position = [0, 0]
            [[stations]]
            name = "Y"
            position = [4, 0]
            [[stations]]
            name = "Z"
            position = [8, 0]
            [[services]]
            name = "s"
            station = "Z"
            [[services.endpoints]]
            name = "e"
            [workload]
            rate = "1/s"
            [[workload.mix]]
            endpoint = "s"
        "#;
        let scenario = crate::engine::parse_scenario(text).expect("valid");
        let layout = MapLayout::new(&scenario);
        let a = &layout.tracks[0].segments[1]; // Y → Z on line A
        let b = &layout.tracks[1].segments[0]; // Z → Y on line B
        let gap = (a[0].1 - b[b.len() - 1].1).abs();
        assert!(
            (gap - PARALLEL_SPACING).abs() < 1e-9,
            "lines {gap} apart: {a:?} {b:?}"
        );
        // Where the corridor is not shared, line A runs on the centre line.
        assert_eq!(
            layout.tracks[0].segments[0][0].1,
            layout.station_point(StationId(0)).1
        );
        let offset = offset_polyline(&[(0.0, 0.0), (10.0, 0.0)], 4.0);
        assert_eq!(offset, vec![(0.0, 4.0), (10.0, 4.0)]);
    }

    #[test]
    fn labels_go_where_no_track_runs() {
        assert_eq!(
            choose_label_side(&[(0.0, 1.0), (0.0, -1.0)]),
            LabelSide::Right
        );
        assert_eq!(
            choose_label_side(&[(1.0, 0.0), (-1.0, 0.0)]),
            LabelSide::Below
        );
        assert_eq!(choose_label_side(&[(1.0, 0.0)]), LabelSide::Left);
        assert_eq!(choose_label_side(&[]), LabelSide::Right);
    }

    #[test]
    fn neighbouring_labels_do_not_overlap_in_the_builtins() {
        for id in crate::engine::builtin::builtin_ids() {
            let Some(Ok(scenario)) = load_builtin(id) else {
                panic!("{id}")
            };
            let layout = MapLayout::new(&scenario);
            let points: Vec<Point> = layout.stations.iter().map(|s| s.point).collect();
            let directions = vec![Vec::new(); points.len()];
            // Re-run placement and check every chosen box against every other.
            let placed = place_labels(
                &scenario,
                &points,
                &directions,
                &layout.tracks,
                LabelFit::NATURAL,
                None,
            );
            assert_eq!(placed.len(), points.len());
            let boxes: Vec<_> = points
                .iter()
                .zip(&layout.stations)
                .map(|(&p, s)| label_box(p, s.label_side, 60.0, 20.0, 1.0))
                .collect();
            for (i, a) in boxes.iter().enumerate() {
                for (j, b) in boxes.iter().enumerate().skip(i + 1) {
                    assert!(
                        !overlaps(*a, *b),
                        "{id}: labels of stations {i} and {j} overlap"
                    );
                }
            }
        }
    }

    #[test]
    fn labels_pills_and_tracks_do_not_collide_in_the_builtins() {
        let mut collisions = Vec::new();
        for id in crate::engine::builtin::builtin_ids() {
            let Some(Ok(scenario)) = load_builtin(id) else {
                panic!("{id}")
            };
            let layout = MapLayout::new(&scenario);
            let name = |i: usize| scenario.stations[i].name.clone();
            for (i, &a) in layout.labels.iter().enumerate() {
                for (j, &b) in layout.labels.iter().enumerate().skip(i + 1) {
                    if overlaps(a, b) {
                        collisions.push(format!(
                            "{id}: the labels of {} and {} overlap",
                            name(i),
                            name(j)
                        ));
                    }
                }
                let crossings = track_crossings(a, &layout.tracks);
                if crossings > 0 {
                    collisions.push(format!(
                        "{id}: {crossings} track pieces cross the label of {}",
                        name(i)
                    ));
                }
                for pill in &layout.pills {
                    if overlaps(a, pill_box(pill)) {
                        collisions.push(format!(
                            "{id}: the label of {} covers a line's name",
                            name(i)
                        ));
                    }
                }
            }
            for (i, pill) in layout.pills.iter().enumerate() {
                if track_crossings(pill_box(pill), &layout.tracks) > 0 {
                    collisions.push(format!("{id}: line {i}'s name lies on a track"));
                }
                for other in layout.pills.iter().skip(i + 1) {
                    if overlaps(pill_box(pill), pill_box(other)) {
                        collisions.push(format!("{id}: two line names overlap"));
                    }
                }
            }
            assert_eq!(
                layout.pills.len(),
                scenario.lines.len(),
                "{id}: every line is named"
            );
        }
        assert!(collisions.is_empty(), "{}", collisions.join("\n"));
    }

    #[test]
    fn grown_labels_that_are_shown_collide_with_nothing_and_stay_on_screen() {
        let mut collisions = Vec::new();
        let mut shortened = 0;
        for id in crate::engine::builtin::builtin_ids() {
            let Some(Ok(scenario)) = load_builtin(id) else {
                panic!("{id}")
            };
            let natural = MapLayout::new(&scenario);
            for (growth, names_only) in [(1.25, false), (1.75, false), (2.5, true)] {
                // A stage as wide as the map and a control in its top-left corner.
                let (room, covered) = LabelFit::on_screen(
                    natural.width,
                    natural.height,
                    (natural.width / 2.0, natural.height / 2.0),
                    [(4.0, 4.0, 80.0, 40.0), (0.0, 0.0, 0.0, 0.0)],
                );
                let fit = LabelFit {
                    growth,
                    names_only,
                    room: Some(room),
                    covered,
                };
                let layout = natural.with_label_fit(&scenario, fit);
                // The geometry the requests travel on is untouched.
                assert_eq!(layout.tracks, natural.tracks, "{id}");
                assert!(
                    layout
                        .stations
                        .iter()
                        .zip(&natural.stations)
                        .all(|(a, b)| a.point == b.point)
                );
                let shown: Vec<(usize, Rect)> = layout
                    .stations
                    .iter()
                    .zip(&layout.labels)
                    .enumerate()
                    .filter(|(_, (place, _))| place.label_shown)
                    .map(|(i, (_, &r))| (i, r))
                    .collect();
                shortened += layout.stations.len() - shown.len();
                let at = format!("{id} at ×{growth}");
                for (k, &(i, a)) in shown.iter().enumerate() {
                    if shown[k + 1..].iter().any(|&(_, b)| overlaps(a, b)) {
                        collisions.push(format!("{at}: label {i} overlaps another"));
                    }
                    if track_crossings(a, &layout.tracks) > 0 {
                        collisions.push(format!("{at}: label {i} lies on a track"));
                    }
                    if a.0 < room.0 || a.1 < room.1 || a.2 > room.2 || a.3 > room.3 {
                        collisions.push(format!("{at}: label {i} leaves the screen"));
                    }
                    if covered.iter().any(|&c| overlaps(a, c)) {
                        collisions.push(format!("{at}: label {i} is under a control"));
                    }
                    if layout.pills.iter().any(|p| overlaps(a, pill_box(p))) {
                        collisions.push(format!("{at}: label {i} covers a line's name"));
                    }
                    if names_only && layout.stations[i].services_shown {
                        collisions.push(format!("{at}: label {i} shows services"));
                    }
                }
            }
        }
        assert!(collisions.is_empty(), "{}", collisions.join("\n"));
        // Not everything fits at ×2.5 on half the room: some labels must have been left out,
        // or this test does not exercise the leaving out.
        assert!(shortened > 0);
    }

    #[test]
    fn growth_keeps_service_names_at_11_px() {
        for scale in [0.2, 0.31, 0.5, 0.77, 0.846, 0.9, 1.5] {
            let growth = LabelFit::growth_for(scale);
            assert!((1.0..=LabelFit::MAX_GROWTH).contains(&growth));
            if growth < LabelFit::MAX_GROWTH {
                assert!(13.0 * growth * scale >= 11.0 - 1e-9, "{scale}: ×{growth}");
            }
            assert_eq!(growth * 8.0, (growth * 8.0).round(), "in steps of 1/8");
        }
        assert_eq!(LabelFit::growth_for(1.0), 1.0);
        assert_eq!(LabelFit::growth_for(f64::NAN), 1.0);
    }

    #[test]
    fn a_piece_crosses_a_box_only_when_it_passes_through_it() {
        let r = (0.0, 0.0, 10.0, 10.0);
        assert!(crosses(r, (-5.0, 5.0), (15.0, 5.0)), "straight through");
        assert!(crosses(r, (5.0, 5.0), (50.0, 50.0)), "starting inside");
        assert!(!crosses(r, (-5.0, -5.0), (-1.0, 20.0)), "beside it");
        assert!(!crosses(r, (11.0, -1.0), (20.0, 8.0)), "past a corner");
        assert!(crosses(r, (-2.0, 8.0), (8.0, -2.0)), "across a corner");
    }

    #[test]
    fn a_segments_health_adds_both_directions_and_every_route_over_it() {
        let Some(Ok(scenario)) = load_builtin("flipkart") else {
            panic!()
        };
        let layout = MapLayout::new(&scenario);
        let id = |name: &str| scenario.station_named(name).expect(name);
        // Answers from Bandra to Churchgate pass Dadar and Mumbai Central; some from Dadar too.
        let health = layout.segment_health(&[
            (id("Bandra"), id("Churchgate"), 40.0, 10.0),
            (id("Dadar"), id("Mumbai Central"), 60.0, 0.0),
        ]);
        let at = |a: &str, b: &str| {
            let (a, b) = (id(a), id(b));
            let key = if a.index() <= b.index() {
                (a, b)
            } else {
                (b, a)
            };
            health
                .iter()
                .find(|h| (h.a, h.b) == key)
                .copied()
                .expect("a segment")
        };
        let shared = at("Dadar", "Mumbai Central");
        assert_eq!(shared.answers_per_s, 100.0);
        assert!((shared.error_share - 0.1).abs() < 1e-12);
        assert!((at("Bandra", "Dadar").error_share - 0.25).abs() < 1e-12);
        assert_eq!(layout.lines_between(id("Dadar"), id("Bandra")), 1);
    }

    #[test]
    fn a_bend_is_the_same_both_ways() {
        let forward = octilinear((0.0, 0.0), (2.0, 4.0));
        let mut backward = octilinear((2.0, 4.0), (0.0, 0.0));
        backward.reverse();
        assert_eq!(forward, backward);
        assert_eq!(forward.len(), 3);
    }

    #[test]
    fn flows_add_up_on_shared_segments() {
        let Some(Ok(scenario)) = load_builtin("flipkart") else {
            panic!()
        };
        let layout = MapLayout::new(&scenario);
        let id = |name: &str| scenario.station_named(name).expect(name);
        let flows = [
            (id("Churchgate"), id("Dadar"), 10.0),
            (id("Mumbai Central"), id("Dadar"), 5.0),
            (id("Dadar"), id("Churchgate"), 2.0),
        ];
        let segments = layout.segment_flows(&flows);
        let rate = |a: &str, b: &str| {
            segments
                .iter()
                .find(|s| s.0 == id(a) && s.1 == id(b))
                .map(|s| s.2)
        };
        assert_eq!(rate("Churchgate", "Mumbai Central"), Some(10.0));
        assert_eq!(rate("Mumbai Central", "Dadar"), Some(15.0));
        assert_eq!(rate("Dadar", "Mumbai Central"), Some(2.0));
    }

    #[test]
    fn polyline_interpolates_by_length() {
        let line = Polyline::new(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]);
        assert_eq!(line.at(0.25), (5.0, 0.0));
        assert_eq!(line.at(0.75), (10.0, 5.0));
        assert_eq!(line.at(2.0), (10.0, 10.0));
    }
}
