//! The cross-platform reference run: what native and wasm32 builds compute to prove they agree
//! bit for bit.

use crate::engine::core::time::SimDuration;
use crate::engine::kernel::world::Kernel;
use crate::engine::patterns::AllPatterns;
use crate::engine::scenario::builtin::load_builtin;

/// The run both platforms compute to prove they agree bit for bit: the Flipkart scenario for
/// 30 virtual seconds with seed 7 (`lokal-cli run builtin:flipkart --duration 30s --seed 7`).
/// It exercises every distribution (log-normal and mixtures through libm), parallel fan-out,
/// timeouts and all three balancers' draws.
pub fn reference_trace_hash() -> Option<u64> {
    let mut scenario = load_builtin(REFERENCE_SCENARIO)?.ok()?;
    scenario.duration = SimDuration::from_secs(REFERENCE_SECONDS);
    let mut engine = Kernel::<AllPatterns>::new(std::sync::Arc::new(scenario), REFERENCE_SEED);
    engine.run_until_idle(u64::MAX).ok()?;
    Some(engine.trace_hash())
}

pub const REFERENCE_SCENARIO: &str = "flipkart";
pub const REFERENCE_SECONDS: u64 = 30;
pub const REFERENCE_SEED: u64 = 7;
