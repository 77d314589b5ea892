//! Listpack: Redis's compact serialization of a sequence of strings and integers, used for small
//! hashes, sets (7.2), sorted sets and list nodes, and for stream nodes. [`Listpack`] is an owned,
//! always-valid listpack whose bytes are identical to what Redis 7.0's `listpack.c` produces for the
//! same sequence of operations, so the server can keep values in it and an RDB save can write it as is.
//!
//! Layout:
//!
//! ```text
//! <total-bytes u32 LE> <num-elements u16 LE> <entry> ... <entry> <0xFF>
//! entry = <encoding+data> <backlen>
//! ```
//!
//! `num-elements` is 65535 ("unknown") once the count no longer fits; the length is then found by
//! scanning. Entry encodings (first byte):
//!
//! ```text
//! 0xxxxxxx                         7-bit unsigned integer 0..127
//! 10LLLLLL <L bytes>               string of 0..63 bytes
//! 110xxxxx yyyyyyyy                13-bit signed integer (two's complement), -4096..4095
//! 1110LLLL LLLLLLLL <L bytes>      string of up to 4095 bytes (length big-endian over the 12 bits)
//! 11110000 <u32 LE len> <bytes>    string of up to 2^32-1 bytes
//! 11110001 <2 bytes LE>            16-bit signed integer
//! 11110010 <3 bytes LE>            24-bit signed integer
//! 11110011 <4 bytes LE>            32-bit signed integer
//! 11110100 <8 bytes LE>            64-bit signed integer
//! 11111111                         end of listpack
//! ```
//!
//! An element given as a string is stored as an integer when it is a canonical decimal that fits 64
//! bits (`lpStringToInt64`), using the smallest integer form above. `backlen` is the size of
//! `encoding+data` written so that it can be read right-to-left: 1 to 5 bytes, 7 bits each; the byte
//! at the lowest address holds the most significant group and has bit 7 clear, every following byte
//! has bit 7 set. Reading backwards from the byte before an entry therefore finds the previous
//! entry's start, which is how the listpack is iterated from the tail.

use crate::entry::Entry;
use crate::error::CodecError;
use crate::number::parse_canonical_i64;

const HDR_SIZE: usize = 6;
const EOF: u8 = 0xff;
const NUMELE_UNKNOWN: u16 = u16::MAX;

/// Bytes needed by the backlen of an entry whose `encoding+data` is `l` bytes.
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

fn push_backlen(out: &mut Vec<u8>, l: usize) {
    let n = backlen_size(l);
    for i in (0..n).rev() {
        let group = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { group } else { group | 128 });
    }
}

/// Decodes the backlen whose last byte is at `end` (inclusive); returns (value, bytes used).
fn decode_backlen(buf: &[u8], end: usize) -> Option<(usize, usize)> {
    let mut val = 0usize;
    let mut shift = 0;
    let mut p = end;
    loop {
        let b = *buf.get(p)?;
        val |= ((b & 127) as usize) << shift;
        if b & 128 == 0 {
            return Some((val, end - p + 1));
        }
        shift += 7;
        if shift > 28 || p == 0 {
            return None;
        }
        p -= 1;
    }
}

