//! Incremental request parser for RESP multibulk and inline commands.
//!
//! The parser keeps its position between calls, so a large command arriving in many reads is parsed in
//! linear time. It never allocates from a length a client merely claims: arguments are split off the
//! receive buffer only when all their bytes have arrived, and the argument vector grows with what was
//! actually received (capped pre-allocation).
//!
//! Limits and error texts follow Redis (`networking.c`): a line without CRLF longer than 64 KiB, a
//! multibulk count above `i32::MAX` (or above 10 before authentication), a bulk length above
//! `proto-max-bulk-len`, a non-`$` where a bulk header is expected, or unbalanced quotes in an inline
//! command are protocol errors, after which the connection is closed.

use bytes::{Buf, Bytes, BytesMut};

/// Longest header or inline line accepted without a terminating newline (Redis's PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// A malformed request; the text is sent to the client as `-ERR <text>` and the connection closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(msg: impl Into<String>) -> Self {
        ProtocolError(msg.into())
    }
}

/// Parser state carried across reads of one connection.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments still expected in the current multibulk, 0 when between requests.
    pending: usize,
    /// Length of the bulk whose header was read, waiting for its payload.
    bulk_len: Option<usize>,
    args: Vec<Bytes>,
    /// Largest accepted bulk (`proto-max-bulk-len`).
    pub max_bulk_len: usize,
    /// Before authentication Redis accepts only small multibulks.
    pub unauthenticated: bool,
}

/// What one call to [`RequestParser::parse`] produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A complete command (possibly empty, which callers skip).
    Command(Vec<Bytes>),
    /// More bytes are needed.
    Incomplete,
}

impl RequestParser {
    pub fn new(max_bulk_len: usize) -> Self {
        RequestParser {
            max_bulk_len,
            ..Default::default()
        }
    }

    /// Whether the parser is in the middle of a request.
    pub fn is_mid_request(&self) -> bool {
        self.pending > 0 || self.bulk_len.is_some()
    }

