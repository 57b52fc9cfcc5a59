//! How events are declared, hashed and written: once.
//!
//! An event kind is declared with `declare_events!`: its name as the JSON stream writes it, its
//! stable hash tag, and its fields. The macro writes the enum, `name()`, the fold into
//! `trace_hash` (the tag, then each field in declared order) and the JSON object (each field
//! under its own name, ids turned into names), so no code destructures events three times.
//! The kernel declares its events this way and every pattern declares its own, with tags that
//! never change: `trace_hash` of a run stays comparable across refactorings.

use super::ids::{CallId, EdgeId, EndpointId, InstanceId, RequestId, SagaId, ServiceId, StationId};
use super::rng::splitmix64;
use super::status::{CallRole, Direction, Status};
use serde_json::Value;

/// Folds events into a 64-bit digest. The fold is defined here, word by word, so it never
/// depends on `std::hash` (whose output may change between Rust releases).
#[derive(Clone, Debug)]
pub struct TraceHasher {
    state: u64,
    count: u64,
}

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher {
            state: 0x243F_6A88_85A3_08D3,
            count: 0,
        }
    }
}

impl TraceHasher {
    /// Folds one word.
    #[inline]
    pub fn word(&mut self, word: u64) {
        self.state = (self.state.rotate_left(23) ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    pub fn words(&mut self, words: &[u64]) {
        for &word in words {
            self.word(word);
        }
    }

    /// Folds text, eight bytes to a word (zero-padded).
    pub fn text(&mut self, text: &str) {
        for chunk in text.as_bytes().chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(word));
        }
    }

    /// Starts an event at `t_us`: counts it and folds its time.
    #[inline]
    pub fn begin_event(&mut self, t_us: u64) {
        self.count += 1;
        self.word(t_us);
    }

    /// The digest of every event so far.
    pub fn finish(&self) -> u64 {
        splitmix64(self.state ^ splitmix64(self.count))
    }

    pub fn events(&self) -> u64 {
        self.count
    }
}

/// Formats a trace hash as 16 lowercase hex digits.
pub fn format_hash(hash: u64) -> String {
    format!("{hash:016x}")
}

/// How a field of an event folds into the hash.
pub trait Fold {
    fn fold(&self, hasher: &mut TraceHasher);
}

macro_rules! fold_as_u64 {
    ($($ty:ty => |$value:ident| $word:expr),* $(,)?) => {
        $(impl Fold for $ty {
            #[inline]
            fn fold(&self, hasher: &mut TraceHasher) {
                let $value = self;
                hasher.word($word);
            }
        })*
    };
}

fold_as_u64! {
    u64 => |v| *v,
    u32 => |v| u64::from(*v),
    u16 => |v| u64::from(*v),
    bool => |v| u64::from(*v),
    RequestId => |v| v.0,
    CallId => |v| v.0,
    EndpointId => |v| u64::from(v.0),
    StationId => |v| u64::from(v.0),
    InstanceId => |v| u64::from(v.0),
    ServiceId => |v| u64::from(v.0),
    EdgeId => |v| u64::from(v.0),
    SagaId => |v| u64::from(v.0),
    Status => |v| v.code(),
    Direction => |v| *v as u64,
    CallRole => |v| *v as u64,
}

impl Fold for Option<Status> {
    /// An answer's status, or 99 for a request on its way.
    fn fold(&self, hasher: &mut TraceHasher) {
        hasher.word(self.map_or(99, Status::code));
    }
}

/// Names for the ids events carry, so the JSON stream reads `"payment.charge"`, not `7`.
pub trait Names {
    fn endpoint_name(&self, id: EndpointId) -> String;
    fn station_name(&self, id: StationId) -> String;
    fn instance_name(&self, id: InstanceId) -> String;
    fn edge_name(&self, id: EdgeId) -> String;
    fn saga_name(&self, id: SagaId) -> String;
}

/// How a field of an event is written in the JSON stream, given the names of `S`.
pub trait ToJson<S: ?Sized> {
    fn to_json(&self, names: &S) -> Value;
}

macro_rules! json_as_number {
    ($($ty:ty => |$value:ident| $number:expr),* $(,)?) => {
        $(impl<S: ?Sized> ToJson<S> for $ty {
            fn to_json(&self, _: &S) -> Value {
                let $value = self;
                Value::from($number)
            }
        })*
    };
}

