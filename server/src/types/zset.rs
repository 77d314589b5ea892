//! Sorted sets (ZSET): members ordered by (score, member bytes), with ranks, score/lex ranges,
//! and the range specs of the Z* commands (`ScoreRange`, `LexRange`).
//!
//! A set is in one of Redis's two encodings, switching at the same moments Redis does
//! (`zset-max-listpack-entries` / `-value`, see [`ZSet::insert`], [`ZSet::for_first_member`],
//! [`ZSet::convert_to_listpack_if_fits`]), because the encoding is visible: `OBJECT ENCODING`,
//! the RDB type, and two behaviours reproduced here:
//! * a listpack stores an integral score as an integer, so `-0` becomes `0` (ZSCORE answers `0`);
//!   a skiplist keeps `-0`;
//! * lex-range operations scan a listpack linearly from its head (which matters only for sets
//!   whose scores are not all equal, where Redis's answer depends on the encoding).
//!
//! # Listpack: one flat buffer
//!
//! Entries back to back in set order: score (8-byte `f64`), member length (LEB128), member bytes.
//! Every operation is a linear scan or a splice, like Redis's listpack, with a similar footprint
//! (128 members of 14 bytes: ~3.1 KB, Redis ~2.6 KB).
//!
//! # Skiplist: slots + member index + order tree
//!
//! Redis keeps a skiplist with spans plus a dict member → score. We keep the same two views,
//! denser (1M members of 14 bytes: ~63 bytes per element; Redis 7.0: ~109):
//!
//! * **Slots** — every member lives once, in a 32-byte slot: the member bytes (inline up to 22
//!   bytes, otherwise boxed) and the score. Slots sit in chunks of 1024, so a big set never holds
//!   a half-empty doubled vector. A member's slot id (`u32`) is stable while it is in the set;
//!   freed ids are reused and the slots are renumbered when most of them are holes.
//! * **Member index** — above 16 members, an open-addressing hash table (linear probing,
//!   backward-shift deletion, load ≤ 7/8) of 8-byte entries: 32 bits of the member's SipHash
//!   (random key per set) and the slot id. Member bytes are not duplicated. Smaller sets scan.
//!   It resizes incrementally, like Redis's dict: the old table stays readable while each write
//!   moves 64 of its places over.
//! * **Order tree** — an order-statistic B+tree. Leaves hold up to 128 `(score, id)` pairs in
//!   two parallel arrays (12 bytes per element), grown in exact steps; inner nodes hold up to 64
//!   children with, per child, its element count and its last `(score, id)`. Rank,
//!   element-at-rank, insert and delete are O(log n); a range deletion is O(log n + k). Every
//!   search is a *partition* of the ordered sequence by a monotone predicate evaluated on the
//!   last key of each child, so one descent serves "rank of (score, member)", "first score ≥
//!   min", "last member ≤ max"…
//!
//! # Sharing with a snapshot
//!
//! A clone shares every block: slot chunks, the index's segments of 4096 entries and the tree's
//! nodes sit behind `Arc`s, and a write copies only the blocks it changes (`Arc::make_mut`: one
//! slot chunk, one index segment, the tree nodes on one root-to-leaf path). A snapshot holding a
//! set of millions of members therefore costs a writer a few blocks, not the whole set.
//!
//! Ties in score are broken by comparing member bytes (`memcmp`, then length), as Redis does, and
//! scores compare with IEEE `<`/`==` (so `-0` and `0` are the same score). NaN never enters.
//! Slot ids are `u32`: a set holds at most 2^32 - 1 members.

use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Arc;

use super::float::{format_score, strtod_prefix};

/// `ZRANGEBYSCORE` & co. when a bound does not parse.
pub const ERR_MIN_MAX_NOT_FLOAT: &str = "ERR min or max is not a float";
/// `ZRANGEBYLEX` & co. when a bound does not parse.
pub const ERR_MIN_MAX_NOT_STRING_RANGE: &str = "ERR min or max not valid string range item";

const LEAF_MAX: usize = 128;
/// Sets up to this size find members by scanning; beyond, through the hash index.
const INDEX_MIN: usize = 16;
const LEAF_MIN: usize = 32;
const INNER_MAX: usize = 64;
const INNER_MIN: usize = 16;

// ------------------------------------------------------------------------------------------------
// Range specifications.

/// A score interval: `zrangespec`. `(x` makes a bound exclusive; `-inf`/`+inf` are plain values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub min_exclusive: bool,
    pub max_exclusive: bool,
}

impl ScoreRange {
    /// Parses `min` and `max` like `zslParseRange`: an optional `(` then a C `strtod` number
    /// that must end the argument (or be followed by a NUL byte); leading whitespace, hex,
    /// `inf`, out-of-range literals (`1e400` is inf) and even an empty number (`(` alone is
    /// exclusive 0) are accepted; NaN is not. Error: [`ERR_MIN_MAX_NOT_FLOAT`].
    pub fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, &'static str> {
        let (min, min_exclusive) = parse_score_bound(min).ok_or(ERR_MIN_MAX_NOT_FLOAT)?;
        let (max, max_exclusive) = parse_score_bound(max).ok_or(ERR_MIN_MAX_NOT_FLOAT)?;
        Ok(ScoreRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        })
    }

    /// Whether no score can be in the range: min > max, or min == max with an exclusive bound.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_exclusive || self.max_exclusive))
    }

    /// `zslValueGteMin`.
    pub fn gte_min(&self, score: f64) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    /// `zslValueLteMax`.
    pub fn lte_max(&self, score: f64) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }

    pub fn contains(&self, score: f64) -> bool {
        self.gte_min(score) && self.lte_max(score)
    }
}

fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let (text, exclusive) = match arg.first() {
        Some(b'(') => (&arg[1..], true),
        _ => (arg, false),
    };
    let r = strtod_prefix(text);
    // The C code checks `*endptr == '\0'` on a NUL-terminated copy.
    let at_end = match text.get(r.end) {
        None => true,
        Some(&b) => b == 0,
    };
    if !at_end || r.value.is_nan() {
        return None;
    }
    Some((r.value, exclusive))
}

/// One end of a lex range. Redis treats `-` and `+` as exclusive bounds beyond every string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    NegInf,
    /// `[x` (exclusive false) or `(x` (exclusive true).
    Member { value: Vec<u8>, exclusive: bool },
    /// `+`: above every member.
    PosInf,
}

impl LexBound {
    /// `zslParseLexRangeItem`.
    pub fn parse(arg: &[u8]) -> Option<LexBound> {
        match arg.first()? {
            b'+' if arg.len() == 1 => Some(LexBound::PosInf),
            b'-' if arg.len() == 1 => Some(LexBound::NegInf),
            b'(' => Some(LexBound::Member {
                value: arg[1..].to_vec(),
                exclusive: true,
            }),
            b'[' => Some(LexBound::Member {
                value: arg[1..].to_vec(),
                exclusive: false,
            }),
            _ => None,
        }
    }

    fn exclusive(&self) -> bool {
        match self {
            LexBound::Member { exclusive, .. } => *exclusive,
            _ => true,
        }
    }

    /// `sdscmplex(member, bound)`.
    fn cmp_member(&self, member: &[u8]) -> Ordering {
        match self {
            LexBound::NegInf => Ordering::Greater,
            LexBound::PosInf => Ordering::Less,
            LexBound::Member { value, .. } => member.cmp(value),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            LexBound::NegInf => 0,
            LexBound::Member { .. } => 1,
            LexBound::PosInf => 2,
        }
    }

    /// `sdscmplex(self, other)` between two bounds.
    fn cmp_bound(&self, other: &LexBound) -> Ordering {
        match (self, other) {
            (LexBound::Member { value: a, .. }, LexBound::Member { value: b, .. }) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// A lexicographic interval: `zlexrangespec`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    /// Parses like `zslParseLexRange`: each bound is `-`, `+`, `[member` or `(member`.
    /// Error: [`ERR_MIN_MAX_NOT_STRING_RANGE`].
    pub fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, &'static str> {
        let min = LexBound::parse(min).ok_or(ERR_MIN_MAX_NOT_STRING_RANGE)?;
        let max = LexBound::parse(max).ok_or(ERR_MIN_MAX_NOT_STRING_RANGE)?;
        Ok(LexRange { min, max })
    }

    /// Whether the range can hold nothing: min after max, or equal with an exclusive end.
    pub fn is_empty(&self) -> bool {
        match self.min.cmp_bound(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.min.exclusive() || self.max.exclusive(),
            Ordering::Less => false,
        }
    }

    /// `zslLexValueGteMin`.
    pub fn gte_min(&self, member: &[u8]) -> bool {
        let c = self.min.cmp_member(member);
        if self.min.exclusive() {
            c == Ordering::Greater
        } else {
            c != Ordering::Less
        }
    }

    /// `zslLexValueLteMax`.
    pub fn lte_max(&self, member: &[u8]) -> bool {
        let c = self.max.cmp_member(member);
        if self.max.exclusive() {
            c == Ordering::Less
        } else {
            c != Ordering::Greater
        }
    }
}

/// Turns Redis's signed, inclusive `start`/`stop` ranks (negative counts from the end) into
/// an inclusive ascending `(start, end)`, or `None` when the range is empty (ZRANGE,
/// ZREMRANGEBYRANK).
pub fn normalize_rank_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    };
    let mut stop = if stop < 0 {
        len.saturating_add(stop)
    } else {
        stop
    };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= len {
        return None;
    }
    if stop >= len {
        stop = len - 1;
    }
    Some((start as usize, stop as usize))
}

// ------------------------------------------------------------------------------------------------
// Member storage.

const INLINE_MAX: usize = 22;

/// Member bytes, inline up to 22 bytes (the enum is 24 bytes either way).
#[derive(Clone)]
enum Member {
    Inline { len: u8, bytes: [u8; INLINE_MAX] },
    Heap(Box<[u8]>),
}

impl Member {
    fn new(b: &[u8]) -> Member {
        if b.len() <= INLINE_MAX {
            let mut bytes = [0u8; INLINE_MAX];
            bytes[..b.len()].copy_from_slice(b);
            Member::Inline {
                len: b.len() as u8,
                bytes,
            }
        } else {
            Member::Heap(b.into())
        }
    }

    fn empty() -> Member {
        Member::Inline {
            len: 0,
            bytes: [0; INLINE_MAX],
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Inline { len, bytes } => &bytes[..*len as usize],
            Member::Heap(b) => b,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Member::Inline { .. } => 0,
            Member::Heap(b) => b.len(),
        }
    }
}

#[derive(Clone)]
struct Slot {
    member: Member,
    /// NaN marks a free slot (a member's score is never NaN).
    score: f64,
}

const SLOT_CHUNK_SHIFT: u32 = 10;
const SLOT_CHUNK: usize = 1 << SLOT_CHUNK_SHIFT;

/// The slots, in chunks of 1024 so that a big set never holds a half-empty doubled vector (the
/// first chunk grows like a `Vec`, so small sets stay small). Freed ids are reused.
#[derive(Clone, Default)]
struct Slots {
    /// Behind `Arc`s: a clone shares them, a write copies the chunk it changes.
    chunks: Vec<Arc<Vec<Slot>>>,
    /// Ids handed out so far (live + free).
    used: usize,
    free: Vec<u32>,
}

impl std::ops::Index<u32> for Slots {
    type Output = Slot;
    fn index(&self, id: u32) -> &Slot {
        &self.chunks[(id >> SLOT_CHUNK_SHIFT) as usize][id as usize & (SLOT_CHUNK - 1)]
    }
}

impl std::ops::IndexMut<u32> for Slots {
    fn index_mut(&mut self, id: u32) -> &mut Slot {
        &mut Arc::make_mut(&mut self.chunks[(id >> SLOT_CHUNK_SHIFT) as usize])
            [id as usize & (SLOT_CHUNK - 1)]
    }
}

impl Slots {
    fn live(&self) -> usize {
        self.used - self.free.len()
    }

    fn alloc(&mut self, slot: Slot) -> u32 {
        if let Some(id) = self.free.pop() {
            self[id] = slot;
            return id;
        }
        let id = self.used as u32;
        if self.used.is_multiple_of(SLOT_CHUNK) && self.used / SLOT_CHUNK == self.chunks.len() {
            let cap = if self.chunks.is_empty() {
                1
            } else {
                SLOT_CHUNK
            };
            self.chunks.push(Arc::new(Vec::with_capacity(cap)));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            Arc::make_mut(chunk).push(slot);
        }
        self.used += 1;
        id
    }

    /// Frees a slot, returning its member.
    fn release(&mut self, id: u32) -> Member {
        let slot = &mut self[id];
        slot.score = f64::NAN;
        let member = std::mem::replace(&mut slot.member, Member::empty());
        self.free.push(id);
        member
    }

    /// Live `(id, slot)` pairs.
    fn iter_live(&self) -> impl Iterator<Item = (u32, &Slot)> {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .enumerate()
            .filter(|(_, s)| !s.score.is_nan())
            .map(|(i, s)| (i as u32, s))
    }

    fn heap_size(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Arc<Vec<Slot>>>()
            + self
                .chunks
                .iter()
                .map(|c| c.capacity() * std::mem::size_of::<Slot>())
                .sum::<usize>()
            + self
                .chunks
                .iter()
                .flat_map(|c| c.iter())
                .map(|s| s.member.heap_bytes())
                .sum::<usize>()
            + self.free.capacity() * 4
    }
}

// ------------------------------------------------------------------------------------------------
// Member index: member bytes → slot id.

/// The index's open-addressing table, in segments of `PROBE_SEGMENT` entries behind `Arc`s: a
/// clone (a snapshot) shares them, and a write copies only the segment it changes.
#[derive(Clone, Default)]
struct Probes {
    segments: Vec<Arc<Vec<u64>>>,
    len: usize,
}

const PROBE_SEGMENT_SHIFT: u32 = 12;
const PROBE_SEGMENT: usize = 1 << PROBE_SEGMENT_SHIFT;