/// Appends the encoding of an integer (without backlen).
fn encode_int(out: &mut Vec<u8>, v: i64) {
    if (0..=127).contains(&v) {
        out.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = if v < 0 { (1i64 << 13) + v } else { v } as u16;
        out.push((u >> 8) as u8 | 0xc0);
        out.push(u as u8);
    } else if (-32768..=32767).contains(&v) {
        out.push(0xf1);
        out.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-8388608..=8388607).contains(&v) {
        out.push(0xf2);
        out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        out.push(0xf3);
        out.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        out.push(0xf4);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Appends the encoding of a string (without backlen). Strings of 2^32 bytes or more cannot be
/// represented; callers keep such values out of listpacks (Redis's thresholds are far lower).
fn encode_str(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 64 {
        out.push(0x80 | len as u8);
    } else if len < 4096 {
        out.push(0xe0 | (len >> 8) as u8);
        out.push(len as u8);
    } else {
        out.push(0xf0);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
}

/// The complete entry (encoding, data, backlen) for element `ele`, choosing integer encoding like
/// `lpEncodeGetType`.
pub fn encode_element(ele: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ele.len() + 6);
    match parse_canonical_i64(ele) {
        Some(v) => encode_int(&mut out, v),
        None => encode_str(&mut out, ele),
    }
    let l = out.len();
    push_backlen(&mut out, l);
    out
}

/// The complete entry for integer `v`.
pub fn encode_integer(v: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(11);
    encode_int(&mut out, v);
    let l = out.len();
    push_backlen(&mut out, l);
    out
}

/// Decodes the entry starting at `pos`: returns the element and the size of `encoding+data`.
fn decode_at(buf: &[u8], pos: usize) -> Result<(Entry<'_>, usize), CodecError> {
    let err = |what| CodecError::new(pos, what);
    let b = *buf.get(pos).ok_or_else(|| err("an entry"))?;
    let get = |from: usize, n: usize| {
        buf.get(pos + from..pos + from + n)
            .ok_or_else(|| err("entry bytes within the listpack"))
    };
    if b & 0x80 == 0 {
        return Ok((Entry::Int(b as i64), 1));
    }
    if b & 0xc0 == 0x80 {
        let len = (b & 0x3f) as usize;
        return Ok((Entry::Str(get(1, len)?), 1 + len));
    }
    if b & 0xe0 == 0xc0 {
        let lo = get(1, 1)?[0];
        let u = (((b & 0x1f) as i64) << 8) | lo as i64;
        let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
        return Ok((Entry::Int(v), 2));
    }
    if b & 0xf0 == 0xe0 {
        let lo = get(1, 1)?[0];
        let len = (((b & 0x0f) as usize) << 8) | lo as usize;
        return Ok((Entry::Str(get(2, len)?), 2 + len));
    }
    match b {
        0xf0 => {
            let l = get(1, 4)?;
            let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
            Ok((Entry::Str(get(5, len)?), 5 + len))
        }
        0xf1 => {
            let d = get(1, 2)?;
            Ok((Entry::Int(i16::from_le_bytes([d[0], d[1]]) as i64), 3))
        }
        0xf2 => {
            let d = get(1, 3)?;
            let v = i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8;
            Ok((Entry::Int(v as i64), 4))
        }
        0xf3 => {
            let d = get(1, 4)?;
            Ok((
                Entry::Int(i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64),
                5,
            ))
        }
        0xf4 => {
            let d = get(1, 8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(d);
            Ok((Entry::Int(i64::from_le_bytes(a)), 9))
        }
        EOF => Err(err("an entry, found the end marker")),
        _ => Err(err("a valid entry encoding byte")),
    }
}

/// Checks only the header and the end marker, like `lpValidateIntegrity(deep=0)`.
pub fn validate_header(buf: &[u8]) -> Result<(), CodecError> {
    if buf.len() < HDR_SIZE + 1 {
        return Err(CodecError::new(0, "a 6-byte header and an end marker"));
    }
    let total = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if total != buf.len() {
        return Err(CodecError::new(
            0,
            "a total-bytes header equal to the blob size",
        ));
    }
    if buf[buf.len() - 1] != EOF {
        return Err(CodecError::new(
            buf.len() - 1,
            "the 0xFF end marker as last byte",
        ));
    }
    Ok(())
}

/// Checks a whole listpack like `lpValidateIntegrity(deep=1)`; returns its element count.
pub fn validate(buf: &[u8]) -> Result<usize, CodecError> {
    validate_header(buf)?;
    let numele = u16::from_le_bytes([buf[4], buf[5]]);
    let body_end = buf.len() - 1;
    let mut pos = HDR_SIZE;
    let mut count = 0usize;
    while pos < body_end {
        let (_, size) = decode_at(&buf[..body_end], pos)?;
        let bl = backlen_size(size);
        let end = pos + size + bl;
        if end > body_end {
            return Err(CodecError::new(
                pos,
                "an entry (with its backlen) inside the listpack",
            ));
        }
        match decode_backlen(buf, end - 1) {
            Some((v, _)) if v == size => {}
            _ => {
                return Err(CodecError::new(
                    pos + size,
                    "a backlen equal to the entry size",
                ))
            }
        }
        pos = end;
        count += 1;
    }
    if numele != NUMELE_UNKNOWN && numele as usize != count {
        return Err(CodecError::new(4, "an element count matching the entries"));
    }
    Ok(count)
}

/// Where [`Listpack::insert_at`] puts the new element relative to a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    Before,
    After,
}

/// An owned, valid listpack.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Listpack {
    buf: Vec<u8>,
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|e| String::from_utf8_lossy(&e.to_bytes()).into_owned()),
            )
            .finish()
    }
}

