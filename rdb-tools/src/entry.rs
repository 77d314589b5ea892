//! One element of a packed structure (listpack, ziplist): either bytes or an integer that the
//! structure chose to store in binary. Redis treats both as the same string value.

use std::borrow::Cow;

/// An element read from a listpack or ziplist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> Entry<'a> {
    /// The element as Redis sees it: the bytes, or the decimal form of the integer.
    pub fn to_bytes(&self) -> Cow<'a, [u8]> {
        match *self {
            Entry::Str(s) => Cow::Borrowed(s),
            Entry::Int(i) => Cow::Owned(i.to_string().into_bytes()),
        }
    }

    /// Owned bytes of the element.
    pub fn to_vec(&self) -> Vec<u8> {
        self.to_bytes().into_owned()
    }

    /// The element as an integer, if it is stored as one or is a canonical integer string.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Entry::Int(i) => Some(i),
            Entry::Str(s) => crate::number::parse_canonical_i64(s),
        }
    }

    /// Whether the element equals `s` as a string.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        match *self {
            Entry::Str(x) => x == s,
            Entry::Int(i) => crate::number::parse_canonical_i64(s) == Some(i),
        }
    }
}
