//! The core layer: what every other layer speaks and nothing here depends on. Ids and virtual
//! time, the seeded random streams and distributions, the event queue, the generic arena that
//! holds calls, invocations, saga runs and open traces, call statuses, request attributes, the
//! latency histogram, and the JSON rules. Imports nothing from the rest of the engine.

pub mod arena;
pub mod attributes;
pub mod dist;
pub mod event;
pub mod histogram;
pub mod ids;
pub mod json;
pub mod queue;
pub mod rng;
pub mod status;
pub mod text;
pub mod time;
