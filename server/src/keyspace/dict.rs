//! A chained hash table with Redis's SCAN cursor guarantee, shared with snapshots segment by
//! segment.
//!
//! Buckets are a power-of-two array of singly linked chains, as in Redis's `dict.c`. The point of not
//! using `std`'s map is SCAN: the cursor is the bucket index with its bits reversed and incremented
//! from the top, so that when the table doubles or halves between two calls, every element present for
//! the whole iteration is still returned at least once (some may be returned twice). The same table
//! also gives fair random sampling (RANDOMKEY, SPOP, eviction) without a side index. A snapshot's
//! walker, which needs no cursor a client can hold, reads the bucket arrays front to back instead
//! ([`Dict::walk_some_mut`]): that order lets it prefetch far ahead.
//!
//! The bucket array is cut into segments of at most [`SEGMENT`] buckets, each behind an `Arc`.
//! Cloning a dict clones the segment pointers only; a write then copies the one segment it
//! touches if the other copy still holds it (`Arc::make_mut`). A snapshot that shares a
//! multi-million-field hash with the keyspace therefore costs a write at most one segment's copy
//! (about 256 entries), the way a fork's copy-on-write costs a page. A table that is never cloned
//! (the keyspace's own) is one segment ([`Dict::unsegmented`]): there, a segment per lookup would
//! only add a cache miss.
//!
//! The table grows at load factor 1 and shrinks below 1/8, incrementally as in Redis: during a
//! resize both tables are live, new entries go to the new one, and every write moves a few
//! buckets over (the server's cron moves more in the keyspace's dicts), so no command pays for
//! rehashing millions of entries at once. While a clone shares segments, a table grows only past
//! load factor 5 and does not shrink, and a resize under way waits, as Redis does while a fork
//! child runs: moving shared nodes would copy them.

use super::node_key::NodeKey;
use std::sync::Arc;

struct Node<V> {
    key: NodeKey,
    value: V,
    next: Chain<V>,
}

type Chain<V> = Option<Box<Node<V>>>;

/// Buckets per segment (log2): a write to a shared dict copies at most this many chains.
const SEGMENT_BITS: u32 = 8;
/// Buckets per segment.
pub const SEGMENT: usize = 1 << SEGMENT_BITS;

/// A run of consecutive buckets; a table smaller than [`SEGMENT`] is one shorter segment.
struct Segment<V> {
    chains: Box<[Chain<V>]>,
}

impl<V> Segment<V> {
    /// `buckets` empty chains, from zeroed memory: a large table comes straight from the
    /// kernel's zero pages, so growing the keyspace to millions of buckets writes nothing up
    /// front (writing 32 MiB of `None`s held a command for tens of milliseconds).
    fn empty(buckets: usize) -> Self {
        let chains = Box::<[Chain<V>]>::new_zeroed_slice(buckets);
        // SAFETY: a chain is an `Option<Box<_>>`, whose `None` is guaranteed to be the null
        // pointer, so all-zero memory is a valid array of empty chains.
        let chains = unsafe { chains.assume_init() };
        Segment { chains }
    }
}

impl<V: Clone> Clone for Segment<V> {
    /// A deep copy, chain order kept.
    fn clone(&self) -> Self {
        let chains = self
            .chains
            .iter()
            .map(|chain| {
                let mut head: Chain<V> = None;
                let mut tail = &mut head;
                let mut cur = chain.as_deref();
                while let Some(n) = cur {
                    let node = tail.insert(Box::new(Node {
                        key: n.key.clone(),
                        value: n.value.clone(),
                        next: None,
                    }));
                    tail = &mut node.next;
                    cur = n.next.as_deref();
                }
                head
            })
            .collect();
        Segment { chains }
    }
}

impl<V> Segment<V> {
    /// The bucket array of a segment whose chains are all empty, as plain words, so that freeing
    /// it walks nothing (dropping 8M empty chains took 3-4 ms, and unmapping them as much again).
    fn into_words(mut self) -> Box<[usize]> {
        let chains = std::mem::take(&mut self.chains);
        debug_assert!(chains.iter().all(Option::is_none));
        let len = chains.len();
        let raw = Box::into_raw(chains) as *mut Chain<V> as *mut usize;
        // SAFETY: a chain is an `Option<Box<_>>`: pointer-sized and pointer-aligned like `usize`,
        // so the allocation is also that of a `[usize]` of the same length. Every chain is
        // `None`, so no node is lost.
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(raw, len)) }
    }
}

/// Frees the buckets a finished resize emptied. A big array goes to a short-lived thread: at 8M
/// buckets, walking and unmapping it held the command that ended the resize for 7.8 ms.
fn release_drained<V>(from: Rehash<V>) {
    if from.copied_shared {
        // Some segments were copied, not emptied: their nodes must be dropped.
        return drop(from);
    }
    let mut words = Vec::new();
    for segment in from.from.segments {
        // A segment a clone still holds is the clone's to free.
        if let Ok(segment) = Arc::try_unwrap(segment) {
            words.push(segment.into_words());
        }
    }
    if words.iter().map(|w| w.len()).sum::<usize>() >= 1 << 16 {
        let spawned = std::thread::Builder::new()
            .name("free-buckets".into())
            .spawn(move || drop(words));
        if let Err(e) = spawned {
            tracing::debug!("freeing buckets inline: {e}");
        }
    }
}

impl<V> Drop for Segment<V> {
    fn drop(&mut self) {
        // Unlink chains iteratively so long chains cannot overflow the stack.
        for b in self.chains.iter_mut() {
            let mut chain = b.take();
            while let Some(mut n) = chain {
                chain = n.next.take();
            }
        }
    }
}

/// A power-of-two array of chains, cut into segments.
struct Table<V> {
    /// Tells this table from every other (a walk's position names the table it is in).
    serial: u64,
    segments: Vec<Arc<Segment<V>>>,
    /// log2 of the buckets per segment.
    segment_bits: u32,
    /// Zero or a power of two.
    buckets: usize,
}

