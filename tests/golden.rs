//! Golden runs: a checked-in table of `(scenario, seed, command log) → (trace_hash, events)`.
//!
//! Every built-in runs with three seeds, and some runs replay a recorded command log (random
//! faults, heals and live knobs, as a learner would apply them). `trace_hash` folds every event
//! the engine emits, so a row that changes means the simulation itself changed. A refactoring
//! must leave every row alone. A change in behaviour that is meant updates the table in its own
//! commit, whose message says which rows moved and why.
//!
//! The table is `tests/golden/runs.txt`; the command logs are `tests/golden/commands/*.json`,
//! in the format `lokal-cli run --commands` reads. They are replayed the way the CLI replays
//! them: run every event due by a command's time, then apply it.
//!
//! To rewrite the table on purpose: `LOKAL_GOLDEN=write cargo test --release --test golden`.
//! Missing command logs are recorded then (from a random schedule applied to a live run);
//! existing logs are never regenerated, so their rows keep meaning the same inputs.

use lokal::engine::builtin::builtin_ids;
use lokal::engine::{Engine, RecordedCommand, Scenario, SimDuration, SimTime};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod common;
use common::{Step, drive, random_commands};

/// Seeds every built-in runs with.
const SEEDS: [u64; 3] = [1, 7, 2026];

/// Runs that replay a recorded command log: (log name, scenario, seed, seed of its schedule).
const RECORDED: [(&str, &str, u64, u64); 7] = [
    ("flipkart-faults", "flipkart", 11, 101),
    ("irctc-faults", "irctc-tatkal", 12, 102),
    ("zomato-protected-knobs", "zomato-protected", 13, 103),
    ("zomato-retry-storm-knobs", "zomato-retry-storm", 14, 104),
    ("paytm-saga-faults", "paytm-saga", 15, 105),
    ("paytm-choreography-faults", "paytm-choreography", 16, 106),
    ("mmc-faults", "mmc", 17, 107),
];

/// A bound no built-in comes near; a run that hits it is a failure, not a hang.
const MAX_EVENTS: u64 = 200_000_000;

#[derive(Clone, Debug, PartialEq)]
struct Row {
    scenario: String,
    seed: u64,
    /// The command log's name, or `-` for none.
    commands: String,
    trace_hash: String,
    events: u64,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn log_path(name: &str) -> PathBuf {
    golden_dir().join("commands").join(format!("{name}.json"))
}

fn builtin(id: &str) -> Arc<Scenario> {
    Arc::new(common::builtin(id))
}

fn read_log(name: &str) -> Vec<RecordedCommand> {
    let path = log_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (LOKAL_GOLDEN=write records it)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `scenario` with `seed` to the end, replaying `log` as the CLI does.
fn run(scenario: &Arc<Scenario>, seed: u64, log: &[RecordedCommand]) -> (String, u64) {
    let mut engine = Engine::new(Arc::clone(scenario), seed);
    for recorded in log {
        engine
            .advance_until(recorded.at(), MAX_EVENTS)
            .expect("within the bound");
        let command = recorded
            .command
            .resolve(engine.scenario())
            .expect("the log fits its scenario");
        engine.apply(command).expect("a valid command");
    }
    engine.run_until_idle(MAX_EVENTS).expect("within the bound");
    (
        format!("{:016x}", engine.trace_hash()),
        engine.events_processed(),
    )
}

/// Applies a random schedule to a live run and keeps the log the engine recorded.
fn record_log(scenario: &Arc<Scenario>, seed: u64, schedule_seed: u64) -> Vec<RecordedCommand> {
    let horizon_us = scenario.duration.0;
    let mut commands = random_commands(scenario, schedule_seed, horizon_us);
    // Every recorded run has a few commands more than the random count guarantees.
    for extra in random_commands(scenario, schedule_seed + 1_000, horizon_us) {
        commands.push(extra);
    }
    commands.sort_by_key(|(at, _)| *at);
    let mut engine = Engine::new(Arc::clone(scenario), seed);
    drive(&mut engine, &commands, MAX_EVENTS, |_, _: Step| Ok(())).expect("the run ends");
    engine.command_log().to_vec()
}

/// Every row the table must hold, computed now.
fn compute_rows(write_missing_logs: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for id in builtin_ids() {
        let scenario = builtin(id);
        for seed in SEEDS {
            let (trace_hash, events) = run(&scenario, seed, &[]);
            rows.push(Row {
                scenario: id.to_string(),
                seed,
                commands: "-".to_string(),
                trace_hash,
                events,
            });
        }
    }
    for (name, id, seed, schedule_seed) in RECORDED {
        let scenario = builtin(id);
        if write_missing_logs && !log_path(name).exists() {
            let log = record_log(&scenario, seed, schedule_seed);
            assert!(log.len() >= 2, "{name}: only {} commands", log.len());
            let text = serde_json::to_string_pretty(&log).expect("serialise");
            std::fs::create_dir_all(golden_dir().join("commands")).expect("mkdir");
            std::fs::write(log_path(name), text + "\n").expect("write the log");
        }
        let log = read_log(name);
        let (trace_hash, events) = run(&scenario, seed, &log);
        rows.push(Row {
            scenario: id.to_string(),
            seed,
            commands: name.to_string(),
            trace_hash,
            events,
        });
    }
    rows
}

fn parse_table(text: &str) -> Vec<Row> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let [scenario, seed, commands, trace_hash, events] = cells[..] else {
                panic!("a row has five cells: {line:?}");
            };
            Row {
                scenario: scenario.to_string(),
                seed: seed.parse().expect("seed"),
                commands: commands.to_string(),
                trace_hash: trace_hash.to_string(),
                events: events.parse().expect("events"),
            }
        })
        .collect()
}

