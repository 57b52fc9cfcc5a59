//! The service map, drawn as a transit diagram in SVG: coloured octilinear tracks, station ticks,
//! interchange rings, line names, instance pips with busy workers and queues, a legend, and (in
//! reduced-motion mode) a static overlay of request flows. The moving dots are a canvas layer on
//! top (see `dots`), drawn in the same coordinates.

use super::dependencies::{breaker_icon, breaker_word};
use super::{Local, Shared};
use crate::app::i18n::{Lang, Msg, fill, group_indian, tr};
use crate::app::layout::{
    BOX_H, BOX_W, CELL, LabelSide, MapLayout, MapView, PIP_GAP, PipShape, Point, Polyline,
    octilinear, offset_polyline, pill_width,
};
use crate::app::state::{Action, LiveView};
use crate::app::traces::PathHop;
use crate::engine::Scenario;
use crate::engine::ids::StationId;
use crate::engine::scenario::LineStyle;
use crate::engine::snapshot::InstanceView;
use std::rc::Rc;
use yew::prelude::*;

/// Line colours: a colour-blind-safe set (Okabe–Ito) inspired by Mumbai's suburban lines.
/// Not an official scheme — Indian Railways publishes none.
pub fn line_colour(style: LineStyle) -> &'static str {
    match style {
        LineStyle::Western => "#CC79A7",
        LineStyle::Central => "#0072B2",
        LineStyle::Harbour => "#009E73",
        LineStyle::TransHarbour => "#E69F00",
        LineStyle::Metro => "#56B4E9",
        LineStyle::Monorail => "#D55E00",
    }
}

const INK: &str = "#1b1f2a";
/// Height of one service's name and pips under a station name.
const SERVICE_BLOCK: f64 = 44.0;

fn path_data(points: &[Point]) -> String {
    let mut data = String::new();
    for (i, (x, y)) in points.iter().enumerate() {
        data.push_str(if i == 0 { "M" } else { " L" });
        data.push_str(&format!("{x:.1} {y:.1}"));
    }
    data
}

#[derive(Properties, PartialEq)]
pub struct MapProps {
    pub scenario: Shared<Scenario>,
    pub layout: Local<MapLayout>,
    pub lang: Lang,
    pub live: Local<LiveView>,
    pub selected_station: Option<StationId>,
    /// The hops of the trace selected in the trace panel, lit on the map.
    pub trace_path: Option<Rc<Vec<PathHop>>>,
    pub reduced_motion: bool,
    /// The part of the map on screen.
    pub view: MapView,
    pub on_action: Callback<Action>,
}

/// Queue bars are scaled to the queue's capacity when it is small enough to read so; a deep
/// queue (10,000 places) would show nothing, so its bar follows the recent maximum instead and
/// its length is written beside it.
const READABLE_CAPACITY: u32 = 100;

