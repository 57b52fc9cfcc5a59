//! Commands change a running simulation: crash or restart an instance, slow it, make it fail,
//! partition two stations, heal everything.
//!
//! A scenario schedules commands as faults; a user applies them at run time. Every command applied
//! at run time is recorded with its virtual time, and replaying scenario + seed + command log
//! reproduces the run exactly. Logs name services and stations (`CommandSpec`) so they stay
//! readable and survive a scenario edit that renumbers things.

use super::registry::{PatternCommand, PatternCommandSpec};
use crate::engine::core::ids::{ServiceId, StationId};
use crate::engine::core::time::{SimDuration, SimTime};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
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
    /// A pattern's own command, like a live knob on a resilience policy.
    #[serde(untagged)]
    Pattern(PatternCommand),
}

/// A command as a person or a log writes it: with names. The kernel's kinds are below; each
/// pattern adds its own (`set_policy`), read by its folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum KernelCommandSpec {
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
        #[serde(serialize_with = "crate::engine::core::json::finite")]
        factor: f64,
        #[serde(default)]
        duration_us: Option<u64>,
    },
    Errors {
        service: String,
        #[serde(default)]
        instance: Option<u32>,
        #[serde(serialize_with = "crate::engine::core::json::finite")]
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
}

/// A command as a person or a log writes it: with names (`{"kind": "crash", "service": …}`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CommandSpec {
    Kernel(KernelCommandSpec),
    Pattern(PatternCommandSpec),
}

/// The kernel's kinds of command.
const KERNEL_KINDS: [&str; 6] = ["crash", "restart", "slow", "errors", "partition", "heal"];

impl<'de> Deserialize<'de> for CommandSpec {
    /// Strict: a key given twice is an error (before anything else), then the `kind` decides
    /// whose command it is, and that type reads it with `deny_unknown_fields`, so its errors
    /// name the field at fault.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CommandSpec, D::Error> {
        struct Fields;

        impl<'de> Visitor<'de> for Fields {
            type Value = serde_json::Map<String, serde_json::Value>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command object with a \"kind\"")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut object = serde_json::Map::new();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    if object.contains_key(&key) {
                        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    object.insert(key, value);
                }
                Ok(object)
            }
        }

        let object = deserializer.deserialize_map(Fields)?;
        let kind = match object.get("kind") {
            Some(serde_json::Value::String(kind)) => kind.clone(),
            Some(_) => return Err(de::Error::custom("`kind` must be text")),
            None => return Err(de::Error::missing_field("kind")),
        };
        let object = serde_json::Value::Object(object);
        if KERNEL_KINDS.contains(&kind.as_str()) {
            return serde_json::from_value(object)
                .map(CommandSpec::Kernel)
                .map_err(de::Error::custom);
        }
        match PatternCommandSpec::read(&kind, object) {
            Some(read) => read.map(CommandSpec::Pattern).map_err(de::Error::custom),
            None => {
                let mut known: Vec<&str> = KERNEL_KINDS.to_vec();
                known.extend(PatternCommandSpec::kinds());
                Err(de::Error::custom(format_args!(
                    "unknown kind `{kind}`, expected one of {}",
                    known.join(", ")
                )))
            }
        }
    }
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

impl RecordedCommand {
    pub fn at(&self) -> SimTime {
        SimTime(self.at_us)
    }
}
