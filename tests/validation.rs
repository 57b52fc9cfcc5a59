//! Scenario validation: every problem is collected, each with its field path, a plain
//! explanation, and a suggestion for misspelt names.

use lokal::engine::parse_scenario;

/// A valid scenario to break in one place at a time.
const BASE: &str = r#"
id = "shop"
duration = "30s"

[[lines]]
name = "Western"
style = "western"
stations = ["Churchgate", "Dadar", "Andheri"]

[[services]]
name = "gateway"
station = "Churchgate"
workers = 4

[[services.endpoints]]
name = "browse"
service_time = "2ms"
calls = ["payment.charge"]

[[services]]
name = "payment"
station = "Andheri"

[[services.endpoints]]
name = "charge"
service_time = { lognormal = { median = "20ms", p99 = "200ms" } }

[workload]
rate = "10/s"
[[workload.mix]]
endpoint = "gateway.browse"
"#;

/// Parses `text` and returns its problems as `path: message` lines (empty when valid). Where
/// each was written (line and column) is checked in `tests/toml.rs`.
fn problems(text: &str) -> Vec<String> {
    match parse_scenario(text) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .iter()
            .map(|p| {
                if p.path.is_empty() {
                    p.message.clone()
                } else {
                    format!("{}: {}", p.path, p.message)
                }
            })
            .collect(),
    }
}

/// Asserts the problems of `text` are exactly `expected` (in any order).
fn check(text: &str, expected: &[&str]) {
    let mut found = problems(text);
    found.sort();
    let mut expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
    expected.sort();
    assert_eq!(found, expected, "\nscenario:\n{text}");
}

#[test]
fn the_base_scenario_is_valid() {
    check(BASE, &[]);
}

