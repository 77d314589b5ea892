//! RDB's primitive encodings: lengths, strings (raw, integer-encoded, LZF), doubles and times.
//!
//! Length encoding — the two high bits of the first byte select the form:
//!
//! ```text
//! 00LLLLLL                      6-bit length (0..63)
//! 01LLLLLL LLLLLLLL             14-bit length, big-endian (64..16383)
//! 10000000 <4 bytes BE>         32-bit length
//! 10000001 <8 bytes BE>         64-bit length
//! 11EEEEEE                      "special encoding" EEEEEE of a string that follows:
//!     0 = INT8  <1 byte>        the string is the decimal form of a signed integer, little-endian
//!     1 = INT16 <2 bytes LE>
//!     2 = INT32 <4 bytes LE>
//!     3 = LZF   <clen> <ulen> <clen bytes of LZF data>   (clen, ulen in length encoding)
//! ```
//!
//! A string is a length followed by that many bytes, or one of the special encodings. Redis writes a
//! string of at most 11 bytes that is a canonical integer fitting 32 bits as INT8/16/32, and (with
//! `rdbcompression yes`) a string longer than 20 bytes as LZF when that fits in `len - 4` bytes.
//!
//! Doubles: sorted sets of RDB type 3 store scores as a 1-byte length and the `%.17g` text, with the
//! lengths 253/254/255 meaning NaN/+inf/-inf; later types (ZSET_2, module DOUBLE) store 8 bytes of
//! IEEE-754 binary64, little-endian. Expire times: EXPIRETIME is 4 bytes LE seconds, EXPIRETIME_MS and
//! stream times 8 bytes LE milliseconds.

use crate::error::{Error, Result};
use crate::lzf::{self, Compressor};
use crate::number::{double_to_i64, format_g17, parse_canonical_i64, parse_f64};
use crate::source::RdbRead;

pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

/// A decoded length field: a plain length, or a special string encoding tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LenOrEnc {
    Len(u64),
    Encoded(u8),
}

/// Reads a length field (or a string encoding tag).
pub fn read_len_or_enc<R: RdbRead + ?Sized>(r: &mut R, what: &str) -> Result<LenOrEnc> {
    let first = r.read_u8(what)?;
    match first >> 6 {
        0 => Ok(LenOrEnc::Len((first & 0x3f) as u64)),
        1 => {
            let second = r.read_u8(what)?;
            Ok(LenOrEnc::Len(
                (((first & 0x3f) as u64) << 8) | second as u64,
            ))
        }
        2 => match first {
            0x80 => Ok(LenOrEnc::Len(u32::from_be_bytes(r.read_array(what)?) as u64)),
            0x81 => Ok(LenOrEnc::Len(u64::from_be_bytes(r.read_array(what)?))),
            _ => Err(Error::corrupt(
                r.offset() - 1,
                format!("{what}: a length (0x80 or 0x81 after the 10 prefix), found 0x{first:02x}"),
            )),
        },
        _ => Ok(LenOrEnc::Encoded(first & 0x3f)),
    }
}

/// Reads a plain length; a string encoding tag there is corruption.
pub fn read_len<R: RdbRead + ?Sized>(r: &mut R, what: &str) -> Result<u64> {
    let at = r.offset();
    match read_len_or_enc(r, what)? {
        LenOrEnc::Len(n) => Ok(n),
        LenOrEnc::Encoded(e) => Err(Error::corrupt(
            at,
            format!("{what}: a length, found string encoding {e}"),
        )),
    }
}

