//! Stream values: IDs, entries, consumer groups, and the listpack layout of a stream node.
//!
//! A stream is a radix tree from a node's *master ID* (16 bytes: ms and seq, big-endian) to a
//! listpack holding up to `stream-node-max-entries` entries whose IDs are delta-encoded against the
//! master ID. Node listpack layout (every number is a listpack integer):
//!
//! ```text
//! master entry: <count> <deleted> <num-fields> <field-1> ... <field-N> <0>
//! each entry:   <flags> <ms-diff> <seq-diff> <num-fields> <field-1> <value-1> ... <lp-count>
//!         or:   <flags> <ms-diff> <seq-diff> <value-1> ... <value-N> <lp-count>   (SAMEFIELDS)
//! flags: 1 = DELETED, 2 = SAMEFIELDS (the entry has exactly the master entry's fields, in order)
//! lp-count: number of listpack elements of the entry before it (N+3 with SAMEFIELDS, 2N+4 without)
//! ```
//!
//! `count` is the number of live entries in the node and `deleted` the number of entries flagged
//! DELETED but not yet removed. In RDB, the nodes are followed by the stream's length, last ID, and
//! (RDB type 19+) first ID, max deleted ID and entries-added counter, then the consumer groups: each
//! with name, last delivered ID, (19+) entries-read, its pending entries list (raw 16-byte ID,
//! delivery time ms, delivery count), and its consumers (name, seen time, (type 21) active time,
//! and the IDs of their pending entries).

use crate::entry::Entry;
use crate::error::CodecError;
use crate::listpack::{self, Listpack};

pub const FLAG_DELETED: i64 = 1;
pub const FLAG_SAMEFIELDS: i64 = 2;

/// A stream entry ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    /// The 16-byte big-endian form used as a node key and in PELs.
    pub fn to_raw(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    pub fn from_raw(b: &[u8; 16]) -> Self {
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        StreamId {
            ms: u64::from_be_bytes(ms),
            seq: u64::from_be_bytes(seq),
        }
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One stream entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    pub id: StreamId,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Stream-level metadata stored after the nodes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamMeta {
    pub length: u64,
    pub last_id: StreamId,
    /// RDB type 19+ only.
    pub first_id: Option<StreamId>,
    /// RDB type 19+ only.
    pub max_deleted_id: Option<StreamId>,
    /// RDB type 19+ only.
    pub entries_added: Option<u64>,
}

/// A pending (delivered, not acknowledged) entry of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEntry {
    pub id: StreamId,
    pub delivery_time_ms: i64,
    pub delivery_count: u64,
}

/// A consumer of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub name: Vec<u8>,
    pub seen_time_ms: i64,
    /// RDB type 21 only.
    pub active_time_ms: Option<i64>,
    /// IDs of the group PEL entries owned by this consumer.
    pub pending: Vec<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroup {
    pub name: Vec<u8>,
    pub last_id: StreamId,
    /// RDB type 19+ only; -1 (`SCG_INVALID_ENTRIES_READ`) when unknown.
    pub entries_read: Option<i64>,
    pub pending: Vec<PendingEntry>,
    pub consumers: Vec<Consumer>,
}

/// Decodes the live (not DELETED) entries of one node. Positions in errors are element indexes
/// inside the node's listpack (or byte positions for listpack-level corruption).
pub fn decode_node(master: StreamId, lp: &[u8]) -> Result<Vec<StreamEntry>, CodecError> {
    let mut out = Vec::new();
    walk_node(master, lp, |id, fields| {
        out.push(StreamEntry {
            id,
            fields: fields
                .iter()
                .map(|(f, v)| (f.to_vec(), v.to_vec()))
                .collect(),
        });
    })?;
    Ok(out)
}

/// Validates one node and calls `on_entry` with the ID and the `(field, value)` pairs of each live
/// entry, in order, borrowing from `lp` (nothing is allocated per entry). The node is validated
/// completely, including the master counts, which are only known to match at the end: on error,
/// some entries may already have been reported.
/// A node read as stored, checked once (listpack structure, node layout, entry counts): the
/// listpack, its live entries and the last live entry's ID. For adopting nodes verbatim.
pub fn checked_node(
    master: StreamId,
    bytes: Vec<u8>,
) -> Result<(Listpack, u64, Option<StreamId>), CodecError> {
    let (mut live, mut last) = (0u64, None);
    walk_node(master, &bytes, |id, _| {
        live += 1;
        last = Some(id);
    })?;
    Ok((Listpack::from_checked_bytes(bytes), live, last))
}

/// Adopts a node checking what Redis checks when it loads an RDB without `sanitize-dump-payload`
/// (the listpack header and end marker), plus the master entry and the last entry's ID, which the
/// stream's own metadata is checked against. The entries in between are not decoded: use it only
/// for bytes a checksum vouches for, and [`checked_node`] otherwise. Code that reads nodes must (and
/// does) treat a malformed element as the end of the node, never as a reason to panic.
/// Returns the listpack, its live entries (the master `count`) and the last entry's ID (deleted
/// or not).
pub fn header_checked_node(
    master: StreamId,
    bytes: Vec<u8>,
) -> Result<(Listpack, u64, Option<StreamId>), CodecError> {
    listpack::validate_header(&bytes)?;
    let lp = Listpack::from_checked_bytes(bytes);
    let int_at = |pos: Option<usize>, what: &'static str| -> Result<(usize, i64), CodecError> {
        let p = pos.ok_or(CodecError::new(0, what))?;
        let v = lp
            .entry_at(p)
            .and_then(|e| e.as_i64())
            .ok_or(CodecError::new(p, what))?;
        Ok((p, v))
    };
    let (p, count) = int_at(lp.first_pos(), "the master entry count")?;
    let (p, deleted) = int_at(lp.next_pos(p), "the master deleted count")?;
    let (mut p, nfields) = int_at(lp.next_pos(p), "the master field count")?;
    if count < 0 || deleted < 0 || nfields < 0 || nfields as usize > lp.bytes_len() {
        return Err(CodecError::new(0, "plausible master entry counts"));
    }
    for _ in 0..nfields {
        p = lp
            .next_pos(p)
            .ok_or(CodecError::new(p, "a master field name"))?;
    }
    let (terminator, zero) = int_at(lp.next_pos(p), "the master entry terminator 0")?;
    if zero != 0 {
        return Err(CodecError::new(terminator, "the master entry terminator 0"));
    }
    let Some(first_entry) = lp.next_pos(terminator) else {
        if count + deleted != 0 {
            return Err(CodecError::new(terminator, "the entries the master counts"));
        }
        return Ok((lp, 0, None));
    };
    // The last entry, found backwards from its lp-count.
    let (last, lp_count) = int_at(lp.last_pos(), "the last entry's lp-count")?;
    if !(3..=lp.bytes_len() as i64).contains(&lp_count) {
        return Err(CodecError::new(last, "a plausible lp-count"));
    }
    let mut q = last;
    for _ in 0..lp_count {
        q = lp
            .prev_pos(q)
            .filter(|&x| x >= first_entry)
            .ok_or(CodecError::new(q, "the elements the lp-count names"))?;
    }
    let (q, _flags) = int_at(Some(q), "entry flags")?;
    let (q, ms_diff) = int_at(lp.next_pos(q), "an entry ms delta")?;
    let (_, seq_diff) = int_at(lp.next_pos(q), "an entry seq delta")?;
    let last_id = StreamId {
        ms: master.ms.wrapping_add(ms_diff as u64),
        seq: master.seq.wrapping_add(seq_diff as u64),
    };
    Ok((lp, count as u64, Some(last_id)))
}

