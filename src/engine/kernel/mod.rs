//! The kernel layer: the world state of a run, the life of a call, the workload, faults and
//! commands, the event loop, and the door through which patterns act. It knows the scenario and
//! the patterns' models (the types below it), never the patterns' behaviour: that it reaches only
//! through `Hooks`, implemented by the closed set in `patterns`.

pub mod call;
pub mod edges;
pub mod events;
pub mod faults;
pub mod life;
pub mod metrics;
pub mod registry;
pub mod traces;
pub mod workload;
pub mod world;