/// Reads an RDB string in any of its encodings, returning its bytes.
pub fn read_string<R: RdbRead + ?Sized>(r: &mut R, what: &str) -> Result<Vec<u8>> {
    let at = r.offset();
    match read_len_or_enc(r, what)? {
        LenOrEnc::Len(n) => r.read_vec(n, what),
        LenOrEnc::Encoded(ENC_INT8) => Ok((r.read_u8(what)? as i8).to_string().into_bytes()),
        LenOrEnc::Encoded(ENC_INT16) => Ok(i16::from_le_bytes(r.read_array(what)?)
            .to_string()
            .into_bytes()),
        LenOrEnc::Encoded(ENC_INT32) => Ok(i32::from_le_bytes(r.read_array(what)?)
            .to_string()
            .into_bytes()),
        LenOrEnc::Encoded(ENC_LZF) => {
            let clen = read_len(r, what)?;
            let ulen = read_len(r, what)?;
            let data_at = r.offset();
            let compressed = r.read_vec(clen, what)?;
            if ulen / 88 > clen || ulen > usize::MAX as u64 {
                return Err(Error::corrupt(
                    at,
                    format!(
                        "{what}: an LZF uncompressed length {ulen} reachable from {clen} bytes"
                    ),
                ));
            }
            lzf::decompress(&compressed, ulen as usize)
                .map_err(|e| Error::in_blob(data_at, "LZF stream", e))
        }
        LenOrEnc::Encoded(e) => Err(Error::corrupt(
            at,
            format!("{what}: a string encoding 0..3, found {e}"),
        )),
    }
}

/// Reads a string-encoded double (RDB type 3 scores).
pub fn read_double_string<R: RdbRead + ?Sized>(r: &mut R, what: &str) -> Result<f64> {
    let at = r.offset();
    match r.read_u8(what)? {
        255 => Ok(f64::NEG_INFINITY),
        254 => Ok(f64::INFINITY),
        253 => Ok(f64::NAN),
        len => {
            let buf = r.read_vec(len as u64, what)?;
            parse_f64(&buf).ok_or_else(|| Error::corrupt(at, format!("{what}: a decimal double")))
        }
    }
}

/// Reads a binary double (8 bytes LE).
pub fn read_double_binary<R: RdbRead + ?Sized>(r: &mut R, what: &str) -> Result<f64> {
    Ok(f64::from_le_bytes(r.read_array(what)?))
}

/// Reads a millisecond Unix time (8 bytes LE, signed).
pub fn read_ms_time<R: RdbRead + ?Sized>(r: &mut R, what: &str) -> Result<i64> {
    Ok(i64::from_le_bytes(r.read_array(what)?))
}

/// Appends a length field.
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 64 {
        out.push(len as u8);
    } else if len < 16384 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Appends `s` as a plain length-prefixed string, with no special encoding.
pub fn write_plain_string(out: &mut Vec<u8>, s: &[u8]) {
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends the INT8/16/32 encoding of `s` if Redis would use it (`rdbTryIntegerEncoding`).
fn try_write_int_encoded(out: &mut Vec<u8>, s: &[u8]) -> bool {
    if s.len() > 11 {
        return false;
    }
    let Some(v) = parse_canonical_i64(s) else {
        return false;
    };
    write_int_encoded(out, v)
}

/// Appends `v` as an INT8/16/32-encoded string if it fits 32 bits.
pub fn write_int_encoded(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(b) = i8::try_from(v) {
        out.push(0xc0 | ENC_INT8);
        out.push(b as u8);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xc0 | ENC_INT16);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xc0 | ENC_INT32);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Appends `s` the way `rdbSaveRawString` does: integer encoding for short canonical integers,
/// LZF for strings over 20 bytes when `compressor` is given and it saves at least 4 bytes, else raw.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compressor: Option<&mut Compressor>) {
    if try_write_int_encoded(out, s) {
        return;
    }
    if let Some(c) = compressor {
        if s.len() > 20 {
            if let Some(z) = lzf::compress_for_rdb(c, s) {
                out.push(0xc0 | ENC_LZF);
                write_len(out, z.len() as u64);
                write_len(out, s.len() as u64);
                out.extend_from_slice(z);
                return;
            }
        }
    }
    write_plain_string(out, s);
}

/// Appends a string-encoded double (`rdbSaveDoubleValue`).
pub fn write_double_string(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.push(253);
    } else if v.is_infinite() {
        out.push(if v < 0.0 { 255 } else { 254 });
    } else {
        let text = match double_to_i64(v) {
            Some(ll) => ll.to_string(),
            None => format_g17(v),
        };
        out.push(text.len() as u8);
        out.extend_from_slice(text.as_bytes());
    }
}

