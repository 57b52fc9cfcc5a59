//! The deterministic microservices engine.
//!
//! Pure and synchronous: no browser crates, no wall clock, no I/O, no hash-map iteration, no
//! randomness but the seeded streams of `rng`. The same scenario, seed and command log give the
//! same run, bit for bit, natively and in wasm32. `ARCHITECTURE.md` describes the whole design.

pub mod builtin;
pub mod command;
pub mod core;
pub mod edges;
pub mod events;
pub mod metrics;
pub mod report;
pub mod resilience;
pub mod saga;
pub mod scenario;
pub mod sim;
pub mod snapshot;
pub mod trace_export;
pub mod traces;

// The facade: what code outside the engine (the app, the CLI, tests) names. Inside the engine,
// modules import from their layer's own paths, so the layering stays visible.
pub use self::core::attributes::RequestAttributes;
pub use self::core::status::{CallRole, Direction, Status};
pub use self::core::{dist, histogram, ids, json, rng, time};
pub use command::{Command, CommandError, CommandSpec, RecordedCommand};
pub use events::{EngineEvent, EventKind};
pub use report::RunReport;
pub use scenario::{Problem, Scenario, parse_scenario};
pub use sim::{Engine, EngineError};
pub use snapshot::Snapshot;
pub use time::{SimDuration, SimTime};
