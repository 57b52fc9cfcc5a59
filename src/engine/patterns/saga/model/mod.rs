//! The saga's model: its scenario section and what it keeps while a run goes on. A saga is a
//! distributed transaction as a sequence of local steps, each with a compensation (semantics.md
//! §6, Richardson's *Microservices Patterns* ch. 4, Temporal's `Saga`); the behaviour that runs
//! it is the folder above this one.

pub mod commands;
pub mod section;
pub mod state;

pub use state::{
    FINISHED_MEMORY, SagaCounters, SagaOutcome, SagaPhase, SagaRef, SagaRun, SagaView, State,
    StepRecord, lock_name, step_lock,
};

use crate::engine::core::ids::{EndpointId, RequestId, SagaId};
use crate::engine::core::text::Text;
use crate::engine::core::time::SimDuration;
use serde::{Deserialize, Serialize};

/// The validated `[[sagas]]` of a scenario, and which endpoints start and observe them.
#[derive(Clone, Debug, Serialize)]
pub struct Spec {
    pub sagas: Vec<SagaSpec>,
    /// Per endpoint: the saga its requests start.
    pub starts: Vec<Option<SagaId>>,
    /// Per endpoint: the saga whose in-flight records it reads (observing their locks).
    pub observes: Vec<Option<SagaId>>,
}

/// A distributed transaction: steps with actions and compensations, run by an orchestrator or
/// through events (choreography).
#[derive(Clone, Debug, Serialize)]
pub struct SagaSpec {
    pub id: SagaId,
    pub name: String,
    pub label: Text,
    /// Requests to this endpoint start a saga (after the endpoint's own work).
    pub start: EndpointId,
    pub mode: SagaMode,
    pub steps: Vec<SagaStep>,
    /// The go/no-go step: compensatable steps come before it, retriable steps after it.
    pub pivot: usize,
    pub retry: CompensationRetry,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaMode {
    /// One orchestrator sends every step's command and reads the replies.
    Orchestration,
    /// Each participant triggers the next; compensations travel back along the chain.
    Choreography,
}

#[derive(Clone, Debug, Serialize)]
pub struct SagaStep {
    pub name: String,
    pub action: EndpointId,
    /// Steps before the pivot have one; the pivot and later (retriable) steps do not.
    pub compensation: Option<EndpointId>,
    pub timeout: Option<SimDuration>,
}

/// How failing compensations (and retriable steps) are retried: until they succeed, with an
/// exponential backoff (Temporal's default activity policy: 1 s, ×2, at most 100 s).
#[derive(Clone, Debug, Serialize)]
pub struct CompensationRetry {
    pub initial: SimDuration,
    pub multiplier: f64,
    pub max: SimDuration,
}

impl CompensationRetry {
    /// The wait before attempt `attempt + 1`.
    pub fn wait(&self, attempt: u32) -> SimDuration {
        let factor = libm::pow(
            self.multiplier,
            f64::from(attempt.saturating_sub(1).min(60)),
        );
        let wait = (self.initial.0 as f64 * factor).min(self.max.0 as f64);
        SimDuration(wait as u64)
    }
}

/// A call the saga owns: a run's step or compensation.
pub type Owner = SagaRef;

/// What the saga schedules in the event queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A failed step or compensation is tried again after the run's backoff.
    Resume(SagaRef),
}

crate::declare_events! {
    names: crate::engine::core::event::Names;
    /// What sagas add to the event stream (hash tags 23–26).
    pub enum Event {
        SagaStarted = 23, "saga_started" {
            run: u64,
            saga: SagaId,
            request: RequestId,
        },
        /// A saga step's action or compensation started (`status` none) or ended.
        SagaStep = 24, "saga_step" {
            run: u64,
            step: u16,
            compensation: bool,
            attempt: u32,
            status: Option<crate::engine::core::status::Status>,
        },
        SagaFinished = 25, "saga_finished" {
            run: u64,
            outcome: SagaOutcome,
        },
        /// A request read a record that an in-flight saga holds: it saw the `*_PENDING` lock.
        SemanticLockObserved = 26, "semantic_lock_observed" {
            run: u64,
            request: RequestId,
            step: u16,
        },
    }
}

/// The saga takes no commands (yet): the type has no values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Command {}

/// The saga takes no commands: there is nothing to read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CommandSpec {}

impl CommandSpec {
    pub const KINDS: &'static [&'static str] = &[];
}

impl crate::engine::core::event::Fold for Command {
    fn fold(&self, _: &mut crate::engine::core::event::TraceHasher) {
        match *self {}
    }
}
