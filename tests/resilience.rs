//! Resilience policies inside the engine: exact bulkhead and rate-limiter rejections, retry
//! backoff times and attempt counts, breaker transitions on a real call path, and the Zomato
//! lesson — cascade without protection, containment with it — across a sweep of seeds.

use lokal::engine::builtin::load_builtin;
use lokal::engine::ids::EdgeId;
use lokal::engine::patterns::resilience::view::EdgeView;
use lokal::engine::resilience::{BreakerState, Event as ResilienceEvent, PolicyChange};
use lokal::engine::{Engine, EngineEvent, EventKind, Scenario, SimTime, Status, parse_scenario};
use std::sync::Arc;

/// A caller `a` whose endpoint `go` fans out `fan_out` calls to `b.work`, once per request, with
/// `policy` (TOML under `[[policies]]`) on the a → b edge and `b_extra` on service b.
fn two_services(
    fan_out: u32,
    b_time: &str,
    b_error_rate: f64,
    policy: &str,
    b_extra: &str,
    rate: &str,
) -> Scenario {
    let text = format!(
        r#"
        id = "edge-test"
        duration = "1s"
        [[lines]]
        name = "L"
        stations = ["A", "B"]
        [network]
        latency = "0us"
        local_latency = "0us"
        [[services]]
        name = "a"
        station = "A"
        workers = 100
        [[services.endpoints]]
        name = "go"
        calls = [{{ call = "b.work", fan_out = {fan_out} }}]
        [[services]]
        name = "b"
        station = "B"
        workers = 100
        {b_extra}
        [[services.endpoints]]
        name = "work"
        service_time = "{b_time}"
        error_rate = {b_error_rate}
        [workload]
        station = "A"
        rate = "{rate}"
        [[workload.mix]]
        endpoint = "a.go"
        [[policies]]
        from = "a"
        to = "b"
        {policy}
        "#
    );
    parse_scenario(&text).unwrap_or_else(|problems| panic!("{problems:#?}"))
}

/// Runs until idle with events recorded; returns the engine and every event.
fn run(scenario: Scenario, seed: u64) -> (Engine, Vec<EngineEvent>) {
    let mut engine = Engine::new(Arc::new(scenario), seed);
    engine.set_recording(true);
    let mut events = Vec::new();
    while engine.step().is_some() {
        events.extend(engine.drain_events());
        engine
            .check_invariants()
            .unwrap_or_else(|v| panic!("invariant broken: {v}"));
    }
    (engine, events)
}

/// Runs exactly one request, sent at t = 0: one closed-loop user who sends at once, in a
/// scenario that ends a microsecond later.
fn one_request(mut scenario: Scenario) -> (Engine, Vec<EngineEvent>) {
    scenario.duration = lokal::engine::SimDuration(1);
    scenario.workload.mode = lokal::engine::scenario::WorkloadMode::Closed {
        users: 1,
        think_time: lokal::engine::dist::Distribution::constant_us(0.0),
    };
    let (engine, events) = run(scenario, 1);
    assert_eq!(
        engine.metrics().client.counters.arrived,
        1,
        "exactly one request"
    );
    (engine, events)
}

/// The wait of every retry scheduled, in order.
fn retry_waits_us(events: &[EngineEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e.kind.resilience() {
            Some(ResilienceEvent::RetryScheduled { wait_us, .. }) => Some(*wait_us),
            _ => None,
        })
        .collect()
}

fn edge_ab(engine: &Engine) -> EdgeView {
    engine
        .pattern_views()
        .resilience
        .edges
        .into_iter()
        .next()
        .expect("one edge")
}

#[test]
fn a_semaphore_bulkhead_rejects_exactly_the_calls_over_its_limit() {
    let scenario = two_services(
        5,
        "100ms",
        0.0,
        "[policies.bulkhead]\nmax_concurrent = 2",
        "",
        "1/s",
    );
    let (engine, _) = one_request(scenario);
    let edge = edge_ab(&engine);
    assert_eq!(edge.counters.calls, 5);
    assert_eq!(
        edge.counters.bulkhead_rejected, 3,
        "2 fit, 3 are rejected at once"
    );
    assert_eq!(edge.counters.success, 2);
    assert_eq!(edge.counters.failed, 3);
}

