//! Conversion between keyspace values and the RDB library's values, for DUMP/RESTORE now and for
//! RDB snapshots and loading later. Encodings on the way in follow Redis's load rules: a value gets
//! the compact encoding when it fits the configured `*-max-listpack-*` / intset limits.

use crate::config::Tunables;
use crate::types::hash::HashLimits;
use crate::types::stream::{
    Consumer, ConsumerGroup, Nack, NodeCheck, Stream, StreamId, INVALID_ENTRIES_READ, MAX_ID,
    MIN_ID,
};
use crate::types::zset::{ZSet, ZSetLimits};
use crate::types::{Hash, List, RString, Set, Value};
use redoubt_rdb::stream as rdb;
use redoubt_rdb::value::{Stream as RdbStream, Value as RdbValue};
use redoubt_rdb::writer::EncodingLimits;

/// The RDB library's encoding limits for the current configuration.
pub fn encoding_limits(t: &Tunables) -> EncodingLimits {
    EncodingLimits {
        hash_max_listpack_entries: t.hash_max_entries,
        hash_max_listpack_value: t.hash_max_value,
        zset_max_listpack_entries: t.zset_max_entries,
        zset_max_listpack_value: t.zset_max_value,
        set_max_intset_entries: t.set_max_intset,
        stream_node_max_bytes: t.stream_node_max_bytes,
        stream_node_max_entries: t.stream_node_max_entries,
        ..EncodingLimits::default()
    }
}

/// A keyspace value as an RDB value.
pub fn to_rdb(v: &Value) -> RdbValue {
    match v {
        Value::Str(s) => RdbValue::String(s.as_bytes().to_vec()),
        Value::List(l) => RdbValue::List(l.iter().map(|e| e.to_vec()).collect()),
        Value::Set(s) => RdbValue::Set(s.members()),
        Value::Hash(h) => RdbValue::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
        Value::ZSet(z) => RdbValue::SortedSet(z.iter().map(|(m, s)| (m.to_vec(), s)).collect()),
        Value::Stream(s) => RdbValue::Stream(Box::new(stream_to_rdb(s))),
    }
}

/// A stream as the RDB library's stream: its nodes as they are (written verbatim, like Redis),
/// metadata, groups (Redis 7.0 keeps no consumer active time).
fn stream_to_rdb(s: &Stream) -> RdbStream {
    RdbStream {
        nodes: s.nodes().map(|(id, lp)| (id, lp.to_vec())).collect(),
        entries: Vec::new(),
        meta: stream_meta(s),
        groups: stream_groups(s),
    }
}

/// A stream's metadata as the RDB library describes it.
pub fn stream_meta(s: &Stream) -> rdb::StreamMeta {
    rdb::StreamMeta {
        length: s.len(),
        last_id: s.last_id,
        first_id: Some(s.first_id),
        max_deleted_id: Some(s.max_deleted_id),
        entries_added: Some(s.entries_added),
    }
}

/// A stream's consumer groups as the RDB library describes them.
pub fn stream_groups(s: &Stream) -> Vec<rdb::ConsumerGroup> {
    s.groups
        .iter()
        .map(|(name, g)| rdb::ConsumerGroup {
            name: name.clone(),
            last_id: g.last_id,
            entries_read: Some(g.entries_read),
            pending: g
                .pel
                .iter()
                .map(|(id, n)| rdb::PendingEntry {
                    id: *id,
                    delivery_time_ms: n.delivery_time,
                    delivery_count: n.delivery_count,
                })
                .collect(),
            consumers: g
                .consumers
                .iter()
                .map(|(cname, c)| rdb::Consumer {
                    name: cname.clone(),
                    seen_time_ms: c.seen_time,
                    active_time_ms: None,
                    pending: c.pel.iter().copied().collect(),
                })
                .collect(),
        })
        .collect()
}

