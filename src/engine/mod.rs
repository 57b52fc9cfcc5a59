//! The deterministic microservices engine.
//!
//! Pure and synchronous: no browser crates, no wall clock, no I/O, no hash-map iteration, no
//! randomness but the seeded streams of `rng`. The same scenario, seed and command log give the
//! same run, bit for bit, natively and in wasm32. `ARCHITECTURE.md` describes the whole design.

pub mod builtin;
pub mod command;
pub mod dist;
pub mod edges;
pub mod events;
pub mod histogram;
pub mod ids;
pub mod json;
pub mod metrics;
pub mod queue;
pub mod report;
pub mod resilience;
pub mod rng;
pub mod saga;
pub mod scenario;
pub mod sim;
pub mod snapshot;
pub mod time;
pub mod trace_export;
pub mod traces;

pub use command::{Command, CommandError, CommandSpec, RecordedCommand};
pub use events::{Direction, EngineEvent, EventKind, Status};
pub use report::RunReport;
pub use scenario::{Problem, Scenario, parse_scenario};
pub use sim::{Engine, EngineError};
pub use snapshot::Snapshot;
pub use time::{SimDuration, SimTime};