#[test]
fn a_semaphore_bulkhead_with_wait_admits_whoever_a_place_frees_for_in_time() {
    let scenario = two_services(
        5,
        "100ms",
        0.0,
        "[policies.bulkhead]\nmax_concurrent = 2\nmax_wait = \"150ms\"",
        "",
        "1/s",
    );
    let (engine, _) = one_request(scenario);
    let edge = edge_ab(&engine);
    // 2 run at 0 ms; at 100 ms two places free for two waiters; the fifth would get a place at
    // 200 ms, after its 150 ms wait: rejected.
    assert_eq!(edge.counters.success, 4);
    assert_eq!(edge.counters.bulkhead_rejected, 1);
}

#[test]
fn a_thread_pool_bulkhead_queues_then_grows_then_rejects() {
    let scenario = two_services(
        8,
        "100ms",
        0.0,
        "[policies.bulkhead]\nkind = \"thread_pool\"\ncore = 2\nmax = 3\nqueue = 2",
        "",
        "1/s",
    );
    let (engine, _) = one_request(scenario);
    let edge = edge_ab(&engine);
    // 2 core + 2 queued + 1 extra thread = 5 admitted; 3 rejected.
    assert_eq!(edge.counters.bulkhead_rejected, 3);
    assert_eq!(edge.counters.success, 5);
}

#[test]
fn the_client_rate_limiter_refuses_exactly_what_exceeds_its_period() {
    let scenario = two_services(
        5,
        "1ms",
        0.0,
        "[policies.rate_limiter]\nlimit_for_period = 2\nrefresh_period = \"1s\"\ntimeout = \"0ms\"",
        "",
        "1/s",
    );
    let (engine, events) = one_request(scenario);
    let edge = edge_ab(&engine);
    assert_eq!(edge.counters.rate_limited, 3);
    assert_eq!(edge.counters.success, 2);
    let refused = events
        .iter()
        .filter(|e| {
            matches!(
                e.kind.resilience(),
                Some(ResilienceEvent::AttemptRejected {
                    reason: Status::RateLimited,
                    ..
                })
            )
        })
        .count();
    assert_eq!(refused, 3);
}

#[test]
fn a_server_token_bucket_answers_429_and_retries_wait_for_retry_after() {
    let scenario = two_services(
        5,
        "1ms",
        0.0,
        "[policies.retry]\nmax_attempts = 2\nwait = \"10ms\"",
        "[services.rate_limit]\nkind = \"token_bucket\"\nmax_tokens = 3\ntokens_per_fill = 1\nfill_interval = \"100ms\"",
        "1/s",
    );
    let (engine, events) = one_request(scenario);
    let edge = edge_ab(&engine);
    // Three tokens: three calls pass, two get 429 and retry after the next fill (100 ms),
    // honouring Retry-After rather than the 10 ms backoff; one token is there for one of them.
    assert_eq!(
        edge.counters.rate_limited, 3,
        "2 first attempts + 1 retry refused"
    );
    assert_eq!(edge.counters.retries, 2);
    assert_eq!(retry_waits_us(&events), [100_000, 100_000]);
    assert_eq!(edge.counters.success, 4);
    assert_eq!(edge.counters.failed, 1);
    let b = engine.scenario().service_named("b").expect("b");
    assert_eq!(
        engine.metrics().services[b.index()].counters.rejected,
        3,
        "429s count as rejections at b"
    );
}

#[test]
fn retries_back_off_exponentially_and_stop_at_max_attempts() {
    let scenario = two_services(
        1,
        "1ms",
        1.0,
        "[policies.retry]\nmax_attempts = 4\nwait = \"100ms\"\nbackoff = \"exponential\"\nmultiplier = 2",
        "",
        "1/s",
    );
    let (engine, events) = one_request(scenario);
    let retries: Vec<(u64, u32, u64)> = events
        .iter()
        .filter_map(|e| match e.kind.resilience() {
            Some(ResilienceEvent::RetryScheduled {
                attempt, wait_us, ..
            }) => Some((e.t_us, *attempt, *wait_us)),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>(),
        [(2, 100_000), (3, 200_000), (4, 400_000)],
        "attempts 2, 3, 4 after 100, 200, 400 ms"
    );
    // Each attempt takes 1 ms of work: retries are scheduled at 1, 102 and 303 ms.
    assert_eq!(
        retries.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1_000, 102_000, 303_000]
    );
    let edge = edge_ab(&engine);
    assert_eq!(
        (
            edge.counters.attempts_sent,
            edge.counters.failure,
            edge.counters.failed
        ),
        (4, 4, 1)
    );
}

