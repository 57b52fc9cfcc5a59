//! The UI state and its reducer. `reduce` is pure: no I/O, no clock, no randomness (a new seed is
//! derived from the old one), so it is unit-tested natively. Persistence and the animation loop
//! react to state changes in effects, outside the reducer.

use super::editor::file_sets_seed;
use super::i18n::{Lang, Msg};
use super::layout::{LabelFit, MapView};
use super::player::FollowedRequest;
use super::traces::TraceFilter;
use crate::engine::SimTime;
use crate::engine::builtin::load_builtin;
use crate::engine::ids::{EdgeId, RequestId, ServiceId, StationId};
use crate::engine::metrics::{Counters, SecondPoint};
use crate::engine::resilience::PolicyChange;
use crate::engine::rng::splitmix64;
use crate::engine::snapshot::{FaultView, InstanceView, ServiceView};
use crate::engine::traces::{Trace, TraceCounters};
use crate::engine::{
    Command, PatternViews, Problem, RecordedCommand, Scenario, SimDuration, parse_scenario,
};
use std::rc::Rc;
use std::sync::Arc;
use yew::Reducible;

/// The speeds the faster/slower controls step through.
pub const SPEEDS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0];
/// The scenario a first visit opens.
pub const DEFAULT_SCENARIO: &str = "flipkart";
/// The built-in scenarios in the order a learner meets them; any others follow.
pub const PICKER_ORDER: [&str; 7] = [
    "flipkart",
    "irctc-tatkal",
    "paytm-saga",
    "paytm-choreography",
    "tail-at-scale",
    "mm1",
    "mmc",
];

/// Built-in ids with their titles.
pub type PickerEntries = Rc<Vec<(&'static str, crate::engine::scenario::Text)>>;

/// The picker's entries: each built-in's id and title, in picker order. Parsed once per page
/// (the toolbar re-renders ten times a second; parsing every scenario each time would show).
pub fn picker_entries() -> PickerEntries {
    thread_local! {
        static ENTRIES: std::cell::RefCell<Option<PickerEntries>> =
            const { std::cell::RefCell::new(None) };
    }
    ENTRIES.with(|cell| {
        Rc::clone(cell.borrow_mut().get_or_insert_with(|| {
            Rc::new(
                picker_ids()
                    .into_iter()
                    .map(|id| {
                        let title = load_builtin(id)
                            .and_then(Result::ok)
                            .map(|s| s.title)
                            .unwrap_or_else(|| crate::engine::scenario::Text::english(id));
                        (id, title)
                    })
                    .collect(),
            )
        }))
    })
}

/// The picker's scenarios, in order.
pub fn picker_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = PICKER_ORDER
        .iter()
        .copied()
        .filter(|id| crate::engine::builtin::builtin_ids().any(|b| b == *id))
        .collect();
    ids.extend(crate::engine::builtin::builtin_ids().filter(|id| !PICKER_ORDER.contains(id)));
    ids
}

/// Seeds offered by "new seed" stay short enough to read aloud.
const SEED_MODULUS: u64 = 1_000_000;

#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioSource {
    Builtin(String),
    Custom(Rc<str>),
}

/// A message for the user, kept as catalogue key + arguments so it follows a language switch.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub id: u64,
    pub msg: Msg,
    pub args: Vec<String>,
    /// Notices about the same thing replace each other instead of stacking.
    pub topic: Option<NoticeTopic>,
}

/// What a notice is about, when a newer one on it makes the older one moot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeTopic {
    /// Loading the user's scenario: its problems, or that it loaded.
    ScenarioLoad,
}

