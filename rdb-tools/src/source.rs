//! Byte sources for the decoders: a buffered `Read` with offset tracking, a running CRC64 and an
//! optional capture of consumed bytes (for opaque module payloads), and a plain slice.
//!
//! Reads of a declared length never trust the length: data is pulled in bounded chunks, so a corrupt
//! length of 2^60 fails with "truncated" after reading what exists instead of allocating first.

use std::io::Read;

use crate::crc64::Crc64;
use crate::error::{Error, Result};

/// Largest chunk a length-prefixed read reserves before the bytes have actually arrived.
const CHUNK: usize = 64 * 1024;

/// What the RDB decoders need from their input.
pub trait RdbRead {
    /// Absolute offset of the next byte.
    fn offset(&self) -> u64;
    /// Fills `buf` completely or fails with `Truncated { expected: what }`.
    fn read_exact_into(&mut self, buf: &mut [u8], what: &str) -> Result<()>;
    /// Reads `len` bytes into a fresh vector, growing it only as data arrives.
    fn read_vec(&mut self, len: u64, what: &str) -> Result<Vec<u8>>;

    fn read_u8(&mut self, what: &str) -> Result<u8> {
        let mut b = [0u8; 1];
        self.read_exact_into(&mut b, what)?;
        Ok(b[0])
    }
    fn read_array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.read_exact_into(&mut b, what)?;
        Ok(b)
    }
}

/// A slice as an [`RdbRead`]; `base` is the absolute offset of its first byte (for error messages).
pub struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> SliceInput<'a> {
    pub fn new(data: &'a [u8], base: u64) -> Self {
        SliceInput { data, pos: 0, base }
    }
    pub fn remaining(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl RdbRead for SliceInput<'_> {
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    fn read_exact_into(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        let end = self
            .pos
            .checked_add(buf.len())
            .filter(|&e| e <= self.data.len());
        match end {
            Some(end) => {
                buf.copy_from_slice(&self.data[self.pos..end]);
                self.pos = end;
                Ok(())
            }
            None => Err(Error::truncated(self.offset(), what)),
        }
    }
    fn read_vec(&mut self, len: u64, what: &str) -> Result<Vec<u8>> {
        let avail = (self.data.len() - self.pos) as u64;
        if len > avail {
            return Err(Error::truncated(
                self.offset(),
                format!("{what} ({len} bytes, {avail} left)"),
            ));
        }
        let end = self.pos + len as usize;
        let v = self.data[self.pos..end].to_vec();
        self.pos = end;
        Ok(v)
    }
}

/// A buffered reader over any `Read`, tracking the absolute offset and the CRC64 of consumed bytes.
pub struct StreamInput<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Bytes of `buf[..crc_pos]` are already in `crc`.
    crc_pos: usize,
    crc: Crc64,
    /// Offset of `buf[0]`.
    buf_offset: u64,
    capture: Option<Vec<u8>>,
}

impl<R: Read> StreamInput<R> {
    pub fn new(inner: R) -> Self {
        StreamInput {
            inner,
            buf: vec![0u8; 256 * 1024].into_boxed_slice(),
            pos: 0,
            filled: 0,
            crc_pos: 0,
            crc: Crc64::new(),
            buf_offset: 0,
            capture: None,
        }
    }

    fn flush_crc(&mut self) {
        if self.crc_pos < self.pos {
            self.crc.update(&self.buf[self.crc_pos..self.pos]);
            self.crc_pos = self.pos;
        }
    }

    /// CRC64 of every byte consumed so far.
    pub fn crc(&mut self) -> u64 {
        self.flush_crc();
        self.crc.value()
    }

    /// Refills the buffer; returns false at end of input.
    fn fill(&mut self) -> Result<bool> {
        self.flush_crc();
        if self.pos < self.filled {
            return Ok(true);
        }
        self.buf_offset += self.filled as u64;
        self.pos = 0;
        self.crc_pos = 0;
        self.filled = 0;
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => {
                    self.filled = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::Io {
                        offset: self.buf_offset,
                        source: e,
                    })
                }
            }
        }
    }

    /// Starts recording consumed bytes.
    pub fn start_capture(&mut self) {
        self.capture = Some(Vec::new());
    }

    /// Stops recording and returns what was consumed since [`start_capture`](Self::start_capture).
    pub fn take_capture(&mut self) -> Vec<u8> {
        self.capture.take().unwrap_or_default()
    }

    /// Reads up to `max` bytes after the current position without any interpretation (used for the
    /// trailer and for reporting trailing data). Returns how many bytes exist, reading at most `max`.
    pub fn count_remaining(&mut self, max: u64) -> Result<u64> {
        let mut n = 0u64;
        while n < max {
            if self.pos >= self.filled && !self.fill()? {
                break;
            }
            let take = ((self.filled - self.pos) as u64).min(max - n) as usize;
            self.pos += take;
            n += take as u64;
        }
        Ok(n)
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> RdbRead for StreamInput<R> {
    fn offset(&self) -> u64 {
        self.buf_offset + self.pos as u64
    }

    fn read_exact_into(&mut self, out: &mut [u8], what: &str) -> Result<()> {
        let mut done = 0;
        while done < out.len() {
            if self.pos >= self.filled && !self.fill()? {
                return Err(Error::truncated(self.offset(), what));
            }
            let take = (self.filled - self.pos).min(out.len() - done);
            out[done..done + take].copy_from_slice(&self.buf[self.pos..self.pos + take]);
            if let Some(c) = self.capture.as_mut() {
                c.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            }
            self.pos += take;
            done += take;
        }
        Ok(())
    }

    fn read_vec(&mut self, len: u64, what: &str) -> Result<Vec<u8>> {
        let start = self.offset();
        let mut v: Vec<u8> = Vec::with_capacity((len as usize).min(CHUNK));
        let mut left = len;
        while left > 0 {
            if self.pos >= self.filled && !self.fill()? {
                return Err(Error::truncated(
                    start,
                    format!("{what} ({len} bytes, {} present)", len - left),
                ));
            }
            let take = ((self.filled - self.pos) as u64).min(left) as usize;
            v.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            if let Some(c) = self.capture.as_mut() {
                c.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            }
            self.pos += take;
            left -= take as u64;
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_declared_length_is_truncation_not_allocation() {
        let mut s = StreamInput::new(&b"abc"[..]);
        let e = s.read_vec(1 << 60, "string").unwrap_err();
        assert!(matches!(e, Error::Truncated { offset: 0, .. }), "{e}");
        let mut s = SliceInput::new(b"abc", 10);
        assert!(matches!(
            s.read_vec(u64::MAX, "x"),
            Err(Error::Truncated { offset: 10, .. })
        ));
    }

    #[test]
    fn offsets_crc_and_capture() {
        let data: Vec<u8> = (0..=255u8).cycle().take(600_000).collect();
        let mut s = StreamInput::new(&data[..]);
        s.read_u8("a").unwrap();
        s.start_capture();
        let v = s.read_vec(300_000, "b").unwrap();
        assert_eq!(s.take_capture(), v);
        assert_eq!(s.offset(), 300_001);
        assert_eq!(s.crc(), crate::crc64::crc64(&data[..300_001]));
        assert_eq!(s.count_remaining(u64::MAX).unwrap(), 299_999);
    }
}
