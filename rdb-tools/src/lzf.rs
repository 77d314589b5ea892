//! LZF, the compressor Redis applies to strings in RDB files (`RDB_ENC_LZF`).
//!
//! Compressed format (liblzf 3.6, as vendored by Redis):
//!
//! ```text
//! 000LLLLL <L+1 bytes>          literal run of L+1 = 1..32 bytes
//! LLLooooo oooooooo             back reference of L+2 = 3..8 bytes, distance o+1 = 1..8192
//! 111ooooo LLLLLLLL oooooooo    back reference of L+9 = 9..264 bytes, distance o+1
//! ```
//!
//! The compressor reproduces Redis's `lzf_compress` (HLOG 16, VERY_FAST, offsets in the hash table)
//! step by step, including its conservative output-space checks, so for a given output limit it
//! succeeds or fails exactly when Redis does and emits the same bytes. Redis calls it with a limit of
//! `len - 4` (`rdbSaveLzfStringObject`), which is what [`compress_for_rdb`] does.
//!
//! The hash table is reused between calls and invalidated by a generation counter instead of being
//! cleared, so compressing many small strings does not pay for a 64 Ki-entry memset each time.

use crate::error::CodecError;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// A reusable LZF compressor (holds the 64 Ki-entry hash table).
pub struct Compressor {
    /// `generation << 32 | position`; an entry from an older generation reads as empty.
    table: Vec<u64>,
    generation: u32,
    /// The output buffer, reused from one string to the next.
    out: Vec<u8>,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

impl Compressor {
    pub fn new() -> Self {
        Compressor {
            table: vec![0; HSIZE],
            generation: 0,
            out: Vec::new(),
        }
    }

    fn next_generation(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.table.iter_mut().for_each(|e| *e = 0);
            self.generation = 1;
        }
    }

    #[inline]
    fn slot_get(&self, h: usize) -> usize {
        let e = self.table[h];
        if (e >> 32) as u32 == self.generation {
            (e & 0xffff_ffff) as usize
        } else {
            0
        }
    }

    #[inline]
    fn slot_set(&mut self, h: usize, pos: usize) {
        self.table[h] = ((self.generation as u64) << 32) | pos as u64;
    }

    /// Compresses `input` into at most `out_limit` bytes, or returns `None` when Redis's
    /// `lzf_compress` would return 0 (does not fit, or empty input). Inputs of 4 GiB or more are
    /// never compressed.
    pub fn compress(&mut self, input: &[u8], out_limit: usize) -> Option<&[u8]> {
        let in_len = input.len();
        if in_len == 0 || out_limit == 0 || in_len >= u32::MAX as usize {
            return None;
        }
        self.next_generation();
        // `op` may reach out_limit + 1 transiently (a started run that is then undone).
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        out.resize(out_limit + 2, 0);
        let done = self.compress_with(input, out_limit, &mut out);
        self.out = out;
        done.then_some(&self.out[..])
    }

    /// The body of [`compress`](Self::compress): fills `out` (`out_limit + 2` bytes) and
    /// truncates it to the compressed length; false when the result does not fit.
    fn compress_with(&mut self, input: &[u8], out_limit: usize, out: &mut Vec<u8>) -> bool {
        let in_len = input.len();
        let out_end = out_limit;
        let mut ip = 0usize;
        let mut op = 1usize; // start run
        let mut lit: usize = 0;
        let b = |i: usize| input[i] as u32;
        if in_len < 3 {
            // The main loop does not run; only the tail copy below.
            return Self::finish(input, out, out_end, ip, op, lit);
        }
        let mut hval: u32 = (b(0) << 8) | b(1);
        while ip < in_len - 2 {
            hval = (hval << 8) | b(ip + 2);
            let slot = idx(hval);
            let r = self.slot_get(slot);
            self.slot_set(slot, ip);
            let off = ip.wrapping_sub(r).wrapping_sub(1);
            if r > 0
                && r < ip
                && off < MAX_OFF
                && input[r + 2] == input[ip + 2]
                && input[r] == input[ip]
                && input[r + 1] == input[ip + 1]
            {
                let mut len = 2usize;
                let maxlen = (in_len - ip - len).min(MAX_REF);
                if op + 3 + 1 >= out_end && op - usize::from(lit == 0) + 3 + 1 >= out_end {
                    return false;
                }
                out[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop run
                op -= usize::from(lit == 0); // undo run if length is zero
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
                len -= 2; // now #octets - 1
                ip += 1;
                if len < 7 {
                    out[op] = ((off >> 8) + (len << 5)) as u8;
                    op += 1;
                } else {
                    out[op] = ((off >> 8) + (7 << 5)) as u8;
                    out[op + 1] = (len - 7) as u8;
                    op += 2;
                }
                out[op] = off as u8;
                op += 1;
                lit = 0;
                op += 1; // start run
                ip += len + 1;
                if ip >= in_len - 2 {
                    break;
                }
                ip -= 2;
                hval = (b(ip) << 8) | b(ip + 1);
                hval = (hval << 8) | b(ip + 2);
                self.slot_set(idx(hval), ip);
                ip += 1;
                hval = (hval << 8) | b(ip + 2);
                self.slot_set(idx(hval), ip);
                ip += 1;
            } else {
                if op >= out_end {
                    return false;
                }
                lit += 1;
                out[op] = input[ip];
                op += 1;
                ip += 1;
                if lit == MAX_LIT {
                    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
                    lit = 0;
                    op += 1;
                }
            }
        }
        Self::finish(input, out, out_end, ip, op, lit)
    }

    fn finish(
        input: &[u8],
        out: &mut Vec<u8>,
        out_end: usize,
        mut ip: usize,
        mut op: usize,
        mut lit: usize,
    ) -> bool {
        if op + 3 > out_end {
            return false;
        }
        while ip < input.len() {
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit as u8).wrapping_sub(1);
                lit = 0;
                op += 1;
            }
        }
        out[op - lit - 1] = (lit as u8).wrapping_sub(1); // end run
        op -= usize::from(lit == 0);
        out.truncate(op);
        true
    }
}

