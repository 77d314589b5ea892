//! The stream type: an append-only log of field/value entries with `ms-seq` IDs, stored as Redis 7.0
//! stores it, plus its consumer groups.
//!
//! Layout. The entries live in *nodes*: an ordered map from each node's master ID to a listpack in
//! Redis's exact stream-node layout (see `redoubt_rdb::stream` for the byte-level picture):
//!
//! ```text
//! master entry: <count> <deleted> <num-fields> <field-1> ... <field-N> <0>
//! each entry:   <flags> <ms-diff> <seq-diff> [<num-fields> <field-1>] <value-1> ... <lp-count>
//! ```
//!
//! Because the node bytes are the very bytes Redis builds for the same sequence of operations, an RDB
//! save can write each node verbatim and a load can adopt it without re-encoding.
//!
//! Rules kept from `t_stream.c` (7.0.15), because they decide the bytes:
//! - Appending goes to the last node unless `node bytes + sum of field/value lengths >=
//!   stream-node-max-bytes` or `count + deleted >= stream-node-max-entries`; a new node's master
//!   fields are the first entry's fields, and an entry with exactly those fields (same order) gets the
//!   SAMEFIELDS flag and omits its field names.
//! - Deleting (XDEL, exact trimming inside a node) only sets the DELETED flag and moves one from
//!   `count` to `deleted`; a node whose last live entry goes is dropped. Nodes are never compacted
//!   (Redis 7.0 leaves that as a TODO, and matching its bytes matters more).
//! - Trimming drops whole nodes from the head while the rest still satisfies MAXLEN/MINID; with `~`
//!   it stops at the first node it cannot drop whole, otherwise it flags entries in that node.

use bytes::Bytes;
use redoubt_rdb::entry::Entry;
use redoubt_rdb::listpack::Listpack;
pub use redoubt_rdb::stream::StreamId;
use redoubt_rdb::stream::{FLAG_DELETED, FLAG_SAMEFIELDS};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Largest listpack Redis lets a stream node grow to (`STREAM_LISTPACK_MAX_SIZE`).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// The smallest and largest IDs.
pub const MIN_ID: StreamId = StreamId { ms: 0, seq: 0 };
pub const MAX_ID: StreamId = StreamId {
    ms: u64::MAX,
    seq: u64::MAX,
};

/// The successor of an ID, or `None` past the last possible one (`streamIncrID`).
pub fn incr_id(id: StreamId) -> Option<StreamId> {
    if id.seq < u64::MAX {
        Some(StreamId {
            ms: id.ms,
            seq: id.seq + 1,
        })
    } else if id.ms < u64::MAX {
        Some(StreamId {
            ms: id.ms + 1,
            seq: 0,
        })
    } else {
        None
    }
}

/// The predecessor of an ID, or `None` before 0-0 (`streamDecrID`).
pub fn decr_id(id: StreamId) -> Option<StreamId> {
    if id.seq > 0 {
        Some(StreamId {
            ms: id.ms,
            seq: id.seq - 1,
        })
    } else if id.ms > 0 {
        Some(StreamId {
            ms: id.ms - 1,
            seq: u64::MAX,
        })
    } else {
        None
    }
}

/// An entry read out of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    pub id: StreamId,
    pub fields: Vec<(Bytes, Bytes)>,
}

/// One entry's place inside a node, as found by [`scan_node`].
struct NodeItem {
    id: StreamId,
    flags: i64,
    /// Byte position of the entry's flags element.
    flags_pos: usize,
    /// Byte position of the entry's first element after the ID (num-fields or the first value).
    body_pos: usize,
}

/// How to trim (XADD/XTRIM options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimStrategy {
    MaxLen(u64),
    MinId(StreamId),
}

/// A delivered, not yet acknowledged entry of a consumer group.
#[derive(Debug, Clone)]
pub struct Nack {
    pub delivery_time: i64,
    pub delivery_count: u64,
    pub consumer: Vec<u8>,
}

/// A consumer of a group.
#[derive(Debug, Clone)]
pub struct Consumer {
    pub seen_time: i64,
    /// IDs of the group's pending entries this consumer owns.
    pub pel: BTreeSet<StreamId>,
}

/// Redis's `SCG_INVALID_ENTRIES_READ`.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A consumer group.
#[derive(Debug, Clone)]
pub struct ConsumerGroup {
    pub last_id: StreamId,
    /// Logical read counter, or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl ConsumerGroup {
    pub fn new(last_id: StreamId, entries_read: i64) -> Self {
        ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }
}