#[test]
fn the_breaker_opens_on_the_exact_call_and_short_circuits_after() {
    // b always fails; the breaker needs 5 calls, opens at 50 %: the 5th call opens it.
    let scenario = two_services(
        1,
        "1ms",
        1.0,
        "[policies.circuit_breaker]\nwindow_size = 10\nminimum_calls = 5\nwait_in_open = \"10s\"",
        "",
        "100/s",
    );
    let (engine, events) = run(scenario, 4);
    let opened_at = events
        .iter()
        .find_map(|e| match e.kind.resilience() {
            Some(ResilienceEvent::BreakerTransition {
                to: BreakerState::Open,
                ..
            }) => Some(e.t_us),
            _ => None,
        })
        .expect("the breaker opened");
    let failures_before: usize = events
        .iter()
        .filter(|e| {
            e.t_us <= opened_at
                && matches!(
                    e.kind,
                    EventKind::CallFinished {
                        status: Status::Error,
                        ..
                    }
                )
        })
        .count();
    assert_eq!(failures_before, 5);
    let edge = edge_ab(&engine);
    assert_eq!(
        edge.counters.attempts_sent, 5,
        "nothing is sent while open (1 s run, 10 s wait)"
    );
    assert_eq!(edge.counters.short_circuited, edge.counters.calls - 5);
    assert_eq!(edge.breaker.map(|b| b.state), Some(BreakerState::Open));
}

#[test]
fn live_knobs_are_recorded_and_replay_exactly() {
    let Some(Ok(scenario)) = load_builtin("zomato-unprotected") else {
        panic!()
    };
    let scenario = Arc::new(scenario);
    let api = scenario.service_named("api").expect("api");
    let restaurant = scenario.service_named("restaurant").expect("restaurant");
    let edge = scenario.edge_between(api, restaurant).expect("edge");
    let knobs = [
        (15_000_000, PolicyChange::TimeoutUs(Some(250_000))),
        (15_000_000, PolicyChange::BreakerFailureRate(40.0)),
        (16_000_000, PolicyChange::BreakerMinimumCalls(10)),
        (17_000_000, PolicyChange::BulkheadMaxConcurrent(Some(8))),
        (
            30_000_000,
            PolicyChange::BreakerState(BreakerState::ForcedOpen),
        ),
        (
            40_000_000,
            PolicyChange::Fallback(Some(lokal::engine::resilience::Fallback::Static)),
        ),
    ];
    let mut live = Engine::new(Arc::clone(&scenario), 9);
    for (at, change) in &knobs {
        live.advance_until(SimTime(*at), u64::MAX).expect("finite");
        live.apply(lokal::engine::resilience::Command::set_policy(
            edge,
            change.clone(),
        ))
        .expect("valid knob");
    }
    live.run_until_idle(u64::MAX).expect("finite");
    let json = serde_json::to_string(live.command_log()).expect("json");
    let log: Vec<lokal::engine::RecordedCommand> = serde_json::from_str(&json).expect("parse");
    let mut replay = Engine::new(Arc::clone(&scenario), 9);
    for recorded in &log {
        replay
            .advance_until(recorded.at(), u64::MAX)
            .expect("finite");
        replay
            .apply(recorded.command.resolve(&scenario).expect("resolves"))
            .expect("valid");
    }
    replay.run_until_idle(u64::MAX).expect("finite");
    assert_eq!(replay.trace_hash(), live.trace_hash());
    let view = live.pattern_views().resilience.edges[edge.index()].clone();
    assert!(
        view.counters.short_circuited > 0,
        "forced open short-circuits"
    );
    assert!(view.counters.fallback_served > 0);
    // A bad knob is refused and changes nothing.
    let before = live.command_log().len();
    assert!(
        live.apply(lokal::engine::resilience::Command::set_policy(
            edge,
            PolicyChange::BreakerFailureRate(140.0)
        ))
        .is_err()
    );
    assert_eq!(live.command_log().len(), before);
}