    /// Parses the next request from `buf`, consuming the bytes it used.
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Parsed, ProtocolError> {
        if self.pending == 0 {
            if buf.is_empty() {
                return Ok(Parsed::Incomplete);
            }
            if buf[0] != b'*' {
                return self.parse_inline(buf);
            }
            if let Some(args) = self.parse_whole(buf) {
                return Ok(Parsed::Command(args));
            }
            let Some(line_end) = find_crlf(buf) else {
                if buf.len() > INLINE_MAX_SIZE {
                    return Err(ProtocolError::new(
                        "Protocol error: too big mbulk count string",
                    ));
                }
                return Ok(Parsed::Incomplete);
            };
            if line_end > INLINE_MAX_SIZE {
                return Err(ProtocolError::new(
                    "Protocol error: too big mbulk count string",
                ));
            }
            let count = parse_int(&buf[1..line_end]);
            buf.advance(line_end + 2);
            let count = match count {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => {
                    return Err(ProtocolError::new(
                        "Protocol error: invalid multibulk length",
                    ))
                }
            };
            if self.unauthenticated && count > 10 {
                return Err(ProtocolError::new(
                    "Protocol error: unauthenticated multibulk length",
                ));
            }
            if count <= 0 {
                return Ok(Parsed::Command(Vec::new()));
            }
            self.pending = count as usize;
            self.args = Vec::with_capacity(self.pending.min(1024));
        }
        while self.pending > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(line_end) = find_crlf(buf) else {
                        if buf.len() > INLINE_MAX_SIZE {
                            return Err(ProtocolError::new(
                                "Protocol error: too big bulk count string",
                            ));
                        }
                        return Ok(Parsed::Incomplete);
                    };
                    if line_end > INLINE_MAX_SIZE {
                        return Err(ProtocolError::new(
                            "Protocol error: too big bulk count string",
                        ));
                    }
                    if buf[0] != b'$' {
                        let got = buf[0] as char;
                        return Err(ProtocolError(format!(
                            "Protocol error: expected '$', got '{got}'"
                        )));
                    }
                    let len = match parse_int(&buf[1..line_end]) {
                        Some(n) if n >= 0 && (n as u64) <= self.max_bulk_len as u64 => n as usize,
                        _ => return Err(ProtocolError::new("Protocol error: invalid bulk length")),
                    };
                    if self.unauthenticated && len > 16384 {
                        return Err(ProtocolError::new(
                            "Protocol error: unauthenticated bulk length",
                        ));
                    }
                    buf.advance(line_end + 2);
                    self.bulk_len = Some(len);
                    len
                }
            };
            if buf.len() < len + 2 {
                // Grow towards the payload only as far as a modest chunk; the socket reads fill the rest.
                let want = (len + 2 - buf.len()).min(1 << 20);
                buf.reserve(want);
                return Ok(Parsed::Incomplete);
            }
            let arg = buf.split_to(len).freeze();
            buf.advance(2);
            self.args.push(arg);
            self.bulk_len = None;
            self.pending -= 1;
        }
        Ok(Parsed::Command(std::mem::take(&mut self.args)))
    }

    /// Fast path: when a whole well-formed multibulk is in `buf`, take it with one split and hand
    /// out its arguments as slices of that one buffer. Anything unusual (incomplete, malformed, an
    /// unauthenticated client) returns `None` and goes through the incremental path, which also
    /// produces the error texts.
    fn parse_whole(&self, buf: &mut BytesMut) -> Option<Vec<Bytes>> {
        if self.unauthenticated {
            return None;
        }
        let line_end = find_crlf(&buf[..buf.len().min(32)])?;
        let count = parse_int(&buf[1..line_end])?;
        if count <= 0 || count > 1024 {
            return None;
        }
        let mut spans = Vec::with_capacity(count as usize);
        let mut pos = line_end + 2;
        for _ in 0..count {
            if buf.get(pos) != Some(&b'$') {
                return None;
            }
            let header_end = pos + find_crlf(&buf[pos..buf.len().min(pos + 32)])?;
            let len = parse_int(&buf[pos + 1..header_end])?;
            if len < 0 || len as u64 > self.max_bulk_len as u64 {
                return None;
            }
            let start = header_end + 2;
            let end = start.checked_add(len as usize)?;
            if buf.len() < end + 2 || &buf[end..end + 2] != b"\r\n" {
                return None;
            }
            spans.push((start, end));
            pos = end + 2;
        }
        let frame = buf.split_to(pos).freeze();
        Some(spans.into_iter().map(|(s, e)| frame.slice(s..e)).collect())
    }

    fn parse_inline(&mut self, buf: &mut BytesMut) -> Result<Parsed, ProtocolError> {
        let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
            if buf.len() > INLINE_MAX_SIZE {
                return Err(ProtocolError::new("Protocol error: too big inline request"));
            }
            return Ok(Parsed::Incomplete);
        };
        if nl > INLINE_MAX_SIZE {
            return Err(ProtocolError::new("Protocol error: too big inline request"));
        }
        let line = buf.split_to(nl + 1);
        let mut line = &line[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        match split_args(line) {
            Some(args) => Ok(Parsed::Command(args.into_iter().map(Bytes::from).collect())),
            None => Err(ProtocolError::new(
                "Protocol error: unbalanced quotes in request",
            )),
        }
    }
}

