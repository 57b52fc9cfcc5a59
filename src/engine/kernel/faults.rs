//! Faults and commands: a crash fails queued and running calls and refuses new ones; a slowdown
//! or injected errors change an instance's effects; a partition loses messages between two
//! stations; heal ends everything. Every command applied takes effect here, in order, under an
//! id its end (if it lasts) shares; a pattern's commands go to the pattern.

use super::call::CallState;
use super::events::EventKind;
use super::traces::SpanEventKind;
use super::world::{ActiveFault, Hooks, Kernel, Pending};
use crate::engine::core::ids::{CallRef, InstanceId, ServiceId};
use crate::engine::core::status::Status;
use crate::engine::scenario::command::Command;
use std::sync::Arc;

impl<H: Hooks> Kernel<H> {
    pub(super) fn apply_command(&mut self, command: Command, from_user: bool) {
        let id = self.next_command_id;
        self.next_command_id += 1;
        self.emit(EventKind::CommandApplied {
            id,
            command: command.clone(),
            from_user,
        });
        match &command {
            Command::Pattern(command) => {
                H::on_command(self, command);
                return;
            }
            Command::Restart { service, instance } => {
                let target = self.scenario.instance_of(*service, *instance);
                let ended: Vec<u32> = self
                    .active_faults
                    .iter()
                    .filter(|fault| {
                        matches!(fault.command, Command::Crash { service: s, instance: i, .. }
                            if Some(s) == Some(*service) && i == *instance)
                    })
                    .map(|fault| fault.id)
                    .collect();
                for fault in ended {
                    self.end_fault(fault);
                }
                if let Some(target) = target {
                    self.bring_up(target);
                }
                return;
            }
            Command::Heal => {
                let ended: Vec<u32> = self.active_faults.iter().map(|fault| fault.id).collect();
                for fault in ended {
                    self.end_fault(fault);
                }
                for index in 0..self.instances.len() {
                    self.bring_up(InstanceId::from_index(index));
                }
                return;
            }
            _ => {}
        }
        if let Some(duration) = command.duration() {
            self.queue.push(self.now + duration, Pending::FaultEnd(id));
        }
        let is_partition = matches!(command, Command::Partition { .. });
        let crash_target = match &command {
            Command::Crash {
                service, instance, ..
            } => self.scenario.instance_of(*service, *instance),
            _ => None,
        };
        let service = command_service(&command);
        self.active_faults.push(ActiveFault { id, command });
        if is_partition {
            self.partitions_active += 1;
        }
        if let Some(target) = crash_target {
            self.crash(target);
        }
        if let Some(service) = service {
            self.recompute_effects(service);
        }
    }

    pub(super) fn end_fault(&mut self, id: u32) {
        let Some(position) = self.active_faults.iter().position(|fault| fault.id == id) else {
            return; // already ended (healed, or restarted by hand)
        };
        let fault = self.active_faults.remove(position);
        self.emit(EventKind::FaultEnded { id });
        match fault.command {
            Command::Partition { .. } => {
                debug_assert!(self.partitions_active > 0, "a partition ended twice");
                self.partitions_active -= 1;
            }
            Command::Crash {
                service, instance, ..
            } => {
                let still_crashed = self.active_faults.iter().any(|other| {
                    matches!(other.command, Command::Crash { service: s, instance: i, .. } if s == service && i == instance)
                });
                if !still_crashed && let Some(target) = self.scenario.instance_of(service, instance)
                {
                    self.bring_up(target);
                }
            }
            _ => {}
        }
        if let Some(service) = command_service(&fault.command) {
            self.recompute_effects(service);
        }
    }

    /// Recomputes the slow-down and injected error of every instance of `service`.
    fn recompute_effects(&mut self, service: ServiceId) {
        let scenario = Arc::clone(&self.scenario);
        for &instance in &scenario.service(service).instances {
            let ordinal = scenario.instances[instance.index()].ordinal;
            let applies =
                |s: ServiceId, i: Option<u32>| s == service && i.is_none_or(|i| i == ordinal);
            let mut slow_factor = 1.0;
            let mut survive = 1.0;
            for fault in &self.active_faults {
                match fault.command {
                    Command::Slow {
                        service: s,
                        instance: i,
                        factor,
                        ..
                    } if applies(s, i) => slow_factor *= factor,
                    Command::Errors {
                        service: s,
                        instance: i,
                        probability,
                        ..
                    } if applies(s, i) => survive *= 1.0 - probability,
                    _ => {}
                }
            }
            let state = &mut self.instances[instance.index()];
            state.slow_factor = slow_factor;
            state.injected_error = 1.0 - survive;
        }
    }

    /// The instance goes down: queued calls are refused, running calls are reset.
    fn crash(&mut self, instance: InstanceId) {
        if !self.instances[instance.index()].up {
            return;
        }
        let service = self.scenario.instances[instance.index()].service;
        self.instances[instance.index()].up = false;
        self.emit(EventKind::InstanceDown { instance });
        let queued: Vec<CallRef> = self.instances[instance.index()].queue.drain(..).collect();
        self.metrics.services[service.index()]
            .queued
            .add(self.now, -(queued.len() as i64));
        for call_ref in queued {
            self.server_span_event(
                call_ref,
                SpanEventKind::Fault {
                    status: Status::Unavailable,
                },
            );
            self.count_server_outcome(call_ref, Status::Unavailable);
            self.send_answer(call_ref, Status::Unavailable);
        }
        // Calls holding a worker here, in slot order (deterministic).
        let running: Vec<CallRef> = self
            .calls
            .iter()
            .filter(|(_, call)| {
                call.instance == Some(instance)
                    && matches!(call.state, CallState::Working | CallState::Calling)
            })
            .map(|(handle, _)| handle)
            .collect();
        let busy = self.instances[instance.index()].busy;
        self.instances[instance.index()].busy = 0;
        self.metrics.services[service.index()]
            .busy
            .add(self.now, -i64::from(busy));
        for call_ref in running {
            let id = self.calls[call_ref].id;
            self.emit(EventKind::CallFinished {
                call: id,
                instance,
                status: Status::Reset,
            });
            self.server_span_event(
                call_ref,
                SpanEventKind::Fault {
                    status: Status::Reset,
                },
            );
            self.count_server_outcome(call_ref, Status::Reset);
            self.send_answer(call_ref, Status::Reset);
        }
    }

    fn bring_up(&mut self, instance: InstanceId) {
        let state = &mut self.instances[instance.index()];
        if state.up {
            return;
        }
        state.up = true;
        self.emit(EventKind::InstanceUp { instance });
    }
}

fn command_service(command: &Command) -> Option<ServiceId> {
    match command {
        Command::Slow { service, .. } | Command::Errors { service, .. } => Some(*service),
        _ => None,
    }
}
