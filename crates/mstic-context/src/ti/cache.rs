//! The bounded result cache of threat-intel lookups. It holds at most `capacity` entries; when an
//! insert would pass that, the least recently used entry — the one neither inserted nor read for
//! the longest — is evicted. Reads and inserts cost O(log n).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// Entries a [`crate::TiLookup`] cache holds by default.
pub const DEFAULT_CACHE_CAPACITY: usize = 100_000;

/// A map of at most `capacity` entries that evicts the least recently used one.
#[derive(Debug)]
pub(crate) struct LruCache<K, V> {
    capacity: usize,
    /// Each value with the tick of its last use.
    entries: HashMap<K, (V, u64)>,
    /// Keys by the tick of their last use (oldest first).
    by_use: BTreeMap<u64, K>,
    clock: u64,
}

impl<K: Hash + Eq + Clone, V: Clone> LruCache<K, V> {
    /// An empty cache of at most `capacity` entries (0 keeps nothing).
    pub fn new(capacity: usize) -> Self {
        LruCache { capacity, entries: HashMap::new(), by_use: BTreeMap::new(), clock: 0 }
    }

    /// A copy of the value of `key`, which becomes the most recently used entry.
    pub fn get(&mut self, key: &K) -> Option<V> {
        let tick = self.tick();
        let (value, used) = self.entries.get_mut(key)?;
        self.by_use.remove(used);
        *used = tick;
        self.by_use.insert(tick, key.clone());
        Some(value.clone())
    }

    /// Stores `value` under `key` as the most recently used entry, evicting the least recently
    /// used entries beyond the capacity.
    pub fn insert(&mut self, key: K, value: V) {
        if self.capacity == 0 {
            return;
        }
        let tick = self.tick();
        if let Some((_, used)) = self.entries.insert(key.clone(), (value, tick)) {
            self.by_use.remove(&used);
        }
        self.by_use.insert(tick, key);
        self.shrink_to(self.capacity);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The largest number of entries kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity, evicting the least recently used entries beyond it.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.shrink_to(capacity);
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_use.clear();
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn shrink_to(&mut self, size: usize) {
        while self.entries.len() > size {
            let Some((_, oldest)) = self.by_use.pop_first() else { break };
            self.entries.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(cache: &LruCache<&'static str, u32>) -> Vec<&'static str> {
        cache.by_use.values().copied().collect()
    }

    #[test]
    fn stays_at_capacity_and_evicts_the_least_recently_used() {
        let mut cache = LruCache::new(3);
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            cache.insert(key, i as u32);
        }
        assert_eq!(cache.get(&"a"), Some(0), "reading a makes it the most recently used");
        cache.insert("d", 3);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&"b"), None, "b was the least recently used");
        assert_eq!(keys(&cache), vec!["c", "a", "d"]);
        cache.insert("c", 30);
        cache.insert("e", 4);
        assert_eq!(keys(&cache), vec!["d", "c", "e"], "re-inserting c refreshed it, so a went");
        assert_eq!(cache.get(&"c"), Some(30));
    }

    #[test]
    fn lowering_the_capacity_evicts_oldest_first_and_zero_keeps_nothing() {
        let mut cache = LruCache::new(10);
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            cache.insert(key, i as u32);
        }
        cache.set_capacity(2);
        assert_eq!(keys(&cache), vec!["c", "d"]);
        cache.set_capacity(0);
        cache.insert("e", 5);
        assert_eq!((cache.len(), cache.capacity()), (0, 0));
    }
}
