//! The player: paces the engine against the wall clock and turns its events into what the map
//! animates. Plain Rust with no browser types, so it is unit-tested natively; the animation-frame
//! loop only measures elapsed time and calls `frame`.
//!
//! Pacing lives here and nowhere in the engine: each frame moves virtual time forward by
//! speed × elapsed wall time, processing at most `FRAME_EVENT_BUDGET` events. When that is not
//! enough the player reports that it is behind instead of freezing the page.
//!
//! Dots are a view of hops: every hop counts in the flow figures, but only a sample of requests
//! (chosen by a hash of the request id, never by the engine's random streams) become dots, so
//! density follows the rate while the number on screen stays bounded.

use super::layout::{MapLayout, Route};
use super::state::{LiveView, PlayerRequest};
use crate::engine::CallRole;
use crate::engine::ids::{CallId, EndpointId, RequestId, StationId};
use crate::engine::resilience::Event as ResilienceEvent;
use crate::engine::rng::splitmix64;
use crate::engine::{Command, CommandError, Engine, EngineError, Scenario, SimTime};
use crate::engine::{Direction, EngineEvent, EventKind, PatternEvent, Status};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

/// Most events processed in one animation frame (a few milliseconds of engine work in wasm).
pub const FRAME_EVENT_BUDGET: u64 = 20_000;
/// Most events a "jump to" may process at once (a few seconds of work on this machine).
pub const JUMP_EVENT_BUDGET: u64 = 20_000_000;
/// A hop is shown travelling for at least this long, or a 2 ms network hop would be invisible.
pub const MIN_TRAVEL_MS: f64 = 450.0;
/// At most this long, so a slow link at low speed does not leave dots hanging.
pub const MAX_TRAVEL_MS: f64 = 4_000.0;
/// The sampler aims for about this many dots on screen (requests come in bursts, so the
/// average lands near 2,000).
pub const TARGET_DOTS: f64 = 2_400.0;
/// Never more than this many dots at once.
pub const MAX_DOTS: usize = 3_500;
/// A wall-clock gap longer than this (a background tab, a debugger) is not caught up.
pub const MAX_FRAME_GAP_MS: f64 = 250.0;
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 100.0;
/// How many recent requests keep their hop history for the inspector.
const RECENT_REQUESTS: usize = 400;

/// What a dot shows: a request on its way, or an answer by its outcome. Drawn in a distinct
/// colour *and* shape each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotKind {
    Request,
    Ok,
    Error,
    Rejected,
    Timeout,
    Lost,
    /// Never sent: the caller's breaker was open or its bulkhead full.
    ShortCircuited,
    /// A retry attempt on its way (a repeated trip).
    Retry,
    /// A saga compensation on its way (undoing a step), either direction.
    Compensation,
}

impl DotKind {
    pub fn for_answer(status: Status) -> DotKind {
        match status {
            Status::Ok => DotKind::Ok,
            Status::Rejected | Status::Unavailable | Status::RateLimited => DotKind::Rejected,
            Status::ShortCircuited | Status::BulkheadFull => DotKind::ShortCircuited,
            Status::Timeout | Status::NetworkError => DotKind::Timeout,
            Status::Error | Status::Reset | Status::DownstreamError => DotKind::Error,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Dot {
    pub request: RequestId,
    pub call: CallId,
    pub direction: Direction,
    pub route: Rc<Route>,
    pub kind: DotKind,
    pub start_ms: f64,
    pub duration_ms: f64,
}

impl Dot {
    /// How far along its route the dot is at display time `display_ms` (0 to 1).
    pub fn progress(&self, display_ms: f64) -> f64 {
        ((display_ms - self.start_ms) / self.duration_ms).clamp(0.0, 1.0)
    }
}

/// How a request ended, as the client saw it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RequestOutcome {
    Answered { status: Status, latency_us: u64 },
    TimedOut,
}

/// A recent request the inspector can follow: its entry endpoint and outcome. Its path and
/// timings are its trace (`Engine::trace_of`), shown in the trace panel.
#[derive(Clone, Debug, PartialEq)]
pub struct FollowedRequest {
    pub request: RequestId,
    pub endpoint: EndpointId,
    pub arrived: SimTime,
    pub outcome: Option<RequestOutcome>,
}

/// What travelled between two stations: every hop, the answers among them and the answers that
/// carry a failure (decayed counts, or rates).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct HopCounts {
    hops: f64,
    answers: f64,
    failed: f64,
}

impl HopCounts {
    fn scaled(self, factor: f64) -> HopCounts {
        HopCounts {
            hops: self.hops * factor,
            answers: self.answers * factor,
            failed: self.failed * factor,
        }
    }
}

/// What one frame did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameOutcome {
    pub events: u64,
    /// The budget ran out before virtual time reached speed × elapsed.
    pub behind: bool,
}