/// Instance pips: per instance its workers (cells, or a box filled to its busy share) under a
/// dark cap (so an idle one reads as a server, not as a missing glyph), and its queue bar.
fn pips(
    instances: &[&InstanceView],
    x: f64,
    y: f64,
    lang: Lang,
    queue_scale: &dyn Fn(&InstanceView) -> f64,
) -> Html {
    let shape = PipShape::of(instances.first().map_or(1, |i| i.workers), instances.len());
    let height = match shape.cells {
        Some((_, down)) => f64::from(down) * CELL + 5.0,
        None => BOX_H,
    };
    // Faults in force show once, after the pips: ×N slower, !N% failing.
    let slow = instances.iter().map(|i| i.slow_factor).fold(1.0, f64::max);
    let failing = instances
        .iter()
        .map(|i| i.injected_error)
        .fold(0.0, f64::max);
    let badge_x = x + shape.row_width(instances.len()) + 4.0;
    html! {
        <g class="pips">
            if slow > 1.0 {
                <text x={format!("{badge_x:.1}")} y={format!("{:.1}", y + 12.0)} class="pip-badge slow">{ format!("×{slow:.0}") }</text>
            } else if failing > 0.0 {
                <text x={format!("{badge_x:.1}")} y={format!("{:.1}", y + 12.0)} class="pip-badge failing">{ format!("!{:.0}%", failing * 100.0) }</text>
            }
            { for instances.iter().enumerate().map(|(i, instance)| {
                let px = x + i as f64 * (shape.width + PIP_GAP);
                let busy = f64::from(instance.busy_workers) / f64::from(instance.workers.max(1));
                let mut title = format!(
                    "#{} {} · {} {}/{} · {} {}/{}",
                    instance.ordinal,
                    tr(lang, if instance.up { Msg::Up } else { Msg::Down }),
                    tr(lang, Msg::BusyWorkers), instance.busy_workers, instance.workers,
                    tr(lang, Msg::Queue), instance.queue_length, instance.queue_capacity
                );
                if instance.slow_factor > 1.0 {
                    title.push_str(&format!(" · {}", fill(lang, Msg::Slowed, &[&format!("{:.0}", instance.slow_factor)])));
                }
                if instance.injected_error > 0.0 {
                    title.push_str(&format!(" · {}", fill(lang, Msg::Failing, &[&format!("{:.0}", instance.injected_error * 100.0)])));
                }
                let workers = match shape.cells {
                    // Two paths per instance (busy cells, idle cells), not a node per worker: the
                    // map re-renders ten times a second.
                    Some((across, _)) => {
                        let mut busy_cells = String::new();
                        let mut idle_cells = String::new();
                        for w in 0..instance.workers {
                            let (cx, cy) = (px + 1.0 + f64::from(w % across) * CELL, y + 4.0 + f64::from(w / across) * CELL);
                            let cells = if w < instance.busy_workers { &mut busy_cells } else { &mut idle_cells };
                            cells.push_str(&format!("M{cx:.1} {cy:.1}h4v4h-4z"));
                        }
                        html! {
                            <>
                                <path d={idle_cells} class="pip-cell" />
                                <path d={busy_cells} class="pip-cell busy" />
                            </>
                        }
                    }
                    None => {
                        let fill_height = (BOX_H - 3.0) * busy.clamp(0.0, 1.0);
                        html! { <rect x={format!("{px:.1}")} y={format!("{:.1}", y + BOX_H - fill_height)} width={BOX_W.to_string()}
                                      height={format!("{fill_height:.1}")} class={classes!("pip-busy", (busy >= 1.0).then_some("full"))} /> }
                    }
                };
                let queue_share = queue_scale(instance);
                html! {
                    <g class={classes!("pip", (!instance.up).then_some("down"))} key={instance.instance.0}>
                        <title>{ title }</title>
                        <rect x={format!("{px:.1}")} y={format!("{y:.1}")} width={format!("{:.1}", shape.width)} height={format!("{height:.1}")} rx="1.5" class="pip-frame" />
                        <rect x={format!("{px:.1}")} y={format!("{y:.1}")} width={format!("{:.1}", shape.width)} height="3" class="pip-cap" />
                        if instance.up {
                            { workers }
                            <rect x={format!("{px:.1}")} y={format!("{:.1}", y + height + 2.0)} width={format!("{:.1}", shape.width)} height="3" class="pip-queue-frame" />
                            <rect x={format!("{px:.1}")} y={format!("{:.1}", y + height + 2.0)} width={format!("{:.1}", shape.width * queue_share)}
                                  height="3" class="pip-queue" />
                            if instance.queue_length > 0 && instance.queue_capacity > READABLE_CAPACITY {
                                <text x={format!("{:.1}", px + shape.width / 2.0)} y={format!("{:.1}", y + height + 12.0)} text-anchor="middle" class="pip-queue-count" aria-hidden="true">
                                    { group_indian(u64::from(instance.queue_length)) }
                                </text>
                            }
                        } else {
                            <path d={format!("M{:.1} {:.1} L{:.1} {:.1} M{:.1} {:.1} L{:.1} {:.1}", px + 2.0, y + 5.0, px + shape.width - 2.0, y + height - 2.0, px + shape.width - 2.0, y + 5.0, px + 2.0, y + height - 2.0)} class="pip-cross" />
                        }
                    </g>
                }
            }) }
        </g>
    }
}

