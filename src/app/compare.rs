//! The compare view's work: the same scenario and seed run twice to the end, once as written and
//! once with every protection removed. Plain Rust, tested natively; the dialog only shows it.

use crate::engine::metrics::{Counters, SecondPoint};
use crate::engine::{Engine, EngineError, Scenario};
use std::sync::Arc;

/// Bound on each run, so a huge scenario cannot freeze the page.
pub const COMPARE_EVENT_BUDGET: u64 = 40_000_000;

/// One run's figures: the clients' counters, their p99, and the per-second series.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    pub report: Counters,
    pub p99_ms: f64,
    pub series: Vec<SecondPoint>,
}

/// Requests that did not succeed: failed, rejected or timed out.
pub fn errors(report: &Counters) -> u64 {
    report.failed + report.rejected + report.timed_out
}

fn run(scenario: &Arc<Scenario>, seed: u64, protections: bool) -> Result<Side, EngineError> {
    let mut engine = Engine::new(Arc::clone(scenario), seed);
    if !protections {
        crate::engine::remove_protections(&mut engine);
    }
    engine.run_until_idle(COMPARE_EVENT_BUDGET)?;
    let client = &engine.metrics().client;
    Ok(Side {
        report: client.counters,
        p99_ms: client.summary().p99_us as f64 / 1_000.0,
        series: engine.metrics().client.series().iter().copied().collect(),
    })
}

/// (protections off, protections on) for `scenario` and `seed`.
pub fn run_pair(scenario: &Arc<Scenario>, seed: u64) -> Result<(Side, Side), EngineError> {
    Ok((run(scenario, seed, false)?, run(scenario, seed, true)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::builtin::load_builtin;

    #[test]
    fn protections_on_beat_protections_off_in_the_zomato_lesson() {
        let Some(Ok(scenario)) = load_builtin("zomato-protected") else {
            panic!()
        };
        let (off, on) = run_pair(&Arc::new(scenario), 3).expect("finite");
        assert_eq!(
            off.report.arrived, on.report.arrived,
            "the same seed sends the same requests"
        );
        assert!(
            errors(&off.report) > 10 * errors(&on.report).max(1),
            "{} vs {}",
            errors(&off.report),
            errors(&on.report)
        );
        assert!(on.report.degraded > 0);
        assert_eq!(off.report.degraded, 0);
        assert!(!off.series.is_empty() && !on.series.is_empty());
    }
}