/// What the panels show, refreshed from the engine about ten times a second.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveView {
    pub now_us: u64,
    pub counters: Counters,
    pub last_second: Option<SecondPoint>,
    pub instances: Vec<InstanceView>,
    pub services: Vec<ServiceView>,
    pub active_faults: Vec<FaultView>,
    pub series: Vec<SecondPoint>,
    pub flows: Vec<(StationId, StationId, f64)>,
    /// Answers per virtual second between stations and how many carry a failure.
    pub answer_health: Vec<(StationId, StationId, f64, f64)>,
    /// Every pattern's view: resilience's edges, policies, rolling counts, sparklines,
    /// latencies and limiters; the saga's runs and totals.
    pub patterns: PatternViews,
    /// Every command applied at run time so far, with its virtual time (shared with the engine,
    /// not copied).
    pub commands: Arc<Vec<RecordedCommand>>,
    /// The trace the trace panel shows (kept, or still in flight: what it has so far).
    pub selected_trace: Option<Arc<Trace>>,
    /// The request the inspector follows: its entry endpoint and outcome.
    pub followed: Option<FollowedRequest>,
    /// The trace store: every retained trace, in completion order, and its totals.
    pub traces: Rc<Vec<Arc<Trace>>>,
    pub trace_counters: TraceCounters,
    pub open_traces: usize,
    pub behind: bool,
    pub finished: bool,
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub lang: Lang,
    pub source: ScenarioSource,
    pub scenario: Arc<Scenario>,
    pub seed: u64,
    pub speed: f64,
    pub playing: bool,
    /// Bumped whenever the run must start over (new scenario, seed or restart).
    pub run: u64,
    pub selected_station: Option<StationId>,
    pub selected_service: Option<ServiceId>,
    pub selected_request: Option<RequestId>,
    /// What the map, the header and the time bar show.
    pub live: Rc<LiveView>,
    /// The side panel's, the trace panel's and the trace list's copies of `live`. After the
    /// animation loop's refresh they catch up with it a few frames later, each on a frame of
    /// its own (`Action::CatchUp`), so that no one frame re-renders the map and the panels: at
    /// 5× with both panels open that frame took about 25 ms, over a 60 Hz frame's 16.7 ms.
    pub side_live: Rc<LiveView>,
    pub traces_live: Rc<LiveView>,
    pub trace_list_live: Rc<LiveView>,
    pub notices: Vec<Notice>,
    next_notice: u64,
    /// Problems of the last scenario the user tried to load.
    pub problems: Vec<Problem>,
    pub editor_open: bool,
    pub help_open: bool,
    pub compare_open: bool,
    /// The trace panel: open, which request's trace it shows, which span is selected.
    pub traces_open: bool,
    pub selected_trace: Option<RequestId>,
    pub selected_span: Option<usize>,
    pub trace_filter: TraceFilter,
    pub show_critical_path: bool,
    /// The side panel's tab the learner chose, if any (`side_tab` says which one is shown).
    side_tab: Option<SideTab>,
    /// Bumped when a panel is opened from elsewhere (a shortcut, a station, a link), so that
    /// the panel comes into view with the focus on it; clicking a tab itself leaves the focus
    /// on the tab, as tabs do.
    pub side_focus: u64,
    pub reduced_motion: bool,
    /// The part of the map on screen (zoom and pan); the whole map for a new scenario.
    pub map_view: MapView,
    /// How the map's labels are placed for the size it is drawn at (measured by the frames).
    pub label_fit: LabelFit,
    /// Crash on purpose once mounted (`?selftest=panic`), to show the crash panel.
    pub selftest_panic: bool,
    /// What the user asked of the running engine, in order, not yet carried out: an effect
    /// applies them to the player and answers with `Action::RequestsHandled`.
    pub requests: Rc<Vec<(u64, PlayerRequest)>>,
    next_request: u64,
}

/// The panels that catch up with a refresh on frames of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panels {
    /// The side panel (station, circuits, sagas, charts).
    Side,
    /// The trace panel under the map: its figures, scatter and waterfall.
    Traces,
    /// The trace panel's list of traces.
    TraceList,
}

/// The frames after a refresh on which the side panel, the trace panel and its list catch up
/// with it (a refresh comes every sixth frame at 60 Hz, so each has a frame of its own).
pub const CATCH_UP_FRAMES: [(u32, Panels); 3] = [
    (2, Panels::Side),
    (3, Panels::Traces),
    (5, Panels::TraceList),
];

/// The panels due to catch up on the frame after frame `before` (counted from the last
/// refresh), and the count to keep (none once all caught up). When a new refresh comes first
/// (frames slower than 60 Hz) every panel still behind catches up now.
pub fn panels_due(before: u32, refreshing: bool) -> (Vec<Panels>, Option<u32>) {
    let last = CATCH_UP_FRAMES[CATCH_UP_FRAMES.len() - 1].0;
    let frame = if refreshing { last } else { before + 1 };
    let due = CATCH_UP_FRAMES
        .iter()
        .filter(|(at, _)| before < *at && *at <= frame)
        .map(|(_, panels)| *panels)
        .collect();
    (due, (frame < last).then_some(frame))
}

/// The side panel's tabs: one panel at a time beside (or, on a narrow screen, under) the map,
/// so that an embed or a phone shows the map first and a panel without a long scroll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideTab {
    /// The selected station: its services, faults and circuits.
    Station,
    /// Every circuit of the scenario, as a Hystrix-style grid.
    Circuits,
    /// The scenario's sagas (only when it has any).
    Sagas,
    /// The run's charts.
    Charts,
}

impl SideTab {
    /// A stable key for ids and tests.
    pub fn key(self) -> &'static str {
        match self {
            SideTab::Station => "station",
            SideTab::Circuits => "circuits",
            SideTab::Sagas => "sagas",
            SideTab::Charts => "charts",
        }
    }
}

/// Something the user asks of the running engine.
#[derive(Clone, Debug, PartialEq)]
pub enum PlayerRequest {
    /// Apply a command now (a fault, a heal, a knob); it is recorded in the command log.
    Apply(Command),
    /// Process exactly one event (single-stepping while paused).
    Step,
    /// Run ahead at once to this virtual time (the time bar's "jump to"; forward only until
    /// time travel exists).
    JumpTo(SimTime),
}

/// The faults the toolbar and the shortcuts offer for the selected service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    Crash,
    Slow,
    Fail,
    Heal,
}