#[component]
pub fn Map(props: &MapProps) -> Html {
    let scenario = &props.scenario.0;
    let layout = &props.layout.0;
    let lang = props.lang;
    let live = &props.live.0;
    let client_station = scenario.workload.station;
    // Deep queues' bars follow their recent maximum (decaying by half in about 3 s of refreshes).
    let recent_max = use_mut_ref(Vec::<f64>::new);
    {
        let mut recent = recent_max.borrow_mut();
        recent.resize(scenario.instances.len(), 0.0);
        for instance in &live.instances {
            if let Some(max) = recent.get_mut(instance.instance.index()) {
                *max = (*max * 0.98).max(f64::from(instance.queue_length));
            }
        }
    }
    let recent_snapshot = recent_max.borrow().clone();
    let queue_scale = move |instance: &InstanceView| -> f64 {
        let length = f64::from(instance.queue_length);
        let scale = if instance.queue_capacity <= READABLE_CAPACITY {
            f64::from(instance.queue_capacity)
        } else {
            recent_snapshot
                .get(instance.instance.index())
                .copied()
                .unwrap_or(length)
                .max(length)
        };
        if scale <= 0.0 {
            0.0
        } else {
            (length / scale).clamp(0.0, 1.0)
        }
    };

    let tracks = layout.tracks.iter().map(|track| {
        let colour = line_colour(track.style);
        html! {
            <g class="track" key={track.line.0}>
                { for track.segments.iter().map(|segment| html! {
                    <>
                        <path d={path_data(segment)} class="track-casing" />
                        <path d={path_data(segment)} class="track-line" stroke={colour} />
                    </>
                }) }
            </g>
        }
    });
    // Each track's centre again, above the traffic: however dense the dots and bands, every line
    // stays visible along its whole length.
    let track_cores = layout.tracks.iter().map(|track| {
        let colour = line_colour(track.style);
        html! {
            <g class="track-centre" key={track.line.0}>
                { for track.segments.iter().map(|segment| html! {
                    <path d={path_data(segment)} class="track-core" stroke={colour} />
                }) }
            </g>
        }
    });

    // Each line's name in a pill beside its track, where the layout found room for it.
    let line_names = layout.pills.iter().filter_map(|pill| {
        let line = scenario.lines.get(pill.line.index())?;
        let (x, y) = pill.centre;
        let name = line.name.in_language(lang.code());
        let width = pill_width(name);
        Some(html! {
            <g class="line-name" key={line.id.0} style={format!("scale: {}", pill.scale)}>
                <rect x={format!("{:.1}", x - width / 2.0)} y={format!("{:.1}", y - 11.0)} width={format!("{width:.1}")} height="22" rx="11" fill={line_colour(line.style)} />
                <text x={format!("{x:.1}")} y={format!("{:.1}", y + 4.5)} text-anchor="middle">{ name }</text>
            </g>
        })
    });

    // Health on the tracks, as Kiali colours its edges: a segment whose answers fail (5 % or
    // more) gets a red dashed border on both sides of its tracks, denser as more fail, with its
    // figures in words on hover and focus (and always in reduced motion).
    let health = layout.segment_health(&live.answer_health);
    let health_marks = health
        .iter()
        .filter(|h| h.answers_per_s >= 0.5 && h.error_share >= 0.05)
        .map(|h| {
            let centre = octilinear(layout.station_point(h.a), layout.station_point(h.b));
            let reach = layout.corridor_half_width(h.a, h.b) + 8.5;
            let dash = if h.error_share >= 0.5 { "none" } else if h.error_share >= 0.25 { "8 3" } else { "3 4" };
            let percent = format!("{:.0}", h.error_share * 100.0);
            let text = fill(lang, Msg::SegmentHealth, &[
                scenario.station(h.a).label.in_language(lang.code()),
                scenario.station(h.b).label.in_language(lang.code()),
                &percent,
                &format!("{:.0}", h.answers_per_s),
            ]);
            let (mx, my) = Polyline::new(centre.clone()).at(0.5);
            html! {
                <g class="health" key={format!("{}-{}", h.a.0, h.b.0)} tabindex="0" role="img" aria-label={text.clone()} data-testid="segment-health">
                    <title>{ text }</title>
                    <path d={path_data(&offset_polyline(&centre, reach))} class="health-edge" stroke-dasharray={dash} />
                    <path d={path_data(&offset_polyline(&centre, -reach))} class="health-edge" stroke-dasharray={dash} />
                    <text x={format!("{mx:.1}")} y={format!("{:.1}", my - reach - 5.0)} text-anchor="middle" class="health-label">
                        { format!("✗ {percent} %") }
                    </text>
                </g>
            }
        })
        .collect::<Html>();

    // Rates per direction on the busiest segments (the three busiest directions), outside their
    // lanes, in virtual time; in reduced motion the flow overlay labels every segment instead.
    let rate_labels = if props.reduced_motion {
        Html::default()
    } else {
        let mut busiest = layout.segment_flows(&live.flows);
        busiest.retain(|f| f.0 != f.1 && f.2 >= 1.0);
        busiest.sort_by(|p, q| q.2.total_cmp(&p.2));
        busiest.truncate(3);
        html! {
            <g class="rate-labels" aria-hidden="true">
                { for busiest.iter().map(|&(from, to, rate)| {
                    let centre = octilinear(layout.station_point(from), layout.station_point(to));
                    let (x, y) = Polyline::new(offset_polyline(&centre, layout.corridor_half_width(from, to) + 20.0)).at(0.5);
                    html! {
                        <text key={format!("{}-{}", from.0, to.0)} x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0)} text-anchor="middle" class="rate-label">
                            { fill(lang, Msg::FlowLabel, &[&format!("{rate:.0}")]) }
                        </text>
                    }
                }) }
            </g>
        }
    };

    // Reduced motion: instead of dots, each track segment shows its traffic per direction,
    // in its own lane (left of travel), thicker for more requests per second.
    let flows = if props.reduced_motion {
        let segments = layout.segment_flows(&live.flows);
        let max_rate = segments.iter().map(|f| f.2).fold(1.0, f64::max);
        html! {
            <g class="flows" data-testid="flow-overlay">
                { for segments.iter().filter(|f| f.2 >= 0.5).map(|&(from, to, rate)| {
                    let width = 2.0 + 6.0 * (rate / max_rate).sqrt();
                    let centre = octilinear(layout.station_point(from), layout.station_point(to));
                    let lane = offset_polyline(&centre, 4.0 + width / 2.0);
                    // The label sits outside its own lane, so the two directions never collide.
                    let (mx, my) = Polyline::new(offset_polyline(&centre, 16.0 + width)).at(0.5);
                    html! {
                        <g class="flow" key={format!("{}-{}", from.0, to.0)}>
                            <path d={path_data(&lane)} stroke-width={format!("{width:.1}")} marker-end="url(#flow-arrow)" />
                            <text x={format!("{mx:.1}")} y={format!("{:.1}", my + 4.0)} text-anchor="middle">
                                { fill(lang, Msg::FlowLabel, &[&format!("{rate:.0}")]) }
                            </text>
                        </g>
                    }
                }) }
            </g>
        }
    } else {
        Html::default()
    };

    // Protections on call edges: a badge beside the route from caller to callee with the breaker's
    // state (icon and word), the bulkhead's occupancy and the rate limiter's permits as gauges.
    let badges = live.patterns.resilience.edges.iter().filter(|view| view.has_policies).map(|view| {
        let policy = scenario.edge(view.edge);
        let from = scenario.service(policy.from).station;
        let to = scenario.service(policy.to).station;
        // Beside the middle of the route's first stretch, where the caller's calls leave.
        let stations = layout.station_route(from, to);
        let first = stations.get(1).copied().unwrap_or(to);
        let route = layout.route(from, first);
        let (ax, ay) = route.at(0.48);
        let (bx, by) = route.at(0.52);
        let (dx, dy) = (bx - ax, by - ay);
        let length = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (x, y) = (ax - dy / length * 34.0, ay + dx / length * 34.0);
        let mut longest_text = 12usize;
        let mut rows: Vec<Html> = Vec::new();
        let mut row_y = 0.0;
        if let Some(breaker) = view.breaker {
            rows.push(html! {
                <g class={classes!("badge-row", breaker.state.key())}>
                    { breaker_icon(breaker.state, 8.0, row_y + 8.0, 5.5) }
                    <text x="18" y={format!("{:.1}", row_y + 12.0)}>{ breaker_word(lang, breaker.state) }</text>
                </g>
            });
            row_y += 17.0;
        }
        let gauge = |label: &str, used: f64, capacity: f64, text: String, y: f64| {
            let share = if capacity > 0.0 { (used / capacity).clamp(0.0, 1.0) } else { 0.0 };
            html! {
                <g class="badge-row gauge">
                    <rect x="2" y={format!("{:.1}", y + 3.0)} width="44" height="9" class="gauge-frame" />
                    <rect x="2" y={format!("{:.1}", y + 3.0)} width={format!("{:.1}", 44.0 * share)} height="9" class={classes!("gauge-fill", (share >= 1.0).then_some("full"))} />
                    <text x="52" y={format!("{:.1}", y + 12.0)}>{ format!("{label} {text}") }</text>
                </g>
            }
        };
        if let Some(bulkhead) = view.bulkhead {
            rows.push(gauge(
                tr(lang, Msg::BulkheadGauge),
                f64::from(bulkhead.running),
                f64::from(bulkhead.limit),
                format!("{}/{}", bulkhead.running, bulkhead.limit),
                row_y,
            ));
            row_y += 17.0;
        }
        if let Some((permits, limit)) = view.limiter {
            let left = permits.clamp(0, i64::from(limit)) as f64;
            rows.push(gauge(tr(lang, Msg::LimiterGauge), f64::from(limit) - left, f64::from(limit), format!("{left:.0}/{limit}"), row_y));
            row_y += 17.0;
        }
        // Timeout, retry and fallback, in words.
        if let Some(policy) = live.patterns.resilience.policies.get(view.edge.index()) {
            let mut words: Vec<String> = Vec::new();
            if let Some(timeout) = policy.timeout {
                words.push(fill(lang, Msg::BadgeTimeout, &[&crate::engine::time::format_micros(timeout.0)]));
            }
            if let Some(retry) = &policy.retry {
                words.push(fill(lang, Msg::BadgeRetry, &[&retry.max_attempts.to_string()]));
            }
            if policy.fallback.is_some() {
                words.push(tr(lang, Msg::BadgeFallback).to_string());
            }
            if !words.is_empty() {
                let text = words.join(" · ");
                longest_text = longest_text.max(text.chars().count());
                rows.push(html! { <text x="4" y={format!("{:.1}", row_y + 12.0)} class="badge-row">{ text }</text> });
                row_y += 17.0;
            }
        }
        let width = (8.0 + 6.3 * longest_text as f64).max(136.0);
        html! {
            <g class="edge-badge" key={view.edge.0} transform={format!("translate({:.1} {:.1})", x - width / 2.0, y - row_y / 2.0)}
               data-testid="edge-badge">
                <title>{ scenario.edge_label(view.edge) }</title>
                <rect x="-4" y="-3" width={format!("{width:.0}")} height={format!("{:.1}", row_y + 4.0)} rx="6" class="badge-box" />
                { for rows }
            </g>
        }
    });

    // A service's state at its station, in words and a sign (never colour alone): every instance
    // down, or a tenth or more of the last second's requests failing. Written after its name,
    // and in the station's accessible name in the same place.
    let service_alert = |service: crate::engine::ids::ServiceId| -> Option<String> {
        let mut instances = live
            .instances
            .iter()
            .filter(|i| i.service == service)
            .peekable();
        let all_down = instances.peek().is_some() && instances.all(|i| !i.up);
        if all_down {
            return Some(format!("✗ {}", tr(lang, Msg::AllDown)));
        }
        live.services
            .iter()
            .find(|v| v.service == service)
            .and_then(|v| v.last_second)
            .filter(|p| p.completed + p.failed + p.rejected + p.timed_out > 0)
            .map(|p| p.error_ratio())
            .filter(|&share| share >= 0.1)
            .map(|share| {
                format!(
                    "⚠ {}",
                    fill(lang, Msg::ErrorsShare, &[&format!("{:.0}", share * 100.0)])
                )
            })
    };
    let stations = scenario.stations.iter().map(|station| {
        let (x, y) = layout.station_point(station.id);
        let services: Vec<_> = scenario.services.iter().filter(|s| s.station == station.id).collect();
        let interchange = station.lines.len() > 1;
        let selected = props.selected_station == Some(station.id);
        let hosts = !services.is_empty() || station.id == client_station;
        let on_select = {
            let on_action = props.on_action.clone();
            let id = station.id;
            Callback::from(move |_: MouseEvent| on_action.emit(Action::SelectStation(Some(id))))
        };
        let on_key = {
            let on_action = props.on_action.clone();
            let id = station.id;
            Callback::from(move |event: KeyboardEvent| {
                // Enter selects; Space is play/pause everywhere (the page's shortcut).
                if event.key() == "Enter" {
                    event.prevent_default();
                    event.stop_propagation();
                    on_action.emit(Action::SelectStation(Some(id)));
                }
            })
        };
        let line_colour_here = station
            .lines
            .first()
            .map(|l| line_colour(scenario.lines[l.index()].style))
            .unwrap_or(INK);
        let mut label = station.label.in_language(lang.code()).to_string();
        let service_names: Vec<String> = services.iter().map(|s| s.label.in_language(lang.code()).to_string()).collect();
        if !service_names.is_empty() {
            label = format!("{label} — {}", service_names.join(", "));
        }
        let up: usize = services
            .iter()
            .map(|s| live.instances.iter().filter(|i| i.service == s.id && i.up).count())
            .sum();
        let total: usize = services.iter().map(|s| s.instances.len()).sum();
        // The accessible name starts with exactly what is visible, in order (station, then each
        // service with its fault badges), and ends with what only the pips show.
        let mut aria = station.label.in_language(lang.code()).to_string();
        for service in &services {
            aria.push(' ');
            aria.push_str(service.label.in_language(lang.code()));
            if let Some(alert) = service_alert(service.id) {
                aria.push(' ');
                aria.push_str(&alert);
            }
            let instances = live.instances.iter().filter(|i| i.service == service.id);
            let slow = instances.clone().map(|i| i.slow_factor).fold(1.0, f64::max);
            let failing = instances.map(|i| i.injected_error).fold(0.0, f64::max);
            if slow > 1.0 {
                aria.push_str(&format!(" ×{slow:.0}"));
            } else if failing > 0.0 {
                aria.push_str(&format!(" !{:.0}%", failing * 100.0));
            }
        }
        if total > 0 {
            aria.push_str(&format!(": {} {up}/{total}", tr(lang, Msg::InstancesUp)));
        }
        let any_down = up < total;
        let marker = if interchange {
            html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="11" class="interchange" /> }
        } else if hosts {
            html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="8" class="stop" stroke={line_colour_here} /> }
        } else {
            // An ordinary station: a tick across the track, as transit diagrams draw them.
            let (tx, ty) = layout.stations[station.id.index()].tick;
            html! {
                <>
                    <line x1={format!("{x:.1}")} y1={format!("{y:.1}")} x2={format!("{:.1}", x + tx * 10.0)} y2={format!("{:.1}", y + ty * 10.0)}
                          class="tick" stroke={line_colour_here} />
                    <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="9" class="hit-area" />
                </>
            }
        };
        // Name and services go on the side the tracks leave free.
        let place = &layout.stations[station.id.index()];
        let fit = layout.label_fit;
        let side = place.label_side;
        // The label block, slid along its side where the layout moved it off a track.
        let (shift_x, shift_y) = place.label_shift;
        let (lx, ly) = (x + shift_x, y + shift_y);
        let block_height = if place.services_shown { 21.0 + services.len() as f64 * SERVICE_BLOCK } else { 21.0 };
        let (anchor, text_x, top) = match side {
            LabelSide::Right => ("start", lx + 18.0, ly - 6.0),
            LabelSide::Left => ("end", lx - 18.0, ly - 6.0),
            LabelSide::Below => ("middle", lx, ly + 26.0),
            LabelSide::Above => ("middle", lx, ly - 14.0 - block_height),
        };
        let name_y = top + 4.0;
        let service_blocks = services.iter().enumerate().map(|(index, service)| {
            let instances: Vec<&InstanceView> = live.instances.iter().filter(|i| i.service == service.id).collect();
            let width = PipShape::of(service.workers, instances.len()).row_width(instances.len());
            let block_top = name_y + 9.0 + index as f64 * SERVICE_BLOCK;
            let pip_x = match side {
                LabelSide::Right => text_x,
                LabelSide::Left => text_x - width,
                LabelSide::Above | LabelSide::Below => lx - width / 2.0,
            };
            let limiter = live.patterns.resilience.limiters.get(service.id.index()).copied().flatten();
            let alert = service_alert(service.id);
            html! {
                <g class="service" key={service.id.0}>
                    <text x={format!("{text_x:.1}")} y={format!("{:.1}", block_top + 12.0)} text-anchor={anchor} class="service-name">
                        { service.label.in_language(lang.code()) }
                        // Unmistakable, in words and a sign: every instance down, or many errors.
                        if let Some(alert) = alert.as_ref() {
                            <tspan class="service-alert" data-testid="service-alert">{ format!(" {alert}") }</tspan>
                        }
                    </text>
                    { " " }
                    { pips(&instances, pip_x, block_top + 18.0, lang, &queue_scale) }
                    if let Some(limiter) = limiter {
                        <g class="server-limit" transform={format!("translate({:.1} {:.1})", pip_x + width + 6.0, block_top + 20.0)}>
                            <title>{ format!("{} {:.0}/{:.0}", tr(lang, Msg::ServerLimit), limiter.used, limiter.capacity) }</title>
                            <rect width="8" height="16" class="gauge-frame" />
                            <rect y={format!("{:.1}", 16.0 - 16.0 * (limiter.used / limiter.capacity.max(1.0)).clamp(0.0, 1.0))}
                                  width="8" height={format!("{:.1}", 16.0 * (limiter.used / limiter.capacity.max(1.0)).clamp(0.0, 1.0))} class="gauge-fill" />
                        </g>
                    }
                </g>
            }
        }).collect::<Html>();
        html! {
            <g class={classes!("station", interchange.then_some("is-interchange"), selected.then_some("selected"), any_down.then_some("degraded"))}
               key={station.id.0}
               role="button" tabindex="0" aria-label={aria} aria-pressed={selected.to_string()}
               data-station={station.name.clone()}
               onclick={on_select} onkeydown={on_key}>
                <title>{ label }</title>
                if selected {
                    <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="18" class="selection-ring" />
                }
                // Shown only under keyboard focus: a dark ring on a white halo, wider than any
                // marker, so it reads on every line colour and on the paper.
                <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="21" class="focus-halo" />
                <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="21" class="focus-ring" />
                { marker }
                if station.id == client_station {
                    <g class="client-badge" aria-hidden="true" transform={format!("translate({:.1} {:.1})", x - 30.0, y - 8.0)}>
                        <circle cx="5" cy="4" r="3.2" /><path d="M0 15 Q5 7 10 15 z" />
                        <circle cx="13" cy="4" r="3.2" /><path d="M8 15 Q13 7 18 15 z" />
                    </g>
                }
                // The name and services grow together, from the corner nearest the station, when
                // the map is drawn small (so text stays readable and keeps its own spacing).
                if place.label_shown {
                    // The label is part of the station's target: clicking a name chooses it.
                    if let Some(&(x0, y0, x1, y1)) = layout.labels.get(station.id.index()) {
                        <rect class="hit-area" x={format!("{x0:.1}")} y={format!("{y0:.1}")}
                              width={format!("{:.1}", x1 - x0)} height={format!("{:.1}", y1 - y0)} />
                    }
                    // Grown about the corner nearest the station (as the layout's label box is).
                    <g class="label-block" style={format!("transform-origin: {text_x:.1}px {:.1}px; scale: {}", match side {
                        LabelSide::Above => top + block_height,
                        LabelSide::Below => ly + 16.0,
                        LabelSide::Left | LabelSide::Right => top,
                    }, fit.growth)}>
                        <text x={format!("{text_x:.1}")} y={format!("{name_y:.1}")} text-anchor={anchor} class="station-name">
                            { station.label.in_language(lang.code()) }
                        </text>
                        // Spaces between the texts, so assistive tools read "Dadar Catalogue", not "DadarCatalogue".
                        { " " }
                        if place.services_shown {
                            { service_blocks }
                        }
                    </g>
                }
            </g>
        }
    });

    // The selected trace's calls, each hop once: a bold casing and a dark core, dashed where
    // the call was a saga compensation, with an arrow at the callee's end.
    let trace_path = props.trace_path.as_ref().map(|hops| {
        let mut visited: Vec<StationId> = Vec::new();
        for station in hops.iter().flat_map(|h| [h.from, h.to]) {
            if !visited.contains(&station) {
                visited.push(station);
            }
        }
        html! {
            <g class="trace-path" data-testid="trace-path">
                { for hops.iter().filter(|h| h.from != h.to).map(|hop| {
                    let d = path_data(&layout.route(hop.from, hop.to).points);
                    html! {
                        <>
                            <path d={d.clone()} class="trace-path-casing" />
                            <path d={d} class={classes!("trace-path-core", hop.compensation.then_some("compensation"), hop.failed.then_some("failed"))}
                                  marker-end="url(#trace-arrow)" />
                        </>
                    }
                }) }
                { for visited.into_iter().map(|station| {
                    let (x, y) = layout.station_point(station);
                    html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="11" class="trace-path-stop" /> }
                }) }
            </g>
        }
    });

    let view_box = {
        let (x, y, w, h) = props.view.view_box(layout.width, layout.height);
        format!("{x:.1} {y:.1} {w:.1} {h:.1}")
    };
    // Three layers with one geometry: the tracks (this SVG), the moving traffic (the canvas, see
    // `dots`), and above the traffic everything that must stay readable however busy it gets —
    // track centres, line names, stations and their labels, the trace path and the badges.
    html! {
        <>
        <svg class="map map-base" viewBox={view_box.clone()}
             preserveAspectRatio="xMidYMin meet" aria-hidden="true" focusable="false">
            <g class="tracks">{ for tracks }</g>
        </svg>
        <svg class="map map-overlay" viewBox={view_box.clone()}
             preserveAspectRatio="xMidYMin meet" role="group" aria-label={tr(lang, Msg::MapLabel)} data-testid="map">
            <defs>
                <marker id="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto">
                    <path d="M0 0 L10 5 L0 10 z" class="flow-arrow" />
                </marker>
                <marker id="trace-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" orient="auto">
                    <path d="M0 0 L10 5 L0 10 z" class="trace-arrow" />
                </marker>
            </defs>
            <g class="track-cores" aria-hidden="true">{ for track_cores }</g>
            <g class="health-marks">{ health_marks }</g>
            { rate_labels }
            { flows }
            { trace_path }
            <g class="line-names" aria-hidden="true">{ for line_names }</g>
            <g class="stations">{ for stations }</g>
            <g class="edge-badges" aria-hidden="true">{ for badges }</g>
        </svg>
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct LegendProps {
    pub scenario: Shared<Scenario>,
    pub lang: Lang,
}

/// The key to the map: lines, what each dot shape means, interchanges and instance pips.
#[component]
pub fn Legend(props: &LegendProps) -> Html {
    let lang = props.lang;
    let icon = |content: Html| {
        html! {
            <svg class="legend-icon" viewBox="-8 -8 16 16" aria-hidden="true" focusable="false">{ content }</svg>
        }
    };
    let item = |content: Html, msg: Msg| html! { <li>{ icon(content) }<span>{ tr(lang, msg) }</span></li> };
    html! {
        <div class="map-legend" role="group" aria-label={tr(lang, Msg::Legend)}>
            <ul class="line-key">
                { for props.scenario.0.lines.iter().map(|line| html! {
                    <li key={line.id.0}>
                        <svg class="legend-line" viewBox="0 0 30 10" aria-hidden="true" focusable="false">
                            <path d="M2 5 L28 5" stroke={line_colour(line.style)} class="track-line key" />
                        </svg>
                        <span>{ line.name.in_language(lang.code()) }</span>
                    </li>
                }) }
            </ul>
            <ul class="symbol-key">
                { item(html! { <circle r="4.5" class="dot-request" /> }, Msg::LegendRequest) }
                { item(html! { <rect x="-4.5" y="-4.5" width="9" height="9" class="dot-ok" /> }, Msg::LegendOk) }
                { item(html! { <path d="M-5 -5 L5 5 M5 -5 L-5 5" class="dot-error" /> }, Msg::LegendError) }
                { item(html! { <path d="M0 -5.5 L5.5 4.5 L-5.5 4.5 z" class="dot-rejected" /> }, Msg::LegendRejected) }
                { item(html! { <path d="M0 -6 L6 0 L0 6 L-6 0 z" class="dot-timeout" /> }, Msg::LegendTimeout) }
                { item(html! { <circle r="4.5" class="dot-lost" /> }, Msg::LegendLost) }
                { item(html! { <><circle r="3.6" class="dot-retry" /><circle r="6.5" class="dot-retry" /></> }, Msg::LegendRetry) }
                { item(html! { <><path d="M-7 -2 L7 -2" class="band-ok" /><path d="M-7 2.5 L7 2.5" class="band-error" /></> }, Msg::LegendBand) }
                { item(html! { <><circle r="5" class="dot-short" /><path d="M-3.8 3.8 L3.8 -3.8" class="dot-short" /></> }, Msg::LegendShortCircuited) }
                if !props.scenario.0.sagas().is_empty() {
                    { item(html! { <><path d="M7 0 L-1 0" class="dot-compensation" /><path d="M-1 -4 L-7 0 L-1 4 z" class="dot-compensation-head" /></> }, Msg::LegendCompensation) }
                }
                { item(html! { <><path d="M-7 0 L7 0" class="trace-path-casing legend" /><path d="M-7 0 L7 0" class="trace-path-core legend" /></> }, Msg::LegendTracePath) }
                { item(html! { <circle r="5.5" class="interchange legend" /> }, Msg::LegendInterchange) }
                { item(html! { <><rect x="-6" y="-6" width="12" height="11" rx="1.5" class="pip-frame" /><rect x="-6" y="-6" width="12" height="3" class="pip-cap" />
                               <rect x="-5" y="-2" width="4" height="4" class="pip-cell busy" /><rect x="0" y="-2" width="4" height="4" class="pip-cell" />
                               <rect x="-6" y="6.5" width="12" height="2.5" class="pip-queue" /></> }, Msg::LegendInstance) }
                { item(html! { <><rect x="-4" y="-6" width="8" height="12" rx="2" class="pip-frame down-frame" /><path d="M-2.5 -3.5 L2.5 3.5 M2.5 -3.5 L-2.5 3.5" class="pip-cross" /></> }, Msg::LegendDown) }
            </ul>
            <p class="legend-note">{ tr(lang, Msg::LegendVirtualRates) }</p>
        </div>
    }
}
