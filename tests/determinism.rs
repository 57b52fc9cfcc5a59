//! Determinism and invariants: the same seed gives the same run; a recorded command log replays
//! exactly; a sweep over many seeds with random fault schedules checks the invariants after every
//! single event.
//!
//! The sweep honours two environment variables: `LOKAL_SWEEP_SEEDS` (how many seeds, default
//! 100) and `LOKAL_SWEEP_SEED` (run just that one seed). A failure prints the command that
//! reproduces it.

use lokal::engine::builtin::builtin_ids;
use lokal::engine::{Command, Engine, Scenario, SimDuration, SimTime};
use std::sync::Arc;

mod common;
use common::{Step, drive, random_commands};

fn builtin(id: &str) -> Arc<Scenario> {
    Arc::new(common::builtin(id))
}

fn run_hash(scenario: &Arc<Scenario>, seed: u64) -> (u64, u64) {
    let mut engine = Engine::new(Arc::clone(scenario), seed);
    engine.run_until_idle(u64::MAX).expect("finite");
    (engine.trace_hash(), engine.events_processed())
}

#[test]
fn same_seed_same_trace_hash_for_every_builtin() {
    for id in builtin_ids() {
        let scenario = builtin(id);
        let first = run_hash(&scenario, 42);
        let second = run_hash(&scenario, 42);
        assert_eq!(first, second, "{id}: two runs with seed 42 differ");
        let other = run_hash(&scenario, 43);
        assert_ne!(first.0, other.0, "{id}: seeds 42 and 43 gave the same run");
    }
}

#[test]
fn recording_events_does_not_change_the_run() {
    let scenario = builtin("flipkart");
    let quiet = run_hash(&scenario, 5);
    let mut engine = Engine::new(Arc::clone(&scenario), 5);
    engine.set_recording(true);
    let mut recorded = 0;
    while engine.step().is_some() {
        recorded += engine.drain_events().len() as u64;
    }
    assert_eq!((engine.trace_hash(), engine.events_processed()), quiet);
    assert_eq!(recorded, quiet.1, "every emitted event is handed out");
}

#[test]
fn stepping_in_slices_gives_the_same_run_as_one_go() {
    let scenario = builtin("irctc-tatkal");
    let whole = run_hash(&scenario, 9);
    let mut engine = Engine::new(Arc::clone(&scenario), 9);
    let mut t = SimTime::ZERO;
    loop {
        t += SimDuration::from_millis(16);
        engine.advance_until(t, 500).ok();
        if engine.is_idle() {
            break;
        }
    }
    assert_eq!((engine.trace_hash(), engine.events_processed()), whole);
}

#[test]
fn a_command_log_replays_the_run_exactly() {
    let scenario = builtin("flipkart");
    let payment = scenario.service_named("payment").expect("payment");
    let catalog = scenario.service_named("catalog").expect("catalog");
    let live_commands = [
        (
            7_250_000,
            Command::Crash {
                service: payment,
                instance: 1,
                duration: Some(SimDuration::from_secs(5)),
            },
        ),
        (
            9_000_001,
            Command::Slow {
                service: catalog,
                instance: None,
                factor: 8.0,
                duration: None,
            },
        ),
        (20_500_000, Command::Heal),
    ];
    let mut live = Engine::new(Arc::clone(&scenario), 77);
    for (at, command) in &live_commands {
        live.advance_until(SimTime(*at), u64::MAX).expect("finite");
        live.apply(command.clone()).expect("valid command");
    }
    live.run_until_idle(u64::MAX).expect("finite");
    let log = live.command_log().to_vec();
    assert_eq!(log.len(), 3);

    // The log goes through JSON, as the CLI and the browser store it.
    let json = serde_json::to_string(&log).expect("serialise");
    let parsed: Vec<lokal::engine::RecordedCommand> = serde_json::from_str(&json).expect("parse");
    let mut replay = Engine::new(Arc::clone(&scenario), 77);
    for recorded in &parsed {
        replay
            .advance_until(recorded.at(), u64::MAX)
            .expect("finite");
        let command = recorded.command.resolve(&scenario).expect("resolves");
        replay.apply(command).expect("valid");
    }
    replay.run_until_idle(u64::MAX).expect("finite");
    assert_eq!(replay.trace_hash(), live.trace_hash());
    assert_eq!(replay.report(), live.report());

    let untouched = run_hash(&scenario, 77);
    assert_ne!(
        untouched.0,
        live.trace_hash(),
        "the commands changed the run"
    );
}

