//! The RDB file's vocabulary: value type bytes, opcodes and version limits.
//!
//! A file is `REDIS` + 4 ASCII digits of version, then a sequence of opcodes and key records, then
//! the EOF opcode and (version 5+) an 8-byte little-endian CRC64 of everything before it:
//!
//! ```text
//! AUX          0xFA <string key> <string value>
//! SELECTDB     0xFE <length db>
//! RESIZEDB     0xFB <length db-size> <length expires-size>
//! EXPIRETIME   0xFD <4 bytes LE seconds>          (applies to the next key)
//! EXPIRETIME_MS 0xFC <8 bytes LE milliseconds>    (applies to the next key)
//! IDLE         0xF8 <length seconds>              (applies to the next key)
//! FREQ         0xF9 <1 byte>                      (applies to the next key)
//! MODULE_AUX   0xF7 <length module-id> <length when-opcode> <length when> <module body>
//! FUNCTION2    0xF5 <string library code>
//! key record   <type byte 0..25> <string key> <value in that type's layout>
//! EOF          0xFF [<8 bytes LE CRC64>]
//! ```

use crate::value::ValueType;

pub const STRING: u8 = 0;
pub const LIST: u8 = 1;
pub const SET: u8 = 2;
pub const ZSET: u8 = 3;
pub const HASH: u8 = 4;
pub const ZSET_2: u8 = 5;
pub const MODULE_PRE_GA: u8 = 6;
pub const MODULE_2: u8 = 7;
pub const HASH_ZIPMAP: u8 = 9;
pub const LIST_ZIPLIST: u8 = 10;
pub const SET_INTSET: u8 = 11;
pub const ZSET_ZIPLIST: u8 = 12;
pub const HASH_ZIPLIST: u8 = 13;
pub const LIST_QUICKLIST: u8 = 14;
pub const STREAM_LISTPACKS: u8 = 15;
pub const HASH_LISTPACK: u8 = 16;
pub const ZSET_LISTPACK: u8 = 17;
pub const LIST_QUICKLIST_2: u8 = 18;
pub const STREAM_LISTPACKS_2: u8 = 19;
pub const SET_LISTPACK: u8 = 20;
pub const STREAM_LISTPACKS_3: u8 = 21;

pub const OPCODE_FUNCTION2: u8 = 245;
pub const OPCODE_FUNCTION_PRE_GA: u8 = 246;
pub const OPCODE_MODULE_AUX: u8 = 247;
pub const OPCODE_IDLE: u8 = 248;
pub const OPCODE_FREQ: u8 = 249;
pub const OPCODE_AUX: u8 = 250;
pub const OPCODE_RESIZEDB: u8 = 251;
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
pub const OPCODE_EXPIRETIME: u8 = 253;
pub const OPCODE_SELECTDB: u8 = 254;
pub const OPCODE_EOF: u8 = 255;

pub const MODULE_OPCODE_EOF: u64 = 0;
pub const MODULE_OPCODE_SINT: u64 = 1;
pub const MODULE_OPCODE_UINT: u64 = 2;
pub const MODULE_OPCODE_FLOAT: u64 = 3;
pub const MODULE_OPCODE_DOUBLE: u64 = 4;
pub const MODULE_OPCODE_STRING: u64 = 5;

/// Quicklist 2 node containers.
pub const QUICKLIST_NODE_PLAIN: u64 = 1;
pub const QUICKLIST_NODE_PACKED: u64 = 2;

/// Highest RDB version read (12 = Redis 7.4, for the types listed above).
pub const MAX_VERSION: u32 = 12;

/// The value type stored under an RDB type byte.
pub fn value_type(rdb_type: u8) -> Option<ValueType> {
    Some(match rdb_type {
        STRING => ValueType::String,
        LIST | LIST_ZIPLIST | LIST_QUICKLIST | LIST_QUICKLIST_2 => ValueType::List,
        SET | SET_INTSET | SET_LISTPACK => ValueType::Set,
        ZSET | ZSET_2 | ZSET_ZIPLIST | ZSET_LISTPACK => ValueType::SortedSet,
        HASH | HASH_ZIPMAP | HASH_ZIPLIST | HASH_LISTPACK => ValueType::Hash,
        STREAM_LISTPACKS | STREAM_LISTPACKS_2 | STREAM_LISTPACKS_3 => ValueType::Stream,
        MODULE_2 => ValueType::Module,
        _ => return None,
    })
}

/// The encoding an RDB type byte denotes, in `OBJECT ENCODING` vocabulary.
pub fn encoding_name(rdb_type: u8) -> &'static str {
    match rdb_type {
        STRING => "string",
        LIST => "linkedlist",
        SET | HASH => "hashtable",
        ZSET | ZSET_2 => "skiplist",
        MODULE_2 | MODULE_PRE_GA => "module",
        HASH_ZIPMAP => "zipmap",
        LIST_ZIPLIST | ZSET_ZIPLIST | HASH_ZIPLIST => "ziplist",
        SET_INTSET => "intset",
        LIST_QUICKLIST | LIST_QUICKLIST_2 => "quicklist",
        HASH_LISTPACK | ZSET_LISTPACK | SET_LISTPACK => "listpack",
        STREAM_LISTPACKS | STREAM_LISTPACKS_2 | STREAM_LISTPACKS_3 => "stream",
        _ => "unknown",
    }
}
