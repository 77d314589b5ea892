//! Sorted sets (ZSET): members ordered by (score, member bytes), with O(1) score lookup and
//! O(log n) ranks, plus the score/lex range specs of the Z* commands.
//!
//! # Layout
//!
//! Redis keeps a big sorted set as a skiplist with spans (ranks) plus a dict member → score. We
//! keep the same two views with denser parts:
//!
//! * **Slots** — every member lives once, in a slot of a `Vec` (`Slot`: the member bytes, inline
//!   when at most 22 bytes, otherwise boxed, and the score: 32 bytes). A member's slot number
//!   (`u32` id) never changes while it is in the set; freed slots are reused, and the vector is
//!   compacted when it becomes mostly holes.
//! * **Member index** — an open-addressing hash table (linear probing, backward-shift deletion)
//!   of 8-byte entries: 32 bits of the member's SipHash (random key per set) and the slot id.
//!   Member bytes are not duplicated. Load factor at most 7/8.
//! * **Order tree** — an order-statistic B+tree. Leaves hold up to 128 `(score, id)` pairs in
//!   two parallel arrays (12 bytes per element); inner nodes hold up to 64 children with, per
//!   child, its element count and its last `(score, id)`. Rank, element-at-rank, insert and
//!   delete are O(log n); range deletion is O(log n + k). Every search is a *partition* of the
//!   ordered sequence by a monotone predicate evaluated on the last key of each child, so the
//!   same descent serves "rank of (score, member)", "first score ≥ min", "last member ≤ max"…
//!
//! Ties in score are broken by comparing member bytes (`memcmp`, then length), as Redis does, and
//! scores compare with IEEE `<`/`==` (so `-0` and `0` are the same score). NaN never enters.
//!
//! # Encodings
//!
//! The representation is the same at every size, but a set remembers which encoding Redis would
//! use (`listpack` below `zset-max-listpack-entries`/`-value`, `skiplist` beyond; conversions
//! happen at the same moments as in Redis) because it is visible: `OBJECT ENCODING`, RDB type,
//! and two behaviours that this type reproduces:
//! * a listpack stores an integral score as an integer, so `-0` becomes `0` (ZSCORE answers `0`);
//!   a skiplist keeps `-0`.
//! * lex-range operations scan a listpack linearly from its head (which matters only for sets
//!   whose scores are not all equal, where Redis's answer depends on the encoding).

use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use super::float::{format_score, strtod_prefix};

/// `ZRANGEBYSCORE` & co. when a bound does not parse.
pub const ERR_MIN_MAX_NOT_FLOAT: &str = "ERR min or max is not a float";
/// `ZRANGEBYLEX` & co. when a bound does not parse.
pub const ERR_MIN_MAX_NOT_STRING_RANGE: &str = "ERR min or max not valid string range item";

const LEAF_MAX: usize = 128;
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
        Ok(ScoreRange { min, max, min_exclusive, max_exclusive })
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
            b'(' => Some(LexBound::Member { value: arg[1..].to_vec(), exclusive: true }),
            b'[' => Some(LexBound::Member { value: arg[1..].to_vec(), exclusive: false }),
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
    let mut start = if start < 0 { len.saturating_add(start) } else { start };
    let mut stop = if stop < 0 { len.saturating_add(stop) } else { stop };
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
            Member::Inline { len: b.len() as u8, bytes }
        } else {
            Member::Heap(b.into())
        }
    }

    fn empty() -> Member {
        Member::Inline { len: 0, bytes: [0; INLINE_MAX] }
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
    score: f64,
}

// ------------------------------------------------------------------------------------------------
// Member index: member bytes → slot id.

#[derive(Clone)]
struct MemberIndex {
    /// 0 = empty, else `hash32 << 32 | (id + 1)`.
    table: Vec<u64>,
    len: usize,
    hasher: RandomState,
}

impl MemberIndex {
    fn new() -> MemberIndex {
        MemberIndex { table: Vec::new(), len: 0, hasher: RandomState::new() }
    }

    fn hash(&self, member: &[u8]) -> u32 {
        let h = self.hasher.hash_one(member);
        (h ^ (h >> 32)) as u32
    }

    fn mask(&self) -> usize {
        self.table.len().wrapping_sub(1)
    }

