//! The scenario layer: TOML text → raw types → the validated model the engine trusts.
//!
//! `parse_scenario` is the one door from user input to the engine. The `toml` crate parses the
//! text; `raw` reads the scenario's own tables and each pattern's folder reads its section
//! (`sections`); `validate` resolves names and checks ranges once for all. The result is either
//! a scenario the engine can trust, or every problem found, each with its field path and, where
//! known, its line and column. Commands (faults, knobs) and the built-in scenarios live here too.

pub mod builtin;
pub mod command;
pub mod command_check;
pub mod model;
pub mod problems;
pub mod raw;
pub mod read;
pub mod registry;
pub mod sections;
pub mod validate;

pub use model::*;
pub use problems::{Location, Problem, Problems};

/// The longest scenario text read, in bytes. The largest built-in is under 8 KB; a file a
/// hundred times that is not a scenario a person wrote, and reading it costs memory (a 3 MB file
/// of 200,000 tables took 330 MB and a third of a second to refuse).
pub const MAX_SCENARIO_BYTES: usize = 1_000_000;

/// The problem of a text longer than `MAX_SCENARIO_BYTES`, found before anything is parsed.
pub fn too_long(bytes: u64) -> Problem {
    Problem {
        path: String::new(),
        message: format!(
            "the file is {bytes} bytes; a scenario may be at most {MAX_SCENARIO_BYTES} bytes"
        ),
        at: None,
    }
}

/// Parses (with the `toml` crate) and validates scenario TOML. Every problem carries its field
/// path and, where it can be found, its line and column in `text`. A text longer than
/// `MAX_SCENARIO_BYTES` is refused unread.
pub fn parse_scenario(text: &str) -> Result<Scenario, Vec<Problem>> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(vec![too_long(text.len() as u64)]);
    }
    let table = read::parse_toml(text).map_err(|problems| problems.into_located(text))?;
    let mut problems = Problems::default();
    let raw = raw::read_scenario(table.get_ref(), &mut problems);
    let scenario = validate::validate(&raw, &mut problems);
    match scenario {
        Some(scenario) if problems.is_empty() => Ok(scenario),
        _ => Err(problems.into_located(text)),
    }
}
