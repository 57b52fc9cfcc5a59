//! The built-in scenarios: the TOML files of `scenarios/`, embedded at compile time by `build.rs`.
//! They are what the app offers in its picker and what the tests run.

use super::scenario::{Problem, Scenario, parse_scenario};

include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));

/// The ids of the built-in scenarios (their file names without `.toml`), sorted.
pub fn builtin_ids() -> impl Iterator<Item = &'static str> + Clone {
    BUILTIN_FILES.iter().map(|(id, _)| *id)
}

/// The TOML text of a built-in scenario.
pub fn builtin_source(id: &str) -> Option<&'static str> {
    BUILTIN_FILES
        .iter()
        .find(|(stem, _)| *stem == id)
        .map(|(_, text)| *text)
}

/// Parses a built-in scenario. `None` if there is no such id.
pub fn load_builtin(id: &str) -> Option<Result<Scenario, Vec<Problem>>> {
    builtin_source(id).map(parse_scenario)
}

/// The run both platforms compute to prove they agree bit for bit: the Flipkart scenario for
/// 30 virtual seconds with seed 7 (`lokal-cli run builtin:flipkart --duration 30s --seed 7`).
/// It exercises every distribution (log-normal and mixtures through libm), parallel fan-out,
/// timeouts and all three balancers' draws.
pub fn reference_trace_hash() -> Option<u64> {
    let mut scenario = load_builtin(REFERENCE_SCENARIO)?.ok()?;
    scenario.duration = super::SimDuration::from_secs(REFERENCE_SECONDS);
    let mut engine = super::Engine::new(std::sync::Arc::new(scenario), REFERENCE_SEED);
    engine.run_until_idle(u64::MAX).ok()?;
    Some(engine.trace_hash())
}

pub const REFERENCE_SCENARIO: &str = "flipkart";
pub const REFERENCE_SECONDS: u64 = 30;
pub const REFERENCE_SEED: u64 = 7;