impl Listpack {
    /// An empty listpack (7 bytes, like `lpNew`).
    pub fn new() -> Self {
        Listpack {
            buf: vec![7, 0, 0, 0, 0, 0, EOF],
        }
    }

    /// Adopts `bytes` after a full integrity check.
    pub fn from_bytes_validated(bytes: Vec<u8>) -> Result<Self, CodecError> {
        validate(&bytes)?;
        Ok(Listpack { buf: bytes })
    }

    /// Adopts bytes `validate` has already accepted (by a caller in this crate that checked them
    /// as part of a wider walk).
    pub(crate) fn from_checked_bytes(bytes: Vec<u8>) -> Self {
        Listpack { buf: bytes }
    }

    /// The serialized listpack.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Total size in bytes (the header's total-bytes field).
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    fn header_count(&self) -> u16 {
        u16::from_le_bytes([self.buf[4], self.buf[5]])
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self.header_count() {
            NUMELE_UNKNOWN => self.iter().count(),
            n => n as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.len() == HDR_SIZE + 1
    }

    fn set_total(&mut self) {
        let n = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&n.to_le_bytes());
    }

    fn adjust_count(&mut self, delta: i64) {
        let n = self.header_count();
        if n != NUMELE_UNKNOWN {
            let v = (n as i64 + delta).clamp(0, NUMELE_UNKNOWN as i64) as u16;
            self.buf[4..6].copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Byte position of the first element.
    pub fn first_pos(&self) -> Option<usize> {
        (!self.is_empty()).then_some(HDR_SIZE)
    }

    /// Byte position of the last element.
    pub fn last_pos(&self) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        self.prev_pos(self.buf.len() - 1)
    }

    /// Bytes of the element at `pos` with its backlen; never past the end marker, even in a
    /// malformed listpack adopted with only its header checked.
    fn entry_total_size(&self, pos: usize) -> usize {
        match decode_at(&self.buf, pos) {
            Ok((_, size)) => {
                (size + backlen_size(size)).min((self.buf.len() - 1).saturating_sub(pos))
            }
            Err(_) => 0,
        }
    }

    /// Position of the element after the one at `pos`.
    pub fn next_pos(&self, pos: usize) -> Option<usize> {
        let next = pos + self.entry_total_size(pos);
        (next > pos && next < self.buf.len() - 1).then_some(next)
    }

    /// Position of the element before `pos` (`pos` may be the end marker's position).
    pub fn prev_pos(&self, pos: usize) -> Option<usize> {
        if pos <= HDR_SIZE || pos >= self.buf.len() {
            return None;
        }
        let (size, used) = decode_backlen(&self.buf, pos - 1)?;
        pos.checked_sub(size + used).filter(|&p| p >= HDR_SIZE)
    }

    /// The element at byte position `pos` (as returned by the position functions).
    pub fn entry_at(&self, pos: usize) -> Option<Entry<'_>> {
        if pos >= self.buf.len() - 1 {
            return None;
        }
        decode_at(&self.buf, pos).ok().map(|(e, _)| e)
    }