    fn find(&self, member: &[u8], slots: &[Slot]) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let h = self.hash(member);
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            let e = self.table[i];
            if e == 0 {
                return None;
            }
            if (e >> 32) as u32 == h {
                let id = (e as u32).wrapping_sub(1);
                if slots[id as usize].member.as_bytes() == member {
                    return Some(id);
                }
            }
            i = (i + 1) & mask;
        }
    }

    fn resize(&mut self, cap: usize) {
        let old = std::mem::replace(&mut self.table, vec![0u64; cap]);
        let mask = cap - 1;
        for e in old.into_iter().filter(|&e| e != 0) {
            let mut i = (e >> 32) as usize & mask;
            while self.table[i] != 0 {
                i = (i + 1) & mask;
            }
            self.table[i] = e;
        }
    }

    /// Adds an id whose member is not in the index yet.
    fn insert(&mut self, member: &[u8], id: u32) {
        if (self.len + 1) * 8 > self.table.len() * 7 {
            let cap = (self.table.len() * 2).max(8);
            self.resize(cap);
        }
        let h = self.hash(member);
        let mask = self.mask();
        let mut i = h as usize & mask;
        while self.table[i] != 0 {
            i = (i + 1) & mask;
        }
        self.table[i] = (u64::from(h) << 32) | u64::from(id + 1);
        self.len += 1;
    }

    /// Removes the entry for `id` (whose member is `member`).
    fn remove(&mut self, member: &[u8], id: u32) {
        if self.len == 0 {
            return;
        }
        let h = self.hash(member);
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            let e = self.table[i];
            if e == 0 {
                return;
            }
            if e as u32 == id + 1 {
                break;
            }
            i = (i + 1) & mask;
        }
        // Backward-shift deletion keeps every probe sequence unbroken.
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
                self.table[hole] = e;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.table[hole] = 0;
        self.len -= 1;
        if self.table.len() > 16 && self.len * 8 < self.table.len() {
            let cap = (self.len * 2).next_power_of_two().max(8);
            self.resize(cap);
        }
    }

    fn clear(&mut self) {
        self.table = Vec::new();
        self.len = 0;
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
    Leaf(Box<Leaf>),
    Inner(Box<Inner>),
}

