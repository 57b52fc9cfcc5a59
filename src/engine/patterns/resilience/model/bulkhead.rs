//! Bulkheads (Resilience4j semantics, semantics.md §2): a limit on how many calls to one
//! dependency may be in progress, so a slow dependency cannot take every worker of its caller.
//!
//! - **Semaphore**: at most `max_concurrent` calls; a call that finds none free waits up to
//!   `max_wait` (first come, first served) and is then rejected. Default 25 and 0 (reject at once).
//! - **Thread pool**: `core` threads, then a queue of `queue_capacity`, then extra threads up to
//!   `max` (Java's ThreadPoolExecutor order); beyond that a call is rejected.
//!
//! Pure bookkeeping keyed by a ticket number; the engine schedules the waits.

use crate::engine::core::time::{SimDuration, SimTime};
use serde::Serialize;
use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BulkheadConfig {
    Semaphore {
        max_concurrent: u32,
        max_wait: SimDuration,
    },
    ThreadPool {
        core: u32,
        max: u32,
        queue_capacity: u32,
    },
}

impl BulkheadConfig {
    pub fn semaphore_default() -> BulkheadConfig {
        BulkheadConfig::Semaphore {
            max_concurrent: 25,
            max_wait: SimDuration::ZERO,
        }
    }

    /// Resilience4j sizes the pool by CPU count; the simulation assumes a 4-CPU caller.
    pub fn thread_pool_default() -> BulkheadConfig {
        BulkheadConfig::ThreadPool {
            core: 3,
            max: 4,
            queue_capacity: 100,
        }
    }
}

/// What happened to a call asking for a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead now.
    Run,
    /// Wait: the engine gets the ticket back from `release` when a place frees up, or gives up
    /// at the deadline (semaphore) with `give_up`.
    Wait { deadline: Option<SimTime> },
    /// Bulkhead full: rejected at once.
    Rejected,
}

#[derive(Clone, Debug)]
pub struct Bulkhead {
    config: BulkheadConfig,
    running: u32,
    waiting: VecDeque<u64>,
}

/// Occupancy for the gauge on the map.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BulkheadView {
    pub running: u32,
    pub limit: u32,
    pub waiting: u32,
    pub wait_capacity: u32,
}