/// Position of the `\r` of the first `\r\n` in `buf`.
fn find_crlf(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = buf[from..].iter().position(|&b| b == b'\r') {
        let at = from + i;
        if at + 1 >= buf.len() {
            return None;
        }
        if buf[at + 1] == b'\n' {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Parses a decimal integer the way Redis's `string2ll` does (no spaces, no `+`, no leading zeros).
pub fn parse_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Splits an inline command line like Redis's `sdssplitargs`: spaces separate words, double quotes
/// allow `\n`, `\xHH` and other escapes, single quotes allow `\'`. A closing quote must be followed by a
/// space or the end. Returns `None` for unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(args);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                    cur.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if in_sq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        args.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut p = RequestParser::new(512 * 1024 * 1024);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match p.parse(&mut buf)? {
                Parsed::Command(c) => out.push(c),
                Parsed::Incomplete => return Ok(out),
            }
        }
    }

    #[test]
    fn multibulk_and_inline() {
        let cmds = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nset a \"b c\"\r\n").unwrap();
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[0], vec![Bytes::from("GET"), Bytes::from("k")]);
        assert_eq!(cmds[1], vec![Bytes::from("PING")]);
        assert_eq!(
            cmds[2],
            vec![Bytes::from("set"), Bytes::from("a"), Bytes::from("b c")]
        );
    }

    #[test]
    fn byte_by_byte_feed_gives_same_result() {
        let input = b"*3\r\n$3\r\nSET\r\n$5\r\nhe\r\no\r\n$0\r\n\r\n";
        let mut p = RequestParser::new(1024);
        let mut buf = BytesMut::new();
        let mut got = None;
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            if let Parsed::Command(c) = p.parse(&mut buf).unwrap() {
                got = Some(c);
            }
        }
        assert_eq!(
            got.unwrap(),
            vec![Bytes::from("SET"), Bytes::from("he\r\no"), Bytes::from("")]
        );
    }

    #[test]
    fn protocol_errors_match_redis() {
        assert_eq!(
            parse_all(b"*x\r\n").unwrap_err().0,
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n+a\r\n").unwrap_err().0,
            "Protocol error: expected '$', got '+'"
        );
        assert_eq!(
            parse_all(b"*1\r\n$-3\r\n").unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            parse_all(b"set \"a\r\n").unwrap_err().0,
            "Protocol error: unbalanced quotes in request"
        );
        let huge = vec![b'a'; INLINE_MAX_SIZE + 10];
        assert_eq!(
            parse_all(&huge).unwrap_err().0,
            "Protocol error: too big inline request"
        );
        let mut p = RequestParser::new(100);
        let mut buf = BytesMut::from(&b"*1\r\n$101\r\n"[..]);
        assert_eq!(
            p.parse(&mut buf).unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
    }

    #[test]
    fn inline_quoting() {
        assert_eq!(
            split_args(b"a \"\\x41\\n\" 'it\\'s'").unwrap(),
            vec![b"a".to_vec(), b"A\n".to_vec(), b"it's".to_vec()]
        );
        assert!(split_args(b"\"a\"b").is_none());
        assert_eq!(split_args(b"   ").unwrap(), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn int_parsing_is_strict() {
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"01"), None);
        assert_eq!(parse_int(b"+1"), None);
        assert_eq!(parse_int(b"-0"), None);
        assert_eq!(parse_int(b""), None);
    }

    proptest! {
        #[test]
        fn never_panics_and_never_overallocates(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut p = RequestParser::new(512 * 1024 * 1024);
            let mut buf = BytesMut::from(&data[..]);
            for _ in 0..600 {
                match p.parse(&mut buf) {
                    Ok(Parsed::Command(_)) => continue,
                    _ => break,
                }
            }
            // Reservation is capped at 1 MiB past what arrived.
            prop_assert!(buf.capacity() <= data.len() + (1 << 20) + 64);
        }

        #[test]
        fn split_in_two_reads_parses_the_same(args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 1..6), cut in 0usize..200) {
            let mut wire = format!("*{}\r\n", args.len()).into_bytes();
            for a in &args {
                wire.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                wire.extend_from_slice(a);
                wire.extend_from_slice(b"\r\n");
            }
            let cut = cut.min(wire.len());
            let mut p = RequestParser::new(1024);
            let mut buf = BytesMut::from(&wire[..cut]);
            let first = p.parse(&mut buf).unwrap();
            let cmd = match first {
                Parsed::Command(c) => c,
                Parsed::Incomplete => {
                    buf.extend_from_slice(&wire[cut..]);
                    match p.parse(&mut buf).unwrap() { Parsed::Command(c) => c, Parsed::Incomplete => panic!("incomplete") }
                }
            };
            let expect: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.clone())).collect();
            prop_assert_eq!(cmd, expect);
        }
    }
}
