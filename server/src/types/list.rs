//! Lists: a double-ended sequence of byte strings.
//!
//! Redis 7.0 reports every list as `quicklist` (listpack nodes of up to 8 KiB linked together). We
//! keep the elements in a deque of *chunks* of at most [`CHUNK`] elements, each chunk a ring
//! buffer behind an `Arc`: pushes and pops at both ends are O(1), indexing is O(chunks) from the
//! nearer end (Redis's is O(nodes) too), and cloning a list (a snapshot sharing it) copies only
//! the chunk pointers. A write to a shared list copies the one chunk it changes, so a snapshot
//! of a list of millions of elements never costs a writer more than a chunk.

use std::collections::VecDeque;
use std::sync::Arc;

/// Elements per chunk at most.
pub const CHUNK: usize = 1024;

type Chunk = VecDeque<Box<[u8]>>;

#[derive(Clone, Default)]
pub struct List {
    /// Never holds an empty chunk.
    chunks: VecDeque<Arc<Chunk>>,
    len: usize,
}

impl List {
    pub fn new() -> Self {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Box<[u8]>> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The chunk holding element `index` and the element's place in it, found from the nearer
    /// end. `index` must be below `len`.
    fn locate(&self, index: usize) -> (usize, usize) {
        if index < self.len / 2 {
            let mut rest = index;
            for (c, chunk) in self.chunks.iter().enumerate() {
                if rest < chunk.len() {
                    return (c, rest);
                }
                rest -= chunk.len();
            }
        } else {
            let mut from_back = self.len - 1 - index;
            for (c, chunk) in self.chunks.iter().enumerate().rev() {
                if from_back < chunk.len() {
                    return (c, chunk.len() - 1 - from_back);
                }
                from_back -= chunk.len();
            }
        }
        unreachable!("index {index} checked against len {}", self.len)
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len {
            return None;
        }
        let (c, i) = self.locate(index);
        Some(&self.chunks[c][i])
    }

    /// Replaces element `index`; false when out of range.
    pub fn set(&mut self, index: usize, value: Box<[u8]>) -> bool {
        if index >= self.len {
            return false;
        }
        let (c, i) = self.locate(index);
        Arc::make_mut(&mut self.chunks[c])[i] = value;
        true
    }

    /// Elements `start..=end` (both below `len`), in order.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &Box<[u8]>> + '_ {
        let (c, i) = if start < self.len {
            self.locate(start)
        } else {
            (self.chunks.len(), 0)
        };
        let take = (end + 1).saturating_sub(start);
        self.chunks
            .range(c..)
            .enumerate()
            .flat_map(move |(k, chunk)| chunk.iter().skip(if k == 0 { i } else { 0 }))
            .take(take)
    }

