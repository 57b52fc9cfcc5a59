//! A scenario's scripted moments — the faults it schedules, its flash-sale spikes, its rate
//! changes — for the time bar under the map: a mark for each, a "jump to" and a one-line
//! "watch this" for the next one. Plain Rust, tested natively.

use crate::engine::scenario::model::WorkloadMode;
use crate::engine::{Command, Scenario};

#[derive(Clone, Debug, PartialEq)]
pub enum MomentKind {
    /// A fault (or heal) the scenario applies on its own.
    Fault(Command),
    /// Traffic multiplied for a while (a flash sale, a Tatkal window).
    Spike { multiplier: f64, duration_us: u64 },
    /// The base arrival rate changes.
    Rate { per_s: f64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Moment {
    pub at_us: u64,
    pub kind: MomentKind,
}

/// Every scripted moment of the scenario, in time order (faults before traffic at the same time).
pub fn scripted_moments(scenario: &Scenario) -> Vec<Moment> {
    let mut moments: Vec<Moment> = scenario
        .faults
        .iter()
        .map(|fault| Moment {
            at_us: fault.at.0,
            kind: MomentKind::Fault(fault.command.clone()),
        })
        .collect();
    if let WorkloadMode::Open(profile) = &scenario.workload.mode {
        moments.extend(profile.spikes.iter().map(|spike| Moment {
            at_us: spike.at.0,
            kind: MomentKind::Spike {
                multiplier: spike.multiplier,
                duration_us: spike.duration.0,
            },
        }));
        moments.extend(profile.changes.iter().map(|change| Moment {
            at_us: change.at.0,
            kind: MomentKind::Rate {
                per_s: change.rate_per_s,
            },
        }));
    }
    // Stable: at the same time, the order above stays.
    moments.sort_by_key(|moment| moment.at_us);
    moments
}

/// The first moment still to come after `now_us`.
pub fn next_moment(moments: &[Moment], now_us: u64) -> Option<&Moment> {
    moments.iter().find(|moment| moment.at_us > now_us)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::builtin::load_builtin;

    fn moments(id: &str) -> Vec<Moment> {
        let Some(Ok(scenario)) = load_builtin(id) else {
            panic!("{id}")
        };
        scripted_moments(&scenario)
    }

    #[test]
    fn the_scripted_moments_are_the_scenarios_own() {
        // Zomato: slowed ×100 at 20 s, failing at 50 s — read from the scenario, in order.
        let zomato = moments("zomato-unprotected");
        let times: Vec<u64> = zomato.iter().map(|m| m.at_us).collect();
        assert_eq!(times, vec![20_000_000, 50_000_000]);
        assert!(
            matches!(&zomato[0].kind, MomentKind::Fault(Command::Slow { factor, .. }) if *factor == 100.0)
        );
        assert!(matches!(
            &zomato[1].kind,
            MomentKind::Fault(Command::Errors { .. })
        ));
        // Flipkart: the flash sale at 40 s.
        let flipkart = moments("flipkart");
        assert!(flipkart.iter().any(|m| m.at_us == 40_000_000
            && matches!(m.kind, MomentKind::Spike { multiplier, .. } if multiplier == 5.0)));
        // The queueing lessons script nothing.
        assert!(moments("mm1").is_empty());
    }

    #[test]
    fn the_next_moment_is_the_first_still_to_come() {
        let zomato = moments("zomato-unprotected");
        assert_eq!(next_moment(&zomato, 0).map(|m| m.at_us), Some(20_000_000));
        assert_eq!(
            next_moment(&zomato, 20_000_000).map(|m| m.at_us),
            Some(50_000_000)
        );
        assert_eq!(next_moment(&zomato, 60_000_000), None);
    }
}
