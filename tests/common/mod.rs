//! Helpers the integration tests share: built-in scenarios, random fault schedules, and a driver
//! that plays a command schedule into an engine while the caller checks every step.
// Each test crate compiles this module and uses only part of it.
#![allow(dead_code)]

use lokal::engine::builtin::load_builtin;
use lokal::engine::ids::StationId;
use lokal::engine::rng::SimRng;
use lokal::engine::{Command, Engine, Scenario, SimDuration, SimTime};

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