pub struct Player {
    engine: Engine,
    layout: Rc<MapLayout>,
    routes: BTreeMap<(StationId, StationId), Rc<Route>>,
    speed: f64,
    playing: bool,
    behind: bool,
    /// Display time: advances with wall time while playing, stands still while paused.
    display_ms: f64,
    dots: Vec<Dot>,
    /// What travelled between each pair of stations, counted with a one-second (wall)
    /// exponential decay.
    hops: BTreeMap<(StationId, StationId), HopCounts>,
    /// Virtual seconds simulated, with the same decay: a count over this is per virtual second,
    /// whatever the speed and even when the player falls behind.
    virtual_s_decayed: f64,
    /// Smoothed hop departures per display second, for the sampler.
    departures_per_s: f64,
    recent: VecDeque<FollowedRequest>,
    /// The last user request carried out: a request is never carried out twice, even if the
    /// list it came in is handed over again before the state has dropped it.
    handled_through: u64,
}

/// Keeps `request` as a dot when its hash falls under `probability` (the same verdict for every
/// hop of the request, so a shown request is shown whole).
pub fn sampled(request: RequestId, probability: f64) -> bool {
    if probability >= 1.0 {
        return true;
    }
    let unit = (splitmix64(request.0) >> 11) as f64 / (1u64 << 53) as f64;
    unit < probability
}

impl Player {
    pub fn new(scenario: Arc<Scenario>, seed: u64, speed: f64) -> Player {
        let layout = Rc::new(MapLayout::new(&scenario));
        Player::with_layout(scenario, layout, seed, speed)
    }

