//! A database's key table, partitioned by hash slot.
//!
//! In cluster mode every one of the 16384 hash slots (CRC16 of the key or its `{tag}`) has its own
//! [`Dict`], so counting, listing and moving the keys of a slot touch only that slot, and the
//! keyspace can later be split into shards with their own locks (DESIGN.md). Outside cluster mode a
//! database is a single partition and pays nothing for this.
//!
//! SCAN cursors over a partitioned table carry the slot in their low 14 bits and the cursor within
//! that slot's dict above them; a slot's dict never has more than 2^50 buckets, so the inner cursor
//! always fits, and SCAN's guarantee holds slot by slot.

use super::dict::{Dict, WalkPos};
use super::node_key::NodeKey;
use redoubt_replication::slot::{key_slot, SLOT_COUNT};

const SLOT_BITS: u32 = 14;

pub struct SlotDict<V> {
    parts: Vec<Dict<V>>,
    len: usize,
}

/// Where a [`SlotDict::walk_some_mut`] stands: a slot's dict (the only one when not
/// partitioned) and the position in it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SlotWalkPos {
    part: usize,
    inner: WalkPos,
}

impl<V: Clone> Default for SlotDict<V> {
    fn default() -> Self {
        SlotDict::new(false)
    }
}

impl<V> SlotDict<V> {
    /// [`Dict::describe_stats`] over every slot's dict, their tables counted as one.
    pub fn describe_stats(&self) -> String {
        let mut main = crate::keyspace::dict::TableStats::default();
        let mut target: Option<crate::keyspace::dict::TableStats> = None;
        for part in &self.parts {
            let (m, t) = part.stats();
            main.merge(&m);
            if let Some(t) = t {
                target.get_or_insert_with(Default::default).merge(&t);
            }
        }
        crate::keyspace::dict::describe_tables((main, target))
    }
}

impl<V: Clone> SlotDict<V> {
    /// A table with one partition per hash slot (`partitioned`) or a single one.
    pub fn new(partitioned: bool) -> Self {
        let n = if partitioned { SLOT_COUNT as usize } else { 1 };
        SlotDict {
            parts: (0..n).map(|_| Dict::unsegmented()).collect(),
            len: 0,
        }
    }

    /// An empty table sized for about `n` keys, spread evenly over the slots when partitioned
    /// (loading a dump pre-sizes from its RESIZEDB hint).
    pub fn with_capacity(partitioned: bool, n: usize) -> Self {
        let parts = if partitioned { SLOT_COUNT as usize } else { 1 };
        SlotDict {
            parts: (0..parts)
                .map(|_| Dict::unsegmented_with_capacity(n / parts))
                .collect(),
            len: 0,
        }
    }

    pub fn is_partitioned(&self) -> bool {
        self.parts.len() > 1
    }

    fn part(&self, key: &[u8]) -> usize {
        if self.parts.len() == 1 {
            0
        } else {
            key_slot(key) as usize
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.parts[self.part(key)].get(key)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let p = self.part(key);
        self.parts[p].get_mut(key)
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Inserts `key` unless it is present; gives the pair back if it is.
    pub fn insert_unique(&mut self, key: impl Into<NodeKey>, value: V) -> Result<(), (NodeKey, V)> {
        let key = key.into();
        let p = self.part(&key);
        self.parts[p].insert_unique(key, value)?;
        self.len += 1;
        Ok(())
    }

    /// See [`Dict::prefetch`].
    pub fn prefetch(&self, key: &[u8], depth: u8) {
        self.parts[self.part(key)].prefetch(key, depth);
    }

    /// Inserts a key known to be absent.
    pub fn insert_new(&mut self, key: impl Into<NodeKey>, value: V) {
        let key = key.into();
        let p = self.part(&key);
        self.parts[p].insert_new(key, value);
        self.len += 1;
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        let p = self.part(key);
        let v = self.parts[p].remove(key)?;
        self.len -= 1;
        Some(v)
    }

    /// Moves buckets of the partitions' resizes under way for about `budget` in all; returns
    /// whether none is left.
    pub fn rehash_for(&mut self, budget: std::time::Duration) -> bool {
        let start = std::time::Instant::now();
        for d in self.parts.iter_mut().filter(|d| d.is_rehashing()) {
            let left = budget.saturating_sub(start.elapsed());
            if left.is_zero() || !d.rehash_for(left) {
                return false;
            }
        }
        true
    }

    pub fn clear(&mut self) {
        for d in self.parts.iter_mut() {
            d.clear();
        }
        self.len = 0;
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.parts.iter().flat_map(|d| d.iter())
    }

    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.iter().map(|(k, _)| k)
    }

    /// Keys in hash slot `slot` (CLUSTER COUNTKEYSINSLOT); for an unpartitioned table, all keys.
    pub fn slot_len(&self, slot: u16) -> usize {
        if self.is_partitioned() {
            self.parts.get(slot as usize).map(|d| d.len()).unwrap_or(0)
        } else {
            self.len
        }
    }

    /// One SCAN call's worth of entries (see the module comment for the cursor layout).
    pub fn scan_some(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        if !self.is_partitioned() {
            return self.parts[0].scan_some(cursor, count, visit);
        }
        let mut slot = (cursor & ((1 << SLOT_BITS) - 1)) as usize;
        let mut inner = cursor >> SLOT_BITS;
        let mut seen = 0;
        let mut steps = 0;
        while slot < self.parts.len() {
            let d = &self.parts[slot];
            if d.is_empty() {
                slot += 1;
                inner = 0;
            } else {
                inner = d.scan_some(inner, count - seen, |k, v| {
                    seen += 1;
                    visit(k, v)
                });
                if inner == 0 {
                    slot += 1;
                }
            }
            steps += 1;
            if seen >= count || steps >= count.saturating_mul(10) {
                break;
            }
        }
        if slot >= self.parts.len() {
            0
        } else {
            (inner << SLOT_BITS) | slot as u64
        }
    }

    /// A snapshot walker's pass over every entry ([`Dict::walk_some_mut`]), slot after slot:
    /// visits at least `count` entries unless the walk ends, and returns where to go on (`None`:
    /// done).
    pub fn walk_some_mut(
        &mut self,
        mut pos: SlotWalkPos,
        count: usize,
        prefetch_value: impl Fn(&V),
        mut visit: impl FnMut(&[u8], &mut V),
    ) -> Option<SlotWalkPos> {
        let mut seen = 0;
        // Empty slots cost a look each: bound them too, so a step stays short.
        let mut parts = 0;
        while let Some(d) = self.parts.get_mut(pos.part) {
            let left = count - seen.min(count);
            match d.walk_some_mut(pos.inner, left, &prefetch_value, |k, v| {
                seen += 1;
                visit(k, v)
            }) {
                Some(inner) => pos.inner = inner,
                None => {
                    pos.part += 1;
                    pos.inner = WalkPos::default();
                }
            }
            parts += 1;
            if seen >= count || parts >= count.saturating_mul(10) {
                break;
            }
        }
        (pos.part < self.parts.len()).then_some(pos)
    }

    /// Every value, mutably.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&[u8], &mut V)) {
        for d in self.parts.iter_mut() {
            d.for_each_mut(&mut f);
        }
    }

