//! The observation layer: what a run looks like from outside — snapshots for drawing, the run
//! report, the invariant checker, trace exports (Jaeger JSON, OTLP/JSON) and the reference run.
//! It reads the kernel and the patterns; nothing below it reads it.

pub mod invariants;
pub mod reference;
pub mod report;
pub mod snapshot;
pub mod trace_export;
