//! The saga's commands against a scenario: there are none, so nothing can be checked or named.

use super::{Command, CommandSpec};
use crate::engine::scenario::command::CommandError;
use crate::engine::scenario::model::Scenario;

impl Command {
    pub fn check(&self, _: &Scenario) -> Result<(), CommandError> {
        match *self {}
    }

    pub fn to_spec(&self, _: &Scenario) -> CommandSpec {
        match *self {}
    }
}

impl CommandSpec {
    pub fn resolve(&self, _: &Scenario) -> Result<Command, CommandError> {
        match *self {}
    }
}