/// Failure share of the entry endpoints that never call the restaurant, during the slow phase.
fn unrelated_failure_share(engine: &Engine) -> f64 {
    let scenario = engine.scenario();
    let mut ended = 0u64;
    let mut bad = 0u64;
    for (index, endpoint) in scenario.workload.mix.endpoints.iter().enumerate() {
        let name = &scenario.endpoint(*endpoint).qualified_name;
        if name == "api.restaurant_page" {
            continue;
        }
        for point in engine.metrics().client_by_entry[index].series() {
            if (25..50).contains(&point.second) {
                ended +=
                    u64::from(point.completed + point.failed + point.rejected + point.timed_out);
                bad += u64::from(point.failed + point.rejected + point.timed_out);
            }
        }
    }
    bad as f64 / ended.max(1) as f64
}

fn zomato(id: &str, seed: u64) -> Engine {
    let Some(Ok(scenario)) = load_builtin(id) else {
        panic!("{id}")
    };
    let mut engine = Engine::new(Arc::new(scenario), seed);
    engine.run_until_idle(u64::MAX).expect("finite");
    engine
}

#[test]
fn zomato_cascades_without_protection_and_is_contained_with_it() {
    for seed in 1..=8 {
        let unprotected = zomato("zomato-unprotected", seed);
        let protected = zomato("zomato-protected", seed);
        let cascade = unrelated_failure_share(&unprotected);
        let contained = unrelated_failure_share(&protected);
        println!(
            "seed {seed}: unrelated endpoints failing {:.1} % unprotected, {:.2} % protected",
            cascade * 100.0,
            contained * 100.0
        );
        assert!(
            cascade > 0.15,
            "seed {seed}: no cascade without protection ({cascade:.3})"
        );
        assert!(
            contained < 0.01,
            "seed {seed}: protection did not contain the outage ({contained:.3})"
        );
        let report = protected.report();
        assert!(
            report.degraded > 500,
            "seed {seed}: the restaurant page degraded gracefully"
        );
        assert_eq!(
            report.failed + report.timed_out + report.rejected,
            0,
            "seed {seed}: no client saw an error"
        );
        let edge = report
            .patterns
            .resilience
            .edges
            .iter()
            .find(|e| e.edge == "api → restaurant")
            .expect("edge");
        assert!(
            edge.breaker_transitions.iter().any(|t| t.to == "open"),
            "seed {seed}: the breaker opened"
        );
        assert!(edge.short_circuited > 0 && edge.fallback_served > 0);
    }
}

#[test]
fn a_retry_storm_multiplies_the_load_on_the_struggling_service() {
    for seed in 1..=4 {
        let storm = zomato("zomato-retry-storm", seed);
        let calm = zomato("zomato-unprotected", seed);
        let report = storm.report();
        let edge = report
            .patterns
            .resilience
            .edges
            .iter()
            .find(|e| e.edge == "api → restaurant")
            .expect("edge");
        let amplification = edge.attempts_sent as f64 / edge.calls as f64;
        let restaurant = |engine: &Engine| {
            let id = engine
                .scenario()
                .service_named("restaurant")
                .expect("restaurant");
            engine.metrics().services[id.index()].counters.arrived
        };
        println!(
            "seed {seed}: {:.2} attempts per call; restaurant received {} calls vs {} without retries",
            amplification,
            restaurant(&storm),
            restaurant(&calm)
        );
        assert!(amplification > 2.5, "seed {seed}: {amplification}");
        assert!(restaurant(&storm) as f64 > 2.5 * restaurant(&calm) as f64);
    }
}

#[test]
fn edge_ids_name_real_edges() {
    let Some(Ok(scenario)) = load_builtin("zomato-protected") else {
        panic!()
    };
    assert_eq!(scenario.edges.len(), 4);
    assert_eq!(scenario.edge_label(EdgeId(0)), "api → restaurant");
    assert!(scenario.has_protections());
    assert!(!scenario.without_protections().has_protections());
}