/// Serials of tables start at 1: a [`WalkPos`] whose table is 0 has not started.
static TABLE_SERIALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_table_serial() -> u64 {
    TABLE_SERIALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl<V> Table<V> {
    /// Counts this table's chains for [`Dict::stats`].
    fn stats(&self) -> TableStats {
        let mut stats = TableStats {
            size: self.buckets,
            chains: vec![0; STATS_CHAIN_LENGTHS],
            ..TableStats::default()
        };
        for segment in &self.segments {
            for chain in segment.chains.iter() {
                let mut len = 0;
                let mut cur = chain.as_deref();
                while let Some(n) = cur {
                    len += 1;
                    cur = n.next.as_deref();
                }
                stats.chains[len.min(STATS_CHAIN_LENGTHS - 1)] += 1;
                stats.elements += len;
                stats.slots += usize::from(len > 0);
                stats.max_chain = stats.max_chain.max(len);
            }
        }
        stats
    }

    fn empty(segment_bits: u32) -> Self {
        Table {
            serial: next_table_serial(),
            segments: Vec::new(),
            segment_bits,
            buckets: 0,
        }
    }

    /// A table of `buckets` empty chains.
    fn with_buckets(buckets: usize, segment_bits: u32) -> Self {
        let per = buckets.min(1 << segment_bits);
        Table {
            serial: next_table_serial(),
            segments: (0..buckets.div_ceil(per.max(1)))
                .map(|_| Arc::new(Segment::empty(per)))
                .collect(),
            segment_bits,
            buckets,
        }
    }

    fn mask(&self) -> usize {
        self.buckets.wrapping_sub(1)
    }

    fn chain(&self, idx: usize) -> &Chain<V> {
        let mask = (1usize << self.segment_bits) - 1;
        &self.segments[idx >> self.segment_bits].chains[idx & mask]
    }

    fn find(&self, idx: usize, key: &[u8]) -> Option<&Node<V>> {
        let mut cur = self.chain(idx).as_deref();
        while let Some(n) = cur {
            if &*n.key == key {
                return Some(n);
            }
            cur = n.next.as_deref();
        }
        None
    }

    /// Whether a clone may share the segment of bucket `idx` (a plain load, unlike
    /// `Arc::make_mut`'s compare-and-swap): then a write that may find nothing looks first.
    fn is_shared(&self, idx: usize) -> bool {
        Arc::strong_count(&self.segments[idx >> self.segment_bits]) > 1
    }

    fn shares_segments(&self) -> bool {
        self.segments.iter().any(|s| Arc::strong_count(s) > 1)
    }

    fn shared_segments(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| Arc::strong_count(s) > 1)
            .count()
    }

    fn iter(&self) -> Iter<'_, V> {
        Iter {
            segments: &self.segments,
            segment: 0,
            bucket: 0,
            node: None,
        }
    }
}

impl<V: Clone> Table<V> {
    /// The chain at `idx`, for writing: its segment is copied first if a clone shares it.
    fn chain_mut(&mut self, idx: usize) -> &mut Chain<V> {
        let mask = (1usize << self.segment_bits) - 1;
        &mut Arc::make_mut(&mut self.segments[idx >> self.segment_bits]).chains[idx & mask]
    }

    /// The value of `key` in bucket `idx`, for writing; a shared segment is copied only when the
    /// key is there.
    fn value_mut(&mut self, idx: usize, key: &[u8]) -> Option<&mut V> {
        if self.is_shared(idx) {
            self.find(idx, key)?;
        }
        let mut cur = self.chain_mut(idx).as_deref_mut();
        while let Some(n) = cur {
            if &*n.key == key {
                return Some(&mut n.value);
            }
            cur = n.next.as_deref_mut();
        }
        None
    }

    /// Takes `key`'s node out of bucket `idx`; a shared segment is copied only when the key is
    /// there.
    fn unlink(&mut self, idx: usize, key: &[u8]) -> Option<Box<Node<V>>> {
        if self.is_shared(idx) {
            self.find(idx, key)?;
        }
        let mut slot = self.chain_mut(idx);
        while slot.as_ref().is_some_and(|n| &*n.key != key) {
            slot = &mut slot.as_mut()?.next;
        }
        let mut node = slot.take()?;
        *slot = node.next.take();
        Some(node)
    }

    /// Puts a node at the head of bucket `idx`.
    fn push(&mut self, idx: usize, mut node: Box<Node<V>>) {
        let chain = self.chain_mut(idx);
        node.next = chain.take();
        *chain = Some(node);
    }

    /// Visits the chain at `idx` mutably.
    fn visit_mut(&mut self, idx: usize, visit: &mut impl FnMut(&[u8], &mut V)) {
        let mut cur = self.chain_mut(idx).as_deref_mut();
        while let Some(n) = cur {
            visit(&n.key, &mut n.value);
            cur = n.next.as_deref_mut();
        }
    }

    fn for_each_mut(&mut self, f: &mut impl FnMut(&[u8], &mut V)) {
        for segment in self.segments.iter_mut() {
            for b in Arc::make_mut(segment).chains.iter_mut() {
                let mut cur = b.as_deref_mut();
                while let Some(n) = cur {
                    f(&n.key, &mut n.value);
                    cur = n.next.as_deref_mut();
                }
            }
        }
    }

    /// Keeps the entries for which `keep` is true; returns how many it removed.
    fn retain(&mut self, keep: &mut impl FnMut(&[u8], &mut V) -> bool) -> usize {
        let mut removed = 0;
        for segment in self.segments.iter_mut() {
            for b in Arc::make_mut(segment).chains.iter_mut() {
                let mut chain = b.take();
                let mut kept: Chain<V> = None;
                while let Some(mut node) = chain {
                    chain = node.next.take();
                    if keep(&node.key, &mut node.value) {
                        node.next = kept;
                        kept = Some(node);
                    } else {
                        removed += 1;
                    }
                }
                *b = kept;
            }
        }
        removed
    }
}

/// The previous table while a resize moves its entries over, bucket by bucket.
struct Rehash<V> {
    from: Table<V>,
    /// Buckets of `from` below this one are moved (empty).
    next: usize,
    /// Some segment, shared with a clone, was copied over rather than emptied.
    copied_shared: bool,
}

pub struct Dict<V> {
    table: Table<V>,
    /// A resize under way: lookups see both tables, inserts go to `table`, and every write moves
    /// a few buckets over ([`REHASH_STEP`]), as Redis's `dict.c` does.
    rehash: Option<Box<Rehash<V>>>,
    len: usize,
    hasher: ahash::RandomState,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict::new()
    }
}

const MIN_BUCKETS: usize = 4;

/// The load factor a table shared with a clone may reach before it resizes anyway (Redis's
/// `dict_force_resize_ratio`, the bound it keeps while a fork child shares the pages): below it,
/// chains just grow longer until the snapshot lets go.
const SHARED_MAX_LOAD: usize = 5;

/// Non-empty buckets a write moves to the new table while a resize is under way (it looks at ten
/// times as many empty ones at most). More than Redis's one: only the keyspace's dicts also get
/// rehashing time from the cron, and at four a doubled table is done after a quarter of the
/// inserts that would fill it again.
const REHASH_STEP: usize = 4;

/// The SCAN cursor after `cursor` for a table of `mask + 1` buckets: the bucket index with its
/// bits reversed, incremented, reversed back (so that a resize between calls skips nothing).
fn next_cursor(cursor: u64, mask: u64) -> u64 {
    ((cursor | !mask).reverse_bits().wrapping_add(1)).reverse_bits()
}

/// The buckets of a table of `large + 1` buckets that bucket `cursor & small` of a table of
/// `small + 1` buckets expands to: the cursor's low bits, with every value of the bits between the
/// two masks (incremented from the top, in SCAN's reversed order, as `dictScan` does).
fn expansion(cursor: u64, small: u64, large: u64) -> impl Iterator<Item = u64> {
    let mut v = Some(cursor);
    std::iter::from_fn(move || {
        let here = v?;
        let next = (((here | small).wrapping_add(1)) & !small) | (here & small);
        v = (next & (small ^ large) != 0).then_some(next);
        Some(here & large)
    })
}

