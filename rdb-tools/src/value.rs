//! Whole values: what a key holds once its elements are collected, plus the module identifiers.
//! This is the convenience layer over the streaming [`crate::reader`]; it holds a complete value in
//! memory, which is fine for one key at a time or for small files.

use crate::stream::{ConsumerGroup, StreamEntry, StreamMeta};

const MODULE_CHARSET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A module type identifier: 9 characters of name (6 bits each) and a 10-bit encoding version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModuleId(pub u64);

impl ModuleId {
    /// The module type name, e.g. `ReJSON-RL`.
    pub fn name(&self) -> String {
        let mut id = self.0 >> 10;
        let mut name = [0u8; 9];
        for slot in name.iter_mut().rev() {
            *slot = MODULE_CHARSET[(id & 63) as usize];
            id >>= 6;
        }
        String::from_utf8_lossy(&name).into_owned()
    }

    /// The encoding version the module saved with.
    pub fn encver(&self) -> u32 {
        (self.0 & 1023) as u32
    }
}

/// A module value or module aux payload kept opaque: the raw bytes of the opcode-tagged body
/// (`RDB_MODULE_OPCODE_*` items up to and including the final EOF opcode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleValue {
    pub id: ModuleId,
    pub payload: Vec<u8>,
}

/// Module data stored outside the keyspace (`RDB_OPCODE_MODULE_AUX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleAux {
    pub id: ModuleId,
    pub when_opcode: u64,
    pub when: u64,
    pub payload: Vec<u8>,
}

/// A complete stream value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stream {
    pub entries: Vec<StreamEntry>,
    pub meta: StreamMeta,
    pub groups: Vec<ConsumerGroup>,
    /// The nodes as stored (master ID, listpack bytes), instead of `entries`, when the reader was
    /// asked for raw stream nodes ([`crate::reader::ReaderOptions::raw_stream_nodes`]).
    pub nodes: Vec<(crate::stream::StreamId, Vec<u8>)>,
}

/// A complete value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    SortedSet(Vec<(Vec<u8>, f64)>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    Stream(Box<Stream>),
    Module(ModuleValue),
}

/// Redis's type of a value, as `TYPE` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    String,
    List,
    Set,
    SortedSet,
    Hash,
    Stream,
    Module,
}

impl ValueType {
    /// The name `TYPE` replies with (`module` values reply with their module's name in Redis).
    pub fn name(&self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::SortedSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
            ValueType::Module => "module",
        }
    }

    /// Parses a `TYPE`-style name (`sortedset` is accepted too).
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "string" => ValueType::String,
            "list" => ValueType::List,
            "set" => ValueType::Set,
            "zset" | "sortedset" => ValueType::SortedSet,
            "hash" => ValueType::Hash,
            "stream" => ValueType::Stream,
            "module" => ValueType::Module,
            _ => return None,
        })
    }
}

impl Value {
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::String(_) => ValueType::String,
            Value::List(_) => ValueType::List,
            Value::Set(_) => ValueType::Set,
            Value::SortedSet(_) => ValueType::SortedSet,
            Value::Hash(_) => ValueType::Hash,
            Value::Stream(_) => ValueType::Stream,
            Value::Module(_) => ValueType::Module,
        }
    }

    /// Number of elements (1 for strings and module values).
    pub fn len(&self) -> usize {
        match self {
            Value::String(_) | Value::Module(_) => 1,
            Value::List(v) | Value::Set(v) => v.len(),
            Value::SortedSet(v) => v.len(),
            Value::Hash(v) => v.len(),
            Value::Stream(s) => s.entries.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Per-key metadata that precedes a value in an RDB file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyMeta {
    /// Absolute expire time in Unix milliseconds.
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds (`RDB_OPCODE_IDLE`).
    pub idle: Option<u64>,
    /// LFU frequency counter (`RDB_OPCODE_FREQ`).
    pub freq: Option<u8>,
}

/// A key with its whole value.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub db: u64,
    pub key: Vec<u8>,
    pub meta: KeyMeta,
    /// The RDB type byte the value was stored with (tells its encoding).
    pub rdb_type: u8,
    pub value: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        // Module id built from "ReJSON-RL" encver 0, per moduleTypeEncodeId's 6-bit charset.
        let name = b"ReJSON-RL";
        let mut id = 0u64;
        for c in name {
            id = (id << 6) | MODULE_CHARSET.iter().position(|x| x == c).unwrap() as u64;
        }
        let m = ModuleId((id << 10) | 3);
        assert_eq!(m.name(), "ReJSON-RL");
        assert_eq!(m.encver(), 3);
    }
}