#[test]
fn removing_protections_from_a_run_equals_running_the_stripped_scenario() {
    // A server-side token bucket as well as the Zomato edges' policies.
    let limited = two_services(
        5,
        "1ms",
        0.0,
        "[policies.retry]\nmax_attempts = 2\nwait = \"10ms\"",
        "[services.rate_limit]\nkind = \"token_bucket\"\nmax_tokens = 3\ntokens_per_fill = 1\nfill_interval = \"100ms\"",
        "20/s",
    );
    let builtins = ["zomato-protected", "zomato-retry-storm"].map(|id| match load_builtin(id) {
        Some(Ok(scenario)) => (id, scenario),
        _ => panic!("{id}"),
    });
    for (id, scenario) in builtins.into_iter().chain([("token bucket", limited)]) {
        for seed in [1, 2] {
            let mut stripped = Engine::new(Arc::new(scenario.without_protections()), seed);
            stripped.run_until_idle(50_000_000).expect("finite");
            let mut removed = Engine::new(Arc::new(scenario.clone()), seed);
            lokal::engine::remove_protections(&mut removed);
            removed.run_until_idle(50_000_000).expect("finite");
            let mut protected = Engine::new(Arc::new(scenario.clone()), seed);
            protected.run_until_idle(50_000_000).expect("finite");
            assert_eq!(
                removed.trace_hash(),
                stripped.trace_hash(),
                "{id} seed {seed}"
            );
            assert_ne!(
                removed.trace_hash(),
                protected.trace_hash(),
                "{id} seed {seed}"
            );
        }
    }
}

#[test]
fn jittered_and_exponential_retry_waits_are_whole_milliseconds_on_the_call_path() {
    // 5.5 ms × 1.5, Resilience4j style: 5, 7, 10 ms (toMillis, then (long) (x × 1.5) each step);
    // with jitter, each wait is still a whole number of milliseconds.
    for (policy, exact) in [
        (
            "[policies.retry]\nmax_attempts = 4\nwait = \"5500us\"\nbackoff = \"exponential\"\nmultiplier = 1.5",
            Some([5_000, 7_000, 10_000]),
        ),
        (
            "[policies.retry]\nmax_attempts = 4\nwait = \"5500us\"\nbackoff = \"exponential\"\nmultiplier = 1.5\njitter = 0.5",
            None,
        ),
    ] {
        let (_, events) = one_request(two_services(1, "1ms", 1.0, policy, "", "1/s"));
        let waits = retry_waits_us(&events);
        assert_eq!(waits.len(), 3, "{policy}");
        assert!(waits.iter().all(|w| w % 1_000 == 0), "{policy}: {waits:?}");
        if let Some(exact) = exact {
            assert_eq!(waits, exact, "{policy}");
        }
    }
}

#[test]
fn an_illegal_manual_breaker_move_is_refused_and_changes_nothing() {
    let scenario = Arc::new(two_services(
        1,
        "1ms",
        0.0,
        "[policies.circuit_breaker]\nwindow_size = 10\nminimum_calls = 5",
        "",
        "100/s",
    ));
    let edge = EdgeId(0);
    let mut engine = Engine::new(Arc::clone(&scenario), 3);
    engine
        .advance_until(SimTime(200_000), u64::MAX)
        .expect("finite");
    let before = edge_ab(&engine);
    let refused = engine.apply(lokal::engine::resilience::Command::set_policy(
        edge,
        PolicyChange::BreakerState(BreakerState::HalfOpen),
    ));
    let message = refused
        .expect_err("CLOSED → HALF_OPEN is not in Resilience4j's table")
        .0;
    assert!(
        message.contains("closed") && message.contains("half_open"),
        "{message}"
    );
    assert_eq!(edge_ab(&engine), before, "nothing changed");
    assert!(
        engine.command_log().is_empty(),
        "a refused command is not recorded"
    );

    // Moving to the current state is legal: the breaker is rebuilt (fresh window), no event.
    engine.set_recording(true);
    engine
        .apply(lokal::engine::resilience::Command::set_policy(
            edge,
            PolicyChange::BreakerState(BreakerState::Closed),
        ))
        .expect("CLOSED → CLOSED is legal");
    let after = edge_ab(&engine).breaker.expect("breaker");
    assert!(before.breaker.expect("breaker").calls_in_window > 0);
    assert_eq!(after.calls_in_window, 0, "fresh metrics");
    assert!(
        !engine.drain_events().iter().any(|e| matches!(
            e.kind.resilience(),
            Some(ResilienceEvent::BreakerTransition { .. })
        )),
        "no transition is published"
    );
}