    /// Position of element `index`; negative indexes count from the tail (-1 is the last), like `lpSeek`.
    pub fn seek(&self, index: i64) -> Option<usize> {
        if index >= 0 {
            let mut p = self.first_pos()?;
            for _ in 0..index {
                p = self.next_pos(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last_pos()?;
            for _ in 0..(-(index + 1)) {
                p = self.prev_pos(p)?;
            }
            Some(p)
        }
    }

    /// Element `index` (0-based from the head).
    pub fn get(&self, index: usize) -> Option<Entry<'_>> {
        self.entry_at(self.seek(index as i64)?)
    }

    /// Iterates the elements, from either end.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            front: HDR_SIZE,
            back: self.buf.len() - 1,
        }
    }

    fn splice_entry(&mut self, at: usize, remove: usize, entry: &[u8]) {
        if remove == entry.len() {
            // Same size (a stream node's counters, usually): overwrite in place.
            self.buf[at..at + remove].copy_from_slice(entry);
            return;
        }
        self.buf.splice(at..at + remove, entry.iter().copied());
        self.set_total();
    }

    /// Inserts `ele` before or after the element at `pos` and returns the new element's position.
    pub fn insert_at(&mut self, pos: usize, ele: &[u8], place: Where) -> usize {
        self.insert_encoded(pos, &encode_element(ele), place)
    }

    fn insert_encoded(&mut self, pos: usize, entry: &[u8], place: Where) -> usize {
        let pos = pos.clamp(HDR_SIZE, self.buf.len() - 1);
        let at = match place {
            Where::Before => pos,
            Where::After => (pos + self.entry_total_size(pos)).min(self.buf.len() - 1),
        };
        self.splice_entry(at, 0, entry);
        self.adjust_count(1);
        at
    }

    /// Releases spare capacity (`lpShrinkToFit`), e.g. when a stream node is closed.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// Appends `ele` at the tail, encoding it in place (the hot path of stream XADD).
    pub fn push_back(&mut self, ele: &[u8]) {
        self.buf.pop(); // the end marker
        let start = self.buf.len();
        match parse_canonical_i64(ele) {
            Some(v) => encode_int(&mut self.buf, v),
            None => encode_str(&mut self.buf, ele),
        }
        self.finish_push(start);
    }

    /// Completes an in-place append started at `start`: backlen, end marker, header.
    fn finish_push(&mut self, start: usize) {
        let l = self.buf.len() - start;
        push_backlen(&mut self.buf, l);
        self.buf.push(EOF);
        self.set_total();
        self.adjust_count(1);
    }

    /// Prepends `ele` at the head.
    pub fn push_front(&mut self, ele: &[u8]) {
        self.insert_encoded(HDR_SIZE, &encode_element(ele), Where::Before);
    }

    /// Appends an integer (`lpAppendInteger`).
    pub fn push_back_int(&mut self, v: i64) {
        self.buf.pop(); // the end marker
        let start = self.buf.len();
        encode_int(&mut self.buf, v);
        self.finish_push(start);
    }

    /// Prepends an integer.
    pub fn push_front_int(&mut self, v: i64) {
        self.insert_encoded(HDR_SIZE, &encode_integer(v), Where::Before);
    }

    /// Inserts `ele` so that it becomes element `index` (`index == len()` appends). Returns false
    /// when `index > len()`.
    pub fn insert(&mut self, index: usize, ele: &[u8]) -> bool {
        match self.seek(index as i64) {
            Some(p) => {
                self.insert_at(p, ele, Where::Before);
                true
            }
            None if index == self.len() => {
                self.push_back(ele);
                true
            }
            None => false,
        }
    }

    /// Deletes the element at `pos`; returns the position of the element that followed it, if any.
    pub fn delete_at(&mut self, pos: usize) -> Option<usize> {
        let size = self.entry_total_size(pos);
        if size == 0 || pos >= self.buf.len() - 1 {
            return None;
        }
        self.splice_entry(pos, size, &[]);
        self.adjust_count(-1);
        (pos < self.buf.len() - 1).then_some(pos)
    }

    /// Deletes element `index`; false when out of range.
    pub fn delete(&mut self, index: usize) -> bool {
        match self.seek(index as i64) {
            Some(p) => {
                self.delete_at(p);
                true
            }
            None => false,
        }
    }

    /// Deletes up to `count` elements starting at `index`; returns how many were deleted.
    pub fn delete_range(&mut self, index: usize, count: usize) -> usize {
        let Some(start) = self.seek(index as i64) else {
            return 0;
        };
        let mut end = start;
        let mut n = 0;
        while n < count && end < self.buf.len() - 1 {
            end += self.entry_total_size(end);
            n += 1;
        }
        self.splice_entry(start, end - start, &[]);
        self.adjust_count(-(n as i64));
        n
    }

    /// Replaces the element at `pos` with `ele`; returns the (unchanged) position.
    pub fn replace_at(&mut self, pos: usize, ele: &[u8]) -> usize {
        let size = self.entry_total_size(pos);
        self.splice_entry(pos, size, &encode_element(ele));
        pos
    }

    /// Replaces the element at `pos` with integer `v`.
    pub fn replace_int_at(&mut self, pos: usize, v: i64) -> usize {
        let size = self.entry_total_size(pos);
        self.splice_entry(pos, size, &encode_integer(v));
        pos
    }

    /// Replaces element `index`; false when out of range.
    pub fn replace(&mut self, index: usize, ele: &[u8]) -> bool {
        match self.seek(index as i64) {
            Some(p) => {
                self.replace_at(p, ele);
                true
            }
            None => false,
        }
    }

    /// Finds the first element equal to `ele` at or after `pos`, comparing only every `skip+1`-th
    /// element (`lpFind`; `skip = 1` searches the fields of a field/value listpack).
    pub fn find(&self, pos: usize, ele: &[u8], skip: usize) -> Option<usize> {
        let mut p = Some(pos);
        let mut to_skip = 0;
        while let Some(cur) = p {
            if to_skip == 0 {
                if self.entry_at(cur)?.eq_bytes(ele) {
                    return Some(cur);
                }
                to_skip = skip;
            } else {
                to_skip -= 1;
            }
            p = self.next_pos(cur);
        }
        None
    }
}