/// Prefetches the cache line at `p` (a hint: it never faults, whatever the address).
#[inline(always)]
pub(crate) fn prefetch_line<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint that neither faults nor changes memory for any address.
    unsafe {
        core::arch::x86_64::_mm_prefetch(p as *const i8, core::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Segment bits of a table that is one segment whatever its size.
const WHOLE: u32 = usize::BITS - 1;

/// Where a key's node is.
#[derive(Clone, Copy)]
enum Place {
    /// In the table being moved from, at this bucket.
    Old(usize),
    /// In the current table, at this bucket.
    New(usize),
}

/// Chain lengths that [`TableStats`] counts apart (Redis's `DICT_STATS_VECTLEN`); longer chains
/// count in the last.
const STATS_CHAIN_LENGTHS: usize = 50;

/// One table's figures for `DEBUG HTSTATS` (what Redis's `_dictGetStatsHt` counts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Buckets.
    pub size: usize,
    pub elements: usize,
    /// Buckets that hold something.
    pub slots: usize,
    pub max_chain: usize,
    /// Buckets per chain length.
    pub chains: Vec<usize>,
}

impl TableStats {
    /// Adds `other`'s buckets (the tables of a cluster node's slots count as one).
    pub fn merge(&mut self, other: &TableStats) {
        self.size += other.size;
        self.elements += other.elements;
        self.slots += other.slots;
        self.max_chain = self.max_chain.max(other.max_chain);
        self.chains.resize(STATS_CHAIN_LENGTHS, 0);
        for (mine, theirs) in self.chains.iter_mut().zip(&other.chains) {
            *mine += theirs;
        }
    }

    /// Redis's text for table `index` (0: the main table, 1: the target of a resize).
    pub fn describe(&self, index: usize) -> String {
        let name = if index == 0 {
            "main hash table"
        } else {
            "rehashing target"
        };
        if self.elements == 0 {
            return format!(
                "Hash table {index} stats ({name}):\nNo stats available for empty dictionaries\n"
            );
        }
        // Redis divides in single precision.
        let ratio = |a: usize, b: usize| a as f32 / b as f32;
        let mut text = format!(
            "Hash table {index} stats ({name}):\n table size: {}\n number of elements: {}\n \
             different slots: {}\n max chain length: {}\n avg chain length (counted): {:.2}\n \
             avg chain length (computed): {:.2}\n Chain length distribution:\n",
            self.size,
            self.elements,
            self.slots,
            self.max_chain,
            ratio(self.elements, self.slots),
            ratio(self.elements, self.slots),
        );
        for (len, &buckets) in self.chains.iter().enumerate().take(STATS_CHAIN_LENGTHS - 1) {
            if buckets > 0 {
                text += &format!(
                    "   {len}: {buckets} ({:.2}%)\n",
                    ratio(buckets, self.size) * 100.0
                );
            }
        }
        text
    }
}

/// Reading: no bound on the value type.
impl<V> Dict<V> {
    /// The chains of the main table and, during a resize, of its target (`DEBUG HTSTATS`). The
    /// table being emptied by a resize is the main one, as in Redis.
    pub fn stats(&self) -> (TableStats, Option<TableStats>) {
        match &self.rehash {
            Some(r) => (r.from.stats(), Some(self.table.stats())),
            None => (self.table.stats(), None),
        }
    }

    /// Redis's `dictGetStats` text.
    pub fn describe_stats(&self) -> String {
        describe_tables(self.stats())
    }

    pub fn new() -> Self {
        Dict {
            table: Table::empty(SEGMENT_BITS),
            rehash: None,
            len: 0,
            hasher: ahash::RandomState::new(),
        }
    }

    /// A dict whose buckets stay one segment, for a table that is never cloned.
    pub fn unsegmented() -> Self {
        Dict {
            table: Table::empty(WHOLE),
            ..Dict::new()
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets, of both tables while a resize is under way (for `DEBUG HTSTATS`-like
    /// introspection and memory estimates).
    pub fn bucket_count(&self) -> usize {
        self.table.buckets + self.rehash.as_ref().map_or(0, |r| r.from.buckets)
    }

    /// Whether a resize is still moving entries to the new table.
    pub fn is_rehashing(&self) -> bool {
        self.rehash.is_some()
    }

    fn hash(&self, key: &[u8]) -> usize {
        self.hasher.hash_one(key) as usize
    }

    /// Where `key` is: the old table first (for a bucket not moved yet), then the current one.
    fn place(&self, hash: usize, key: &[u8]) -> Option<(Place, &Node<V>)> {
        if let Some(r) = &self.rehash {
            let idx = hash & r.from.mask();
            if idx >= r.next {
                if let Some(n) = r.from.find(idx, key) {
                    return Some((Place::Old(idx), n));
                }
            }
        }
        if self.table.buckets == 0 {
            return None;
        }
        let idx = hash & self.table.mask();
        self.table.find(idx, key).map(|n| (Place::New(idx), n))
    }

    fn find(&self, key: &[u8]) -> Option<&Node<V>> {
        if self.len == 0 {
            return None;
        }
        self.place(self.hash(key), key).map(|(_, n)| n)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|n| &n.value)
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        self.find(key).map(|n| (&*n.key, &n.value))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Asks the CPU to fetch what a lookup of `key` in the current table touches, one level per
    /// `depth` (0: the bucket, 1: the chain's first node, 2: that node's key). Called for keys a
    /// few places ahead in a batch of inserts, with decreasing depth, it overlaps their cache
    /// misses (most of the cost of loading a large dataset). A hint only: nothing is read through
    /// a pointer that has not been fetched at the previous depth already, and nothing changes.
    pub fn prefetch(&self, key: &[u8], depth: u8) {
        if self.table.buckets == 0 {
            return;
        }
        let slot = self.table.chain(self.hash(key) & self.table.mask());
        match (depth, slot.as_deref()) {
            (0, _) => prefetch_line(slot as *const Chain<V>),
            (1, Some(n)) => prefetch_line(n as *const Node<V>),
            (_, Some(n)) => prefetch_line(n.key.as_ptr()),
            _ => {}
        }
    }

    /// Every entry: the current table's, then those the old one still holds.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.table
            .iter()
            .chain(self.rehash.iter().flat_map(|r| r.from.iter()))
    }

    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.iter().map(|(k, _)| k)
    }

    /// Visits the bucket at `cursor` and returns the next cursor (0 when the scan is complete).
    /// While a resize is under way, it visits the smaller table's bucket and every bucket of the
    /// larger one that it expands to (Redis's `dictScan`), so the guarantee still holds.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        if self.len == 0 || self.table.buckets == 0 {
            return 0;
        }
        let mut visit_chain = |table: &Table<V>, idx: u64| {
            let mut cur = table.chain(idx as usize).as_deref();
            while let Some(n) = cur {
                visit(&n.key, &n.value);
                cur = n.next.as_deref();
            }
        };
        let Some(r) = &self.rehash else {
            let mask = self.table.mask() as u64;
            visit_chain(&self.table, cursor & mask);
            return next_cursor(cursor, mask);
        };
        let (small, large) = if r.from.buckets < self.table.buckets {
            (&r.from, &self.table)
        } else {
            (&self.table, &r.from)
        };
        let small_mask = small.mask() as u64;
        visit_chain(small, cursor & small_mask);
        for idx in expansion(cursor, small_mask, large.mask() as u64) {
            visit_chain(large, idx);
        }
        next_cursor(cursor, small_mask)
    }

    /// One SCAN call's worth: visits buckets from `cursor` until about `count` entries were seen
    /// (or 10 × `count` buckets, so sparse tables stay cheap); returns the next cursor.
    pub fn scan_some(
        &self,
        mut cursor: u64,
        count: usize,
        mut visit: impl FnMut(&[u8], &V),
    ) -> u64 {
        let mut seen = 0;
        let mut buckets = 0;
        loop {
            cursor = self.scan(cursor, |k, v| {
                seen += 1;
                visit(k, v)
            });
            buckets += 1;
            if cursor == 0 || seen >= count || buckets >= count.saturating_mul(10) {
                return cursor;
            }
        }
    }

    /// The chain at `i` of all live buckets: the current table's, then the old table's not moved
    /// yet.
    fn live_bucket(&self, i: usize) -> &Chain<V> {
        match &self.rehash {
            Some(r) if i >= self.table.buckets => r.from.chain(r.next + i - self.table.buckets),
            _ => self.table.chain(i),
        }
    }

    /// A random entry: a random non-empty bucket, then a random element of its chain.
    pub fn random_entry(&self, rng: &mut impl rand::Rng) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        let n = self.table.buckets + self.rehash.as_ref().map_or(0, |r| r.from.buckets - r.next);
        let mut tries = 0;
        loop {
            let idx = rng.gen_range(0..n);
            tries += 1;
            let bucket = if self.live_bucket(idx).is_some() {
                idx
            } else if tries > 64 {
                // Sparse table: fall back to the first non-empty bucket from here.
                (0..n)
                    .map(|i| (idx + i) % n)
                    .find(|&i| self.live_bucket(i).is_some())?
            } else {
                continue;
            };
            let mut chain_len = 0;
            let mut cur = self.live_bucket(bucket).as_deref();
            while let Some(node) = cur {
                chain_len += 1;
                cur = node.next.as_deref();
            }
            let pick = rng.gen_range(0..chain_len);
            let mut cur = self.live_bucket(bucket).as_deref();
            for _ in 0..pick {
                cur = cur?.next.as_deref();
            }
            return cur.map(|n| (&*n.key, &n.value));
        }
    }

    /// How many of the segments are shared with a clone (for tests and introspection).
    pub fn shared_segments(&self) -> usize {
        self.table.shared_segments() + self.rehash.as_ref().map_or(0, |r| r.from.shared_segments())
    }

    /// Whether a clone (a snapshot) still shares any segment.
    fn shares_segments(&self) -> bool {
        self.table.shares_segments()
            || self
                .rehash
                .as_ref()
                .is_some_and(|r| r.from.shares_segments())
    }
}

