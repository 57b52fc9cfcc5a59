//! The root component: owns the UI state (one reducer), the player (the engine and its pacing),
//! the animation-frame loop, keyboard shortcuts, persistence and the page-level listeners.

use super::charts::Charts;
use super::compare::Compare;
use super::controls::Controls;
use super::dots::{draw_dots, nearest_dot};
use super::editor::Editor;
use super::help::Help;
use super::inspector::Inspector;
use super::map::{Legend, Map};
use super::notices::Notices;
use super::sagas::SagaPanel;
use super::traces::TracePanel;
use super::{Local, Shared, StateRef};
use crate::app::browser;
use crate::app::i18n::{Msg, tr};
use crate::app::layout::MapLayout;
use crate::app::player::Player;
use crate::app::settings::{StoredOutcome, StoredSession, parse_url, read_stored, starting_state};
use crate::app::state::{Action, AppState};
use crate::charts::{BreakerBand, band_segments};
use crate::engine::Command;
use crate::engine::ids::EdgeId;
use crate::engine::resilience::PolicyChange;
use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{AnimationFrame, request_animation_frame};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, KeyboardEvent};
use yew::prelude::*;

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

/// Everything the animation-frame callback needs, shared between frames.
struct FrameLoop {
    player: SharedPlayer,
    canvas: NodeRef,
    dispatch: UseReducerDispatcher<AppState>,
    latest: Rc<RefCell<Rc<AppState>>>,
    last_frame_ms: Cell<Option<f64>>,
    last_live_ms: Cell<f64>,
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

    fn on_frame(self: &Rc<Self>, timestamp: f64) {
        let dt = self
            .last_frame_ms
            .get()
            .map_or(0.0, |last| timestamp - last);
        self.last_frame_ms.set(Some(timestamp));
        let state = Rc::clone(&self.latest.borrow());
        let mut refresh = None;
        if let Some(player) = self.player.borrow_mut().as_mut() {
            player.frame(dt);
            if let Some(canvas) = self.canvas.cast::<HtmlCanvasElement>() {
                draw_dots(
                    &canvas,
                    player,
                    state.selected_request,
                    state.reduced_motion,
                );
            }
            if timestamp - self.last_live_ms.get() >= LIVE_REFRESH_MS {
                self.last_live_ms.set(timestamp);
                refresh = Some(Rc::new(player.live_view()));
            }
        }
        if let Some(live) = refresh {
            self.dispatch.dispatch(Action::Live(live));
        }
        self.schedule();
    }
}

/// The breaker band under the charts: the selected service's first breaker, else the scenario's.
fn breaker_band(state: &AppState) -> Option<Rc<BreakerBand>> {
    let live = &state.live;
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
            live.now_us as f64 / 1e6,
            word,
        ),
    }))
}

/// Applies a fault command from the toolbar or a shortcut to the selected service.
pub fn apply_fault(
    player: &SharedPlayer,
    dispatch: &UseReducerDispatcher<AppState>,
    command: Command,
) {
    let result = match player.borrow_mut().as_mut() {
        Some(player) => player.apply(command).map(|_| player.live_view()),
        None => return,
    };
    match result {
        Ok(live) => dispatch.dispatch(Action::Live(Rc::new(live))),
        Err(error) => dispatch.dispatch(Action::Notify(
            Msg::NoticeBadParam,
            vec!["fault".into(), String::new(), error.0],
        )),
    }
}