/// Compresses like `rdbSaveLzfStringObject`: only strings longer than 4 bytes, and only when the
/// result fits in `len - 4` bytes.
pub fn compress_for_rdb<'c>(c: &'c mut Compressor, input: &[u8]) -> Option<&'c [u8]> {
    if input.len() <= 4 {
        return None;
    }
    c.compress(input, input.len() - 4)
}

/// Decompresses `input`, which must expand to exactly `expected_len` bytes.
///
/// Never allocates more than the input can expand to (a 3-byte back reference yields at most 264
/// bytes, so at most 88 bytes per input byte).
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, CodecError> {
    if expected_len / 88 > input.len() {
        return Err(CodecError::new(
            0,
            "an uncompressed length that the compressed bytes can produce",
        ));
    }
    // Bounded by 88 x the compressed bytes, which exist.
    let mut out = vec![0u8; expected_len];
    let mut op = 0usize;
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < (1 << 5) {
            let run = ctrl + 1;
            if op + run > expected_len {
                return Err(CodecError::new(
                    ip - 1,
                    "a literal run within the uncompressed length",
                ));
            }
            let Some(lits) = input.get(ip..ip + run) else {
                return Err(CodecError::new(ip, "literal bytes"));
            };
            out[op..op + run].copy_from_slice(lits);
            op += run;
            ip += run;
        } else {
            let start = ip - 1;
            let mut len = ctrl >> 5;
            if len == 7 {
                let Some(&l) = input.get(ip) else {
                    return Err(CodecError::new(ip, "a back-reference length byte"));
                };
                len += l as usize;
                ip += 1;
            }
            let Some(&lo) = input.get(ip) else {
                return Err(CodecError::new(ip, "a back-reference offset byte"));
            };
            ip += 1;
            let dist = ((ctrl & 0x1f) << 8) + lo as usize + 1;
            let len = len + 2;
            if dist > op {
                return Err(CodecError::new(
                    start,
                    "a back reference inside the output produced so far",
                ));
            }
            if op + len > expected_len {
                return Err(CodecError::new(
                    start,
                    "a back reference within the uncompressed length",
                ));
            }
            let from = op - dist;
            if dist >= len {
                out.copy_within(from..from + len, op);
            } else {
                // Overlapping: the pattern of `dist` bytes repeats; copy it in growing chunks.
                let mut done = 0;
                while done < len {
                    let chunk = (dist + done).min(len - done);
                    out.copy_within(from..from + chunk, op + done);
                    done += chunk;
                }
            }
            op += len;
        }
    }
    if op != expected_len {
        return Err(CodecError::new(
            input.len(),
            "compressed data that expands to the declared length",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_reference_crate_without_limit() {
        let mut c = Compressor::new();
        let samples: Vec<Vec<u8>> = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"hello hello hello hello hello world world world".to_vec(),
            (0..2000u32).map(|i| (i % 251) as u8).collect(),
            (0..5000u32).map(|i| ((i * 7919) % 13) as u8).collect(),
            b"abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc1234".to_vec(),
        ];
        for s in &samples {
            let ours = c.compress(s, s.len()).expect("compressible");
            assert_eq!(decompress(ours, s.len()).unwrap(), *s);
            if let Ok(reference) = ::lzf::compress(s) {
                assert_eq!(
                    ours,
                    reference,
                    "differs from liblzf port for {:?}",
                    &s[..10]
                );
            }
        }
    }

    #[test]
    fn compressible_string_round_trips() {
        // Byte-for-byte agreement with Redis is checked in tests/redis_interop.rs (DUMP payloads).
        let s = vec![b'a'; 200];
        let mut c = Compressor::new();
        let z = compress_for_rdb(&mut c, &s).unwrap();
        assert_eq!(decompress(z, 200).unwrap(), s);
    }

    #[test]
    fn incompressible_is_refused() {
        let s: Vec<u8> = (0..64u8).collect();
        assert!(compress_for_rdb(&mut Compressor::new(), &s).is_none());
    }

    #[test]
    fn decompress_rejects_garbage_without_panicking() {
        assert!(decompress(&[0xe0], 10).is_err());
        assert!(decompress(&[0x20, 0x00], 10).is_err());
        assert!(decompress(&[0x05, b'a'], 6).is_err());
        assert!(decompress(&[0x00, b'a'], 1_000_000).is_err());
    }
}
