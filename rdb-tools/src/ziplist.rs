//! Ziplist: the packed sequence Redis used before listpack (RDB types 10, 12, 13 and quicklist
//! nodes of type 14). Read and validate for loading old dumps; [`ZiplistBuilder`] appends entries
//! to write RDB 9 (Redis 6) files.
//!
//! Layout (all header integers little-endian):
//!
//! ```text
//! <zlbytes u32> <zltail u32> <zllen u16> <entry> ... <entry> <0xFF>
//! entry = <prevlen> <encoding> <data>
//! prevlen: 1 byte if the previous entry's size < 254, else 0xFE followed by a u32 LE size
//! encoding:
//!   00LLLLLL                       string of up to 63 bytes
//!   01LLLLLL LLLLLLLL              string of up to 16383 bytes (14-bit length, big-endian)
//!   10000000 <u32 BE length>       longer string
//!   11000000 <2 bytes LE>          int16
//!   11010000 <4 bytes LE>          int32
//!   11100000 <8 bytes LE>          int64
//!   11110000 <3 bytes LE>          int24
//!   11111110 <1 byte>              int8
//!   1111xxxx                       xxxx in 0001..1101: immediate integer xxxx - 1 (0..12)
//! ```
//!
//! `zltail` is the offset of the last entry; `zllen` saturates at 65535 ("count by scanning").
//! A string element is stored as an integer when it is shorter than 32 bytes and a canonical 64-bit
//! decimal (`zipTryEncoding`).

use crate::entry::Entry;
use crate::error::CodecError;
use crate::number::parse_canonical_i64;

const HDR: usize = 10;
const END: u8 = 0xff;

/// Decodes the entry at `pos`: (element, total entry size, prevlen field value).
fn decode_at(buf: &[u8], pos: usize) -> Result<(Entry<'_>, usize, usize), CodecError> {
    let err = |p: usize, w| CodecError::new(p, w);
    let get = |from: usize, n: usize| {
        buf.get(from..from + n)
            .ok_or_else(|| err(from, "entry bytes within the ziplist"))
    };
    let first = *buf.get(pos).ok_or_else(|| err(pos, "an entry"))?;
    let (prevlen, plen) = if first < 254 {
        (first as usize, 1)
    } else if first == 254 {
        let d = get(pos + 1, 4)?;
        (u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize, 5)
    } else {
        return Err(err(pos, "a prevlen field, found the end marker"));
    };
    let e = pos + plen;
    let enc = *buf.get(e).ok_or_else(|| err(e, "an entry encoding"))?;
    let (entry, hdr) = match enc >> 6 {
        0 => {
            let len = (enc & 0x3f) as usize;
            (Entry::Str(get(e + 1, len)?), 1 + len)
        }
        1 => {
            let lo = get(e + 1, 1)?[0] as usize;
            let len = (((enc & 0x3f) as usize) << 8) | lo;
            (Entry::Str(get(e + 2, len)?), 2 + len)
        }
        2 => {
            if enc != 0x80 {
                return Err(err(e, "a valid string encoding (0x80)"));
            }
            let d = get(e + 1, 4)?;
            let len = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize;
            (Entry::Str(get(e + 5, len)?), 5 + len)
        }
        _ => match enc {
            0xc0 => {
                let d = get(e + 1, 2)?;
                (Entry::Int(i16::from_le_bytes([d[0], d[1]]) as i64), 3)
            }
            0xd0 => {
                let d = get(e + 1, 4)?;
                (
                    Entry::Int(i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64),
                    5,
                )
            }
            0xe0 => {
                let d = get(e + 1, 8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(d);
                (Entry::Int(i64::from_le_bytes(a)), 9)
            }
            0xf0 => {
                let d = get(e + 1, 3)?;
                (
                    Entry::Int((i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8) as i64),
                    4,
                )
            }
            0xfe => (Entry::Int(get(e + 1, 1)?[0] as i8 as i64), 2),
            0xf1..=0xfd => (Entry::Int((enc & 0x0f) as i64 - 1), 1),
            _ => return Err(err(e, "a valid integer encoding")),
        },
    };
    Ok((entry, plen + hdr, prevlen))
}

/// Validates a ziplist like `ziplistValidateIntegrity(deep=1)` and returns its elements.
pub fn decode(buf: &[u8]) -> Result<Vec<Entry<'_>>, CodecError> {
    if buf.len() < HDR + 1 {
        return Err(CodecError::new(0, "a 10-byte header and an end marker"));
    }
    let zlbytes = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if zlbytes != buf.len() {
        return Err(CodecError::new(
            0,
            "a zlbytes header equal to the blob size",
        ));
    }
    let zltail = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
    let zllen = u16::from_le_bytes([buf[8], buf[9]]);
    if buf[buf.len() - 1] != END {
        return Err(CodecError::new(
            buf.len() - 1,
            "the 0xFF end marker as last byte",
        ));
    }
    let body_end = buf.len() - 1;
    let mut out = Vec::new();
    let mut pos = HDR;
    let mut prev_size = 0usize;
    let mut last = HDR;
    while pos < body_end {
        let (entry, size, prevlen) = decode_at(&buf[..body_end], pos)?;
        if prevlen != prev_size {
            return Err(CodecError::new(
                pos,
                "a prevlen equal to the previous entry's size",
            ));
        }
        out.push(entry);
        last = pos;
        prev_size = size;
        pos += size;
    }
    if zltail != last {
        return Err(CodecError::new(
            4,
            "a zltail header pointing at the last entry",
        ));
    }
    if zllen != u16::MAX && zllen as usize != out.len() {
        return Err(CodecError::new(8, "a zllen header matching the entries"));
    }
    Ok(out)
}

