//! Typed indices for everything the engine names, so a service index can never be passed where a
//! station index is expected. Ids are dense: `ServiceId(3)` is `scenario.services[3]`.

use super::arena::Handle;
use serde::{Deserialize, Serialize};

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of the element at `index` of its table. Tables are bounded by validation
            /// far below `u32::MAX`, so the narrowing never truncates.
            pub fn from_index(index: usize) -> Self {
                $name(index as u32)
            }
        }
    };
}

dense_id!(
    /// A station on the map.
    StationId
);
dense_id!(
    /// A line (a coloured track) on the map.
    LineId
);
dense_id!(
    /// A service: a named group of identical instances.
    ServiceId
);
dense_id!(
    /// An endpoint of a service, e.g. `checkout.place_order`.
    EndpointId
);
dense_id!(
    /// An instance of a service, numbered across all services.
    InstanceId
);
dense_id!(
    /// A caller→callee pair of services that the call graph uses: where policies live.
    EdgeId
);
dense_id!(
    /// A saga definition of the scenario.
    SagaId
);

/// A request a client sent (the root of a call tree). Numbered from 1 in the order they arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub u64);

/// One call of one endpoint: the root request's call or any call it causes downstream.
/// Numbered from 1 in the order calls are made; later used to derive span ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub u64);

/// What a kernel call handle points at. Patterns keep `CallRef`s (a waiting handler, the call an
/// attempt travels) without knowing the kernel's call type.
#[derive(Debug)]
pub enum CallSlot {}

/// A handle on a live call of the kernel; it goes stale when the call ends.
pub type CallRef = Handle<CallSlot>;

/// What an open-trace handle points at.
#[derive(Debug)]
pub enum TraceSlot {}

/// A handle on an open trace of the kernel's trace store; it goes stale when the trace completes.
pub type TraceRef = Handle<TraceSlot>;