#[test]
fn adding_a_service_leaves_other_components_draws_alone() {
    // The seat service's service times come from its own stream: the same whether or not an
    // unrelated service exists. Compare the first calls' durations through recorded events.
    let base = lokal::engine::builtin::builtin_source("irctc-tatkal").expect("source");
    let extended = format!(
        "{base}\n[[services]]\nname = \"extra\"\nstation = \"Airoli\"\n[[services.endpoints]]\nname = \"noop\"\n"
    );
    let first_hold_durations = |text: &str| {
        let scenario = Arc::new(lokal::engine::parse_scenario(text).expect("valid"));
        let seats = scenario.service_named("seats").expect("seats");
        let mut engine = Engine::new(Arc::clone(&scenario), 21);
        engine.set_recording(true);
        let mut started = std::collections::BTreeMap::new();
        let mut durations = Vec::new();
        while durations.len() < 50 && engine.step().is_some() {
            for event in engine.drain_events() {
                match event.kind {
                    lokal::engine::EventKind::CallStarted { call, instance }
                        if scenario.instances[instance.index()].service == seats =>
                    {
                        started.insert(call, event.t_us);
                    }
                    lokal::engine::EventKind::CallFinished { call, .. } => {
                        if let Some(start) = started.remove(&call) {
                            durations.push(event.t_us - start);
                        }
                    }
                    _ => {}
                }
            }
        }
        durations.sort_unstable();
        durations
    };
    assert_eq!(first_hold_durations(base), first_hold_durations(&extended));
}

fn sweep_one(scenario_id: &str, seed: u64) -> Result<(), String> {
    let mut scenario = (*builtin(scenario_id)).clone();
    scenario.duration = SimDuration::from_secs(12);
    let scenario = Arc::new(scenario);
    let commands = random_commands(&scenario, seed, 12_000_000);
    let mut engine = Engine::new(Arc::clone(&scenario), seed);
    let mut last_now = SimTime::ZERO;
    let mut check = |engine: &Engine, what: &str| -> Result<(), String> {
        if engine.now() < last_now {
            return Err(format!(
                "{what}: time went back from {last_now} to {}",
                engine.now()
            ));
        }
        last_now = engine.now();
        engine
            .check_invariants()
            .map_err(|v| format!("{what}: {v}"))
    };
    drive(
        &mut engine,
        &commands,
        20_000_000,
        |engine, step| match step {
            Step::Command(command) => check(engine, &format!("after command {command:?}")),
            Step::Event(count) => {
                check(engine, &format!("after event {count} at {}", engine.now()))
            }
        },
    )?;
    let report = engine.report();
    if report.in_flight != 0 {
        return Err(format!(
            "{} requests still in flight when the run went idle",
            report.in_flight
        ));
    }
    Ok(())
}