pub fn walk_node<'a>(
    master: StreamId,
    lp: &'a [u8],
    mut on_entry: impl FnMut(StreamId, &[(Entry<'a>, Entry<'a>)]),
) -> Result<(), CodecError> {
    let elems_len = listpack::validate(lp)?;
    let mut it = listpack::Iter::over_validated(lp);
    let mut i = 0usize;
    let mut take = |what: &'static str| -> Result<Entry<'a>, CodecError> {
        let e = it.next().ok_or(CodecError::new(i, what));
        i += 1;
        e
    };
    let int = |e: Entry<'_>, at: &'static str| e.as_i64().ok_or(CodecError::new(0, at));
    let count = int(
        take("the master entry count")?,
        "an integer master entry count",
    )?;
    let deleted = int(
        take("the master deleted count")?,
        "an integer deleted count",
    )?;
    let nfields = int(
        take("the master field count")?,
        "an integer master field count",
    )?;
    if count < 0 || deleted < 0 || nfields < 0 || nfields as usize > elems_len {
        return Err(CodecError::new(0, "plausible master entry counts"));
    }
    let mut master_fields = Vec::with_capacity(nfields as usize);
    for _ in 0..nfields {
        master_fields.push(take("a master field name")?);
    }
    if take("the master entry terminator")?.as_i64() != Some(0) {
        return Err(CodecError::new(
            3 + nfields as usize,
            "the master entry terminator 0",
        ));
    }
    let mut fields: Vec<(Entry<'a>, Entry<'a>)> = Vec::with_capacity(nfields as usize);
    let mut seen = 0i64;
    let mut live = 0i64;
    // Bounded: every round consumes listpack elements, which are finite.
    while let Ok(flags) = take("entry flags") {
        let flags = int(flags, "integer entry flags")?;
        let ms_diff = int(take("an entry ms delta")?, "an integer ms delta")?;
        let seq_diff = int(take("an entry seq delta")?, "an integer seq delta")?;
        let id = StreamId {
            ms: master.ms.wrapping_add(ms_diff as u64),
            seq: master.seq.wrapping_add(seq_diff as u64),
        };
        fields.clear();
        if flags & FLAG_SAMEFIELDS != 0 {
            for f in &master_fields {
                fields.push((*f, take("an entry value")?));
            }
        } else {
            let n = int(take("an entry field count")?, "an integer field count")?;
            if n < 0 || n as usize > elems_len {
                return Err(CodecError::new(0, "a plausible entry field count"));
            }
            for _ in 0..n {
                let f = take("an entry field")?;
                let v = take("an entry value")?;
                fields.push((f, v));
            }
        }
        take("the entry lp-count")?;
        seen += 1;
        if flags & FLAG_DELETED == 0 {
            live += 1;
            on_entry(id, &fields);
        }
    }
    if seen != count + deleted || live != count {
        return Err(CodecError::new(
            0,
            "master entry counts matching the node's entries",
        ));
    }
    Ok(())
}

