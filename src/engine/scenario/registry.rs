//! The closed set of patterns, as the scenario layer sees it: which patterns there are
//! (`PatternId`), the validated section of each (`PatternSpecs`), and the commands each takes
//! (`PatternCommand`, `PatternCommandSpec`). Written by `for_each_pattern!` from the one list in
//! `patterns/mod.rs`, naming only each pattern's `model` module (this layer).

use serde::{Serialize, Serializer};

macro_rules! declare_registry {
    ($($module:ident: $Name:ident),* $(,)?) => {
        /// One pattern of the closed set, in registry order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum PatternId {
            $($Name),*
        }

        impl PatternId {
            /// Every pattern, in registry order.
            pub const ALL: &'static [PatternId] = &[$(PatternId::$Name),*];

            /// The pattern's folder name (`resilience`, `saga`).
            pub fn key(self) -> &'static str {
                match self {
                    $(PatternId::$Name => stringify!($module)),*
                }
            }
        }

        /// Each pattern's validated scenario section.
        #[derive(Clone, Debug, Serialize)]
        pub struct PatternSpecs {
            $(pub $module: crate::engine::patterns::$module::model::Spec),*
        }

        /// A command a pattern takes (a live knob), with resolved ids.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum PatternCommand {
            $($Name(crate::engine::patterns::$module::model::Command)),*
        }

        /// A pattern's command as a log writes it, with names. Each pattern's spec is an
        /// internally tagged enum whose `kind`s are its own; `CommandSpec` reads them.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum PatternCommandSpec {
            $($Name(crate::engine::patterns::$module::model::CommandSpec)),*
        }

        impl PatternCommandSpec {
            /// Reads a command of `kind` from its JSON object, if a pattern owns that kind.
            /// `None` when no pattern does.
            pub fn read(
                kind: &str,
                object: serde_json::Value,
            ) -> Option<Result<PatternCommandSpec, serde_json::Error>> {
                $(
                    if crate::engine::patterns::$module::model::CommandSpec::KINDS.contains(&kind) {
                        return Some(serde_json::from_value(object).map(PatternCommandSpec::$Name));
                    }
                )*
                let _ = object;
                None
            }

            /// Every command kind the patterns take.
            pub fn kinds() -> Vec<&'static str> {
                let mut kinds = Vec::new();
                $(kinds.extend_from_slice(crate::engine::patterns::$module::model::CommandSpec::KINDS);)*
                kinds
            }
        }
    };
}

crate::for_each_pattern!(declare_registry);

/// A set of patterns, as bits in registry order: which patterns watch a seam of an endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PatternMask(u32);

impl PatternMask {
    pub const EMPTY: PatternMask = PatternMask(0);

    pub fn with(self, pattern: PatternId) -> PatternMask {
        PatternMask(self.0 | (1 << pattern as u32))
    }

    pub fn contains(self, pattern: PatternId) -> bool {
        self.0 & (1 << pattern as u32) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The patterns in the set, in registry order.
    pub fn iter(self) -> impl Iterator<Item = PatternId> {
        PatternId::ALL
            .iter()
            .copied()
            .filter(move |&pattern| self.contains(pattern))
    }
}

impl Serialize for PatternMask {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}
