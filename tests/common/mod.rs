//! Helpers the integration tests share: built-in scenarios, random fault schedules, and a driver
//! that plays a command schedule into an engine while the caller checks every step.
// Each test crate compiles this module and uses only part of it.
#![allow(dead_code)]

use lokal::engine::builtin::load_builtin;
use lokal::engine::ids::StationId;
use lokal::engine::rng::SimRng;
use lokal::engine::{Command, Engine, Scenario, SimDuration, SimTime};
use std::path::{Path, PathBuf};

/// A built-in scenario, parsed and validated.
pub fn builtin(id: &str) -> Scenario {
    match load_builtin(id) {
        Some(Ok(scenario)) => scenario,
        other => panic!("built-in {id}: {other:?}"),
    }
}

/// One fault at a random time within `horizon_us` on a random service: a crash, a slowdown,
/// injected errors, a partition between two stations, or a restart. It lasts up to
/// `max_duration_us`, or, when `open_ended`, one time in three until something heals it.
pub fn random_fault(
    scenario: &Scenario,
    rng: &mut SimRng,
    horizon_us: u64,
    max_duration_us: u64,
    open_ended: bool,
) -> (u64, Command) {
    let at = rng.below(horizon_us);
    let service = scenario.services[rng.below(scenario.services.len() as u64) as usize].id;
    let instance = rng.below(scenario.service(service).instances.len() as u64) as u32;
    let duration = match rng.below(3) {
        0 if open_ended => None,
        _ => Some(SimDuration(1 + rng.below(max_duration_us))),
    };
    let command = match rng.below(6) {
        0 => Command::Crash {
            service,
            instance,
            duration,
        },
        1 => Command::Slow {
            service,
            instance: (rng.below(2) == 0).then_some(instance),
            factor: 1.0 + rng.next_f64() * 30.0,
            duration,
        },
        2 | 3 => Command::Errors {
            service,
            instance: (rng.below(2) == 0).then_some(instance),
            probability: rng.next_f64(),
            duration,
        },
        4 => {
            let stations = scenario.stations.len() as u64;
            let a = rng.below(stations) as u32;
            let b = (a + 1 + rng.below(stations - 1) as u32) % stations as u32;
            Command::Partition {
                a: StationId(a),
                b: StationId(b),
                duration,
            }
        }
        _ => Command::Restart { service, instance },
    };
    (at, command)
}

/// What `drive` has just done, for the caller's checks.
pub enum Step<'a> {
    Command(&'a Command),
    Event(u64),
}

/// Runs `engine` until it is idle, applying each `(at_us, command)` of `commands` (in time
/// order) once every event due by then has run, and calling `after` after each command and each
/// event. Gives up with an error after `max_events` events. Returns the events processed.
pub fn drive(
    engine: &mut Engine,
    commands: &[(u64, Command)],
    max_events: u64,
    mut after: impl FnMut(&mut Engine, Step) -> Result<(), String>,
) -> Result<u64, String> {
    let mut pending = commands.iter().peekable();
    let mut events = 0u64;
    loop {
        if let Some((at, command)) = pending.peek()
            && engine.next_event_time().is_none_or(|t| t.0 > *at)
        {
            engine
                .advance_until(SimTime(*at), 0)
                .map_err(|e| e.to_string())?;
            engine
                .apply(command.clone())
                .map_err(|e| format!("command {command:?}: {e}"))?;
            after(engine, Step::Command(command))?;
            pending.next();
            continue;
        }
        if engine.step().is_none() {
            return Ok(events);
        }
        events += 1;
        after(engine, Step::Event(events))?;
        if events > max_events {
            return Err(format!("did not finish within {max_events} events"));
        }
    }
}

/// A random, valid live knob.
pub fn random_knob(rng: &mut SimRng) -> lokal::engine::resilience::PolicyChange {
    use lokal::engine::resilience::{BreakerState, Fallback, PolicyChange};
    match rng.below(12) {
        0 => PolicyChange::TimeoutUs(Some(1_000 + rng.below(2_000_000))),
        1 => PolicyChange::TimeoutUs(None),
        2 => PolicyChange::RetryMaxAttempts(1 + rng.below(5) as u32),
        3 => PolicyChange::RetryBudgetPercent(Some(rng.next_f64() * 100.0)),
        4 => PolicyChange::BreakerFailureRate(rng.next_f64() * 100.0),
        5 => PolicyChange::BreakerMinimumCalls(1 + rng.below(50) as u32),
        6 => PolicyChange::BreakerWaitInOpenUs(1_000 + rng.below(5_000_000)),
        7 => PolicyChange::BreakerState(
            [
                BreakerState::Closed,
                BreakerState::ForcedOpen,
                BreakerState::Disabled,
            ][rng.below(3) as usize],
        ),
        8 => PolicyChange::BulkheadMaxConcurrent(Some(1 + rng.below(20) as u32)),
        9 => PolicyChange::BulkheadMaxConcurrent(None),
        10 => PolicyChange::RateLimitPerPeriod(Some(1 + rng.below(100) as u32)),
        _ => PolicyChange::Fallback(
            [None, Some(Fallback::Static), Some(Fallback::Cached)][rng.below(3) as usize],
        ),
    }
}

/// A random schedule of commands for `seed`, drawn from the test's own stream: faults, heals
/// and live knobs, sorted by time.
pub fn random_commands(scenario: &Scenario, seed: u64, horizon_us: u64) -> Vec<(u64, Command)> {
    let mut rng = SimRng::derive(seed, "test/fault-schedule");
    let count = 1 + rng.below(8);
    let mut commands = Vec::new();
    for _ in 0..count {
        if !scenario.edges.is_empty() && rng.below(3) == 0 {
            let edge = lokal::engine::ids::EdgeId(rng.below(scenario.edges.len() as u64) as u32);
            let at = rng.below(horizon_us);
            let change = random_knob(&mut rng);
            commands.push((
                at,
                lokal::engine::resilience::Command::set_policy(edge, change),
            ));
        } else if rng.below(8) == 0 {
            commands.push((rng.below(horizon_us), Command::Heal));
        } else {
            commands.push(random_fault(
                scenario, &mut rng, horizon_us, 8_000_000, true,
            ));
        }
    }
    commands.sort_by_key(|(at, _)| *at);
    commands
}

/// Every `.rs` file under `dir`, in path order (the source-reading tests walk the tree).
pub fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("readable")
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}
