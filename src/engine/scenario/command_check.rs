//! What a command means for a scenario: checking it, naming it, resolving a logged one, and
//! folding it into `trace_hash`. A pattern's commands are checked and named by its own folder.

use super::command::{Command, CommandError, CommandSpec, KernelCommandSpec, MAX_SLOW_FACTOR};
use super::model::Scenario;
use super::registry::{PatternCommand, PatternCommandSpec};
use crate::engine::core::event::{Fold, Names, ToJson, TraceHasher, serde_json_value};
use crate::engine::core::ids::{ServiceId, StationId};
use crate::engine::core::time::SimDuration;

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
            Command::Pattern(command) => command.check(scenario),
        }
    }

    /// The command with names, for logs and display.
    pub fn to_spec(&self, scenario: &Scenario) -> CommandSpec {
        let service_name = |id: ServiceId| scenario.service(id).name.clone();
        let station_name = |id: StationId| scenario.station(id).name.clone();
        let micros = |d: &Option<SimDuration>| d.map(|d| d.0);
        CommandSpec::Kernel(match self {
            Command::Crash {
                service,
                instance,
                duration,
            } => KernelCommandSpec::Crash {
                service: service_name(*service),
                instance: *instance,
                duration_us: micros(duration),
            },
            Command::Restart { service, instance } => KernelCommandSpec::Restart {
                service: service_name(*service),
                instance: *instance,
            },
            Command::Slow {
                service,
                instance,
                factor,
                duration,
            } => KernelCommandSpec::Slow {
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
            } => KernelCommandSpec::Errors {
                service: service_name(*service),
                instance: *instance,
                probability: *probability,
                duration_us: micros(duration),
            },
            Command::Partition { a, b, duration } => KernelCommandSpec::Partition {
                a: station_name(*a),
                b: station_name(*b),
                duration_us: micros(duration),
            },
            Command::Heal => KernelCommandSpec::Heal {},
            Command::Pattern(command) => return CommandSpec::Pattern(command.to_spec(scenario)),
        })
    }

    /// The duration the fault lasts, if it ends by itself.
    pub fn duration(&self) -> Option<SimDuration> {
        match self {
            Command::Crash { duration, .. }
            | Command::Slow { duration, .. }
            | Command::Errors { duration, .. }
            | Command::Partition { duration, .. } => *duration,
            Command::Restart { .. } | Command::Heal | Command::Pattern(_) => None,
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
            CommandSpec::Kernel(KernelCommandSpec::Crash {
                service: s,
                instance,
                duration_us,
            }) => Command::Crash {
                service: service(s)?,
                instance: *instance,
                duration: duration(duration_us),
            },
            CommandSpec::Kernel(KernelCommandSpec::Restart {
                service: s,
                instance,
            }) => Command::Restart {
                service: service(s)?,
                instance: *instance,
            },
            CommandSpec::Kernel(KernelCommandSpec::Slow {
                service: s,
                instance,
                factor,
                duration_us,
            }) => Command::Slow {
                service: service(s)?,
                instance: *instance,
                factor: *factor,
                duration: duration(duration_us),
            },
            CommandSpec::Kernel(KernelCommandSpec::Errors {
                service: s,
                instance,
                probability,
                duration_us,
            }) => Command::Errors {
                service: service(s)?,
                instance: *instance,
                probability: *probability,
                duration: duration(duration_us),
            },
            CommandSpec::Kernel(KernelCommandSpec::Partition { a, b, duration_us }) => {
                Command::Partition {
                    a: station(a)?,
                    b: station(b)?,
                    duration: duration(duration_us),
                }
            }
            CommandSpec::Kernel(KernelCommandSpec::Heal {}) => Command::Heal,
            CommandSpec::Pattern(spec) => Command::Pattern(spec.resolve(scenario)?),
        };
        command.check(scenario)?;
        Ok(command)
    }
}

macro_rules! dispatch_pattern_commands {
    ($($module:ident: $Name:ident),* $(,)?) => {
        impl PatternCommand {
            /// Checks the command against the scenario (its pattern says how).
            pub fn check(&self, scenario: &Scenario) -> Result<(), CommandError> {
                match self {
                    $(PatternCommand::$Name(command) => command.check(scenario),)*
                }
            }

            /// The command with names.
            // A pattern without commands has an empty command type: its arm cannot run.
            #[allow(unreachable_code)]
            pub fn to_spec(&self, scenario: &Scenario) -> PatternCommandSpec {
                match self {
                    $(PatternCommand::$Name(command) => {
                        PatternCommandSpec::$Name(command.to_spec(scenario))
                    })*
                }
            }
        }

        impl PatternCommandSpec {
            /// Resolves names against the scenario (its pattern says how).
            pub fn resolve(&self, scenario: &Scenario) -> Result<PatternCommand, CommandError> {
                match self {
                    $(PatternCommandSpec::$Name(spec) => {
                        spec.resolve(scenario).map(PatternCommand::$Name)
                    })*
                }
            }
        }

        impl Fold for PatternCommand {
            fn fold(&self, hasher: &mut TraceHasher) {
                match self {
                    $(PatternCommand::$Name(command) => command.fold(hasher),)*
                }
            }
        }
    };
}

crate::for_each_pattern!(dispatch_pattern_commands);

impl Fold for Command {
    /// Tags 1–6 are the kernel's commands; a pattern's commands fold their own tags (7 and up).
    fn fold(&self, hasher: &mut TraceHasher) {
        let duration = |d: &Option<SimDuration>| d.map_or(u64::MAX, |d| d.0);
        match self {
            Command::Crash {
                service,
                instance,
                duration: d,
            } => hasher.words(&[1, u64::from(service.0), u64::from(*instance), duration(d)]),
            Command::Restart { service, instance } => {
                hasher.words(&[2, u64::from(service.0), u64::from(*instance)])
            }
            Command::Slow {
                service,
                instance,
                factor,
                duration: d,
            } => hasher.words(&[
                3,
                u64::from(service.0),
                instance.map_or(u64::MAX, u64::from),
                factor.to_bits(),
                duration(d),
            ]),
            Command::Errors {
                service,
                instance,
                probability,
                duration: d,
            } => hasher.words(&[
                4,
                u64::from(service.0),
                instance.map_or(u64::MAX, u64::from),
                probability.to_bits(),
                duration(d),
            ]),
            Command::Partition { a, b, duration: d } => {
                hasher.words(&[5, u64::from(a.0), u64::from(b.0), duration(d)])
            }
            Command::Heal => hasher.word(6),
            Command::Pattern(command) => command.fold(hasher),
        }
    }
}

/// Names for the JSON stream that also write commands by name (`command_applied`).
pub trait CommandNames: Names {
    fn command_spec(&self, command: &Command) -> CommandSpec;
}

impl CommandNames for Scenario {
    fn command_spec(&self, command: &Command) -> CommandSpec {
        command.to_spec(self)
    }
}

impl<N: CommandNames + ?Sized> ToJson<N> for Command {
    fn to_json(&self, names: &N) -> serde_json::Value {
        serde_json_value(&names.command_spec(self))
    }
}
