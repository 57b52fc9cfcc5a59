//! Scenarios as data: TOML text → raw types (`raw`) → validated model (`validate`, `model`).
//!
//! `parse_scenario` is the one door from user input to the engine. It returns either a scenario
//! the engine can trust, or every problem found, each with its field path.

pub mod model;
pub mod policies;
pub mod problems;
pub mod raw;
pub mod sagas;
pub mod validate;

pub use model::*;
pub use problems::{Location, Problem, Problems};

/// Parses (with the `toml` crate) and validates scenario TOML. Every problem carries its field
/// path and, where it can be found, its line and column in `text`.
pub fn parse_scenario(text: &str) -> Result<Scenario, Vec<Problem>> {
    let table = raw::parse_toml(text).map_err(|problems| problems.into_located(text))?;
    let mut problems = Problems::default();
    let raw = raw::read_scenario(table.get_ref(), &mut problems);
    let scenario = validate::validate(&raw, &mut problems);
    match scenario {
        Some(scenario) if problems.is_empty() => Ok(scenario),
        _ => Err(problems.into_located(text)),
    }
}
