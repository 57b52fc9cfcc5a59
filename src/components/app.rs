//! The root component: owns the UI state (one reducer), the player (the engine and its pacing),
//! the animation-frame loop, keyboard shortcuts, persistence and the page-level listeners.

use super::charts::Charts;
use super::compare::Compare;
use super::controls::Controls;
use super::dependencies::Dependencies;
use super::dots::{DrawnDot, draw_dots, nearest_dot};
use super::editor::Editor;
use super::help::Help;
use super::inspector::Inspector;
use super::map::{Legend, Map};
use super::notices::Notices;
use super::sagas::SagaPanel;
use super::side::{SideTabs, tab_id};
use super::timebar::TimeBar;
use super::traces::TracePanel;
use super::{Local, Shared};
use crate::app::browser;
use crate::app::i18n::{Msg, fill, tr};
use crate::app::layout::{LabelFit, MapLayout, MapView};
use crate::app::player::Player;
use crate::app::settings::{StoredOutcome, StoredSession, parse_url, read_stored, starting_state};
use crate::app::state::{Action, AppState, FaultKind, ScenarioSource, SideTab, panels_due};
use crate::charts::{BreakerBand, band_segments};
use crate::engine::ids::{RequestId, ServiceId};
use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{AnimationFrame, request_animation_frame};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, KeyboardEvent, PointerEvent, WheelEvent};
use yew::prelude::*;

/// A map drawn this narrow (CSS px) at its whole-map view writes only its station names.
const PHONE_MAP_PX: i32 = 520;

/// How often the panels, counters and charts refresh (the dots move every frame).
const LIVE_REFRESH_MS: f64 = 100.0;

pub type SharedPlayer = Rc<RefCell<Option<Player>>>;

/// The state a visit starts in: saved session, then URL parameters, with notices for anything bad.
fn initial_state() -> AppState {
    let (url, url_notices) = parse_url(&browser::query_string());
    let raw = browser::load_session();
    let stored = read_stored(raw.as_deref());
    if stored == StoredOutcome::Corrupt
        && let Some(raw) = &raw
    {
        browser::set_aside_session(raw);
    }
    let (mut state, notices) = starting_state(stored, &url, browser::browser_lang());
    for (msg, args) in url_notices.into_iter().chain(notices) {
        state.notify(msg, args);
    }
    state.reduced_motion = browser::prefers_reduced_motion();
    state
}

/// The part of the UI state the animation frames read (the rest reaches them through the player).
#[derive(Clone, Copy)]
struct FrameInputs {
    selected_request: Option<RequestId>,
    selected_trace: Option<RequestId>,
    reduced_motion: bool,
    map_view: MapView,
    label_fit: LabelFit,
}

impl FrameInputs {
    fn of(state: &AppState) -> Self {
        Self {
            selected_request: state.selected_request,
            selected_trace: state.selected_trace,
            reduced_motion: state.reduced_motion,
            map_view: state.map_view,
            label_fit: state.label_fit,
        }
    }
}

/// Everything the animation-frame callback needs, shared between frames.
struct FrameLoop {
    player: SharedPlayer,
    canvas: NodeRef,
    dispatch: UseReducerDispatcher<AppState>,
    /// What the frames read from the UI state, updated at every render.
    inputs: Rc<Cell<FrameInputs>>,
    /// The dots drawn in the last frame, for clicks to pick from.
    drawn_dots: Rc<RefCell<Vec<DrawnDot>>>,
    last_frame_ms: Cell<Option<f64>>,
    last_live_ms: Cell<f64>,
    /// Frames since the last refresh, while a panel has still to catch up with it.
    frames_since_refresh: Cell<Option<u32>>,
    /// What the labels were last placed for: stage size, growth, names only.
    label_probe: Cell<Option<(i32, i32, u64, bool)>>,
    handle: RefCell<Option<AnimationFrame>>,
    running: Cell<bool>,
}

impl FrameLoop {
    fn schedule(self: &Rc<Self>) {
        if !self.running.get() {
            return;
        }
        let this = Rc::clone(self);
        let handle = request_animation_frame(move |timestamp| this.on_frame(timestamp));
        *self.handle.borrow_mut() = Some(handle);
    }

    fn start(self: &Rc<Self>) {
        if !self.running.replace(true) {
            self.last_frame_ms.set(None);
            self.schedule();
        }
    }

