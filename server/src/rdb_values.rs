//! Conversion between keyspace values and the RDB library's values, for DUMP/RESTORE now and for
//! RDB snapshots and loading later. Encodings on the way in follow Redis's load rules: a value gets
//! the compact encoding when it fits the configured `*-max-listpack-*` / intset limits.

use crate::config::Tunables;
use crate::types::hash::HashLimits;
use crate::types::zset::{ZSet, ZSetLimits};
use crate::types::{Hash, List, RString, Set, Value};
use redoubt_rdb::value::Value as RdbValue;
use redoubt_rdb::writer::EncodingLimits;

/// The RDB library's encoding limits for the current configuration.
pub fn encoding_limits(t: &Tunables) -> EncodingLimits {
    EncodingLimits {
        hash_max_listpack_entries: t.hash_max_entries,
        hash_max_listpack_value: t.hash_max_value,
        zset_max_listpack_entries: t.zset_max_entries,
        zset_max_listpack_value: t.zset_max_value,
        set_max_intset_entries: t.set_max_intset,
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
    }
}

/// An RDB value as a keyspace value; `None` for types the server does not hold (yet): streams and
/// module values.
pub fn from_rdb(v: RdbValue, t: &Tunables) -> Option<Value> {
    Some(match v {
        RdbValue::String(s) => Value::Str(RString::new(&s)),
        RdbValue::List(items) => Value::List(Box::new(items.into_iter().map(|e| e.into_boxed_slice()).collect::<List>())),
        RdbValue::Set(members) => {
            let mut s = match members.first() {
                Some(m) => Set::for_member(m),
                None => Set::Intset(Vec::new()),
            };
            for m in &members {
                s.add(m, t.set_max_intset);
            }
            Value::Set(Box::new(s))
        }
        RdbValue::Hash(pairs) => {
            let limits = HashLimits { max_entries: t.hash_max_entries, max_value: t.hash_max_value };
            let mut h = Hash::default();
            if pairs.len() > limits.max_entries {
                h.convert();
            }
            for (f, v) in &pairs {
                h.set(f, v, limits);
            }
            Value::Hash(Box::new(h))
        }
        RdbValue::SortedSet(items) => {
            let limits = ZSetLimits { max_listpack_entries: t.zset_max_entries, max_listpack_value: t.zset_max_value };
            let mut z = ZSet::for_length(items.len(), limits);
            for (m, s) in &items {
                z.insert(m, *s, limits);
            }
            Value::ZSet(Box::new(z))
        }
        RdbValue::Stream(_) | RdbValue::Module(_) => return None,
    })
}