/// Writing: a segment still shared with a clone is copied first, so values must be `Clone`.
impl<V: Clone> Dict<V> {
    pub fn with_capacity(n: usize) -> Self {
        Dict::new().sized_for(n)
    }

    /// [`Dict::unsegmented`], sized for `n` keys.
    pub fn unsegmented_with_capacity(n: usize) -> Self {
        Dict::unsegmented().sized_for(n)
    }

    fn sized_for(mut self, n: usize) -> Self {
        if n > 0 {
            self.resize(n.next_power_of_two().max(MIN_BUCKETS));
        }
        self
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.len == 0 {
            return None;
        }
        self.rehash_step();
        let hash = self.hash(key);
        match &mut self.rehash {
            None => {
                let idx = hash & self.table.mask();
                self.table.value_mut(idx, key)
            }
            Some(_) => match self.place(hash, key)?.0 {
                Place::Old(idx) => self.rehash.as_mut()?.from.value_mut(idx, key),
                Place::New(idx) => self.table.value_mut(idx, key),
            },
        }
    }

    /// Starts doubling the table before an insert at load factor 1; while a clone shares it, only
    /// past [`SHARED_MAX_LOAD`] (a resize would copy every shared node). Moves a few buckets of a
    /// resize under way.
    fn grow_for_one(&mut self) {
        if self.rehash.is_some() {
            self.rehash_step();
            return;
        }
        let buckets = self.table.buckets;
        if self.len < buckets {
            return;
        }
        if self.len < buckets * SHARED_MAX_LOAD && self.shares_segments() {
            return;
        }
        self.resize((buckets * 2).max(MIN_BUCKETS));
    }