    fn stop(&self) {
        self.running.set(false);
        self.handle.borrow_mut().take();
    }

    /// Places the map's labels for the scale it is drawn at (`scale`, CSS px per map unit):
    /// growing them in steps so text stays at least 11 CSS px (shrinking back only well past a
    /// step, so a map does not flicker between two placements), only station names at a
    /// phone's whole-map view, and clear of the controls floating over the map. Measured only
    /// when the stage, the zoom or the growth needed changes.
    fn fit_labels(
        &self,
        canvas: &HtmlCanvasElement,
        player: &Player,
        scale: f64,
        inputs: FrameInputs,
    ) {
        let current = inputs.label_fit;
        let needed = LabelFit::growth_for(scale);
        let growth = if needed > current.growth || needed <= current.growth - 0.25 {
            needed
        } else {
            current.growth
        };
        let (stage_w, stage_h) = (canvas.client_width(), canvas.client_height());
        let names_only = stage_w <= PHONE_MAP_PX && inputs.map_view.zoom <= 1.0;
        let probe = (stage_w, stage_h, growth.to_bits(), names_only);
        if self.label_probe.replace(Some(probe)) == Some(probe) && current.growth == growth {
            return;
        }
        let wanted = if growth <= 1.0 && !names_only {
            LabelFit::NATURAL
        } else {
            let stage = canvas.get_bounding_client_rect();
            let control = |selector: &str| {
                canvas
                    .parent_element()
                    .and_then(|stage| stage.query_selector(selector).ok().flatten())
                    .map(|e| e.get_bounding_client_rect())
                    .map_or((0.0, 0.0, 0.0, 0.0), |r| {
                        (
                            r.left() - stage.left(),
                            r.top() - stage.top(),
                            r.right() - stage.left(),
                            r.bottom() - stage.top(),
                        )
                    })
            };
            let layout = player.layout();
            let (room, covered) = LabelFit::on_screen(
                layout.width,
                layout.height,
                (f64::from(stage_w), f64::from(stage_h)),
                [control(".map-key summary"), control(".map-zoom")],
            );
            LabelFit {
                growth,
                names_only,
                room: Some(room),
                covered,
            }
        };
        if wanted != current {
            self.dispatch.dispatch(Action::FitLabels(wanted));
        }
    }

    /// Lets the panels catch up with the last refresh on their frames (`panels_due`).
    fn catch_up(&self, refreshing: bool) {
        let Some(before) = self.frames_since_refresh.get() else {
            return;
        };
        let (due, next) = panels_due(before, refreshing);
        for panels in due {
            self.dispatch.dispatch(Action::CatchUp(panels));
        }
        self.frames_since_refresh.set(next);
    }

    fn on_frame(self: &Rc<Self>, timestamp: f64) {
        let dt = self
            .last_frame_ms
            .get()
            .map_or(0.0, |last| timestamp - last);
        self.last_frame_ms.set(Some(timestamp));
        let inputs = self.inputs.get();
        let mut refresh = None;
        if let Some(player) = self.player.borrow_mut().as_mut() {
            player.frame(dt);
            if let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() {
                let fit = draw_dots(
                    &canvas,
                    player,
                    inputs.selected_request,
                    inputs.reduced_motion,
                    inputs
                        .map_view
                        .view_box(player.layout().width, player.layout().height),
                    &mut self.drawn_dots.borrow_mut(),
                );
                // Labels never shrink below 11 CSS px: they are placed for the scale the map is
                // drawn at (growing in steps; shrinking back only well past a step, so a map
                // does not flicker between two placements), and only station names are written
                // at a phone's whole-map view.
                if let Some(fit) = fit {
                    self.fit_labels(&canvas, player, fit.scale, inputs);
                }
                // Badges grow from the scale in the stylesheet. (Read back each frame: a
                // re-render may have rewritten the stage's style.)
                if let Some(fit) = fit
                    && let Some(stage) = canvas
                        .parent_element()
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let style = stage.style();
                    let scale = format!("{:.2}", fit.scale);
                    if style.get_property_value("--map-scale").ok().as_deref() != Some(&scale) {
                        let _ = style.set_property("--map-scale", &scale);
                    }
                }
            }
            if timestamp - self.last_live_ms.get() >= LIVE_REFRESH_MS {
                self.last_live_ms.set(timestamp);
                refresh = Some(Rc::new(
                    player.live_view(inputs.selected_request, inputs.selected_trace),
                ));
            }
        }
        self.catch_up(refresh.is_some());
        if let Some(live) = refresh {
            self.dispatch.dispatch(Action::Refresh(live));
            self.frames_since_refresh.set(Some(0));
        }
        self.schedule();
    }
}

