//! Replies and their encoding in RESP2 and RESP3.
//!
//! Handlers build a [`Reply`] in RESP3 terms (maps, sets, doubles, booleans, null); [`Reply::encode`]
//! downgrades it for RESP2 clients the way Redis does: maps become flat arrays, sets arrays, doubles
//! bulk strings, booleans integers, and null a `$-1` (or `*-1` for [`Reply::NullArray`]).

use bytes::{BufMut, Bytes, BytesMut};

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+<text>`
    Simple(&'static str),
    /// `+<text>` with an owned text (status replies built at run time).
    Status(String),
    /// `-<text>`; the text starts with its error code (`ERR ...`, `WRONGTYPE ...`).
    Error(String),
    Int(i64),
    Bulk(Bytes),
    /// Null bulk in RESP2 (`$-1`), `_` in RESP3.
    Null,
    /// Null array in RESP2 (`*-1`), `_` in RESP3.
    NullArray,
    Array(Vec<Reply>),
    /// RESP3 map; a flat array of key, value, key, value … in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// RESP3 double; a bulk string in RESP2.
    Double(f64),
    /// RESP3 boolean; the integer 1 or 0 in RESP2.
    Bool(bool),
    /// RESP3 verbatim string (`=len\r\ntxt:...`); a bulk string in RESP2.
    Verbatim(String),
    /// RESP3 out-of-band push; an array in RESP2.
    Push(Vec<Reply>),
    /// Already encoded bytes, sent as they are (used for pre-encoded pub/sub messages).
    Raw(Bytes),
    /// Nothing is sent (e.g. under `CLIENT REPLY OFF`, or a command that answers later).
    None,
}

pub const OK: Reply = Reply::Simple("OK");

impl Reply {
    pub fn ok() -> Reply {
        OK
    }
    pub fn err(msg: impl Into<String>) -> Reply {
        Reply::Error(msg.into())
    }
    pub fn bulk(b: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(b.as_ref()))
    }
    pub fn bulk_str(s: impl Into<String>) -> Reply {
        Reply::Bulk(Bytes::from(s.into()))
    }
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Appends this reply to `out` in the given protocol version (2 or 3).
    pub fn encode(&self, out: &mut BytesMut, resp: u8) {
        match self {
            Reply::Simple(s) => line(out, b'+', s.as_bytes()),
            Reply::Status(s) => line(out, b'+', s.as_bytes()),
            Reply::Error(s) => {
                let safe: Vec<u8> = s
                    .bytes()
                    .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                    .collect();
                line(out, b'-', &safe)
            }
            Reply::Int(i) => {
                out.put_u8(b':');
                put_int(out, *i);
                out.put_slice(b"\r\n");
            }
            Reply::Bulk(b) => put_bulk(out, b),
            Reply::Null => out.put_slice(if resp >= 3 { b"_\r\n" } else { b"$-1\r\n" }),
            Reply::NullArray => out.put_slice(if resp >= 3 { b"_\r\n" } else { b"*-1\r\n" }),
            Reply::Array(items) => {
                header(out, b'*', items.len());
                for it in items {
                    it.encode(out, resp);
                }
            }
            Reply::Map(pairs) => {
                if resp >= 3 {
                    header(out, b'%', pairs.len());
                } else {
                    header(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.encode(out, resp);
                    v.encode(out, resp);
                }
            }
            Reply::Set(items) => {
                header(out, if resp >= 3 { b'~' } else { b'*' }, items.len());
                for it in items {
                    it.encode(out, resp);
                }
            }
            Reply::Push(items) => {
                header(out, if resp >= 3 { b'>' } else { b'*' }, items.len());
                for it in items {
                    it.encode(out, resp);
                }
            }
            Reply::Double(d) => {
                let text = format_double_reply(*d);
                if resp >= 3 {
                    line(out, b',', text.as_bytes());
                } else {
                    put_bulk(out, text.as_bytes());
                }
            }
            Reply::Bool(b) => {
                if resp >= 3 {
                    out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
                } else {
                    out.put_slice(if *b { b":1\r\n" } else { b":0\r\n" });
                }
            }
            Reply::Verbatim(s) => {
                if resp >= 3 {
                    header(out, b'=', s.len() + 4);
                    out.put_slice(b"txt:");
                    out.put_slice(s.as_bytes());
                    out.put_slice(b"\r\n");
                } else {
                    put_bulk(out, s.as_bytes());
                }
            }
            Reply::Raw(b) => out.put_slice(b),
            Reply::None => {}
        }
    }

    /// Encodes into a fresh buffer.
    pub fn to_bytes(&self, resp: u8) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out, resp);
        out.freeze()
    }
}

/// Redis's `addReplyDouble` text: `%.17g`, with `inf`/`-inf`.
pub fn format_double_reply(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d.is_nan() {
        return "nan".into();
    }
    format_g17(d)
}

/// C's `%.17g` for a finite double.
pub fn format_g17(d: f64) -> String {
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{:.16e}", d); // 17 significant digits
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..17).contains(&exp) {
        let m = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (16 - exp).max(0) as usize;
        trim_fraction(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

fn line(out: &mut BytesMut, prefix: u8, body: &[u8]) {
    out.reserve(body.len() + 3);
    out.put_u8(prefix);
    out.put_slice(body);
    out.put_slice(b"\r\n");
}

pub fn header(out: &mut BytesMut, prefix: u8, n: usize) {
    out.put_u8(prefix);
    put_int(out, n as i64);
    out.put_slice(b"\r\n");
}

pub fn put_bulk(out: &mut BytesMut, b: &[u8]) {
    out.reserve(b.len() + 16);
    header(out, b'$', b.len());
    out.put_slice(b);
    out.put_slice(b"\r\n");
}

fn put_int(out: &mut BytesMut, i: i64) {
    let mut buf = itoa_buf(i);
    out.put_slice(buf.as_bytes_mut());
}

struct IntText {
    buf: [u8; 20],
    start: usize,
}
impl IntText {
    fn as_bytes_mut(&mut self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(i: i64) -> IntText {
    let mut buf = [0u8; 20];
    let mut pos = 20;
    let neg = i < 0;
    let mut v = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if neg {
        pos -= 1;
        buf[pos] = b'-';
    }
    IntText { buf, start: pos }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_downgrades() {
        let m = Reply::Map(vec![(Reply::bulk("a"), Reply::Int(1))]);
        assert_eq!(&m.to_bytes(2)[..], b"*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(&m.to_bytes(3)[..], b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(&Reply::Null.to_bytes(2)[..], b"$-1\r\n");
        assert_eq!(&Reply::NullArray.to_bytes(2)[..], b"*-1\r\n");
        assert_eq!(&Reply::Double(1.5).to_bytes(2)[..], b"$3\r\n1.5\r\n");
        assert_eq!(&Reply::Double(f64::INFINITY).to_bytes(3)[..], b",inf\r\n");
        assert_eq!(
            &Reply::Int(i64::MIN).to_bytes(2)[..],
            b":-9223372036854775808\r\n"
        );
    }

    #[test]
    fn g17_matches_c() {
        assert_eq!(format_g17(0.1), "0.10000000000000001");
        assert_eq!(format_g17(1.0), "1");
        assert_eq!(format_g17(1.5), "1.5");
        assert_eq!(format_g17(1e17), "1e+17");
        assert_eq!(format_g17(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(format_g17(0.0001), "0.0001");
        assert_eq!(format_g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_g17(-2.5), "-2.5");
        assert_eq!(format_g17(3.0e16), "30000000000000000");
    }
}
