//! The table the rate limits keep their states in: bounded, forgetting the client seen least
//! recently when it is full.
//!
//! `governor`'s own keyed stores grow without bound, so a flood of addresses (one client
//! holding many IPv6 /64s) had to be met by making every client share one quota: the flood
//! throttled everyone. Here a full table instead forgets the client it saw least recently,
//! which then starts afresh if it comes back: under a flood each client is still limited on
//! its own, and the worst a flood does to anyone else is forget their past requests.
//!
//! It plugs into `governor` as a [`StateStore`], so the GCRA arithmetic stays `governor`'s;
//! the shared store's local shield keeps its refusals in one too
//! ([`crate::operations::shared_limits`]). `lru` keeps the order; the table is split into
//! shards so that concurrent requests rarely wait on one lock.

use std::hash::{BuildHasher, Hash};
use std::sync::Mutex;

use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::ShrinkableKeyedStateStore;
use lru::LruCache;

/// Shards of the table; a power of two.
const SHARDS: usize = 16;

/// A bounded keyed table that evicts the least recently seen key when full; with `u64`
/// values, `governor`'s state store.
#[derive(Debug)]
pub struct RecentClients<K: Hash + Eq, V = u64> {
    shards: Vec<Mutex<LruCache<K, V>>>,
    per_shard: usize,
    hasher: std::hash::RandomState,
}

impl<K: Hash + Eq, V: Copy> RecentClients<K, V> {
    /// A table holding at most about `capacity` keys (rounded up to a multiple of the shards).
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(LruCache::unbounded()))
                .collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
            hasher: std::hash::RandomState::new(),
        }
    }

    fn shard(&self, key: &K) -> std::sync::MutexGuard<'_, LruCache<K, V>> {
        let index = (self.hasher.hash_one(key) as usize) % SHARDS;
        // A panic while the lock was held left a table of plain values, still valid.
        self.shards[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The value kept for `key`, if any.
    pub fn get(&self, key: &K) -> Option<V> {
        self.shard(key).get(key).copied()
    }

    /// Keeps `value` for `key`, forgetting the least recently seen key of a full shard.
    pub fn put(&self, key: K, value: V) {
        let mut shard = self.shard(&key);
        self.put_in(&mut shard, key, value);
    }

    fn put_in(&self, shard: &mut LruCache<K, V>, key: K, value: V) {
        shard.put(key, value);
        while shard.len() > self.per_shard {
            shard.pop_lru();
        }
    }

    /// Forgets `key`.
    pub fn remove(&self, key: &K) {
        self.shard(key).pop(key);
    }
}

impl<K: Hash + Eq + Clone> StateStore for RecentClients<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut shard = self.shard(key);
        let previous = shard.get(key).copied().map(Nanos::from);
        let (result, next) = f(previous)?;
        self.put_in(&mut shard, key.clone(), next.into());
        Ok(result)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for RecentClients<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        let drop_below = u64::from(drop_below);
        for shard in &self.shards {
            let mut shard = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Least recent first: the stale ones gather there, but any may be stale.
            let stale: Vec<K> = shard
                .iter()
                .filter(|(_, tat)| **tat <= drop_below)
                .map(|(key, _)| key.clone())
                .collect();
            for key in stale {
                shard.pop(&key);
            }
        }
    }

    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                shard
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .len()
            })
            .sum()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
