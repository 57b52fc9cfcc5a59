//! Commands change a running simulation: crash or restart an instance, slow it, make it fail,
//! partition two stations, heal everything.
//!
//! A scenario schedules commands as faults; a user applies them at run time. Every command applied
//! at run time is recorded with its virtual time, and replaying scenario + seed + command log
//! reproduces the run exactly. Logs name services and stations (`CommandSpec`) so they stay
//! readable and survive a scenario edit that renumbers things.

use super::core::ids::{EdgeId, ServiceId, StationId};
use super::core::time::{SimDuration, SimTime};
use super::resilience::PolicyChange;
use super::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A command with resolved ids, ready for the engine.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Command {
    /// The instance stops: its queued and running calls fail, new calls are refused.
    /// It comes back after `duration`, or when restarted.
    Crash {
        service: ServiceId,
        instance: u32,
        duration: Option<SimDuration>,
    },
    /// A crashed instance comes back, empty.
    Restart { service: ServiceId, instance: u32 },
    /// Service times are multiplied by `factor` on one instance, or on all when `instance` is `None`.
    Slow {
        service: ServiceId,
        instance: Option<u32>,
        factor: f64,
        duration: Option<SimDuration>,
    },
    /// Calls fail with an extra `probability` on one instance or all.
    Errors {
        service: ServiceId,
        instance: Option<u32>,
        probability: f64,
        duration: Option<SimDuration>,
    },
    /// Messages between the two stations are lost (both directions).
    Partition {
        a: StationId,
        b: StationId,
        duration: Option<SimDuration>,
    },
    /// Ends every active fault and restarts every crashed instance.
    Heal,
    /// Changes a policy on a caller→callee edge (a live knob).
    SetPolicy { edge: EdgeId, change: PolicyChange },
}

/// A command as a person or a log writes it: with names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum CommandSpec {
    Crash {
        service: String,
        #[serde(default)]
        instance: u32,
        #[serde(default)]
        duration_us: Option<u64>,
    },
    Restart {
        service: String,
        #[serde(default)]
        instance: u32,
    },
    Slow {
        service: String,
        #[serde(default)]
        instance: Option<u32>,
        #[serde(serialize_with = "super::core::json::finite")]
        factor: f64,
        #[serde(default)]
        duration_us: Option<u64>,
    },
    Errors {
        service: String,
        #[serde(default)]
        instance: Option<u32>,
        #[serde(serialize_with = "super::core::json::finite")]
        probability: f64,
        #[serde(default)]
        duration_us: Option<u64>,
    },
    Partition {
        a: String,
        b: String,
        #[serde(default)]
        duration_us: Option<u64>,
    },
    /// A struct variant, so that `deny_unknown_fields` holds for it too (serde lets a unit
    /// variant of an internally tagged enum ignore extra keys).
    Heal {},
    SetPolicy {
        from: String,
        to: String,
        change: PolicyChange,
    },
}

/// A command applied at run time, as the command log keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedCommand {
    pub at_us: u64,
    pub command: CommandSpec,
}

/// The command log as a JSON array, one command per line, in the format `lokal-cli run
/// --commands` reads. An error (naming the value) only if a number in it is not finite.
pub fn command_log_json(log: &[RecordedCommand]) -> Result<String, String> {
    let lines = log
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<String>, _>>()
        .map_err(|e| format!("the command log cannot be written: {e}"))?;
    Ok(format!("[\n  {}\n]\n", lines.join(",\n  ")))
}

/// Reads a command log (what `command_log_json` writes), strictly: JSON by RFC 8259, no key
/// twice, no unknown key. The error says what is wrong and where.
pub fn read_command_log(text: &str) -> Result<Vec<RecordedCommand>, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Why a command cannot be applied to this scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandError(pub String);

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommandError {}

/// Largest slow-down factor a command may ask for.
pub const MAX_SLOW_FACTOR: f64 = 1_000.0;