/// Appends a binary double (8 bytes LE).
pub fn write_double_binary(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SliceInput;

    fn enc_len(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        write_len(&mut v, n);
        v
    }

    #[test]
    fn length_forms() {
        assert_eq!(enc_len(0), [0x00]);
        assert_eq!(enc_len(63), [0x3f]);
        assert_eq!(enc_len(64), [0x40, 0x40]);
        assert_eq!(enc_len(16383), [0x7f, 0xff]);
        assert_eq!(enc_len(16384), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(enc_len(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
        for n in [0, 1, 63, 64, 16383, 16384, u32::MAX as u64, u64::MAX] {
            let b = enc_len(n);
            assert_eq!(read_len(&mut SliceInput::new(&b, 0), "len").unwrap(), n);
        }
    }

    #[test]
    fn string_encodings_like_redis() {
        // rdbSaveRawString: "123" -> INT8 (c0 7b); "-29477" -> INT16 LE; "183358245" -> INT32 LE;
        // "0123" and "12345678901" (> 32 bits) stay raw. Corpus integer_keys.rdb uses the same forms.
        let mut v = Vec::new();
        write_string(&mut v, b"123", None);
        assert_eq!(v, [0xc0, 123]);
        v.clear();
        write_string(&mut v, b"-29477", None);
        assert_eq!(v, [0xc1, 0xdb, 0x8c]);
        v.clear();
        write_string(&mut v, b"183358245", None);
        assert_eq!(v, [0xc2, 0x25, 0xd3, 0xed, 0x0a]);
        v.clear();
        write_string(&mut v, b"0123", None);
        assert_eq!(v, b"\x040123");
        v.clear();
        write_string(&mut v, b"12345678901", None);
        assert_eq!(v[0], 11);
        for s in [&b"-128"[..], b"40000", b"-2147483648", b"hello", b""] {
            let mut v = Vec::new();
            write_string(&mut v, s, Some(&mut Compressor::new()));
            assert_eq!(read_string(&mut SliceInput::new(&v, 0), "s").unwrap(), s);
        }
        let long = vec![b'x'; 300];
        let mut v = Vec::new();
        write_string(&mut v, &long, Some(&mut Compressor::new()));
        assert_eq!(v[0], 0xc3);
        assert!(v.len() < 40);
        assert_eq!(read_string(&mut SliceInput::new(&v, 0), "s").unwrap(), long);
    }

    #[test]
    fn doubles() {
        let mut v = Vec::new();
        write_double_string(&mut v, 2.37);
        assert_eq!(v, b"\x122.3700000000000001");
        v.clear();
        write_double_string(&mut v, 5e9);
        assert_eq!(v, b"\x0a5000000000");
        for x in [f64::INFINITY, f64::NEG_INFINITY, 0.5, -3.25e-300] {
            let mut v = Vec::new();
            write_double_string(&mut v, x);
            assert_eq!(
                read_double_string(&mut SliceInput::new(&v, 0), "d").unwrap(),
                x
            );
        }
        assert!(read_double_string(&mut SliceInput::new(&[253], 0), "d")
            .unwrap()
            .is_nan());
        let mut v = Vec::new();
        write_double_binary(&mut v, 1.618);
        assert_eq!(
            read_double_binary(&mut SliceInput::new(&v, 0), "d").unwrap(),
            1.618
        );
    }

    #[test]
    fn corrupt_lengths_are_errors() {
        assert!(read_len(&mut SliceInput::new(&[0x82], 0), "len").is_err());
        assert!(read_len(&mut SliceInput::new(&[0xc0, 1], 0), "len").is_err());
        assert!(read_string(&mut SliceInput::new(&[0xc5], 0), "s").is_err());
        // LZF claiming 1 GB from 2 bytes.
        assert!(read_string(
            &mut SliceInput::new(&[0xc3, 0x02, 0x80, 0x40, 0, 0, 0, 0, 0], 0),
            "s"
        )
        .is_err());
    }
}
