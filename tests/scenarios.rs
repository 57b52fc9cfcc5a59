//! Every built-in scenario parses, validates and runs to the end with its invariants holding.

use lokal::engine::builtin::{builtin_ids, load_builtin};
use lokal::engine::{Engine, parse_scenario};
use std::sync::Arc;

#[test]
fn every_builtin_parses_and_its_id_is_its_file_name() {
    let ids: Vec<&str> = builtin_ids().collect();
    assert!(
        ids.contains(&"mm1") && ids.contains(&"mmc") && ids.contains(&"flipkart"),
        "{ids:?}"
    );
    for id in ids {
        let scenario = match load_builtin(id) {
            Some(Ok(scenario)) => scenario,
            Some(Err(problems)) => panic!("{id}: {problems:#?}"),
            None => panic!("{id} listed but not found"),
        };
        assert_eq!(scenario.id, id, "the id field must match the file name");
        assert!(
            scenario.title.hi.is_some(),
            "{id}: built-ins carry a Hindi title"
        );
        assert!(
            scenario.description.hi.is_some(),
            "{id}: built-ins carry a Hindi description"
        );
    }
}

#[test]
fn every_builtin_runs_with_invariants_after_every_event() {
    for id in builtin_ids() {
        let Some(Ok(mut scenario)) = load_builtin(id) else {
            panic!("{id}")
        };
        scenario.duration = lokal::engine::SimDuration::from_secs(20);
        let mut engine = Engine::new(Arc::new(scenario), 3);
        let mut events = 0u64;
        while engine.step().is_some() {
            events += 1;
            if let Err(violation) = engine.check_invariants() {
                panic!("{id}: after event {events}: {violation}");
            }
        }
        let report = engine.report();
        assert!(report.arrived > 0, "{id}: no requests arrived");
        assert_eq!(
            report.in_flight, 0,
            "{id}: requests left in flight after draining"
        );
        assert!(report.completed > 0, "{id}: nothing completed");
    }
}

#[test]
fn a_minimal_scenario_gets_defaults() {
    let text = r#"
        [[lines]]
        name = "L"
        stations = ["A", "B"]
        [[services]]
        name = "svc"
        station = "B"
        [[services.endpoints]]
        name = "ep"
        [workload]
        rate = "5/s"
        [[workload.mix]]
        endpoint = "svc"
    "#;
    let scenario = parse_scenario(text).expect("valid");
    assert_eq!(scenario.id, "custom");
    assert_eq!(scenario.services[0].workers, 8);
    assert_eq!(scenario.services[0].queue_capacity, 100);
    assert_eq!(scenario.duration.as_micros(), 60_000_000);
}
