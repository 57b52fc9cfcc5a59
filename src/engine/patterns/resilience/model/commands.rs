//! Checking, naming and resolving resilience's commands against a scenario.

use super::{Command, CommandSpec, PolicyChange};
use crate::engine::core::ids::EdgeId;
use crate::engine::scenario::command::CommandError;
use crate::engine::scenario::model::Scenario;
use crate::engine::scenario::registry::PatternCommand;

impl Command {
    pub fn check(&self, scenario: &Scenario) -> Result<(), CommandError> {
        match self {
            Command::SetPolicy { edge, change } => {
                if edge.index() >= scenario.edges.len() {
                    return Err(CommandError("there is no such edge".into()));
                }
                change
                    .check()
                    .map_err(|e| CommandError(format!("{}: {e}", scenario.edge_label(*edge))))
            }
        }
    }

    pub fn to_spec(&self, scenario: &Scenario) -> CommandSpec {
        match self {
            Command::SetPolicy { edge, change } => {
                let edge = scenario.edge(*edge);
                CommandSpec::SetPolicy {
                    from: scenario.service(edge.from).name.clone(),
                    to: scenario.service(edge.to).name.clone(),
                    change: change.clone(),
                }
            }
        }
    }
}

impl CommandSpec {
    pub fn resolve(&self, scenario: &Scenario) -> Result<Command, CommandError> {
        match self {
            CommandSpec::SetPolicy { from, to, change } => {
                let service = |name: &str| {
                    scenario
                        .service_named(name)
                        .ok_or_else(|| CommandError(format!("service \"{name}\" not found")))
                };
                let (from_id, to_id) = (service(from)?, service(to)?);
                let edge = scenario
                    .edge_between(from_id, to_id)
                    .ok_or_else(|| CommandError(format!("\"{from}\" never calls \"{to}\"")))?;
                // The kernel's `CommandSpec::resolve` checks the resolved command.
                Ok(Command::SetPolicy {
                    edge,
                    change: change.clone(),
                })
            }
        }
    }
}

impl Command {
    /// A live knob as the engine applies it: `change` on `edge`.
    pub fn set_policy(
        edge: EdgeId,
        change: PolicyChange,
    ) -> crate::engine::scenario::command::Command {
        crate::engine::scenario::command::Command::Pattern(PatternCommand::Resilience(
            Command::SetPolicy { edge, change },
        ))
    }
}
