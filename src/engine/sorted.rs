//! Small ordered collections: a map kept as a sorted vector, and a stable insertion sort.
//!
//! Why: every `BTreeMap<K, V>` and every `sort_by_key` closure type is compiled anew, and each
//! costs kilobytes of wasm; these cost a few hundred bytes. They suit what Lokal keeps ordered —
//! tens to a few thousand entries — and iterate in key order, so the engine's determinism rule
//! (never iterate a hash map) holds with them too.

/// A map with its entries in a vector sorted by key.
#[derive(Clone, Debug, PartialEq)]
pub struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    pub fn new() -> Self {
        SortedMap::default()
    }

    fn find(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// The value under `key`, inserting `make()` first if there is none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let index = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[index].1
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.entries.retain(|(k, v)| keep(k, v));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Sorts `items` by `key`, stably (equal keys keep their order). Insertion sort: quadratic in
/// the worst case, meant for the short lists of the UI and of validation.
pub fn sort_small_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && key(&items[j - 1]) > key(&items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// A total order on `f64` as a `u64` key (IEEE 754 `totalOrder`): negative values flipped, so
/// comparing keys compares numbers, NaN last.
pub fn f64_order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_keeps_keys_sorted_and_behaves_like_a_map() {
        let mut map = SortedMap::new();
        for (k, v) in [(5, "e"), (1, "a"), (3, "c"), (1, "A")] {
            map.insert(k, v);
        }
        assert_eq!(
            map.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
            [(1, "A"), (3, "c"), (5, "e")]
        );
        assert_eq!(map.get(&3), Some(&"c"));
        assert_eq!(map.remove(&3), Some("c"));
        assert_eq!(map.get(&3), None);
        *map.get_or_insert_with(4, || "d") = "D";
        assert_eq!(map.get(&4), Some(&"D"));
        map.retain(|k, _| *k != 1);
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn the_sort_is_stable_and_floats_order_totally() {
        let mut items = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_small_by_key(&mut items, |p| p.0);
        assert_eq!(items, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
        let mut xs = [2.5, -1.0, 0.0, -0.0, f64::INFINITY, -3.5];
        sort_small_by_key(&mut xs, |x| f64_order_key(*x));
        assert_eq!(
            xs.map(f64::to_bits),
            [-3.5, -1.0, -0.0, 0.0, 2.5, f64::INFINITY].map(f64::to_bits)
        );
    }
}
