//! The engine agrees with queueing theory (semantics.md §12). Each check runs at least one
//! million requests; run with `--release` (the README's test command does).
//!
//! Queues near saturation are strongly autocorrelated: at 90 % utilisation one million requests
//! leave the sample mean with about 1.5 % standard error, so the checks that must land within 2 %
//! run several million requests to keep that margin at two to four standard errors.

use lokal::engine::{Engine, RunReport, Scenario, SimDuration, parse_scenario};
use std::sync::Arc;

mod common;
use common::builtin;

/// Runs `scenario` long enough for about `requests` arrivals at `rate_per_s`.
fn run_for_requests(
    mut scenario: Scenario,
    requests: f64,
    rate_per_s: f64,
    seed: u64,
) -> (RunReport, Engine) {
    scenario.duration = SimDuration::from_secs((requests / rate_per_s).ceil() as u64);
    let mut engine = Engine::new(Arc::new(scenario), seed);
    engine.run_until_idle(u64::MAX).expect("finite run");
    let report = engine.report();
    assert!(
        report.arrived as f64 >= requests * 0.99,
        "only {} requests",
        report.arrived
    );
    (report, engine)
}

/// A single-service queue: Poisson arrivals into `workers` servers with exponential service.
fn queue_scenario(rate_per_s: f64, mean_service: &str, workers: u32, queue: u32) -> Scenario {
    let text = format!(
        r#"
        id = "queue"
        [[lines]]
        name = "L"
        stations = ["clients", "server"]
        [network]
        latency = "0us"
        local_latency = "0us"
        [[services]]
        name = "server"
        station = "server"
        workers = {workers}
        queue = {queue}
        [[services.endpoints]]
        name = "serve"
        service_time = {{ exponential = "{mean_service}" }}
        [workload]
        station = "clients"
        rate = "{rate_per_s}/s"
        [[workload.mix]]
        endpoint = "server"
        "#
    );
    parse_scenario(&text).unwrap_or_else(|problems| panic!("{problems:?}"))
}

fn assert_within(measured: f64, expected: f64, relative: f64, what: &str) {
    let error = (measured / expected - 1.0).abs();
    assert!(
        error <= relative,
        "{what}: measured {measured:.5}, theory {expected:.5}, off by {:.2} % (allowed {:.1} %)",
        error * 100.0,
        relative * 100.0
    );
    println!(
        "{what}: measured {measured:.5}, theory {expected:.5} ({:+.2} %)",
        (measured / expected - 1.0) * 100.0
    );
}

/// Little's law over the whole run: time-averaged requests in flight = rate of requests served ×
/// their mean time in the system (rejected requests leave at once and add nothing to either).
fn assert_littles_law(report: &RunReport, what: &str) {
    let lambda = report.completed as f64 / report.virtual_seconds;
    let w = report.latency_ms.mean / 1_000.0;
    assert_within(
        report.mean_in_flight,
        lambda * w,
        0.02,
        &format!("{what} Little's law L = λW"),
    );
}

/// Erlang C: mean time in an M/M/c system.
fn mmc_response_s(lambda: f64, mu: f64, c: u32) -> f64 {
    let a = lambda / mu;
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let top = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    let erlang_c = top / (sum + top);
    erlang_c / (f64::from(c) * mu - lambda) + 1.0 / mu
}

#[test]
fn mm1_mean_response_is_half_a_second() {
    let scenario = builtin("mm1");
    let (report, _) = run_for_requests(scenario, 4e6, 8.0, 101);
    assert_within(
        report.latency_ms.mean / 1_000.0,
        0.5,
        0.02,
        "M/M/1 λ=8 μ=10 W",
    );
    assert_littles_law(&report, "M/M/1");
}

#[test]
fn mmc_ten_servers_matches_erlang_c() {
    let expected = mmc_response_s(9.0, 1.0, 10);
    assert!(
        (expected - 1.6687).abs() < 1e-4,
        "Erlang C itself: {expected}"
    );
    let (report, _) = run_for_requests(builtin("mmc"), 10e6, 9.0, 102);
    assert_within(
        report.latency_ms.mean / 1_000.0,
        expected,
        0.02,
        "M/M/10 λ=9 μ=1 W",
    );
    assert_littles_law(&report, "M/M/10");
}

#[test]
fn mmc_two_servers_matches_erlang_c() {
    let expected = mmc_response_s(8.0, 5.0, 2);
    assert!(
        (expected - 0.5556).abs() < 1e-4,
        "Erlang C itself: {expected}"
    );
    let (report, _) = run_for_requests(queue_scenario(8.0, "200ms", 2, 100_000), 4e6, 8.0, 103);
    assert_within(
        report.latency_ms.mean / 1_000.0,
        expected,
        0.02,
        "M/M/2 λ=8 μ=5 W",
    );
    assert_littles_law(&report, "M/M/2");
}

#[test]
fn mm1k_blocking_matches_its_formula() {
    // System capacity K = 1 in service + (K − 1) waiting.
    let k = 5;
    let rho: f64 = 8.0 / 10.0;
    let expected = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
    let (report, _) = run_for_requests(
        queue_scenario(8.0, "100ms", 1, (k - 1) as u32),
        4e6,
        8.0,
        104,
    );
    let blocked = report.rejected as f64 / report.arrived as f64;
    assert_within(blocked, expected, 0.02, "M/M/1/5 blocking probability");
    assert_littles_law(&report, "M/M/1/5");
}

#[test]
fn fan_out_to_100_leaves_meets_a_slow_leaf_634_times_in_1000() {
    // Leaves take 10 ms, or 500 ms once in a hundred calls; a request is slow iff any leaf was.
    let (report, engine) = run_for_requests(builtin("tail-at-scale"), 1e6, 10.0, 105);
    let client = &engine.metrics().client;
    let slow = client.latency.count_at_or_above(250_000) as f64 / report.completed as f64;
    let expected = 1.0 - 0.99f64.powi(100);
    println!(
        "fan-out: {:.2} % of {} requests met a slow leaf (theory {:.2} %)",
        slow * 100.0,
        report.completed,
        expected * 100.0
    );
    assert!(
        (slow - expected).abs() <= 0.015,
        "slow share {slow:.4}, theory {expected:.4}"
    );
    assert_eq!(report.completed, report.arrived, "every search completes");
}
