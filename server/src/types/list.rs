//! Lists: a double-ended sequence of byte strings.
//!
//! Redis 7.0 reports every list as `quicklist` (listpack nodes of up to 8 KiB linked together); we keep
//! the elements in a ring buffer, which gives the same O(1) pushes and pops at both ends and O(1)
//! indexing.

use std::collections::VecDeque;

pub type List = VecDeque<Box<[u8]>>;

/// Redis's index normalisation: negative indexes count from the tail.
pub fn normalize_index(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { len as i64 + index } else { index };
    if i < 0 || i >= len as i64 {
        None
    } else {
        Some(i as usize)
    }
}

/// Redis's range normalisation for LRANGE/LTRIM-style `start stop` (inclusive); `None` when empty.
pub fn normalize_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut stop = if stop < 0 { len + stop } else { stop };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= len {
        return None;
    }
    if stop >= len {
        stop = len - 1;
    }
    Some((start as usize, stop as usize))
}