json_as_number! {
    u64 => |v| *v,
    u32 => |v| *v,
    u16 => |v| *v,
    bool => |v| *v,
    RequestId => |v| v.0,
    CallId => |v| v.0,
}

macro_rules! json_as_name {
    ($($ty:ty => $method:ident),* $(,)?) => {
        $(impl<S: Names + ?Sized> ToJson<S> for $ty {
            fn to_json(&self, names: &S) -> Value {
                Value::from(names.$method(*self))
            }
        })*
    };
}

json_as_name! {
    EndpointId => endpoint_name,
    StationId => station_name,
    InstanceId => instance_name,
    EdgeId => edge_name,
    SagaId => saga_name,
}

/// Writes a field through its serde form (statuses, directions, roles: their snake_case names).
pub fn serde_json_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

macro_rules! json_by_serde {
    ($($ty:ty),* $(,)?) => {
        $(impl<S: ?Sized> ToJson<S> for $ty {
            fn to_json(&self, _: &S) -> Value {
                serde_json_value(self)
            }
        })*
    };
}

json_by_serde!(Status, Option<Status>, Direction, CallRole);

/// Declares an enum of events with, for each kind, its hash tag, its JSON name and its fields.
///
/// ```ignore
/// declare_events! {
///     names: crate::engine::core::event::Names;
///     /// What a kernel emits.
///     pub enum KernelEvent {
///         /// A client sent a new request.
///         RequestArrived = 1, "request_arrived" { request: RequestId, call: CallId },
///     }
///     // Optionally one variant that wraps another declared enum (the patterns' events).
///     extend Pattern(PatternEvent);
/// }
/// ```
///
/// The fold of an event is its tag, then its fields in declared order (`Fold`); its JSON is an
/// object with each field under its own name (`ToJson`), ids turned into names through any
/// `names` that implements the given trait (the scenario does).
#[macro_export]
macro_rules! declare_events {
    (
        names: $bound:path;
        $(#[$meta:meta])*
        pub enum $Kind:ident {
            $(
                $(#[$variant_meta:meta])*
                $Variant:ident = $tag:literal, $key:literal {
                    $($(#[$field_meta:meta])* $field:ident : $ty:ty),* $(,)?
                }
            ),* $(,)?
        }
        $(extend $Ext:ident($ExtTy:ty);)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub enum $Kind {
            $($(#[$variant_meta])* $Variant { $($(#[$field_meta])* $field: $ty),* },)*
            $($Ext($ExtTy),)?
        }

        impl $Kind {
            /// Each declared kind's hash tag and JSON name, in declared order (not the
            /// extension's: its own enum lists those).
            pub const TAGS: &'static [(u64, &'static str)] = &[$(($tag, $key)),*];

            /// The event's name as the JSON stream writes it (`hop_departed`, …).
            pub fn name(&self) -> &'static str {
                match self {
                    $($Kind::$Variant { .. } => $key,)*
                    $($Kind::$Ext(inner) => inner.name(),)?
                }
            }

            /// Folds the event (its tag, then its fields in order) into `hasher`.
            pub fn fold(&self, hasher: &mut $crate::engine::core::event::TraceHasher) {
                match self {
                    $($Kind::$Variant { $($field),* } => {
                        hasher.word($tag);
                        $($crate::engine::core::event::Fold::fold($field, hasher);)*
                    })*
                    $($Kind::$Ext(inner) => inner.fold(hasher),)?
                }
            }

            /// Writes the event's fields into `into`, each under its own name.
            pub fn fields_json<N: $bound + ?Sized>(
                &self,
                names: &N,
                into: &mut serde_json::Map<String, serde_json::Value>,
            ) {
                match self {
                    $($Kind::$Variant { $($field),* } => {
                        let _ = (&names, &into);
                        $(into.insert(
                            stringify!($field).to_string(),
                            $crate::engine::core::event::ToJson::<N>::to_json($field, names),
                        );)*
                    })*
                    $($Kind::$Ext(inner) => inner.fields_json(names, into),)?
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_folds_eight_bytes_to_a_word() {
        let mut by_text = TraceHasher::default();
        by_text.text("abcdefghij");
        let mut by_words = TraceHasher::default();
        by_words.word(u64::from_le_bytes(*b"abcdefgh"));
        by_words.word(u64::from_le_bytes([b'i', b'j', 0, 0, 0, 0, 0, 0]));
        assert_eq!(by_text.finish(), by_words.finish());
    }
}
