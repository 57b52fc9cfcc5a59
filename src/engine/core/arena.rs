//! A slot arena with generation-checked handles: the one store for everything the engine creates
//! and retires by the thousand (calls, resilience invocations, saga runs, open traces).
//!
//! A handle names a slot and the generation the slot had when the value was put there. Freeing a
//! slot bumps its generation, so a handle kept by a timer or an owner after its value is gone no
//! longer resolves (`get` gives `None`) instead of reaching whatever reuses the slot. Freed slots
//! are reused last-in first-out, so which slot a value gets depends only on the order of `alloc`
//! and `free` calls: deterministic, like everything in the engine.

use std::fmt;
use std::marker::PhantomData;

/// A handle on a value in an `Arena<T>`.
pub struct Handle<T> {
    slot: u32,
    generation: u32,
    _of: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    /// The slot's index: stable while the value lives (views list values in slot order).
    pub fn slot(self) -> u32 {
        self.slot
    }

    /// The handle as one number (for a queue that keeps plain integers, like a bulkhead's).
    pub fn ticket(self) -> u64 {
        (u64::from(self.slot) << 32) | u64::from(self.generation)
    }

    /// The handle a `ticket` was made from.
    pub fn from_ticket(ticket: u64) -> Handle<T> {
        Handle {
            slot: (ticket >> 32) as u32,
            generation: ticket as u32,
            _of: PhantomData,
        }
    }
}

// Written out rather than derived: a handle is Copy and comparable whatever `T` is.
impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Handle<T> {}

impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.slot == other.slot && self.generation == other.generation
    }
}

impl<T> Eq for Handle<T> {}

impl<T> PartialOrd for Handle<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Handle<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.slot, self.generation).cmp(&(other.slot, other.generation))
    }
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}v{}", self.slot, self.generation)
    }
}

#[derive(Clone, Debug)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Values of one kind, each reachable through its `Handle<K>` while it lives. `K` is the type the
/// handles name: the value type itself by default, or a marker (`CallSlot`) when code that must
/// not know the value type keeps handles.
pub struct Arena<T, K = T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    live: usize,
    _handles: PhantomData<fn() -> K>,
}

impl<T: Clone, K> Clone for Arena<T, K> {
    fn clone(&self) -> Self {
        Arena {
            slots: self.slots.clone(),
            free: self.free.clone(),
            live: self.live,
            _handles: PhantomData,
        }
    }
}

impl<T: fmt::Debug, K> fmt::Debug for Arena<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arena")
            .field("live", &self.live)
            .field("slots", &self.slots)
            .finish()
    }
}

impl<T, K> Default for Arena<T, K> {
    fn default() -> Self {
        Arena {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            _handles: PhantomData,
        }
    }
}

impl<T, K> Arena<T, K> {
    /// Puts `value` in a free slot (the most recently freed one) or a new slot.
    pub fn alloc(&mut self, value: T) -> Handle<K> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let slot = u32::try_from(self.slots.len()).expect("fewer than 2^32 live values");
                self.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                slot
            }
        };
        let entry = &mut self.slots[slot as usize];
        debug_assert!(entry.value.is_none(), "a free slot holds no value");
        entry.generation = entry.generation.wrapping_add(1);
        entry.value = Some(value);
        self.live += 1;
        Handle {
            slot,
            generation: entry.generation,
            _of: PhantomData,
        }
    }

    /// Takes the value out and retires the handle. `None` if the handle was stale already.
    pub fn free(&mut self, handle: Handle<K>) -> Option<T> {
        let entry = self.slots.get_mut(handle.slot as usize)?;
        if entry.generation != handle.generation {
            return None;
        }
        let value = entry.value.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(handle.slot);
        self.live -= 1;
        Some(value)
    }

    /// The value, while the handle is current.
    pub fn get(&self, handle: Handle<K>) -> Option<&T> {
        let entry = self.slots.get(handle.slot as usize)?;
        if entry.generation == handle.generation {
            entry.value.as_ref()
        } else {
            None
        }
    }

    pub fn get_mut(&mut self, handle: Handle<K>) -> Option<&mut T> {
        let entry = self.slots.get_mut(handle.slot as usize)?;
        if entry.generation == handle.generation {
            entry.value.as_mut()
        } else {
            None
        }
    }

    pub fn contains(&self, handle: Handle<K>) -> bool {
        self.get(handle).is_some()
    }

    /// How many values live now.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every live value with its handle, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<K>, &T)> {
        self.slots.iter().enumerate().filter_map(|(slot, entry)| {
            entry.value.as_ref().map(|value| {
                (
                    Handle {
                        slot: slot as u32,
                        generation: entry.generation,
                        _of: PhantomData,
                    },
                    value,
                )
            })
        })
    }

    /// Every live value, mutably, in slot order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots
            .iter_mut()
            .filter_map(|entry| entry.value.as_mut())
    }
}

/// The engine asked for a value through a handle it should have known was stale: a bug.
#[cold]
#[inline(never)]
fn stale(slot: u32, generation: u32) -> ! {
    panic!("stale arena handle #{slot}v{generation}")
}

impl<T, K> std::ops::Index<Handle<K>> for Arena<T, K> {
    type Output = T;

    /// The value of a handle the caller knows is live (the engine's bookkeeping guarantees it on
    /// the hot path, so release builds check only that the slot holds a value; debug builds
    /// check the generation too).
    #[inline]
    fn index(&self, handle: Handle<K>) -> &T {
        let entry = &self.slots[handle.slot as usize];
        debug_assert_eq!(
            entry.generation, handle.generation,
            "stale handle {handle:?}"
        );
        match &entry.value {
            Some(value) => value,
            None => stale(handle.slot, handle.generation),
        }
    }
}

impl<T, K> std::ops::IndexMut<Handle<K>> for Arena<T, K> {
    #[inline]
    fn index_mut(&mut self, handle: Handle<K>) -> &mut T {
        let entry = &mut self.slots[handle.slot as usize];
        debug_assert_eq!(
            entry.generation, handle.generation,
            "stale handle {handle:?}"
        );
        match &mut entry.value {
            Some(value) => value,
            None => stale(handle.slot, handle.generation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_handle_goes_stale_and_its_slot_is_reused() {
        let mut arena: Arena<&str> = Arena::default();
        let a = arena.alloc("a");
        let b = arena.alloc("b");
        assert_eq!((arena.get(a), arena.get(b)), (Some(&"a"), Some(&"b")));
        assert_eq!(arena.free(a), Some("a"));
        assert_eq!(arena.get(a), None, "stale after free");
        assert_eq!(arena.free(a), None, "freeing twice changes nothing");
        let c = arena.alloc("c");
        assert_eq!(c.slot(), a.slot(), "the freed slot is reused");
        assert_ne!(c, a, "with a new generation");
        assert_eq!(arena.get(a), None);
        assert_eq!(arena[c], "c");
        assert_eq!(arena.len(), 2);
    }

    #[test]
    fn slots_are_reused_last_freed_first_and_iterated_in_slot_order() {
        let mut arena: Arena<i32> = Arena::default();
        let handles: Vec<_> = (0..4).map(|i| arena.alloc(i)).collect();
        arena.free(handles[1]);
        arena.free(handles[3]);
        assert_eq!(arena.alloc(10).slot(), 3);
        assert_eq!(arena.alloc(11).slot(), 1);
        let values: Vec<i32> = arena.iter().map(|(_, v)| *v).collect();
        assert_eq!(values, [0, 11, 2, 10]);
        let ticket = handles[2].ticket();
        assert_eq!(Handle::<i32>::from_ticket(ticket), handles[2]);
    }
}
