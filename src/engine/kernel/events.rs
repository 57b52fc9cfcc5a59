//! The typed event stream the engine hands out. Every event the engine emits is folded into
//! `trace_hash` whether or not anyone records it, so two runs with the same scenario, seed and
//! commands can be compared by one 64-bit number. The kernel's kinds are declared here, each
//! pattern's in its own model; `declare_events!` writes the name, the fold and the JSON of each.

use super::registry::PatternEvent;
use crate::engine::core::event::TraceHasher;
use crate::engine::core::ids::{CallId, EndpointId, InstanceId, RequestId, StationId};
use crate::engine::core::status::{CallRole, Direction, Status};
use crate::engine::core::time::SimTime;
use crate::engine::scenario::command::Command;
use crate::engine::scenario::model::Scenario;
use serde_json::Value;

/// An event at its virtual time.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineEvent {
    pub t_us: u64,
    pub kind: EventKind,
}

crate::declare_events! {
    names: crate::engine::scenario::command_check::CommandNames;
    /// What happened. Tags 1–18 and 27 are the kernel's; a pattern's events come wrapped in
    /// `Pattern`, with the tags their pattern declared.
    pub enum EventKind {
        /// A client sent a new request.
        RequestArrived = 1, "request_arrived" {
            request: RequestId,
            call: CallId,
            endpoint: EndpointId,
        },
        HopDeparted = 2, "hop_departed" {
            call: CallId,
            request: RequestId,
            direction: Direction,
            from: StationId,
            to: StationId,
            arrive_us: u64,
            /// The answer's status, on responses.
            status: Option<Status>,
            /// 1 for a first try; 2, 3, … for retries on a policy edge.
            attempt: u32,
            /// A saga action or compensation, or a normal call.
            role: CallRole,
        },
        HopArrived = 3, "hop_arrived" {
            call: CallId,
            direction: Direction,
        },
        /// The hop was lost in a partition; the caller learns of it after the connect timeout.
        HopLost = 4, "hop_lost" {
            call: CallId,
            direction: Direction,
        },
        CallQueued = 5, "call_queued" {
            call: CallId,
            instance: InstanceId,
            queue_length: u32,
        },
        CallStarted = 6, "call_started" {
            call: CallId,
            instance: InstanceId,
        },
        CallRejected = 7, "call_rejected" {
            call: CallId,
            instance: InstanceId,
        },
        /// The handler is done and its worker is free again.
        CallFinished = 8, "call_finished" {
            call: CallId,
            instance: InstanceId,
            status: Status,
        },
        /// The caller stopped waiting for this call.
        CallTimedOut = 9, "call_timed_out" {
            call: CallId,
        },
        /// An answer arrived for a call nobody waits for any more.
        LateResponse = 10, "late_response" {
            call: CallId,
        },
        /// The request reached its callee after the caller had given up: the caller closed the
        /// connection, so the callee discards it unopened.
        CallAbandoned = 27, "call_abandoned" {
            call: CallId,
        },
        RequestCompleted = 11, "request_completed" {
            request: RequestId,
            endpoint: EndpointId,
            latency_us: u64,
        },
        RequestFailed = 12, "request_failed" {
            request: RequestId,
            endpoint: EndpointId,
            latency_us: u64,
            status: Status,
        },
        RequestRejected = 13, "request_rejected" {
            request: RequestId,
            endpoint: EndpointId,
            latency_us: u64,
        },
        RequestTimedOut = 14, "request_timed_out" {
            request: RequestId,
            endpoint: EndpointId,
        },
        /// A command took effect (a fault started, an instance restarted, a knob turned).
        CommandApplied = 15, "command_applied" {
            /// Numbers commands in the order they were applied; a fault that lasts ends under
            /// the same id.
            id: u32,
            /// True when a user applied it at run time; false when the scenario scheduled it.
            from_user: bool,
            command: Command,
        },
        FaultEnded = 16, "fault_ended" {
            id: u32,
        },
        InstanceDown = 17, "instance_down" {
            instance: InstanceId,
        },
        InstanceUp = 18, "instance_up" {
            instance: InstanceId,
        },
    }
    extend Pattern(PatternEvent);
}

macro_rules! pattern_events_are_event_kinds {
    ($($module:ident: $Name:ident),* $(,)?) => {
        $(impl From<crate::engine::patterns::$module::model::Event> for EventKind {
            fn from(event: crate::engine::patterns::$module::model::Event) -> EventKind {
                EventKind::Pattern(PatternEvent::from(event))
            }
        })*

        impl EventKind {
            $(
                /// The event, if it is one of this pattern's.
                pub fn $module(&self) -> Option<&crate::engine::patterns::$module::model::Event> {
                    match self {
                        EventKind::Pattern(PatternEvent::$Name(event)) => Some(event),
                        _ => None,
                    }
                }
            )*
        }
    };
}

crate::for_each_pattern!(pattern_events_are_event_kinds);

impl EngineEvent {
    pub fn at(&self) -> SimTime {
        SimTime(self.t_us)
    }

    /// Folds the event (its time, then its kind) into `hasher`.
    pub fn fold(&self, hasher: &mut TraceHasher) {
        hasher.begin_event(self.t_us);
        self.kind.fold(hasher);
    }

    /// The event as one JSON object with `t_us` and `kind`, names instead of ids.
    pub fn to_json(&self, scenario: &Scenario) -> Value {
        let mut object = serde_json::Map::new();
        self.kind.fields_json(scenario, &mut object);
        object.insert("t_us".into(), Value::from(self.t_us));
        object.insert("kind".into(), Value::from(self.kind.name()));
        Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::kernel::registry::PatternEvent;
    use std::collections::BTreeMap;

    /// A hash tag or a JSON name used twice would make two kinds of event indistinguishable in
    /// the trace hash or the event stream: every kind, the kernel's and every pattern's, has its
    /// own.
    #[test]
    fn every_event_kind_has_its_own_tag_and_name() {
        let mut by_tag = BTreeMap::new();
        let mut by_name = BTreeMap::new();
        let all: Vec<(u64, &str)> = EventKind::TAGS
            .iter()
            .copied()
            .chain(PatternEvent::tags())
            .collect();
        assert!(all.len() > 20, "{} kinds", all.len());
        for (tag, name) in all {
            if let Some(other) = by_tag.insert(tag, name) {
                panic!("tag {tag} is both {other} and {name}");
            }
            if let Some(other) = by_name.insert(name, tag) {
                panic!("{name} has tags {other} and {tag}");
            }
        }
    }
}