impl Command {
    /// Checks the command against the scenario: instances exist, factors and probabilities are sane.
    pub fn check(&self, scenario: &Scenario) -> Result<(), CommandError> {
        let check_instance = |service: ServiceId, instance: u32| {
            let Some(svc) = scenario.services.get(service.index()) else {
                return Err(CommandError(format!("there is no service #{}", service.0)));
            };
            if instance as usize >= svc.instances.len() {
                return Err(CommandError(format!(
                    "service \"{}\" has {} instance(s), numbered from 0; there is no instance {instance}",
                    svc.name,
                    svc.instances.len()
                )));
            }
            Ok(())
        };
        let check_duration = |duration: &Option<SimDuration>| match duration {
            Some(d) if d.0 == 0 => {
                Err(CommandError("a fault's duration must be above zero".into()))
            }
            _ => Ok(()),
        };
        match self {
            Command::Crash {
                service,
                instance,
                duration,
            } => {
                check_instance(*service, *instance)?;
                check_duration(duration)
            }
            Command::Restart { service, instance } => check_instance(*service, *instance),
            Command::Slow {
                service,
                instance,
                factor,
                duration,
            } => {
                check_instance(*service, instance.unwrap_or(0))?;
                if !(factor.is_finite() && *factor > 0.0 && *factor <= MAX_SLOW_FACTOR) {
                    return Err(CommandError(format!(
                        "slow-down factor {factor} is out of range; use a number above 0 and at most {MAX_SLOW_FACTOR}"
                    )));
                }
                check_duration(duration)
            }
            Command::Errors {
                service,
                instance,
                probability,
                duration,
            } => {
                check_instance(*service, instance.unwrap_or(0))?;
                if !(0.0..=1.0).contains(probability) {
                    return Err(CommandError(format!(
                        "error probability {probability} is out of range; use a number from 0 to 1"
                    )));
                }
                check_duration(duration)
            }
            Command::Partition { a, b, duration } => {
                if a.index() >= scenario.stations.len() || b.index() >= scenario.stations.len() {
                    return Err(CommandError("partition names an unknown station".into()));
                }
                if a == b {
                    return Err(CommandError(
                        "a partition needs two different stations".into(),
                    ));
                }
                check_duration(duration)
            }
            Command::Heal => Ok(()),
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

    /// The command with names, for logs and display.
    pub fn to_spec(&self, scenario: &Scenario) -> CommandSpec {
        let service_name = |id: ServiceId| scenario.service(id).name.clone();
        let station_name = |id: StationId| scenario.station(id).name.clone();
        let micros = |d: &Option<SimDuration>| d.map(|d| d.0);
        match self {
            Command::Crash {
                service,
                instance,
                duration,
            } => CommandSpec::Crash {
                service: service_name(*service),
                instance: *instance,
                duration_us: micros(duration),
            },
            Command::Restart { service, instance } => CommandSpec::Restart {
                service: service_name(*service),
                instance: *instance,
            },
            Command::Slow {
                service,
                instance,
                factor,
                duration,
            } => CommandSpec::Slow {
                service: service_name(*service),
                instance: *instance,
                factor: *factor,
                duration_us: micros(duration),
            },
            Command::Errors {
                service,
                instance,
                probability,
                duration,
            } => CommandSpec::Errors {
                service: service_name(*service),
                instance: *instance,
                probability: *probability,
                duration_us: micros(duration),
            },
            Command::Partition { a, b, duration } => CommandSpec::Partition {
                a: station_name(*a),
                b: station_name(*b),
                duration_us: micros(duration),
            },
            Command::Heal => CommandSpec::Heal {},
            Command::SetPolicy { edge, change } => {
                let policy = scenario.edge(*edge);
                CommandSpec::SetPolicy {
                    from: service_name(policy.from),
                    to: service_name(policy.to),
                    change: change.clone(),
                }
            }
        }
    }

    /// The duration the fault lasts, if it ends by itself.
    pub fn duration(&self) -> Option<SimDuration> {
        match self {
            Command::Crash { duration, .. }
            | Command::Slow { duration, .. }
            | Command::Errors { duration, .. }
            | Command::Partition { duration, .. } => *duration,
            Command::Restart { .. } | Command::Heal | Command::SetPolicy { .. } => None,
        }
    }
}

impl CommandSpec {
    /// Resolves names against the scenario and checks the result.
    pub fn resolve(&self, scenario: &Scenario) -> Result<Command, CommandError> {
        let service = |name: &str| {
            scenario
                .service_named(name)
                .ok_or_else(|| CommandError(format!("service \"{name}\" not found")))
        };
        let station = |name: &str| {
            scenario
                .station_named(name)
                .ok_or_else(|| CommandError(format!("station \"{name}\" not found")))
        };
        let duration = |d: &Option<u64>| d.map(SimDuration);
        let command = match self {
            CommandSpec::Crash {
                service: s,
                instance,
                duration_us,
            } => Command::Crash {
                service: service(s)?,
                instance: *instance,
                duration: duration(duration_us),
            },
            CommandSpec::Restart {
                service: s,
                instance,
            } => Command::Restart {
                service: service(s)?,
                instance: *instance,
            },
            CommandSpec::Slow {
                service: s,
                instance,
                factor,
                duration_us,
            } => Command::Slow {
                service: service(s)?,
                instance: *instance,
                factor: *factor,
                duration: duration(duration_us),
            },
            CommandSpec::Errors {
                service: s,
                instance,
                probability,
                duration_us,
            } => Command::Errors {
                service: service(s)?,
                instance: *instance,
                probability: *probability,
                duration: duration(duration_us),
            },
            CommandSpec::Partition { a, b, duration_us } => Command::Partition {
                a: station(a)?,
                b: station(b)?,
                duration: duration(duration_us),
            },
            CommandSpec::Heal {} => Command::Heal,
            CommandSpec::SetPolicy { from, to, change } => {
                let (from_id, to_id) = (service(from)?, service(to)?);
                let edge = scenario
                    .edge_between(from_id, to_id)
                    .ok_or_else(|| CommandError(format!("\"{from}\" never calls \"{to}\"")))?;
                Command::SetPolicy {
                    edge,
                    change: change.clone(),
                }
            }
        };
        command.check(scenario)?;
        Ok(command)
    }
}

impl RecordedCommand {
    pub fn at(&self) -> SimTime {
        SimTime(self.at_us)
    }
}
