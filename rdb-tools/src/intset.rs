//! Intset: a sorted array of distinct integers, the encoding of small all-integer sets
//! (RDB type 11, and `OBJECT ENCODING intset`).
//!
//! Layout (little-endian):
//!
//! ```text
//! <encoding u32: 2, 4 or 8 = bytes per element> <length u32> <length elements, ascending>
//! ```
//!
//! The encoding is the smallest width that holds every element; inserting a wider value upgrades
//! the whole array.

use crate::error::CodecError;

fn width_for(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// An owned, valid intset.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Intset {
    buf: Vec<u8>,
}

impl Default for Intset {
    fn default() -> Self {
        Self::new()
    }
}

impl Intset {
    /// An empty intset (16-bit encoding, like `intsetNew`).
    pub fn new() -> Self {
        Intset {
            buf: vec![2, 0, 0, 0, 0, 0, 0, 0],
        }
    }

    /// Checks `bytes` like `intsetValidateIntegrity(deep=1)` (valid width, size, strictly ascending).
    pub fn from_bytes_validated(bytes: Vec<u8>) -> Result<Self, CodecError> {
        if bytes.len() < 8 {
            return Err(CodecError::new(0, "an 8-byte intset header"));
        }
        let width = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if !matches!(width, 2 | 4 | 8) {
            return Err(CodecError::new(0, "an intset encoding of 2, 4 or 8"));
        }
        let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        if count.checked_mul(width).map(|n| n + 8) != Some(bytes.len()) {
            return Err(CodecError::new(
                4,
                "an intset length matching the blob size",
            ));
        }
        let set = Intset { buf: bytes };
        let mut prev: Option<i64> = None;
        for (i, v) in set.iter().enumerate() {
            if prev.is_some_and(|p| p >= v) {
                return Err(CodecError::new(
                    8 + i * width,
                    "strictly ascending intset elements",
                ));
            }
            prev = Some(v);
        }
        Ok(set)
    }

    /// Builds an intset from any integers (sorted and deduplicated here).
    pub fn from_values(values: impl IntoIterator<Item = i64>) -> Self {
        let mut v: Vec<i64> = values.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        let width = v.iter().map(|&x| width_for(x)).max().unwrap_or(2);
        let mut buf = Vec::with_capacity(8 + width * v.len());
        buf.extend_from_slice(&(width as u32).to_le_bytes());
        buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
        for x in v {
            buf.extend_from_slice(&x.to_le_bytes()[..width]);
        }
        Intset { buf }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn width(&self) -> usize {
        self.buf[0] as usize
    }

    pub fn len(&self) -> usize {
        (self.buf.len() - 8) / self.width()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` in ascending order.
    pub fn get(&self, i: usize) -> Option<i64> {
        let w = self.width();
        let b = self.buf.get(8 + i * w..8 + (i + 1) * w)?;
        Some(match w {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        })
    }

    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).map(|x| x.cmp(&v)) {
                Some(std::cmp::Ordering::Less) => lo = mid + 1,
                Some(std::cmp::Ordering::Greater) => hi = mid,
                _ => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Inserts `v`; false if it was already present.
    pub fn insert(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(_) => false,
            Err(at) => {
                if width_for(v) > self.width() {
                    *self = Intset::from_values(self.iter().chain([v]));
                } else {
                    let w = self.width();
                    let n = self.len() + 1;
                    self.buf
                        .splice(8 + at * w..8 + at * w, v.to_le_bytes()[..w].iter().copied());
                    self.buf[4..8].copy_from_slice(&(n as u32).to_le_bytes());
                }
                true
            }
        }
    }

    /// Removes `v`; false if it was absent. (Redis never downgrades the encoding.)
    pub fn remove(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(at) => {
                let w = self.width();
                let n = self.len() - 1;
                self.buf.drain(8 + at * w..8 + (at + 1) * w);
                self.buf[4..8].copy_from_slice(&(n as u32).to_le_bytes());
                true
            }
            Err(_) => false,
        }
    }

    /// Elements in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_corpus_layouts() {
        // rdbtools intset_16.rdb: {32764, 32765, 32766} with encoding 2 (EXPECTED.md).
        let s = Intset::from_values([32766, 32764, 32765]);
        assert_eq!(
            s.as_bytes(),
            &[2, 0, 0, 0, 3, 0, 0, 0, 0xfc, 0x7f, 0xfd, 0x7f, 0xfe, 0x7f]
        );
        let s = Intset::from_values([0x7ffefffc, 0x7ffefffd]);
        assert_eq!(&s.as_bytes()[..4], &[4, 0, 0, 0]);
        let s = Intset::from_values([0x7ffefffefffefffc]);
        assert_eq!(&s.as_bytes()[..4], &[8, 0, 0, 0]);
    }

    #[test]
    fn insert_remove_upgrade() {
        let mut s = Intset::new();
        assert!(s.insert(5));
        assert!(s.insert(-3));
        assert!(!s.insert(5));
        assert!(s.insert(1 << 40));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-3, 5, 1 << 40]);
        assert!(s.remove(5));
        assert!(!s.contains(5));
        assert_eq!(
            s.clone(),
            Intset::from_bytes_validated(s.into_bytes()).unwrap()
        );
    }

    #[test]
    fn rejects_bad_blobs() {
        assert!(Intset::from_bytes_validated(vec![3, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(Intset::from_bytes_validated(vec![2, 0, 0, 0, 2, 0, 0, 0, 1, 0]).is_err());
        assert!(Intset::from_bytes_validated(vec![2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]).is_err());
        assert!(Intset::from_bytes_validated(vec![2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
