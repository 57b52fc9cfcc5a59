//! The patterns layer: each pattern is one folder here, and the list below is the closed set.
//!
//! A pattern's folder has a `model` (its scenario section, its configuration and pure state
//! machines, its state, timers, owned calls, events and commands — types only, below the kernel)
//! and its behaviour: a marker type implementing `kernel::world::Pattern`, whose hooks the
//! kernel calls at the seams of a call's life, plus its view, its report section and its
//! invariants. ARCHITECTURE.md ("Adding a pattern") walks through adding one.

/// The closed set of patterns, in registry order (the order hooks run in on a shared seam):
/// `module: MarkerType`. **Adding a pattern = its folder + one line here.** Every enum, struct
/// and `match` over the patterns (scenario sections, commands, timers, call owners, events,
/// states, views, reports, invariants) is written from this list.
#[macro_export]
macro_rules! for_each_pattern {
    ($callback:ident) => {
        $callback! {
            saga: Saga,
            resilience: Resilience,
        }
    };
}

use crate::engine::core::ids::CallRef;
use crate::engine::kernel::call::{Answer, Arrival, ArrivalVerdict, HandlerCall};
use crate::engine::kernel::registry::{PatternOwner, PatternStates, PatternTimer};
use crate::engine::kernel::world::{Hooks, Kernel, Pattern};
use crate::engine::scenario::command::CommandError;
use crate::engine::scenario::model::Scenario;
use crate::engine::scenario::registry::{PatternCommand, PatternId};
use serde::Serialize;

macro_rules! declare_patterns {
    ($($module:ident: $Name:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The closed set of patterns: the kernel's `Hooks`, statically dispatched.
        #[derive(Clone, Copy, Debug, Default)]
        pub struct AllPatterns;

        impl Hooks for AllPatterns {
            fn new_states(scenario: &Scenario, seed: u64) -> PatternStates {
                PatternStates {
                    $($module: <$module::$Name as Pattern>::start(scenario, seed)),*
                }
            }

            fn on_timer(k: &mut Kernel<Self>, timer: PatternTimer) {
                match timer {
                    $(PatternTimer::$Name(timer) => <$module::$Name as Pattern>::on_timer(k, timer),)*
                }
            }

            fn on_answer(k: &mut Kernel<Self>, owner: PatternOwner, answer: Answer) {
                match owner {
                    $(PatternOwner::$Name(owner) => {
                        <$module::$Name as Pattern>::on_answer(k, owner, answer)
                    })*
                }
            }

            fn on_guarded_call(k: &mut Kernel<Self>, pattern: PatternId, call: HandlerCall) {
                match pattern {
                    $(PatternId::$Name => <$module::$Name as Pattern>::on_guarded_call(k, call),)*
                }
            }

            fn on_handler(k: &mut Kernel<Self>, pattern: PatternId, handler: CallRef) {
                match pattern {
                    $(PatternId::$Name => <$module::$Name as Pattern>::on_handler(k, handler),)*
                }
            }

            fn on_arrival(
                k: &mut Kernel<Self>,
                pattern: PatternId,
                arrival: Arrival,
            ) -> ArrivalVerdict {
                match pattern {
                    $(PatternId::$Name => <$module::$Name as Pattern>::on_arrival(k, arrival),)*
                }
            }

            fn admit_command(k: &Kernel<Self>, command: &PatternCommand) -> Result<(), CommandError> {
                match command {
                    $(PatternCommand::$Name(command) => {
                        <$module::$Name as Pattern>::admit_command(k, command)
                    })*
                }
            }

            fn on_command(k: &mut Kernel<Self>, command: &PatternCommand) {
                match command {
                    $(PatternCommand::$Name(command) => {
                        <$module::$Name as Pattern>::on_command(k, command)
                    })*
                }
            }
        }

        /// What the map and the panels show of every pattern now.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct PatternViews {
            $(pub $module: <$module::$Name as Pattern>::View),*
        }

        /// Every pattern's section of the run report, at the report's top level.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct PatternReports {
            $(#[serde(flatten)] pub $module: <$module::$Name as Pattern>::Report),*
        }

        impl Kernel<AllPatterns> {
            /// Every pattern's view of the run now.
            pub fn pattern_views(&self) -> PatternViews {
                PatternViews {
                    $($module: <$module::$Name as Pattern>::view(self)),*
                }
            }

            /// Every pattern's section of the run report.
            pub fn pattern_reports(&self) -> PatternReports {
                PatternReports {
                    $($module: <$module::$Name as Pattern>::report(self)),*
                }
            }

            /// Every pattern's section of a report as `lokal-cli run` prints it, in registry
            /// order.
            pub fn write_pattern_reports(reports: &PatternReports, text: &mut String) {
                $(<$module::$Name as Pattern>::write_report(&reports.$module, text);)*
            }

            /// Every pattern's invariants; the first violation found.
            pub fn check_patterns(&self) -> Result<(), String> {
                $(<$module::$Name as Pattern>::check(self)?;)*
                Ok(())
            }
        }
    };
}

for_each_pattern!(declare_patterns);