#[test]
fn misspelt_names_get_a_suggestion() {
    let text = BASE.replace(
        "calls = [\"payment.charge\"]",
        "calls = [\"paymnt.charge\"]",
    );
    check(
        &text,
        &[
            r#"services[0].endpoints[0].calls[0]: service "paymnt" not found (did you mean "payment"?)"#,
        ],
    );
    let text = BASE.replace(
        "calls = [\"payment.charge\"]",
        "calls = [\"payment.chrage\"]",
    );
    check(
        &text,
        &[
            r#"services[0].endpoints[0].calls[0]: endpoint "chrage" not found in service "payment" (did you mean "charge"?)"#,
        ],
    );
    let text = BASE.replace("station = \"Andheri\"", "station = \"Andhery\"");
    check(
        &text,
        &[r#"services[1].station: station "Andhery" not found (did you mean "Andheri"?)"#],
    );
    let text = BASE.replace(
        "endpoint = \"gateway.browse\"",
        "endpoint = \"gatway.browse\"",
    );
    check(
        &text,
        &[r#"workload.mix[0].endpoint: service "gatway" not found (did you mean "gateway"?)"#],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = BASE
        .replace("workers = 4", "workers = 0\nworker = 3")
        .replace("rate = \"10/s\"", "rate = \"10\"")
        .replace("style = \"western\"", "style = \"westren\"")
        .replace("service_time = \"2ms\"", "service_time = \"2 parsecs\"");
    check(
        &text,
        &[
            r#"lines[0].style: line style "westren" not found (did you mean "western"?)"#,
            "services[0].workers: must be from 1 to 100000, got 0",
            r#"services[0].endpoints[0].service_time: unknown time unit "parsecs" in "2 parsecs"; use us, ms, s, m or h"#,
            r#"services[0].worker: unknown field "worker" (did you mean "workers"?)"#,
            r#"workload.rate: "10" has no unit; write "10/s""#,
        ],
    );
}

#[test]
fn absurd_values_are_refused_with_their_bounds() {
    let text = BASE
        .replace("workers = 4", "workers = 4\ninstances = 5000\nqueue = -1")
        .replace("rate = \"10/s\"", "rate = \"50000000/s\"")
        .replace("duration = \"30s\"", "duration = \"9999999h\"");
    check(
        &text,
        &[
            r#"duration: "9999999h" is longer than the 365 days a scenario may span"#,
            "services[0].instances: must be from 1 to 64, got 5000",
            "services[0].queue: must be from 0 to 1000000, got -1",
            r#"workload.rate: "50000000/s" is above the 10,000,000/s a scenario may ask for"#,
        ],
    );
}

#[test]
fn wrong_types_name_what_was_expected() {
    let text = BASE.replace("workers = 4", "workers = \"four\"");
    check(
        &text,
        &["services[0].workers: expected a whole number, found text"],
    );
    let text = BASE.replace("rate = \"10/s\"", "rate = 10");
    check(
        &text,
        &[r#"workload.rate: expected a rate with a unit, like "200/s", found a whole number"#],
    );
}

#[test]
fn syntax_errors_name_line_and_column() {
    let found = parse_scenario("id = \"x\"\n[[services]\nname = 1\n")
        .err()
        .unwrap_or_default();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].at.map(|at| at.line), Some(2), "{}", found[0]);
    assert!(
        found[0].message.starts_with("TOML syntax error"),
        "{}",
        found[0]
    );
    assert!(
        found[0].to_string().contains("(line 2, column"),
        "{}",
        found[0]
    );
}

#[test]
fn call_cycles_are_found() {
    let text = BASE.replace(
        "service_time = { lognormal = { median = \"20ms\", p99 = \"200ms\" } }",
        "service_time = \"1ms\"\ncalls = [\"gateway.browse\"]",
    );
    let found = problems(&text);
    assert!(
        found.iter().any(|p| p.contains(
            "calls go round in a cycle: gateway.browse → payment.charge → gateway.browse"
        )),
        "{found:?}"
    );
}

#[test]
fn distributions_are_checked() {
    let text = BASE.replace(
        "{ lognormal = { median = \"20ms\", p99 = \"200ms\" } }",
        "{ lognormal = { median = \"200ms\", p99 = \"20ms\" }, exponential = \"1s\" }",
    );
    check(
        &text,
        &[
            "services[1].endpoints[0].service_time: a distribution takes exactly one of constant, uniform, exponential, lognormal, mixture, found exponential and lognormal",
        ],
    );
    let text = BASE.replace(
        "{ lognormal = { median = \"20ms\", p99 = \"200ms\" } }",
        "{ lognormal = { median = \"200ms\", p99 = \"20ms\" } }",
    );
    check(
        &text,
        &[
            "services[1].endpoints[0].service_time: a log-normal needs 0 < median < p99, got median 200ms and p99 20ms",
        ],
    );
    let text = BASE.replace(
        "{ lognormal = { median = \"20ms\", p99 = \"200ms\" } }",
        "{ mixture = [{ weight = 0, constant = \"1ms\" }, { constant = \"2ms\" }] }",
    );
    check(
        &text,
        &[
            "services[1].endpoints[0].service_time.mixture[0].weight: must be above zero, got 0",
            "services[1].endpoints[0].service_time.mixture[1].weight: missing; every mixture component needs a weight",
        ],
    );
}

#[test]
fn faults_are_checked_against_the_scenario() {
    let text = format!(
        "{BASE}\n[[faults]]\nat = \"40s\"\nkind = \"crash\"\nservice = \"payment\"\ninstance = 3\nfactor = 2\n\n[[faults]]\nat = \"1s\"\nkind = \"explode\"\n"
    );
    check(
        &text,
        &[
            "faults[0].at: 40s is not before the scenario ends at 30s",
            "faults[0].factor: factor does not apply to a \"crash\" fault",
            "faults[0].instance: service \"payment\" has 1 instance(s), numbered from 0; there is no instance 3",
            "faults[1].kind: fault kind \"explode\" not found; known: crash, restart, slow, errors, partition, heal",
        ],
    );
}

#[test]
fn missing_sections_are_explained() {
    check(
        "id = \"empty\"",
        &[
            "lines: no stations; add [[lines]] with stations (or [[stations]]) for the services to sit on",
            "services: no services; add at least one [[services]] table",
            "workload: missing; a scenario needs a [workload] that sends requests",
        ],
    );
}

#[test]
fn policies_attach_to_real_edges_with_sane_values() {
    let good = format!(
        "{BASE}\n[[policies]]\nfrom = \"gateway\"\nto = \"payment\"\ntimeout = \"300ms\"\n[policies.circuit_breaker]\nfailure_rate = 40\n[policies.bulkhead]\nmax_concurrent = 5\n[policies.fallback]\nkind = \"cached\"\n"
    );
    check(&good, &[]);
    let scenario = parse_scenario(&good).expect("valid");
    let edge = scenario.edge_policy(lokal::engine::ids::EdgeId(0));
    assert_eq!(
        edge.circuit_breaker
            .as_ref()
            .map(|b| b.failure_rate_threshold),
        Some(40.0)
    );
    assert_eq!(
        edge.circuit_breaker.as_ref().map(|b| b.minimum_calls),
        Some(100),
        "Resilience4j's default"
    );

    let backwards = format!("{BASE}\n[[policies]]\nfrom = \"payment\"\nto = \"gateway\"\n");
    check(
        &backwards,
        &[
            r#"policies[0]: "payment" never calls "gateway", so there is no edge to protect; it calls nothing"#,
        ],
    );
    let bad_values = format!(
        "{BASE}\n[[policies]]\nfrom = \"gateway\"\nto = \"paymnt\"\n[policies.retry]\nmax_attempts = 0\nbackoff = \"fibonacci\"\n[policies.circuit_breaker]\nfailure_rate = 150\nstate = \"open\"\nwait_in_open = \"500us\"\n[policies.bulkhead]\nkind = \"semaphore\"\nmax_concurent = 3\n"
    );
    check(
        &bad_values,
        &[
            r#"policies[0].to: service "paymnt" not found (did you mean "payment"?)"#,
            "policies[0].retry.max_attempts: must be from 1 to 20, got 0",
            r#"policies[0].retry.backoff: backoff "fibonacci" not found; known: fixed, exponential"#,
            "policies[0].circuit_breaker.failure_rate: a percentage from 0 to 100, got 150",
            "policies[0].circuit_breaker.state: a breaker starts closed, forced_open, disabled or metrics_only",
            "policies[0].circuit_breaker.wait_in_open: must be at least 1ms",
            r#"policies[0].bulkhead.max_concurent: unknown field "max_concurent" (did you mean "max_concurrent"?)"#,
        ],
    );
    let limit = BASE.replace(
        "[[services.endpoints]]\nname = \"charge\"",
        "[services.rate_limit]\nkind = \"token_buket\"\n[[services.endpoints]]\nname = \"charge\"",
    );
    check(
        &limit,
        &[
            r#"services[1].rate_limit.kind: rate limit kind "token_buket" not found (did you mean "token_bucket"?)"#,
        ],
    );
}

/// BASE with a third service to make a saga of.
fn saga_base(saga: &str) -> String {
    let services = r#"
[[services]]
name = "stock"
station = "Dadar"

[[services.endpoints]]
name = "reserve"

[[services.endpoints]]
name = "release"

[[services.endpoints]]
name = "peek"
observes_saga = "buy"
"#;
    format!("{BASE}{services}{saga}").replace("calls = [\"payment.charge\"]", "")
}

#[test]
fn sagas_are_checked_step_by_step() {
    let good = saga_base(
        r#"
[[sagas]]
name = "buy"
start = "gateway.browse"
[[sagas.steps]]
name = "reserve"
action = "stock.reserve"
compensation = "stock.release"
[[sagas.steps]]
name = "pay"
action = "payment.charge"
pivot = true
"#,
    );
    check(&good, &[]);
    let scenario = parse_scenario(&good).expect("valid");
    assert_eq!(scenario.sagas()[0].pivot, 1);

    let bad = saga_base(
        r#"
[[sagas]]
name = "buy"
start = "gateway.browze"
mode = "choreografy"
compensation_retry = { initial = "1s", multiplier = 50 }
[[sagas.steps]]
name = "reserve"
action = "stock.reserve"
[[sagas.steps]]
name = "pay"
action = "payment.charge"
compensation = "stock.release"
pivot = true
[[sagas.steps]]
name = "ship"
action = "stock.peak"
pivot = true
"#,
    );
    check(
        &bad,
        &[
            r#"sagas[0].start: endpoint "gateway.browze" not found (did you mean "gateway.browse"?)"#,
            r#"sagas[0].mode: saga mode "choreografy" not found (did you mean "choreography"?)"#,
            "sagas[0].compensation_retry.multiplier: must be from 1 to 10, got 50",
            r#"sagas[0].steps[2].action: endpoint "stock.peak" not found (did you mean "stock.peek"?)"#,
            "sagas[0].steps: a saga has at most one pivot step",
            "sagas[0].steps[0].compensation: missing; a step before the pivot must be compensatable (name the endpoint that undoes it)",
            "sagas[0].steps[1].compensation: the pivot and the steps after it are never compensated (they are retried until they succeed); remove this",
        ],
    );
}

#[test]
fn variants_and_tracing_settings_are_checked() {
    let variants = BASE.replace(
        "service_time = { lognormal = { median = \"20ms\", p99 = \"200ms\" } }",
        "service_time = { lognormal = { median = \"20ms\", p99 = \"200ms\" } }\nvariants = [{ payment_method = \"UPl\", error_rate = 2 }]",
    ) + "[workload.attributes]\npayment_methods = { UPI = 3, COD = 1 }\n";
    check(
        &variants,
        &[
            r#"services[1].endpoints[0].variants[0].payment_method: payment method "UPl" not found (did you mean "UPI"?)"#,
        ],
    );
    let tracing = format!(
        "{BASE}\n[tracing]\nhead_sampling = 1.5\nkeep_ratio = -1\nrecent = 0\nkept = 20000\nkeep_slower_than = \"fast\"\nsample = 1\n"
    );
    let found = problems(&tracing);
    for expected in [
        "tracing.head_sampling: a share from 0 to 1, got 1.5",
        "tracing.keep_ratio: a share from 0 to 1, got -1",
        "tracing.recent: must be from 1 to 10000, got 0",
        "tracing.kept: must be from 0 to 10000, got 20000",
        "tracing.sample: unknown field \"sample\"",
    ] {
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "{expected:?} not in {found:#?}"
        );
    }
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("tracing.keep_slower_than:")),
        "{found:#?}"
    );
}
