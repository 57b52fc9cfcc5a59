//! The saga's section of the run report: how each saga definition's runs ended (`"sagas"` in
//! `lokal-cli run --json`).

use crate::engine::kernel::world::{Hooks, Kernel};
use serde::Serialize;
use std::fmt::Write as _;

/// A saga definition's runs: how they ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SagaReport {
    pub saga: String,
    pub started: u64,
    pub completed: u64,
    pub compensated: u64,
    /// Still running when the report was taken.
    pub running: u64,
    pub compensations_run: u64,
    pub retries: u64,
    pub lock_observations: u64,
}

/// The saga's part of the run report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SagaReports {
    pub sagas: Vec<SagaReport>,
}

pub(super) fn report<H: Hooks>(k: &Kernel<H>) -> SagaReports {
    let sagas = k
        .scenario()
        .patterns
        .saga
        .sagas
        .iter()
        .zip(&k.patterns.saga.counters)
        .map(|(saga, c)| SagaReport {
            saga: saga.name.clone(),
            started: c.started,
            completed: c.completed,
            compensated: c.compensated,
            running: c.started - c.completed - c.compensated,
            compensations_run: c.compensations_run,
            retries: c.retries,
            lock_observations: c.lock_observations,
        })
        .collect();
    SagaReports { sagas }
}

impl SagaReports {
    /// One line per saga, as `lokal-cli run` prints it.
    pub fn write_text(&self, text: &mut String) {
        for saga in &self.sagas {
            let _ = writeln!(text);
            let _ = writeln!(
                text,
                "saga {}: started {}  completed {}  compensated {}  running {}  compensations {}  retries {}  locks observed {}",
                saga.saga,
                saga.started,
                saga.completed,
                saga.compensated,
                saga.running,
                saga.compensations_run,
                saga.retries,
                saga.lock_observations
            );
        }
    }
}
