//! What the saga keeps while a run goes on: its runs in flight (an arena), whose records are
//! locked, totals per saga, and the last finished runs for the panel.

use crate::engine::core::arena::{Arena, Handle};
use crate::engine::core::attributes::RequestAttributes;
use crate::engine::core::event::{Fold, ToJson, TraceHasher, serde_json_value};
use crate::engine::core::ids::{CallRef, InstanceId, RequestId, SagaId, TraceRef};
use crate::engine::core::status::Status;
use crate::engine::core::time::SimTime;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// How many finished runs the saga panel remembers.
pub const FINISHED_MEMORY: usize = 40;

/// A handle on a live saga run; it goes stale when the run finishes.
pub type SagaRef = Handle<SagaRun>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaOutcome {
    Completed,
    Compensated,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaPhase {
    Running,
    Compensating,
    Completed,
    Compensated,
}

/// One step's story in a run, for the saga panel's timeline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StepRecord {
    pub action_started_us: Option<u64>,
    pub action_ended_us: Option<u64>,
    pub action_status: Option<Status>,
    pub action_attempts: u32,
    pub compensation_started_us: Option<u64>,
    pub compensation_ended_us: Option<u64>,
    pub compensation_status: Option<Status>,
    pub compensation_attempts: u32,
}

/// A saga run as the panel shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SagaView {
    pub run: u64,
    pub saga: SagaId,
    pub request: RequestId,
    pub phase: SagaPhase,
    pub started_us: u64,
    pub ended_us: Option<u64>,
    /// The semantic lock the record carries while in flight.
    pub lock: Option<String>,
    pub steps: Vec<StepRecord>,
}

/// Totals per saga definition (also in the run report).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SagaCounters {
    pub started: u64,
    pub completed: u64,
    pub compensated: u64,
    pub compensations_run: u64,
    pub retries: u64,
    pub lock_observations: u64,
}

#[derive(Clone, Debug)]
pub struct SagaRun {
    pub id: u64,
    pub saga: SagaId,
    pub request: RequestId,
    pub attributes: RequestAttributes,
    /// The handler that waits for the decision (until it has its answer).
    pub handler: Option<CallRef>,
    pub phase: SagaPhase,
    pub step: usize,
    pub attempt: u32,
    pub completed: Vec<bool>,
    pub compensated: Vec<bool>,
    pub started_at: SimTime,
    pub records: Vec<StepRecord>,
    /// The run's INTERNAL span at the orchestrator (sampled requests only).
    pub trace: Option<TraceRef>,
    pub span: u32,
    /// The orchestrator's instance: where the run's commands leave from.
    pub orchestrator_instance: Option<InstanceId>,
}

/// The saga's part of a running engine.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub runs: Arena<SagaRun>,
    pub next_id: u64,
    /// Runs in flight by (saga, user): whose records are locked.
    pub by_user: BTreeMap<(SagaId, u32), SagaRef>,
    pub counters: Vec<SagaCounters>,
    pub finished: VecDeque<SagaView>,
}

impl State {
    pub fn new(sagas: usize) -> State {
        State {
            counters: vec![SagaCounters::default(); sagas],
            next_id: 1,
            ..State::default()
        }
    }
}

/// The semantic lock a record carries while `step` is in flight: `RESERVE_INVENTORY_PENDING`.
pub fn step_lock(step_name: &str) -> String {
    format!("{}_PENDING", step_name.to_ascii_uppercase())
}

pub fn lock_name(step_name: &str, phase: SagaPhase) -> String {
    match phase {
        SagaPhase::Compensating => "COMPENSATION_PENDING".to_string(),
        _ => step_lock(step_name),
    }
}

impl Fold for SagaOutcome {
    fn fold(&self, hasher: &mut TraceHasher) {
        hasher.word(*self as u64);
    }
}

impl<S: ?Sized> ToJson<S> for SagaOutcome {
    fn to_json(&self, _: &S) -> serde_json::Value {
        serde_json_value(self)
    }
}