/// How much of a stream node that comes from outside (an RDB file, a DUMP payload) is checked
/// before it is adopted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeCheck {
    /// Every entry: `sanitize-dump-payload yes`, RESTORE, and files without a checksum.
    Full,
    /// The listpack header, the master entry and the last entry's ID, like Redis without
    /// `sanitize-dump-payload`: for bytes that a verified checksum vouches for.
    Header,
}

/// A stream value.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// Behind an `Arc` each, so a snapshot shares them and a write copies only the node it
    /// changes (the tail, for XADD).
    nodes: BTreeMap<StreamId, Arc<Listpack>>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Vec<u8>, ConsumerGroup>,
    /// The tail node's master field names, cached for XADD; `None` after a node was removed.
    tail_fields: Option<Vec<Box<[u8]>>>,
}

fn int_at(lp: &Listpack, pos: usize) -> i64 {
    lp.entry_at(pos).and_then(|e| e.as_i64()).unwrap_or(0)
}

/// Walks a node: its master field positions and every entry (deleted ones included).
fn scan_node(master: StreamId, lp: &Listpack) -> (Vec<usize>, Vec<NodeItem>) {
    let mut items = Vec::new();
    let mut master_fields = Vec::new();
    let Some(p_count) = lp.first_pos() else {
        return (master_fields, items);
    };
    let Some(p_deleted) = lp.next_pos(p_count) else {
        return (master_fields, items);
    };
    let Some(p_nfields) = lp.next_pos(p_deleted) else {
        return (master_fields, items);
    };
    let nfields = int_at(lp, p_nfields).max(0) as usize;
    let mut p = lp.next_pos(p_nfields);
    for _ in 0..nfields {
        let Some(q) = p else {
            return (master_fields, items);
        };
        master_fields.push(q);
        p = lp.next_pos(q);
    }
    // Skip the master terminator.
    p = p.and_then(|q| lp.next_pos(q));
    while let Some(flags_pos) = p {
        let flags = int_at(lp, flags_pos);
        let Some(p_ms) = lp.next_pos(flags_pos) else {
            break;
        };
        let Some(p_seq) = lp.next_pos(p_ms) else {
            break;
        };
        let ms = master.ms.wrapping_add(int_at(lp, p_ms) as u64);
        let seq = master.seq.wrapping_add(int_at(lp, p_seq) as u64);
        let Some(body_pos) = lp.next_pos(p_seq) else {
            break;
        };
        let skip = if flags & FLAG_SAMEFIELDS != 0 {
            nfields
        } else {
            1 + 2 * int_at(lp, body_pos).max(0) as usize
        };
        let mut q = Some(body_pos);
        for _ in 0..skip {
            match q {
                Some(x) => q = lp.next_pos(x),
                None => break,
            }
        }
        // q is at lp-count now.
        items.push(NodeItem {
            id: StreamId { ms, seq },
            flags,
            flags_pos,
            body_pos,
        });
        p = q.and_then(|x| lp.next_pos(x));
    }
    (master_fields, items)
}

/// Owned bytes of a listpack element.
fn entry_bytes(e: Entry<'_>) -> Bytes {
    match e {
        Entry::Str(s) => Bytes::copy_from_slice(s),
        Entry::Int(i) => Bytes::from(i.to_string()),
    }
}

/// Collects the (field, value) elements of the entry at `item`; `master` are the node's master
/// field names.
fn fill_pairs<'a>(
    lp: &'a Listpack,
    master: &[Entry<'a>],
    item: &NodeItem,
    out: &mut Vec<(Entry<'a>, Entry<'a>)>,
) {
    if item.flags & FLAG_SAMEFIELDS != 0 {
        let mut p = Some(item.body_pos);
        for f in master {
            let Some(v) = p else { break };
            let Some(ve) = lp.entry_at(v) else { break };
            out.push((*f, ve));
            p = lp.next_pos(v);
        }
    } else {
        let n = int_at(lp, item.body_pos).max(0) as usize;
        let mut p = lp.next_pos(item.body_pos);
        for _ in 0..n {
            let Some(f) = p else { break };
            let Some(v) = lp.next_pos(f) else { break };
            let (Some(fe), Some(ve)) = (lp.entry_at(f), lp.entry_at(v)) else {
                break;
            };
            out.push((fe, ve));
            p = lp.next_pos(v);
        }
    }
}

