//! The invariant checker: what must hold after every event, checked from outside the kernel
//! (tests run it after every single event of seed sweeps). The kernel also states the cheap
//! ones as `debug_assert!`s where they would break.

use crate::engine::kernel::call::{CallState, Owner};
use crate::engine::kernel::world::Kernel;
use crate::engine::patterns::AllPatterns;

impl Kernel<AllPatterns> {
    /// Checks what must hold after every event. Returns the first violation found.
    ///
    /// - requests are conserved: arrived = completed + failed + rejected + timed out + in flight,
    ///   for clients as a whole, per entry endpoint, and (without timeouts) per service;
    /// - time never goes back: nothing is scheduled before the current time;
    /// - every queue is within its bound and every busy count within its worker pool, and both
    ///   agree with the calls actually queued and running.
    pub fn check_invariants(&self) -> Result<(), String> {
        let scenario = self.scenario();
        let now = self.now();
        if let Some(next) = self.next_event_time()
            && next < now
        {
            return Err(format!(
                "an event is due at {next}, before the current time {now}"
            ));
        }
        self.check_patterns()?;
        self.trace_store().check()?;
        if self.last_event_time() > now {
            return Err(format!(
                "the clock ({now}) is behind the last event ({})",
                self.last_event_time()
            ));
        }

        let metrics = self.metrics();
        let awaited_roots = self
            .live_calls()
            .filter(|call| call.owner == Owner::Client && call.awaited)
            .count() as u64;
        let client = metrics.client.counters;
        let ended = client.completed + client.failed + client.rejected + client.timed_out;
        if client.arrived != ended + awaited_roots {
            return Err(format!(
                "requests not conserved: {} arrived, {ended} ended, {awaited_roots} in flight",
                client.arrived
            ));
        }
        if metrics.client.busy.current != awaited_roots {
            return Err(format!(
                "client in-flight gauge {} disagrees with {awaited_roots} requests in flight",
                metrics.client.busy.current
            ));
        }
        let by_entry: u64 = metrics
            .client_by_entry
            .iter()
            .map(|t| t.counters.arrived)
            .sum();
        if by_entry != client.arrived {
            return Err(format!(
                "entry counters sum to {by_entry}, not {}",
                client.arrived
            ));
        }

        let instances = self.instance_states();
        let mut busy_by_instance = vec![0u32; instances.len()];
        let mut queued_by_instance = vec![0u32; instances.len()];
        for call in self.live_calls() {
            match (call.state, call.instance) {
                (CallState::Working | CallState::Calling, Some(instance)) => {
                    busy_by_instance[instance.index()] += 1;
                }
                (CallState::Queued, Some(instance)) => queued_by_instance[instance.index()] += 1,
                (CallState::Working | CallState::Calling | CallState::Queued, None) => {
                    return Err(format!(
                        "call {} holds no instance but is {:?}",
                        call.id.0, call.state
                    ));
                }
                _ => {}
            }
        }
        let mut in_progress_by_service = vec![0u64; scenario.services.len()];
        let mut busy_by_service = vec![0u64; scenario.services.len()];
        let mut queued_by_service = vec![0u64; scenario.services.len()];
        for (spec, state) in scenario.instances.iter().zip(instances) {
            let service = scenario.service(spec.service);
            let label = scenario.instance_label(spec.id);
            let index = spec.id.index();
            if state.queue.len() > service.queue_capacity as usize {
                return Err(format!(
                    "{label}: queue holds {}, above its bound {}",
                    state.queue.len(),
                    service.queue_capacity
                ));
            }
            if state.busy > service.workers {
                return Err(format!(
                    "{label}: {} busy workers of {}",
                    state.busy, service.workers
                ));
            }
            if state.busy != busy_by_instance[index] {
                return Err(format!(
                    "{label}: busy count {} but {} calls hold a worker",
                    state.busy, busy_by_instance[index]
                ));
            }
            if state.queue.len() as u32 != queued_by_instance[index] {
                return Err(format!(
                    "{label}: queue holds {} but {} calls are queued",
                    state.queue.len(),
                    queued_by_instance[index]
                ));
            }
            if !state.up && (state.busy > 0 || !state.queue.is_empty()) {
                return Err(format!("{label} is down but still holds calls"));
            }
            if state.busy < service.workers && !state.queue.is_empty() {
                return Err(format!(
                    "{label}: calls wait in the queue while workers are idle"
                ));
            }
            let work = u64::from(state.busy) + state.queue.len() as u64;
            in_progress_by_service[spec.service.index()] += work;
            busy_by_service[spec.service.index()] += u64::from(state.busy);
            queued_by_service[spec.service.index()] += state.queue.len() as u64;
        }
        for (index, tracker) in metrics.services.iter().enumerate() {
            let name = &scenario.services[index].name;
            let counters = tracker.counters;
            let ended = counters.completed + counters.failed + counters.rejected;
            if counters.arrived != ended + in_progress_by_service[index] {
                return Err(format!(
                    "service {name}: {} arrived, {ended} ended, {} in progress",
                    counters.arrived, in_progress_by_service[index]
                ));
            }
            if tracker.busy.current != busy_by_service[index]
                || tracker.queued.current != queued_by_service[index]
            {
                return Err(format!(
                    "service {name}: gauges disagree with its instances"
                ));
            }
        }
        Ok(())
    }
}