    /// Inserts or replaces (hashing the key once); returns the previous value.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        self.grow_for_one();
        let hash = self.hash(key);
        if let Some(r) = &mut self.rehash {
            let idx = hash & r.from.mask();
            if idx >= r.next {
                if let Some(v) = r.from.value_mut(idx, key) {
                    return Some(std::mem::replace(v, value));
                }
            }
        }
        let idx = hash & self.table.mask();
        let chain = self.table.chain_mut(idx);
        let mut cur = chain.as_deref_mut();
        while let Some(n) = cur {
            if &*n.key == key {
                return Some(std::mem::replace(&mut n.value, value));
            }
            cur = n.next.as_deref_mut();
        }
        let next = chain.take();
        *chain = Some(Box::new(Node {
            key: key.into(),
            value,
            next,
        }));
        self.len += 1;
        None
    }

    /// Inserts `key` unless it is present (one walk of its chain); gives the pair back if it is.
    pub fn insert_unique(&mut self, key: impl Into<NodeKey>, value: V) -> Result<(), (NodeKey, V)> {
        let key = key.into();
        self.grow_for_one();
        let hash = self.hash(&key);
        if let Some(r) = &self.rehash {
            let idx = hash & r.from.mask();
            if idx >= r.next && r.from.find(idx, &key).is_some() {
                return Err((key, value));
            }
        }
        let chain = self.table.chain_mut(hash & self.table.mask());
        let mut cur = chain.as_deref();
        while let Some(n) = cur {
            if *n.key == *key {
                return Err((key, value));
            }
            cur = n.next.as_deref();
        }
        let next = chain.take();
        *chain = Some(Box::new(Node { key, value, next }));
        self.len += 1;
        Ok(())
    }

    /// Inserts a key known to be absent.
    pub fn insert_new(&mut self, key: impl Into<NodeKey>, value: V) {
        let key = key.into();
        self.grow_for_one();
        let idx = self.hash(&key) & self.table.mask();
        self.table.push(
            idx,
            Box::new(Node {
                key,
                value,
                next: None,
            }),
        );
        self.len += 1;
    }

    /// Returns the value for `key`, inserting `make()` first when absent; the flag tells whether it did.
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> (&mut V, bool) {
        let inserted = if self.get(key).is_none() {
            self.insert_new(key, make());
            true
        } else {
            false
        };
        match self.get_mut(key) {
            Some(v) => (v, inserted),
            None => unreachable!("key was just ensured present"),
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(NodeKey, V)> {
        if self.len == 0 {
            return None;
        }
        self.rehash_step();
        let hash = self.hash(key);
        let node = match &mut self.rehash {
            None => {
                let idx = hash & self.table.mask();
                self.table.unlink(idx, key)?
            }
            Some(_) => match self.place(hash, key)?.0 {
                Place::Old(idx) => self.rehash.as_mut()?.from.unlink(idx, key)?,
                Place::New(idx) => self.table.unlink(idx, key)?,
            },
        };
        self.len -= 1;
        self.maybe_shrink();
        let Node { key, value, .. } = *node;
        Some((key, value))
    }

    /// Starts halving (or more) a sparse table; not while a clone shares it (a later removal
    /// does).
    fn maybe_shrink(&mut self) {
        let n = self.table.buckets;
        if self.rehash.is_none() && n > MIN_BUCKETS && self.len * 8 < n && !self.shares_segments() {
            self.resize(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    /// Starts a resize to `new_size` buckets: the entries move over a few buckets per write
    /// ([`Dict::rehash_step`]), or at once when there are none.
    fn resize(&mut self, new_size: usize) {
        // Callers start a resize only when none is under way; were one, it completes first.
        self.rehash_buckets(usize::MAX, true);
        let fresh = Table::with_buckets(new_size, self.table.segment_bits);
        let from = std::mem::replace(&mut self.table, fresh);
        if self.len > 0 {
            self.rehash = Some(Box::new(Rehash {
                from,
                next: 0,
                copied_shared: false,
            }));
        }
    }

    /// One write's share of a resize under way.
    fn rehash_step(&mut self) {
        if self.rehash.is_some() {
            self.rehash_buckets(REHASH_STEP, false);
        }
    }

    /// Moves up to `count` non-empty buckets of the old table (looking at ten times as many empty
    /// ones at most); returns whether the resize is complete. While a clone still shares the old
    /// table's next segment, the resize waits (moving would copy every shared node), unless
    /// `force` or the current table is past [`SHARED_MAX_LOAD`]: then that segment's nodes are
    /// copied over and the shared segment is left to the clone.
    fn rehash_buckets(&mut self, count: usize, force: bool) -> bool {
        let Dict {
            table,
            rehash,
            len,
            hasher,
        } = self;
        let Some(r) = rehash.as_mut() else {
            return true;
        };
        let mask = table.mask();
        let bits = r.from.segment_bits;
        let mut empty_left = count.saturating_mul(10);
        let mut moved = 0;
        while moved < count && r.next < r.from.buckets {
            if r.from.is_shared(r.next) {
                if !force && *len <= table.buckets * SHARED_MAX_LOAD {
                    return false;
                }
                let end = ((r.next >> bits) + 1) << bits;
                for idx in r.next..end.min(r.from.buckets) {
                    let mut cur = r.from.chain(idx).as_deref();
                    while let Some(n) = cur {
                        table.push(
                            hasher.hash_one(&*n.key) as usize & mask,
                            Box::new(Node {
                                key: n.key.clone(),
                                value: n.value.clone(),
                                next: None,
                            }),
                        );
                        cur = n.next.as_deref();
                    }
                }
                r.next = end.min(r.from.buckets);
                r.copied_shared = true;
                moved += 1;
                continue;
            }
            let mut chain = r.from.chain_mut(r.next).take();
            r.next += 1;
            if chain.is_none() {
                empty_left -= 1;
                if empty_left == 0 {
                    break;
                }
                continue;
            }
            moved += 1;
            while let Some(mut node) = chain {
                chain = node.next.take();
                table.push(hasher.hash_one(&*node.key) as usize & mask, node);
            }
        }
        if r.next >= r.from.buckets {
            if let Some(done) = rehash.take() {
                release_drained(*done);
            }
            return true;
        }
        false
    }

    /// Moves buckets of a resize under way for about `budget` (Redis's `activerehashing`, for
    /// dicts that see few writes); returns whether the resize is complete.
    pub fn rehash_for(&mut self, budget: std::time::Duration) -> bool {
        let start = std::time::Instant::now();
        while self.rehash.is_some() {
            if self.rehash_buckets(100, false) {
                return true;
            }
            if start.elapsed() >= budget {
                return false;
            }
            // A shared segment stops the resize for now.
            if self
                .rehash
                .as_ref()
                .is_some_and(|r| r.from.is_shared(r.next))
            {
                return false;
            }
        }
        true
    }

    pub fn clear(&mut self) {
        self.table = Table::empty(self.table.segment_bits);
        self.rehash = None;
        self.len = 0;
    }

    /// Visits every value mutably.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&[u8], &mut V)) {
        self.table.for_each_mut(&mut f);
        if let Some(r) = &mut self.rehash {
            r.from.for_each_mut(&mut f);
        }
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], &mut V) -> bool) {
        let mut removed = self.table.retain(&mut keep);
        if let Some(r) = &mut self.rehash {
            removed += r.from.retain(&mut keep);
        }
        self.len -= removed;
        self.maybe_shrink();
    }

    /// Like [`Dict::scan`], with mutable access to the values.
    pub fn scan_mut(&mut self, cursor: u64, mut visit: impl FnMut(&[u8], &mut V)) -> u64 {
        if self.len == 0 || self.table.buckets == 0 {
            return 0;
        }
        let Dict { table, rehash, .. } = self;
        let Some(r) = rehash else {
            let mask = table.mask() as u64;
            table.visit_mut((cursor & mask) as usize, &mut visit);
            return next_cursor(cursor, mask);
        };
        let (small, large) = if r.from.buckets < table.buckets {
            (&mut r.from, table)
        } else {
            (table, &mut r.from)
        };
        let small_mask = small.mask() as u64;
        small.visit_mut((cursor & small_mask) as usize, &mut visit);
        for idx in expansion(cursor, small_mask, large.mask() as u64) {
            large.visit_mut(idx as usize, &mut visit);
        }
        next_cursor(cursor, small_mask)
    }

    /// Visits entries in bucket order, at least `count` of them unless the walk ends, and returns
    /// where to go on (`None`: done), for a snapshot's walker. Unlike SCAN's reversed-bit cursor,
    /// which jumps across the bucket array at every step, this reads the array front to back, so
    /// the nodes and values can be prefetched well ahead: at a million keys it takes half the time.
    ///
    /// Every entry present for the whole walk is visited at least once, whatever resizes happen
    /// meanwhile; an entry may be visited twice (the walker marks what it has copied). The walk
    /// goes through the old table of a resize under way and then the new one; when the table it
    /// was in has since been replaced, it starts over from the first live table (entries only
    /// ever move from an old table into the current one, which the walk then covers whole).
    pub fn walk_some_mut(
        &mut self,
        pos: WalkPos,
        count: usize,
        prefetch_value: impl Fn(&V),
        mut visit: impl FnMut(&[u8], &mut V),
    ) -> Option<WalkPos> {
        let old = self.rehash.as_ref().map(|r| r.from.serial);
        let (mut in_old, mut bucket) = if old == Some(pos.table) {
            (true, pos.bucket)
        } else if self.table.serial == pos.table {
            (false, pos.bucket)
        } else {
            (old.is_some(), 0)
        };
        let mut seen = 0;
        loop {
            let table = match (in_old, self.rehash.as_mut()) {
                (true, Some(r)) => &mut r.from,
                _ => &mut self.table,
            };
            bucket = table.walk_mut(
                bucket,
                count - seen.min(count),
                &prefetch_value,
                &mut |k, v| {
                    seen += 1;
                    visit(k, v)
                },
            );
            if bucket < table.buckets {
                return Some(WalkPos {
                    table: table.serial,
                    bucket,
                });
            }
            if !in_old {
                return None;
            }
            in_old = false;
            bucket = 0;
        }
    }
}

/// Redis's `dictGetStats` text for a main table and a resize's target.
pub fn describe_tables((main, target): (TableStats, Option<TableStats>)) -> String {
    let mut text = main.describe(0);
    if let Some(t) = target {
        text += &t.describe(1);
    }
    text
}

/// Where a [`Dict::walk_some_mut`] stands: a table and a bucket in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkPos {
    table: u64,
    bucket: usize,
}