    pub fn push_back(&mut self, value: Box<[u8]>) {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => Arc::make_mut(last).push_back(value),
            _ => self.chunks.push_back(Arc::new(Chunk::from([value]))),
        }
        self.len += 1;
    }

    pub fn push_front(&mut self, value: Box<[u8]>) {
        match self.chunks.front_mut() {
            Some(first) if first.len() < CHUNK => Arc::make_mut(first).push_front(value),
            _ => self.chunks.push_front(Arc::new(Chunk::from([value]))),
        }
        self.len += 1;
    }

    pub fn pop_back(&mut self) -> Option<Box<[u8]>> {
        let last = self.chunks.back_mut()?;
        let value = Arc::make_mut(last).pop_back();
        if last.is_empty() {
            self.chunks.pop_back();
        }
        self.len -= 1;
        value
    }

    pub fn pop_front(&mut self) -> Option<Box<[u8]>> {
        let first = self.chunks.front_mut()?;
        let value = Arc::make_mut(first).pop_front();
        if first.is_empty() {
            self.chunks.pop_front();
        }
        self.len -= 1;
        value
    }

    /// Inserts before element `index` (`len` appends).
    pub fn insert(&mut self, index: usize, value: Box<[u8]>) {
        if index == self.len {
            return self.push_back(value);
        }
        let (c, i) = self.locate(index);
        let chunk = Arc::make_mut(&mut self.chunks[c]);
        chunk.insert(i, value);
        if chunk.len() > CHUNK {
            let upper = chunk.split_off(chunk.len() / 2);
            self.chunks.insert(c + 1, Arc::new(upper));
        }
        self.len += 1;
    }

    /// Removes element `index`.
    pub fn remove(&mut self, index: usize) -> Option<Box<[u8]>> {
        if index >= self.len {
            return None;
        }
        let (c, i) = self.locate(index);
        let value = Arc::make_mut(&mut self.chunks[c]).remove(i);
        self.len -= 1;
        self.tidy(c);
        value
    }

    /// Keeps elements `start..=end` only (LTRIM); both below `len`.
    pub fn keep_range(&mut self, start: usize, end: usize) {
        let tail = self.len - 1 - end;
        self.drop_front(start);
        self.drop_back(tail);
    }

    /// Removes the first `n` elements (whole chunks at once).
    fn drop_front(&mut self, mut n: usize) {
        while n > 0 {
            let Some(first) = self.chunks.front_mut() else {
                return;
            };
            if first.len() <= n {
                n -= first.len();
                self.len -= first.len();
                self.chunks.pop_front();
            } else {
                Arc::make_mut(first).drain(..n);
                self.len -= n;
                n = 0;
            }
        }
    }

    /// Removes the last `n` elements (whole chunks at once).
    fn drop_back(&mut self, mut n: usize) {
        while n > 0 {
            let Some(last) = self.chunks.back_mut() else {
                return;
            };
            if last.len() <= n {
                n -= last.len();
                self.len -= last.len();
                self.chunks.pop_back();
            } else {
                let keep = last.len() - n;
                Arc::make_mut(last).truncate(keep);
                self.len -= n;
                n = 0;
            }
        }
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    /// Removes up to `limit` elements equal to `elem`, scanning from the head or, with
    /// `from_tail`, from the tail (LREM); returns how many went. Only chunks that hold a match
    /// are changed.
    pub fn remove_matching(&mut self, elem: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let order: Vec<usize> = if from_tail {
            (0..self.chunks.len()).rev().collect()
        } else {
            (0..self.chunks.len()).collect()
        };
        let mut emptied = false;
        for c in order {
            if removed >= limit {
                break;
            }
            if !self.chunks[c].iter().any(|e| &**e == elem) {
                continue;
            }
            let chunk = Arc::make_mut(&mut self.chunks[c]);
            let mut kept = Chunk::with_capacity(chunk.len());
            let old = std::mem::take(chunk);
            if from_tail {
                for e in old.into_iter().rev() {
                    if removed < limit && &*e == elem {
                        removed += 1;
                    } else {
                        kept.push_front(e);
                    }
                }
            } else {
                for e in old {
                    if removed < limit && &*e == elem {
                        removed += 1;
                    } else {
                        kept.push_back(e);
                    }
                }
            }
            emptied |= kept.is_empty();
            *chunk = kept;
        }
        self.len -= removed;
        if emptied {
            self.chunks.retain(|c| !c.is_empty());
        }
        self.merge_small();
        removed
    }

    /// Drops chunk `c` if it emptied, or merges it into a neighbour when both fit in one chunk
    /// (so removals in the middle cannot leave a trail of tiny chunks).
    fn tidy(&mut self, c: usize) {
        if self.chunks[c].is_empty() {
            self.chunks.remove(c);
            return;
        }
        if c + 1 < self.chunks.len() && self.chunks[c].len() + self.chunks[c + 1].len() <= CHUNK / 2
        {
            let next = self.chunks.remove(c + 1).expect("checked index");
            Arc::make_mut(&mut self.chunks[c]).extend(Arc::unwrap_or_clone(next));
        } else if c > 0 && self.chunks[c - 1].len() + self.chunks[c].len() <= CHUNK / 2 {
            let this = self.chunks.remove(c).expect("checked index");
            Arc::make_mut(&mut self.chunks[c - 1]).extend(Arc::unwrap_or_clone(this));
        }
    }

    /// Merges neighbouring chunks that together fill at most half a chunk.
    fn merge_small(&mut self) {
        let mut c = 0;
        while c + 1 < self.chunks.len() {
            if self.chunks[c].len() + self.chunks[c + 1].len() <= CHUNK / 2 {
                let next = self.chunks.remove(c + 1).expect("checked index");
                Arc::make_mut(&mut self.chunks[c]).extend(Arc::unwrap_or_clone(next));
            } else {
                c += 1;
            }
        }
    }

    /// How many chunks are shared with a clone (for tests).
    pub fn shared_chunks(&self) -> usize {
        self.chunks
            .iter()
            .filter(|c| Arc::strong_count(c) > 1)
            .count()
    }
}

