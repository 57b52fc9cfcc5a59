//! The deterministic microservices engine.
//!
//! Pure and synchronous: no browser crates, no wall clock, no I/O, no hash-map iteration, no
//! randomness but the seeded streams of `core::rng`. The same scenario, seed and command log give
//! the same run, bit for bit, natively and in wasm32.
//!
//! Five layers, each a folder, each importing only from itself and the layers before it
//! (`tests/layers.rs` checks it): `core` (ids, time, randomness, the queue, the arena, statuses)
//! → `scenario` (read, validate, model; each pattern's `model` belongs here) → `kernel` (the
//! world, the life of a call, workload, faults, the loop) → `patterns` (one folder per pattern)
//! → `observe` (snapshots, reports, invariants, exports). This file is the facade the rest of the
//! program (the app, the CLI, the tests) uses; the engine's own modules never import it.
//! `ARCHITECTURE.md` describes the whole design.

pub mod core;
pub mod kernel;
pub mod observe;
pub mod patterns;
pub mod scenario;

/// A run of a scenario, with the closed set of patterns.
pub type Engine = kernel::world::Kernel<patterns::AllPatterns>;

pub use self::core::attributes::RequestAttributes;
pub use self::core::event::format_hash;
pub use self::core::status::{CallRole, Direction, Status};
pub use self::core::{dist, histogram, ids, json, rng, time};
pub use kernel::events::{EngineEvent, EventKind};
pub use kernel::registry::PatternEvent;
pub use kernel::world::EngineError;
pub use kernel::{edges, metrics, traces};
pub use observe::report::RunReport;
pub use observe::snapshot::Snapshot;
pub use observe::{report, snapshot, trace_export};
pub use patterns::resilience::model as resilience;
pub use patterns::resilience::remove_protections;
pub use patterns::saga::model as saga;
pub use patterns::{AllPatterns, PatternViews};
pub use scenario::command::{
    Command, CommandError, CommandSpec, KernelCommandSpec, RecordedCommand,
};
pub use scenario::{
    MAX_SCENARIO_BYTES, Problem, Scenario, builtin, command, parse_scenario, too_long,
};
pub use time::{SimDuration, SimTime};
