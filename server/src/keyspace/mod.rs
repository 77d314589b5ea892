//! The keyspace: numbered databases of keys, their values and their expiry times.
//!
//! Each [`Db`] holds its keys in a [`SlotDict`] (partitioned by hash slot in cluster mode, so the
//! keys of a slot can be counted and moved cheaply) and, like Redis, the expiry times of volatile
//! keys in a second dict, so that sampling for active expiry only ever looks at keys with a TTL.

pub mod dict;
pub mod node_key;
pub mod slots;

pub use dict::Dict;
pub use slots::SlotDict;

use crate::types::Value;

/// A key's value and its access metadata. `Clone` because the keyspace's dict is generic over
/// sharing with clones (it never is cloned).
#[derive(Clone)]
pub struct Entry {
    pub value: Value,
    /// LRU clock (seconds, 24 bits as in Redis) or, under an LFU policy, `ldt << 8 | counter`.
    pub access: u32,
    /// Snapshot epoch: an entry whose epoch is the running snapshot's was created after the
    /// snapshot started or is already in it (see `persistence::snapshot`).
    pub epoch: u32,
}

impl Entry {
    pub fn new(value: Value, access: u32) -> Self {
        Entry {
            value,
            access,
            epoch: 0,
        }
    }
}

pub struct Db {
    /// Keys by hash slot (a single partition outside cluster mode).
    pub keys: SlotDict<Entry>,
    /// Absolute expiry time in Unix milliseconds, for volatile keys only.
    pub expires: Dict<i64>,
    /// Average TTL estimate reported by INFO keyspace (`avg_ttl`).
    pub avg_ttl: i64,
    /// The epoch new entries get (the latest snapshot's).
    pub epoch: u32,
    /// While a snapshot runs: values captured before their first change.
    pub cow: Option<Box<crate::persistence::snapshot::Cow>>,
}

impl Default for Db {
    fn default() -> Self {
        Db {
            keys: SlotDict::default(),
            expires: Dict::unsegmented(),
            avg_ttl: 0,
            epoch: 0,
            cow: None,
        }
    }
}

impl Db {
    /// Redis's `activerehashing`: moves buckets of the key and expiry tables' resizes under way
    /// for about `budget`, so a db that sees few writes does not keep two tables for long;
    /// returns whether none is left.
    pub fn rehash_for(&mut self, budget: std::time::Duration) -> bool {
        let start = std::time::Instant::now();
        self.keys.rehash_for(budget)
            && self
                .expires
                .rehash_for(budget.saturating_sub(start.elapsed()))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        matches!(self.expire_at(key), Some(t) if t <= now_ms)
    }

    /// A new entry, marked with the current snapshot epoch (so a running snapshot leaves it out).
    pub fn new_entry(&self, value: Value, access: u32) -> Entry {
        Entry {
            value,
            access,
            epoch: self.epoch,
        }
    }

    /// Copy-on-write: before `key` changes (or goes), a running snapshot that has not copied it
    /// yet gets its current value.
    pub fn capture(&mut self, key: &[u8]) {
        let Some(cow) = self.cow.as_mut() else {
            return;
        };
        if cow.done {
            return;
        }
        if let Some(e) = self.keys.get_mut(key) {
            if e.epoch != cow.epoch {
                e.epoch = cow.epoch;
                let expire = if self.expires.is_empty() {
                    None
                } else {
                    self.expires.get(key).copied()
                };
                cow.capture(key, &e.value, e.access, expire);
            }
        }
    }

    /// Copies every key a running snapshot has not copied yet (before FLUSHDB or SWAPDB).
    pub fn capture_all(&mut self) {
        let Some(cow) = self.cow.as_mut() else {
            return;
        };
        if cow.done {
            return;
        }
        let expires = &self.expires;
        self.keys.for_each_mut(|key, e| {
            if e.epoch != cow.epoch {
                e.epoch = cow.epoch;
                let expire = if expires.is_empty() {
                    None
                } else {
                    expires.get(key).copied()
                };
                cow.capture(key, &e.value, e.access, expire);
            }
        });
        cow.done = true;
    }

    /// Removes a key and its expiry; returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.capture(key);
        let e = self.keys.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(e.value)
    }

    /// Inserts or overwrites a key's value; an overwrite keeps the entry's access data but (like
    /// Redis's `setKey` without KEEPTTL) the caller decides about the TTL.
    /// Returns whether the key is new.
    pub fn set(&mut self, key: &[u8], value: Value, access: u32) -> bool {
        self.capture(key);
        match self.keys.get_mut(key) {
            Some(e) => {
                e.value = value;
                e.access = access;
                false
            }
            None => {
                let entry = self.new_entry(value, access);
                self.keys.insert_new(key, entry);
                true
            }
        }
    }

    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) {
        self.capture(key);
        self.expires.insert(key, at_ms);
    }

    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.capture(key);
        self.expires.remove(key).is_some()
    }

    pub fn clear(&mut self) {
        self.capture_all();
        self.keys.clear();
        self.expires.clear();
        self.avg_ttl = 0;
    }
}
