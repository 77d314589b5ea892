//! Value types stored in the keyspace, one module per family, and the encoding rules that decide what
//! `OBJECT ENCODING` reports (the same thresholds as Redis 7.0: `*-max-listpack-entries`,
//! `*-max-listpack-value`, `set-max-intset-entries`).

pub mod bitmap;
pub mod float;
pub mod hash;
pub mod hyperloglog;
pub mod list;
pub mod set;
pub mod stream;
pub mod string;
pub mod zset;

pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use string::RString;
pub use zset::SortedSet;

use std::sync::Arc;

/// A key's value. Collections sit behind an `Arc` so a value is three words and a clone is cheap: a
/// snapshot shares a collection with the keyspace instead of copying it, and a write to a shared
/// collection copies it first (`Arc::make_mut`), so the snapshot keeps the value it took.
#[derive(Clone)]
pub enum Value {
    Str(RString),
    List(Arc<List>),
    Hash(Arc<Hash>),
    Set(Arc<Set>),
    ZSet(Arc<SortedSet>),
    Stream(Arc<Stream>),
}

/// The error every command sends for a value of the wrong type.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

impl Value {
    /// The name `TYPE` answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name `OBJECT ENCODING` answers.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
        }
    }

    /// An estimate of the heap bytes the value uses, for eviction accounting and MEMORY USAGE.
    pub fn approx_size(&self) -> usize {
        match self {
            Value::Str(s) => s.as_bytes().len(),
            Value::List(l) => l.iter().map(|e| e.len() + 16).sum(),
            Value::Hash(h) => h.iter().map(|(f, v)| f.len() + v.len() + 32).sum(),
            Value::Set(s) => s.len() * 24,
            Value::ZSet(z) => z.len() * 48,
            Value::Stream(s) => {
                s.nodes_bytes()
                    + s.node_count() * 32
                    + s.groups
                        .values()
                        .map(|g| 64 + g.pel.len() * 48)
                        .sum::<usize>()
            }
        }
    }
}