/// The breaker band under the charts: the selected service's first breaker, else the scenario's.
fn breaker_band(state: &AppState) -> Option<Rc<BreakerBand>> {
    let live = &state.side_live;
    let edges_with_breakers = live
        .patterns
        .resilience
        .edges
        .iter()
        .filter(|view| view.breaker.is_some());
    let chosen = match state.selected_service {
        Some(service) => edges_with_breakers
            .clone()
            .find(|view| state.scenario.edge(view.edge).from == service)
            .or_else(|| edges_with_breakers.clone().next()),
        None => edges_with_breakers.clone().next(),
    }?;
    let breaker = chosen.breaker?;
    let transitions: Vec<(f64, &'static str, &'static str)> = chosen
        .transitions
        .iter()
        .map(|t| (t.at_us as f64 / 1e6, t.from.key(), t.to.key()))
        .collect();
    let lang = state.lang;
    let word = |key: &'static str| {
        let state = [
            crate::engine::resilience::BreakerState::Closed,
            crate::engine::resilience::BreakerState::Open,
            crate::engine::resilience::BreakerState::HalfOpen,
            crate::engine::resilience::BreakerState::Disabled,
            crate::engine::resilience::BreakerState::ForcedOpen,
            crate::engine::resilience::BreakerState::MetricsOnly,
        ]
        .into_iter()
        .find(|s| s.key() == key)
        .unwrap_or(crate::engine::resilience::BreakerState::Closed);
        super::dependencies::breaker_word(lang, state).to_string()
    };
    Some(Rc::new(BreakerBand {
        title: crate::app::i18n::fill(
            lang,
            Msg::ChartBreaker,
            &[&state.scenario.edge_label(chosen.edge)],
        ),
        segments: band_segments(
            &transitions,
            breaker.state.key(),
            // To the last whole second, like the charts above it (so it changes once a second).
            (live.now_us / 1_000_000) as f64,
            word,
        ),
    }))
}