/// The command a fault button or shortcut means for the selected service, if one is selected.
pub fn fault_for(state: &AppState, kind: FaultKind) -> Option<Command> {
    if kind == FaultKind::Heal {
        return Some(Command::Heal);
    }
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
            duration: Some(SimDuration::from_secs(30)),
        },
        FaultKind::Fail => Command::Errors {
            service,
            instance: None,
            probability: 0.5,
            duration: Some(SimDuration::from_secs(30)),
        },
        FaultKind::Heal => Command::Heal,
    })
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    ToggleLang,
    SetLang(Lang),
    ChooseBuiltin(String),
    /// The next built-in scenario in the picker (the first after a custom one).
    NextScenario,
    /// Validate and, if valid, run this TOML.
    ApplyCustom(String),
    SetSeed(u64),
    Reseed,
    SetSpeed(f64),
    Faster,
    Slower,
    TogglePlay,
    SetPlaying(bool),
    Restart,
    SelectStation(Option<StationId>),
    SelectNextStation,
    SelectService(ServiceId),
    /// Follow a moving request: select it and open its trace.
    SelectRequest(Option<RequestId>),
    ToggleTraces,
    /// Show this request's trace in the trace panel (opening it).
    SelectTrace(Option<RequestId>),
    SelectSpan(Option<usize>),
    SetTraceFilter(TraceFilter),
    ToggleCriticalPath,
    /// Show a side panel's tab; `focus` brings the panel into view with the focus on it.
    ShowSideTab {
        tab: SideTab,
        focus: bool,
    },
    /// A fresh view shown everywhere at once: after the user's action, or a new run.
    Live(Rc<LiveView>),
    /// The animation loop's periodic view: the map and the header take it now, the panels
    /// when they catch up.
    Refresh(Rc<LiveView>),
    /// These panels show what the map shows.
    CatchUp(Panels),
    Notify(Msg, Vec<String>),
    Dismiss(u64),
    ToggleHelp,
    ToggleEditor,
    ToggleCompare,
    /// Escape: close overlays first, then clear the selection.
    Escape,
    SetReducedMotion(bool),
    /// Zoom the map by a factor, keeping the point at `at` (fractions of the view) in place.
    ZoomMap {
        factor: f64,
        at: (f64, f64),
    },
    /// Move the zoomed map by a share of the view.
    PanMap {
        across: f64,
        down: f64,
    },
    /// Show the whole map.
    FitMap,
    /// Place the map's labels for the size it is drawn at.
    FitLabels(LabelFit),
    /// Run ahead to a scripted moment (virtual µs).
    JumpTo(u64),
    /// A fault button or shortcut for the selected service.
    Fault(FaultKind),
    /// A live knob on an edge's policies.
    SetPolicy(EdgeId, PolicyChange),
    /// Process one event and pause.
    StepOnce,
    /// The player carried out every request up to `through`; what it shows now, and what it
    /// refused (each a message).
    RequestsHandled {
        through: u64,
        live: Rc<LiveView>,
        refused: Vec<String>,
    },
}

/// Clamps a speed into the supported range; NaN becomes 1×.
pub fn clamp_speed(speed: f64) -> f64 {
    if speed.is_nan() {
        1.0
    } else {
        speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1])
    }
}

impl AppState {
    /// The state for `scenario` loaded from `source`.
    pub fn new(
        source: ScenarioSource,
        scenario: Arc<Scenario>,
        seed: u64,
        speed: f64,
        lang: Lang,
    ) -> AppState {
        let selected_station = None;
        AppState {
            lang,
            source,
            scenario,
            seed,
            speed: clamp_speed(speed),
            playing: false,
            run: 0,
            selected_station,
            selected_service: None,
            selected_request: None,
            live: Rc::new(LiveView::default()),
            side_live: Rc::new(LiveView::default()),
            traces_live: Rc::new(LiveView::default()),
            trace_list_live: Rc::new(LiveView::default()),
            notices: Vec::new(),
            next_notice: 1,
            problems: Vec::new(),
            editor_open: false,
            help_open: false,
            compare_open: false,
            traces_open: false,
            selected_trace: None,
            selected_span: None,
            trace_filter: TraceFilter::default(),
            show_critical_path: true,
            side_tab: None,
            side_focus: 0,
            reduced_motion: false,
            map_view: MapView::FIT,
            label_fit: LabelFit::NATURAL,
            selftest_panic: false,
            requests: Rc::new(Vec::new()),
            next_request: 1,
        }
    }

    /// Queues a request for the player (carried out by an effect, in order).
    fn request(&mut self, request: PlayerRequest) {
        let id = self.next_request;
        self.next_request += 1;
        Rc::make_mut(&mut self.requests).push((id, request));
    }

    /// The state a first visit starts in.
    pub fn initial(lang: Lang) -> AppState {
        let scenario = match load_builtin(DEFAULT_SCENARIO) {
            Some(Ok(scenario)) => scenario,
            // The built-ins are checked by tests; this branch only guards against a broken build.
            _ => match crate::engine::builtin::builtin_ids()
                .find_map(|id| load_builtin(id).and_then(Result::ok))
            {
                Some(scenario) => scenario,
                None => unreachable_scenario(),
            },
        };
        let seed = scenario.seed;
        AppState::new(
            ScenarioSource::Builtin(scenario.id.clone()),
            Arc::new(scenario),
            seed,
            1.0,
            lang,
        )
    }