/// Iterator over a listpack's elements.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    front: usize,
    /// Exclusive end: position just after the last not-yet-returned entry.
    back: usize,
}

impl<'a> Iter<'a> {
    /// Iterates over a listpack that is known to be valid (e.g. checked with [`validate`]).
    pub fn over_validated(buf: &'a [u8]) -> Self {
        Iter {
            buf,
            front: HDR_SIZE.min(buf.len()),
            back: buf.len().saturating_sub(1),
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;
    fn next(&mut self) -> Option<Entry<'a>> {
        if self.front >= self.back {
            return None;
        }
        let (e, size) = decode_at(&self.buf[..self.back], self.front).ok()?;
        self.front += size + backlen_size(size);
        Some(e)
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<Entry<'a>> {
        if self.front >= self.back {
            return None;
        }
        let (size, used) = decode_backlen(self.buf, self.back - 1)?;
        let start = self
            .back
            .checked_sub(size + used)
            .filter(|&s| s >= self.front)?;
        let (e, _) = decode_at(&self.buf[..self.back], start).ok()?;
        self.back = start;
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp(items: &[&[u8]]) -> Listpack {
        let mut l = Listpack::new();
        for i in items {
            l.push_back(i);
        }
        l
    }

    #[test]
    fn bytes_match_redis_for_hash_listpack() {
        // redis-server 7.0.15: HSET h a 1 b hello c -5000 ; DUMP h. The DUMP payload is
        // 10 <string: listpack> 0a 00 <crc>; the listpack inside is (hex):
        // 1d000000 0600 8161 02 01 01 8162 02 8568656c6c6f 06 8163 02 f178ec 03 ff
        // i.e. "a" = 81 61 + backlen 02; 1 = 01 + backlen 01; "hello" = 85 ... + backlen 06;
        // -5000 does not fit 13 bits -> f1 78 ec (int16 LE) + backlen 03.
        let l = lp(&[b"a", b"1", b"b", b"hello", b"c", b"-5000"]);
        let want: Vec<u8> = vec![
            0x22, 0, 0, 0, 6, 0, 0x81, b'a', 2, 1, 1, 0x81, b'b', 2, 0x85, b'h', b'e', b'l', b'l',
            b'o', 6, 0x81, b'c', 2, 0xf1, 0x78, 0xec, 3, 0xff,
        ];
        let mut want = want;
        let n = want.len() as u32;
        want[..4].copy_from_slice(&n.to_le_bytes());
        assert_eq!(l.as_bytes(), &want[..]);
    }

    #[test]
    fn integer_encodings_and_round_trip() {
        let vals: Vec<i64> = vec![
            0,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8388607,
            -8388608,
            8388608,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ];
        let sizes = [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 9, 9];
        let mut l = Listpack::new();
        for v in &vals {
            let before = l.bytes_len();
            l.push_back(v.to_string().as_bytes());
            assert_eq!(
                l.bytes_len() - before,
                sizes[vals.iter().position(|x| x == v).unwrap()] + 1,
                "{v}"
            );
        }
        let got: Vec<i64> = l
            .iter()
            .map(|e| match e {
                Entry::Int(i) => i,
                Entry::Str(_) => panic!("not int"),
            })
            .collect();
        assert_eq!(got, vals);
        let back: Vec<i64> = l.iter().rev().map(|e| e.as_i64().unwrap()).collect();
        assert_eq!(back, vals.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(validate(l.as_bytes()).unwrap(), vals.len());
    }

    #[test]
    fn strings_of_every_length_class() {
        let lens = [0usize, 63, 64, 127, 128, 4095, 4096, 20000];
        let mut l = Listpack::new();
        let items: Vec<Vec<u8>> = lens.iter().map(|&n| vec![b'x'; n]).collect();
        for it in &items {
            l.push_back(it);
        }
        assert_eq!(l.len(), lens.len());
        let fwd: Vec<Vec<u8>> = l.iter().map(|e| e.to_vec()).collect();
        assert_eq!(fwd, items);
        let rev: Vec<Vec<u8>> = l.iter().rev().map(|e| e.to_vec()).collect();
        assert_eq!(rev, items.iter().rev().cloned().collect::<Vec<_>>());
        validate(l.as_bytes()).unwrap();
    }

    #[test]
    fn edits() {
        let mut l = lp(&[b"b", b"c"]);
        l.push_front(b"a");
        assert!(l.insert(3, b"d"));
        assert!(l.insert(1, b"ab"));
        assert!(!l.insert(9, b"z"));
        let all = |l: &Listpack| l.iter().map(|e| e.to_vec()).collect::<Vec<_>>();
        assert_eq!(
            all(&l),
            vec![
                b"a".to_vec(),
                b"ab".to_vec(),
                b"b".to_vec(),
                b"c".to_vec(),
                b"d".to_vec()
            ]
        );
        assert!(l.replace(1, b"12345"));
        assert_eq!(l.get(1), Some(Entry::Int(12345)));
        assert!(l.delete(0));
        assert_eq!(l.delete_range(1, 2), 2);
        assert_eq!(all(&l), vec![b"12345".to_vec(), b"d".to_vec()]);
        assert_eq!(l.len(), 2);
        validate(l.as_bytes()).unwrap();
        assert_eq!(l.find(l.first_pos().unwrap(), b"d", 0), l.seek(-1));
        assert_eq!(l.find(l.first_pos().unwrap(), b"d", 1), None);
        // Rebuilding from scratch gives the same bytes as editing.
        assert_eq!(l, lp(&[b"12345", b"d"]));
    }

    #[test]
    fn validation_rejects_corruption() {
        let l = lp(&[b"hello", b"42"]);
        let good = l.as_bytes().to_vec();
        assert!(Listpack::from_bytes_validated(good.clone()).is_ok());
        let mut bad = good.clone();
        bad[4] = 3; // count
        assert!(validate(&bad).is_err());
        let mut bad = good.clone();
        bad[12] = 0x7f; // backlen of "hello"
        assert!(validate(&bad).is_err());
        let mut bad = good.clone();
        bad[6] = 0xf7; // invalid encoding
        assert!(validate(&bad).is_err());
        assert!(validate(&good[..good.len() - 1]).is_err());
        assert!(validate(&[]).is_err());
    }
}
