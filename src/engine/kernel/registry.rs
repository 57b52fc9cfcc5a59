//! The closed set of patterns, as the kernel holds them: the calls they own (`PatternOwner`), the
//! timers they schedule (`PatternTimer`), the events they emit (`PatternEvent`) and their state
//! in a running engine (`PatternStates`). Written by `for_each_pattern!` from the one list in
//! `patterns/mod.rs`; every type named here is a pattern's `model`, below the kernel.

use crate::engine::core::event::{Names, TraceHasher};

macro_rules! declare_kernel_registry {
    ($($module:ident: $Name:ident),* $(,)?) => {
        /// Who owns a call that is not a client's or a plain handler's.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum PatternOwner {
            $($Name(crate::engine::patterns::$module::model::Owner)),*
        }

        /// A pattern's timer in the event queue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum PatternTimer {
            $($Name(crate::engine::patterns::$module::model::Timer)),*
        }

        /// A pattern's event, with the tags and names its pattern declared.
        #[derive(Clone, Debug, PartialEq)]
        pub enum PatternEvent {
            $($Name(crate::engine::patterns::$module::model::Event)),*
        }

        impl PatternEvent {
            /// Every pattern's declared (hash tag, name) pairs, in registry order.
            pub fn tags() -> Vec<(u64, &'static str)> {
                let mut tags = Vec::new();
                $(tags.extend_from_slice(crate::engine::patterns::$module::model::Event::TAGS);)*
                tags
            }

            pub fn name(&self) -> &'static str {
                match self {
                    $(PatternEvent::$Name(event) => event.name(),)*
                }
            }

            pub fn fold(&self, hasher: &mut TraceHasher) {
                match self {
                    $(PatternEvent::$Name(event) => event.fold(hasher),)*
                }
            }

            pub fn fields_json<N: Names + ?Sized>(
                &self,
                names: &N,
                into: &mut serde_json::Map<String, serde_json::Value>,
            ) {
                match self {
                    $(PatternEvent::$Name(event) => event.fields_json(names, into),)*
                }
            }
        }

        $(
            impl From<crate::engine::patterns::$module::model::Event> for PatternEvent {
                fn from(event: crate::engine::patterns::$module::model::Event) -> PatternEvent {
                    PatternEvent::$Name(event)
                }
            }
        )*

        /// Every pattern's state in a running engine.
        #[derive(Clone, Debug)]
        pub struct PatternStates {
            $(pub $module: crate::engine::patterns::$module::model::State),*
        }
    };
}

crate::for_each_pattern!(declare_kernel_registry);