/// Builds a ziplist by appending, producing Redis's bytes for the same appends.
pub struct ZiplistBuilder {
    buf: Vec<u8>,
    count: usize,
    last: usize,
    last_size: usize,
}

impl Default for ZiplistBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ZiplistBuilder {
    pub fn new() -> Self {
        ZiplistBuilder {
            buf: vec![0; HDR],
            count: 0,
            last: HDR,
            last_size: 0,
        }
    }

    /// Appends `ele`, stored as an integer when Redis would (`zipTryEncoding`).
    pub fn push(&mut self, ele: &[u8]) {
        let start = self.buf.len();
        if self.last_size < 254 {
            self.buf.push(self.last_size as u8);
        } else {
            self.buf.push(254);
            self.buf
                .extend_from_slice(&(self.last_size as u32).to_le_bytes());
        }
        match (ele.len() < 32).then(|| parse_canonical_i64(ele)).flatten() {
            Some(v) => self.push_int_encoding(v),
            None => {
                let len = ele.len();
                if len <= 0x3f {
                    self.buf.push(len as u8);
                } else if len <= 0x3fff {
                    self.buf.push(0x40 | (len >> 8) as u8);
                    self.buf.push(len as u8);
                } else {
                    self.buf.push(0x80);
                    self.buf.extend_from_slice(&(len as u32).to_be_bytes());
                }
                self.buf.extend_from_slice(ele);
            }
        }
        self.last = start;
        self.last_size = self.buf.len() - start;
        self.count += 1;
    }

    fn push_int_encoding(&mut self, v: i64) {
        if (0..=12).contains(&v) {
            self.buf.push(0xf1 + v as u8);
        } else if let Ok(b) = i8::try_from(v) {
            self.buf.push(0xfe);
            self.buf.push(b as u8);
        } else if let Ok(h) = i16::try_from(v) {
            self.buf.push(0xc0);
            self.buf.extend_from_slice(&h.to_le_bytes());
        } else if (-8388608..=8388607).contains(&v) {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if let Ok(w) = i32::try_from(v) {
            self.buf.push(0xd0);
            self.buf.extend_from_slice(&w.to_le_bytes());
        } else {
            self.buf.push(0xe0);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// Current serialized size including the end marker.
    pub fn bytes_len(&self) -> usize {
        self.buf.len() + 1
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The finished ziplist.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(END);
        let n = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&n.to_le_bytes());
        self.buf[4..8].copy_from_slice(&(self.last as u32).to_le_bytes());
        let c = self.count.min(u16::MAX as usize) as u16;
        self.buf[8..10].copy_from_slice(&c.to_le_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_spec_fixture() {
        // Hand-assembled from the layout above: ["ab", 7, -2, 300]
        //   header: zlbytes=24, zltail=19 (offset of the last entry), zllen=4
        //   00 02 'a' 'b'        prevlen 0, 2-byte string            (size 4)
        //   04 f8                prevlen 4, immediate 7 (0xf1 + 7)   (size 2)
        //   02 fe fe             prevlen 2, int8 -2                  (size 3)
        //   03 c0 2c 01          prevlen 3, int16 300                (size 4)
        //   ff
        let zl = [
            24, 0, 0, 0, 19, 0, 0, 0, 4, 0, 0, 2, b'a', b'b', 4, 0xf8, 2, 0xfe, 0xfe, 3, 0xc0,
            0x2c, 0x01, 0xff,
        ];
        let zl = zl.to_vec();
        let got = decode(&zl).unwrap();
        assert_eq!(
            got,
            vec![
                Entry::Str(b"ab"),
                Entry::Int(7),
                Entry::Int(-2),
                Entry::Int(300)
            ]
        );
        let mut b = ZiplistBuilder::new();
        for e in [&b"ab"[..], b"7", b"-2", b"300"] {
            b.push(e);
        }
        assert_eq!(b.finish(), zl);
    }

    #[test]
    fn builder_round_trip_all_encodings() {
        let items: Vec<Vec<u8>> = [
            "0",
            "12",
            "13",
            "-1",
            "127",
            "-128",
            "200",
            "32767",
            "-32769",
            "8388607",
            "8388608",
            "2147483648",
            "9223372036854775807",
            "x",
            "0123",
            "12345678901234567890123456789012",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([
            vec![b'y'; 63],
            vec![b'y'; 64],
            vec![b'z'; 16383],
            vec![b'z'; 16384],
            vec![b'q'; 300],
        ])
        .collect();
        let mut b = ZiplistBuilder::new();
        for i in &items {
            b.push(i);
        }
        let zl = b.finish();
        let got: Vec<Vec<u8>> = decode(&zl).unwrap().iter().map(|e| e.to_vec()).collect();
        assert_eq!(got, items);
    }

    #[test]
    fn rejects_corruption() {
        let mut b = ZiplistBuilder::new();
        b.push(b"hello");
        b.push(b"world");
        let zl = b.finish();
        let mut bad = zl.clone();
        bad[4] = 0; // zltail
        assert!(decode(&bad).is_err());
        let mut bad = zl.clone();
        bad[17] = 9; // prevlen of 2nd entry
        assert!(decode(&bad).is_err());
        assert!(decode(&zl[..zl.len() - 1]).is_err());
    }
}