#[test]
fn sweep_seeds_with_random_faults_checking_invariants_after_every_event() {
    let seeds: Vec<u64> = match std::env::var("LOKAL_SWEEP_SEED") {
        Ok(one) => vec![one.parse().expect("LOKAL_SWEEP_SEED is a number")],
        Err(_) => {
            let count = std::env::var("LOKAL_SWEEP_SEEDS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(100u64);
            (1..=count).collect()
        }
    };
    let scenarios = [
        "flipkart",
        "irctc-tatkal",
        "mm1",
        "zomato-protected",
        "zomato-retry-storm",
    ];
    let mut failures = Vec::new();
    for &seed in &seeds {
        let scenario_id = scenarios[(seed % scenarios.len() as u64) as usize];
        if let Err(problem) = sweep_one(scenario_id, seed) {
            failures.push(format!(
                "seed {seed} ({scenario_id}): {problem}\n  reproduce: LOKAL_SWEEP_SEED={seed} cargo test --release --test determinism sweep -- --nocapture"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed:\n{}",
        failures.len(),
        seeds.len(),
        failures.join("\n")
    );
    println!(
        "{} seeds swept, invariants held after every event",
        seeds.len()
    );
}

/// Applies each command at its time and runs to the end, giving every event recorded on the
/// way.
fn run_on_recording(
    engine: &mut Engine,
    commands: &[(u64, Command)],
) -> Vec<lokal::engine::EngineEvent> {
    let mut events = Vec::new();
    drive(engine, commands, u64::MAX, |engine, _: Step| {
        events.extend(engine.drain_events());
        Ok(())
    })
    .expect("finite, valid commands");
    events
}

#[test]
fn a_clone_taken_midway_runs_on_exactly_like_the_original() {
    for id in builtin_ids() {
        let scenario = builtin(id);
        for seed in [3, 2026] {
            let midway = SimTime(scenario.duration.0 / 2);
            let commands = random_commands(&scenario, seed, scenario.duration.0);
            let mut original = Engine::new(Arc::clone(&scenario), seed);
            original.set_recording(true);
            for (at, command) in commands.iter().filter(|(at, _)| *at < midway.0) {
                original
                    .advance_until(SimTime(*at), u64::MAX)
                    .expect("finite");
                original.apply(command.clone()).expect("a valid command");
            }
            original.advance_until(midway, u64::MAX).expect("finite");
            original.drain_events();
            assert!(
                original.events_processed() > 0,
                "{id}: nothing ran by {midway}"
            );

            let mut copy = original.clone();
            assert!(
                format!("{copy:?}").contains("now"),
                "{id}: Debug shows the position"
            );
            if seed == 3 {
                let whole = format!("{copy:#?}");
                assert!(
                    whole.contains("queue") && whole.contains("patterns"),
                    "{id}"
                );
            }
            let later = |(at, _): &&(u64, Command)| *at >= midway.0;
            let rest: Vec<(u64, Command)> = commands.iter().filter(later).cloned().collect();
            let from_original = run_on_recording(&mut original, &rest);
            let from_copy = run_on_recording(&mut copy, &rest);
            assert!(
                !from_original.is_empty(),
                "{id}/{seed}: nothing after {midway}"
            );
            assert_eq!(
                from_copy.len(),
                from_original.len(),
                "{id}/{seed}: the clone ran a different number of events"
            );
            if let Some(at) = from_copy
                .iter()
                .zip(&from_original)
                .position(|(a, b)| a != b)
            {
                panic!(
                    "{id}/{seed}: event {at} after the clone differs: {:?} vs {:?}",
                    from_copy[at], from_original[at]
                );
            }
            assert_eq!(copy.trace_hash(), original.trace_hash(), "{id}/{seed}");
            assert_eq!(copy.report(), original.report(), "{id}/{seed}");
            assert_eq!(copy.command_log(), original.command_log(), "{id}/{seed}");
        }
    }
}

#[test]
fn a_clone_goes_its_own_way_without_touching_the_original() {
    let scenario = builtin("flipkart");
    let payment = scenario.service_named("payment").expect("payment");
    let midway = SimTime(scenario.duration.0 / 2);
    let mut original = Engine::new(Arc::clone(&scenario), 8);
    original.advance_until(midway, u64::MAX).expect("finite");
    let mut copy = original.clone();
    copy.apply(Command::Crash {
        service: payment,
        instance: 0,
        duration: None,
    })
    .expect("valid");
    copy.run_until_idle(u64::MAX).expect("finite");
    original.run_until_idle(u64::MAX).expect("finite");
    assert_eq!(
        original.command_log().len(),
        0,
        "the clone's command is its own"
    );
    assert_eq!(copy.command_log().len(), 1);
    assert_eq!(
        (original.trace_hash(), original.events_processed()),
        run_hash(&scenario, 8),
        "the original runs as if never cloned"
    );
    assert_ne!(copy.trace_hash(), original.trace_hash());
}
