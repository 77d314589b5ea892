//! Strings: binary-safe byte strings, with the encoding Redis would report for them.
//!
//! Redis stores a string as `int` when it is the canonical text of a 64-bit integer of at most 20
//! characters, as `embstr` when it is at most 44 bytes and was created whole, and as `raw` otherwise
//! (and after any in-place edit: APPEND, SETRANGE, SETBIT). We keep the bytes and track that name.

use crate::protocol::request::parse_int;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StrEncoding {
    Int,
    Embstr,
    Raw,
}

/// Strings up to this length are created as `embstr` (Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

#[derive(Clone, Debug)]
pub struct RString {
    data: Vec<u8>,
    encoding: StrEncoding,
}

impl RString {
    /// A string created whole (SET, MSET, …): int, embstr or raw as Redis's `tryObjectEncoding` decides.
    pub fn new(data: &[u8]) -> RString {
        let encoding = if data.len() <= 20 && parse_int(data).is_some() {
            StrEncoding::Int
        } else if data.len() <= EMBSTR_SIZE_LIMIT {
            StrEncoding::Embstr
        } else {
            StrEncoding::Raw
        };
        RString { data: data.to_vec(), encoding }
    }

    pub fn from_int(i: i64) -> RString {
        RString { data: i.to_string().into_bytes(), encoding: StrEncoding::Int }
    }

    /// A string built by the server (e.g. INCRBYFLOAT's result): embstr when short, never int.
    pub fn from_text(data: Vec<u8>) -> RString {
        let encoding = if data.len() <= EMBSTR_SIZE_LIMIT { StrEncoding::Embstr } else { StrEncoding::Raw };
        RString { data, encoding }
    }

    /// A string that will be edited in place (its encoding is `raw`).
    pub fn raw(data: Vec<u8>) -> RString {
        RString { data, encoding: StrEncoding::Raw }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Mutable access for in-place edits; the encoding becomes `raw`, as in Redis.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        self.encoding = StrEncoding::Raw;
        &mut self.data
    }

    pub fn as_int(&self) -> Option<i64> {
        parse_int(&self.data)
    }

    pub fn encoding_name(&self) -> &'static str {
        match self.encoding {
            StrEncoding::Int => "int",
            StrEncoding::Embstr => "embstr",
            StrEncoding::Raw => "raw",
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }
}
