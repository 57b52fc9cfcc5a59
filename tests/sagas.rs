//! Sagas, checked from the outside: the event stream alone must show every run ending completed
//! or fully compensated, compensations in reverse order and only for steps that completed,
//! retries until a compensation succeeds, and semantic locks seen only while a run is in flight.
//! A sweep over at least 100 seeds with random faults (crashes, slow-downs, errors, partitions,
//! restarts), alternating orchestration and choreography, applies every check to every run.
//!
//! `LOKAL_SAGA_SEEDS` sets how many seeds (default 100); `LOKAL_SAGA_SEED` runs just one.

use lokal::engine::CallRole;
use lokal::engine::ids::StationId;
use lokal::engine::rng::SimRng;
use lokal::engine::saga::SagaOutcome;
use lokal::engine::saga::{Event as SagaEvent, SagaMode};
use lokal::engine::{Command, Engine, EngineEvent, Scenario, SimDuration, parse_scenario};
use lokal::engine::{EventKind, Status};
use std::collections::BTreeMap;
use std::sync::Arc;

mod common;
use common::{Step, builtin, drive, random_fault};

/// What the event stream says about one saga run.
#[derive(Debug, Default)]
struct RunStory {
    started_us: u64,
    finished: Option<(u64, SagaOutcome)>,
    /// (step, compensation?, attempt, status or None for a start), in order.
    steps: Vec<(u16, bool, u32, Option<Status>)>,
}

fn stories(events: &[EngineEvent]) -> BTreeMap<u64, RunStory> {
    let mut runs: BTreeMap<u64, RunStory> = BTreeMap::new();
    for event in events {
        let Some(saga_event) = event.kind.saga() else {
            continue;
        };
        match saga_event {
            SagaEvent::SagaStarted { run, .. } => {
                let story = runs.entry(*run).or_default();
                assert_eq!(story.started_us, 0, "run {run} started twice");
                story.started_us = event.t_us.max(1);
            }
            SagaEvent::SagaStep {
                run,
                step,
                compensation,
                attempt,
                status,
            } => runs
                .get_mut(run)
                .unwrap_or_else(|| panic!("a step of run {run}, which never started"))
                .steps
                .push((*step, *compensation, *attempt, *status)),
            SagaEvent::SagaFinished { run, outcome } => {
                let story = runs.get_mut(run).expect("finished runs started");
                assert!(story.finished.is_none(), "run {run} finished twice");
                story.finished = Some((event.t_us, *outcome));
            }
            SagaEvent::SemanticLockObserved { .. } => {}
        }
    }
    runs
}

