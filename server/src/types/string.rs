//! Strings: binary-safe byte strings, with the encoding Redis would report for them.
//!
//! Redis stores a string as `int` when it is the canonical text of a 64-bit integer of at most 20
//! characters, as `embstr` when it is at most 44 bytes and was created whole, and as `raw` otherwise
//! (and after any in-place edit: APPEND, SETRANGE, SETBIT). We keep the bytes and that name.
//!
//! Memory matters here more than anywhere (most keys hold small strings), so a string is two words:
//! an exact-size boxed slice for strings created whole, and a boxed growable buffer only once a string
//! has been edited in place (so repeated APPENDs stay amortised O(1), like Redis's sds).

use crate::protocol::request::parse_int;

/// Strings up to this length are created as `embstr` (Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_SIZE_LIMIT: usize = 44;

#[derive(Clone, Debug)]
pub enum RString {
    Int(Box<[u8]>),
    Embstr(Box<[u8]>),
    /// Created whole but longer than the embstr limit.
    RawFixed(Box<[u8]>),
    /// Edited in place; keeps spare capacity.
    Raw(Box<Vec<u8>>),
}

impl RString {
    /// A string created whole (SET, MSET, …): int, embstr or raw as Redis's `tryObjectEncoding` decides.
    pub fn new(data: &[u8]) -> RString {
        if data.len() <= 20 && parse_int(data).is_some() {
            RString::Int(data.into())
        } else if data.len() <= EMBSTR_SIZE_LIMIT {
            RString::Embstr(data.into())
        } else {
            RString::RawFixed(data.into())
        }
    }

    pub fn from_int(i: i64) -> RString {
        let mut buf = [0u8; 20];
        let mut pos = buf.len();
        let mut v = i.unsigned_abs();
        loop {
            pos -= 1;
            buf[pos] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let mut out = Vec::with_capacity(21 - pos);
        if i < 0 {
            out.push(b'-');
        }
        out.extend_from_slice(&buf[pos..]);
        RString::Int(out.into_boxed_slice())
    }

    /// A string built by the server (e.g. INCRBYFLOAT's result): embstr when short, never int.
    pub fn from_text(data: Vec<u8>) -> RString {
        if data.len() <= EMBSTR_SIZE_LIMIT {
            RString::Embstr(data.into_boxed_slice())
        } else {
            RString::RawFixed(data.into_boxed_slice())
        }
    }

    /// A string that will be edited in place (its encoding is `raw`).
    pub fn raw(data: Vec<u8>) -> RString {
        RString::Raw(Box::new(data))
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            RString::Int(b) | RString::Embstr(b) | RString::RawFixed(b) => b,
            RString::Raw(v) => v,
        }
    }

    /// Asks the CPU to fetch the string's bytes (a hint; nothing is read through the pointer).
    pub fn prefetch(&self) {
        let p = match self {
            RString::Int(b) | RString::Embstr(b) | RString::RawFixed(b) => b.as_ptr(),
            RString::Raw(v) => (&**v as *const Vec<u8>).cast(),
        };
        crate::keyspace::dict::prefetch_line(p);
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// Mutable access for in-place edits; the encoding becomes `raw`, as in Redis.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, RString::Raw(_)) {
            let data = self.as_bytes().to_vec();
            *self = RString::Raw(Box::new(data));
        }
        match self {
            RString::Raw(v) => v,
            _ => unreachable!("converted to raw above"),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        parse_int(self.as_bytes())
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            RString::Int(_) => "int",
            RString::Embstr(_) => "embstr",
            RString::RawFixed(_) | RString::Raw(_) => "raw",
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            RString::Int(b) | RString::Embstr(b) | RString::RawFixed(b) => b.into_vec(),
            RString::Raw(v) => *v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;

    #[test]
    fn values_stay_small() {
        assert_eq!(std::mem::size_of::<RString>(), 24);
        assert!(std::mem::size_of::<Value>() <= 24);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(RString::new(b"123").encoding_name(), "int");
        assert_eq!(RString::new(b"0123").encoding_name(), "embstr");
        assert_eq!(RString::new(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(RString::new(&[b'a'; 45]).encoding_name(), "raw");
        let mut s = RString::new(b"ab");
        s.make_raw().extend_from_slice(b"c");
        assert_eq!((s.as_bytes(), s.encoding_name()), (&b"abc"[..], "raw"));
    }
}