    /// A random entry. Partitioned tables pick a random non-empty slot first, which favours keys
    /// of sparsely populated slots slightly (Redis 7.2 corrects that with a weighted pick).
    pub fn random_entry(&self, rng: &mut impl rand::Rng) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        if !self.is_partitioned() {
            return self.parts[0].random_entry(rng);
        }
        for _ in 0..64 {
            let d = &self.parts[rng.gen_range(0..self.parts.len())];
            if !d.is_empty() {
                return d.random_entry(rng);
            }
        }
        let start = rng.gen_range(0..self.parts.len());
        (0..self.parts.len())
            .map(|i| &self.parts[(start + i) % self.parts.len()])
            .find(|d| !d.is_empty())?
            .random_entry(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn partitioned_table_counts_and_scans_by_slot() {
        let mut t: SlotDict<u32> = SlotDict::new(true);
        for i in 0..2000u32 {
            t.insert_new(format!("key:{i}").into_bytes().into_boxed_slice(), i);
        }
        t.insert_new(b"{user1}.a".to_vec().into_boxed_slice(), 1);
        t.insert_new(b"{user1}.b".to_vec().into_boxed_slice(), 2);
        assert_eq!(t.len(), 2002);
        assert_eq!(
            t.slot_len(key_slot(b"user1")),
            2 + (0..2000)
                .filter(|i| key_slot(format!("key:{i}").as_bytes()) == key_slot(b"user1"))
                .count()
        );
        assert_eq!(t.get(b"key:7"), Some(&7));
        assert_eq!(t.remove(b"key:7"), Some(7));
        assert_eq!(t.len(), 2001);

        let mut seen = HashSet::new();
        let mut cursor = 0;
        for _ in 0..100_000 {
            cursor = t.scan_some(cursor, 10, |k, _| {
                seen.insert(k.to_vec());
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(cursor, 0);
        assert_eq!(seen.len(), 2001);

        // A snapshot's walk: every key once, across the slots' dicts.
        let mut walked = HashSet::new();
        let mut pos = Some(SlotWalkPos::default());
        for _ in 0..100_000 {
            let Some(p) = pos else { break };
            pos = t.walk_some_mut(
                p,
                10,
                |_| {},
                |k, _| {
                    assert!(walked.insert(k.to_vec()), "visited twice");
                },
            );
        }
        assert!(pos.is_none());
        assert_eq!(walked, seen);
        let mut rng = rand::thread_rng();
        assert!(t.random_entry(&mut rng).is_some());
        t.clear();
        assert!(t.is_empty() && t.random_entry(&mut rng).is_none());
    }

    #[test]
    fn single_partition_behaves_like_a_dict() {
        let mut t: SlotDict<()> = SlotDict::new(false);
        t.insert_new(b"a".to_vec().into_boxed_slice(), ());
        assert!(!t.is_partitioned() && t.contains_key(b"a") && t.slot_len(5) == 1);
        assert_eq!(t.scan_some(0, 10, |_, _| {}), 0);
    }
}