impl<V: Clone> Table<V> {
    /// Visits the chains from `bucket` on until at least `count` entries are seen (or the table
    /// ends); returns the next bucket. Nodes are prefetched 16 buckets ahead and, once they are
    /// in, whatever `prefetch_value` wants of their values 8 buckets ahead.
    ///
    /// A segment is made writable (`Arc::make_mut`) once, not per bucket: its atomic
    /// compare-exchange is a full barrier, and once per bucket it kept the misses of the buckets
    /// ahead from overlapping.
    fn walk_mut(
        &mut self,
        mut bucket: usize,
        count: usize,
        prefetch_value: &impl Fn(&V),
        visit: &mut impl FnMut(&[u8], &mut V),
    ) -> usize {
        const NODE_AHEAD: usize = 16;
        const VALUE_AHEAD: usize = 8;
        const SECOND_AHEAD: usize = 4;
        let mut seen = 0;
        while bucket < self.buckets {
            let index = bucket >> self.segment_bits;
            let base = index << self.segment_bits;
            let (upto, after) = self.segments.split_at_mut(index + 1);
            let next = after.first().map(|n| &n.chains[..]).unwrap_or(&[]);
            let chains = &mut Arc::make_mut(&mut upto[index]).chains;
            let end = base + chains.len();
            while bucket < end {
                let ahead = |b: usize| {
                    let i = b - base;
                    chains
                        .get(i)
                        .or_else(|| next.get(i - chains.len()))
                        .and_then(|c| c.as_deref())
                };
                if let Some(n) = ahead(bucket + NODE_AHEAD) {
                    prefetch_line(n as *const Node<V>);
                }
                if let Some(n) = ahead(bucket + VALUE_AHEAD) {
                    prefetch_value(&n.value);
                    if let Some(second) = n.next.as_deref() {
                        prefetch_line(second as *const Node<V>);
                    }
                }
                if let Some(second) = ahead(bucket + SECOND_AHEAD).and_then(|n| n.next.as_deref()) {
                    prefetch_value(&second.value);
                    if let Some(third) = second.next.as_deref() {
                        prefetch_line(third as *const Node<V>);
                    }
                }
                let mut cur = chains[bucket - base].as_deref_mut();
                while let Some(n) = cur {
                    seen += 1;
                    visit(&n.key, &mut n.value);
                    cur = n.next.as_deref_mut();
                }
                bucket += 1;
                if seen >= count {
                    return bucket;
                }
            }
        }
        bucket
    }
}

struct Iter<'a, V> {
    segments: &'a [Arc<Segment<V>>],
    segment: usize,
    bucket: usize,
    node: Option<&'a Node<V>>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                self.node = n.next.as_deref();
                return Some((&n.key, &n.value));
            }
            let segment = self.segments.get(self.segment)?;
            match segment.chains.get(self.bucket) {
                Some(chain) => {
                    self.bucket += 1;
                    self.node = chain.as_deref();
                }
                None => {
                    self.segment += 1;
                    self.bucket = 0;
                }
            }
        }
    }
}

impl<V> Clone for Table<V> {
    /// Shares every segment: O(buckets / SEGMENT).
    fn clone(&self) -> Self {
        Table {
            serial: self.serial,
            segments: self.segments.clone(),
            segment_bits: self.segment_bits,
            buckets: self.buckets,
        }
    }
}