    pub fn notify(&mut self, msg: Msg, args: Vec<String>) {
        let id = self.next_notice;
        self.next_notice += 1;
        self.notices.push(Notice {
            id,
            msg,
            args,
            topic: None,
        });
        // Keep the list short: the oldest notices go first.
        if self.notices.len() > 5 {
            self.notices.remove(0);
        }
    }

    /// A notice that replaces any earlier one on the same topic.
    pub fn notify_about(&mut self, topic: NoticeTopic, msg: Msg, args: Vec<String>) {
        self.notices.retain(|notice| notice.topic != Some(topic));
        self.notify(msg, args);
        if let Some(last) = self.notices.last_mut() {
            last.topic = Some(topic);
        }
    }

    /// The run has ended: the engine has nothing left to simulate.
    /// The side panel's tabs for this scenario, in order.
    pub fn side_tabs(&self) -> Vec<SideTab> {
        let mut tabs = vec![SideTab::Station, SideTab::Circuits];
        if !self.scenario.sagas().is_empty() {
            tabs.push(SideTab::Sagas);
        }
        tabs.push(SideTab::Charts);
        tabs
    }

    /// The tab shown: the learner's choice if this scenario has it, else the sagas of a saga
    /// scenario (what it is there to show), else the charts.
    pub fn side_tab(&self) -> SideTab {
        let tabs = self.side_tabs();
        match self.side_tab {
            Some(tab) if tabs.contains(&tab) => tab,
            _ if tabs.contains(&SideTab::Sagas) => SideTab::Sagas,
            _ => SideTab::Charts,
        }
    }

    pub fn run_is_over(&self) -> bool {
        self.live.finished && self.live.now_us > 0
    }

    fn start_over(&mut self) {
        self.run += 1;
        // Requests were for the run that ends; the new one starts clean.
        self.requests = Rc::new(Vec::new());
        self.selected_request = None;
        self.selected_trace = None;
        self.selected_span = None;
        self.trace_filter = TraceFilter::default();
        self.show_live(Rc::new(LiveView::default()));
    }

    /// Takes a fresh view from the player for the map and the header; the panels keep theirs
    /// until they catch up.
    fn take_live(&mut self, mut live: Rc<LiveView>) {
        // Nothing left to simulate: the run is over and no longer playing, so the button
        // offers Replay rather than Pause.
        if live.finished && live.now_us > 0 {
            self.playing = false;
        }
        // A trace being read stays readable when the store lets it go (at 5× the 200 most
        // recent traces of a busy shop turn over in under a second): the panel keeps the copy
        // it last had.
        if live.selected_trace.is_none()
            && let Some(last) = self
                .live
                .selected_trace
                .as_ref()
                .filter(|trace| Some(trace.request) == self.selected_trace)
        {
            Rc::make_mut(&mut live).selected_trace = Some(Arc::clone(last));
        }
        self.live = live;
    }

    /// Takes a fresh view everywhere at once (an answer to the user, not the loop's refresh).
    fn show_live(&mut self, live: Rc<LiveView>) {
        self.take_live(live);
        self.side_live = Rc::clone(&self.live);
        self.traces_live = Rc::clone(&self.live);
        self.trace_list_live = Rc::clone(&self.live);
    }

    fn load(&mut self, source: ScenarioSource, scenario: Scenario) {
        self.seed = scenario.seed;
        self.scenario = Arc::new(scenario);
        self.source = source;
        self.selected_station = None;
        self.selected_service = None;
        self.problems.clear();
        self.map_view = MapView::FIT;
        self.start_over();
    }

    /// The services at the selected station.
    pub fn services_at_selection(&self) -> Vec<ServiceId> {
        match self.selected_station {
            Some(station) => self
                .scenario
                .services
                .iter()
                .filter(|s| s.station == station)
                .map(|s| s.id)
                .collect(),
            None => Vec::new(),
        }
    }
}