/// Checks one run's story against the saga's definition. `pivot` and which steps have
/// compensations come from the scenario.
fn check_story(
    run: u64,
    story: &RunStory,
    pivot: usize,
    compensatable: &[bool],
) -> Result<(), String> {
    let steps = compensatable.len();
    let Some((_, outcome)) = story.finished else {
        return Err(format!("run {run} never finished: {:?}", story.steps));
    };
    // Actions ran in order; each step's last action result decides whether it completed.
    let mut completed = vec![false; steps];
    let mut compensated = vec![false; steps];
    let mut compensation_order = Vec::new();
    let mut compensating = false;
    let mut last_action_step: Option<u16> = None;
    for &(step, is_compensation, _attempt, status) in &story.steps {
        let s = usize::from(step);
        if s >= steps {
            return Err(format!("run {run}: step {s} does not exist"));
        }
        if is_compensation {
            compensating = true;
            if !completed[s] {
                return Err(format!(
                    "run {run}: compensation of step {s}, which never completed"
                ));
            }
            if s >= pivot || !compensatable[s] {
                return Err(format!(
                    "run {run}: step {s} is not compensatable but was compensated"
                ));
            }
            if compensated[s] {
                return Err(format!(
                    "run {run}: step {s} compensated again after it succeeded"
                ));
            }
            match status {
                None => {
                    if compensation_order.last() != Some(&s) {
                        compensation_order.push(s);
                    }
                }
                Some(Status::Ok) => compensated[s] = true,
                Some(_) => {} // retried until it succeeds
            }
        } else {
            if compensating {
                return Err(format!(
                    "run {run}: action of step {s} after compensation began"
                ));
            }
            if let Some(previous) = last_action_step
                && step < previous
            {
                return Err(format!(
                    "run {run}: action of step {s} after step {previous}"
                ));
            }
            if s > 0 && !completed[s - 1] && status.is_none() {
                return Err(format!(
                    "run {run}: step {s} began before step {} completed",
                    s - 1
                ));
            }
            last_action_step = Some(step);
            if status == Some(Status::Ok) {
                completed[s] = true;
            }
        }
    }
    // Reverse order: each compensation's step is below the previous one's.
    if compensation_order.windows(2).any(|w| w[1] >= w[0]) {
        return Err(format!(
            "run {run}: compensations not in reverse order: {compensation_order:?}"
        ));
    }
    match outcome {
        SagaOutcome::Completed => {
            if !completed.iter().all(|&c| c) {
                return Err(format!(
                    "run {run}: completed, but steps {completed:?} did not all complete"
                ));
            }
            if !compensation_order.is_empty() {
                return Err(format!("run {run}: completed, yet compensations ran"));
            }
        }
        SagaOutcome::Compensated => {
            if completed[pivot] {
                return Err(format!(
                    "run {run}: compensated after the pivot had succeeded"
                ));
            }
            for s in 0..steps {
                if completed[s] && compensatable[s] && !compensated[s] {
                    return Err(format!(
                        "run {run}: half done — step {s} completed and was never compensated"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A random fault schedule within `horizon_us`, ending with a Heal so that every compensation
/// (retried until it succeeds) can finish.
fn random_faults(scenario: &Scenario, seed: u64, horizon_us: u64) -> Vec<(u64, Command)> {
    let mut rng = SimRng::derive(seed, "test/saga-faults");
    let count = 2 + rng.below(8);
    let mut commands: Vec<(u64, Command)> = (0..count)
        .map(|_| random_fault(scenario, &mut rng, horizon_us, 15_000_000, true))
        .collect();
    commands.sort_by_key(|(at, _)| *at);
    commands.push((horizon_us, Command::Heal));
    commands
}

/// Runs `scenario` with `commands`, checking the engine's invariants after every event.
fn run_with(
    scenario: Scenario,
    seed: u64,
    commands: &[(u64, Command)],
) -> Result<(Engine, Vec<EngineEvent>), String> {
    let mut engine = Engine::new(Arc::new(scenario), seed);
    engine.set_recording(true);
    let mut events = Vec::new();
    drive(&mut engine, commands, 30_000_000, |engine, step| {
        events.extend(engine.drain_events());
        match step {
            Step::Event(count) if count.is_multiple_of(7) => engine
                .check_invariants()
                .map_err(|v| format!("at {}: {v}", engine.now())),
            _ => Ok(()),
        }
    })?;
    events.extend(engine.drain_events());
    engine.check_invariants()?;
    Ok((engine, events))
}

fn check_all_runs(engine: &Engine, events: &[EngineEvent]) -> Result<(usize, usize), String> {
    let scenario = engine.scenario();
    let saga = &scenario.sagas()[0];
    let compensatable: Vec<bool> = saga
        .steps
        .iter()
        .map(|s| s.compensation.is_some())
        .collect();
    let runs = stories(events);
    let mut outcomes = (0, 0);
    for (run, story) in &runs {
        check_story(*run, story, saga.pivot, &compensatable)?;
        match story.finished {
            Some((_, SagaOutcome::Completed)) => outcomes.0 += 1,
            _ => outcomes.1 += 1,
        }
    }
    let counters = engine.pattern_views().saga.counters[0];
    if counters.started != runs.len() as u64
        || counters.completed != outcomes.0 as u64
        || counters.compensated != outcomes.1 as u64
    {
        return Err(format!(
            "counters {counters:?} disagree with the events: {outcomes:?} of {}",
            runs.len()
        ));
    }
    // Semantic locks are seen only while their run is in flight.
    for event in events {
        if let Some(SagaEvent::SemanticLockObserved { run, .. }) = event.kind.saga() {
            let run = *run;
            let story = &runs[&run];
            let (finished_us, _) = story.finished.expect("checked above");
            if event.t_us < story.started_us.saturating_sub(1) || event.t_us > finished_us {
                return Err(format!(
                    "run {run}'s lock seen at {} µs, outside its life",
                    event.t_us
                ));
            }
        }
    }
    Ok(outcomes)
}

#[test]
fn sweep_seeds_with_random_faults_every_saga_ends_completed_or_fully_compensated() {
    let seeds: Vec<u64> = match std::env::var("LOKAL_SAGA_SEED") {
        Ok(one) => vec![one.parse().expect("LOKAL_SAGA_SEED is a number")],
        Err(_) => {
            let count = std::env::var("LOKAL_SAGA_SEEDS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(100u64);
            (1..=count).collect()
        }
    };
    let mut failures = Vec::new();
    let (mut completed, mut compensated, mut compensation_retries) = (0, 0, 0u64);
    for &seed in &seeds {
        let id = if seed % 2 == 0 {
            "paytm-saga"
        } else {
            "paytm-choreography"
        };
        let mut scenario = builtin(id);
        scenario.duration = SimDuration::from_secs(20);
        let commands = random_faults(&scenario, seed, 25_000_000);
        let result = run_with(scenario, seed, &commands).and_then(|(engine, events)| {
            let outcome = check_all_runs(&engine, &events)?;
            compensation_retries += engine.pattern_views().saga.counters[0].retries;
            Ok(outcome)
        });
        match result {
            Ok((c, k)) => {
                completed += c;
                compensated += k;
            }
            Err(problem) => failures.push(format!(
                "seed {seed} ({id}): {problem}\n  reproduce: LOKAL_SAGA_SEED={seed} cargo test --release --test sagas sweep -- --nocapture"
            )),
        }
    }
    println!(
        "{} seeds: {completed} sagas completed, {compensated} compensated, {compensation_retries} retries",
        seeds.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed:\n{}",
        failures.len(),
        seeds.len(),
        failures.join("\n")
    );
    if seeds.len() >= 20 {
        assert!(
            completed > 100 && compensated > 100,
            "the sweep should see both outcomes often: {completed} completed, {compensated} compensated"
        );
        assert!(
            compensation_retries > 0,
            "faults should make some steps retry"
        );
    }
}

/// A saga where step two always fails: step one is compensated, step two never is.
fn failing_saga(mode: &str, release_error_rate: f64, users: u32) -> Scenario {
    let text = format!(
        r#"
        id = "saga-test"
        duration = "2s"
        [[lines]]
        name = "L"
        stations = ["A", "B", "C", "D"]
        [network]
        latency = "1ms"
        [[services]]
        name = "start"
        station = "A"
        workers = 100
        [[services.endpoints]]
        name = "go"
        service_time = "1ms"
        [[services]]
        name = "stock"
        station = "B"
        workers = 100
        [[services.endpoints]]
        name = "reserve"
        service_time = "2ms"
        [[services.endpoints]]
        name = "release"
        service_time = "2ms"
        error_rate = {release_error_rate}
        [[services.endpoints]]
        name = "peek"
        service_time = "1ms"
        observes_saga = "buy"
        [[services]]
        name = "pay"
        station = "C"
        workers = 100
        [[services.endpoints]]
        name = "charge"
        service_time = "5ms"
        error_rate = 1.0
        [[services]]
        name = "ship"
        station = "D"
        workers = 100
        [[services.endpoints]]
        name = "send"
        service_time = "5ms"
        [[sagas]]
        name = "buy"
        start = "start.go"
        mode = "{mode}"
        compensation_retry = {{ initial = "100ms", multiplier = 2, max = "1s" }}
        [[sagas.steps]]
        name = "reserve"
        action = "stock.reserve"
        compensation = "stock.release"
        [[sagas.steps]]
        name = "charge"
        action = "pay.charge"
        pivot = true
        [[sagas.steps]]
        name = "send"
        action = "ship.send"
        [workload]
        station = "A"
        rate = "20/s"
        [[workload.mix]]
        endpoint = "start.go"
        weight = 3
        [[workload.mix]]
        endpoint = "stock.peek"
        weight = 1
        [workload.attributes]
        users = {users}
        "#
    );
    parse_scenario(&text).unwrap_or_else(|problems| panic!("{problems:#?}"))
}

#[test]
fn a_failed_pivot_compensates_the_steps_before_it_and_nothing_else() {
    for mode in ["orchestration", "choreography"] {
        let (engine, events) = run_with(failing_saga(mode, 0.0, 100000), 3, &[]).expect("runs");
        let (completed, compensated) = check_all_runs(&engine, &events).expect("well-behaved");
        assert_eq!(completed, 0, "{mode}: the pivot always fails");
        assert!(compensated > 20, "{mode}: {compensated} runs");
        // Every run compensated exactly step 0, once, and never step 1 or 2.
        for story in stories(&events).values() {
            let compensations: Vec<u16> = story
                .steps
                .iter()
                .filter(|s| s.1 && s.3.is_none())
                .map(|s| s.0)
                .collect();
            assert_eq!(compensations, vec![0], "{mode}: {story:?}");
            assert!(
                !story.steps.iter().any(|s| s.0 == 2),
                "{mode}: a step after the failed pivot ran"
            );
        }
        // The client got its failure as soon as compensation began, not after it ended.
        let failed = engine.report().failed;
        assert_eq!(
            failed, compensated as u64,
            "{mode}: each compensated saga fails its request"
        );
    }
}

#[test]
fn a_failing_compensation_is_retried_with_backoff_until_it_succeeds() {
    let (engine, events) =
        run_with(failing_saga("orchestration", 0.6, 100000), 11, &[]).expect("runs");
    check_all_runs(&engine, &events).expect("well-behaved");
    let runs = stories(&events);
    let mut retried = 0;
    for story in runs.values() {
        let attempts: Vec<(u32, Option<Status>)> = story
            .steps
            .iter()
            .filter(|s| s.1)
            .map(|s| (s.2, s.3))
            .collect();
        // Attempts count up from 1; only the last one succeeds.
        let ends: Vec<&(u32, Option<Status>)> = attempts.iter().filter(|a| a.1.is_some()).collect();
        for (index, (attempt, status)) in ends.iter().enumerate() {
            assert_eq!(*attempt as usize, index + 1);
            assert_eq!(
                status.is_some_and(|s| s.is_ok()),
                index + 1 == ends.len(),
                "{attempts:?}"
            );
        }
        if ends.len() > 1 {
            retried += 1;
        }
    }
    assert!(
        retried > 5,
        "with a 60% failure rate many compensations retry: {retried}"
    );
    // Backoff: the gaps between a failed compensation and its retry grow 100 ms, 200 ms, 400 ms …
    let mut gaps_ok = 0;
    let mut last_fail: BTreeMap<u64, (u64, u32)> = BTreeMap::new();
    for event in &events {
        if let Some(&SagaEvent::SagaStep {
            run,
            compensation: true,
            attempt,
            status,
            ..
        }) = event.kind.saga()
        {
            match status {
                Some(s) if !s.is_ok() => {
                    last_fail.insert(run, (event.t_us, attempt));
                }
                None if attempt > 1 => {
                    let (failed_at, failed_attempt) = last_fail[&run];
                    let expected = (100_000u64 << (failed_attempt - 1)).min(1_000_000);
                    assert_eq!(
                        event.t_us - failed_at,
                        expected,
                        "run {run} attempt {attempt}"
                    );
                    gaps_ok += 1;
                }
                _ => {}
            }
        }
    }
    assert!(gaps_ok > 5, "{gaps_ok}");
}

#[test]
fn requests_reading_a_users_records_see_the_semantic_lock_only_while_a_saga_runs() {
    // Few users, so reads often hit a user with a saga in flight.
    let (engine, events) = run_with(failing_saga("orchestration", 0.3, 3), 5, &[]).expect("runs");
    check_all_runs(&engine, &events).expect("locks within run lifetimes");
    let observed = engine.pattern_views().saga.counters[0].lock_observations;
    assert!(observed > 0, "some reads should meet a lock");
    let views = engine.pattern_views().saga.runs;
    assert!(
        views
            .iter()
            .all(|v| v.ended_us.is_some() == v.lock.is_none()),
        "only running sagas hold a lock"
    );
}

#[test]
fn choreography_sends_actions_forward_and_compensations_back_along_the_line() {
    let scenario = failing_saga("choreography", 0.0, 100000);
    assert_eq!(scenario.sagas()[0].mode, SagaMode::Choreography);
    let station = |name: &str| {
        scenario
            .stations
            .iter()
            .position(|s| s.name == name)
            .map(|i| StationId(i as u32))
            .expect(name)
    };
    let (a, b, c) = (station("A"), station("B"), station("C"));
    let (_, events) = run_with(scenario, 2, &[]).expect("runs");
    let mut forward = 0;
    let mut back = 0;
    for event in &events {
        if let EventKind::HopDeparted {
            from,
            to,
            role,
            status: None,
            ..
        } = event.kind
        {
            match role {
                // reserve leaves the start (A → B); charge is triggered by stock (B → C).
                CallRole::SagaAction => {
                    assert!(
                        (from, to) == (a, b) || (from, to) == (b, c),
                        "{from:?} → {to:?}"
                    );
                    forward += 1;
                }
                // The release is triggered by payment's failure: it runs back, C → B.
                CallRole::SagaCompensation => {
                    assert_eq!((from, to), (c, b));
                    back += 1;
                }
                CallRole::Normal => {}
            }
        }
    }
    assert!(forward > 20 && back > 10, "{forward} forward, {back} back");
}

#[test]
fn payment_methods_have_their_own_latency_and_failure_profiles() {
    let mut scenario = builtin("paytm-saga");
    scenario.faults.clear();
    scenario.duration = SimDuration::from_secs(300);
    scenario.tracing.recent = 10_000;
    let authorize = scenario
        .endpoint_named("payment.authorize")
        .expect("authorize");
    let methods = scenario.workload.attributes.payment_methods.names.clone();
    let mut engine = Engine::new(Arc::new(scenario), 8);
    engine.run_until_idle(u64::MAX).expect("finite");
    // From the traces: server-side time of payment.authorize by payment method.
    let mut by_method: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for trace in engine.retained_traces() {
        let method = methods[usize::from(trace.attributes.payment_method)].clone();
        for span in &trace.spans {
            if span.kind == lokal::engine::traces::SpanKind::Server
                && span.operation == lokal::engine::traces::Operation::Call(authorize)
            {
                let entry = by_method.entry(method.clone()).or_default();
                entry.0 += 1;
                entry.1 += span.end_us.unwrap_or(0) - span.start_us;
                entry.2 += u64::from(span.is_error());
            }
        }
    }
    let mean_ms = |m: &str| {
        let (n, total, _) = by_method[m];
        total as f64 / n as f64 / 1_000.0
    };
    // Wallet (median 60 ms) is far faster than UPI (250 ms), Card (800 ms), NetBanking (1.5 s);
    // COD (5 ms) fastest of all.
    assert!(mean_ms("COD") < mean_ms("Wallet"), "{by_method:?}");
    assert!(mean_ms("Wallet") < mean_ms("UPI"), "{by_method:?}");
    assert!(mean_ms("UPI") < mean_ms("Card"), "{by_method:?}");
    assert!(mean_ms("Card") < mean_ms("NetBanking"), "{by_method:?}");
}