impl Node {
    fn empty_leaf() -> Node {
        Node::Leaf(Box::new(Leaf { scores: Vec::new(), ids: Vec::new() }))
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
            Node::Inner(n) => (n.last_scores[n.last_scores.len() - 1], n.last_ids[n.last_ids.len() - 1]),
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
            Node::Leaf(l) => l.ids.iter_mut().for_each(|id| f(id)),
            Node::Inner(n) => {
                n.last_ids.iter_mut().for_each(|id| f(id));
                n.children.iter_mut().for_each(|c| c.for_each_id_mut(f));
            }
        }
    }

    /// Splits off the upper half into a new sibling.
    fn split(&mut self) -> Node {
        match self {
            Node::Leaf(l) => {
                let at = l.ids.len() / 2;
                let scores = l.scores.split_off(at);
                let ids = l.ids.split_off(at);
                Node::Leaf(Box::new(Leaf { scores, ids }))
            }
            Node::Inner(n) => {
                let at = n.children.len() / 2;
                let children = n.children.split_off(at);
                let counts = n.counts.split_off(at);
                let last_scores = n.last_scores.split_off(at);
                let last_ids = n.last_ids.split_off(at);
                let total: usize = counts.iter().sum();
                n.total -= total;
                Node::Inner(Box::new(Inner { children, counts, last_scores, last_ids, total }))
            }
        }
    }

    /// Appends `other` (same height, all keys greater) to `self`.
    fn append(&mut self, other: Node) {
        match (self, other) {
            (Node::Leaf(a), Node::Leaf(b)) => {
                let b = *b;
                a.scores.extend(b.scores);
                a.ids.extend(b.ids);
            }
            (Node::Inner(a), Node::Inner(b)) => {
                let b = *b;
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
        let left = if i + 1 < self.children.len() { i } else { i - 1 };
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

/// The element `(score, slots[id])` against `(key_score, key_member)` in set order: scores by
/// IEEE comparison, ties by member bytes.
fn key_cmp(slots: &[Slot], score: f64, id: u32, key_score: f64, key_member: &[u8]) -> Ordering {
    match score.partial_cmp(&key_score) {
        Some(Ordering::Equal) | None => slots[id as usize].member.as_bytes().cmp(key_member),
        Some(o) => o,
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
fn insert_rec(node: &mut Node, before: &impl Fn(f64, u32) -> bool, score: f64, id: u32) -> Option<Node> {
    match node {
        Node::Leaf(l) => {
            let at = leaf_partition(l, before);
            l.scores.insert(at, score);
            l.ids.insert(at, id);
        }
        Node::Inner(n) => {
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
            out.extend(l.ids.drain(lo..hi));
            l.scores.drain(lo..hi);
        }
        Node::Inner(n) => {
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
pub struct Iter<'a> {
    slots: &'a [Slot],
    stack: Vec<(&'a Inner, usize)>,
    leaf: Option<&'a Leaf>,
    pos: usize,
    remaining: usize,
    reverse: bool,
}

impl<'a> Iter<'a> {
    fn descend(&mut self, mut node: &'a Node, rightmost: bool) {
        loop {
            match node {
                Node::Leaf(l) => {
                    self.leaf = Some(l);
                    self.pos = if rightmost { l.ids.len().saturating_sub(1) } else { 0 };
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
            let next = if self.reverse { i.checked_sub(1) } else { Some(i + 1).filter(|&j| j < n.children.len()) };
            if let Some(j) = next {
                self.stack.push((n, j));
                self.descend(&n.children[j], self.reverse);
                return;
            }
        }
        self.leaf = None;
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let leaf = self.leaf?;
        let item = (self.slots[leaf.ids[self.pos] as usize].member.as_bytes(), leaf.scores[self.pos]);
        self.remaining -= 1;
        if self.remaining > 0 {
            self.advance();
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
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
        ZSetLimits { max_listpack_entries: 128, max_listpack_value: 64 }
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

/// A sorted set. See the module documentation for the layout.
#[derive(Clone)]
pub struct ZSet {
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: MemberIndex,
    root: Node,
    listpack: bool,
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
        f.debug_map().entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), format_score(s)))).finish()
    }
}

impl ZSet {
    /// An empty set in the listpack encoding.
    pub fn new() -> ZSet {
        ZSet { slots: Vec::new(), free: Vec::new(), index: MemberIndex::new(), root: Node::empty_leaf(), listpack: true }
    }

    /// An empty set in the skiplist encoding (`createZsetObject`: ZUNIONSTORE & co. build these).
    pub fn new_skiplist() -> ZSet {
        ZSet { listpack: false, ..ZSet::new() }
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
        self.index.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether Redis would hold this set as a listpack.
    pub fn is_listpack(&self) -> bool {
        self.listpack
    }

    /// What `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        if self.listpack {
            "listpack"
        } else {
            "skiplist"
        }
    }

    /// Switches to the skiplist encoding for good (`zsetConvert(…, SKIPLIST)`).
    pub fn convert_to_skiplist(&mut self) {
        self.listpack = false;
    }

    /// `zsetConvertToListpackIfNeeded`: back to listpack when the set is small enough (used by
    /// ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE and after loading). Scores of `-0` become `0`, as
    /// the listpack stores them as the integer 0. Returns whether the set is now a listpack.
    pub fn convert_to_listpack_if_fits(&mut self, limits: ZSetLimits) -> bool {
        if self.listpack {
            return true;
        }
        if self.len() > limits.max_listpack_entries || self.max_member_len() > limits.max_listpack_value {
            return false;
        }
        self.listpack = true;
        self.normalize_negative_zero();
        true
    }

    /// Length of the longest member (O(n)).
    pub fn max_member_len(&self) -> usize {
        self.iter().map(|(m, _)| m.len()).max().unwrap_or(0)
    }

    fn normalize_negative_zero(&mut self) {
        for s in self.slots.iter_mut() {
            if s.score == 0.0 {
                s.score = 0.0;
            }
        }
        fn walk(n: &mut Node) {
            match n {
                Node::Leaf(l) => l.scores.iter_mut().filter(|s| **s == 0.0).for_each(|s| *s = 0.0),
                Node::Inner(i) => {
                    i.last_scores.iter_mut().filter(|s| **s == 0.0).for_each(|s| *s = 0.0);
                    i.children.iter_mut().for_each(walk);
                }
            }
        }
        walk(&mut self.root);
    }

    fn member_of(&self, id: u32) -> &[u8] {
        self.slots[id as usize].member.as_bytes()
    }

    fn key_cmp(&self, score: f64, id: u32, key_score: f64, key_member: &[u8]) -> Ordering {
        key_cmp(&self.slots, score, id, key_score, key_member)
    }

    /// Number of elements, in order, for which a prefix-closed predicate holds.
    fn partition(&self, pred: impl Fn(f64, u32) -> bool) -> usize {
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

    fn id_at(&self, mut rank: usize) -> Option<(u32, f64)> {
        if rank >= self.len() {
            return None;
        }
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(l) => return Some((*l.ids.get(rank)?, *l.scores.get(rank)?)),
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

    /// The score of `member` (ZSCORE). O(1).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.index.find(member, &self.slots).map(|id| self.slots[id as usize].score)
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.index.find(member, &self.slots).is_some()
    }

    fn alloc_slot(&mut self, member: &[u8], score: f64) -> u32 {
        let slot = Slot { member: Member::new(member), score };
        if let Some(id) = self.free.pop() {
            self.slots[id as usize] = slot;
            id
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        }
    }

    fn tree_insert(&mut self, score: f64, id: u32) {
        let mut root = std::mem::replace(&mut self.root, Node::empty_leaf());
        let slots = &self.slots;
        let member = slots[id as usize].member.as_bytes();
        let before = |s: f64, i: u32| key_cmp(slots, s, i, score, member) == Ordering::Less;
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
            root = Node::Inner(Box::new(inner));
        }
        self.root = root;
    }

    /// Rank (0-based, ascending) of the element `(score, member)` known to be present.
    fn rank_of(&self, score: f64, member: &[u8]) -> usize {
        self.partition(|s, i| self.key_cmp(s, i, score, member) == Ordering::Less)
    }

    /// Removes ranks `lo..hi` from the tree and frees their slots and index entries.
    fn remove_ranks(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len());
        if lo >= hi {
            return 0;
        }
        let mut removed = Vec::with_capacity(hi - lo);
        if lo == 0 && hi == self.len() {
            self.root.collect_ids(&mut removed);
            self.root = Node::empty_leaf();
        } else {
            remove_range_rec(&mut self.root, lo, hi, &mut removed);
            self.shrink_root();
        }
        if hi - lo == self.len() {
            self.slots.clear();
            self.free.clear();
            self.index.clear();
            return removed.len();
        }
        for &id in &removed {
            let member = std::mem::replace(&mut self.slots[id as usize].member, Member::empty());
            self.index.remove(member.as_bytes(), id);
            self.free.push(id);
        }
        self.maybe_compact();
        removed.len()
    }

    fn shrink_root(&mut self) {
        loop {
            match &mut self.root {
                Node::Inner(n) if n.children.len() == 1 => {
                    let child = n.remove_child(0);
                    self.root = child;
                }
                Node::Inner(n) if n.children.is_empty() => self.root = Node::empty_leaf(),
                _ => return,
            }
        }
    }

    /// Renumbers slots when most of them are holes.
    fn maybe_compact(&mut self) {
        if self.slots.len() < 64 || self.free.len() * 2 < self.slots.len() {
            return;
        }
        let mut remap = vec![u32::MAX; self.slots.len()];
        let mut is_free = vec![false; self.slots.len()];
        for &f in &self.free {
            is_free[f as usize] = true;
        }
        let mut live = Vec::with_capacity(self.len());
        for (old, slot) in std::mem::take(&mut self.slots).into_iter().enumerate() {
            if is_free[old] {
                continue;
            }
            remap[old] = live.len() as u32;
            live.push(slot);
        }
        self.slots = live;
        self.free = Vec::new();
        self.root.for_each_id_mut(&mut |id| *id = remap[*id as usize]);
        self.index.clear();
        for id in 0..self.slots.len() {
            let member = self.slots[id].member.clone();
            self.index.insert(member.as_bytes(), id as u32);
        }
    }

    /// Adds `member` or sets its score (the core of ZADD without its options). A new member that
    /// does not fit the listpack limits converts the set to skiplist first, like `zsetAdd`.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: ZSetLimits) -> Inserted {
        if score.is_nan() {
            return Inserted::NotANumber;
        }
        if let Some(id) = self.index.find(member, &self.slots) {
            let old = self.slots[id as usize].score;
            if old == score {
                return Inserted::Unchanged;
            }
            let stored = if self.listpack && score == 0.0 { 0.0 } else { score };
            let rank = self.rank_of(old, member);
            let mut removed = Vec::with_capacity(1);
            remove_range_rec(&mut self.root, rank, rank + 1, &mut removed);
            self.shrink_root();
            self.slots[id as usize].score = stored;
            self.tree_insert(stored, id);
            return Inserted::Updated { old };
        }
        if self.listpack
            && (self.len() + 1 > limits.max_listpack_entries || member.len() > limits.max_listpack_value)
        {
            self.listpack = false;
        }
        let stored = if self.listpack && score == 0.0 { 0.0 } else { score };
        let id = self.alloc_slot(member, stored);
        self.index.insert(member, id);
        self.tree_insert(stored, id);
        Inserted::Added
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
        let id = self.index.find(member, &self.slots)?;
        let score = self.slots[id as usize].score;
        let rank = self.rank_of(score, member);
        self.remove_ranks(rank, rank + 1);
        Some(score)
    }

    /// 0-based rank in ascending order (ZRANK).
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let id = self.index.find(member, &self.slots)?;
        Some(self.rank_of(self.slots[id as usize].score, member))
    }

    /// 0-based rank in descending order (ZREVRANK).
    pub fn rev_rank(&self, member: &[u8]) -> Option<usize> {
        self.rank(member).map(|r| self.len() - 1 - r)
    }

    /// The element at an ascending 0-based rank.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        self.id_at(rank).map(|(id, s)| (self.member_of(id), s))
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
        let remaining = match (rank < self.len(), reverse) {
            (false, _) => 0,
            (true, false) => self.len() - rank,
            (true, true) => rank + 1,
        };
        let mut it = Iter { slots: &self.slots, stack: Vec::new(), leaf: None, pos: 0, remaining, reverse };
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

    /// Elements of ascending ranks `start..=end` (already normalised, see
    /// [`normalize_rank_range`]), in ascending order, or descending from `end` when `reverse`
    /// (ZRANGE / ZREVRANGE).
    pub fn range_by_rank(&self, start: usize, end: usize, reverse: bool) -> std::iter::Take<Iter<'_>> {
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
        let r = self.partition(|s, _| !range.gte_min(s));
        let (_, s) = self.id_at(r)?;
        range.lte_max(s).then_some(r)
    }

    /// Ascending rank of the last element inside `range` (`zslLastInRange`).
    pub fn last_in_range(&self, range: &ScoreRange) -> Option<usize> {
        if range.is_empty() || self.is_empty() {
            return None;
        }
        let r = self.partition(|s, _| range.lte_max(s)).checked_sub(1)?;
        let (_, s) = self.id_at(r)?;
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
        let limit = if limit < 0 { usize::MAX } else { limit as usize };
        it.take(limit).take_while(move |&(_, s)| if reverse { range.gte_min(s) } else { range.lte_max(s) })
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
        let lo = self.partition(|s, _| !range.gte_min(s));
        let hi = self.partition(|s, _| range.lte_max(s));
        if hi > lo {
            self.remove_ranks(lo, hi)
        } else {
            0
        }
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
        let r = if self.listpack {
            self.iter().position(|(m, _)| range.gte_min(m))?
        } else {
            self.partition(|_, id| !range.gte_min(self.member_of(id)))
        };
        let (m, _) = self.get_by_rank(r)?;
        range.lte_max(m).then_some(r)
    }

    /// Ascending rank of the last element inside a lex range (`zslLastInLexRange`).
    pub fn last_in_lex_range(&self, range: &LexRange) -> Option<usize> {
        if !self.may_hold_lex(range) {
            return None;
        }
        let r = if self.listpack {
            self.len() - 1 - self.iter_from(self.len() - 1, true).position(|(m, _)| range.lte_max(m))?
        } else {
            self.partition(|_, id| range.lte_max(self.member_of(id))).checked_sub(1)?
        };
        let (m, _) = self.get_by_rank(r)?;
        range.gte_min(m).then_some(r)
    }

    /// ZLEXCOUNT.
    pub fn lex_count(&self, range: &LexRange) -> usize {
        let Some(first) = self.first_in_lex_range(range) else { return 0 };
        if self.listpack {
            return self.iter_from(first, false).take_while(|(m, _)| range.lte_max(m)).count();
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
        let limit = if limit < 0 { usize::MAX } else { limit as usize };
        it.take(limit).take_while(move |&(m, _)| if reverse { range.gte_min(m) } else { range.lte_max(m) })
    }

    /// ZREMRANGEBYLEX; returns the number removed.
    pub fn remove_range_by_lex(&mut self, range: &LexRange) -> usize {
        let start = if self.listpack {
            self.first_in_lex_range(range)
        } else {
            Some(self.partition(|_, id| !range.gte_min(self.member_of(id))))
        };
        let Some(lo) = start else { return 0 };
        let n = self.iter_from(lo, false).take_while(|(m, _)| range.lte_max(m)).count();
        self.remove_ranks(lo, lo + n)
    }

    // --- accounting ---------------------------------------------------------------------------

    /// Heap bytes owned by the set (capacity-based; the allocator's own overhead not included).
    pub fn heap_size(&self) -> usize {
        fn tree(n: &Node) -> usize {
            match n {
                Node::Leaf(l) => std::mem::size_of::<Leaf>() + l.scores.capacity() * 8 + l.ids.capacity() * 4,
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
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.slots.iter().map(|s| s.member.heap_bytes()).sum::<usize>()
            + self.free.capacity() * 4
            + self.index.table.capacity() * 8
            + tree(&self.root)
    }
}