/// Rewrites the master entry's `count` and `deleted` counters (deleted first: it sits later).
fn set_node_counters(lp: &mut Listpack, count: i64, deleted: i64) {
    let Some(p_count) = lp.first_pos() else {
        return;
    };
    if let Some(p_deleted) = lp.next_pos(p_count) {
        lp.replace_int_at(p_deleted, deleted);
    }
    lp.replace_int_at(p_count, count);
}

fn node_counters(lp: &Listpack) -> (i64, i64) {
    let Some(p) = lp.first_pos() else {
        return (0, 0);
    };
    let count = int_at(lp, p);
    let deleted = lp.next_pos(p).map(|q| int_at(lp, q)).unwrap_or(0);
    (count, deleted)
}

impl Stream {
    pub fn new() -> Self {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The nodes as (master ID, listpack bytes), in ID order.
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &[u8])> {
        self.nodes.iter().map(|(k, v)| (*k, v.as_bytes()))
    }

    /// Adopts a node read from an RDB or a DUMP payload as it is (no re-encoding), after checking
    /// it as `check` says. The caller sets `length`, `last_id` and the other metadata from the same
    /// source. Returns the node's live entries and its last entry's ID.
    pub fn adopt_node(
        &mut self,
        master: StreamId,
        bytes: Vec<u8>,
        check: NodeCheck,
    ) -> Result<(u64, Option<StreamId>), redoubt_rdb::error::CodecError> {
        let (lp, live, last) = match check {
            NodeCheck::Full => redoubt_rdb::stream::checked_node(master, bytes)?,
            NodeCheck::Header => redoubt_rdb::stream::header_checked_node(master, bytes)?,
        };
        self.nodes.insert(master, Arc::new(lp));
        self.tail_fields = None;
        Ok((live, last))
    }

    /// Checks every entry of every node (for nodes adopted with [`NodeCheck::Header`] when the
    /// checksum that was to vouch for them turned out to be absent).
    pub fn check_nodes(&self) -> Result<(), redoubt_rdb::error::CodecError> {
        for (master, lp) in &self.nodes {
            redoubt_rdb::stream::walk_node(*master, lp.as_bytes(), |_, _| {})?;
        }
        Ok(())
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes of all node listpacks (for MEMORY USAGE estimates).
    pub fn nodes_bytes(&self) -> usize {
        self.nodes.values().map(|lp| lp.bytes_len()).sum()
    }

    /// Appends an entry with ID `id` (already checked to be above `last_id`), following
    /// `streamAppendItem`'s node choice. `fields` are (field, value) pairs.
    pub fn append(
        &mut self,
        id: StreamId,
        fields: &[(&[u8], &[u8])],
        node_max_bytes: usize,
        node_max_entries: usize,
    ) {
        let totelelen: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        let max_bytes = if node_max_bytes == 0 || node_max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            node_max_bytes
        };
        let mut use_last = false;
        if let Some((_, lp)) = self.nodes.iter().next_back() {
            use_last = true;
            if lp.bytes_len() + totelelen >= max_bytes {
                use_last = false;
            } else if node_max_entries > 0 {
                let (count, deleted) = node_counters(lp);
                if count + deleted >= node_max_entries as i64 {
                    use_last = false;
                }
            }
        }
        if !use_last {
            // The tail node is full: drop its spare capacity, as Redis does when it moves on.
            // (A node a snapshot still shares is left as it is.)
            if let Some(lp) = self.nodes.values_mut().next_back().and_then(Arc::get_mut) {
                lp.shrink_to_fit();
            }
        }
        let mut flags = 0;
        let master = if use_last {
            let Some((&master, lp)) = self.nodes.iter_mut().next_back() else {
                return;
            };
            let lp = Arc::make_mut(lp);
            let (count, _) = node_counters(lp);
            if let Some(p) = lp.first_pos() {
                lp.replace_int_at(p, count + 1);
            }
            let cached = self.tail_fields.get_or_insert_with(|| {
                let (positions, _) = scan_node_master(lp);
                positions
                    .iter()
                    .map(|&p| {
                        lp.entry_at(p)
                            .map(|e| e.to_vec().into_boxed_slice())
                            .unwrap_or_default()
                    })
                    .collect()
            });
            if cached.len() == fields.len()
                && cached.iter().zip(fields).all(|(m, (f, _))| &m[..] == *f)
            {
                flags = FLAG_SAMEFIELDS;
            }
            master
        } else {
            let mut lp = Listpack::new();
            lp.push_back_int(1);
            lp.push_back_int(0);
            lp.push_back_int(fields.len() as i64);
            for (f, _) in fields {
                lp.push_back(f);
            }
            lp.push_back_int(0);
            self.nodes.insert(id, Arc::new(lp));
            self.tail_fields = Some(fields.iter().map(|(f, _)| Box::from(*f)).collect());
            flags = FLAG_SAMEFIELDS;
            id
        };
        let Some(lp) = self.nodes.get_mut(&master).map(Arc::make_mut) else {
            return;
        };
        let same = flags & FLAG_SAMEFIELDS != 0;
        lp.push_back_int(flags);
        lp.push_back_int(id.ms.wrapping_sub(master.ms) as i64);
        lp.push_back_int(id.seq.wrapping_sub(master.seq) as i64);
        if !same {
            lp.push_back_int(fields.len() as i64);
        }
        for (f, v) in fields {
            if !same {
                lp.push_back(f);
            }
            lp.push_back(v);
        }
        let n = fields.len() as i64;
        lp.push_back_int(if same { n + 3 } else { 2 * n + 4 });
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Live entries with `start <= id <= end`, forward or reversed, at most `count` (0 = all).
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        count: usize,
    ) -> Vec<StreamEntry> {
        let mut out = Vec::new();
        self.range_visit(start, end, rev, count, |id, pairs| {
            let fields = pairs
                .iter()
                .map(|(f, v)| (entry_bytes(*f), entry_bytes(*v)))
                .collect();
            out.push(StreamEntry { id, fields });
        });
        out
    }

