//! The replication backlog: a fixed-size ring holding the most recent bytes of the replication
//! stream, so a replica that lost its link can ask for exactly the bytes it missed (`PSYNC`).
//!
//! Offset arithmetic, in Redis's vocabulary:
//! - `master_repl_offset` ([`Backlog::offset`]) counts every byte ever appended to the stream
//!   (starting from wherever the history started: 0 for a fresh master, the `+FULLRESYNC` offset
//!   for a replica).
//! - `histlen` ([`Backlog::histlen`]) is how many of the latest bytes are held, at most the size.
//! - `repl_backlog_first_byte_offset` ([`Backlog::first_offset`]) is `master_repl_offset - histlen
//!   + 1`: stream bytes are numbered from 1, so byte number `n` is the one that raised
//!   `master_repl_offset` from `n-1` to `n`. An empty backlog has `first_offset = offset + 1`.
//! - A replica that processed `k` bytes sends `PSYNC <replid> <k+1>`; it can be served iff
//!   `first_offset <= k+1 <= first_offset + histlen` (the upper bound, `offset + 1`, means "nothing
//!   missed").
//!
//! Unlike Redis, which trims whole shared buffer blocks, the ring holds exactly `size` bytes once
//! full; the server clamps the configured size (Redis's minimum is 16 KiB) before calling
//! [`Backlog::new`] / [`Backlog::resize`].

use bytes::Bytes;

/// The replication backlog ring.
#[derive(Debug, Clone)]
pub struct Backlog {
    /// Ring storage; allocated on first append, `size` bytes long once allocated.
    buf: Vec<u8>,
    size: usize,
    /// Position in `buf` where the next byte goes.
    idx: usize,
    histlen: usize,
    master_repl_offset: u64,
}

impl Backlog {
    /// An empty backlog of `size` bytes for a stream at offset 0.
    pub fn new(size: usize) -> Backlog {
        Backlog::with_offset(size, 0)
    }

    /// An empty backlog whose next byte will be number `master_repl_offset + 1`
    /// (`createReplicationBacklog` after a full sync at that offset).
    pub fn with_offset(size: usize, master_repl_offset: u64) -> Backlog {
        Backlog {
            buf: Vec::new(),
            size,
            idx: 0,
            histlen: 0,
            master_repl_offset,
        }
    }

    /// Configured capacity in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// `master_repl_offset`: the number of the last byte appended.
    pub fn offset(&self) -> u64 {
        self.master_repl_offset
    }

    /// `repl_backlog_first_byte_offset`: the number of the oldest byte held (`offset() + 1` when
    /// empty).
    pub fn first_offset(&self) -> u64 {
        self.master_repl_offset - self.histlen as u64 + 1
    }

    /// `repl_backlog_histlen`: how many bytes are held.
    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// Appends stream bytes, advancing `master_repl_offset` by `data.len()` and dropping the oldest
    /// bytes beyond the size.
    pub fn append(&mut self, data: &[u8]) {
        self.master_repl_offset += data.len() as u64;
        if self.size == 0 || data.is_empty() {
            return;
        }
        if self.buf.is_empty() {
            // Zeroed allocation: the pages stay untouched until the stream reaches them (a big
            // `repl-backlog-size` costs no upfront page faults).
            self.buf = vec![0u8; self.size];
        } else if self.buf.len() != self.size {
            self.buf.resize(self.size, 0);
        }
        // Only the last `size` bytes of `data` can survive.
        let data = &data[data.len().saturating_sub(self.size)..];
        let first = data.len().min(self.size - self.idx);
        self.buf[self.idx..self.idx + first].copy_from_slice(&data[..first]);
        let rest = &data[first..];
        self.buf[..rest.len()].copy_from_slice(rest);
        self.idx = (self.idx + data.len()) % self.size;
        self.histlen = (self.histlen + data.len()).min(self.size);
    }