/// An RDB stream as a keyspace stream, its entries appended under the configured node limits;
/// `None` when the entries are not in strictly increasing ID order or a PEL names a missing consumer.
fn stream_from_rdb(r: RdbStream, t: &Tunables, check: NodeCheck) -> Option<Stream> {
    let mut s = Stream::new();
    if !r.nodes.is_empty() {
        // Nodes read verbatim: each is checked as `check` says and adopted as is.
        let (mut last_master, mut live, mut first_live, mut last_live) = (None, 0u64, None, None);
        for (master, lp) in r.nodes {
            // Nodes in ID order, entries of one node after the previous node's.
            if last_master.is_some_and(|m| master <= m) || last_live.is_some_and(|l| master <= l) {
                return None;
            }
            last_master = Some(master);
            let (n, last) = s.adopt_node(master, lp, check).ok()?;
            if n > 0 && first_live.is_none() {
                first_live = s.range(master, MAX_ID, false, 1).first().map(|e| e.id);
            }
            live += n;
            last_live = last.or(last_live);
        }
        if live != r.meta.length || last_live.is_some_and(|l| l > r.meta.last_id) {
            return None;
        }
        s.length = r.meta.length;
        s.last_id = r.meta.last_id;
        s.first_id = r.meta.first_id.unwrap_or(first_live.unwrap_or(MIN_ID));
        s.max_deleted_id = r.meta.max_deleted_id.unwrap_or(MIN_ID);
        s.entries_added = r.meta.entries_added.unwrap_or(r.meta.length);
        return add_groups(s, r.groups);
    }
    for e in &r.entries {
        if !s.is_empty() && e.id <= s.last_id {
            return None;
        }
        let fields: Vec<(&[u8], &[u8])> = e.fields.iter().map(|(f, v)| (&f[..], &v[..])).collect();
        s.append(
            e.id,
            &fields,
            t.stream_node_max_bytes,
            t.stream_node_max_entries,
        );
    }
    let first_live = r.entries.first().map(|e| e.id).unwrap_or(MIN_ID);
    s.last_id = r.meta.last_id.max(s.last_id);
    s.first_id = r.meta.first_id.unwrap_or(first_live);
    s.max_deleted_id = r.meta.max_deleted_id.unwrap_or(MIN_ID);
    s.entries_added = r.meta.entries_added.unwrap_or(s.len());
    add_groups(s, r.groups)
}

/// Consumer groups, their consumers and PELs (every PEL entry must belong to a consumer).
fn add_groups(mut s: Stream, groups: Vec<rdb::ConsumerGroup>) -> Option<Stream> {
    for g in groups {
        let mut group =
            ConsumerGroup::new(g.last_id, g.entries_read.unwrap_or(INVALID_ENTRIES_READ));
        for c in g.consumers {
            for id in &c.pending {
                let p = r_pending(&g.pending, *id)?;
                group.pel.insert(
                    *id,
                    Nack {
                        delivery_time: p.delivery_time_ms,
                        delivery_count: p.delivery_count,
                        consumer: c.name.clone(),
                    },
                );
            }
            group.consumers.insert(
                c.name,
                Consumer {
                    seen_time: c.seen_time_ms,
                    pel: c.pending.into_iter().collect(),
                },
            );
        }
        if group.pel.len() != g.pending.len() {
            return None;
        }
        s.groups.insert(g.name, group);
    }
    Some(s)
}

fn r_pending(pel: &[rdb::PendingEntry], id: StreamId) -> Option<&rdb::PendingEntry> {
    pel.binary_search_by(|p| p.id.cmp(&id))
        .ok()
        .and_then(|i| pel.get(i))
        .or_else(|| pel.iter().find(|p| p.id == id))
}

/// An RDB value as a keyspace value; `None` for module values and inconsistent streams. `check` is
/// how much of a stream's verbatim nodes is checked.
pub fn from_rdb(v: RdbValue, t: &Tunables, check: NodeCheck) -> Option<Value> {
    Some(match v {
        RdbValue::String(s) => Value::Str(RString::new(&s)),
        RdbValue::List(items) => Value::List(std::sync::Arc::new(
            items
                .into_iter()
                .map(|e| e.into_boxed_slice())
                .collect::<List>(),
        )),
        RdbValue::Set(members) => {
            let mut s = match members.first() {
                Some(m) => Set::for_member(m),
                None => Set::Intset(Vec::new()),
            };
            for m in &members {
                s.add(m, t.set_max_intset);
            }
            Value::Set(std::sync::Arc::new(s))
        }
        RdbValue::Hash(pairs) => {
            let limits = HashLimits {
                max_entries: t.hash_max_entries,
                max_value: t.hash_max_value,
            };
            Value::Hash(std::sync::Arc::new(Hash::from_pairs(pairs, limits)))
        }
        RdbValue::SortedSet(items) => {
            let limits = ZSetLimits {
                max_listpack_entries: t.zset_max_entries,
                max_listpack_value: t.zset_max_value,
            };
            let mut z = ZSet::for_length(items.len(), limits);
            for (m, s) in &items {
                z.insert(m, *s, limits);
            }
            Value::ZSet(std::sync::Arc::new(z))
        }
        RdbValue::Stream(st) => Value::Stream(std::sync::Arc::new(stream_from_rdb(*st, t, check)?)),
        RdbValue::Module(_) => return None,
    })
}
