//! The built-in scenarios: the TOML files of `scenarios/`, embedded at compile time by `build.rs`.
//! They are what the app offers in its picker and what the tests run.

use super::model::Scenario;
use super::parse_scenario;
use super::problems::Problem;

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