/// The fault a shortcut or button means for the selected service, if one is selected.
pub fn fault_for(state: &AppState, kind: FaultKind) -> Option<Command> {
    let service = state.selected_service?;
    Some(match kind {
        FaultKind::Crash => {
            let up = state
                .live
                .instances
                .iter()
                .filter(|i| i.service == service && i.up)
                .map(|i| i.ordinal)
                .next();
            Command::Crash {
                service,
                instance: up.unwrap_or(0),
                duration: None,
            }
        }
        FaultKind::Slow => Command::Slow {
            service,
            instance: None,
            factor: 5.0,
            duration: Some(crate::engine::SimDuration::from_secs(30)),
        },
        FaultKind::Fail => Command::Errors {
            service,
            instance: None,
            probability: 0.5,
            duration: Some(crate::engine::SimDuration::from_secs(30)),
        },
        FaultKind::Heal => Command::Heal,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    Crash,
    Slow,
    Fail,
    Heal,
}

/// Steps the paused engine to its next event and refreshes the panels.
pub fn step_once(player: &SharedPlayer, dispatch: &UseReducerDispatcher<AppState>) {
    let live = match player.borrow_mut().as_mut() {
        Some(player) => {
            player.step_one();
            player.live_view()
        }
        None => return,
    };
    dispatch.dispatch(Action::SetPlaying(false));
    dispatch.dispatch(Action::Live(Rc::new(live)));
}

fn on_key(
    event: &KeyboardEvent,
    state: &AppState,
    player: &SharedPlayer,
    dispatch: &UseReducerDispatcher<AppState>,
) {
    if event.ctrl_key() || event.meta_key() || event.alt_key() {
        return;
    }
    // Typing in a field (the seed, the editor) is not a shortcut.
    let typing = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if typing && event.key() != "Escape" {
        return;
    }
    let action = match event.key().as_str() {
        " " | "k" => Some(Action::TogglePlay),
        "." | "n" => {
            step_once(player, dispatch);
            None
        }
        "+" | "=" | "]" => Some(Action::Faster),
        "-" | "[" => Some(Action::Slower),
        "r" => Some(Action::Restart),
        "s" => Some(Action::Reseed),
        "l" => Some(Action::ToggleLang),
        "e" => Some(Action::ToggleEditor),
        "?" | "h" => Some(Action::ToggleHelp),
        "Escape" => Some(Action::Escape),
        "g" => Some(Action::SelectNextStation),
        "p" => Some(Action::NextScenario),
        "v" => Some(Action::ToggleCompare),
        "t" => Some(Action::ToggleTraces),
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
        "c" | "w" | "f" | "x" => {
            let kind = match event.key().as_str() {
                "c" => FaultKind::Crash,
                "w" => FaultKind::Slow,
                "f" => FaultKind::Fail,
                _ => FaultKind::Heal,
            };
            if let Some(command) = fault_for(state, kind) {
                apply_fault(player, dispatch, command);
            }
            None
        }
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
    let latest = use_mut_ref(|| Rc::new(AppState::initial(state.lang)));
    let state_rc = Rc::new((*state).clone());
    *latest.borrow_mut() = Rc::clone(&state_rc);

    let layout = {
        let scenario = Arc::clone(&state.scenario);
        use_memo(Arc::as_ptr(&state.scenario) as usize, move |_| {
            MapLayout::new(&scenario)
        })
    };

    // A new run: a fresh player for the scenario and seed.
    {
        let player = Rc::clone(&player);
        let scenario = Arc::clone(&state.scenario);
        let layout = Rc::clone(&layout);
        let (seed, speed, playing) = (state.seed, state.speed, state.playing);
        let dispatch = state.dispatcher();
        use_effect_with(state.run, move |_| {
            let mut fresh = Player::with_layout(scenario, layout, seed, speed);
            fresh.set_playing(playing);
            let live = Rc::new(fresh.live_view());
            *player.borrow_mut() = Some(fresh);
            dispatch.dispatch(Action::Live(live));
        });
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
        });
    }

    use_effect_with(state.lang, |&lang| browser::set_document_lang(lang));

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
            latest: Rc::clone(&latest),
            last_frame_ms: Cell::new(None),
            last_live_ms: Cell::new(f64::NEG_INFINITY),
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
        let latest = Rc::clone(&latest);
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
                            let state = Rc::clone(&latest.borrow());
                            on_key(event, &state, &player, &dispatch);
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
    let on_fault = {
        let player = Rc::clone(&player);
        let dispatch = state.dispatcher();
        let latest = Rc::clone(&latest);
        Callback::from(move |kind: FaultKind| {
            let state = Rc::clone(&latest.borrow());
            if let Some(command) = fault_for(&state, kind) {
                apply_fault(&player, &dispatch, command);
            }
        })
    };
    let on_policy = {
        let player = Rc::clone(&player);
        let dispatch = state.dispatcher();
        use_callback((), move |(edge, change): (EdgeId, PolicyChange), _| {
            let command = crate::engine::resilience::Command::set_policy(edge, change);
            apply_fault(&player, &dispatch, command);
        })
    };
    let on_step = {
        let player = Rc::clone(&player);
        let dispatch = state.dispatcher();
        Callback::from(move |_| step_once(&player, &dispatch))
    };
    // A click on the map first looks for a moving dot under the pointer.
    let on_map_click = {
        let player = Rc::clone(&player);
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
            if let Some(player) = player.borrow().as_ref()
                && let Some(request) = nearest_dot(&canvas, player, x, y)
            {
                dispatch.dispatch(Action::SelectRequest(Some(request)));
            }
        })
    };

    let lang = state.lang;
    let trace = state.selected_request.and_then(|request| {
        player
            .borrow()
            .as_ref()
            .and_then(|p| p.followed(request).cloned())
    });
    // The trace panel's trace: kept, or still in flight (then re-read at every refresh).
    let span_trace = state.selected_trace.and_then(|request| {
        player
            .borrow()
            .as_ref()
            .and_then(|p| p.engine().trace_of(request))
    });
    let trace_path = span_trace
        .as_ref()
        .map(|t| Rc::new(crate::app::traces::trace_path(t)));
    html! {
        <div class={classes!("app", state.reduced_motion.then_some("reduced-motion"))} lang={lang.code()}>
            <a class="skip-link" href="#lokal-controls">{ tr(lang, Msg::Scenario) }</a>
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
                <Controls state={StateRef(Rc::clone(&state_rc))} on_action={dispatch_action.clone()} on_step={on_step} />
            </header>
            <Notices lang={lang} notices={state.notices.clone()} on_action={dispatch_action.clone()} />
            <main class="workspace">
                <section class="map-panel" aria-label={tr(lang, Msg::MapLabel)}>
                    <div class="scenario-intro">
                        <h2>{ state.scenario.title.in_language(lang.code()) }</h2>
                        <p>{ state.scenario.description.in_language(lang.code()) }</p>
                    </div>
                    // The stage takes the map's own proportions, so the legend and the trace panel
                    // sit right under the drawing instead of below an empty band.
                    <div class="map-stage" onclick={on_map_click}
                         style={format!("aspect-ratio: {:.0} / {:.0}", layout.width.max(1.0), layout.height.max(1.0))}>
                        <Map
                            scenario={Shared(Arc::clone(&state.scenario))}
                            layout={Local(Rc::clone(&layout))}
                            lang={lang}
                            live={Local(Rc::clone(&state.live))}
                            selected_station={state.selected_station}
                            trace_path={trace_path}
                            reduced_motion={state.reduced_motion}
                            on_action={dispatch_action.clone()}
                        />
                        <canvas ref={canvas} class="dots" aria-hidden="true"></canvas>
                    </div>
                    <Legend scenario={Shared(Arc::clone(&state.scenario))} lang={lang} />
                    if state.traces_open {
                        <TracePanel state={StateRef(Rc::clone(&state_rc))} trace={span_trace.clone().map(Shared)} on_action={dispatch_action.clone()} />
                    }
                </section>
                <aside class="side-panel">
                    <Inspector state={StateRef(Rc::clone(&state_rc))} trace={trace} on_action={dispatch_action.clone()} on_fault={on_fault} on_policy={on_policy} />
                    <SagaPanel state={StateRef(Rc::clone(&state_rc))} on_action={dispatch_action.clone()} />
                    <Charts lang={lang} series={Rc::new(state.live.series.clone())} band={breaker_band(&state_rc)} />
                </aside>
            </main>
            if state.editor_open {
                <Editor state={StateRef(Rc::clone(&state_rc))} on_action={dispatch_action.clone()} />
            }
            if state.help_open {
                <Help lang={lang} on_action={dispatch_action.clone()} />
            }
            if state.compare_open {
                <Compare state={StateRef(Rc::clone(&state_rc))} on_action={dispatch_action} />
            }
            <footer class="footer">
                <p>{ tr(lang, Msg::About) }</p>
                <p class="palette-note">{ tr(lang, Msg::PaletteNote) }</p>
            </footer>
        </div>
    }
}