    /// Whether a replica sending `PSYNC <replid> <psync_offset>` can be served from here.
    pub fn can_serve(&self, psync_offset: i64) -> bool {
        let Ok(o) = u64::try_from(psync_offset) else {
            return false;
        };
        o >= self.first_offset() && o <= self.first_offset() + self.histlen as u64
    }

    /// The held bytes from byte number `psync_offset` to the end, as at most two slices of the
    /// ring, or `None` when that range is not held (too old, or beyond `offset() + 1`).
    /// `psync_offset == offset() + 1` gives empty slices: the replica missed nothing.
    pub fn slices_from(&self, psync_offset: i64) -> Option<(&[u8], &[u8])> {
        if !self.can_serve(psync_offset) {
            return None;
        }
        let skip = (psync_offset as u64 - self.first_offset()) as usize;
        let len = self.histlen - skip;
        if len == 0 {
            return Some((&[], &[]));
        }
        let oldest = (self.idx + self.size - self.histlen) % self.size;
        let start = (oldest + skip) % self.size;
        if start + len <= self.size {
            Some((&self.buf[start..start + len], &[]))
        } else {
            let first = self.size - start;
            Some((&self.buf[start..], &self.buf[..len - first]))
        }
    }

    /// Like [`slices_from`](Self::slices_from) but copied out (so a caller can release its lock
    /// before writing to the replica's socket): the bytes `addReplyReplicationBacklog` sends.
    pub fn copy_from(&self, psync_offset: i64) -> Option<Vec<Bytes>> {
        let (a, b) = self.slices_from(psync_offset)?;
        Some(
            [a, b]
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(Bytes::copy_from_slice)
                .collect(),
        )
    }

    /// Changes the size, keeping the most recent `min(histlen, size)` bytes.
    pub fn resize(&mut self, size: usize) {
        if size == self.size {
            return;
        }
        let keep = self.histlen.min(size);
        let mut kept = Vec::with_capacity(keep);
        if keep > 0 {
            let from = self.master_repl_offset - keep as u64 + 1;
            if let Some((a, b)) = self.slices_from(from as i64) {
                kept.extend_from_slice(a);
                kept.extend_from_slice(b);
            }
        }
        let offset = self.master_repl_offset;
        *self = Backlog::with_offset(size, offset - keep as u64);
        self.append(&kept);
    }

    /// Drops the held bytes, keeping `master_repl_offset` (so `first_offset` becomes `offset + 1`).
    pub fn clear(&mut self) {
        self.histlen = 0;
        self.idx = 0;
    }