impl Probes {
    /// `len` zeroed entries (a power of two). Every segment starts as the same shared zeroed
    /// block, so a big table costs nothing up front: a segment is copied out on its first write.
    fn zeroed(len: usize) -> Probes {
        let zero = Arc::new(vec![0u64; len.min(PROBE_SEGMENT)]);
        Probes {
            segments: vec![zero; len.div_ceil(PROBE_SEGMENT)],
            len,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn mask(&self) -> usize {
        self.len.wrapping_sub(1)
    }

    fn set(&mut self, i: usize, e: u64) {
        Arc::make_mut(&mut self.segments[i >> PROBE_SEGMENT_SHIFT])[i & (PROBE_SEGMENT - 1)] = e;
    }

    /// Puts an entry at the first free place of its probe sequence.
    fn place(&mut self, e: u64) {
        let mask = self.mask();
        let mut i = (e >> 32) as usize & mask;
        while self[i] != 0 {
            i = (i + 1) & mask;
        }
        self.set(i, e);
    }
}

impl std::ops::Index<usize> for Probes {
    type Output = u64;
    fn index(&self, i: usize) -> &u64 {
        &self.segments[i >> PROBE_SEGMENT_SHIFT][i & (PROBE_SEGMENT - 1)]
    }
}

/// The previous table while a resize moves its entries over, [`MIGRATE_STEP`] places per write.
/// It is only read (its probe sequences stay intact), except that a member removed from it is
/// overwritten with [`TOMBSTONE`]. Entries below `next` are moved: they count as absent.
#[derive(Clone)]
struct Migration {
    from: Probes,
    next: usize,
}

/// A removed entry of a table being moved from (never a real entry: ids stay below `u32::MAX - 1`).
const TOMBSTONE: u64 = u64::MAX;
/// Places of the old table each index write moves while a resize is under way. The table
/// doubles at load 7/8, so the move ends long before the new table fills.
const MIGRATE_STEP: usize = 64;

#[derive(Clone)]
struct MemberIndex {
    /// 0 = empty, else `hash32 << 32 | (id + 1)`.
    table: Probes,
    /// A resize under way, as in Redis's incremental rehash: a big set never rebuilds its index
    /// at once (2M members took 49 ms), and a snapshot's copy of the old table is only read.
    migration: Option<Box<Migration>>,
    /// Members in both tables.
    len: usize,
    hasher: RandomState,
}

impl MemberIndex {
    fn new() -> MemberIndex {
        MemberIndex {
            table: Probes::default(),
            migration: None,
            len: 0,
            hasher: RandomState::new(),
        }
    }

    fn hash(&self, member: &[u8]) -> u32 {
        let h = self.hasher.hash_one(member);
        (h ^ (h >> 32)) as u32
    }

    /// The place in `table` of the entry with hash `h` that `found` accepts (given its id),
    /// looking past places below `skip_below` (moved places of an old table: their ids may have
    /// been freed or reused, and `found` need not read their slots).
    fn probe(
        table: &Probes,
        h: u32,
        skip_below: usize,
        mut found: impl FnMut(u32) -> bool,
    ) -> Option<usize> {
        let mask = table.mask();
        let mut i = h as usize & mask;
        loop {
            let e = table[i];
            if e == 0 {
                return None;
            }
            if e != TOMBSTONE && (e >> 32) as u32 == h && i >= skip_below && found(e as u32 - 1) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    fn find(&self, member: &[u8], slots: &Slots) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let h = self.hash(member);
        let is_member = |id: u32| slots[id].member.as_bytes() == member;
        if let Some(i) = Self::probe(&self.table, h, 0, is_member) {
            return Some(self.table[i] as u32 - 1);
        }
        let m = self.migration.as_ref()?;
        Self::probe(&m.from, h, m.next, is_member).map(|i| m.from[i] as u32 - 1)
    }

    /// Starts moving the entries to a table of `cap` places.
    fn resize(&mut self, cap: usize) {
        self.migrate(usize::MAX);
        let from = std::mem::replace(&mut self.table, Probes::zeroed(cap));
        if self.len > 0 {
            self.migration = Some(Box::new(Migration { from, next: 0 }));
        }
    }

    /// Moves up to `count` places of a resize under way.
    fn migrate(&mut self, count: usize) {
        let Some(m) = self.migration.as_mut() else {
            return;
        };
        let end = m.next.saturating_add(count).min(m.from.len());
        for i in m.next..end {
            let e = m.from[i];
            if e != 0 && e != TOMBSTONE {
                self.table.place(e);
            }
        }
        m.next = end;
        if end == m.from.len() {
            self.migration = None;
        }
    }

    /// Adds an id whose member is not in the index yet.
    fn insert(&mut self, member: &[u8], id: u32) {
        if (self.len + 1) * 8 > self.table.len() * 7 {
            let cap = (self.table.len() * 2).max(8);
            self.resize(cap);
        }
        self.migrate(MIGRATE_STEP);
        self.table
            .place((u64::from(self.hash(member)) << 32) | u64::from(id + 1));
        self.len += 1;
    }

    /// Removes the entry for `id` (whose member is `member`).
    fn remove(&mut self, member: &[u8], id: u32) {
        if self.len == 0 {
            return;
        }
        self.migrate(MIGRATE_STEP);
        let h = self.hash(member);
        let is_id = |e: u32| e == id;
        if let Some(i) = Self::probe(&self.table, h, 0, is_id) {
            self.backward_shift(i);
        } else if let Some(m) = self.migration.as_mut() {
            let Some(i) = Self::probe(&m.from, h, m.next, is_id) else {
                return;
            };
            m.from.set(i, TOMBSTONE);
        } else {
            return;
        }
        self.len -= 1;
        if self.migration.is_none() && self.table.len() > 16 && self.len * 8 < self.table.len() {
            let cap = (self.len * 2).next_power_of_two().max(8);
            self.resize(cap);
        }
    }

    /// Empties place `i` of the current table; backward-shift deletion keeps every probe
    /// sequence unbroken.
    fn backward_shift(&mut self, i: usize) {
        let mask = self.table.mask();
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let e = self.table[j];
            if e == 0 {
                break;
            }
            let home = (e >> 32) as usize & mask;
            // Move e into the hole unless its home lies cyclically in (hole, j].
            let dist_home = j.wrapping_sub(home) & mask;
            let dist_hole = j.wrapping_sub(hole) & mask;
            if dist_home >= dist_hole {
                self.table.set(hole, e);
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.table.set(hole, 0);
    }

    fn clear(&mut self) {
        self.table = Probes::default();
        self.migration = None;
        self.len = 0;
    }

    fn active(&self) -> bool {
        !self.table.is_empty()
    }

    /// Places in both tables (for memory estimates).
    fn places(&self) -> usize {
        self.table.len() + self.migration.as_ref().map_or(0, |m| m.from.len())
    }

    /// (Re)builds the index over every live slot.
    fn build(&mut self, slots: &Slots) {
        self.clear();
        let want = (slots.live() * 8 / 7 + 1).next_power_of_two().max(8);
        self.table = Probes::zeroed(want);
        for (id, slot) in slots.iter_live() {
            self.insert(slot.member.as_bytes(), id);
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Order tree.

#[derive(Clone)]
struct Leaf {
    scores: Vec<f64>,
    ids: Vec<u32>,
}

#[derive(Clone)]
struct Inner {
    children: Vec<Node>,
    counts: Vec<usize>,
    last_scores: Vec<f64>,
    last_ids: Vec<u32>,
    total: usize,
}

#[derive(Clone)]
enum Node {
    Leaf(Arc<Leaf>),
    Inner(Arc<Inner>),
}

impl Node {
    fn empty_leaf() -> Node {
        Node::Leaf(Arc::new(Leaf {
            scores: Vec::new(),
            ids: Vec::new(),
        }))
    }

    fn count(&self) -> usize {
        match self {
            Node::Leaf(l) => l.ids.len(),
            Node::Inner(n) => n.total,
        }
    }

    /// Entries (leaf) or children (inner): what the fill limits apply to.
    fn width(&self) -> usize {
        match self {
            Node::Leaf(l) => l.ids.len(),
            Node::Inner(n) => n.children.len(),
        }
    }

    fn underfull(&self) -> bool {
        match self {
            Node::Leaf(l) => l.ids.len() < LEAF_MIN,
            Node::Inner(n) => n.children.len() < INNER_MIN,
        }
    }

    fn max_width(&self) -> usize {
        match self {
            Node::Leaf(_) => LEAF_MAX,
            Node::Inner(_) => INNER_MAX,
        }
    }

    /// The last (largest) key; the node is not empty.
    fn last_key(&self) -> (f64, u32) {
        match self {
            Node::Leaf(l) => (l.scores[l.scores.len() - 1], l.ids[l.ids.len() - 1]),
            Node::Inner(n) => (
                n.last_scores[n.last_scores.len() - 1],
                n.last_ids[n.last_ids.len() - 1],
            ),
        }
    }

    fn collect_ids(&self, out: &mut Vec<u32>) {
        match self {
            Node::Leaf(l) => out.extend_from_slice(&l.ids),
            Node::Inner(n) => n.children.iter().for_each(|c| c.collect_ids(out)),
        }
    }

    fn for_each_id_mut(&mut self, f: &mut impl FnMut(&mut u32)) {
        match self {
            Node::Leaf(l) => Arc::make_mut(l).ids.iter_mut().for_each(&mut *f),
            Node::Inner(n) => {
                let n = Arc::make_mut(n);
                n.last_ids.iter_mut().for_each(&mut *f);
                n.children.iter_mut().for_each(|c| c.for_each_id_mut(f));
            }
        }
    }

    /// Splits off the upper half into a new sibling.
    fn split(&mut self) -> Node {
        match self {
            Node::Leaf(l) => {
                let l = Arc::make_mut(l);
                let at = l.ids.len() / 2;
                let scores = l.scores.split_off(at);
                let ids = l.ids.split_off(at);
                l.scores.shrink_to(at + 16);
                l.ids.shrink_to(at + 16);
                Node::Leaf(Arc::new(Leaf { scores, ids }))
            }
            Node::Inner(n) => {
                let n = Arc::make_mut(n);
                let at = n.children.len() / 2;
                let children = n.children.split_off(at);
                let counts = n.counts.split_off(at);
                let last_scores = n.last_scores.split_off(at);
                let last_ids = n.last_ids.split_off(at);
                let total: usize = counts.iter().sum();
                n.total -= total;
                Node::Inner(Arc::new(Inner {
                    children,
                    counts,
                    last_scores,
                    last_ids,
                    total,
                }))
            }
        }
    }

    /// Appends `other` (same height, all keys greater) to `self`.
    fn append(&mut self, other: Node) {
        match (self, other) {
            (Node::Leaf(a), Node::Leaf(b)) => {
                let a = Arc::make_mut(a);
                let b = Arc::unwrap_or_clone(b);
                a.scores.extend(b.scores);
                a.ids.extend(b.ids);
            }
            (Node::Inner(a), Node::Inner(b)) => {
                let a = Arc::make_mut(a);
                let b = Arc::unwrap_or_clone(b);
                let junction = a.children.len();
                a.children.extend(b.children);
                a.counts.extend(b.counts);
                a.last_scores.extend(b.last_scores);
                a.last_ids.extend(b.last_ids);
                a.total += b.total;
                // The two children meeting at the junction may both be thin.
                if junction > 0 && junction < a.children.len() {
                    a.fix_child(junction);
                    if junction - 1 < a.children.len() {
                        a.fix_child(junction - 1);
                    }
                }
            }
            // Siblings always have the same height; nothing to do otherwise.
            _ => {}
        }
    }
}

impl Inner {
    fn refresh(&mut self, i: usize) {
        let c = self.children[i].count();
        self.total = self.total - self.counts[i] + c;
        self.counts[i] = c;
        let (s, id) = self.children[i].last_key();
        self.last_scores[i] = s;
        self.last_ids[i] = id;
    }

    fn insert_child(&mut self, at: usize, child: Node) {
        let (s, id) = child.last_key();
        self.total += child.count();
        self.counts.insert(at, child.count());
        self.last_scores.insert(at, s);
        self.last_ids.insert(at, id);
        self.children.insert(at, child);
    }

    fn remove_child(&mut self, at: usize) -> Node {
        self.total -= self.counts.remove(at);
        self.last_scores.remove(at);
        self.last_ids.remove(at);
        self.children.remove(at)
    }

    /// Merges an underfull child with a neighbour, re-splitting evenly when the pair is too big.
    fn fix_child(&mut self, i: usize) {
        if i >= self.children.len() || !self.children[i].underfull() || self.children.len() < 2 {
            return;
        }
        let left = if i + 1 < self.children.len() {
            i
        } else {
            i - 1
        };
        let right = self.remove_child(left + 1);
        self.children[left].append(right);
        if self.children[left].width() > self.children[left].max_width() {
            let upper = self.children[left].split();
            self.refresh(left);
            self.insert_child(left + 1, upper);
        } else {
            self.refresh(left);
        }
    }
}

/// Number of leading entries of a leaf satisfying a prefix predicate.
fn leaf_partition(l: &Leaf, pred: &impl Fn(f64, u32) -> bool) -> usize {
    let (mut lo, mut hi) = (0, l.ids.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(l.scores[mid], l.ids[mid]) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// First child whose last key does not satisfy the prefix predicate (`children.len()` if none).
fn inner_partition(n: &Inner, pred: &impl Fn(f64, u32) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n.children.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(n.last_scores[mid], n.last_ids[mid]) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Inserts `(score, id)` before the first entry not satisfying `before`; returns a new right
/// sibling when the node had to split.
fn insert_rec(
    node: &mut Node,
    before: &impl Fn(f64, u32) -> bool,
    score: f64,
    id: u32,
) -> Option<Node> {
    match node {
        Node::Leaf(l) => {
            let l = Arc::make_mut(l);
            let at = leaf_partition(l, before);
            if l.ids.len() == l.ids.capacity() {
                // Grow in small exact steps: leaves are many, doubling would waste a third.
                let extra = l.ids.capacity().clamp(1, 16);
                l.ids.reserve_exact(extra);
                l.scores.reserve_exact(extra);
            }
            l.scores.insert(at, score);
            l.ids.insert(at, id);
        }
        Node::Inner(n) => {
            let n = Arc::make_mut(n);
            let i = inner_partition(n, before).min(n.children.len() - 1);
            if let Some(sibling) = insert_rec(&mut n.children[i], before, score, id) {
                n.refresh(i);
                n.insert_child(i + 1, sibling);
            } else {
                n.refresh(i);
            }
        }
    }
    if node.width() > node.max_width() {
        Some(node.split())
    } else {
        None
    }
}

/// Removes the entries of local ranks `lo..hi` from a non-empty subtree, pushing their ids.
fn remove_range_rec(node: &mut Node, lo: usize, hi: usize, out: &mut Vec<u32>) {
    match node {
        Node::Leaf(l) => {
            let l = Arc::make_mut(l);
            out.extend(l.ids.drain(lo..hi));
            l.scores.drain(lo..hi);
        }
        Node::Inner(n) => {
            let n = Arc::make_mut(n);
            let mut start = 0;
            let mut i = 0;
            let mut touched = Vec::new();
            while i < n.children.len() && start < hi {
                let c = n.counts[i];
                let end = start + c;
                if end <= lo {
                    start = end;
                    i += 1;
                    continue;
                }
                if lo <= start && end <= hi {
                    n.remove_child(i).collect_ids(out);
                    start = end;
                    continue;
                }
                let from = lo.max(start) - start;
                let to = hi.min(end) - start;
                remove_range_rec(&mut n.children[i], from, to, out);
                n.refresh(i);
                touched.push(i);
                start = end;
                i += 1;
            }
            // At most two partially cut children, now adjacent; fix the right one first so
            // the left index stays valid.
            for &t in touched.iter().rev() {
                n.fix_child(t);
            }
        }
    }
}

/// Iterator over `(member, score)` from a rank, forwards or backwards.
/// An element seen by a search predicate: its score, and its member fetched only when asked
/// (in the tree the member lives in a slot elsewhere in memory).
#[derive(Clone, Copy)]
struct KeyRef<'a> {
    score: f64,
    member: MemberRef<'a>,
}

#[derive(Clone, Copy)]
enum MemberRef<'a> {
    Slot(&'a Slots, u32),
    Bytes(&'a [u8]),
}

impl<'a> KeyRef<'a> {
    fn member(&self) -> &'a [u8] {
        match self.member {
            MemberRef::Slot(slots, id) => slots[id].member.as_bytes(),
            MemberRef::Bytes(b) => b,
        }
    }

    /// This element against `(score, member)` in set order: scores by IEEE comparison
    /// (`-0 == 0`), ties by member bytes.
    fn cmp_key(&self, score: f64, member: &[u8]) -> Ordering {
        match self.score.partial_cmp(&score) {
            Some(Ordering::Equal) | None => self.member().cmp(member),
            Some(o) => o,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The skiplist encoding: slots + member index + order tree.

#[derive(Clone)]
struct Tree {
    slots: Slots,
    /// Built once the set has more than `INDEX_MIN` members; smaller sets are scanned.
    index: MemberIndex,
    root: Node,
}

impl Tree {
    fn new() -> Tree {
        Tree {
            slots: Slots::default(),
            index: MemberIndex::new(),
            root: Node::empty_leaf(),
        }
    }

    fn len(&self) -> usize {
        self.slots.live()
    }

    fn find_id(&self, member: &[u8]) -> Option<u32> {
        if self.index.active() {
            self.index.find(member, &self.slots)
        } else {
            self.slots
                .iter_live()
                .find(|(_, s)| s.member.as_bytes() == member)
                .map(|(id, _)| id)
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        self.find_id(member).map(|id| self.slots[id].score)
    }

    /// Number of elements, in order, for which a prefix-closed predicate holds.
    fn partition(&self, pred: impl Fn(KeyRef<'_>) -> bool) -> usize {
        let slots = &self.slots;
        let pred = |score: f64, id: u32| {
            pred(KeyRef {
                score,
                member: MemberRef::Slot(slots, id),
            })
        };
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            match node {
                Node::Leaf(l) => return rank + leaf_partition(l, &pred),
                Node::Inner(n) => {
                    let i = inner_partition(n, &pred);
                    rank += n.counts[..i].iter().sum::<usize>();
                    if i == n.children.len() {
                        return rank;
                    }
                    node = &n.children[i];
                }
            }
        }
    }

    fn rank_of(&self, score: f64, member: &[u8]) -> usize {
        self.partition(|k| k.cmp_key(score, member) == Ordering::Less)
    }

    fn get(&self, mut rank: usize) -> Option<(&[u8], f64)> {
        if rank >= self.len() {
            return None;
        }
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(l) => {
                    let id = *l.ids.get(rank)?;
                    return Some((self.slots[id].member.as_bytes(), *l.scores.get(rank)?));
                }
                Node::Inner(n) => {
                    let mut i = 0;
                    while i + 1 < n.children.len() && rank >= n.counts[i] {
                        rank -= n.counts[i];
                        i += 1;
                    }
                    node = &n.children[i];
                }
            }
        }
    }

    fn tree_insert(&mut self, score: f64, id: u32) {
        let mut root = std::mem::replace(&mut self.root, Node::empty_leaf());
        let slots = &self.slots;
        let member = slots[id].member.as_bytes();
        let before = |s: f64, i: u32| {
            KeyRef {
                score: s,
                member: MemberRef::Slot(slots, i),
            }
            .cmp_key(score, member)
                == Ordering::Less
        };
        if let Some(sibling) = insert_rec(&mut root, &before, score, id) {
            let mut inner = Inner {
                children: Vec::with_capacity(4),
                counts: Vec::with_capacity(4),
                last_scores: Vec::with_capacity(4),
                last_ids: Vec::with_capacity(4),
                total: 0,
            };
            inner.insert_child(0, root);
            inner.insert_child(1, sibling);
            root = Node::Inner(Arc::new(inner));
        }
        self.root = root;
    }

    /// Adds a member known to be absent.
    fn add(&mut self, member: &[u8], score: f64) {
        let id = self.slots.alloc(Slot {
            member: Member::new(member),
            score,
        });
        if self.index.active() {
            self.index.insert(member, id);
        } else if self.len() > INDEX_MIN {
            self.index.build(&self.slots);
        }
        self.tree_insert(score, id);
    }

    /// Moves a present member from `old` to `new` score.
    fn rescore(&mut self, member: &[u8], old: f64, new: f64) {
        let Some(id) = self.find_id(member) else {
            return;
        };
        let rank = self.rank_of(old, member);
        let mut removed = Vec::with_capacity(1);
        remove_range_rec(&mut self.root, rank, rank + 1, &mut removed);
        self.shrink_root();
        self.slots[id].score = new;
        self.tree_insert(new, id);
    }

    fn shrink_root(&mut self) {
        loop {
            match &mut self.root {
                Node::Inner(n) if n.children.len() == 1 => {
                    let child = n.children[0].clone();
                    self.root = child;
                }
                Node::Inner(n) if n.children.is_empty() => self.root = Node::empty_leaf(),
                _ => return,
            }
        }
    }

    /// Removes ranks `lo..hi` (`lo < hi <= len`) and frees their slots and index entries.
    fn remove_ranks(&mut self, lo: usize, hi: usize) {
        if lo == 0 && hi == self.len() {
            *self = Tree::new();
            return;
        }
        let mut removed = Vec::with_capacity(hi - lo);
        remove_range_rec(&mut self.root, lo, hi, &mut removed);
        self.shrink_root();
        for &id in &removed {
            let member = self.slots.release(id);
            if self.index.active() {
                self.index.remove(member.as_bytes(), id);
            }
        }
        if self.index.active() && self.len() <= INDEX_MIN / 2 {
            self.index.clear();
        }
        self.maybe_compact();
    }

    /// Renumbers slots when most of them are holes.
    fn maybe_compact(&mut self) {
        if self.slots.used < 64 || self.slots.free.len() * 2 < self.slots.used {
            return;
        }
        let mut remap = vec![u32::MAX; self.slots.used];
        let old = std::mem::take(&mut self.slots);
        for (old_id, slot) in old
            .chunks
            .into_iter()
            .flat_map(Arc::unwrap_or_clone)
            .enumerate()
        {
            if !slot.score.is_nan() {
                remap[old_id] = self.slots.alloc(slot);
            }
        }
        self.root
            .for_each_id_mut(&mut |id| *id = remap[*id as usize]);
        if self.index.active() {
            self.index.build(&self.slots);
        }
    }

    fn iter_from(&self, rank: usize, reverse: bool) -> TreeIter<'_> {
        let remaining = match (rank < self.len(), reverse) {
            (false, _) => 0,
            (true, false) => self.len() - rank,
            (true, true) => rank + 1,
        };
        let mut it = TreeIter {
            slots: &self.slots,
            stack: Vec::new(),
            leaf: None,
            pos: 0,
            remaining,
            reverse,
        };
        if remaining == 0 {
            return it;
        }
        let mut node = &self.root;
        let mut r = rank;
        loop {
            match node {
                Node::Leaf(l) => {
                    it.leaf = Some(l);
                    it.pos = r;
                    return it;
                }
                Node::Inner(n) => {
                    let mut i = 0;
                    while i + 1 < n.children.len() && r >= n.counts[i] {
                        r -= n.counts[i];
                        i += 1;
                    }
                    it.stack.push((n, i));
                    node = &n.children[i];
                }
            }
        }
    }

    fn heap_size(&self) -> usize {
        fn tree(n: &Node) -> usize {
            match n {
                Node::Leaf(l) => {
                    std::mem::size_of::<Leaf>() + l.scores.capacity() * 8 + l.ids.capacity() * 4
                }
                Node::Inner(i) => {
                    std::mem::size_of::<Inner>()
                        + i.children.capacity() * std::mem::size_of::<Node>()
                        + i.counts.capacity() * 8
                        + i.last_scores.capacity() * 8
                        + i.last_ids.capacity() * 4
                        + i.children.iter().map(tree).sum::<usize>()
                }
            }
        }
        self.slots.heap_size() + self.index.places() * 8 + tree(&self.root)
    }
}

/// Walks the tree's leaves from a rank, forwards or backwards.
struct TreeIter<'a> {
    slots: &'a Slots,
    stack: Vec<(&'a Inner, usize)>,
    leaf: Option<&'a Leaf>,
    pos: usize,
    remaining: usize,
    reverse: bool,
}

impl<'a> TreeIter<'a> {
    fn descend(&mut self, mut node: &'a Node, rightmost: bool) {
        loop {
            match node {
                Node::Leaf(l) => {
                    self.leaf = Some(l);
                    self.pos = if rightmost {
                        l.ids.len().saturating_sub(1)
                    } else {
                        0
                    };
                    return;
                }
                Node::Inner(n) => {
                    let i = if rightmost { n.children.len() - 1 } else { 0 };
                    self.stack.push((n, i));
                    node = &n.children[i];
                }
            }
        }
    }

    fn advance(&mut self) {
        let Some(leaf) = self.leaf else { return };
        if !self.reverse && self.pos + 1 < leaf.ids.len() {
            self.pos += 1;
            return;
        }
        if self.reverse && self.pos > 0 {
            self.pos -= 1;
            return;
        }
        // Move to the neighbouring leaf.
        while let Some((n, i)) = self.stack.pop() {
            let next = if self.reverse {
                i.checked_sub(1)
            } else {
                Some(i + 1).filter(|&j| j < n.children.len())
            };
            if let Some(j) = next {
                self.stack.push((n, j));
                self.descend(&n.children[j], self.reverse);
                return;
            }
        }
        self.leaf = None;
    }

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        if self.remaining == 0 {
            return None;
        }
        let leaf = self.leaf?;
        let item = (
            self.slots[leaf.ids[self.pos]].member.as_bytes(),
            leaf.scores[self.pos],
        );
        self.remaining -= 1;
        if self.remaining > 0 {
            self.advance();
        }
        Some(item)
    }
}

// ------------------------------------------------------------------------------------------------
// The listpack encoding: one flat buffer.

/// Entries back to back in one buffer, in set order: score (8 bytes, little-endian `f64`),
/// member length (LEB128), member bytes. Every operation is a linear scan, as on Redis's listpack
/// (which this stands in for, with a similar footprint).
#[derive(Clone, Default)]
struct Packed {
    buf: Vec<u8>,
    len: usize,
}

impl Packed {
    /// The entry at byte offset `off`: `(score, member, offset of the next entry)`.
    fn entry(&self, off: usize) -> (f64, &[u8], usize) {
        let mut score = [0u8; 8];
        score.copy_from_slice(&self.buf[off..off + 8]);
        let mut p = off + 8;
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let b = self.buf[p];
            p += 1;
            n |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        (f64::from_le_bytes(score), &self.buf[p..p + n], p + n)
    }

    /// `(byte offset, score, member)` of every entry, in order.
    fn entries(&self) -> impl Iterator<Item = (usize, f64, &[u8])> + '_ {
        let mut off = 0;
        std::iter::from_fn(move || {
            if off >= self.buf.len() {
                return None;
            }
            let (score, member, next) = self.entry(off);
            let at = off;
            off = next;
            Some((at, score, member))
        })
    }

    /// Byte offset of the entry of rank `rank` (the buffer length for `rank == len`).
    fn offset_of(&self, rank: usize) -> usize {
        self.entries()
            .nth(rank)
            .map_or(self.buf.len(), |(off, _, _)| off)
    }

    /// `(rank, score)` of a member.
    fn find(&self, member: &[u8]) -> Option<(usize, f64)> {
        self.entries()
            .enumerate()
            .find(|(_, (_, _, m))| *m == member)
            .map(|(rank, (_, s, _))| (rank, s))
    }

    fn partition(&self, pred: impl Fn(KeyRef<'_>) -> bool) -> usize {
        self.entries()
            .take_while(|&(_, score, m)| {
                pred(KeyRef {
                    score,
                    member: MemberRef::Bytes(m),
                })
            })
            .count()
    }

    fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        self.entries().nth(rank).map(|(_, s, m)| (m, s))
    }

    /// Adds a member known to be absent at its place.
    fn add(&mut self, member: &[u8], score: f64) {
        let rank = self.partition(|k| k.cmp_key(score, member) == Ordering::Less);
        let at = self.offset_of(rank);
        let mut entry = Vec::with_capacity(8 + 5 + member.len());
        entry.extend_from_slice(&score.to_le_bytes());
        let mut n = member.len();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                entry.push(b);
                break;
            }
            entry.push(b | 0x80);
        }
        entry.extend_from_slice(member);
        if self.buf.capacity() - self.buf.len() < entry.len() {
            // Grow in modest exact steps, as a listpack reallocates per insert.
            self.buf.reserve_exact(entry.len() + self.buf.len() / 8);
        }
        self.buf.splice(at..at, entry);
        self.len += 1;
    }

    /// Removes ranks `lo..hi`.
    fn remove_ranks(&mut self, lo: usize, hi: usize) {
        let from = self.offset_of(lo);
        let to = self.offset_of(hi);
        self.buf.drain(from..to);
        self.len -= hi - lo;
        if self.buf.capacity() > 64 && self.buf.len() < self.buf.capacity() / 2 {
            self.buf.shrink_to(self.buf.len() + self.buf.len() / 8);
        }
    }

    fn iter_from(&self, rank: usize, reverse: bool) -> PackedIter<'_> {
        if rank >= self.len {
            return PackedIter {
                packed: self,
                offsets: Vec::new(),
                cursor: 0,
                remaining: 0,
                reverse,
            };
        }
        if reverse {
            let offsets: Vec<usize> = self
                .entries()
                .take(rank + 1)
                .map(|(off, _, _)| off)
                .collect();
            PackedIter {
                packed: self,
                remaining: offsets.len(),
                offsets,
                cursor: 0,
                reverse,
            }
        } else {
            PackedIter {
                packed: self,
                offsets: Vec::new(),
                cursor: self.offset_of(rank),
                remaining: self.len - rank,
                reverse,
            }
        }
    }
}

/// Walks a packed buffer from a rank; backwards it follows precomputed entry offsets.
struct PackedIter<'a> {
    packed: &'a Packed,
    offsets: Vec<usize>,
    cursor: usize,
    remaining: usize,
    reverse: bool,
}

impl<'a> PackedIter<'a> {
    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let off = if self.reverse {
            self.offsets.pop()?
        } else {
            self.cursor
        };
        let (score, member, next) = self.packed.entry(off);
        self.cursor = next;
        Some((member, score))
    }
}

/// Iterator over `(member, score)` from a rank, forwards or backwards.
pub struct Iter<'a>(IterKind<'a>);

enum IterKind<'a> {
    Tree(TreeIter<'a>),
    Packed(PackedIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterKind::Tree(t) => t.next(),
            IterKind::Packed(p) => p.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            IterKind::Tree(t) => t.remaining,
            IterKind::Packed(p) => p.remaining,
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

// ------------------------------------------------------------------------------------------------
// The sorted set.

/// The thresholds deciding the listpack encoding (`zset-max-listpack-entries`, `-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZSetLimits {
    pub max_listpack_entries: usize,
    pub max_listpack_value: usize,
}

impl Default for ZSetLimits {
    fn default() -> Self {
        ZSetLimits {
            max_listpack_entries: 128,
            max_listpack_value: 64,
        }
    }
}

/// What [`ZSet::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Inserted {
    /// A new member.
    Added,
    /// The member existed with a different score.
    Updated { old: f64 },
    /// The member existed with an equal score (`==`, so `-0` over `0` changes nothing).
    Unchanged,
    /// The score was NaN; nothing was done.
    NotANumber,
}

#[derive(Clone)]
enum Repr {
    Listpack(Packed),
    Skiplist(Box<Tree>),
}

/// A sorted set. See the module documentation for the layout.
#[derive(Clone)]
pub struct ZSet {
    repr: Repr,
}

/// The name the keyspace uses for a sorted-set value.
pub type SortedSet = ZSet;

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new()
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(m, s)| (String::from_utf8_lossy(m), format_score(s))),
            )
            .finish()
    }
}