    /// Calls `f` with the ID and the (field, value) elements of each live entry with
    /// `start <= id <= end`, forward or reversed, at most `count` (0 = all); returns how many.
    /// The elements borrow the node, so replies can be written without copies.
    pub fn range_visit<'a>(
        &'a self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        count: usize,
        mut f: impl FnMut(StreamId, &[(Entry<'a>, Entry<'a>)]),
    ) -> usize {
        let mut n = 0;
        if start > end {
            return n;
        }
        let mut pairs: Vec<(Entry<'a>, Entry<'a>)> = Vec::new();
        let mut visit = |lp: &'a Listpack, mf: &[Entry<'a>], it: &NodeItem, n: &mut usize| {
            pairs.clear();
            fill_pairs(lp, mf, it, &mut pairs);
            f(it.id, &pairs);
            *n += 1;
            count != 0 && *n >= count
        };
        if !rev {
            let first_master = self
                .nodes
                .range(..=start)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(MIN_ID);
            for (master, lp) in self.nodes.range(first_master..=end) {
                let (mf, items) = scan_node(*master, lp);
                let mf: Vec<Entry<'a>> = mf.iter().filter_map(|&p| lp.entry_at(p)).collect();
                for it in &items {
                    if it.flags & FLAG_DELETED != 0 || it.id < start {
                        continue;
                    }
                    if it.id > end || visit(lp, &mf, it, &mut n) {
                        return n;
                    }
                }
            }
        } else {
            for (master, lp) in self.nodes.range(..=end).rev() {
                let (mf, items) = scan_node(*master, lp);
                let mf: Vec<Entry<'a>> = mf.iter().filter_map(|&p| lp.entry_at(p)).collect();
                for it in items.iter().rev() {
                    if it.flags & FLAG_DELETED != 0 || it.id > end {
                        continue;
                    }
                    if it.id < start || visit(lp, &mf, it, &mut n) {
                        return n;
                    }
                }
                if *master < start {
                    break;
                }
            }
        }
        n
    }

    /// The entry with exactly this ID, if live.
    pub fn get(&self, id: StreamId) -> Option<StreamEntry> {
        self.range(id, id, false, 1).pop()
    }

    /// The first or last entry ID; tombstones count unless `skip_tombstones` (`streamGetEdgeID`).
    /// Empty stream: MAX_ID for the first, MIN_ID for the last.
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> StreamId {
        let pick = |items: Vec<NodeItem>| -> Option<StreamId> {
            let mut it: Box<dyn Iterator<Item = NodeItem>> = if first {
                Box::new(items.into_iter())
            } else {
                Box::new(items.into_iter().rev())
            };
            it.find(|i| !skip_tombstones || i.flags & FLAG_DELETED == 0)
                .map(|i| i.id)
        };
        let found = if first {
            self.nodes
                .iter()
                .find_map(|(m, lp)| pick(scan_node(*m, lp).1))
        } else {
            self.nodes
                .iter()
                .rev()
                .find_map(|(m, lp)| pick(scan_node(*m, lp).1))
        };
        found.unwrap_or(if first { MAX_ID } else { MIN_ID })
    }

    /// Flags one live entry deleted (`streamDeleteItem`); drops its node when it was the last live
    /// one. Does not touch `first_id`/`max_deleted_id` (the commands do, like Redis).
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, _)) = self.nodes.range(..=id).next_back() else {
            return false;
        };
        let Some(lp) = self.nodes.get_mut(&master).map(Arc::make_mut) else {
            return false;
        };
        let (_, items) = scan_node(master, lp);
        let Some(it) = items
            .iter()
            .find(|i| i.id == id && i.flags & FLAG_DELETED == 0)
        else {
            return false;
        };
        let (count, deleted) = node_counters(lp);
        lp.replace_int_at(it.flags_pos, it.flags | FLAG_DELETED);
        if count == 1 {
            self.nodes.remove(&master);
            self.tail_fields = None;
        } else {
            set_node_counters(lp, count - 1, deleted + 1);
        }
        self.length = self.length.saturating_sub(1);
        true
    }

    /// Trims from the head (`streamTrim`); returns how many entries went. `limit` 0 = unlimited.
    pub fn trim(&mut self, strategy: TrimStrategy, approx: bool, limit: i64) -> i64 {
        let mut deleted: i64 = 0;
        let masters: Vec<StreamId> = self.nodes.keys().copied().collect();
        for master in masters {
            if let TrimStrategy::MaxLen(maxlen) = strategy {
                if self.length <= maxlen {
                    break;
                }
            }
            let Some(lp) = self.nodes.get(&master) else {
                continue;
            };
            let (entries, marked) = node_counters(lp);
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let (_, items) = scan_node(master, lp);
            let remove_node = match strategy {
                TrimStrategy::MaxLen(maxlen) => {
                    self.length.saturating_sub(entries as u64) >= maxlen
                        && self.length >= entries as u64
                }
                TrimStrategy::MinId(min) => items.last().is_some_and(|i| i.id < min),
            };
            if remove_node {
                self.nodes.remove(&master);
                self.tail_fields = None;
                self.length = self.length.saturating_sub(entries as u64);
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            // Flag entries inside this node, from its head, positions from the back first so the
            // earlier ones stay valid.
            let mut to_flag = Vec::new();
            let mut length = self.length;
            for it in &items {
                let stop = match strategy {
                    TrimStrategy::MaxLen(maxlen) => length <= maxlen,
                    TrimStrategy::MinId(min) => it.id >= min,
                };
                if stop {
                    break;
                }
                if it.flags & FLAG_DELETED == 0 {
                    to_flag.push((it.flags_pos, it.flags | FLAG_DELETED));
                    length = length.saturating_sub(1);
                }
            }
            // Only a node changed in place is copied from a snapshot that shares it.
            let Some(lp) = self.nodes.get_mut(&master).map(Arc::make_mut) else {
                break;
            };
            for &(pos, flags) in to_flag.iter().rev() {
                lp.replace_int_at(pos, flags);
            }
            let n = to_flag.len() as i64;
            self.length = length;
            deleted += n;
            set_node_counters(lp, entries - n, marked + n);
            break;
        }
        if self.length == 0 {
            self.first_id = MIN_ID;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true, true);
        }
        deleted
    }

    /// Whether `[start, end]` may contain a tombstone (`streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_id == MIN_ID {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        let s = start.unwrap_or(MIN_ID);
        let e = end.unwrap_or(MAX_ID);
        s <= self.max_deleted_id && self.max_deleted_id <= e
    }

    /// An ID's logical read counter, or [`INVALID_ENTRIES_READ`]
    /// (`streamEstimateDistanceFromFirstEverEntry`).
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_id == MIN_ID || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return self.entries_added.wrapping_sub(self.length) as i64;
            } else if id == self.first_id {
                return self.entries_added.wrapping_sub(self.length).wrapping_add(1) as i64;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag, or `None` when it cannot be known (`streamReplyWithCGLag`).
    pub fn group_lag(&self, g: &ConsumerGroup) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(Some(g.last_id), None)
        {
            return Some((self.entries_added as i64).wrapping_sub(g.entries_read));
        }
        let read = self.estimate_distance(g.last_id);
        (read != INVALID_ENTRIES_READ).then(|| (self.entries_added as i64).wrapping_sub(read))
    }

    /// Node-level facts for XINFO STREAM: (radix-tree keys, radix-tree nodes estimate).
    pub fn rax_keys(&self) -> usize {
        self.nodes.len()
    }
}