fn on_key(event: &KeyboardEvent, player: &SharedPlayer, dispatch: &UseReducerDispatcher<AppState>) {
    if event.ctrl_key() || event.meta_key() || event.alt_key() {
        return;
    }
    // Typing in a text field (the seed, the editor) or choosing in a list is not a shortcut;
    // anywhere else — a button, a slider, a station on the map — Space plays and pauses.
    let typing = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| match el.tag_name().as_str() {
            "TEXTAREA" | "SELECT" => true,
            "INPUT" => !matches!(
                el.get_attribute("type").as_deref(),
                Some("range" | "checkbox" | "radio" | "button" | "submit" | "reset" | "file")
            ),
            _ => el.has_attribute("contenteditable"),
        });
    if typing && event.key() != "Escape" {
        return;
    }
    let action = match event.key().as_str() {
        " " | "k" => Some(Action::TogglePlay),
        "." | "n" => Some(Action::StepOnce),
        "+" | "=" | "]" => Some(Action::Faster),
        "-" | "[" => Some(Action::Slower),
        "r" => Some(Action::Restart),
        "s" => Some(Action::Reseed),
        "l" => Some(Action::ToggleLang),
        "e" => Some(Action::ToggleEditor),
        "?" | "h" => Some(Action::ToggleHelp),
        "Escape" => Some(Action::Escape),
        "g" => Some(Action::SelectNextStation),
        "z" => Some(Action::ZoomMap {
            factor: 1.5,
            at: (0.5, 0.5),
        }),
        "Z" => Some(Action::ZoomMap {
            factor: 1.0 / 1.5,
            at: (0.5, 0.5),
        }),
        "0" => Some(Action::FitMap),
        "ArrowLeft" if event.shift_key() => Some(Action::PanMap {
            across: -0.2,
            down: 0.0,
        }),
        "ArrowRight" if event.shift_key() => Some(Action::PanMap {
            across: 0.2,
            down: 0.0,
        }),
        "ArrowUp" if event.shift_key() => Some(Action::PanMap {
            across: 0.0,
            down: -0.2,
        }),
        "ArrowDown" if event.shift_key() => Some(Action::PanMap {
            across: 0.0,
            down: 0.2,
        }),
        "p" => Some(Action::NextScenario),
        "v" => Some(Action::ToggleCompare),
        "t" => Some(Action::ToggleTraces),
        "d" => Some(Action::ShowSideTab {
            tab: SideTab::Circuits,
            focus: true,
        }),
        "a" => Some(Action::ShowSideTab {
            tab: SideTab::Sagas,
            focus: true,
        }),
        "m" => Some(Action::ShowSideTab {
            tab: SideTab::Charts,
            focus: true,
        }),
        "i" => {
            if let Some(input) = gloo::utils::document()
                .get_element_by_id("seed-input")
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = input.focus();
            }
            None
        }
        "j" => {
            let request = player
                .borrow()
                .as_ref()
                .and_then(|p| p.latest_moving_request(p.display_ms()));
            Some(Action::SelectRequest(request))
        }
        "c" => Some(Action::Fault(FaultKind::Crash)),
        "w" => Some(Action::Fault(FaultKind::Slow)),
        "f" => Some(Action::Fault(FaultKind::Fail)),
        "x" => Some(Action::Fault(FaultKind::Heal)),
        _ => return,
    };
    event.prevent_default();
    if let Some(action) = action {
        dispatch.dispatch(action);
    }
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(initial_state);
    let player: SharedPlayer = use_mut_ref(|| None);
    let canvas = use_node_ref();
    let inputs = use_mut_ref(|| Rc::new(Cell::new(FrameInputs::of(&state))));
    let drawn_dots: Rc<RefCell<Vec<DrawnDot>>> = use_mut_ref(Vec::new);
    let intro_open = use_state(|| false);
    // The first visit says where to start, once: dismissed, it does not come back.
    let start_hint = use_state(|| !browser::start_hint_dismissed());
    let dismiss_hint = {
        let start_hint = start_hint.clone();
        Callback::from(move |event: MouseEvent| {
            event.stop_propagation();
            browser::dismiss_start_hint();
            start_hint.set(false);
        })
    };
    // The map's geometry (what the player moves requests along), and the same map with its
    // labels placed for the size it is drawn at (what the map draws).
    let base_layout = {
        let scenario = Arc::clone(&state.scenario);
        use_memo(Arc::as_ptr(&state.scenario) as usize, move |_| {
            MapLayout::new(&scenario)
        })
    };
    let layout = {
        let scenario = Arc::clone(&state.scenario);
        let base = Rc::clone(&base_layout);
        let fit = state.label_fit;
        use_memo((Rc::as_ptr(&base_layout) as usize, fit), move |_| {
            base.with_label_fit(&scenario, fit)
        })
    };
    inputs.borrow().set(FrameInputs::of(&state));

    // A new run: a fresh player for the scenario and seed.
    {
        let player = Rc::clone(&player);
        let scenario = Arc::clone(&state.scenario);
        let layout = Rc::clone(&base_layout);
        let (seed, speed, playing) = (state.seed, state.speed, state.playing);
        let dispatch = state.dispatcher();
        use_effect_with(state.run, move |_| {
            let mut fresh = Player::with_layout(scenario, layout, seed, speed);
            fresh.set_playing(playing);
            let live = Rc::new(fresh.live_view(None, None));
            *player.borrow_mut() = Some(fresh);
            dispatch.dispatch(Action::Live(live));
        });
    }

    // What the user asked of the engine (faults, knobs, a step), carried out in order; the
    // reducer only queues them, so it stays free of effects.
    {
        let player = Rc::clone(&player);
        let dispatch = state.dispatcher();
        let requests = Rc::clone(&state.requests);
        let selections = (state.selected_request, state.selected_trace);
        use_effect_with(requests.last().map(|(id, _)| *id), move |_| {
            let Some(&(through, _)) = requests.last() else {
                return;
            };
            let handled = player.borrow_mut().as_mut().map(|player| {
                let refused = player.handle(&requests);
                (refused, player.live_view(selections.0, selections.1))
            });
            if let Some((refused, live)) = handled {
                dispatch.dispatch(Action::RequestsHandled {
                    through,
                    live: Rc::new(live),
                    refused,
                });
            }
        });
    }

    // A new selection shows at once (not at the next refresh).
    {
        let player = Rc::clone(&player);
        let dispatch = state.dispatcher();
        use_effect_with(
            (state.selected_request, state.selected_trace),
            move |&(request, trace)| {
                let live = player
                    .borrow()
                    .as_ref()
                    .map(|player| player.live_view(request, trace));
                if let Some(live) = live {
                    dispatch.dispatch(Action::Live(Rc::new(live)));
                }
            },
        );
    }

    // Speed and play/pause follow the state.
    {
        let player = Rc::clone(&player);
        use_effect_with(
            (state.speed.to_bits(), state.playing),
            move |&(speed, playing)| {
                if let Some(player) = player.borrow_mut().as_mut() {
                    player.set_speed(f64::from_bits(speed));
                    player.set_playing(playing);
                }
            },
        );
    }

    // The session is saved whenever what it holds changes (outside the reducer).
    {
        let session = StoredSession::of(&state);
        use_effect_with(session, |session| {
            // The speed is clamped, so the session always serialises; nothing is saved if not.
            if let Ok(json) = session.to_json() {
                browser::save_session(&json);
            }
            browser::replace_query(&session.query());
        });
    }

    use_effect_with(state.lang, |&lang| browser::set_document_lang(lang));

    // A station chosen opens its figures and dependency panel in the inspector: focus moves
    // there, and the page scrolls to it only when it is out of view (one column, a phone).
    use_effect_with(state.selected_station, |&station| {
        if station.is_some() {
            browser::focus("inspector");
        }
    });

    // A side panel opened from elsewhere (a shortcut) comes into view with the focus on it.
    use_effect_with(state.side_focus, |&requests| {
        if requests > 0 {
            browser::focus("side-panel");
        }
    });

    // A panel that opens comes into view with the focus on it: the trace panel when it opens,
    // the waterfall when a trace is chosen (once its spans are there to show).
    use_effect_with(state.traces_open, |&open| {
        if open {
            browser::focus("trace-panel");
        }
    });
    {
        let shown = state
            .traces_live
            .selected_trace
            .as_ref()
            .map(|trace| trace.request);
        use_effect_with((state.selected_trace, shown), |&(chosen, shown)| {
            if chosen.is_some() && chosen == shown {
                browser::focus("trace-view");
            }
        });
    }

    // `?selftest=panic`: the crash panel must replace the app, never a blank page.
    use_effect_with(state.selftest_panic, |&selftest| {
        if selftest {
            panic!("self-test: a deliberate crash to show the crash panel");
        }
    });

    // The animation loop runs while the page is visible and stops when it is hidden or closed.
    {
        let frame_loop = Rc::new(FrameLoop {
            player: Rc::clone(&player),
            canvas: canvas.clone(),
            dispatch: state.dispatcher(),
            inputs: Rc::clone(&inputs.borrow()),
            drawn_dots: Rc::clone(&drawn_dots),
            last_frame_ms: Cell::new(None),
            last_live_ms: Cell::new(f64::NEG_INFINITY),
            frames_since_refresh: Cell::new(None),
            label_probe: Cell::new(None),
            handle: RefCell::new(None),
            running: Cell::new(false),
        });
        use_effect_with((), move |_| {
            frame_loop.start();
            let document = gloo::utils::document();
            let visibility = {
                let frame_loop = Rc::clone(&frame_loop);
                let document_for_check = document.clone();
                EventListener::new(&document, "visibilitychange", move |_| {
                    if document_for_check.hidden() {
                        frame_loop.stop();
                    } else {
                        frame_loop.start();
                    }
                })
            };
            move || {
                frame_loop.stop();
                drop(visibility);
            }
        });
    }

    // Keyboard shortcuts and the reduced-motion preference.
    {
        let player = Rc::clone(&player);
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let document = gloo::utils::document();
            let keys = {
                let dispatch = dispatch.clone();
                EventListener::new_with_options(
                    &document,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        if let Some(event) = event.dyn_ref::<KeyboardEvent>() {
                            on_key(event, &player, &dispatch);
                        }
                    },
                )
            };
            let motion = browser::media_query("(prefers-reduced-motion: reduce)").map(|query| {
                let query_for_check = query.clone();
                EventListener::new(&query, "change", move |_| {
                    dispatch.dispatch(Action::SetReducedMotion(query_for_check.matches()));
                })
            });
            move || {
                drop(keys);
                drop(motion);
            }
        });
    }

    // Stable callbacks (the same across renders), so children whose other props did not change
    // are not re-rendered: a re-render would overwrite what the user is typing in a field.
    let dispatch_action = {
        let dispatch = state.dispatcher();
        use_callback((), move |action: Action, _| dispatch.dispatch(action))
    };
    // A click on the map first looks for a moving dot under the pointer.
    let on_map_click = {
        let drawn_dots = Rc::clone(&drawn_dots);
        let canvas = canvas.clone();
        let dispatch = state.dispatcher();
        Callback::from(move |event: MouseEvent| {
            let Some(canvas) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            let rect = canvas.get_bounding_client_rect();
            let (x, y) = (
                f64::from(event.client_x()) - rect.left(),
                f64::from(event.client_y()) - rect.top(),
            );
            if let Some(request) = nearest_dot(&drawn_dots.borrow(), x, y) {
                dispatch.dispatch(Action::SelectRequest(Some(request)));
            }
        })
    };

    // Zoom and pan: buttons, Ctrl/⌘ + wheel (a trackpad's pinch arrives so), a drag when zoomed
    // in, and two fingers pinching on a touch screen.
    let zoom_button = |factor: f64| {
        let dispatch = state.dispatcher();
        Callback::from(move |event: MouseEvent| {
            event.stop_propagation();
            dispatch.dispatch(Action::ZoomMap {
                factor,
                at: (0.5, 0.5),
            });
        })
    };
    let fit_button = {
        let dispatch = state.dispatcher();
        Callback::from(move |event: MouseEvent| {
            event.stop_propagation();
            dispatch.dispatch(Action::FitMap);
        })
    };
    let stage_fraction = browser::fraction_within;
    let on_wheel = {
        let dispatch = state.dispatcher();
        Callback::from(move |event: WheelEvent| {
            if !(event.ctrl_key() || event.meta_key()) {
                return; // a plain wheel scrolls the page
            }
            event.prevent_default();
            let Some(stage) = event
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let at = stage_fraction(
                &stage,
                f64::from(event.client_x()),
                f64::from(event.client_y()),
            );
            let factor = (-event.delta_y() * 0.01).exp().clamp(0.5, 2.0);
            dispatch.dispatch(Action::ZoomMap { factor, at });
        })
    };
    let pointers = use_mut_ref(Vec::<(i32, f64, f64)>::new);
    let on_pointer_down = {
        let pointers = Rc::clone(&pointers);
        Callback::from(move |event: PointerEvent| {
            let mut pointers = pointers.borrow_mut();
            pointers.retain(|p| p.0 != event.pointer_id());
            pointers.push((
                event.pointer_id(),
                f64::from(event.client_x()),
                f64::from(event.client_y()),
            ));
        })
    };
    let on_pointer_move = {
        let pointers = Rc::clone(&pointers);
        let dispatch = state.dispatcher();
        let zoomed = state.map_view.zoom > 1.0;
        Callback::from(move |event: PointerEvent| {
            let mut pointers = pointers.borrow_mut();
            let Some(index) = pointers.iter().position(|p| p.0 == event.pointer_id()) else {
                return;
            };
            let Some(stage) = event
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let rect = stage.get_bounding_client_rect();
            let (x, y) = (f64::from(event.client_x()), f64::from(event.client_y()));
            let before = pointers.clone();
            pointers[index] = (event.pointer_id(), x, y);
            match pointers.len() {
                1 if zoomed => {
                    let (_, px, py) = before[index];
                    dispatch.dispatch(Action::PanMap {
                        across: -(x - px) / rect.width().max(1.0),
                        down: -(y - py) / rect.height().max(1.0),
                    });
                }
                2 => {
                    let spread =
                        |p: &[(i32, f64, f64)]| (p[0].1 - p[1].1).hypot(p[0].2 - p[1].2).max(1.0);
                    let mid = (
                        (pointers[0].1 + pointers[1].1) / 2.0,
                        (pointers[0].2 + pointers[1].2) / 2.0,
                    );
                    let at = stage_fraction(&stage, mid.0, mid.1);
                    dispatch.dispatch(Action::ZoomMap {
                        factor: spread(&pointers) / spread(&before),
                        at,
                    });
                }
                _ => {}
            }
        })
    };
    let on_pointer_up = {
        let pointers = Rc::clone(&pointers);
        Callback::from(move |event: PointerEvent| {
            pointers.borrow_mut().retain(|p| p.0 != event.pointer_id())
        })
    };

    let lang = state.lang;
    let scenario = Shared(Arc::clone(&state.scenario));
    let live = Local(Rc::clone(&state.live));
    let side_live = Local(Rc::clone(&state.side_live));
    let trace_path = state
        .live
        .selected_trace
        .as_ref()
        .map(|t| Rc::new(crate::app::traces::trace_path(t)));
    let side_tab = state.side_tab();
    // Stations whose name or services are left out because the map is drawn too small for
    // them (they return when zoomed in).
    let shortened = layout
        .stations
        .iter()
        .zip(&state.scenario.stations)
        .filter(|(place, station)| {
            !place.label_shown
                || (!place.services_shown
                    && state
                        .scenario
                        .services
                        .iter()
                        .any(|s| s.station == station.id))
        })
        .count();
    let builtin = match &state.source {
        ScenarioSource::Builtin(id) => Some(id.clone()),
        ScenarioSource::Custom(_) => None,
    };
    html! {
        <div class={classes!("app", state.reduced_motion.then_some("reduced-motion"))} lang={lang.code()}>
            <a class="skip-link" href="#lokal-map">{ tr(lang, Msg::SkipToMap) }</a>
            <header class="masthead">
                <div class="brand">
                    <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
                        <path d="M4 24 L12 16 L20 16 L28 8" />
                        <circle cx="12" cy="16" r="3.5" />
                        <circle cx="20" cy="16" r="3.5" />
                    </svg>
                    <div>
                        <h1>{ tr(lang, Msg::AppName) }</h1>
                        <p class="tagline">{ tr(lang, Msg::Tagline) }</p>
                    </div>
                </div>
                <Controls lang={lang} scenario={scenario.clone()} builtin={builtin} seed={state.seed} speed={state.speed}
                          playing={state.playing} editor_open={state.editor_open} traces_open={state.traces_open}
                          help_open={state.help_open} live={live.clone()} on_action={dispatch_action.clone()} />
            </header>
            <Notices lang={lang} notices={state.notices.clone()} on_action={dispatch_action.clone()} />
            <main class="workspace">
                <section class="map-panel" id="lokal-map" tabindex="-1" aria-label={tr(lang, Msg::MapLabel)}>
                    <div class="scenario-intro">
                        <h2>{ state.scenario.title.in_language(lang.code()) }</h2>
                        // On a small screen the description folds to two lines; this unfolds it.
                        <button class="intro-toggle" aria-expanded={(*intro_open).to_string()} aria-controls="scenario-description"
                                onclick={{ let intro_open = intro_open.clone(); move |_: MouseEvent| intro_open.set(!*intro_open) }}>
                            { tr(lang, if *intro_open { Msg::Less } else { Msg::More }) }
                        </button>
                        <p id="scenario-description" class={classes!((!*intro_open).then_some("folded"))}>{ state.scenario.description.in_language(lang.code()) }</p>
                    </div>
                    // The stage takes the map's own proportions, so the legend and the trace panel
                    // sit right under the drawing instead of below an empty band.
                    <div class={classes!("map-stage", (state.map_view.zoom > 1.0).then_some("zoomed"))} onclick={on_map_click}
                         onwheel={on_wheel} onpointerdown={on_pointer_down} onpointermove={on_pointer_move}
                         onpointerup={on_pointer_up.clone()} onpointercancel={on_pointer_up.clone()} onpointerleave={on_pointer_up}
                         style={format!("aspect-ratio: {:.0} / {:.0}", layout.width.max(1.0), layout.height.max(1.0))}>
                        <Map
                            scenario={scenario.clone()}
                            layout={Local(Rc::clone(&layout))}
                            lang={lang}
                            live={live.clone()}
                            selected_station={state.selected_station}
                            trace_path={trace_path}
                            reduced_motion={state.reduced_motion}
                            view={state.map_view}
                            on_action={dispatch_action.clone()}
                        />
                        <canvas ref={canvas} class="dots" aria-hidden="true"></canvas>

                        // The key, on the map at every size (the full legend is also under it).
                        <details class="map-key" onpointerdown={Callback::from(|e: PointerEvent| e.stop_propagation())}
                                 onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                            <summary>{ tr(lang, Msg::Legend) }</summary>
                            <Legend scenario={scenario.clone()} lang={lang} />
                        </details>
                        <div class="map-zoom" role="group" aria-label={tr(lang, Msg::MapZoom)}>
                            <button onclick={zoom_button(1.5)} aria-label={tr(lang, Msg::ZoomIn)} title={format!("{} (Z)", tr(lang, Msg::ZoomIn))}><span aria-hidden="true">{ "+" }</span></button>
                            <button onclick={zoom_button(1.0 / 1.5)} disabled={state.map_view.zoom <= 1.0} aria-label={tr(lang, Msg::ZoomOut)} title={format!("{} (Shift+Z)", tr(lang, Msg::ZoomOut))}><span aria-hidden="true">{ "−" }</span></button>
                            <button onclick={fit_button} disabled={state.map_view == MapView::FIT} data-testid="fit-map" title={format!("{} (0)", tr(lang, Msg::FitMap))}>{ tr(lang, Msg::FitMap) }</button>
                        </div>
                    </div>
                    if shortened > 0 {
                        <p class="names-hidden" role="note" data-testid="names-hidden">
                            { fill(lang, Msg::NamesHidden, &[&shortened.to_string()]) }
                        </p>
                    }
                    <TimeBar lang={lang} scenario={scenario.clone()} now_us={state.live.now_us} on_action={dispatch_action.clone()} />
                    // Under the bar it talks about, not over the map.
                    if *start_hint {
                        <div class="start-hint" role="note" data-testid="start-hint">
                            <p>{ tr(lang, Msg::StartHint) }</p>
                            <button onclick={dismiss_hint}>{ tr(lang, Msg::GotIt) }</button>
                        </div>
                    }
                    <Legend scenario={scenario.clone()} lang={lang} />
                    if state.traces_open {
                        <TracePanel lang={lang} scenario={scenario.clone()} seed={state.seed} live={Local(Rc::clone(&state.traces_live))} list={Local(Rc::clone(&state.trace_list_live))}
                                    selected_trace={state.selected_trace} selected_span={state.selected_span}
                                    filter={state.trace_filter} show_critical_path={state.show_critical_path}
                                    on_action={dispatch_action.clone()} />
                    }
                </section>
                <aside class="side-panel">
                    <SideTabs lang={lang} tabs={state.side_tabs()} shown={side_tab} on_action={dispatch_action.clone()} />
                    // Only the panel shown is built: a hidden one costs nothing per frame.
                    <div class="side-body" role="tabpanel" id="side-panel" tabindex="-1" aria-labelledby={tab_id(side_tab)}
                         data-testid="side-panel" data-tab={side_tab.key()}>
                        { match side_tab {
                            SideTab::Station => html! {
                                <Inspector lang={lang} scenario={scenario.clone()} seed={state.seed} live={side_live.clone()}
                                           selected_station={state.selected_station} selected_service={state.selected_service}
                                           selected_request={state.selected_request} on_action={dispatch_action.clone()} />
                            },
                            SideTab::Circuits => html! {
                                <Dependencies lang={lang} scenario={scenario.clone()} live={side_live.clone()} service={None::<ServiceId>}
                                              on_action={dispatch_action.clone()} />
                            },
                            SideTab::Sagas => html! {
                                <SagaPanel lang={lang} scenario={scenario.clone()} live={side_live.clone()} on_action={dispatch_action.clone()} />
                            },
                            SideTab::Charts => html! {
                                <Charts lang={lang} series={Rc::new(state.side_live.series.clone())} band={breaker_band(&state)}
                                        arrivals_end_s={Some(state.scenario.duration.as_secs_f64())} />
                            },
                        } }
                    </div>
                </aside>
            </main>
            if state.editor_open {
                <Editor lang={lang} source={state.source.clone()} problems={Rc::new(state.problems.clone())} on_action={dispatch_action.clone()} />
            }
            if state.help_open {
                <Help lang={lang} on_action={dispatch_action.clone()} />
            }
            if state.compare_open {
                <Compare lang={lang} scenario={scenario.clone()} seed={state.seed} on_action={dispatch_action} />
            }
            <footer class="footer">
                <p>{ tr(lang, Msg::About) }</p>
                <p class="palette-note">{ tr(lang, Msg::PaletteNote) }</p>
            </footer>
        </div>
    }
}
