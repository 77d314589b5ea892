//! Zipmap: the field/value encoding of small hashes before Redis 2.6 (RDB type 9). Read only.
//!
//! Layout:
//!
//! ```text
//! <zmlen u8> (<len> <field> <len> <free u8> <value> <free bytes of padding>)* <0xFF>
//! len: 1 byte if < 254, else 254 followed by a u32 little-endian length
//! ```
//!
//! `zmlen` is the pair count when below 254 (otherwise the map must be scanned); `free` counts unused
//! bytes after a value, left behind by in-place updates.

use crate::error::CodecError;

const BIGLEN: u8 = 254;
const END: u8 = 255;

fn read_len(buf: &[u8], pos: usize) -> Result<(usize, usize), CodecError> {
    match buf.get(pos) {
        None => Err(CodecError::new(pos, "a zipmap length")),
        Some(&END) => Err(CodecError::new(
            pos,
            "a zipmap length, found the end marker",
        )),
        Some(&BIGLEN) => {
            let d = buf
                .get(pos + 1..pos + 5)
                .ok_or_else(|| CodecError::new(pos, "a 4-byte zipmap length"))?;
            Ok((u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize, 5))
        }
        Some(&n) => Ok((n as usize, 1)),
    }
}

/// A (field, value) pair borrowed from the zipmap.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Decodes and validates a zipmap into its (field, value) pairs.
pub fn decode(buf: &[u8]) -> Result<Vec<Pair<'_>>, CodecError> {
    let zmlen = *buf
        .first()
        .ok_or_else(|| CodecError::new(0, "a zipmap header"))?;
    let mut pos = 1;
    let mut out = Vec::new();
    loop {
        match buf.get(pos) {
            None => return Err(CodecError::new(pos, "a zipmap entry or end marker")),
            Some(&END) => break,
            _ => {}
        }
        let (flen, n) = read_len(buf, pos)?;
        pos += n;
        let field = buf
            .get(pos..pos.saturating_add(flen))
            .ok_or_else(|| CodecError::new(pos, "zipmap field bytes"))?;
        pos += flen;
        let (vlen, n) = read_len(buf, pos)?;
        pos += n;
        let free = *buf
            .get(pos)
            .ok_or_else(|| CodecError::new(pos, "a zipmap free byte"))? as usize;
        pos += 1;
        let value = buf
            .get(pos..pos.saturating_add(vlen))
            .ok_or_else(|| CodecError::new(pos, "zipmap value bytes"))?;
        pos += vlen + free;
        out.push((field, value));
    }
    if pos + 1 != buf.len() {
        return Err(CodecError::new(pos, "the end marker as the last byte"));
    }
    if zmlen < BIGLEN && zmlen as usize != out.len() {
        return Err(CodecError::new(0, "a zipmap count matching the entries"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_spec_fixture() {
        // {"f1": "v1", "foo": "bar"} with 2 free bytes after "bar":
        // 02 | 02 'f' '1' 02 00 'v' '1' | 03 'f' 'o' 'o' 03 02 'b' 'a' 'r' xx xx | ff
        let zm = [
            2, 2, b'f', b'1', 2, 0, b'v', b'1', 3, b'f', b'o', b'o', 3, 2, b'b', b'a', b'r', 0, 0,
            0xff,
        ];
        assert_eq!(
            decode(&zm).unwrap(),
            vec![(&b"f1"[..], &b"v1"[..]), (&b"foo"[..], &b"bar"[..])]
        );
        assert!(decode(&zm[..zm.len() - 1]).is_err());
        let mut bad = zm;
        bad[0] = 3;
        assert!(decode(&bad).is_err());
        assert!(decode(&[1, 254, 0xff, 0xff, 0xff, 0x7f, 0xff]).is_err());
    }
}