/// A listpack stores an integral score as an integer, which has no negative zero.
fn listpack_score(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

impl ZSet {
    /// An empty set in the listpack encoding.
    pub fn new() -> ZSet {
        ZSet {
            repr: Repr::Listpack(Packed::default()),
        }
    }

    /// An empty set in the skiplist encoding (`createZsetObject`: ZUNIONSTORE & co. build these).
    pub fn new_skiplist() -> ZSet {
        ZSet {
            repr: Repr::Skiplist(Box::new(Tree::new())),
        }
    }

    /// The set ZADD creates for a missing key: skiplist when `zset-max-listpack-entries` is 0 or
    /// the first member is longer than `zset-max-listpack-value`, listpack otherwise.
    pub fn for_first_member(member_len: usize, limits: ZSetLimits) -> ZSet {
        if limits.max_listpack_entries == 0 || member_len > limits.max_listpack_value {
            ZSet::new_skiplist()
        } else {
            ZSet::new()
        }
    }

    /// The set ZRANGESTORE creates for `len` results (`zrangeResultBeginStore`).
    pub fn for_length(len: usize, limits: ZSetLimits) -> ZSet {
        if len > limits.max_listpack_entries {
            ZSet::new_skiplist()
        } else {
            ZSet::new()
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(p) => p.len,
            Repr::Skiplist(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the set is in the listpack encoding.
    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Listpack(_))
    }

    /// What `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Listpack(_) => "listpack",
            Repr::Skiplist(_) => "skiplist",
        }
    }

    /// Switches to the skiplist encoding for good (`zsetConvert(…, SKIPLIST)`).
    pub fn convert_to_skiplist(&mut self) {
        if let Repr::Listpack(p) = &self.repr {
            let mut t = Tree::new();
            for (_, score, member) in p.entries() {
                t.add(member, score);
            }
            self.repr = Repr::Skiplist(Box::new(t));
        }
    }

    /// `zsetConvertToListpackIfNeeded`: back to listpack when the set is small enough (used by
    /// ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE and after loading). Scores of `-0` become `0`, as
    /// the listpack stores them as the integer 0. Returns whether the set is now a listpack.
    pub fn convert_to_listpack_if_fits(&mut self, limits: ZSetLimits) -> bool {
        if self.is_listpack() {
            return true;
        }
        if self.len() > limits.max_listpack_entries
            || self.max_member_len() > limits.max_listpack_value
        {
            return false;
        }
        let mut p = Packed::default();
        let mut buf = Vec::new();
        for (member, score) in self.iter() {
            buf.extend_from_slice(&listpack_score(score).to_le_bytes());
            let mut n = member.len();
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    buf.push(b);
                    break;
                }
                buf.push(b | 0x80);
            }
            buf.extend_from_slice(member);
            p.len += 1;
        }
        buf.shrink_to_fit();
        p.buf = buf;
        self.repr = Repr::Listpack(p);
        true
    }

    /// Length of the longest member (O(n)).
    pub fn max_member_len(&self) -> usize {
        self.iter().map(|(m, _)| m.len()).max().unwrap_or(0)
    }

    /// The score of `member` (ZSCORE). O(1) for a skiplist, a scan for a listpack.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Listpack(p) => p.find(member).map(|(_, s)| s),
            Repr::Skiplist(t) => t.score(member),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.score(member).is_some()
    }

    /// Number of elements, in order, for which a prefix-closed predicate holds.
    fn partition(&self, pred: impl Fn(KeyRef<'_>) -> bool) -> usize {
        match &self.repr {
            Repr::Listpack(p) => p.partition(pred),
            Repr::Skiplist(t) => t.partition(pred),
        }
    }

    /// Removes ranks `lo..hi` (clamped); returns how many went.
    fn remove_ranks(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len());
        if lo >= hi {
            return 0;
        }
        match &mut self.repr {
            Repr::Listpack(p) => p.remove_ranks(lo, hi),
            Repr::Skiplist(t) => t.remove_ranks(lo, hi),
        }
        hi - lo
    }

    /// Adds `member` or sets its score (the core of ZADD without its options). A new member that
    /// does not fit the listpack limits converts the set to skiplist first, like `zsetAdd`.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: ZSetLimits) -> Inserted {
        if score.is_nan() {
            return Inserted::NotANumber;
        }
        if let Repr::Listpack(p) = &mut self.repr {
            match p.find(member) {
                Some((_, old)) if old == score => return Inserted::Unchanged,
                Some((rank, old)) => {
                    p.remove_ranks(rank, rank + 1);
                    p.add(member, listpack_score(score));
                    return Inserted::Updated { old };
                }
                None if p.len + 1 > limits.max_listpack_entries
                    || member.len() > limits.max_listpack_value =>
                {
                    self.convert_to_skiplist();
                }
                None => {
                    p.add(member, listpack_score(score));
                    return Inserted::Added;
                }
            }
        }
        let Repr::Skiplist(t) = &mut self.repr else {
            return Inserted::Unchanged;
        };
        match t.score(member) {
            Some(old) if old == score => Inserted::Unchanged,
            Some(old) => {
                t.rescore(member, old, score);
                Inserted::Updated { old }
            }
            None => {
                t.add(member, score);
                Inserted::Added
            }
        }
    }

    /// ZINCRBY / ZADD INCR without options: adds `by` to the member's score (a new member gets
    /// `by` itself, so `-0` stays `-0` in the reply). Returns the new score as Redis replies it,
    /// or `None` when the result is NaN (nothing changes; reply [`super::float::ERR_SCORE_NAN`]).
    pub fn incr_by(&mut self, member: &[u8], by: f64, limits: ZSetLimits) -> Option<f64> {
        let new = match self.score(member) {
            Some(cur) => cur + by,
            None => by,
        };
        if new.is_nan() {
            return None;
        }
        self.insert(member, new, limits);
        Some(new)
    }

    /// Removes `member` (ZREM); returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Listpack(p) => {
                let (rank, score) = p.find(member)?;
                p.remove_ranks(rank, rank + 1);
                Some(score)
            }
            Repr::Skiplist(t) => {
                let score = t.score(member)?;
                let rank = t.rank_of(score, member);
                t.remove_ranks(rank, rank + 1);
                Some(score)
            }
        }
    }

    /// 0-based rank in ascending order (ZRANK).
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(p) => p.find(member).map(|(rank, _)| rank),
            Repr::Skiplist(t) => t.score(member).map(|s| t.rank_of(s, member)),
        }
    }

    /// 0-based rank in descending order (ZREVRANK).
    pub fn rev_rank(&self, member: &[u8]) -> Option<usize> {
        self.rank(member).map(|r| self.len() - 1 - r)
    }

    /// The element at an ascending 0-based rank.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        match &self.repr {
            Repr::Listpack(p) => p.get(rank),
            Repr::Skiplist(t) => t.get(rank),
        }
    }

    pub fn first(&self) -> Option<(&[u8], f64)> {
        self.get_by_rank(0)
    }

    pub fn last(&self) -> Option<(&[u8], f64)> {
        self.len().checked_sub(1).and_then(|r| self.get_by_rank(r))
    }

    /// Removes and returns the lowest element (ZPOPMIN).
    pub fn pop_first(&mut self) -> Option<(Vec<u8>, f64)> {
        let (m, s) = self.first().map(|(m, s)| (m.to_vec(), s))?;
        self.remove_ranks(0, 1);
        Some((m, s))
    }

    /// Removes and returns the highest element (ZPOPMAX).
    pub fn pop_last(&mut self) -> Option<(Vec<u8>, f64)> {
        let (m, s) = self.last().map(|(m, s)| (m.to_vec(), s))?;
        let n = self.len();
        self.remove_ranks(n - 1, n);
        Some((m, s))
    }

    /// All elements in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// Elements starting at ascending rank `rank`, going up (`reverse == false`) or down towards
    /// rank 0. Empty when `rank` is out of range.
    pub fn iter_from(&self, rank: usize, reverse: bool) -> Iter<'_> {
        match &self.repr {
            Repr::Listpack(p) => Iter(IterKind::Packed(p.iter_from(rank, reverse))),
            Repr::Skiplist(t) => Iter(IterKind::Tree(t.iter_from(rank, reverse))),
        }
    }

    /// Elements of ascending ranks `start..=end` (already normalised, see
    /// [`normalize_rank_range`]), in ascending order, or descending from `end` when `reverse`
    /// (ZRANGE / ZREVRANGE).
    pub fn range_by_rank(
        &self,
        start: usize,
        end: usize,
        reverse: bool,
    ) -> std::iter::Take<Iter<'_>> {
        let n = (end + 1).saturating_sub(start);
        if reverse {
            self.iter_from(end, true).take(n)
        } else {
            self.iter_from(start, false).take(n)
        }
    }

    // --- score ranges ---------------------------------------------------------------------

    /// Ascending rank of the first element inside `range` (`zslFirstInRange`).
    pub fn first_in_range(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() || self.is_empty() {
            return None;
        }
        let r = self.partition(|k| !range.gte_min(k.score));
        let (_, s) = self.get_by_rank(r)?;
        range.lte_max(s).then_some(r)
    }

    /// Ascending rank of the last element inside `range` (`zslLastInRange`).
    pub fn last_in_range(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() || self.is_empty() {
            return None;
        }
        let r = self.partition(|k| range.lte_max(k.score)).checked_sub(1)?;
        let (_, s) = self.get_by_rank(r)?;
        range.gte_min(s).then_some(r)
    }

    /// ZCOUNT.
    pub fn count_in_range(&self, range: &ScoreRange) -> usize {
        match (self.first_in_range(range), self.last_in_range(range)) {
            (Some(a), Some(b)) if b >= a => b - a + 1,
            _ => 0,
        }
    }

    /// ZRANGEBYSCORE / ZREVRANGEBYSCORE with Redis's LIMIT semantics: `offset` elements are
    /// skipped from the first (last, when `reverse`) element in range, then up to `limit`
    /// elements (negative: no limit) are returned while in range. A negative offset returns
    /// nothing.
    pub fn range_by_score(
        &self,
        range: &ScoreRange,
        reverse: bool,
        offset: i64,
        limit: i64,
    ) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let range = *range;
        let start = if offset < 0 {
            None
        } else if reverse {
            self.last_in_range(&range)
        } else {
            self.first_in_range(&range)
        };
        let it = self.skip_from(start, offset, reverse);
        let limit = if limit < 0 {
            usize::MAX
        } else {
            limit as usize
        };
        it.take(limit).take_while(move |&(_, s)| {
            if reverse {
                range.gte_min(s)
            } else {
                range.lte_max(s)
            }
        })
    }

    fn skip_from(&self, start: Option<usize>, offset: i64, reverse: bool) -> Iter<'_> {
        let offset = offset.max(0) as usize;
        match start {
            None => self.iter_from(usize::MAX, false),
            Some(r) if !reverse => self.iter_from(r.saturating_add(offset), false),
            Some(r) => match r.checked_sub(offset) {
                Some(p) => self.iter_from(p, true),
                None => self.iter_from(usize::MAX, false),
            },
        }
    }

    /// ZREMRANGEBYSCORE; returns the number removed.
    pub fn remove_range_by_score(&mut self, range: &ScoreRange) -> usize {
        let lo = self.partition(|k| !range.gte_min(k.score));
        let hi = self.partition(|k| range.lte_max(k.score));
        self.remove_ranks(lo, hi)
    }

    /// ZREMRANGEBYRANK with normalised inclusive ranks (see [`normalize_rank_range`]).
    pub fn remove_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        self.remove_ranks(start, end.saturating_add(1))
    }

    // --- lex ranges -------------------------------------------------------------------------

    /// `zslIsInLexRange` / `zzlIsInLexRange`.
    fn may_hold_lex(&self, range: &LexRange) -> bool {
        if range.is_empty() {
            return false;
        }
        match (self.first(), self.last()) {
            (Some((first, _)), Some((last, _))) => range.gte_min(last) && range.lte_max(first),
            _ => false,
        }
    }

    /// Ascending rank of the first element inside a lex range (`zslFirstInLexRange`; a
    /// listpack is scanned from the head as Redis does).
    pub fn first_in_lex_range(&self, range: &LexRange) -> Option<usize> {
        if !self.may_hold_lex(range) {
            return None;
        }
        let r = if self.is_listpack() {
            self.iter().position(|(m, _)| range.gte_min(m))?
        } else {
            self.partition(|k| !range.gte_min(k.member()))
        };
        let (m, _) = self.get_by_rank(r)?;
        range.lte_max(m).then_some(r)
    }

    /// Ascending rank of the last element inside a lex range (`zslLastInLexRange`).
    pub fn last_in_lex_range(&self, range: &LexRange) -> Option<usize> {
        if !self.may_hold_lex(range) {
            return None;
        }
        let r = if self.is_listpack() {
            self.len()
                - 1
                - self
                    .iter_from(self.len() - 1, true)
                    .position(|(m, _)| range.lte_max(m))?
        } else {
            self.partition(|k| range.lte_max(k.member()))
                .checked_sub(1)?
        };
        let (m, _) = self.get_by_rank(r)?;
        range.gte_min(m).then_some(r)
    }

    /// ZLEXCOUNT.
    pub fn lex_count(&self, range: &LexRange) -> usize {
        let Some(first) = self.first_in_lex_range(range) else {
            return 0;
        };
        if self.is_listpack() {
            return self
                .iter_from(first, false)
                .take_while(|(m, _)| range.lte_max(m))
                .count();
        }
        let mut count = self.len() - first;
        if let Some(last) = self.last_in_lex_range(range) {
            count -= self.len() - 1 - last;
        }
        count
    }

    /// ZRANGEBYLEX / ZREVRANGEBYLEX with the same LIMIT semantics as [`Self::range_by_score`].
    pub fn range_by_lex<'a>(
        &'a self,
        range: &'a LexRange,
        reverse: bool,
        offset: i64,
        limit: i64,
    ) -> impl Iterator<Item = (&'a [u8], f64)> + 'a {
        let start = if offset < 0 {
            None
        } else if reverse {
            self.last_in_lex_range(range)
        } else {
            self.first_in_lex_range(range)
        };
        let it = self.skip_from(start, offset, reverse);
        let limit = if limit < 0 {
            usize::MAX
        } else {
            limit as usize
        };
        it.take(limit).take_while(move |&(m, _)| {
            if reverse {
                range.gte_min(m)
            } else {
                range.lte_max(m)
            }
        })
    }

    /// ZREMRANGEBYLEX; returns the number removed.
    pub fn remove_range_by_lex(&mut self, range: &LexRange) -> usize {
        let start = if self.is_listpack() {
            self.first_in_lex_range(range)
        } else {
            Some(self.partition(|k| !range.gte_min(k.member())))
        };
        let Some(lo) = start else { return 0 };
        let n = self
            .iter_from(lo, false)
            .take_while(|(m, _)| range.lte_max(m))
            .count();
        self.remove_ranks(lo, lo + n)
    }

    // --- accounting ---------------------------------------------------------------------------

    /// Heap bytes owned by the set (capacity-based; the allocator's own overhead not included).
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Listpack(p) => p.buf.capacity(),
            Repr::Skiplist(t) => std::mem::size_of::<Tree>() + t.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    /// The member index of a skiplist-encoded set.
    fn index_of(z: &ZSet) -> &MemberIndex {
        match &z.repr {
            Repr::Skiplist(t) => &t.index,
            Repr::Listpack(_) => panic!("a listpack has no index"),
        }
    }

    #[test]
    fn the_member_index_resizes_a_few_places_per_write() {
        let limits = ZSetLimits::default();
        let mut z = ZSet::new();
        let mut n = 0u32;
        // Grow until a resize is under way.
        while !(n > 1000 && index_of(&z).migration.is_some()) {
            z.insert(format!("m{n}").as_bytes(), f64::from(n), limits);
            n += 1;
        }
        let snapshot = z.clone();
        let mut writes = 0;
        let mut removed = BTreeSet::new();
        while index_of(&z).migration.is_some() {
            // Every member is found wherever it is; removals hit both tables; the ids they free
            // are reused by new members.
            let victim = (writes * 7919) % n;
            if removed.insert(victim) {
                assert_eq!(
                    z.remove(format!("m{victim}").as_bytes()),
                    Some(f64::from(victim))
                );
            }
            z.insert(format!("new{writes}").as_bytes(), -1.0, limits);
            for probe in (0..n).step_by(97) {
                let want = (!removed.contains(&probe)).then_some(f64::from(probe));
                assert_eq!(z.score(format!("m{probe}").as_bytes()), want, "m{probe}");
            }
            writes += 1;
            assert!(
                writes < n,
                "a resize completes within a table's worth of writes"
            );
        }
        assert!(
            writes > 8,
            "{writes} writes moved the whole table: not incremental"
        );
        // Exactly the live members were moved (none removed meanwhile came along).
        let index = index_of(&z);
        let occupied = (0..index.table.len())
            .filter(|&i| index.table[i] != 0)
            .count();
        assert_eq!(occupied, z.len());
        for i in 0..n {
            let want = (!removed.contains(&i)).then_some(f64::from(i));
            assert_eq!(z.score(format!("m{i}").as_bytes()), want, "m{i}");
        }
        for w in 0..writes {
            assert_eq!(z.score(format!("new{w}").as_bytes()), Some(-1.0));
        }
        assert_eq!(index_of(&z).len, z.len());
        // The clone taken mid-resize still has what it had.
        assert_eq!(snapshot.len(), n as usize);
        for i in (0..n).step_by(13) {
            assert_eq!(
                snapshot.score(format!("m{i}").as_bytes()),
                Some(f64::from(i))
            );
        }
        // Shrinking is incremental too, and leaves the survivors reachable.
        for i in 0..n {
            z.remove(format!("m{i}").as_bytes());
        }
        for w in 0..writes {
            assert_eq!(z.score(format!("new{w}").as_bytes()), Some(-1.0));
        }
        assert_eq!(index_of(&z).len, z.len());
    }

    #[test]
    fn a_clone_keeps_its_members_while_the_original_changes() {
        let limits = ZSetLimits::default();
        let mut z = ZSet::new();
        for i in 0..100_000u32 {
            z.insert(format!("m{i}").as_bytes(), f64::from(i % 1000), limits);
        }
        let before: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        let snapshot = z.clone();
        let mut rng = Rng(7);
        for round in 0..20_000 {
            let m = format!("m{}", rng.below(120_000));
            match round % 4 {
                0 => {
                    z.remove(m.as_bytes());
                }
                1 => {
                    z.incr_by(m.as_bytes(), 0.5, limits);
                }
                2 => {
                    z.pop_first();
                }
                _ => {
                    z.insert(m.as_bytes(), -1.0, limits);
                }
            }
        }
        z.remove_range_by_rank(100, 5000);
        assert!(z.len() < 100_000);
        let after: Vec<(Vec<u8>, f64)> = snapshot.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        assert!(after == before, "the clone changed with the original");
        assert_eq!(snapshot.score(b"m12345"), Some(345.0));
        assert_eq!(snapshot.rank(b"m0"), Some(0));
        // And the original is still a consistent set.
        let members: Vec<Vec<u8>> = z.iter().map(|(m, _)| m.to_vec()).collect();
        for (rank, m) in members.iter().enumerate().step_by(997) {
            assert_eq!(z.rank(m), Some(rank));
        }
    }

    /// Deterministic xorshift64* generator.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Total order key for the model: scores compared like Redis (-0 == 0), then bytes.
    #[derive(Clone, PartialEq)]
    struct Key(f64, Vec<u8>);
    impl Eq for Key {}
    impl PartialOrd for Key {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0
                .partial_cmp(&o.0)
                .unwrap_or(Ordering::Equal)
                .then_with(|| self.1.cmp(&o.1))
        }
    }

    #[derive(Default)]
    struct Model {
        order: BTreeSet<Key>,
        scores: HashMap<Vec<u8>, f64>,
    }
    impl Model {
        fn insert(&mut self, m: &[u8], s: f64) {
            if let Some(old) = self.scores.insert(m.to_vec(), s) {
                self.order.remove(&Key(old, m.to_vec()));
            }
            self.order.insert(Key(s, m.to_vec()));
        }
        fn remove(&mut self, m: &[u8]) -> Option<f64> {
            let old = self.scores.remove(m)?;
            self.order.remove(&Key(old, m.to_vec()));
            Some(old)
        }
        fn sorted(&self) -> Vec<(Vec<u8>, f64)> {
            self.order.iter().map(|k| (k.1.clone(), k.0)).collect()
        }
    }

    fn check_tree(z: &ZSet) {
        fn walk(
            t: &Tree,
            n: &Node,
            depth: usize,
            leaf_depth: &mut Option<usize>,
            is_root: bool,
        ) -> usize {
            match n {
                Node::Leaf(l) => {
                    assert_eq!(l.scores.len(), l.ids.len());
                    assert!(l.ids.len() <= LEAF_MAX);
                    assert!(is_root || !l.ids.is_empty());
                    for (s, id) in l.scores.iter().zip(&l.ids) {
                        assert!(t.slots[*id].score == *s);
                    }
                    match leaf_depth {
                        Some(d) => assert_eq!(*d, depth, "leaves at different depths"),
                        None => *leaf_depth = Some(depth),
                    }
                    l.ids.len()
                }
                Node::Inner(i) => {
                    assert!(i.children.len() <= INNER_MAX);
                    assert!(!is_root || i.children.len() >= 2);
                    let mut total = 0;
                    for (k, c) in i.children.iter().enumerate() {
                        let cnt = walk(t, c, depth + 1, leaf_depth, false);
                        assert_eq!(cnt, i.counts[k]);
                        let (s, id) = c.last_key();
                        assert!(s == i.last_scores[k] && id == i.last_ids[k]);
                        total += cnt;
                    }
                    assert_eq!(total, i.total);
                    total
                }
            }
        }
        match &z.repr {
            Repr::Skiplist(t) => {
                let mut d = None;
                let n = walk(t, &t.root, 0, &mut d, true);
                assert_eq!(n, z.len());
                if t.index.active() {
                    assert_eq!(t.index.len, z.len());
                } else {
                    assert!(z.len() <= INDEX_MIN);
                }
                assert_eq!(t.slots.iter_live().count(), z.len());
            }
            Repr::Listpack(p) => assert_eq!(p.entries().count(), p.len),
        }
        // Sorted, and every member findable.
        let all: Vec<_> = z.iter().collect();
        assert_eq!(all.len(), z.len());
        for w in all.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            assert!(a.1 < b.1 || (a.1 == b.1 && a.0 < b.0), "out of order");
        }
        for (m, s) in &all {
            assert!(z.score(m) == Some(*s));
        }
    }

    fn tree_depth(z: &ZSet) -> usize {
        let Repr::Skiplist(t) = &z.repr else { return 0 };
        let mut d = 1;
        let mut n = &t.root;
        while let Node::Inner(i) = n {
            d += 1;
            n = &i.children[0];
        }
        d
    }

    fn same(z: &ZSet, model: &Model) {
        let got: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        let want = model.sorted();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!(g.0 == w.0 && g.1 == w.1, "{:?} vs {:?}", g, w);
        }
        let rev: Vec<Vec<u8>> = z
            .iter_from(z.len().wrapping_sub(1), true)
            .map(|(m, _)| m.to_vec())
            .collect();
        let mut want_rev: Vec<Vec<u8>> = want.iter().map(|(m, _)| m.clone()).collect();
        want_rev.reverse();
        assert_eq!(rev, want_rev);
    }

    const SCORES: [f64; 12] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        2.5,
        3.0,
        1e10,
        -7.25,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.1,
        42.0,
    ];

    fn member(rng: &mut Rng, pool: usize) -> Vec<u8> {
        let i = rng.below(pool);
        let mut m = format!("m{i:05}").into_bytes();
        if i.is_multiple_of(7) {
            m.extend(std::iter::repeat_n(b'x', 30)); // heap-stored members
        }
        if i.is_multiple_of(13) {
            m.extend(std::iter::repeat_n(b'y', 200)); // two-byte length prefixes when packed
        }
        if i.is_multiple_of(11) {
            m.truncate(1); // short ones sharing prefixes
            m.push((i % 256) as u8);
        }
        m
    }

    fn random_score_range(rng: &mut Rng) -> ScoreRange {
        let pick = |rng: &mut Rng| {
            SCORES[rng.below(SCORES.len())] + if rng.below(3) == 0 { 0.5 } else { 0.0 }
        };
        ScoreRange {
            min: pick(rng),
            max: pick(rng),
            min_exclusive: rng.below(2) == 0,
            max_exclusive: rng.below(2) == 0,
        }
    }

    fn model_score_range(
        model: &Model,
        r: &ScoreRange,
        reverse: bool,
        offset: i64,
        limit: i64,
    ) -> Vec<(Vec<u8>, f64)> {
        let v = model.sorted();
        if offset < 0 || r.is_empty() {
            return vec![];
        }
        let mut idx: Vec<usize> = (0..v.len()).collect();
        if reverse {
            idx.reverse();
        }
        let start = idx.iter().position(|&i| r.contains(v[i].1));
        let Some(start) = start else { return vec![] };
        let limit = if limit < 0 {
            usize::MAX
        } else {
            limit as usize
        };
        idx[start..]
            .iter()
            .skip(offset as usize)
            .take(limit)
            .take_while(|&&i| r.contains(v[i].1))
            .map(|&i| v[i].clone())
            .collect()
    }

    #[test]
    fn randomized_against_model() {
        randomized_against_model_with(ZSetLimits::default());
    }

    #[test]
    fn randomized_against_model_listpack_only() {
        // Huge listpack limits: every set stays in the packed encoding.
        randomized_against_model_with(ZSetLimits {
            max_listpack_entries: 1 << 20,
            max_listpack_value: 1 << 20,
        });
    }

    fn randomized_against_model_with(limits: ZSetLimits) {
        let packed_only = limits.max_listpack_entries > 100_000;
        for seed in 1..=4u64 {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
            let mut z = ZSet::new();
            let mut model = Model::default();
            let pool = [50, 300, 2000, 5000][seed as usize - 1];
            let mut max_len = 0;
            for step in 0..8000 {
                max_len = max_len.max(z.len());
                let mut op = rng.below(20);
                if (13..=16).contains(&op) && seed >= 3 && rng.below(10) != 0 {
                    op = 0; // keep the big sets big: range deletions are rare there
                }
                match op {
                    0..=8 => {
                        let m = member(&mut rng, pool);
                        let s = if rng.below(2) == 0 {
                            SCORES[rng.below(SCORES.len())]
                        } else {
                            (rng.below(2000) as f64 - 1000.0) / 8.0
                        };
                        let before = model.scores.get(&m).copied();
                        let r = z.insert(&m, s, limits);
                        match before {
                            None => assert_eq!(r, Inserted::Added),
                            Some(o) if o == s => assert_eq!(r, Inserted::Unchanged),
                            Some(o) => assert_eq!(r, Inserted::Updated { old: o }),
                        }
                        if before != Some(s) {
                            model.insert(&m, s);
                        }
                    }
                    9..=11 => {
                        let m = member(&mut rng, pool);
                        assert_eq!(z.remove(&m).is_some(), model.remove(&m).is_some());
                    }
                    12 => {
                        let m = member(&mut rng, pool);
                        let by = SCORES[rng.below(SCORES.len())];
                        let want = match model.scores.get(&m) {
                            Some(c) => c + by,
                            None => by,
                        };
                        let got = z.incr_by(&m, by, limits);
                        if want.is_nan() {
                            assert_eq!(got, None);
                        } else {
                            assert!(got == Some(want));
                            if model.scores.get(&m) != Some(&want) {
                                model.insert(&m, want);
                            }
                        }
                    }
                    13 => {
                        let a = rng.below(40) as i64 - 20;
                        let b = a + rng.below(30) as i64;
                        if let Some((s, e)) = normalize_rank_range(a, b, z.len()) {
                            let want: Vec<Vec<u8>> =
                                model.sorted()[s..=e].iter().map(|x| x.0.clone()).collect();
                            assert_eq!(z.remove_range_by_rank(s, e), want.len());
                            for m in want {
                                model.remove(&m);
                            }
                        }
                    }
                    14 => {
                        let r = random_score_range(&mut rng);
                        let want: Vec<Vec<u8>> = model
                            .sorted()
                            .into_iter()
                            .filter(|x| r.contains(x.1))
                            .map(|x| x.0)
                            .collect();
                        assert_eq!(z.remove_range_by_score(&r), want.len());
                        for m in want {
                            model.remove(&m);
                        }
                    }
                    15 => {
                        let want = model.sorted().first().cloned();
                        let got = z.pop_first();
                        assert_eq!(got.as_ref().map(|x| &x.0), want.as_ref().map(|x| &x.0));
                        if let Some((m, _)) = want {
                            model.remove(&m);
                        }
                    }
                    16 => {
                        let want = model.sorted().last().cloned();
                        let got = z.pop_last();
                        assert_eq!(got.as_ref().map(|x| &x.0), want.as_ref().map(|x| &x.0));
                        if let Some((m, _)) = want {
                            model.remove(&m);
                        }
                    }
                    _ => {
                        // Queries.
                        let sorted = model.sorted();
                        assert_eq!(z.len(), sorted.len());
                        for _ in 0..5 {
                            let m = member(&mut rng, pool);
                            let want = sorted.iter().position(|x| x.0 == m);
                            assert_eq!(z.rank(&m), want);
                            assert_eq!(z.rev_rank(&m), want.map(|r| sorted.len() - 1 - r));
                            assert!(z.score(&m) == model.scores.get(&m).copied());
                        }
                        if !sorted.is_empty() {
                            let r = rng.below(sorted.len());
                            let (m, s) = z
                                .get_by_rank(r)
                                .map(|(m, s)| (m.to_vec(), s))
                                .unwrap_or_default();
                            assert!(m == sorted[r].0 && s == sorted[r].1);
                            let k = rng.below(50);
                            let fw: Vec<Vec<u8>> = z
                                .iter_from(r, false)
                                .take(k)
                                .map(|x| x.0.to_vec())
                                .collect();
                            let want: Vec<Vec<u8>> =
                                sorted[r..].iter().take(k).map(|x| x.0.clone()).collect();
                            assert_eq!(fw, want);
                            let bw: Vec<Vec<u8>> =
                                z.iter_from(r, true).take(k).map(|x| x.0.to_vec()).collect();
                            let want: Vec<Vec<u8>> = sorted[..=r]
                                .iter()
                                .rev()
                                .take(k)
                                .map(|x| x.0.clone())
                                .collect();
                            assert_eq!(bw, want);
                        }
                        for _ in 0..3 {
                            let r = random_score_range(&mut rng);
                            let want = sorted.iter().filter(|x| r.contains(x.1)).count();
                            assert_eq!(z.count_in_range(&r), want);
                            let first = sorted.iter().position(|x| r.contains(x.1));
                            assert_eq!(z.first_in_range(&r), first.filter(|_| !r.is_empty()));
                            let last = sorted.iter().rposition(|x| r.contains(x.1));
                            assert_eq!(z.last_in_range(&r), last.filter(|_| !r.is_empty()));
                            let reverse = rng.below(2) == 0;
                            let offset = rng.below(6) as i64 - 1;
                            let limit = rng.below(8) as i64 - 2;
                            let got: Vec<(Vec<u8>, f64)> = z
                                .range_by_score(&r, reverse, offset, limit)
                                .map(|(m, s)| (m.to_vec(), s))
                                .collect();
                            assert_eq!(got, model_score_range(&model, &r, reverse, offset, limit));
                        }
                    }
                }
                if step % 500 == 0 {
                    check_tree(&z);
                    same(&z, &model);
                }
            }
            check_tree(&z);
            same(&z, &model);
            if seed >= 3 {
                assert!(max_len > 500, "seed {seed} only reached {max_len} members");
            }
            assert!(if packed_only {
                z.is_listpack()
            } else {
                !z.is_listpack() || z.len() <= 128
            });
        }
    }

    fn random_lex_range(rng: &mut Rng, pool: usize) -> LexRange {
        let b = |rng: &mut Rng| match rng.below(10) {
            0 => LexBound::NegInf,
            1 => LexBound::PosInf,
            _ => {
                let mut v = member(rng, pool);
                if rng.below(3) == 0 {
                    v.pop();
                }
                LexBound::Member {
                    value: v,
                    exclusive: rng.below(2) == 0,
                }
            }
        };
        LexRange {
            min: b(rng),
            max: b(rng),
        }
    }

    #[test]
    fn randomized_lex_against_model() {
        // Lex ranges are defined for sets whose scores are all equal.
        for (seed, limits) in [
            (7u64, ZSetLimits::default()),
            (
                8,
                ZSetLimits {
                    max_listpack_entries: 0,
                    max_listpack_value: 0,
                },
            ),
        ] {
            let mut rng = Rng(0x1234_5678_9abc_def0 ^ seed);
            let mut z = ZSet::for_first_member(1, limits);
            let mut model = Model::default();
            let pool = 400;
            for step in 0..5000 {
                match rng.below(10) {
                    0..=4 => {
                        let m = member(&mut rng, pool);
                        z.insert(&m, 5.0, limits);
                        model.insert(&m, 5.0);
                    }
                    5 => {
                        let m = member(&mut rng, pool);
                        assert_eq!(z.remove(&m).is_some(), model.remove(&m).is_some());
                    }
                    6 => {
                        let r = random_lex_range(&mut rng, pool);
                        let want: Vec<Vec<u8>> = model
                            .sorted()
                            .into_iter()
                            .filter(|x| r.gte_min(&x.0) && r.lte_max(&x.0))
                            .map(|x| x.0)
                            .collect();
                        assert_eq!(z.remove_range_by_lex(&r), want.len(), "{r:?}");
                        for m in want {
                            model.remove(&m);
                        }
                    }
                    _ => {
                        let sorted = model.sorted();
                        for _ in 0..3 {
                            let r = random_lex_range(&mut rng, pool);
                            let inr = |m: &[u8]| r.gte_min(m) && r.lte_max(m) && !r.is_empty();
                            assert_eq!(
                                z.lex_count(&r),
                                sorted.iter().filter(|x| inr(&x.0)).count(),
                                "{r:?}"
                            );
                            assert_eq!(
                                z.first_in_lex_range(&r),
                                sorted.iter().position(|x| inr(&x.0))
                            );
                            assert_eq!(
                                z.last_in_lex_range(&r),
                                sorted.iter().rposition(|x| inr(&x.0))
                            );
                            let reverse = rng.below(2) == 0;
                            let offset = rng.below(5) as i64 - 1;
                            let limit = rng.below(7) as i64 - 2;
                            let got: Vec<Vec<u8>> = z
                                .range_by_lex(&r, reverse, offset, limit)
                                .map(|(m, _)| m.to_vec())
                                .collect();
                            let mut all: Vec<Vec<u8>> = sorted
                                .iter()
                                .filter(|x| inr(&x.0))
                                .map(|x| x.0.clone())
                                .collect();
                            if reverse {
                                all.reverse();
                            }
                            let want: Vec<Vec<u8>> = if offset < 0 {
                                vec![]
                            } else {
                                all.into_iter()
                                    .skip(offset as usize)
                                    .take(if limit < 0 {
                                        usize::MAX
                                    } else {
                                        limit as usize
                                    })
                                    .collect()
                            };
                            assert_eq!(got, want, "{r:?} rev={reverse} off={offset} lim={limit}");
                        }
                    }
                }
                if step % 500 == 0 {
                    check_tree(&z);
                    same(&z, &model);
                }
            }
        }
    }

    #[test]
    fn large_set_range_deletions_keep_tree_balanced() {
        let limits = ZSetLimits::default();
        let mut rng = Rng(42);
        let mut z = ZSet::new();
        let mut model = Model::default();
        for i in 0..60_000u32 {
            let m = format!("k{}", (i as u64 * 2_654_435_761) % 1_000_003).into_bytes();
            let s = (rng.below(1000) as f64) / 4.0;
            z.insert(&m, s, limits);
            model.insert(&m, s);
        }
        check_tree(&z);
        same(&z, &model);
        assert!(tree_depth(&z) >= 3, "the test should exercise inner levels");
        for round in 0..60 {
            match round % 3 {
                0 => {
                    let s = rng.below(z.len().max(1));
                    let e = (s + rng.below(3000)).min(z.len().saturating_sub(1));
                    let want: Vec<Vec<u8>> =
                        model.sorted()[s..=e].iter().map(|x| x.0.clone()).collect();
                    assert_eq!(z.remove_range_by_rank(s, e), want.len());
                    want.iter().for_each(|m| {
                        model.remove(m);
                    });
                }
                1 => {
                    let a = rng.below(1000) as f64 / 4.0;
                    let r = ScoreRange {
                        min: a,
                        max: a + 3.0,
                        min_exclusive: false,
                        max_exclusive: true,
                    };
                    let want: Vec<Vec<u8>> = model
                        .sorted()
                        .into_iter()
                        .filter(|x| r.contains(x.1))
                        .map(|x| x.0)
                        .collect();
                    assert_eq!(z.remove_range_by_score(&r), want.len());
                    want.iter().for_each(|m| {
                        model.remove(m);
                    });
                }
                _ => {
                    for _ in 0..500 {
                        let m = format!("k{}", rng.below(1_000_003)).into_bytes();
                        let s = (rng.below(1000) as f64) / 4.0;
                        z.insert(&m, s, limits);
                        model.insert(&m, s);
                    }
                }
            }
            check_tree(&z);
        }
        same(&z, &model);
        // Ranks of everything.
        for (i, (m, _)) in model.sorted().iter().enumerate().step_by(97) {
            assert_eq!(z.rank(m), Some(i));
        }
        let n = z.len();
        assert_eq!(z.remove_range_by_rank(0, n - 1), n);
        assert!(z.is_empty());
        check_tree(&z);
    }

    /// A tiny command interpreter over `ZSet`, replying in the same rendering as REDIS_SCRIPT.
    fn run(db: &mut HashMap<String, ZSet>, line: &str) -> String {
        use super::super::float::{format_score, parse_score};
        let limits = ZSetLimits::default();
        let a: Vec<&str> = line.split(' ').collect();
        let key = a.get(1).copied().unwrap_or("");
        let int = |s: &str| s.parse::<i64>().unwrap_or(0);
        let list = |items: Vec<String>| format!("[{}]", items.join(","));
        let emit = |it: &mut dyn Iterator<Item = (&[u8], f64)>, with: bool| {
            let mut out = Vec::new();
            for (m, s) in it {
                out.push(String::from_utf8_lossy(m).into_owned());
                if with {
                    out.push(format_score(s));
                }
            }
            list(out)
        };
        let opts = |from: usize| {
            let mut with = false;
            let (mut off, mut lim) = (0i64, -1i64);
            let mut i = from;
            while i < a.len() {
                if a[i] == "WITHSCORES" {
                    with = true;
                    i += 1;
                } else {
                    off = int(a[i + 1]);
                    lim = int(a[i + 2]);
                    i += 3;
                }
            }
            (with, off, lim)
        };
        let reply = match a[0] {
            "ZADD" | "ZINCRBY" => {
                let Some(score) = parse_score(a[2].as_bytes()) else {
                    return "-ERR value is not a valid float".into();
                };
                let m = a[3].as_bytes();
                let z = db
                    .entry(key.to_string())
                    .or_insert_with(|| ZSet::for_first_member(m.len(), limits));
                if a[0] == "ZADD" {
                    return if z.insert(m, score, limits) == Inserted::Added {
                        ":1".into()
                    } else {
                        ":0".into()
                    };
                }
                match z.incr_by(m, score, limits) {
                    Some(v) => format!("${}", format_score(v)),
                    None => "-ERR resulting score is not a number (NaN)".into(),
                }
            }
            "ZREM" => {
                let r = db.get_mut(key).and_then(|z| z.remove(a[2].as_bytes()));
                format!(":{}", r.is_some() as i32)
            }
            "ZSCORE" => match db.get(key).and_then(|z| z.score(a[2].as_bytes())) {
                Some(s) => format!("${}", format_score(s)),
                None => "$-1".into(),
            },
            "ZRANK" | "ZREVRANK" => {
                let r = db.get(key).and_then(|z| {
                    if a[0] == "ZRANK" {
                        z.rank(a[2].as_bytes())
                    } else {
                        z.rev_rank(a[2].as_bytes())
                    }
                });
                r.map_or("$-1".into(), |r| format!(":{r}"))
            }
            "ZCARD" => format!(":{}", db.get(key).map_or(0, |z| z.len())),
            "ZCOUNT" | "ZRANGEBYSCORE" | "ZREVRANGEBYSCORE" | "ZREMRANGEBYSCORE" => {
                let rev = a[0] == "ZREVRANGEBYSCORE";
                let (min, max) = if rev { (a[3], a[2]) } else { (a[2], a[3]) };
                let r = match ScoreRange::parse(min.as_bytes(), max.as_bytes()) {
                    Ok(r) => r,
                    Err(e) => return format!("-{e}"),
                };
                let Some(z) = db.get_mut(key) else {
                    return if a[0].starts_with("ZCOUNT") || a[0].starts_with("ZREM") {
                        ":0".into()
                    } else {
                        "[]".into()
                    };
                };
                match a[0] {
                    "ZCOUNT" => format!(":{}", z.count_in_range(&r)),
                    "ZREMRANGEBYSCORE" => format!(":{}", z.remove_range_by_score(&r)),
                    _ => {
                        let (with, off, lim) = opts(4);
                        emit(&mut z.range_by_score(&r, rev, off, lim), with)
                    }
                }
            }
            "ZLEXCOUNT" | "ZRANGEBYLEX" | "ZREVRANGEBYLEX" | "ZREMRANGEBYLEX" => {
                let rev = a[0] == "ZREVRANGEBYLEX";
                let (min, max) = if rev { (a[3], a[2]) } else { (a[2], a[3]) };
                let r = match LexRange::parse(min.as_bytes(), max.as_bytes()) {
                    Ok(r) => r,
                    Err(e) => return format!("-{e}"),
                };
                let Some(z) = db.get_mut(key) else {
                    return if a[0] == "ZLEXCOUNT" || a[0].starts_with("ZREM") {
                        ":0".into()
                    } else {
                        "[]".into()
                    };
                };
                match a[0] {
                    "ZLEXCOUNT" => format!(":{}", z.lex_count(&r)),
                    "ZREMRANGEBYLEX" => format!(":{}", z.remove_range_by_lex(&r)),
                    _ => {
                        let (_, off, lim) = opts(4);
                        emit(&mut z.range_by_lex(&r, rev, off, lim), false)
                    }
                }
            }
            "ZRANGE" | "ZREVRANGE" => {
                let Some(z) = db.get(key) else {
                    return "[]".into();
                };
                let (with, _, _) = opts(4);
                match normalize_rank_range(int(a[2]), int(a[3]), z.len()) {
                    None => "[]".into(),
                    Some((s, e)) if a[0] == "ZRANGE" => {
                        emit(&mut z.range_by_rank(s, e, false), with)
                    }
                    Some((s, e)) => emit(
                        &mut z.range_by_rank(z.len() - 1 - e, z.len() - 1 - s, true),
                        with,
                    ),
                }
            }
            "ZREMRANGEBYRANK" => {
                let Some(z) = db.get_mut(key) else {
                    return ":0".into();
                };
                match normalize_rank_range(int(a[2]), int(a[3]), z.len()) {
                    None => ":0".into(),
                    Some((s, e)) => format!(":{}", z.remove_range_by_rank(s, e)),
                }
            }
            "ZPOPMIN" | "ZPOPMAX" => {
                let Some(z) = db.get_mut(key) else {
                    return "[]".into();
                };
                let p = if a[0] == "ZPOPMIN" {
                    z.pop_first()
                } else {
                    z.pop_last()
                };
                p.map_or("[]".into(), |(m, s)| {
                    list(vec![
                        String::from_utf8_lossy(&m).into_owned(),
                        format_score(s),
                    ])
                })
            }
            "OBJECT" => db
                .get(a[2])
                .map_or("$-1".into(), |z| format!("${}", z.encoding_name())),
            other => panic!("script command {other} not modelled"),
        };
        if db.get(key).is_some_and(|z| z.is_empty()) {
            db.remove(key);
        }
        reply
    }

    #[test]
    fn replays_redis_script() {
        let mut db = HashMap::new();
        for (i, &(line, want)) in REDIS_SCRIPT.iter().enumerate() {
            assert_eq!(run(&mut db, line), want, "line {i}: {line}");
        }
        for z in db.values() {
            check_tree(z);
        }
    }

    #[test]
    fn encoding_transitions_match_redis() {
        let limits = ZSetLimits::default();
        // 128 members stay a listpack, the 129th converts; shrinking does not convert back.
        let mut z = ZSet::for_first_member(2, limits);
        for i in 0..128 {
            z.insert(format!("m{i}").as_bytes(), i as f64, limits);
        }
        assert_eq!(z.encoding_name(), "listpack");
        assert_eq!(z.insert(b"m1", 1.0, limits), Inserted::Unchanged);
        assert_eq!(z.encoding_name(), "listpack");
        z.insert(b"new", 1.0, limits);
        assert_eq!(z.encoding_name(), "skiplist");
        z.remove(b"new");
        assert_eq!(z.remove_range_by_rank(0, 100), 101);
        assert_eq!((z.len(), z.encoding_name()), (27, "skiplist"));
        // A 64-byte member fits, 65 does not, also as the first member.
        let mut z = ZSet::for_first_member(64, limits);
        z.insert(&[b'x'; 64], 1.0, limits);
        assert_eq!(z.encoding_name(), "listpack");
        z.insert(&[b'y'; 65], 1.0, limits);
        assert_eq!(z.encoding_name(), "skiplist");
        assert_eq!(
            ZSet::for_first_member(65, limits).encoding_name(),
            "skiplist"
        );
        assert_eq!(
            ZSet::for_first_member(
                1,
                ZSetLimits {
                    max_listpack_entries: 0,
                    ..limits
                }
            )
            .encoding_name(),
            "skiplist"
        );
    }

    #[test]
    fn negative_zero_scores_match_redis() {
        use super::super::float::format_score;
        let limits = ZSetLimits::default();
        // Listpack: ZADD e -0 a; ZSCORE e a -> "0".
        let mut z = ZSet::for_first_member(1, limits);
        z.insert(b"a", -0.0, limits);
        z.insert(b"b", 0.0, limits);
        assert_eq!(format_score(z.score(b"a").unwrap_or(f64::NAN)), "0");
        for i in 0..200 {
            z.insert(format!("n{i}").as_bytes(), i as f64, limits);
        }
        // Skiplist: ZADD e -0 c -> 1; ZSCORE -> "-0"; ZINCRBY e -0 c -> "-0"; ZSCORE -> "-0".
        assert_eq!(z.encoding_name(), "skiplist");
        assert_eq!(z.insert(b"c", -0.0, limits), Inserted::Added);
        assert_eq!(format_score(z.score(b"c").unwrap_or(f64::NAN)), "-0");
        assert_eq!(
            z.incr_by(b"c", -0.0, limits).map(format_score).as_deref(),
            Some("-0")
        );
        assert_eq!(format_score(z.score(b"c").unwrap_or(f64::NAN)), "-0");
        // ZINCRBY k4 -0 a on a missing key replies "-0" but stores 0 in a listpack.
        let mut k4 = ZSet::for_first_member(1, limits);
        assert_eq!(
            k4.incr_by(b"a", -0.0, limits).map(format_score).as_deref(),
            Some("-0")
        );
        assert_eq!(format_score(k4.score(b"a").unwrap_or(f64::NAN)), "0");
        // ZRANGESTORE dst e 0 2 -> listpack dst where c scores "0".
        let mut dst = ZSet::for_length(3, limits);
        for (m, s) in z.range_by_rank(0, 2, false) {
            dst.insert(m, s, limits);
        }
        assert_eq!(dst.encoding_name(), "listpack");
        assert_eq!(format_score(dst.score(b"c").unwrap_or(f64::NAN)), "0");
        // ZUNIONSTORE u 1 e3 (e3 a skiplist holding c at -0) -> listpack u, ZSCORE u c -> "0".
        let mut u = ZSet::new_skiplist();
        u.insert(b"c", -0.0, limits);
        assert!(u.convert_to_listpack_if_fits(limits));
        assert_eq!(
            (
                u.encoding_name(),
                format_score(u.score(b"c").unwrap_or(f64::NAN)).as_str()
            ),
            ("listpack", "0")
        );
    }

    type RangeCase = (&'static [u8], &'static [u8], Result<usize, &'static str>);

    #[test]
    fn score_range_parsing_matches_redis() {
        // ZCOUNT r <min> <max> on redis-server 7.0.15 with r = {-inf, 0, 1, 2, 3, inf}.
        let cases: &[RangeCase] = &[
            (b"(", b"5", Ok(3)),
            (b"", b"5", Ok(4)),
            (b" 1", b"5", Ok(3)),
            (b"\t2", b"5", Ok(2)),
            (b"1 ", b"5", Err(ERR_MIN_MAX_NOT_FLOAT)),
            (b"1\x00x", b"5", Ok(3)),
            (b"1e400", b"inf", Ok(1)),
            (b"(1e400", b"inf", Ok(0)),
            (b"-1e400", b"1e400", Ok(6)),
            (b"nan", b"5", Err(ERR_MIN_MAX_NOT_FLOAT)),
            (b"(nan", b"5", Err(ERR_MIN_MAX_NOT_FLOAT)),
            (b"abc", b"5", Err(ERR_MIN_MAX_NOT_FLOAT)),
            (b"((1", b"5", Err(ERR_MIN_MAX_NOT_FLOAT)),
            (b"[1", b"5", Err(ERR_MIN_MAX_NOT_FLOAT)),
            (b"0x1", b"0x2", Ok(2)),
            (b"(1", b"(1", Ok(0)),
            (b"1", b"1", Ok(1)),
            (b"2", b"1", Ok(0)),
            (b"-inf", b"+inf", Ok(6)),
            (b"(-inf", b"(+inf", Ok(4)),
            (b"(inf", b"inf", Ok(0)),
            (b"1e-400", b"1", Ok(2)),
            (b"1", b"x", Err(ERR_MIN_MAX_NOT_FLOAT)),
        ];
        let limits = ZSetLimits::default();
        let mut z = ZSet::new();
        for (m, s) in [
            ("m", f64::NEG_INFINITY),
            ("z0", 0.0),
            ("a", 1.0),
            ("b", 2.0),
            ("c", 3.0),
            ("i", f64::INFINITY),
        ] {
            z.insert(m.as_bytes(), s, limits);
        }
        for &(min, max, want) in cases {
            let got = ScoreRange::parse(min, max).map(|r| z.count_in_range(&r));
            assert_eq!(
                got,
                want,
                "{:?} {:?}",
                String::from_utf8_lossy(min),
                String::from_utf8_lossy(max)
            );
        }
    }

    #[test]
    fn lex_range_parsing_matches_redis() {
        // ZLEXCOUNT r <min> <max> on redis-server 7.0.15, r = listpack {m:-inf z0:0 a:1 b:2 c:3 i:inf}
        // (mixed scores: the answers follow the listpack's linear scan).
        let cases: &[RangeCase] = &[
            (b"-", b"+", Ok(6)),
            (b"+", b"-", Ok(0)),
            (b"-", b"-", Ok(0)),
            (b"[a", b"[c", Ok(0)),
            (b"(a", b"(c", Ok(0)),
            (b"a", b"[c", Err(ERR_MIN_MAX_NOT_STRING_RANGE)),
            (b"", b"[c", Err(ERR_MIN_MAX_NOT_STRING_RANGE)),
            (b"(", b"[c", Ok(0)),
            (b"[", b"(z", Ok(1)),
            (b"-x", b"[c", Err(ERR_MIN_MAX_NOT_STRING_RANGE)),
            (b"+x", b"[c", Err(ERR_MIN_MAX_NOT_STRING_RANGE)),
            (b"1", b"[c", Err(ERR_MIN_MAX_NOT_STRING_RANGE)),
            (b"[a", b"(a", Ok(0)),
            (b"[a", b"[a", Ok(0)),
            (b"(a", b"[a", Ok(0)),
            (b"[b", b"[a", Ok(0)),
            (b"[a\x00", b"+", Ok(6)),
        ];
        let limits = ZSetLimits::default();
        let mut z = ZSet::new();
        for (m, s) in [
            ("m", f64::NEG_INFINITY),
            ("z0", 0.0),
            ("a", 1.0),
            ("b", 2.0),
            ("c", 3.0),
            ("i", f64::INFINITY),
        ] {
            z.insert(m.as_bytes(), s, limits);
        }
        for &(min, max, want) in cases {
            let got = LexRange::parse(min, max).map(|r| z.lex_count(&r));
            assert_eq!(
                got,
                want,
                "{:?} {:?}",
                String::from_utf8_lossy(min),
                String::from_utf8_lossy(max)
            );
        }
    }

    #[test]
    fn mixed_score_lex_on_listpack_matches_redis() {
        // redis-server 7.0.15: ZADD mx 1 c 2 a 3 b 4 d (listpack), then lex queries, which scan
        // the listpack from its head.
        let limits = ZSetLimits::default();
        let build = || {
            let mut z = ZSet::new();
            for (s, m) in [(1.0, "c"), (2.0, "a"), (3.0, "b"), (4.0, "d")] {
                z.insert(m.as_bytes(), s, limits);
            }
            z
        };
        let z = build();
        let lex = |a: &[u8], b: &[u8]| {
            LexRange::parse(a, b).unwrap_or(LexRange {
                min: LexBound::PosInf,
                max: LexBound::NegInf,
            })
        };
        assert_eq!(z.lex_count(&lex(b"[b", b"+")), 4);
        assert_eq!(z.lex_count(&lex(b"-", b"(b")), 0);
        assert_eq!(z.lex_count(&lex(b"[a", b"[c")), 3);
        let names = |it: &mut dyn Iterator<Item = (&[u8], f64)>| {
            it.map(|(m, _)| String::from_utf8_lossy(m).into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&mut z.range_by_lex(&lex(b"[b", b"+"), false, 0, -1)),
            ["c", "a", "b", "d"]
        );
        assert_eq!(
            names(&mut z.range_by_lex(&lex(b"[b", b"+"), true, 0, -1)),
            ["d", "b"]
        );
        assert!(names(&mut z.range_by_lex(&lex(b"-", b"(c"), true, 0, -1)).is_empty());
        assert!(names(&mut z.range_by_lex(&lex(b"-", b"(b"), false, 0, -1)).is_empty());
        let mut z = build();
        assert_eq!(z.remove_range_by_lex(&lex(b"[b", b"[c")), 3);
        assert_eq!(names(&mut z.iter()), ["d"]);
    }

    /// Commands run against redis-server 7.0.15 (default listpack limits, keys start empty) and
    /// the reply it gave, rendered as `:n`, `$text`, `$-1`, `[a,b]`, `-ERR …`. Generated by a
    /// seeded script over a small listpack key `lp`, a key `sl` that grows into a skiplist, and a
    /// same-score key `lex`.
    const REDIS_SCRIPT: &[(&str, &str)] = &[
        ("ZSCORE sl m370", "$-1"),
        ("ZREM sl m272", ":0"),
        ("ZADD lex 5 m22", ":1"),
        ("ZREM lp m19", ":0"),
        ("ZCOUNT sl 1.5 (1", ":0"),
        ("ZREVRANGEBYLEX lp [m2 [a", "[]"),
        ("ZADD sl 0.1 m213", ":1"),
        ("ZADD sl 1e3 m63", ":1"),
        ("ZADD sl 3 m380", ":1"),
        ("ZADD sl 2 m390", ":1"),
        ("ZADD sl -0 m199", ":1"),
        ("ZADD sl -0 m176", ":1"),
        ("ZADD sl 7 m102", ":1"),
        ("ZADD sl -0 m218", ":1"),
        ("ZADD sl 10 m162", ":1"),
        ("ZADD sl -inf m109", ":1"),
        ("ZADD sl 1.5e-5 m208", ":1"),
        ("ZADD sl 2.5 m104", ":1"),
        ("ZADD sl 0 m383", ":1"),
        ("ZADD sl 2.5 m390", ":0"),
        ("ZADD sl 0 m132", ":1"),
        ("ZADD sl -7.5 m258", ":1"),
        ("ZADD sl -0 m395", ":1"),
        ("ZADD sl -inf m361", ":1"),
        ("ZADD sl 10 m314", ":1"),
        ("ZADD sl 1 m169", ":1"),
        ("ZADD sl -7.5 m334", ":1"),
        ("ZADD sl -inf m399", ":1"),
        ("ZADD sl 2.5 m120", ":1"),
        ("ZADD sl 1e3 m187", ":1"),
        ("ZADD sl 2 m103", ":1"),
        ("ZADD sl -0 m252", ":1"),
        ("ZADD sl -inf m321", ":1"),
        ("ZADD sl 2 m134", ":1"),
        ("ZADD sl 10 m319", ":1"),
        ("ZADD sl -0 m171", ":1"),
        ("ZADD sl 3 m364", ":1"),
        ("ZADD sl 1e3 m86", ":1"),
        ("ZADD sl 0.1 m356", ":1"),
        ("ZADD sl 7 m67", ":1"),
        ("ZADD sl -0 m105", ":1"),
        ("ZADD sl -inf m351", ":1"),
        ("ZADD sl 1 m50", ":1"),
        ("ZADD sl -7.5 m88", ":1"),
        ("ZADD sl 0 m77", ":1"),
        ("ZADD sl 1e3 m360", ":1"),
        ("ZADD lp 1 m12", ":1"),
        ("ZREVRANGE lp 7 -4 WITHSCORES", "[]"),
        ("ZPOPMIN lex", "[m22,5]"),
        ("ZREMRANGEBYSCORE sl -1 (inf", ":31"),
        ("ZADD sl inf m51", ":1"),
        ("ZRANK lp m11", "$-1"),
        ("ZCARD lp", ":1"),
        ("ZADD lp -inf abc", ":1"),
        ("ZCOUNT lp 2 (-inf", ":0"),
        ("ZADD lp -7.5 m13", ":1"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZADD lp 2.5 m31", ":1"),
        ("ZREVRANGEBYSCORE lp -inf (1 WITHSCORES", "[]"),
        ("ZCOUNT lp 2 (3", ":1"),
        ("ZADD sl 0 m62", ":1"),
        ("ZADD lp 0 m6", ":1"),
        ("ZRANGEBYSCORE lp 3) +inf WITHSCORES LIMIT 1 5", "-ERR min or max is not a float"),
        ("ZRANGEBYSCORE lp 1e400 3)", "-ERR min or max is not a float"),
        ("ZADD lp 2 m19", ":1"),
        ("ZREM lp m22", ":0"),
        ("ZINCRBY lp 1 m21", "$1"),
        ("ZLEXCOUNT lp +x m3", "-ERR min or max not valid string range item"),
        ("ZLEXCOUNT lp [a [m39", ":2"),
        ("ZCOUNT lp ( (-0", ":0"),
        ("ZADD sl inf m130", ":1"),
        ("ZLEXCOUNT lp (ab (m1", ":1"),
        ("ZREMRANGEBYRANK lex -5 -4", ":0"),
        ("ZADD sl -1 m129", ":1"),
        ("ZRANK sl m222", "$-1"),
        ("ZADD sl 2 m19", ":1"),
        ("ZADD sl 7 m62", ":0"),
        ("ZADD sl 1 m186", ":1"),
        ("ZADD sl 10 m325", ":1"),
        ("ZADD sl 2 m258", ":0"),
        ("ZADD sl 3 m48", ":1"),
        ("ZADD sl 0 m337", ":1"),
        ("ZADD sl 10 m13", ":1"),
        ("ZADD sl 7 m139", ":1"),
        ("ZADD sl 2.5 m60", ":1"),
        ("ZADD sl -0 m278", ":1"),
        ("ZADD sl -7.5 m290", ":1"),
        ("ZADD sl 2 m108", ":1"),
        ("ZADD sl -inf m298", ":1"),
        ("ZADD sl 1 m220", ":1"),
        ("ZADD sl 1 m306", ":1"),
        ("ZADD sl 3 m357", ":1"),
        ("ZADD sl -1 m222", ":1"),
        ("ZADD sl inf m81", ":1"),
        ("ZADD sl 7 m118", ":1"),
        ("ZADD sl 0 m263", ":1"),
        ("ZADD sl 1 m101", ":1"),
        ("ZADD sl 10 m274", ":1"),
        ("ZADD sl -inf m208", ":1"),
        ("ZADD sl 1e3 m293", ":1"),
        ("ZADD sl 7 m88", ":0"),
        ("ZADD sl -7.5 m330", ":1"),
        ("ZADD sl 1.5e-5 m126", ":1"),
        ("ZADD sl inf m391", ":1"),
        ("ZADD sl -1 m141", ":1"),
        ("ZADD sl -inf m182", ":1"),
        ("ZADD sl 1e3 m326", ":1"),
        ("ZADD sl 1 m207", ":1"),
        ("ZADD sl 10 m389", ":1"),
        ("ZADD sl -1 m162", ":1"),
        ("ZADD sl inf m267", ":1"),
        ("ZADD sl 2.5 m121", ":1"),
        ("ZADD sl -7.5 m399", ":0"),
        ("ZADD sl 7 m183", ":1"),
        ("ZADD sl 2.5 m215", ":1"),
        ("ZREVRANGE sl 9 9", "[m274]"),
        ("ZRANK lp m24", "$-1"),
        ("ZREMRANGEBYRANK lp -2 0", ":0"),
        ("ZCARD sl", ":48"),
        ("ZADD lp 7 m5", ":1"),
        ("ZCARD lex", ":0"),
        ("ZREVRANGEBYSCORE sl (-inf 1.5 WITHSCORES LIMIT 2 3", "[]"),
        ("ZADD lex 5 b0", ":1"),
        ("ZADD lp 1 m27", ":1"),
        ("ZREVRANGEBYSCORE lp (1 3)", "-ERR min or max is not a float"),
        ("ZLEXCOUNT lp m3 (m25", "-ERR min or max not valid string range item"),
        ("ZADD lex 5 m17", ":1"),
        ("ZADD lp 1 m37", ":1"),
        ("ZADD lex 5 m37", ":1"),
        ("ZREMRANGEBYSCORE lp (-inf 3)", "-ERR min or max is not a float"),
        ("ZADD sl 0.1 m70", ":1"),
        ("ZREMRANGEBYRANK lex 4 -5", ":0"),
        ("ZADD sl 10 m168", ":1"),
        ("ZADD sl 0.1 m358", ":1"),
        ("ZADD sl -0 m280", ":1"),
        ("ZADD sl -7.5 m384", ":1"),
        ("ZADD sl 2.5 m10", ":1"),
        ("ZADD sl -inf m142", ":1"),
        ("ZADD sl 10 m71", ":1"),
        ("ZADD sl -inf m136", ":1"),
        ("ZADD sl 2 m259", ":1"),
        ("ZADD sl 7 m131", ":1"),
        ("ZADD sl 2.5 m280", ":0"),
        ("ZADD sl 2 m359", ":1"),
        ("ZADD sl 10 m379", ":1"),
        ("ZADD sl inf m97", ":1"),
        ("ZADD sl 2 m66", ":1"),
        ("ZADD sl 0.1 m354", ":1"),
        ("ZADD sl 2.5 m129", ":0"),
        ("ZADD sl 0 m326", ":0"),
        ("ZADD sl -inf m347", ":1"),
        ("ZADD sl 1 m216", ":1"),
        ("ZADD sl inf m215", ":0"),
        ("ZADD sl 0 m243", ":1"),
        ("ZADD sl 2 m141", ":0"),
        ("ZADD sl 3 m184", ":1"),
        ("ZADD sl 1e3 m177", ":1"),
        ("ZADD sl -1 m246", ":1"),
        ("ZADD sl 1.5e-5 m346", ":1"),
        ("ZADD sl -inf m229", ":1"),
        ("ZADD sl 1.5e-5 m282", ":1"),
        ("ZADD sl 0.1 m16", ":1"),
        ("ZADD sl 0.1 m145", ":1"),
        ("ZADD sl 2 m196", ":1"),
        ("ZADD sl 0.1 m253", ":1"),
        ("ZADD sl 0.1 m184", ":0"),
        ("ZADD sl inf m248", ":1"),
        ("ZADD sl -0 m80", ":1"),
        ("ZADD sl 1 m259", ":0"),
        ("ZADD sl 3 m282", ":0"),
        ("ZADD sl -1 m100", ":1"),
        ("ZADD sl 2 m225", ":1"),
        ("ZSCORE lp m10", "$-1"),
        ("ZADD lp -1 ab", ":1"),
        ("ZREVRANGEBYLEX lp [m39 [a", "[m31,m19,m37,m27,m21,m12,m6,ab,m13,abc]"),
        ("ZLEXCOUNT lp (m +x", "-ERR min or max not valid string range item"),
        ("ZREVRANGEBYSCORE lex -1 3) WITHSCORES", "-ERR min or max is not a float"),
        ("ZRANK lp b", "$-1"),
        ("ZADD sl -0 m20", ":1"),
        ("ZADD sl 2 m318", ":1"),
        ("ZADD sl inf m276", ":1"),
        ("ZADD sl -1 m177", ":0"),
        ("ZADD sl -0 m77", ":1"),
        ("ZADD sl 0 m178", ":1"),
        ("ZADD sl 0 m317", ":1"),
        ("ZADD sl -0 m384", ":0"),
        ("ZADD sl -0 m100", ":0"),
        ("ZADD sl 2 m145", ":0"),
        ("ZADD sl 7 m232", ":1"),
        ("ZADD sl inf m25", ":1"),
        ("ZADD sl 2 m51", ":0"),
        ("ZADD sl 7 m247", ":1"),
        ("ZADD sl 0.1 m134", ":1"),
        ("ZADD sl 10 m27", ":1"),
        ("ZADD sl 10 m102", ":1"),
        ("ZADD sl 0.1 m68", ":1"),
        ("ZADD sl 2 m186", ":0"),
        ("ZADD sl 0 m231", ":1"),
        ("ZADD sl -0 m384", ":0"),
        ("ZADD sl 10 m126", ":0"),
        ("ZADD sl 1 m175", ":1"),
        ("ZADD sl -7.5 m312", ":1"),
        ("ZADD sl 1e3 m167", ":1"),
        ("ZADD sl 0 m376", ":1"),
        ("ZADD sl 0.1 m304", ":1"),
        ("ZADD sl -7.5 m266", ":1"),
        ("ZADD sl 10 m366", ":1"),
        ("ZADD sl 0.1 m396", ":1"),
        ("ZADD sl 1e3 m103", ":1"),
        ("ZADD sl 2 m59", ":1"),
        ("ZADD sl inf m347", ":0"),
        ("ZADD sl 1.5e-5 m209", ":1"),
        ("ZADD sl 1e3 m202", ":1"),
        ("ZADD sl 1e3 m231", ":0"),
        ("ZADD sl 3 m113", ":1"),
        ("ZADD sl 1.5e-5 m22", ":1"),
        ("ZADD sl -7.5 m357", ":0"),
        ("ZADD sl 1e3 m337", ":0"),
        ("ZREVRANGEBYSCORE lp (inf 2", "[m5,m31,m19]"),
        ("ZADD lex 5 m38", ":1"),
        ("ZRANGEBYSCORE sl ( 1e400 WITHSCORES LIMIT 0 6", "[m209,1.5e-05,m22,1.5e-05,m346,1.5e-05,m134,0.10000000000000001,m16,0.10000000000000001,m184,0.10000000000000001]"),
        ("OBJECT ENCODING lex", "$listpack"),
        ("ZADD lp 2.5 m0", ":1"),
        ("ZRANGE sl -9 -2 WITHSCORES", "[m215,inf,m248,inf,m25,inf,m267,inf,m276,inf,m347,inf,m391,inf,m81,inf]"),
        ("ZADD sl 7 m38", ":1"),
        ("ZADD lp -1 m22", ":1"),
        ("ZADD sl inf m87", ":1"),
        ("ZADD sl 7 m6", ":1"),
        ("ZREVRANGE lex 7 12 WITHSCORES", "[]"),
        ("ZADD lp 7 m22", ":0"),
        ("ZADD lp 1e3 m15", ":1"),
        ("ZREM lp m9", ":0"),
        ("ZADD lp -inf m7", ":1"),
        ("ZINCRBY lp 2.5 m0", "$5"),
        ("ZREVRANGE lp -6 10 WITHSCORES", "[m12,1,m6,0]"),
        ("ZREVRANK lex m37", ":1"),
        ("ZADD lex 5 m33", ":1"),
        ("ZRANGE sl -5 -1", "[m347,m391,m81,m87,m97]"),
        ("ZADD lp 3 m1x", ":1"),
        ("ZADD lex 5 abc", ":1"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZLEXCOUNT lex (m25 (", ":0"),
        ("ZREM lp m1x", ":1"),
        ("ZADD sl -inf m75", ":1"),
        ("ZADD sl 1 m177", ":0"),
        ("ZSCORE lp m33", "$-1"),
        ("ZADD lex 5 m6", ":1"),
        ("ZRANGEBYSCORE lex abc 3)", "-ERR min or max is not a float"),
        ("ZREVRANK sl m268", "$-1"),
        ("ZADD lp 2.5 m39", ":1"),
        ("ZRANGE lex 4 2", "[]"),
        ("ZREM sl m380", ":0"),
        ("ZADD sl 2.5 m112", ":1"),
        ("ZADD sl -inf m330", ":0"),
        ("ZADD sl 0.1 m295", ":1"),
        ("ZADD sl 10 m321", ":0"),
        ("ZADD sl 7 m236", ":1"),
        ("ZADD sl -0 m265", ":1"),
        ("ZADD sl 1.5e-5 m357", ":0"),
        ("ZADD sl 1 m235", ":1"),
        ("ZADD sl 0.1 m267", ":0"),
        ("ZADD sl 1.5e-5 m153", ":1"),
        ("ZADD sl -0 m8", ":1"),
        ("ZADD sl -inf m102", ":0"),
        ("ZADD sl 3 m243", ":0"),
        ("ZADD sl 2.5 m329", ":1"),
        ("ZADD sl -1 m224", ":1"),
        ("ZADD sl 10 m263", ":0"),
        ("ZADD sl 1 m74", ":1"),
        ("ZADD sl 1e3 m333", ":1"),
        ("ZADD sl inf m214", ":1"),
        ("ZADD sl -1 m138", ":1"),
        ("ZADD sl inf m368", ":1"),
        ("ZADD sl -0 m46", ":1"),
        ("ZADD sl 2 m96", ":1"),
        ("ZADD sl 1 m276", ":0"),
        ("ZADD sl 0.1 m281", ":1"),
        ("ZADD sl 0 m303", ":1"),
        ("ZADD sl 0.1 m254", ":1"),
        ("ZADD sl 0.1 m111", ":1"),
        ("ZADD sl -7.5 m329", ":0"),
        ("ZADD sl 3 m83", ":1"),
        ("ZADD sl 2 m42", ":1"),
        ("ZADD sl -1 m204", ":1"),
        ("ZADD sl 2 m387", ":1"),
        ("ZADD sl inf m164", ":1"),
        ("ZADD sl -1 m371", ":1"),
        ("ZADD sl -0 m337", ":0"),
        ("ZADD sl 3 m174", ":1"),
        ("ZADD sl 1e3 m95", ":1"),
        ("ZADD sl 1e3 m123", ":1"),
        ("ZADD sl 7 m199", ":1"),
        ("ZINCRBY lp 0 m26", "$0"),
        ("ZADD lp -7.5 m2", ":1"),
        ("ZREMRANGEBYSCORE lp 3) (2.5", "-ERR min or max is not a float"),
        ("ZREVRANGEBYSCORE lp -inf 2 WITHSCORES LIMIT 0 6", "[]"),
        ("ZSCORE lex m0", "$-1"),
        ("ZADD sl 10 m392", ":1"),
        ("ZADD lp 1 m10", ":1"),
        ("ZCARD lex", ":7"),
        ("ZREM lex m34", ":0"),
        ("ZADD lex 5 m9", ":1"),
        ("ZADD lp -7.5 m10", ":0"),
        ("ZLEXCOUNT lp [ +x", "-ERR min or max not valid string range item"),
        ("ZREMRANGEBYLEX lex (m25 [", ":0"),
        ("ZREVRANGE lp 9 10 WITHSCORES", "[m21,1,m12,1]"),
        ("ZADD lp -1 m7", ":0"),
        ("ZREVRANGEBYLEX lp (m m3", "-ERR min or max not valid string range item"),
        ("ZADD lp -1 m13", ":0"),
        ("ZRANGEBYLEX lex - (ab LIMIT 0 5", "[]"),
        ("ZADD lex 5 m33", ":0"),
        ("ZREMRANGEBYLEX lp +x [", "-ERR min or max not valid string range item"),
        ("ZADD lp 1e3 b", ":1"),
        ("ZREM lex m25", ":0"),
        ("ZADD lp -0 ab", ":0"),
        ("ZRANGEBYLEX sl (m1 [ LIMIT 0 -2", "[]"),
        ("ZREM lp abc", ":1"),
        ("ZREM lp m3", ":0"),
        ("ZREM lp b0", ":0"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZADD sl 2 m156", ":1"),
        ("ZREVRANGEBYLEX lex m3 m3 LIMIT -1 -2", "-ERR min or max not valid string range item"),
        ("ZADD lex 5 m3", ":1"),
        ("ZPOPMIN lp", "[m10,-7.5]"),
        ("ZCARD lp", ":18"),
        ("ZCOUNT lp (1 2", ":1"),
        ("ZADD lex 5 z", ":1"),
        ("ZADD sl 7 m147", ":1"),
        ("ZRANGE lp 5 -9 WITHSCORES", "[m6,0,m12,1,m21,1,m27,1,m37,1]"),
        ("ZRANGEBYLEX lex + [m1 LIMIT -1 -1", "[]"),
        ("ZADD sl 7 m320", ":1"),
        ("ZADD lp 7 m36", ":1"),
        ("ZREMRANGEBYRANK lex 2 6", ":5"),
        ("ZPOPMAX lp", "[m15,1000]"),
        ("ZSCORE lex m24", "$-1"),
        ("ZREM lp m12", ":1"),
        ("ZREVRANGE lp 8 12", "[m37,m27,m21,m6,m26]"),
        ("ZADD lp 0 m18", ":1"),
        ("ZCARD sl", ":147"),
        ("ZREM lp m28", ":0"),
        ("ZREM lp m36", ":1"),
        ("ZRANGEBYSCORE lp 0 -1 WITHSCORES LIMIT 0 5", "[]"),
        ("ZADD sl 3 m268", ":1"),
        ("ZADD lex 5 m17", ":1"),
        ("ZADD lex 5 m13", ":1"),
        ("ZREMRANGEBYLEX lp (m10 +", ":0"),
        ("ZRANGE lp 0 7", "[m2,m13,m7,ab,m18,m26,m6,m21]"),
        ("ZLEXCOUNT lex (ab (m25", ":4"),
        ("ZADD lex 5 m27", ":1"),
        ("ZADD lex 5 m2", ":1"),
        ("ZADD lex 5 m22", ":1"),
        ("ZRANGEBYSCORE lex ( +inf", "[abc,b0,m13,m17,m2,m22,m27,m6,m9,z]"),
        ("OBJECT ENCODING lex", "$listpack"),
        ("ZADD sl 3 m284", ":1"),
        ("ZADD lex 5 b0", ":0"),
        ("ZADD lp 1.5e-5 m19", ":0"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZADD sl 3 m217", ":1"),
        ("ZADD sl 1e3 m47", ":1"),
        ("ZADD sl -1 m392", ":0"),
        ("ZADD sl 0.1 m236", ":0"),
        ("ZADD sl -0 m207", ":0"),
        ("ZADD sl 0 m44", ":1"),
        ("ZADD sl 0 m231", ":0"),
        ("ZADD sl 7 m312", ":0"),
        ("ZADD sl -0 m245", ":1"),
        ("ZADD sl 7 m108", ":0"),
        ("ZADD sl 0 m33", ":1"),
        ("ZADD sl 1 m47", ":0"),
        ("ZADD sl 0 m178", ":0"),
        ("ZADD sl 3 m336", ":1"),
        ("ZADD sl -7.5 m171", ":1"),
        ("ZADD sl inf m339", ":1"),
        ("ZADD sl 0.1 m123", ":0"),
        ("ZADD sl 1 m17", ":1"),
        ("ZADD sl -7.5 m1", ":1"),
        ("ZADD sl 1.5e-5 m39", ":1"),
        ("ZADD sl 3 m36", ":1"),
        ("ZADD sl 1 m395", ":1"),
        ("ZADD sl -0 m15", ":1"),
        ("ZADD sl -inf m26", ":1"),
        ("ZADD sl 2.5 m302", ":1"),
        ("ZADD sl -1 m141", ":0"),
        ("ZADD sl 0 m378", ":1"),
        ("ZADD sl 10 m244", ":1"),
        ("ZADD sl 1.5e-5 m49", ":1"),
        ("ZADD sl 0.1 m277", ":1"),
        ("ZADD sl 10 m240", ":1"),
        ("ZADD sl -0 m368", ":0"),
        ("ZADD sl 7 m187", ":1"),
        ("ZADD sl 2.5 m236", ":0"),
        ("ZADD sl 1.5e-5 m211", ":1"),
        ("ZADD sl 0.1 m49", ":0"),
        ("ZADD sl 1e3 m45", ":1"),
        ("ZADD sl 7 m322", ":1"),
        ("ZADD sl 0 m241", ":1"),
        ("ZADD sl 7 m56", ":1"),
        ("ZINCRBY lp 2 abc", "$2"),
        ("ZLEXCOUNT lp [a [m1", ":0"),
        ("ZREM lp m10", ":0"),
        ("ZREM lp m28", ":0"),
        ("ZRANGE lex -1 -1 WITHSCORES", "[z,5]"),
        ("ZREM lp m31", ":1"),
        ("ZLEXCOUNT lp - [m2", ":2"),
        ("ZRANGEBYSCORE sl 1.5 (inf WITHSCORES", "[m145,2,m156,2,m186,2,m19,2,m196,2,m225,2,m258,2,m318,2,m359,2,m387,2,m42,2,m51,2,m59,2,m66,2,m96,2,m10,2.5,m112,2.5,m121,2.5,m129,2.5,m236,2.5,m280,2.5,m302,2.5,m60,2.5,m113,3,m174,3,m217,3,m243,3,m268,3,m282,3,m284,3,m336,3,m36,3,m48,3,m83,3,m108,7,m118,7,m131,7,m139,7,m147,7,m183,7,m187,7,m199,7,m232,7,m247,7,m312,7,m320,7,m322,7,m38,7,m56,7,m6,7,m62,7,m88,7,m126,10,m13,10,m168,10,m240,10,m244,10,m263,10,m27,10,m274,10,m321,10,m325,10,m366,10,m379,10,m389,10,m71,10,m103,1000,m167,1000,m202,1000,m293,1000,m333,1000,m45,1000,m95,1000]"),
        ("OBJECT ENCODING sl", "$skiplist"),
        ("ZADD lp 1 m33", ":1"),
        ("ZREM sl m270", ":0"),
        ("ZREM lp m7", ":1"),
        ("ZADD lex 5 m2", ":0"),
        ("ZREVRANGEBYSCORE lex (-0 (2.5 LIMIT 5 -2", "[]"),
        ("ZADD sl -7.5 m229", ":0"),
        ("ZINCRBY sl -7.5 m222", "$-8.5"),
        ("ZADD lex 5 m24", ":1"),
        ("ZINCRBY sl 1.5e-5 m60", "$2.5000149999999999"),
        ("ZRANGEBYLEX lex [ [a", "[]"),
        ("ZREMRANGEBYSCORE sl +inf (2.5", ":0"),
        ("ZREVRANGEBYLEX lp (ab [", "[]"),
        ("ZADD lp 1e3 m13", ":0"),
        ("ZADD sl 2.5 m127", ":1"),
        ("ZADD sl 10 m160", ":1"),
        ("ZADD sl -0 m19", ":0"),
        ("ZADD sl 1e3 m251", ":1"),
        ("ZADD sl inf m356", ":1"),
        ("ZADD sl 1e3 m200", ":1"),
        ("ZADD sl 0 m76", ":1"),
        ("ZADD sl 1.5e-5 m125", ":1"),
        ("ZADD sl 3 m5", ":1"),
        ("ZADD sl 1e3 m186", ":0"),
        ("ZADD sl -inf m94", ":1"),
        ("ZADD sl -1 m27", ":0"),
        ("ZADD sl -inf m176", ":1"),
        ("ZADD sl -7.5 m356", ":0"),
        ("ZADD sl -1 m143", ":1"),
        ("ZADD sl 2 m92", ":1"),
        ("ZADD sl -0 m185", ":1"),
        ("ZADD sl 0.1 m107", ":1"),
        ("ZADD sl 3 m81", ":0"),
        ("ZADD sl 1.5e-5 m240", ":0"),
        ("ZADD sl 0.1 m301", ":1"),
        ("ZADD sl 0 m41", ":1"),
        ("ZADD sl -inf m52", ":1"),
        ("ZADD sl 1 m49", ":0"),
        ("ZADD sl -0 m327", ":1"),
        ("ZADD sl -0 m234", ":1"),
        ("ZADD sl -7.5 m382", ":1"),
        ("ZADD sl 1e3 m61", ":1"),
        ("ZADD sl 1.5e-5 m185", ":0"),
        ("ZADD sl -1 m76", ":0"),
        ("ZADD sl 10 m223", ":1"),
        ("ZADD sl -inf m21", ":1"),
        ("ZADD sl 2 m258", ":0"),
        ("ZADD sl -inf m306", ":0"),
        ("ZADD sl -inf m40", ":1"),
        ("ZADD sl -inf m341", ":1"),
        ("ZADD sl -7.5 m172", ":1"),
        ("ZADD sl 3 m284", ":0"),
        ("ZADD sl -0 m339", ":0"),
        ("ZADD sl 0 m110", ":1"),
        ("ZADD lp 1 m11", ":1"),
        ("ZREVRANK lex m19", "$-1"),
        ("ZRANGEBYLEX lp [z [m1 LIMIT 4 3", "[]"),
        ("ZRANGEBYLEX sl + [m1", "[]"),
        ("ZREVRANGEBYLEX lp [m1 [m2 LIMIT 2 5", "[]"),
        ("ZADD lp -7.5 m23", ":1"),
        ("ZRANGE lp -3 -10 WITHSCORES", "[]"),
        ("ZADD lex 5 m38", ":1"),
        ("ZRANGEBYLEX sl - (m", "[]"),
        ("ZADD lp 0.1 m18", ":0"),
        ("ZREMRANGEBYSCORE lp abc (1", "-ERR min or max is not a float"),
        ("ZCARD sl", ":203"),
        ("ZLEXCOUNT lp + (", ":0"),
        ("ZADD sl -inf m206", ":1"),
        ("ZADD sl 10 m308", ":1"),
        ("ZADD sl 7 m19", ":0"),
        ("ZADD sl 1.5e-5 m266", ":0"),
        ("ZADD sl 2 m156", ":0"),
        ("ZADD sl 0.1 m318", ":0"),
        ("ZADD sl 7 m9", ":1"),
        ("ZADD sl 0.1 m272", ":1"),
        ("ZADD sl 1e3 m359", ":0"),
        ("ZADD sl 1.5e-5 m353", ":1"),
        ("ZADD sl 3 m64", ":1"),
        ("ZADD sl 10 m316", ":1"),
        ("ZADD sl 1e3 m234", ":0"),
        ("ZADD sl inf m285", ":1"),
        ("ZADD sl 1e3 m74", ":0"),
        ("ZADD sl inf m59", ":0"),
        ("ZADD sl -0 m135", ":1"),
        ("ZADD sl -7.5 m20", ":0"),
        ("ZADD sl 2.5 m285", ":0"),
        ("ZADD sl 1 m99", ":1"),
        ("ZADD sl 7 m378", ":0"),
        ("ZADD sl 10 m323", ":1"),
        ("ZADD sl -0 m284", ":0"),
        ("ZADD sl 10 m364", ":1"),
        ("ZADD sl 1.5e-5 m1", ":0"),
        ("ZADD sl 0 m363", ":1"),
        ("ZADD sl 1 m200", ":0"),
        ("ZADD sl -7.5 m389", ":0"),
        ("ZADD sl -1 m177", ":0"),
        ("ZADD sl 1.5e-5 m244", ":0"),
        ("ZADD sl 2 m399", ":0"),
        ("ZADD sl 1.5e-5 m125", ":0"),
        ("ZADD sl inf m390", ":1"),
        ("ZADD sl -1 m396", ":0"),
        ("ZADD sl -7.5 m98", ":1"),
        ("ZADD sl -inf m396", ":0"),
        ("ZADD sl 10 m338", ":1"),
        ("ZADD sl 0 m223", ":0"),
        ("ZADD sl 0.1 m74", ":0"),
        ("ZADD sl -inf m53", ":1"),
        ("ZADD sl 0.1 m117", ":1"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZCARD lp", ":19"),
        ("ZADD lp 3 a", ":1"),
        ("ZADD lex 5 m20", ":1"),
        ("ZADD sl 2.5 m120", ":1"),
        ("ZREVRANK lex m13", ":10"),
        ("ZADD sl 7 m335", ":1"),
        ("ZADD lp 1 m5", ":0"),
        ("ZCOUNT lex (1 (", ":0"),
        ("ZREMRANGEBYSCORE sl -inf 2", ":137"),
        ("ZADD lex 5 b", ":1"),
        ("ZLEXCOUNT lp [m2 [a", ":0"),
        ("ZREM sl m121", ":1"),
        ("ZADD lp -7.5 m20", ":1"),
        ("ZCOUNT sl 0x2 (2.5", ":0"),
        ("ZADD lex 5 ab", ":1"),
        ("ZADD sl 2.5 m129", ":0"),
        ("ZADD lex 5 m17", ":0"),
        ("ZADD lp 0 m35", ":1"),
        ("ZINCRBY lp 1 m11", "$2"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZADD lp 10 m6", ":0"),
        ("ZRANGEBYSCORE sl 0 (3 LIMIT 1 3", "[m112,m120,m127]"),
        ("ZCARD lp", ":22"),
        ("ZCOUNT lp (inf 2", ":0"),
        ("ZSCORE lex m26", "$-1"),
        ("ZREVRANGEBYSCORE sl 2 abc LIMIT 4 5", "-ERR min or max is not a float"),
        ("ZINCRBY lp -inf m6", "$-inf"),
        ("ZADD lp 7 m34", ":1"),
        ("ZADD lp 1e3 m7", ":1"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZREM lp m23", ":1"),
        ("ZREM lp m39", ":1"),
        ("ZCOUNT lp (2.5 -inf", ":0"),
        ("ZCOUNT lp +inf (2.5", ":0"),
        ("ZREMRANGEBYRANK lp 1 1", ":1"),
        ("ZADD sl 1 m362", ":1"),
        ("ZRANGE lex -5 4", "[]"),
        ("ZRANGEBYLEX lex [z -", "[]"),
        ("ZADD lp 1e3 m7", ":0"),
        ("ZADD lp inf m12", ":1"),
        ("ZREMRANGEBYLEX lp (m25 [b", ":0"),
        ("ZADD lp -1 b0", ":1"),
        ("ZREM lp z", ":0"),
        ("ZADD lp 3 m26", ":0"),
        ("ZADD lp 3 m25", ":1"),
        ("ZRANGE lex -7 -10", "[]"),
        ("ZINCRBY lp 2 m29", "$2"),
        ("ZADD lp 1.5e-5 m10", ":1"),
        ("ZADD lp 3 m1x", ":1"),
        ("ZADD lex 5 m11", ":1"),
        ("ZRANK lp m18", ":7"),
        ("ZADD lp 3 m33", ":0"),
        ("ZREVRANK lp m16", "$-1"),
        ("ZADD lp 3 b", ":0"),
        ("ZREVRANK lex m6", ":2"),
        ("ZRANGE lp 1 11 WITHSCORES", "[m20,-7.5,b0,-1,ab,0,m35,0,m10,1.5e-05,m19,1.5e-05,m18,0.10000000000000001,m21,1,m27,1,m37,1,m5,1]"),
        ("ZREVRANGEBYSCORE lp 1 -inf LIMIT -1 5", "[]"),
        ("ZADD sl 2.5 m39", ":1"),
        ("ZADD lex 5 m3", ":1"),
        ("ZCOUNT lex ( 1", ":0"),
        ("ZADD lp 3 m20", ":0"),
        ("ZRANGE lp 7 -10 WITHSCORES", "[m21,1,m27,1,m37,1,m5,1,abc,2,m11,2,m29,2,a,3,b,3,m1x,3,m20,3]"),
        ("ZREVRANGEBYSCORE lex 1 (inf WITHSCORES", "[]"),
        ("ZLEXCOUNT lex [m1 [m1", ":0"),
        ("ZADD sl -7.5 m145", ":1"),
        ("ZADD sl -7.5 m74", ":1"),
        ("ZADD sl inf m145", ":0"),
        ("ZADD sl 3 m282", ":0"),
        ("ZADD sl -inf m205", ":1"),
        ("ZADD sl inf m157", ":1"),
        ("ZADD sl 7 m60", ":0"),
        ("ZADD sl 10 m118", ":0"),
        ("ZADD sl 1.5e-5 m204", ":1"),
        ("ZADD sl 1 m76", ":1"),
        ("ZADD sl -7.5 m331", ":1"),
        ("ZADD sl 1e3 m263", ":0"),
        ("ZADD sl 1e3 m132", ":1"),
        ("ZADD sl inf m100", ":1"),
        ("ZADD sl 3 m381", ":1"),
        ("ZADD sl -1 m391", ":0"),
        ("ZADD sl 1 m65", ":1"),
        ("ZADD sl -inf m325", ":0"),
        ("ZADD sl inf m284", ":1"),
        ("ZADD sl -inf m283", ":1"),
        ("ZADD sl 2 m4", ":1"),
        ("ZADD sl -7.5 m279", ":1"),
        ("ZADD sl 7 m119", ":1"),
        ("ZADD sl 0.1 m336", ":0"),
        ("ZADD sl 7 m93", ":1"),
        ("ZADD sl 3 m149", ":1"),
        ("ZADD sl 7 m254", ":1"),
        ("ZADD sl 10 m87", ":0"),
        ("ZADD sl 1e3 m370", ":1"),
        ("ZADD sl 1.5e-5 m375", ":1"),
        ("ZADD sl 1.5e-5 m390", ":0"),
        ("ZADD sl 0 m62", ":0"),
        ("ZADD sl -0 m322", ":0"),
        ("ZADD sl 1 m161", ":1"),
        ("ZADD sl inf m336", ":0"),
        ("ZADD sl 2.5 m398", ":1"),
        ("ZADD sl 0.1 m346", ":1"),
        ("ZADD sl 1.5e-5 m185", ":1"),
        ("ZADD sl 1.5e-5 m76", ":0"),
        ("ZADD sl 0 m108", ":0"),
        ("ZCOUNT lex ( 0", ":0"),
        ("ZADD lp -0 m36", ":1"),
        ("ZADD lex 5 m21", ":1"),
        ("ZADD lex 5 m13", ":0"),
        ("ZREVRANGE lp -12 8 WITHSCORES", "[]"),
        ("ZADD lp inf m10", ":0"),
        ("ZREVRANGEBYSCORE lex (1 1e400 LIMIT -1 -2", "[]"),
        ("ZADD sl 1.5e-5 m125", ":1"),
        ("ZPOPMAX sl", "[m97,inf]"),
        ("ZREM lp m22", ":1"),
        ("ZREVRANGEBYLEX lp (m10 (", "[]"),
        ("ZRANGEBYLEX lex + [m2", "[]"),
        ("ZADD sl 10 m104", ":1"),
        ("ZCOUNT lp ( 1", ":6"),
        ("ZREMRANGEBYSCORE lp (3 -1", ":0"),
        ("OBJECT ENCODING lex", "$listpack"),
        ("ZCOUNT lex ( (3", ":0"),
        ("ZCOUNT sl 1 (1", ":0"),
        ("ZCOUNT lp 1 3)", "-ERR min or max is not a float"),
        ("ZADD sl 2.5 m38", ":0"),
        ("ZREVRANGEBYSCORE lp 0 3) WITHSCORES LIMIT 4 0", "-ERR min or max is not a float"),
        ("ZLEXCOUNT lp (m10 (m", ":0"),
        ("ZREVRANGE lex 9 0", "[]"),
        ("ZADD sl 1 m236", ":0"),
        ("ZPOPMIN lex", "[ab,5]"),
        ("ZADD sl 10 m304", ":1"),
        ("ZADD sl 0.1 m83", ":0"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZREM lp ab", ":1"),
        ("ZINCRBY lp 7 m34", "$14"),
        ("ZLEXCOUNT lex (m [b", ":0"),
        ("ZADD sl 1 m104", ":0"),
        ("ZADD sl 1 m365", ":1"),
        ("ZADD sl 1e3 m13", ":0"),
        ("ZADD sl inf m194", ":1"),
        ("ZADD sl 1 m134", ":1"),
        ("ZADD sl -7.5 m226", ":1"),
        ("ZADD sl -7.5 m175", ":1"),
        ("ZADD sl 1e3 m307", ":1"),
        ("ZADD sl 10 m229", ":1"),
        ("ZADD sl -1 m287", ":1"),
        ("ZADD sl 0 m308", ":0"),
        ("ZADD sl 2 m93", ":0"),
        ("ZADD sl 10 m299", ":1"),
        ("ZADD sl -inf m105", ":1"),
        ("ZADD sl 7 m316", ":0"),
        ("ZADD sl -7.5 m299", ":0"),
        ("ZADD sl 1e3 m122", ":1"),
        ("ZADD sl -inf m112", ":0"),
        ("ZADD sl 0 m385", ":1"),
        ("ZADD sl inf m41", ":1"),
        ("ZADD sl 7 m374", ":1"),
        ("ZADD sl 1e3 m377", ":1"),
        ("ZADD sl 0 m207", ":1"),
        ("ZADD sl 7 m337", ":1"),
        ("ZADD sl 3 m221", ":1"),
        ("ZADD sl 1e3 m315", ":1"),
        ("ZADD sl -inf m369", ":1"),
        ("ZADD sl -7.5 m115", ":1"),
        ("ZADD sl -7.5 m348", ":1"),
        ("ZADD sl 1e3 m270", ":1"),
        ("ZADD sl -7.5 m273", ":1"),
        ("ZADD sl -7.5 m330", ":1"),
        ("ZADD sl 1 m166", ":1"),
        ("ZADD sl 2 m226", ":0"),
        ("ZADD sl -7.5 m48", ":0"),
        ("ZADD sl inf m144", ":1"),
        ("ZADD sl 1 m200", ":1"),
        ("ZADD sl -7.5 m306", ":1"),
        ("ZADD sl 7 m122", ":0"),
        ("ZADD sl -0 m39", ":0"),
        ("ZPOPMIN lp", "[m6,-inf]"),
        ("ZREVRANGEBYLEX lp ( (", "[]"),
        ("ZADD lp inf m21", ":0"),
        ("ZREM lex m8", ":0"),
        ("ZREM lp m36", ":1"),
        ("ZREM sl m197", ":0"),
        ("OBJECT ENCODING sl", "$skiplist"),
        ("ZADD lp 1e3 m9", ":1"),
        ("ZCARD lp", ":25"),
        ("ZREMRANGEBYSCORE sl 0 0", ":7"),
        ("ZADD lex 5 m20", ":0"),
        ("ZADD lp 7 m29", ":0"),
        ("ZADD lex 5 m25", ":1"),
        ("ZREVRANGEBYSCORE lex 3) 3)", "-ERR min or max is not a float"),
        ("ZRANGEBYLEX lex (m10 [m1 LIMIT 4 4", "[]"),
        ("ZLEXCOUNT lp (m1 -", ":0"),
        ("ZADD sl -1 m189", ":1"),
        ("ZRANK sl m52", "$-1"),
        ("ZADD lp -1 m33", ":0"),
        ("ZADD lp 0.1 m30", ":1"),
        ("ZREMRANGEBYRANK lex 3 -5", ":11"),
        ("ZREM lp m15", ":0"),
        ("ZADD lp -1 m34", ":0"),
        ("ZADD lp 1e3 m1x", ":0"),
        ("ZREVRANGEBYSCORE sl 0x2 (-0 LIMIT -1 4", "[]"),
        ("ZADD sl inf m391", ":0"),
        ("ZLEXCOUNT lp [ [z", ":26"),
        ("ZPOPMIN lex", "[abc,5]"),
        ("OBJECT ENCODING lex", "$listpack"),
        ("ZADD lex 5 m2", ":1"),
        ("ZADD lp 1 m13", ":0"),
        ("ZREM lex abc", ":0"),
        ("ZPOPMAX lp", "[m21,inf]"),
        ("ZADD lp 0 b", ":0"),
        ("ZPOPMAX lp", "[m12,inf]"),
        ("ZADD lp -0 m28", ":1"),
        ("ZADD lp 1e3 m10", ":0"),
        ("ZREVRANGE lex 12 -11 WITHSCORES", "[]"),
        ("ZADD lp -0 m31", ":1"),
        ("ZADD lex 5 m25", ":1"),
        ("ZRANGE sl 2 4", "[m205,m283,m325]"),
        ("ZADD lp 2.5 m31", ":0"),
        ("ZREVRANK sl m122", ":74"),
        ("ZPOPMAX lp", "[m9,1000]"),
        ("ZADD sl 2 m38", ":0"),
        ("ZREMRANGEBYSCORE lex ( +inf", ":8"),
        ("ZADD lex 5 m28", ":1"),
        ("ZADD sl 0.1 m264", ":1"),
        ("ZLEXCOUNT lex [b (", ":0"),
        ("ZREMRANGEBYRANK lex -2 -4", ":0"),
        ("ZPOPMAX sl", "[m59,inf]"),
        ("OBJECT ENCODING lex", "$listpack"),
        ("ZADD sl 7 m302", ":0"),
        ("ZREM lex m33", ":0"),
        ("ZADD lex 5 m11", ":1"),
        ("ZADD lp -7.5 m33", ":0"),
        ("ZADD lp -0 m1", ":1"),
        ("ZREMRANGEBYRANK sl -4 5", ":0"),
        ("ZREVRANGE lp 12 -10 WITHSCORES", "[m5,1,m37,1,m27,1,m13,1,m30,0.10000000000000001]"),
        ("ZADD lp 10 m6", ":1"),
        ("ZREMRANGEBYSCORE lex (1 0x2", ":0"),
        ("ZREVRANGEBYLEX lp (ab [m2", "[]"),
        ("ZREMRANGEBYLEX lex (m25 [z", ":1"),
        ("ZADD sl 1 m252", ":1"),
        ("ZADD sl 7 m81", ":0"),
        ("ZADD sl 2.5 m5", ":0"),
        ("ZADD sl -7.5 m15", ":1"),
        ("ZADD sl 3 m104", ":0"),
        ("ZADD sl -inf m107", ":1"),
        ("ZADD sl -7.5 m24", ":1"),
        ("ZADD sl 0 m116", ":1"),
        ("ZADD sl 2.5 m95", ":0"),
        ("ZADD sl 0 m69", ":1"),
        ("ZADD sl inf m23", ":1"),
        ("ZADD sl 0.1 m98", ":1"),
        ("ZADD sl -0 m121", ":1"),
        ("ZADD sl 7 m174", ":0"),
        ("ZADD sl -7.5 m103", ":0"),
        ("ZADD sl -inf m48", ":0"),
        ("ZADD sl 2.5 m274", ":0"),
        ("ZADD sl 1.5e-5 m145", ":0"),
        ("ZADD sl 3 m340", ":1"),
        ("ZADD sl 1.5e-5 m194", ":0"),
        ("ZADD sl -0 m219", ":1"),
        ("ZADD sl inf m222", ":1"),
        ("ZADD sl 10 m207", ":1"),
        ("ZADD sl 1 m333", ":0"),
        ("ZADD sl 1e3 m16", ":1"),
        ("ZADD sl -0 m259", ":1"),
        ("ZADD sl 1.5e-5 m48", ":0"),
        ("ZADD sl -inf m351", ":1"),
        ("ZADD sl -7.5 m246", ":1"),
        ("ZADD sl 3 m259", ":0"),
        ("ZADD sl 7 m64", ":0"),
        ("ZADD sl 3 m27", ":1"),
        ("ZADD sl 1.5e-5 m110", ":1"),
        ("ZADD sl 2.5 m349", ":1"),
        ("ZADD sl inf m97", ":1"),
        ("ZADD sl 0 m90", ":1"),
        ("ZADD sl -0 m313", ":1"),
        ("ZADD sl 2 m166", ":0"),
        ("ZADD sl -1 m58", ":1"),
        ("ZADD sl 1e3 m383", ":1"),
        ("ZREM lp m39", ":0"),
        ("ZCOUNT lp 10 (3", ":0"),
        ("ZADD sl 1 m89", ":1"),
        ("ZREM lp m23", ":0"),
        ("ZREMRANGEBYSCORE lp (3 (-0", ":0"),
        ("ZREM lex m4", ":0"),
        ("ZPOPMIN sl", "[m105,-inf]"),
        ("ZRANGEBYLEX lp [ [a", "[]"),
        ("ZADD lp 10 a", ":0"),
        ("ZADD lex 5 m32", ":1"),
        ("ZADD lp 3 m7", ":0"),
        ("ZADD lp -1 m34", ":0"),
        ("ZCOUNT lex (3 (3", ":0"),
        ("ZRANGEBYSCORE lp 10 (", "[]"),
        ("ZADD lex 5 m39", ":1"),
        ("ZADD sl 1e3 m224", ":1"),
        ("ZADD sl 1.5e-5 m88", ":0"),
        ("ZADD sl 0.1 m179", ":1"),
        ("ZADD sl 2 m334", ":1"),
        ("ZADD sl 3 m274", ":0"),
        ("ZADD sl 0 m75", ":1"),
        ("ZADD sl 2.5 m123", ":1"),
        ("ZADD sl 1 m36", ":0"),
        ("ZADD sl 3 m185", ":0"),
        ("ZADD sl -inf m215", ":0"),
        ("ZADD sl 0.1 m122", ":0"),
        ("ZADD sl 7 m361", ":1"),
        ("ZADD sl inf m174", ":0"),
        ("ZADD sl 7 m273", ":0"),
        ("ZADD sl 0.1 m4", ":0"),
        ("ZADD sl 7 m116", ":0"),
        ("ZADD sl -7.5 m120", ":0"),
        ("ZADD sl 0 m50", ":1"),
        ("ZADD sl inf m159", ":1"),
        ("ZADD sl 1e3 m169", ":1"),
        ("ZADD sl 7 m74", ":0"),
        ("ZADD sl -inf m49", ":1"),
        ("ZADD sl 0 m214", ":0"),
        ("ZADD sl 2 m117", ":1"),
        ("ZADD sl 1 m52", ":1"),
        ("ZADD sl 1.5e-5 m151", ":1"),
        ("ZADD sl 0.1 m218", ":1"),
        ("ZADD sl 2 m209", ":1"),
        ("ZADD sl 7 m269", ":1"),
        ("ZADD sl 3 m51", ":1"),
        ("ZADD sl -0 m46", ":1"),
        ("ZADD sl 0 m177", ":1"),
        ("ZADD sl 1.5e-5 m324", ":1"),
        ("ZADD sl 0 m267", ":1"),
        ("ZADD sl 1 m348", ":0"),
        ("ZADD sl 1 m134", ":0"),
        ("ZADD sl 2 m341", ":1"),
        ("ZADD sl 7 m271", ":1"),
        ("ZADD sl 10 m143", ":1"),
        ("ZADD sl -1 m180", ":1"),
        ("ZREVRANGE lp -8 5", "[]"),
        ("ZINCRBY sl -1 m34", "$-1"),
        ("ZREVRANGEBYSCORE sl (-inf 1.5 WITHSCORES LIMIT 0 0", "[]"),
        ("ZADD lp 2.5 m2", ":1"),
        ("ZADD lp 1.5e-5 m14", ":1"),
        ("ZADD lp 1.5e-5 m8", ":1"),
        ("ZPOPMAX lp", "[m1x,1000]"),
        ("ZPOPMAX lex", "[m39,5]"),
        ("ZRANK sl m66", "$-1"),
        ("ZCARD sl", ":188"),
        ("ZREM lex m19", ":0"),
        ("ZADD lp 10 m3", ":1"),
        ("ZREVRANGEBYLEX lp [a +", "[]"),
        ("ZCARD sl", ":188"),
        ("ZADD sl 3 m338", ":0"),
        ("ZADD lex 5 m10", ":1"),
        ("ZADD lp -0 m35", ":0"),
        ("ZPOPMAX lp", "[m10,1000]"),
        ("ZADD sl -7.5 m30", ":1"),
        ("ZREMRANGEBYLEX sl [a (m10", ":0"),
        ("ZREVRANK lp m9", "$-1"),
        ("ZREM sl m122", ":1"),
        ("ZCOUNT lp -inf 1e400", ":29"),
        ("ZSCORE lex b0", "$-1"),
        ("ZADD lp 3 m31", ":0"),
        ("ZCARD lp", ":29"),
        ("ZRANGE lp -5 -10", "[]"),
        ("ZADD lp 1e3 m11", ":0"),
        ("ZCOUNT lp 1 (-0", ":0"),
        ("ZADD lp 1.5e-5 m6", ":0"),
        ("ZADD lp 1e3 m22", ":1"),
        ("ZREM sl m375", ":1"),
        ("ZCOUNT lp 3) 0", "-ERR min or max is not a float"),
        ("ZADD lp -0 m17", ":1"),
        ("ZCARD lp", ":31"),
        ("ZRANGEBYSCORE lp (-0 1.5", "[m14,m19,m6,m8,m18,m30,m13,m27,m37,m5]"),
        ("ZCOUNT lp 0x2 0x2", ":1"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("OBJECT ENCODING lp", "$listpack"),
        ("ZADD sl -inf m335", ":0"),
        ("ZADD lex 5 ab", ":1"),
    ];
}