fn format_table(rows: &[Row]) -> String {
    let mut text = String::from(
        "# Golden runs: each row must stay exactly as it is (tests/golden.rs explains the rules).\n\
         # A deliberate change in behaviour rewrites this file in its own commit, saying why.\n",
    );
    let _ = writeln!(
        text,
        "{:<27} {:>5}  {:<27} {:<16}  {:>11}",
        "# scenario", "seed", "commands", "trace_hash", "events"
    );
    for row in rows {
        let _ = writeln!(
            text,
            "{:<27} {:>5}  {:<27} {}  {:>11}",
            row.scenario, row.seed, row.commands, row.trace_hash, row.events
        );
    }
    text
}

#[test]
fn every_golden_run_is_unchanged() {
    let table_path = golden_dir().join("runs.txt");
    if std::env::var("LOKAL_GOLDEN").as_deref() == Ok("write") {
        let rows = compute_rows(true);
        std::fs::write(&table_path, format_table(&rows)).expect("write the table");
        println!("wrote {} rows to {}", rows.len(), table_path.display());
        return;
    }
    let text = std::fs::read_to_string(&table_path).expect("tests/golden/runs.txt");
    let expected = parse_table(&text);
    let actual = compute_rows(false);
    let builtins = builtin_ids().count();
    assert!(
        expected.len() >= builtins * SEEDS.len() + 5,
        "the table has {} rows; every built-in × {} seeds plus the recorded runs are required",
        expected.len(),
        SEEDS.len()
    );
    let mut differences = Vec::new();
    for row in &expected {
        match actual.iter().find(|a| {
            a.scenario == row.scenario && a.seed == row.seed && a.commands == row.commands
        }) {
            Some(now) if now == row => {}
            Some(now) => differences.push(format!(
                "{} seed {} commands {}: expected {} after {} events, got {} after {}",
                row.scenario,
                row.seed,
                row.commands,
                row.trace_hash,
                row.events,
                now.trace_hash,
                now.events
            )),
            None => differences.push(format!(
                "{} seed {} commands {}: no such run any more",
                row.scenario, row.seed, row.commands
            )),
        }
    }
    for now in &actual {
        if !expected.iter().any(|row| {
            row.scenario == now.scenario && row.seed == now.seed && row.commands == now.commands
        }) {
            differences.push(format!(
                "{} seed {} commands {}: a run the table lacks",
                now.scenario, now.seed, now.commands
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} golden runs differ:\n{}",
        differences.len(),
        expected.len(),
        differences.join("\n")
    );
}

#[test]
fn the_recorded_logs_hold_faults_and_knobs() {
    let mut kinds = std::collections::BTreeSet::new();
    for (name, id, _, _) in RECORDED {
        let log = read_log(name);
        assert!(log.len() >= 2, "{name}: {} commands", log.len());
        let scenario = builtin(id);
        let mut last = SimTime::ZERO;
        for recorded in &log {
            assert!(recorded.at() >= last, "{name}: the log goes back in time");
            last = recorded.at();
            assert!(
                recorded.at() < SimTime::ZERO + scenario.duration + SimDuration::from_secs(600),
                "{name}: a command long after the run"
            );
            let json = serde_json::to_value(&recorded.command).expect("json");
            kinds.insert(json["kind"].as_str().unwrap_or_default().to_string());
        }
    }
    for kind in ["crash", "slow", "errors", "set_policy"] {
        assert!(kinds.contains(kind), "no recorded log has a {kind} command");
    }
}