    /// A player drawing on a layout computed already (the map shares it).
    pub fn with_layout(
        scenario: Arc<Scenario>,
        layout: Rc<MapLayout>,
        seed: u64,
        speed: f64,
    ) -> Player {
        let mut engine = Engine::new(scenario, seed);
        engine.set_recording(true);
        Player {
            engine,
            layout,
            routes: BTreeMap::new(),
            speed: speed.clamp(MIN_SPEED, MAX_SPEED),
            playing: false,
            behind: false,
            display_ms: 0.0,
            dots: Vec::new(),
            hops: BTreeMap::new(),
            virtual_s_decayed: 0.0,
            departures_per_s: 0.0,
            recent: VecDeque::new(),
            handled_through: 0,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn layout(&self) -> &Rc<MapLayout> {
        &self.layout
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
    }

    pub fn is_playing(&self) -> bool {
        self.playing
    }

    pub fn set_playing(&mut self, playing: bool) {
        self.playing = playing;
        if !playing {
            self.behind = false;
        }
    }

    pub fn is_behind(&self) -> bool {
        self.behind
    }

    /// Nothing is left to simulate.
    pub fn is_finished(&self) -> bool {
        self.engine.is_idle()
    }

    pub fn display_ms(&self) -> f64 {
        self.display_ms
    }

    pub fn dots(&self) -> &[Dot] {
        &self.dots
    }

    /// Hops per *virtual* second between each pair of stations, over about the last wall
    /// second: the same figure at 1× and at 100×.
    pub fn flows(&self) -> Vec<(StationId, StationId, f64)> {
        self.per_virtual_second(|counts| counts.hops > 0.01)
            .into_iter()
            .map(|(from, to, rates)| (from, to, rates.hops))
            .collect()
    }

    /// Answers per *virtual* second between each pair of stations, and how many of them carry a
    /// failure: `(from, to, answers_per_s, failed_per_s)`.
    pub fn answer_health(&self) -> Vec<(StationId, StationId, f64, f64)> {
        self.per_virtual_second(|counts| counts.answers > 0.01)
            .into_iter()
            .map(|(from, to, rates)| (from, to, rates.answers, rates.failed))
            .collect()
    }

    /// The decayed counts that pass `keep`, as rates per virtual second (none before any virtual
    /// time has passed).
    fn per_virtual_second(
        &self,
        keep: impl Fn(&HopCounts) -> bool,
    ) -> Vec<(StationId, StationId, HopCounts)> {
        let seconds = self.virtual_s_decayed;
        if seconds <= 1e-9 {
            return Vec::new();
        }
        self.hops
            .iter()
            .filter(|(_, counts)| keep(counts))
            .map(|(&(from, to), counts)| (from, to, counts.scaled(1.0 / seconds)))
            .collect()
    }

    /// The share of requests currently drawn as dots.
    pub fn sample_probability(&self) -> f64 {
        let dots_if_all = self.departures_per_s * MIN_TRAVEL_MS / 1_000.0;
        if dots_if_all <= TARGET_DOTS {
            1.0
        } else {
            TARGET_DOTS / dots_if_all
        }
    }

    pub fn followed(&self, request: RequestId) -> Option<&FollowedRequest> {
        self.recent.iter().find(|trace| trace.request == request)
    }

    /// The most recent request that still has a dot on screen, for keyboard selection.
    pub fn latest_moving_request(&self, display_ms: f64) -> Option<RequestId> {
        self.dots
            .iter()
            .rev()
            .find(|dot| dot.progress(display_ms) < 1.0)
            .map(|dot| dot.request)
    }

    /// The figures the panels show, read from the engine now, with the request the inspector
    /// follows and the trace the trace panel shows, if any.
    pub fn live_view(&self, followed: Option<RequestId>, trace: Option<RequestId>) -> LiveView {
        let snapshot = self.engine.snapshot_without_hops();
        LiveView {
            now_us: snapshot.now_us,
            counters: snapshot.client.counters,
            last_second: snapshot.client.last_second,
            instances: snapshot.instances,
            services: snapshot.services,
            active_faults: snapshot.active_faults,
            series: self
                .engine
                .metrics()
                .client
                .series()
                .iter()
                .copied()
                .collect(),
            flows: self.flows(),
            answer_health: self.answer_health(),
            patterns: self.engine.pattern_views(),
            commands: self.engine.command_log_shared(),
            selected_trace: trace.and_then(|request| self.engine.trace_of(request)),
            followed: followed.and_then(|request| self.followed(request).cloned()),
            traces: Rc::new(self.engine.retained_traces()),
            trace_counters: self.engine.trace_counters(),
            open_traces: self.engine.open_traces(),
            behind: self.behind,
            finished: self.is_finished(),
        }
    }

    /// Advances by `wall_dt_ms` of wall-clock time at the current speed.
    pub fn frame(&mut self, wall_dt_ms: f64) -> FrameOutcome {
        let wall_dt_ms = if wall_dt_ms.is_finite() {
            wall_dt_ms.clamp(0.0, MAX_FRAME_GAP_MS)
        } else {
            0.0
        };
        if !self.playing {
            return FrameOutcome::default();
        }
        let virtual_before = self.engine.now();
        let display_before = self.display_ms;
        let step_us = (wall_dt_ms * 1_000.0 * self.speed) as u64;
        let target = SimTime(virtual_before.0.saturating_add(step_us));
        let (events, behind) = match self.engine.advance_until(target, FRAME_EVENT_BUDGET) {
            Ok(events) => (events, false),
            Err(EngineError::EventBudgetExhausted { processed, .. }) => (processed, true),
        };
        self.behind = behind;
        self.display_ms += wall_dt_ms;
        self.take_events(virtual_before, display_before);
        // This frame's hops and virtual seconds are added before both decay alike.
        self.virtual_s_decayed += self.engine.now().0.saturating_sub(virtual_before.0) as f64 / 1e6;
        self.decay(wall_dt_ms);
        self.prune();
        FrameOutcome { events, behind }
    }

    /// Processes exactly one event (for single-stepping while paused).
    pub fn step_one(&mut self) -> Option<SimTime> {
        let virtual_before = self.engine.now();
        let display_before = self.display_ms;
        let time = self.engine.step();
        // Let the step's hops be seen moving: show them from now for their minimum travel time.
        self.take_events(virtual_before, display_before);
        time
    }

    /// Carries out the user's requests in order; the reasons of those the engine refused.
    pub fn handle(&mut self, requests: &[(u64, PlayerRequest)]) -> Vec<String> {
        let mut refused = Vec::new();
        for (id, request) in requests {
            if *id <= self.handled_through {
                continue;
            }
            self.handled_through = *id;
            match request {
                PlayerRequest::Apply(command) => {
                    if let Err(error) = self.apply(command.clone()) {
                        refused.push(error.0);
                    }
                }
                PlayerRequest::Step => {
                    self.set_playing(false);
                    self.step_one();
                }
                PlayerRequest::JumpTo(target) => {
                    if let Err(reason) = self.jump_to(*target) {
                        refused.push(reason);
                    }
                }
            }
        }
        refused
    }

    /// Runs ahead to virtual time `target` at once (the time bar's "jump to"; forward only
    /// until time travel exists). What happens on the way is counted, not animated: dots and
    /// flow rates start afresh at the target.
    pub fn jump_to(&mut self, target: SimTime) -> Result<(), String> {
        if target <= self.engine.now() {
            return Ok(());
        }
        let outcome = self.engine.advance_until(target, JUMP_EVENT_BUDGET);
        // The events on the way are not drawn; requests followed meanwhile keep no outcome.
        drop(self.engine.drain_events());
        self.dots.clear();
        self.hops.clear();
        self.virtual_s_decayed = 0.0;
        self.departures_per_s = 0.0;
        match outcome {
            Ok(_) => Ok(()),
            Err(EngineError::EventBudgetExhausted { .. }) => Err(format!(
                "the jump stopped at {}: more than {JUMP_EVENT_BUDGET} events to simulate at once",
                crate::engine::time::format_micros(self.engine.now().0)
            )),
        }
    }

    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        self.engine.apply(command)?;
        let virtual_now = self.engine.now();
        let display_now = self.display_ms;
        self.take_events(virtual_now, display_now);
        Ok(())
    }

    fn route(&mut self, from: StationId, to: StationId) -> Rc<Route> {
        let layout = Rc::clone(&self.layout);
        Rc::clone(
            self.routes
                .entry((from, to))
                .or_insert_with(|| Rc::new(layout.travel(from, to))),
        )
    }

    /// Turns the engine's new events into dots, flows and request traces.
    fn take_events(&mut self, virtual_before: SimTime, display_before: f64) {
        let events = self.engine.drain_events();
        let probability = self.sample_probability();
        let speed = self.speed;
        let display_now = self.display_ms;
        for event in events {
            let display_at = (display_before
                + (event.t_us.saturating_sub(virtual_before.0)) as f64 / (1_000.0 * speed))
                .min(display_now);
            self.take_event(event, display_at, probability);
        }
    }

    fn take_event(&mut self, event: EngineEvent, display_at: f64, probability: f64) {
        let t = SimTime(event.t_us);
        match event.kind {
            EventKind::RequestArrived {
                request, endpoint, ..
            } if sampled(request, probability) => {
                if self.recent.len() == RECENT_REQUESTS {
                    self.recent.pop_front();
                }
                self.recent.push_back(FollowedRequest {
                    request,
                    endpoint,
                    arrived: t,
                    outcome: None,
                });
            }
            EventKind::HopDeparted {
                call,
                request,
                direction,
                from,
                to,
                arrive_us,
                status,
                attempt,
                role,
            } => {
                let counts = self.hops.entry((from, to)).or_default();
                counts.hops += 1.0;
                if let Some(status) = status {
                    counts.answers += 1.0;
                    if !status.is_ok() {
                        counts.failed += 1.0;
                    }
                }
                self.departures_per_s += 1.0;
                if sampled(request, probability) && self.dots.len() < MAX_DOTS {
                    let real_ms =
                        arrive_us.saturating_sub(event.t_us) as f64 / (1_000.0 * self.speed);
                    let kind = match (role, status) {
                        // A compensation on its way; its answer is drawn like any answer.
                        (CallRole::SagaCompensation, None) => DotKind::Compensation,
                        (_, Some(status)) => DotKind::for_answer(status),
                        (_, None) if attempt > 1 => DotKind::Retry,
                        (_, None) => DotKind::Request,
                    };
                    let route = self.route(from, to);
                    self.dots.push(Dot {
                        request,
                        call,
                        direction,
                        route,
                        kind,
                        start_ms: display_at,
                        duration_ms: real_ms.clamp(MIN_TRAVEL_MS, MAX_TRAVEL_MS.max(MIN_TRAVEL_MS)),
                    });
                }
            }
            EventKind::Pattern(PatternEvent::Resilience(ResilienceEvent::AttemptRejected {
                edge,
                request,
                reason,
            })) if sampled(request, probability) => {
                // A call that never left its caller: a brief sign at the caller's station.
                let scenario = Arc::clone(self.engine.scenario());
                let station = scenario.service(scenario.edge(edge).from).station;
                let route = self.route(station, station);
                let kind = if reason == Status::RateLimited {
                    DotKind::Rejected
                } else {
                    DotKind::ShortCircuited
                };
                if self.dots.len() < MAX_DOTS {
                    self.dots.push(Dot {
                        request,
                        call: CallId(0),
                        direction: Direction::Request,
                        route,
                        kind,
                        start_ms: display_at,
                        duration_ms: MIN_TRAVEL_MS,
                    });
                }
            }
            EventKind::HopLost { call, direction } => {
                if let Some(dot) = self
                    .dots
                    .iter_mut()
                    .rev()
                    .find(|dot| dot.call == call && dot.direction == direction)
                {
                    dot.kind = DotKind::Lost;
                }
            }
            EventKind::RequestCompleted {
                request,
                latency_us,
                ..
            } => {
                self.set_outcome(
                    request,
                    RequestOutcome::Answered {
                        status: Status::Ok,
                        latency_us,
                    },
                );
            }
            EventKind::RequestRejected {
                request,
                latency_us,
                ..
            } => {
                self.set_outcome(
                    request,
                    RequestOutcome::Answered {
                        status: Status::Rejected,
                        latency_us,
                    },
                );
            }
            EventKind::RequestFailed {
                request,
                latency_us,
                status,
                ..
            } => self.set_outcome(request, RequestOutcome::Answered { status, latency_us }),
            EventKind::RequestTimedOut { request, .. } => {
                self.set_outcome(request, RequestOutcome::TimedOut)
            }
            _ => {}
        }
    }

    fn set_outcome(&mut self, request: RequestId, outcome: RequestOutcome) {
        if let Some(trace) = self
            .recent
            .iter_mut()
            .rev()
            .find(|trace| trace.request == request)
        {
            trace.outcome = Some(outcome);
        }
    }

    /// Exponential decay with a one-second time constant: a count per event becomes a rate.
    fn decay(&mut self, wall_dt_ms: f64) {
        let keep = (-wall_dt_ms / 1_000.0).exp();
        self.departures_per_s *= keep;
        self.virtual_s_decayed *= keep;
        for counts in self.hops.values_mut() {
            *counts = counts.scaled(keep);
        }
        self.hops.retain(|_, counts| counts.hops > 0.01);
    }

    fn prune(&mut self) {
        let now = self.display_ms;
        self.dots.retain(|dot| dot.start_ms + dot.duration_ms > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::builtin::load_builtin;

    fn player(id: &str, speed: f64) -> Player {
        let Some(Ok(scenario)) = load_builtin(id) else {
            panic!("{id}")
        };
        let mut player = Player::new(Arc::new(scenario), 1, speed);
        player.set_playing(true);
        player
    }

    #[test]
    fn frames_advance_virtual_time_by_speed_times_wall_time() {
        let mut player = player("mm1", 2.0);
        for _ in 0..60 {
            player.frame(1_000.0 / 60.0);
        }
        let virtual_s = player.engine().now().as_secs_f64();
        assert!((virtual_s - 2.0).abs() < 0.01, "{virtual_s}");
        assert!(!player.is_behind());
    }

    #[test]
    fn flow_rates_are_per_virtual_second_at_any_speed() {
        // mm1: 8 passengers a second walk from Churchgate to the ticket window. The rate shown
        // must be 8/s whether the run plays at 1× or 10× (it used to follow the speed).
        for speed in [1.0, 10.0] {
            let mut player = player("mm1", speed);
            let frames_per_virtual_s = 1_000.0 / 16.0 / speed;
            let (warm_up, measured) = (
                (5.0 * frames_per_virtual_s) as usize,
                (60.0 * frames_per_virtual_s) as usize,
            );
            let mut sum = 0.0;
            for frame in 0..warm_up + measured {
                player.frame(16.0);
                if frame >= warm_up {
                    let client = player.engine().scenario().workload.station;
                    // Outbound only: the answers travel back on the same track.
                    sum += player
                        .flows()
                        .iter()
                        .filter(|f| f.0 == client)
                        .map(|f| f.2)
                        .sum::<f64>();
                }
            }
            let mean = sum / measured as f64;
            assert!(
                (mean - 8.0).abs() < 1.2,
                "{speed}×: {mean:.2} hops per virtual second"
            );
        }
    }

    #[test]
    fn a_jump_runs_ahead_without_drawing_the_way() {
        let mut player = player("zomato-unprotected", 1.0);
        player.frame(16.0);
        let refused = player.handle(&[(1, PlayerRequest::JumpTo(SimTime::from_secs(20)))]);
        assert!(refused.is_empty(), "{refused:?}");
        let now = player.engine().now();
        assert!((19_000_000..=20_000_000).contains(&now.0), "{now:?}");
        assert!(player.dots().is_empty(), "the way is not drawn");
        assert!(
            player.engine().metrics().client.counters.arrived > 1_000,
            "but it happened"
        );
        // Backwards is not a jump (yet): nothing changes.
        let now = player.engine().now();
        assert!(player.jump_to(SimTime::from_secs(5)).is_ok());
        assert_eq!(player.engine().now(), now);
        // Playing on from there draws again.
        for _ in 0..30 {
            player.frame(16.0);
        }
        assert!(!player.dots().is_empty());
    }

    #[test]
    fn paused_means_nothing_moves() {
        let mut player = player("mm1", 1.0);
        player.set_playing(false);
        let outcome = player.frame(16.0);
        assert_eq!(outcome, FrameOutcome::default());
        assert_eq!(player.engine().now(), SimTime::ZERO);
        assert_eq!(player.display_ms(), 0.0);
    }

    #[test]
    fn a_tight_budget_reports_falling_behind_instead_of_freezing() {
        let mut player = player("tail-at-scale", 100.0);
        let outcome = player.frame(250.0);
        assert!(
            outcome.behind,
            "25 s of fan-out needs more than one frame's budget"
        );
        assert!(outcome.events <= FRAME_EVENT_BUDGET);
        assert!(player.is_behind());
    }

    #[test]
    fn dots_appear_move_and_leave() {
        let mut player = player("flipkart", 1.0);
        for _ in 0..120 {
            player.frame(16.0);
        }
        assert!(!player.dots().is_empty(), "requests are in flight");
        let display = player.display_ms();
        assert!(
            player
                .dots()
                .iter()
                .all(|dot| dot.start_ms <= display && dot.progress(display) < 1.0)
        );
        assert!(player.dots().iter().any(|dot| dot.kind == DotKind::Request));
        assert!(player.dots().iter().any(|dot| dot.kind == DotKind::Ok));
        assert!(!player.flows().is_empty());
    }

    #[test]
    fn sampling_keeps_dots_bounded_at_high_rates() {
        let mut player = player("tail-at-scale", 20.0);
        for _ in 0..300 {
            player.frame(16.0);
            assert!(player.dots().len() <= MAX_DOTS);
        }
        assert!(player.sample_probability() < 1.0, "the sampler engaged");
        // Counters stay exact however few dots are drawn.
        let counters = player.engine().metrics().client.counters;
        assert!(counters.arrived > 0);
    }

    #[test]
    fn the_sampler_is_all_or_nothing_per_request() {
        let kept = (1..10_000).filter(|&r| sampled(RequestId(r), 0.3)).count();
        assert!((2_700..3_300).contains(&kept), "{kept}");
        assert!(sampled(RequestId(5), 1.0));
    }

    #[test]
    fn followed_requests_keep_their_outcome_and_trace() {
        let mut player = player("flipkart", 1.0);
        for _ in 0..300 {
            player.frame(16.0);
        }
        let trace = player
            .recent
            .iter()
            .rev()
            .find(|trace| trace.outcome.is_some())
            .expect("some request finished");
        assert_eq!(player.followed(trace.request), Some(trace));
        let spans = player.engine().trace_of(trace.request).expect("traced");
        assert!(spans.spans.len() >= 2, "{spans:?}");
    }

    #[test]
    fn commands_apply_through_the_player() {
        let mut player = player("flipkart", 1.0);
        player.frame(16.0);
        let payment = player
            .engine()
            .scenario()
            .service_named("payment")
            .expect("payment");
        player
            .apply(Command::Crash {
                service: payment,
                instance: 0,
                duration: None,
            })
            .expect("valid");
        assert_eq!(player.engine().command_log().len(), 1);
        assert!(
            player
                .apply(Command::Crash {
                    service: payment,
                    instance: 9,
                    duration: None
                })
                .is_err()
        );
    }

    #[test]
    fn requests_are_carried_out_once_in_order_and_refusals_are_reported() {
        let mut player = player("flipkart", 1.0);
        player.set_playing(false);
        let payment = player
            .engine()
            .scenario()
            .service_named("payment")
            .expect("payment");
        let crash = |instance| {
            PlayerRequest::Apply(Command::Crash {
                service: payment,
                instance,
                duration: None,
            })
        };
        let requests = vec![(1, PlayerRequest::Step), (2, crash(0)), (3, crash(9))];
        let refused = player.handle(&requests);
        assert_eq!(refused.len(), 1, "instance 9 does not exist: {refused:?}");
        assert_eq!(player.engine().command_log().len(), 1);
        assert!(
            player.engine().now() > SimTime::ZERO,
            "the step ran an event"
        );
        // The same list again (the state had not dropped it yet) does nothing twice.
        let now = player.engine().now();
        assert!(player.handle(&requests).is_empty());
        assert_eq!(player.engine().command_log().len(), 1);
        assert_eq!(player.engine().now(), now);
        // A newer request in the list is carried out.
        let mut more = requests.clone();
        more.push((4, PlayerRequest::Apply(Command::Heal)));
        assert!(player.handle(&more).is_empty());
        assert_eq!(player.engine().command_log().len(), 2);
    }
}