impl FromIterator<Box<[u8]>> for List {
    fn from_iter<I: IntoIterator<Item = Box<[u8]>>>(items: I) -> Self {
        let mut list = List::new();
        for e in items {
            list.push_back(e);
        }
        list
    }
}

impl std::ops::Index<usize> for List {
    type Output = [u8];

    fn index(&self, index: usize) -> &[u8] {
        match self.get(index) {
            Some(e) => e,
            None => panic!("list index {index} out of range (len {})", self.len),
        }
    }
}

/// Redis's index normalisation: negative indexes count from the tail.
pub fn normalize_index(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { len as i64 + index } else { index };
    if i < 0 || i >= len as i64 {
        None
    } else {
        Some(i as usize)
    }
}

/// Redis's range normalisation for LRANGE/LTRIM-style `start stop` (inclusive); `None` when empty.
pub fn normalize_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut stop = if stop < 0 { len + stop } else { stop };
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        PushBack(u16),
        PushFront(u16),
        PopBack,
        PopFront,
        Insert(usize, u16),
        Remove(usize),
        Set(usize, u16),
        KeepRange(usize, usize),
        RemoveMatching(u16, usize, bool),
        Snapshot,
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct values, so LREM finds matches; bursts of pushes build several chunks.
        prop_oneof![
            4 => (0u16..8).prop_map(Op::PushBack),
            4 => (0u16..8).prop_map(Op::PushFront),
            1 => Just(Op::PopBack),
            1 => Just(Op::PopFront),
            2 => (any::<usize>(), 0u16..8).prop_map(|(i, v)| Op::Insert(i, v)),
            2 => any::<usize>().prop_map(Op::Remove),
            1 => (any::<usize>(), 0u16..8).prop_map(|(i, v)| Op::Set(i, v)),
            1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::KeepRange(a, b)),
            1 => (0u16..8, 0usize..2000, any::<bool>())
                .prop_map(|(v, n, t)| Op::RemoveMatching(v, n, t)),
            1 => Just(Op::Snapshot),
        ]
    }

    fn elem(v: u16) -> Box<[u8]> {
        v.to_string().into_bytes().into()
    }

    type Model = VecDeque<Box<[u8]>>;

    /// LREM on the model.
    fn model_remove_matching(model: &mut Model, target: &[u8], limit: usize, tail: bool) -> usize {
        let mut removed = 0;
        let mut kept = Model::new();
        let mut keep = |e: Box<[u8]>, kept: &mut Model| {
            if removed < limit && &*e == target {
                removed += 1;
            } else if tail {
                kept.push_front(e);
            } else {
                kept.push_back(e);
            }
        };
        if tail {
            model.drain(..).rev().for_each(|e| keep(e, &mut kept));
        } else {
            model.drain(..).for_each(|e| keep(e, &mut kept));
        }
        *model = kept;
        removed
    }

    /// Applies `op` (not `Snapshot`) to the list and the model; an error when they disagree.
    fn apply(op: &Op, list: &mut List, model: &mut Model) -> Result<(), String> {
        let same = |what: &str, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
            let (a, b) = (format!("{a:?}"), format!("{b:?}"));
            if a == b {
                Ok(())
            } else {
                Err(format!("{what}: list {a}, model {b}"))
            }
        };
        // An index in range when there is one.
        let at = |i: usize, len: usize| if len == 0 { i } else { i % len };
        match *op {
            Op::PushBack(v) => {
                list.push_back(elem(v));
                model.push_back(elem(v));
            }
            Op::PushFront(v) => {
                list.push_front(elem(v));
                model.push_front(elem(v));
            }
            Op::PopBack => same("pop_back", &list.pop_back(), &model.pop_back())?,
            Op::PopFront => same("pop_front", &list.pop_front(), &model.pop_front())?,
            Op::Insert(i, v) => {
                let i = i % (model.len() + 1);
                list.insert(i, elem(v));
                model.insert(i, elem(v));
            }
            Op::Remove(i) => {
                let i = at(i, model.len());
                same("remove", &list.remove(i), &model.remove(i))?;
            }
            Op::Set(i, v) => {
                let i = at(i, model.len());
                same("set", &list.set(i, elem(v)), &(i < model.len()))?;
                if let Some(slot) = model.get_mut(i) {
                    *slot = elem(v);
                }
            }
            Op::KeepRange(a, b) if !model.is_empty() => {
                let (a, b) = (a % model.len(), b % model.len());
                let (s, e) = (a.min(b), a.max(b));
                list.keep_range(s, e);
                model.truncate(e + 1);
                model.drain(..s);
            }
            Op::RemoveMatching(v, limit, tail) => {
                let target = elem(v);
                let want = model_remove_matching(model, &target, limit, tail);
                same("lrem", &list.remove_matching(&target, limit, tail), &want)?;
            }
            Op::KeepRange(..) | Op::Snapshot => {}
        }
        Ok(())
    }

    proptest! {
        /// Every operation agrees with a plain `VecDeque`, and a clone taken at any point keeps
        /// its contents whatever the original goes through.
        #[test]
        fn matches_a_vecdeque_and_clones_stay_put(
            ops in proptest::collection::vec((op(), 1usize..3000), 1..60)
        ) {
            let mut list = List::new();
            let mut model = Model::new();
            let mut snapshots: Vec<(List, Vec<Box<[u8]>>)> = Vec::new();
            for (op, repeat) in ops {
                // Pushes repeat so the list spans chunks; other operations run once.
                let pushes = matches!(op, Op::PushBack(_) | Op::PushFront(_));
                for _ in 0..if pushes { repeat } else { 1 } {
                    if matches!(op, Op::Snapshot) {
                        snapshots.push((list.clone(), model.iter().cloned().collect()));
                    }
                    if let Err(e) = apply(&op, &mut list, &mut model) {
                        prop_assert!(false, "{:?}: {}", op, e);
                    }
                }
                prop_assert_eq!(list.len(), model.len());
                prop_assert!(list.chunks.iter().all(|c| !c.is_empty() && c.len() <= CHUNK));
            }
            prop_assert!(list.iter().eq(model.iter()));
            prop_assert!(list.iter().rev().eq(model.iter().rev()));
            for i in [0, model.len() / 3, model.len() / 2, model.len().saturating_sub(1)] {
                prop_assert_eq!(list.get(i), model.get(i).map(|e| &e[..]));
            }
            if !model.is_empty() {
                let (s, e) = (model.len() / 4, model.len() * 3 / 4);
                prop_assert!(list.range(s, e).eq(model.range(s..=e)));
            }
            for (snap, contents) in &snapshots {
                prop_assert!(snap.iter().eq(contents.iter()));
            }
        }
    }

    #[test]
    fn a_write_to_a_shared_list_copies_one_chunk() {
        let list: List = (0..100_000u32).map(|i| elem(i as u16)).collect();
        let chunks = list.chunks.len();
        assert!(chunks >= 100_000 / CHUNK);
        let mut writer = list.clone();
        assert_eq!(writer.shared_chunks(), chunks);
        writer.set(50_000, elem(9));
        writer.push_back(elem(1));
        writer.pop_front();
        assert!(writer.shared_chunks() >= chunks - 3);
        // (The pop moved every index down by one.)
        assert_eq!(writer.get(49_999), Some(&b"9"[..]));
        assert_eq!(&list[50_000], &*elem(50_000u32 as u16));
        assert_eq!(list.len(), 100_000);
    }
}