impl Bulkhead {
    pub fn new(config: BulkheadConfig) -> Bulkhead {
        Bulkhead {
            config,
            running: 0,
            waiting: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &BulkheadConfig {
        &self.config
    }

    pub fn view(&self) -> BulkheadView {
        let (limit, wait_capacity) = match &self.config {
            BulkheadConfig::Semaphore { max_concurrent, .. } => (*max_concurrent, u32::MAX),
            BulkheadConfig::ThreadPool {
                max,
                queue_capacity,
                ..
            } => (*max, *queue_capacity),
        };
        BulkheadView {
            running: self.running,
            limit,
            waiting: self.waiting.len() as u32,
            wait_capacity,
        }
    }

    /// Asks for a place for call `ticket` at `now`.
    pub fn admit(&mut self, ticket: u64, now: SimTime) -> Admission {
        match &self.config {
            BulkheadConfig::Semaphore {
                max_concurrent,
                max_wait,
            } => {
                if self.running < *max_concurrent && self.waiting.is_empty() {
                    self.running += 1;
                    Admission::Run
                } else if max_wait.0 > 0 {
                    self.waiting.push_back(ticket);
                    Admission::Wait {
                        deadline: Some(now + *max_wait),
                    }
                } else {
                    Admission::Rejected
                }
            }
            BulkheadConfig::ThreadPool {
                core,
                max,
                queue_capacity,
            } => {
                if self.running < *core {
                    self.running += 1;
                    Admission::Run
                } else if (self.waiting.len() as u32) < *queue_capacity {
                    self.waiting.push_back(ticket);
                    Admission::Wait { deadline: None }
                } else if self.running < *max {
                    self.running += 1;
                    Admission::Run
                } else {
                    Admission::Rejected
                }
            }
        }
    }

    /// A running call finished. Returns the waiting ticket that now runs, if any.
    pub fn release(&mut self) -> Option<u64> {
        debug_assert!(
            self.running > 0,
            "a bulkhead released more than it admitted"
        );
        self.running = self.running.saturating_sub(1);
        let limit = match &self.config {
            BulkheadConfig::Semaphore { max_concurrent, .. } => *max_concurrent,
            BulkheadConfig::ThreadPool { max, .. } => *max,
        };
        if self.running < limit
            && let Some(next) = self.waiting.pop_front()
        {
            self.running += 1;
            return Some(next);
        }
        None
    }

    /// A waiting call reached its deadline: it leaves the queue (and is rejected). `false` if
    /// it was no longer waiting.
    pub fn give_up(&mut self, ticket: u64) -> bool {
        match self.waiting.iter().position(|&t| t == ticket) {
            Some(index) => {
                self.waiting.remove(index);
                true
            }
            None => false,
        }
    }

    /// Replaces the limits (a live knob). Calls running keep running; if the new limit leaves
    /// room, waiting calls start — their tickets are returned.
    pub fn reconfigure(&mut self, config: BulkheadConfig) -> Vec<u64> {
        self.config = config;
        let limit = match &self.config {
            BulkheadConfig::Semaphore { max_concurrent, .. } => *max_concurrent,
            BulkheadConfig::ThreadPool { core, .. } => *core,
        };
        let mut started = Vec::new();
        while self.running < limit {
            let Some(next) = self.waiting.pop_front() else {
                break;
            };
            self.running += 1;
            started.push(next);
        }
        started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_semaphore_without_wait_rejects_the_call_over_the_limit() {
        let mut bulkhead = Bulkhead::new(BulkheadConfig::Semaphore {
            max_concurrent: 2,
            max_wait: SimDuration::ZERO,
        });
        assert_eq!(bulkhead.admit(1, SimTime(0)), Admission::Run);
        assert_eq!(bulkhead.admit(2, SimTime(0)), Admission::Run);
        assert_eq!(bulkhead.admit(3, SimTime(0)), Admission::Rejected);
        assert_eq!(bulkhead.release(), None);
        assert_eq!(bulkhead.admit(4, SimTime(1)), Admission::Run);
        assert_eq!(
            Bulkhead::new(BulkheadConfig::semaphore_default())
                .view()
                .limit,
            25
        );
    }

    #[test]
    fn a_semaphore_with_wait_queues_fairly_and_gives_up_at_the_deadline() {
        let mut bulkhead = Bulkhead::new(BulkheadConfig::Semaphore {
            max_concurrent: 1,
            max_wait: SimDuration::from_millis(100),
        });
        assert_eq!(bulkhead.admit(1, SimTime(0)), Admission::Run);
        assert_eq!(
            bulkhead.admit(2, SimTime(10)),
            Admission::Wait {
                deadline: Some(SimTime(100_010))
            }
        );
        assert_eq!(
            bulkhead.admit(3, SimTime(20)),
            Admission::Wait {
                deadline: Some(SimTime(100_020))
            }
        );
        // Ticket 2 waited first, so it runs first.
        assert_eq!(bulkhead.release(), Some(2));
        // Ticket 3 times out before a place frees.
        assert!(bulkhead.give_up(3));
        assert!(!bulkhead.give_up(3));
        assert_eq!(bulkhead.release(), None);
        assert_eq!(bulkhead.view().running, 0);
    }

    #[test]
    fn a_thread_pool_fills_core_then_queue_then_max_then_rejects() {
        let mut bulkhead = Bulkhead::new(BulkheadConfig::ThreadPool {
            core: 2,
            max: 3,
            queue_capacity: 2,
        });
        let t = SimTime(0);
        let admissions: Vec<Admission> = (1..=7).map(|ticket| bulkhead.admit(ticket, t)).collect();
        assert_eq!(
            admissions,
            [
                Admission::Run,                     // core thread 1
                Admission::Run,                     // core thread 2
                Admission::Wait { deadline: None }, // queue slot 1
                Admission::Wait { deadline: None }, // queue slot 2
                Admission::Run,                     // extra thread up to max
                Admission::Rejected,                // pool and queue full
                Admission::Rejected,
            ]
        );
        // A thread finishing takes the oldest queued task.
        assert_eq!(bulkhead.release(), Some(3));
        assert_eq!(bulkhead.release(), Some(4));
        assert_eq!(bulkhead.release(), None);
        assert_eq!(bulkhead.view().running, 2);
    }

    #[test]
    fn raising_the_limit_starts_waiting_calls() {
        let mut bulkhead = Bulkhead::new(BulkheadConfig::Semaphore {
            max_concurrent: 1,
            max_wait: SimDuration::from_secs(1),
        });
        bulkhead.admit(1, SimTime(0));
        bulkhead.admit(2, SimTime(0));
        bulkhead.admit(3, SimTime(0));
        let started = bulkhead.reconfigure(BulkheadConfig::Semaphore {
            max_concurrent: 3,
            max_wait: SimDuration::from_secs(1),
        });
        assert_eq!(started, [2, 3]);
    }
}