impl<V> Clone for Dict<V> {
    /// Shares every segment (of both tables while a resize is under way). Writes to either copy
    /// then copy the segments they touch.
    fn clone(&self) -> Self {
        Dict {
            table: self.table.clone(),
            rehash: self.rehash.as_ref().map(|r| {
                Box::new(Rehash {
                    from: r.from.clone(),
                    next: r.next,
                    copied_shared: r.copied_shared,
                })
            }),
            len: self.len,
            hasher: self.hasher.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u32),
        InsertUnique(u16, u32),
        Remove(u16),
        Update(u16, u32),
        RetainBelow(u32),
        Clone,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u16..3000, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            2 => (0u16..3000, any::<u32>()).prop_map(|(k, v)| Op::InsertUnique(k, v)),
            4 => (0u16..3000).prop_map(Op::Remove),
            2 => (0u16..3000, any::<u32>()).prop_map(|(k, v)| Op::Update(k, v)),
            1 => any::<u32>().prop_map(Op::RetainBelow),
            1 => Just(Op::Clone),
        ]
    }

    /// A dict's entries, sorted.
    type Entries = Vec<(Vec<u8>, u32)>;

    fn sorted(d: &Dict<u32>) -> Entries {
        let mut v: Vec<_> = d.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
        v.sort();
        v
    }

    fn apply(op: &Op, d: &mut Dict<u32>, model: &mut HashMap<Vec<u8>, u32>) -> bool {
        let key = |k: u16| format!("key:{k}").into_bytes();
        match *op {
            Op::Insert(k, v) => d.insert(&key(k), v) == model.insert(key(k), v),
            Op::InsertUnique(k, v) => {
                let fresh = !model.contains_key(&key(k));
                if fresh {
                    model.insert(key(k), v);
                }
                d.insert_unique(key(k), v).is_ok() == fresh
            }
            Op::Remove(k) => d.remove(&key(k)) == model.remove(&key(k)),
            Op::Update(k, v) => {
                let ours = d.get_mut(&key(k)).map(|x| std::mem::replace(x, v));
                let theirs = model.get_mut(&key(k)).map(|x| std::mem::replace(x, v));
                ours == theirs
            }
            Op::RetainBelow(limit) => {
                d.retain(|_, v| *v < limit);
                model.retain(|_, v| *v < limit);
                true
            }
            Op::Clone => true,
        }
    }

    proptest! {
        /// Inserts, removals, updates and resizes agree with a `HashMap`, and clones taken along
        /// the way (sharing segments with the original) keep exactly what they had.
        #[test]
        fn matches_a_hashmap_and_clones_stay_put(
            ops in proptest::collection::vec((op(), 1usize..400), 1..40)
        ) {
            let mut d: Dict<u32> = Dict::new();
            let mut model = HashMap::new();
            let mut clones: Vec<(Dict<u32>, Entries)> = Vec::new();
            for (op, repeat) in ops {
                // Inserts repeat with shifted keys so tables grow over many segments.
                for i in 0..if matches!(op, Op::Insert(..)) { repeat } else { 1 } {
                    let op = match op {
                        Op::Insert(k, v) => Op::Insert(k.wrapping_add(i as u16 * 7) % 3000, v),
                        ref other => other.clone(),
                    };
                    if matches!(op, Op::Clone) {
                        clones.push((d.clone(), sorted(&d)));
                    }
                    prop_assert!(apply(&op, &mut d, &mut model), "{:?}", op);
                }
                prop_assert_eq!(d.len(), model.len());
            }
            let mut want: Vec<_> = model.into_iter().collect();
            want.sort();
            prop_assert_eq!(sorted(&d), want);
            for (clone, contents) in &clones {
                prop_assert_eq!(&sorted(clone), contents);
                prop_assert_eq!(clone.len(), contents.len());
            }
        }
    }

    #[test]
    fn basic_operations() {
        let mut d: Dict<u32> = Dict::new();
        for i in 0..1000u32 {
            assert!(d.insert(format!("k{i}").as_bytes(), i).is_none());
        }
        assert_eq!(d.len(), 1000);
        assert_eq!(d.get(b"k7"), Some(&7));
        assert_eq!(d.insert(b"k7", 70), Some(7));
        for i in 0..990u32 {
            assert!(d.remove(format!("k{i}").as_bytes()).is_some());
        }
        assert_eq!(d.len(), 10);
        assert!(d.bucket_count() <= 16);
        assert_eq!(d.iter().count(), 10);
    }

    #[test]
    fn scan_returns_every_stable_element_across_resizes() {
        let mut d: Dict<()> = Dict::new();
        for i in 0..500 {
            d.insert(format!("stable{i}").as_bytes(), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            round += 1;
            // Grow, then shrink the table while the scan is under way.
            if round == 3 {
                for i in 0..5000 {
                    d.insert(format!("tmp{i}").as_bytes(), ());
                }
            }
            if round == 200 {
                for i in 0..5000 {
                    d.remove(format!("tmp{i}").as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
            assert!(round < 100_000);
        }
        for i in 0..500 {
            assert!(
                seen.contains(format!("stable{i}").as_bytes()),
                "missed stable{i}"
            );
        }
    }

    #[test]
    fn random_entry_reaches_everything() {
        let mut d: Dict<u8> = Dict::new();
        for i in 0..10u8 {
            d.insert(&[i], i);
        }
        let mut rng = rand::thread_rng();
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            seen.insert(*d.random_entry(&mut rng).unwrap().1);
        }
        assert_eq!(seen.len(), 10);
    }

    #[test]
    fn a_clone_shares_segments_and_a_write_copies_only_its_own() {
        let mut d: Dict<u32> = Dict::new();
        for i in 0..100_000u32 {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        let segments = d.bucket_count() / SEGMENT;
        assert!(segments > 100);
        let snapshot = d.clone();
        assert_eq!(d.shared_segments(), segments);
        // A write of an existing key, an insert and a removal: at most three segments copied.
        *d.get_mut(b"k1").unwrap() = 1_000_001;
        d.insert(b"new", 7);
        assert_eq!(d.remove(b"k2"), Some(2));
        assert!(d.shared_segments() >= segments - 3);
        // Reads and misses copy nothing.
        assert!(d.get_mut(b"absent").is_none());
        assert!(d.remove(b"absent").is_none());
        assert!(d.shared_segments() >= segments - 3);
        // The clone still has the dataset of the moment it was taken.
        assert_eq!(snapshot.len(), 100_000);
        assert_eq!(snapshot.get(b"k1"), Some(&1));
        assert_eq!(snapshot.get(b"k2"), Some(&2));
        assert_eq!(snapshot.get(b"new"), None);
        assert_eq!(snapshot.iter().count(), 100_000);
        assert_eq!(d.get(b"k1"), Some(&1_000_001));
        assert_eq!(d.len(), 100_000);
        // A resize while shared copies the shared nodes and leaves the clone alone.
        for i in 100_000..300_000u32 {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        assert_eq!(d.shared_segments(), 0);
        assert_eq!(d.len(), 300_000);
        assert_eq!(d.get(b"k99999"), Some(&99_999));
        assert_eq!(snapshot.len(), 100_000);
        let mut seen: Vec<u32> = snapshot.iter().map(|(_, v)| *v).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..100_000).collect::<Vec<_>>());
        drop(snapshot);
        d.retain(|_, v| *v % 2 == 0);
        assert_eq!(d.len(), 149_999, "the even values but k2");
    }

    #[test]
    fn a_shared_table_does_not_resize_until_load_factor_five() {
        let mut d: Dict<u32> = Dict::new();
        for i in 0..(1u32 << 17) {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        assert_eq!(d.bucket_count(), 1 << 17, "at load factor 1");
        let snapshot = d.clone();
        // Growing now would copy every shared node: the table waits.
        d.insert(b"one more", 1);
        assert_eq!(d.bucket_count(), 1 << 17);
        assert!(d.shared_segments() >= (1 << 17) / SEGMENT - 1);
        assert_eq!(snapshot.get(b"one more"), None);
        drop(snapshot);
        // Once the clone is gone the next insert starts growing the table.
        d.insert(b"and another", 2);
        assert!(d.is_rehashing());
        assert_eq!(d.bucket_count(), (1 << 18) + (1 << 17), "both tables");
        assert_eq!(d.len(), (1 << 17) + 2);
    }

    /// Inserts `n` keys `k0`.. and returns the dict just as its last insert started a resize.
    fn growing(n: u32) -> Dict<u32> {
        let mut d: Dict<u32> = Dict::new();
        for i in 0..n {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        assert!(!d.is_rehashing(), "the previous resize is complete");
        d.insert(b"trigger", u32::MAX);
        assert!(d.is_rehashing());
        d
    }

    #[test]
    fn a_resize_moves_a_few_buckets_per_write_and_every_key_stays_reachable() {
        let mut d = growing(1 << 16);
        assert_eq!(d.bucket_count(), (1 << 17) + (1 << 16));
        let mut writes = 0u32;
        while d.is_rehashing() {
            // Every key is found, updated and removed wherever it is meanwhile.
            let i = writes % (1 << 16);
            assert_eq!(d.get(format!("k{i}").as_bytes()), Some(&i));
            *d.get_mut(format!("k{i}").as_bytes()).unwrap() = i;
            d.insert(format!("new{writes}").as_bytes(), writes);
            assert_eq!(d.remove(format!("new{writes}").as_bytes()), Some(writes));
            writes += 1;
            assert!(
                writes < 1 << 16,
                "a resize completes within a table's worth of writes"
            );
        }
        // Three writes a round move REHASH_STEP non-empty buckets each; about 63 % of the 2^16
        // buckets are non-empty at load factor 1.
        let most = 3 * REHASH_STEP as u32;
        assert!(
            writes > (1 << 16) / most / 2,
            "{writes} rounds: more than a few per write"
        );
        assert_eq!(d.bucket_count(), 1 << 17);
        assert_eq!(d.len(), (1 << 16) + 1);
        let mut values: Vec<u32> = d.iter().map(|(_, v)| *v).collect();
        values.sort_unstable();
        assert_eq!(values.len(), (1 << 16) + 1);
        assert_eq!(values[(1 << 16) - 1], (1 << 16) - 1);
    }

    #[test]
    fn a_shrink_is_incremental_too() {
        let mut d = growing(1 << 12);
        assert!(d.rehash_for(std::time::Duration::from_secs(10)));
        for i in 0..(1u32 << 12) - 10 {
            d.remove(format!("k{i}").as_bytes());
        }
        d.rehash_for(std::time::Duration::from_secs(10));
        assert!(!d.is_rehashing());
        assert!(d.bucket_count() <= 16, "{} buckets", d.bucket_count());
        assert_eq!(d.len(), 11);
        assert_eq!(d.get(b"k4095"), Some(&4095));
        assert_eq!(d.get(b"trigger"), Some(&u32::MAX));
    }

    #[test]
    fn a_resize_waits_while_a_clone_shares_the_old_table() {
        let mut d = growing(1 << 14);
        for i in 0..8 {
            d.insert(format!("more{i}").as_bytes(), i);
        }
        let snapshot = d.clone();
        let copied_before = (1 << 15) / SEGMENT + (1 << 14) / SEGMENT - d.shared_segments();
        // Writes to keys the old table holds copy a segment each, and move nothing else.
        for i in 0..100u32 {
            *d.get_mut(format!("k{i}").as_bytes()).unwrap() += 1;
        }
        assert!(d.is_rehashing());
        assert!(!d.rehash_for(std::time::Duration::from_millis(50)));
        let copied = (1 << 15) / SEGMENT + (1 << 14) / SEGMENT - d.shared_segments();
        assert!(copied - copied_before <= 100, "{copied} segments copied");
        assert_eq!(snapshot.get(b"k5"), Some(&5));
        assert_eq!(d.get(b"k5"), Some(&6));
        drop(snapshot);
        assert!(d.rehash_for(std::time::Duration::from_secs(10)));
        assert_eq!(d.len(), (1 << 14) + 9);
        assert_eq!(d.get(b"k5"), Some(&6));
        assert_eq!(d.get(b"more7"), Some(&7));
    }

    #[test]
    fn past_load_factor_five_a_resize_goes_on_by_copying_shared_segments() {
        let mut d = growing(1 << 10);
        let snapshot = d.clone();
        // The new table has 2^11 buckets: the resize waits until the dict holds 5 x 2^11.
        let mut i = 0u32;
        while d.is_rehashing() {
            d.insert(format!("x{i}").as_bytes(), i);
            i += 1;
            assert!(i <= 5 << 11, "the resize never went on");
        }
        assert!(
            i > (5 << 11) - (1 << 10) - 16,
            "it went on after {i} inserts only"
        );
        assert_eq!(snapshot.len(), (1 << 10) + 1);
        assert_eq!(snapshot.get(b"x0"), None);
        assert_eq!(d.get(b"k1023"), Some(&1023));
        assert_eq!(d.len(), (1 << 10) + 1 + i as usize);
    }

    #[test]
    fn scan_during_a_resize_returns_every_stable_element() {
        for shrink in [false, true] {
            let mut d = growing(1 << 12);
            if shrink {
                d.rehash_for(std::time::Duration::from_secs(10));
                for i in 2000..(1u32 << 12) {
                    d.remove(format!("k{i}").as_bytes());
                }
                while !d.is_rehashing() {
                    d.remove(b"trigger");
                    d.insert(b"trigger", 0);
                    for i in 1000..2000u32 {
                        d.remove(format!("k{i}").as_bytes());
                    }
                }
            }
            let stable: Vec<Vec<u8>> = d.keys().map(|k| k.to_vec()).collect();
            let mut seen = HashSet::new();
            let (mut cursor, mut rounds) = (0, 0u32);
            let mut saw_rehashing = false;
            loop {
                saw_rehashing |= d.is_rehashing();
                cursor = d.scan(cursor, |k, _| {
                    seen.insert(k.to_vec());
                });
                // Writes between calls move the resize along.
                d.insert(format!("tmp{rounds}").as_bytes(), 0);
                d.remove(format!("tmp{rounds}").as_bytes());
                rounds += 1;
                if cursor == 0 {
                    break;
                }
                assert!(rounds < 100_000);
            }
            assert!(saw_rehashing);
            for k in &stable {
                if !k.starts_with(b"tmp") {
                    assert!(seen.contains(k), "missed {:?}", String::from_utf8_lossy(k));
                }
            }
        }
    }

    /// Walks `d` to the end, `per_call` entries at a time, calling `between` after each call with
    /// the call's number; returns how often each key was visited and the tables the walk was in.
    fn walk_all(
        d: &mut Dict<u32>,
        per_call: usize,
        mut between: impl FnMut(&mut Dict<u32>, u32),
    ) -> (std::collections::HashMap<Vec<u8>, u32>, HashSet<u64>) {
        let mut visits = std::collections::HashMap::new();
        let mut tables = HashSet::new();
        let (mut pos, mut calls) = (Some(WalkPos::default()), 0u32);
        while let Some(p) = pos {
            pos = d.walk_some_mut(
                p,
                per_call,
                |_| {},
                |k, _| {
                    *visits.entry(k.to_vec()).or_insert(0) += 1;
                },
            );
            tables.extend(pos.map(|p| p.table));
            between(d, calls);
            calls += 1;
            assert!(calls < 100_000, "the walk ends");
        }
        (visits, tables)
    }

    #[test]
    fn a_walk_without_writes_visits_every_entry_once() {
        let mut d = growing(1 << 12);
        let keys: HashSet<Vec<u8>> = d.keys().map(|k| k.to_vec()).collect();
        let (visits, _) = walk_all(&mut d, 5, |_, _| {});
        assert_eq!(visits.len(), keys.len());
        assert!(visits.iter().all(|(k, &n)| n == 1 && keys.contains(k)));
    }

    #[test]
    fn a_walk_visits_every_stable_entry_through_grows_and_shrinks() {
        // The walk starts inside a resize; writes then grow the table twice more and, once most
        // keys are gone, shrink it. Keys present throughout must all be visited.
        let mut d = growing(1 << 12);
        let stable: Vec<Vec<u8>> = (0..1u32 << 12)
            .step_by(16)
            .map(|i| format!("k{i}").into_bytes())
            .collect();
        let (mut most_buckets, mut shrinking) = (0, false);
        // 40 writes a call: 300 calls of inserts, then removals of the other `k` keys and of
        // everything inserted.
        let added: Vec<Vec<u8>> = (0..12_000u32)
            .map(|i| format!("x{i}").into_bytes())
            .collect();
        let others = (0..1u32 << 12).filter(|i| i % 16 != 0);
        let mut doomed: Vec<Vec<u8>> = added.clone();
        doomed.extend(others.map(|i| format!("k{i}").into_bytes()));
        let mut to_add = added.chunks(40);
        let (visits, tables) = walk_all(&mut d, 7, |d, call| {
            most_buckets = most_buckets.max(d.bucket_count());
            // Once the inserts are over, a resize under way is a shrink.
            shrinking |= call > 300 && d.is_rehashing();
            match to_add.next() {
                Some(keys) => keys.iter().for_each(|k| d.insert_new(&k[..], 0)),
                None => doomed
                    .drain(doomed.len().saturating_sub(40)..)
                    .for_each(|k| {
                        d.remove(&k);
                    }),
            }
        });
        assert!(most_buckets >= 1 << 14, "the table grew during the walk");
        assert!(shrinking, "and shrank");
        assert!(
            tables.len() >= 4,
            "the walk went through {} tables",
            tables.len()
        );
        for k in &stable {
            assert!(
                visits.contains_key(k),
                "missed {}",
                String::from_utf8_lossy(k)
            );
        }
    }

    #[test]
    fn a_walk_whose_table_shrank_away_starts_over() {
        // Half way through, most keys go and the table shrinks to a fraction of the walk's
        // position: the walk must still reach the stable keys it had not visited.
        let mut d: Dict<u32> = Dict::new();
        for i in 0..1u32 << 13 {
            d.insert(format!("k{i}").as_bytes(), i);
        }
        d.rehash_for(std::time::Duration::from_secs(10));
        let (visits, _) = walk_all(&mut d, 5, |d, call| {
            if call == 800 {
                for i in (0..1u32 << 13).filter(|i| i % 64 != 0) {
                    d.remove(format!("k{i}").as_bytes());
                }
                d.rehash_for(std::time::Duration::from_secs(10));
                assert!(
                    d.bucket_count() <= 1 << 10,
                    "shrank to {}",
                    d.bucket_count()
                );
            }
        });
        for i in (0..1u32 << 13).step_by(64) {
            assert!(
                visits.contains_key(format!("k{i}").as_bytes()),
                "missed k{i}"
            );
        }
    }
}
