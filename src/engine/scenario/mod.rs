//! Scenarios as data: TOML text → raw types (`raw`) → validated model (`validate`, `model`).
//!
//! `parse_scenario` is the one door from user input to the engine. It returns either a scenario
//! the engine can trust, or every problem found, each with its field path.

pub mod model;
pub mod policies;
pub mod problems;
pub mod raw;
pub mod sagas;
pub mod toml;
pub mod validate;

pub use model::*;
pub use problems::{Problem, Problems};

/// Parses and validates scenario TOML.
pub fn parse_scenario(text: &str) -> Result<Scenario, Vec<Problem>> {
    let table = raw::parse_toml(text).map_err(Problems::into_vec)?;
    let mut problems = Problems::default();
    let raw = raw::read_scenario(&table, &mut problems);
    let scenario = validate::validate(&raw, &mut problems);
    match scenario {
        Some(scenario) if problems.is_empty() => Ok(scenario),
        _ => Err(problems.into_vec()),
    }
}