/// Builds one stream node the way `streamAppendItem` does when appending entries in ID order to a
/// fresh node: the first entry's fields become the master fields.
pub struct NodeBuilder {
    master: StreamId,
    master_fields: Vec<Vec<u8>>,
    lp: Listpack,
    count: i64,
}

impl NodeBuilder {
    /// Starts a node whose master ID and master fields come from `first`.
    pub fn new(first: &StreamEntry) -> Self {
        let mut lp = Listpack::new();
        lp.push_back_int(0); // count, patched on every append
        lp.push_back_int(0);
        lp.push_back_int(first.fields.len() as i64);
        for (f, _) in &first.fields {
            lp.push_back(f);
        }
        lp.push_back_int(0);
        let master_fields = first.fields.iter().map(|(f, _)| f.clone()).collect();
        let mut b = NodeBuilder {
            master: first.id,
            master_fields,
            lp,
            count: 0,
        };
        b.append(first);
        b
    }

    pub fn master_id(&self) -> StreamId {
        self.master
    }

    pub fn entries(&self) -> i64 {
        self.count
    }

    pub fn bytes_len(&self) -> usize {
        self.lp.bytes_len()
    }

    /// Appends `e` (whose ID must not be below the master ID).
    pub fn append(&mut self, e: &StreamEntry) {
        let same = e.fields.len() == self.master_fields.len()
            && e.fields
                .iter()
                .zip(&self.master_fields)
                .all(|((f, _), m)| f == m);
        let flags = if same { FLAG_SAMEFIELDS } else { 0 };
        self.lp.push_back_int(flags);
        self.lp
            .push_back_int(e.id.ms.wrapping_sub(self.master.ms) as i64);
        self.lp
            .push_back_int(e.id.seq.wrapping_sub(self.master.seq) as i64);
        if !same {
            self.lp.push_back_int(e.fields.len() as i64);
        }
        for (f, v) in &e.fields {
            if !same {
                self.lp.push_back(f);
            }
            self.lp.push_back(v);
        }
        let n = e.fields.len() as i64;
        self.lp.push_back_int(if same { n + 3 } else { 2 * n + 4 });
        self.count += 1;
        if let Some(p) = self.lp.first_pos() {
            self.lp.replace_int_at(p, self.count);
        }
    }

    pub fn finish(self) -> (StreamId, Listpack) {
        (self.master, self.lp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ms: u64, seq: u64, kv: &[(&str, &str)]) -> StreamEntry {
        StreamEntry {
            id: StreamId { ms, seq },
            fields: kv
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    #[test]
    fn node_round_trip_with_samefields_and_different_fields() {
        let es = vec![
            entry(1000, 0, &[("a", "1"), ("b", "x")]),
            entry(1000, 1, &[("a", "2"), ("b", "y")]),
            entry(1005, 0, &[("c", "3")]),
        ];
        let mut b = NodeBuilder::new(&es[0]);
        b.append(&es[1]);
        b.append(&es[2]);
        let (master, lp) = b.finish();
        assert_eq!(master, StreamId { ms: 1000, seq: 0 });
        assert_eq!(decode_node(master, lp.as_bytes()).unwrap(), es);
        let all: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        // master: count 3, deleted 0, 2 fields a b, 0; entry 1: flags 2 (SAMEFIELDS), 0, 0, 1, x, lp-count 5
        let want: Vec<&[u8]> = vec![
            b"3", b"0", b"2", b"a", b"b", b"0", b"2", b"0", b"0", b"1", b"x", b"5",
        ];
        assert_eq!(
            &all[..12],
            &want.iter().map(|s| s.to_vec()).collect::<Vec<_>>()[..]
        );
    }

    #[test]
    fn raw_id_round_trip() {
        let id = StreamId {
            ms: 1528199178069,
            seq: 7,
        };
        assert_eq!(StreamId::from_raw(&id.to_raw()), id);
    }
}