/// The master field positions of a node.
fn scan_node_master(lp: &Listpack) -> (Vec<usize>, ()) {
    let mut out = Vec::new();
    let Some(p_count) = lp.first_pos() else {
        return (out, ());
    };
    let Some(p_deleted) = lp.next_pos(p_count) else {
        return (out, ());
    };
    let Some(p_nfields) = lp.next_pos(p_deleted) else {
        return (out, ());
    };
    let n = int_at(lp, p_nfields).max(0) as usize;
    let mut p = lp.next_pos(p_nfields);
    for _ in 0..n {
        let Some(q) = p else { break };
        out.push(q);
        p = lp.next_pos(q);
    }
    (out, ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    #[test]
    fn append_range_delete_round_trip() {
        let mut s = Stream::new();
        s.append(id(1, 0), &[(b"a", b"1"), (b"b", b"2")], 4096, 100);
        s.append(id(1, 1), &[(b"a", b"3"), (b"b", b"4")], 4096, 100);
        s.append(id(2, 0), &[(b"c", b"5")], 4096, 100);
        assert_eq!(s.len(), 3);
        let all = s.range(MIN_ID, MAX_ID, false, 0);
        assert_eq!(
            all.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![id(1, 0), id(1, 1), id(2, 0)]
        );
        assert_eq!(
            all[2].fields,
            vec![(Bytes::from_static(b"c"), Bytes::from_static(b"5"))]
        );
        let rev = s.range(MIN_ID, MAX_ID, true, 2);
        assert_eq!(
            rev.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![id(2, 0), id(1, 1)]
        );
        assert!(s.delete(id(1, 1)));
        assert!(!s.delete(id(1, 1)));
        assert_eq!(s.len(), 2);
        assert_eq!(s.edge_id(false, false), id(2, 0));
        let nodes: Vec<_> = s.nodes().collect();
        let decoded = redoubt_rdb::stream::decode_node(nodes[0].0, nodes[0].1).unwrap();
        assert_eq!(decoded.len(), 2);
    }

    #[test]
    fn node_limits_split_nodes() {
        let mut s = Stream::new();
        for i in 0..5 {
            s.append(id(i + 1, 0), &[(b"f", b"v")], 4096, 2);
        }
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.trim(TrimStrategy::MaxLen(2), true, 0), 2);
        assert_eq!(s.len(), 3);
        assert_eq!(s.trim(TrimStrategy::MaxLen(2), false, 0), 1);
        assert_eq!(s.len(), 2);
        assert_eq!(s.first_id, id(4, 0));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// A node adopted with only its header checked may be broken inside: every operation on
        /// the stream still returns without panicking.
        #[test]
        fn header_checked_nodes_never_panic(
            flips in proptest::collection::vec((proptest::prelude::any::<u16>(), proptest::prelude::any::<u8>()), 1..6),
            same_fields in proptest::prelude::any::<bool>(),
        ) {
            let mut src = Stream::new();
            for i in 0..40u64 {
                let f: &[u8] = if same_fields || i % 3 != 0 { b"field" } else { b"other" };
                src.append(id(i + 1, 0), &[(f, format!("v{i}").as_bytes())], 4096, 16);
            }
            let mut s = Stream::new();
            for (master, bytes) in src.nodes() {
                let mut bytes = bytes.to_vec();
                let n = bytes.len();
                for (pos, x) in &flips {
                    // Anything but the 6-byte header and the end marker.
                    let at = 6 + *pos as usize % (n - 7);
                    bytes[at] ^= x | 1;
                }
                let _ = s.adopt_node(master, bytes, NodeCheck::Header);
            }
            s.length = src.length;
            s.last_id = src.last_id;
            let _ = s.range(MIN_ID, MAX_ID, false, 0);
            let _ = s.range(MIN_ID, MAX_ID, true, 5);
            let _ = s.get(id(20, 0));
            let _ = s.edge_id(true, true);
            let _ = s.range_has_tombstones(None, None);
            let _ = s.estimate_distance(id(30, 0));
            let _ = s.check_nodes();
            for i in [1u64, 17, 20, 33, 40] {
                s.delete(id(i, 0));
            }
            s.append(id(100, 0), &[(b"field", b"x")], 4096, 16);
            s.trim(TrimStrategy::MaxLen(10), false, 0);
            s.trim(TrimStrategy::MinId(id(35, 0)), true, 0);
            let _ = s.range(MIN_ID, MAX_ID, false, 0);
        }
    }
}