    /// Drops the held bytes and restarts the stream at `master_repl_offset` (a replica after a full
    /// sync at that offset).
    pub fn reset(&mut self, master_repl_offset: u64) {
        self.clear();
        self.master_repl_offset = master_repl_offset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(b: &Backlog, off: i64) -> Option<Vec<u8>> {
        b.copy_from(off).map(|v| v.concat())
    }

    #[test]
    fn empty_backlog() {
        let b = Backlog::with_offset(16, 100);
        assert_eq!(b.offset(), 100);
        assert_eq!(b.first_offset(), 101);
        assert_eq!(b.histlen(), 0);
        assert_eq!(joined(&b, 101), Some(vec![]));
        assert_eq!(joined(&b, 100), None);
        assert_eq!(joined(&b, 102), None);
        assert_eq!(joined(&b, -1), None);
    }

    #[test]
    fn offsets_without_wrap() {
        let mut b = Backlog::new(16);
        b.append(b"abcdef");
        assert_eq!(b.offset(), 6);
        assert_eq!(b.first_offset(), 1);
        assert_eq!(b.histlen(), 6);
        // Exact start: the whole history.
        assert_eq!(joined(&b, 1).unwrap(), b"abcdef");
        assert_eq!(joined(&b, 4).unwrap(), b"def");
        // Exact end: the replica has everything.
        assert_eq!(joined(&b, 7).unwrap(), b"");
        // In the future.
        assert_eq!(joined(&b, 8), None);
        // Too old.
        assert_eq!(joined(&b, 0), None);
    }

    #[test]
    fn wrap_and_too_old() {
        let mut b = Backlog::new(8);
        b.append(b"0123456");
        b.append(b"789ab");
        // Stream bytes 1..=12 = "0123456789ab", ring keeps the last 8 = bytes 5..=12.
        assert_eq!(b.offset(), 12);
        assert_eq!(b.histlen(), 8);
        assert_eq!(b.first_offset(), 5);
        assert_eq!(joined(&b, 5).unwrap(), b"456789ab");
        assert_eq!(joined(&b, 9).unwrap(), b"89ab");
        assert_eq!(joined(&b, 12).unwrap(), b"b");
        assert_eq!(joined(&b, 13).unwrap(), b"");
        assert_eq!(joined(&b, 4), None);
        assert_eq!(joined(&b, 14), None);
        // The answer spans the ring's end.
        let (x, y) = b.slices_from(5).unwrap();
        assert_eq!([x, y].concat(), b"456789ab");
    }

    #[test]
    fn append_larger_than_size() {
        let mut b = Backlog::with_offset(4, 10);
        b.append(b"x");
        b.append(b"abcdefghij");
        assert_eq!(b.offset(), 21);
        assert_eq!(b.histlen(), 4);
        assert_eq!(b.first_offset(), 18);
        assert_eq!(joined(&b, 18).unwrap(), b"ghij");
        // Exactly `size` bytes at a non-zero index.
        b.append(b"x");
        b.append(b"klmn");
        assert_eq!(joined(&b, b.first_offset() as i64).unwrap(), b"klmn");
    }

    #[test]
    fn many_small_appends_match_a_model() {
        let mut b = Backlog::with_offset(37, 5);
        let mut stream: Vec<u8> = Vec::new();
        for i in 0..500u32 {
            let chunk: Vec<u8> = (0..(i % 11)).map(|j| (i * 7 + j) as u8).collect();
            b.append(&chunk);
            stream.extend_from_slice(&chunk);
            let held = stream.len().min(37);
            assert_eq!(b.histlen(), held);
            assert_eq!(b.offset(), 5 + stream.len() as u64);
            let first = b.first_offset() as i64;
            assert_eq!(joined(&b, first).unwrap(), &stream[stream.len() - held..]);
            assert_eq!(joined(&b, first - 1), None);
        }
    }

    #[test]
    fn resize_keeps_latest_bytes() {
        let mut b = Backlog::new(8);
        b.append(b"0123456789");
        b.resize(4);
        assert_eq!(b.offset(), 10);
        assert_eq!(b.first_offset(), 7);
        assert_eq!(joined(&b, 7).unwrap(), b"6789");
        b.resize(16);
        assert_eq!(joined(&b, 7).unwrap(), b"6789");
        b.append(b"ab");
        assert_eq!(joined(&b, 7).unwrap(), b"6789ab");
        assert_eq!(b.offset(), 12);
    }

    #[test]
    fn clear_and_reset() {
        let mut b = Backlog::new(8);
        b.append(b"abc");
        b.clear();
        assert_eq!(b.offset(), 3);
        assert_eq!(b.first_offset(), 4);
        assert_eq!(joined(&b, 4).unwrap(), b"");
        assert_eq!(joined(&b, 1), None);
        b.append(b"de");
        assert_eq!(joined(&b, 4).unwrap(), b"de");
        b.reset(1000);
        assert_eq!(b.first_offset(), 1001);
        b.append(b"z");
        assert_eq!(joined(&b, 1001).unwrap(), b"z");
    }

    #[test]
    fn zero_size_holds_nothing() {
        let mut b = Backlog::new(0);
        b.append(b"abc");
        assert_eq!(b.offset(), 3);
        assert_eq!(b.histlen(), 0);
        assert_eq!(joined(&b, 4).unwrap(), b"");
        assert_eq!(joined(&b, 3), None);
    }
}