/// A scenario that always validates, for the impossible case of no usable built-in.
fn unreachable_scenario() -> Scenario {
    let text = "[[lines]]\nname = \"L\"\nstations = [\"A\", \"B\"]\n[[services]]\nname = \"s\"\nstation = \"B\"\n[[services.endpoints]]\nname = \"e\"\n[workload]\nrate = \"1/s\"\n[[workload.mix]]\nendpoint = \"s\"\n";
    match parse_scenario(text) {
        Ok(scenario) => scenario,
        Err(problems) => panic!(
            "the fallback scenario is invalid ({} problems)",
            problems.len()
        ),
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = (*self).clone();
        match action {
            Action::ToggleLang => state.lang = state.lang.other(),
            Action::SetLang(lang) => state.lang = lang,
            Action::ChooseBuiltin(id) => match load_builtin(&id) {
                Some(Ok(scenario)) => state.load(ScenarioSource::Builtin(id), scenario),
                Some(Err(problems)) => state.problems = problems,
                None => state.notify(Msg::NoticeBadParam, vec!["scenario".into(), id, "?".into()]),
            },
            Action::NextScenario => {
                let ids = picker_ids();
                let next = match &state.source {
                    ScenarioSource::Builtin(id) => ids
                        .iter()
                        .position(|i| i == id)
                        .map_or(0, |p| (p + 1) % ids.len()),
                    ScenarioSource::Custom(_) => 0,
                };
                if let Some(id) = ids.get(next)
                    && let Some(Ok(scenario)) = load_builtin(id)
                {
                    state.load(ScenarioSource::Builtin(id.to_string()), scenario);
                }
            }
            Action::ApplyCustom(text) => match parse_scenario(&text) {
                Ok(scenario) => {
                    // The learner's seed stays unless the file names one (and then we say so).
                    let seed = state.seed;
                    state.load(ScenarioSource::Custom(Rc::from(text.as_str())), scenario);
                    state.editor_open = false;
                    if file_sets_seed(&text) {
                        let seed = state.seed.to_string();
                        state.notify_about(
                            NoticeTopic::ScenarioLoad,
                            Msg::ScenarioLoadedWithSeed,
                            vec![seed],
                        );
                    } else {
                        state.seed = seed;
                        state.notify_about(
                            NoticeTopic::ScenarioLoad,
                            Msg::ScenarioLoaded,
                            Vec::new(),
                        );
                    }
                }
                Err(problems) => {
                    state.notify_about(
                        NoticeTopic::ScenarioLoad,
                        Msg::ProblemsCount,
                        vec![problems.len().to_string()],
                    );
                    state.problems = problems;
                    state.editor_open = true;
                }
            },
            Action::SetSeed(seed) => {
                state.seed = seed;
                state.start_over();
            }
            Action::Reseed => {
                state.seed = splitmix64(state.seed ^ state.run) % SEED_MODULUS;
                state.start_over();
            }
            Action::SetSpeed(speed) => state.speed = clamp_speed(speed),
            Action::Faster => {
                state.speed = SPEEDS
                    .iter()
                    .copied()
                    .find(|&s| s > state.speed + 1e-9)
                    .unwrap_or(state.speed);
            }
            Action::Slower => {
                state.speed = SPEEDS
                    .iter()
                    .rev()
                    .copied()
                    .find(|&s| s < state.speed - 1e-9)
                    .unwrap_or(state.speed);
            }
            // At the end of a run, Play is Replay: the same scenario and seed from the start.
            Action::TogglePlay if !state.playing && state.run_is_over() => {
                state.start_over();
                state.playing = true;
            }
            Action::TogglePlay => state.playing = !state.playing,
            Action::SetPlaying(playing) => state.playing = playing,
            Action::Restart => state.start_over(),
            Action::SelectStation(station) => {
                state.selected_station = station;
                state.selected_service = state.services_at_selection().first().copied();
                if station.is_some() {
                    state.side_tab = Some(SideTab::Station);
                }
            }
            Action::SelectNextStation => {
                let count = state.scenario.stations.len() as u32;
                let next = match state.selected_station {
                    Some(station) => (station.0 + 1) % count.max(1),
                    None => 0,
                };
                state.selected_station = Some(StationId(next));
                state.selected_service = state.services_at_selection().first().copied();
                state.side_tab = Some(SideTab::Station);
            }
            Action::SelectService(service) => state.selected_service = Some(service),
            Action::SelectRequest(request) => {
                state.selected_request = request;
                if request.is_some() {
                    // The request's card is in the station tab.
                    state.side_tab = Some(SideTab::Station);
                    state.selected_trace = request;
                    state.selected_span = None;
                    state.traces_open = true;
                }
            }
            Action::ToggleTraces => state.traces_open = !state.traces_open,
            Action::SelectTrace(request) => {
                state.selected_trace = request;
                state.selected_span = None;
                state.traces_open |= request.is_some();
            }
            Action::SelectSpan(span) => state.selected_span = span,
            Action::SetTraceFilter(filter) => state.trace_filter = filter,
            Action::ToggleCriticalPath => state.show_critical_path = !state.show_critical_path,
            Action::FitLabels(fit) => state.label_fit = fit,
            Action::ShowSideTab { tab, focus } => {
                state.side_tab = Some(tab);
                if focus {
                    state.side_focus += 1;
                }
            }
            Action::Live(live) => state.show_live(live),
            Action::Refresh(live) => state.take_live(live),
            Action::CatchUp(Panels::Side) => state.side_live = Rc::clone(&state.live),
            Action::CatchUp(Panels::Traces) => state.traces_live = Rc::clone(&state.live),
            Action::CatchUp(Panels::TraceList) => state.trace_list_live = Rc::clone(&state.live),
            Action::Notify(msg, args) => state.notify(msg, args),
            Action::Dismiss(id) => state.notices.retain(|notice| notice.id != id),
            Action::ToggleHelp => state.help_open = !state.help_open,
            Action::ToggleEditor => state.editor_open = !state.editor_open,
            Action::ToggleCompare => state.compare_open = !state.compare_open,
            Action::Escape => {
                if state.help_open || state.editor_open || state.compare_open {
                    state.help_open = false;
                    state.editor_open = false;
                    state.compare_open = false;
                } else {
                    state.selected_station = None;
                    state.selected_service = None;
                    state.selected_request = None;
                    state.selected_trace = None;
                    state.selected_span = None;
                }
            }
            Action::SetReducedMotion(reduced) => state.reduced_motion = reduced,
            Action::ZoomMap { factor, at } => state.map_view = state.map_view.zoomed(factor, at),
            Action::PanMap { across, down } => state.map_view = state.map_view.panned(across, down),
            Action::FitMap => state.map_view = MapView::FIT,
            Action::JumpTo(at_us) => state.request(PlayerRequest::JumpTo(SimTime(at_us))),
            Action::Fault(kind) => {
                if let Some(command) = fault_for(&state, kind) {
                    state.request(PlayerRequest::Apply(command));
                }
            }
            Action::SetPolicy(edge, change) => {
                let command = crate::engine::resilience::Command::set_policy(edge, change);
                state.request(PlayerRequest::Apply(command));
            }
            Action::StepOnce => {
                state.playing = false;
                state.request(PlayerRequest::Step);
            }
            Action::RequestsHandled {
                through,
                live,
                refused,
            } => {
                Rc::make_mut(&mut state.requests).retain(|(id, _)| *id > through);
                state.show_live(live);
                for reason in refused {
                    state.notify(
                        Msg::NoticeBadParam,
                        vec!["fault".into(), String::new(), reason],
                    );
                }
            }
        }
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(state: AppState, actions: &[Action]) -> AppState {
        let mut state = Rc::new(state);
        for action in actions {
            state = state.reduce(action.clone());
        }
        (*state).clone()
    }

    #[test]
    fn the_first_visit_opens_the_flipkart_shop() {
        let state = AppState::initial(Lang::En);
        assert_eq!(state.source, ScenarioSource::Builtin("flipkart".into()));
        assert!(!state.playing);
    }

    #[test]
    fn the_end_of_a_run_stops_playing_and_play_becomes_replay() {
        let playing = reduce(AppState::initial(Lang::En), &[Action::TogglePlay]);
        assert!(playing.playing);
        let mid_run = LiveView {
            now_us: 5_000_000,
            ..LiveView::default()
        };
        let state = reduce(playing, &[Action::Live(Rc::new(mid_run))]);
        assert!(state.playing, "mid-run figures change nothing");
        let ended = LiveView {
            now_us: 120_000_000,
            finished: true,
            ..LiveView::default()
        };
        let run = state.run;
        let state = reduce(state, &[Action::Live(Rc::new(ended))]);
        assert!(!state.playing, "a finished run is not playing");
        assert!(state.run_is_over());
        let state = reduce(state, &[Action::TogglePlay]);
        assert!(state.playing, "replay plays");
        assert_eq!(state.run, run + 1, "from the start");
        assert!(!state.run_is_over());
    }

    #[test]
    fn a_trace_being_read_stays_when_the_store_drops_it() {
        use crate::engine::builtin::load_builtin;
        let Some(Ok(scenario)) = load_builtin("flipkart") else {
            panic!()
        };
        let mut engine = crate::engine::Engine::new(Arc::new(scenario), 1);
        engine
            .advance_until(crate::engine::SimTime::from_secs(5), u64::MAX)
            .expect("finite");
        let trace = engine
            .retained_traces()
            .last()
            .cloned()
            .expect("a kept trace");
        let request = trace.request;
        let with = LiveView {
            selected_trace: Some(Arc::clone(&trace)),
            ..LiveView::default()
        };
        let state = reduce(
            AppState::initial(Lang::En),
            &[
                Action::SelectTrace(Some(request)),
                Action::Live(Rc::new(with)),
            ],
        );
        // The next refresh no longer finds it: the panel keeps the copy.
        let state = reduce(state, &[Action::Live(Rc::new(LiveView::default()))]);
        assert_eq!(
            state.live.selected_trace.as_ref().map(|t| t.request),
            Some(request)
        );
        // Once another trace (or none) is chosen, the copy goes.
        let state = reduce(
            state,
            &[
                Action::SelectTrace(None),
                Action::Live(Rc::new(LiveView::default())),
            ],
        );
        assert!(state.live.selected_trace.is_none());
    }

    #[test]
    fn each_panel_catches_up_on_its_own_frame_or_at_once_before_the_next_refresh() {
        // At 60 Hz: frames 1 to 5 after a refresh, one panel at a time.
        let mut frame = Some(0);
        let mut seen = Vec::new();
        while let Some(before) = frame {
            let (due, next) = panels_due(before, false);
            seen.push((before + 1, due));
            frame = next;
        }
        assert_eq!(
            seen,
            vec![
                (1, vec![]),
                (2, vec![Panels::Side]),
                (3, vec![Panels::Traces]),
                (4, vec![]),
                (5, vec![Panels::TraceList]),
            ]
        );
        // Slower frames: the next refresh comes at frame 3, after the side panel caught up.
        assert_eq!(
            panels_due(2, true),
            (vec![Panels::Traces, Panels::TraceList], None)
        );
        assert_eq!(
            panels_due(0, true).0,
            vec![Panels::Side, Panels::Traces, Panels::TraceList]
        );
    }

    #[test]
    fn a_refresh_reaches_the_panels_when_they_catch_up_and_an_answer_reaches_all_at_once() {
        let view = |now_us| {
            Rc::new(LiveView {
                now_us,
                ..LiveView::default()
            })
        };
        let state = reduce(AppState::initial(Lang::En), &[Action::Live(view(1))]);
        assert_eq!(
            (
                state.live.now_us,
                state.side_live.now_us,
                state.traces_live.now_us
            ),
            (1, 1, 1)
        );
        let state = reduce(state, &[Action::Refresh(view(2))]);
        assert_eq!(
            (
                state.live.now_us,
                state.side_live.now_us,
                state.traces_live.now_us
            ),
            (2, 1, 1),
            "the loop's refresh reaches the map first"
        );
        let state = reduce(state, &[Action::CatchUp(Panels::Side)]);
        assert_eq!((state.side_live.now_us, state.traces_live.now_us), (2, 1));
        let state = reduce(
            state,
            &[
                Action::CatchUp(Panels::Traces),
                Action::CatchUp(Panels::TraceList),
            ],
        );
        assert!(
            Rc::ptr_eq(&state.traces_live, &state.live),
            "the same view, not a copy"
        );
        assert!(Rc::ptr_eq(&state.trace_list_live, &state.live));
        // An answer to the user (here a new selection's view) shows everywhere at once.
        let state = reduce(state, &[Action::Refresh(view(3)), Action::Live(view(4))]);
        assert_eq!(
            (
                state.live.now_us,
                state.side_live.now_us,
                state.traces_live.now_us,
                state.trace_list_live.now_us
            ),
            (4, 4, 4, 4)
        );
    }

    #[test]
    fn loading_an_edit_keeps_the_seed_unless_the_file_sets_one_and_notices_replace_each_other() {
        let source = crate::engine::builtin::builtin_source("mm1")
            .expect("mm1")
            .to_string();
        assert!(file_sets_seed(&source), "mm1 names its seed");
        let without_seed: String = source
            .lines()
            .filter(|line| !line.starts_with("seed ="))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!file_sets_seed(&without_seed));
        let state = reduce(AppState::initial(Lang::En), &[Action::SetSeed(4242)]);
        // Two failed loads leave one notice, not two.
        let state = reduce(
            state,
            &[
                Action::ApplyCustom("id = 1".into()),
                Action::ApplyCustom("[[broken".into()),
            ],
        );
        let about_load = |state: &AppState| {
            state
                .notices
                .iter()
                .filter(|n| n.topic == Some(NoticeTopic::ScenarioLoad))
                .map(|n| n.msg)
                .collect::<Vec<_>>()
        };
        assert_eq!(about_load(&state), vec![Msg::ProblemsCount]);
        // A good load without a seed keeps 4242 and replaces the problem notice.
        let state = reduce(state, &[Action::ApplyCustom(without_seed)]);
        assert_eq!(state.seed, 4242);
        assert_eq!(about_load(&state), vec![Msg::ScenarioLoaded]);
        // One that sets its seed uses it, and says so.
        let state = reduce(state, &[Action::ApplyCustom(source)]);
        assert_eq!(state.seed, 1);
        assert_eq!(about_load(&state), vec![Msg::ScenarioLoadedWithSeed]);
        assert_eq!(
            state.notices.last().map(|n| n.args.clone()),
            Some(vec!["1".to_string()])
        );
    }

    #[test]
    fn speed_steps_and_clamps() {
        let state = reduce(
            AppState::initial(Lang::En),
            &[Action::Faster, Action::Faster],
        );
        assert_eq!(state.speed, 5.0);
        let state = reduce(state, &[Action::SetSpeed(1e9)]);
        assert_eq!(state.speed, 100.0);
        let state = reduce(state, &[Action::Faster]);
        assert_eq!(state.speed, 100.0);
        let state = reduce(state, &[Action::SetSpeed(f64::NAN), Action::Slower]);
        assert_eq!(state.speed, 0.5);
        let state = reduce(state, &[Action::SetSpeed(0.0), Action::Slower]);
        assert_eq!(state.speed, 0.1);
    }

    #[test]
    fn an_invalid_custom_scenario_keeps_the_current_one_and_lists_problems() {
        let before = AppState::initial(Lang::En);
        let after = reduce(
            before.clone(),
            &[Action::ApplyCustom("[[services]]\nname = 3\n".into())],
        );
        assert_eq!(
            after.scenario.id, before.scenario.id,
            "nothing was replaced"
        );
        assert_eq!(after.run, before.run);
        assert!(!after.problems.is_empty());
        assert!(after.problems.iter().any(|p| p.path == "services[0].name"));
        assert!(after.editor_open);
        assert_eq!(
            after.notices.last().map(|n| n.msg),
            Some(Msg::ProblemsCount)
        );
    }

    #[test]
    fn a_valid_custom_scenario_starts_a_new_run() {
        let text = crate::engine::builtin::builtin_source("mm1")
            .expect("mm1")
            .to_string();
        let before = AppState::initial(Lang::En);
        let after = reduce(before.clone(), &[Action::ApplyCustom(text.clone())]);
        assert_eq!(after.scenario.id, "mm1");
        assert_eq!(
            after.source,
            ScenarioSource::Custom(Rc::from(text.as_str()))
        );
        assert_eq!(after.run, before.run + 1);
        assert!(after.problems.is_empty());
    }

    #[test]
    fn reseeding_is_deterministic_and_restarts() {
        let a = reduce(AppState::initial(Lang::En), &[Action::Reseed]);
        let b = reduce(AppState::initial(Lang::En), &[Action::Reseed]);
        assert_eq!(a.seed, b.seed);
        assert_ne!(a.seed, AppState::initial(Lang::En).seed);
        assert_eq!(a.run, 1);
    }

    #[test]
    fn escape_closes_overlays_before_clearing_selection() {
        let state = reduce(
            AppState::initial(Lang::En),
            &[
                Action::SelectStation(Some(StationId(5))),
                Action::ToggleHelp,
                Action::Escape,
            ],
        );
        assert!(!state.help_open);
        assert_eq!(state.selected_station, Some(StationId(5)));
        let state = reduce(state, &[Action::Escape]);
        assert_eq!(state.selected_station, None);
    }

    #[test]
    fn selecting_a_station_selects_its_first_service() {
        let state = AppState::initial(Lang::En);
        let csmt = state.scenario.station_named("CSMT").expect("CSMT");
        let gateway = state.scenario.service_named("gateway").expect("gateway");
        let state = reduce(state, &[Action::SelectStation(Some(csmt))]);
        assert_eq!(state.selected_service, Some(gateway));
        let state = reduce(state, &[Action::SelectNextStation]);
        assert_eq!(state.selected_station, Some(StationId(csmt.0 + 1)));
    }

    #[test]
    fn the_next_scenario_cycles_through_the_picker() {
        let mut state = AppState::initial(Lang::En);
        let ids = picker_ids();
        for expected in ids.iter().skip(1).chain(ids.iter().take(1)) {
            state = reduce(state, &[Action::NextScenario]);
            assert_eq!(state.source, ScenarioSource::Builtin(expected.to_string()));
        }
    }

    #[test]
    fn notices_stay_few() {
        let mut state = AppState::initial(Lang::En);
        for i in 0..9 {
            state = reduce(
                state,
                &[Action::Notify(Msg::ScenarioLoaded, vec![i.to_string()])],
            );
        }
        assert_eq!(state.notices.len(), 5);
        let first = state.notices[0].id;
        let state = reduce(state, &[Action::Dismiss(first)]);
        assert_eq!(state.notices.len(), 4);
    }

    #[test]
    fn faults_knobs_and_steps_are_queued_for_the_player_in_order() {
        let state = AppState::initial(Lang::En);
        let payment = state.scenario.service_named("payment").expect("payment");
        // No service selected: a crash has nothing to aim at, a heal always has.
        let state = reduce(state, &[Action::Fault(FaultKind::Crash)]);
        assert!(state.requests.is_empty());
        let state = reduce(
            state,
            &[
                Action::SelectService(payment),
                Action::Fault(FaultKind::Slow),
                Action::TogglePlay,
                Action::StepOnce,
                Action::Fault(FaultKind::Heal),
            ],
        );
        assert!(!state.playing, "stepping pauses");
        let queued: Vec<&PlayerRequest> = state.requests.iter().map(|(_, r)| r).collect();
        assert!(
            matches!(queued[..], [
                PlayerRequest::Apply(Command::Slow { service, .. }),
                PlayerRequest::Step,
                PlayerRequest::Apply(Command::Heal),
            ] if *service == payment),
            "{queued:?}"
        );
        let ids: Vec<u64> = state.requests.iter().map(|(id, _)| *id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

        // The player answers for the first two; the third stays queued; refusals become notices.
        let live = Rc::new(LiveView::default());
        let state = reduce(
            state,
            &[Action::RequestsHandled {
                through: ids[1],
                live: Rc::clone(&live),
                refused: vec!["no such instance".into()],
            }],
        );
        assert_eq!(state.requests.len(), 1);
        assert_eq!(state.requests[0].0, ids[2]);
        assert!(Rc::ptr_eq(&state.live, &live));
        assert_eq!(
            state.notices.last().map(|n| n.msg),
            Some(Msg::NoticeBadParam)
        );

        // A new run drops what was asked of the old one.
        let state = reduce(state, &[Action::Restart]);
        assert!(state.requests.is_empty());
    }

    #[test]
    fn a_knob_becomes_a_recorded_set_policy_command() {
        use crate::engine::resilience::PolicyChange;
        let state = AppState::initial(Lang::En);
        let edge = crate::engine::ids::EdgeId(0);
        let change = PolicyChange::TimeoutUs(Some(250_000));
        let state = reduce(state, &[Action::SetPolicy(edge, change.clone())]);
        let expected = crate::engine::resilience::Command::set_policy(edge, change);
        assert_eq!(
            state
                .requests
                .iter()
                .map(|(_, r)| r.clone())
                .collect::<Vec<_>>(),
            vec![PlayerRequest::Apply(expected)]
        );
    }
}
