//! The command part of an AOF: RESP multibulk commands and `#` annotations, read incrementally.
//!
//! Redis appends every write as the multibulk it would receive from a client (`catAppendOnlyGenericCommand`):
//!
//! ```text
//! *<argc>\r\n  then argc times  $<len>\r\n<len bytes>\r\n
//! ```
//!
//! With `aof-timestamp-enabled yes` it writes `#TS:<unix seconds>\r\n` before a command whenever
//! the second changed; Redis skips every line starting with `#` when loading, so annotations are
//! extensible. [`CommandReader`] yields [`Item::Command`] and [`Item::Timestamp`] with the byte
//! offset where each starts; other annotation lines are skipped like Redis does.
//!
//! Errors carry the offset of the start of the item that could not be read, which is also how far
//! the file is good (`redis-check-aof`'s `ok_up_to`): [`AofErrorKind::Truncated`] when the input
//! ends inside an item (a torn write, what `--fix` and `aof-load-truncated` cut), and
//! [`AofErrorKind::Corrupt`] when the bytes are not what the format allows. We are stricter than
//! Redis's loader, which reads counts with `atoi` and skips the CRLF after a bulk without looking:
//! counts must be plain decimals and every line must end in `\r\n` (as `redis-check-aof` requires).
//!
//! Nothing is trusted: a declared count or length only bounds how much is read; memory grows with the
//! bytes actually present (preallocation is capped), so a corrupt `$999999999999` costs nothing.

use std::io::{self, BufRead};

/// Redis's `AOF_ANNOTATION_LINE_MAX_LEN`: the longest annotation line, newline included.
pub const ANNOTATION_LINE_MAX_LEN: usize = 1024;

/// The longest `*<argc>` / `$<len>` line we accept (sign-less 64-bit decimal plus CRLF, with room).
const HEADER_LINE_MAX_LEN: usize = 32;

/// Preallocation caps for untrusted counts and lengths.
const MAX_PREALLOC_ARGS: usize = 64;
const MAX_PREALLOC_BYTES: usize = 64 * 1024;

/// One item of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A command; `offset` is where its `*` is.
    Command { offset: u64, args: Vec<Vec<u8>> },
    /// A `#TS:<unix>` annotation; `offset` is where its `#` is.
    Timestamp { offset: u64, unix: i64 },
}

impl Item {
    /// Where the item starts.
    pub fn offset(&self) -> u64 {
        match self {
            Item::Command { offset, .. } | Item::Timestamp { offset, .. } => *offset,
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AofErrorKind {
    /// The input ended inside an item.
    Truncated,
    /// The bytes do not form a valid item; the text says what was expected.
    Corrupt(String),
    /// The underlying reader failed.
    Io(String),
}

/// An error of the command reader: `offset` is the start of the item that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} at byte {offset}", describe(.kind))]
pub struct AofError {
    pub offset: u64,
    pub kind: AofErrorKind,
}

fn describe(k: &AofErrorKind) -> String {
    match k {
        AofErrorKind::Truncated => "unexpected end of file inside a command".to_string(),
        AofErrorKind::Corrupt(s) => format!("bad format: {s}"),
        AofErrorKind::Io(s) => format!("read error: {s}"),
    }
}

impl AofError {
    pub fn is_truncated(&self) -> bool {
        self.kind == AofErrorKind::Truncated
    }
}

/// Internal failure while reading one item (its offset is added by the caller).
enum Fail {
    Eof,
    Corrupt(String),
    Io(io::Error),
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        Fail::Io(e)
    }
}

/// Result of reading one line.
enum Line {
    /// The line's bytes, without the final `\n`.
    Complete,
    /// No `\n` within the limit.
    TooLong,
}

/// An incremental reader of the command part of an AOF.
pub struct CommandReader<R: BufRead> {
    inner: R,
    /// Offset of the next unread byte.
    pos: u64,
    /// Once an error was returned, it is returned again.
    failed: Option<AofError>,
    line: Vec<u8>,
}

impl<R: BufRead> CommandReader<R> {
    /// A reader whose first byte is at offset 0.
    pub fn new(inner: R) -> Self {
        Self::with_offset(inner, 0)
    }

    /// A reader whose first byte is at `start` (e.g. after an RDB preamble).
    pub fn with_offset(inner: R, start: u64) -> Self {
        CommandReader {
            inner,
            pos: start,
            failed: None,
            line: Vec::with_capacity(64),
        }
    }

    /// Offset just after the last item returned: everything before it is well formed.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The next item; `Ok(None)` at a clean end of input. After an error, returns it again.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Item>, AofError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        // Bounded: each round consumes at least one whole annotation line or returns.
        loop {
            let start = self.pos;
            let first = match self.peek() {
                Ok(Some(b)) => b,
                Ok(None) => return Ok(None),
                Err(e) => return Err(self.fail(start, Fail::Io(e))),
            };
            let r = match first {
                b'*' => self.read_command(start).map(Some),
                b'#' => self.read_annotation(start),
                other => Err(Fail::Corrupt(format!(
                    "'*' or '#' at the start of an item, found {}",
                    show_byte(other)
                ))),
            };
            match r {
                Ok(Some(item)) => return Ok(Some(item)),
                Ok(None) => continue,
                Err(f) => return Err(self.fail(start, f)),
            }
        }
    }

    fn fail(&mut self, offset: u64, f: Fail) -> AofError {
        let kind = match f {
            Fail::Eof => AofErrorKind::Truncated,
            Fail::Corrupt(s) => AofErrorKind::Corrupt(s),
            Fail::Io(e) => AofErrorKind::Io(e.to_string()),
        };
        let e = AofError { offset, kind };
        self.failed = Some(e.clone());
        e
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.inner.fill_buf() {
                Ok(b) => return Ok(b.first().copied()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn fill(&mut self) -> io::Result<&[u8]> {
        fill_buf(&mut self.inner)
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.pos += n as u64;
    }

    /// Reads a line into `self.line` (without its `\n`), up to `max` bytes including the `\n`.
    fn read_line(&mut self, max: usize) -> Result<Line, Fail> {
        self.line.clear();
        loop {
            let buf = fill_buf(&mut self.inner)?;
            if buf.is_empty() {
                return Err(Fail::Eof);
            }
            let room = max - self.line.len();
            let window = &buf[..buf.len().min(room)];
            let (n, done) = match window.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.line.extend_from_slice(&window[..i]);
                    (i + 1, true)
                }
                None => {
                    self.line.extend_from_slice(window);
                    (window.len(), false)
                }
            };
            self.consume(n);
            if done {
                return Ok(Line::Complete);
            }
            if self.line.len() >= max {
                return Ok(Line::TooLong);
            }
        }
    }

    /// Reads `*<n>\r\n` or `$<n>\r\n`.
    fn read_count(&mut self, prefix: u8, what: &str) -> Result<u64, Fail> {
        // Fast path: the whole line is in the buffer.
        let buf = self.fill()?;
        if let Some(i) = buf
            .iter()
            .take(HEADER_LINE_MAX_LEN)
            .position(|&b| b == b'\n')
        {
            let r = parse_count(&buf[..i], prefix, what);
            if r.is_ok() {
                self.consume(i + 1);
            }
            return r;
        }
        match self.read_line(HEADER_LINE_MAX_LEN)? {
            Line::TooLong => Err(Fail::Corrupt(format!("{what}: line too long"))),
            Line::Complete => parse_count(&self.line, prefix, what),
        }
    }

    fn read_command(&mut self, _start: u64) -> Result<Item, Fail> {
        let offset = self.pos;
        let argc = self.read_count(b'*', "a multibulk count")?;
        if argc == 0 || argc > i32::MAX as u64 {
            return Err(Fail::Corrupt(format!(
                "a multibulk count between 1 and {}, found {argc}",
                i32::MAX
            )));
        }
        let mut args = Vec::with_capacity((argc as usize).min(MAX_PREALLOC_ARGS));
        for _ in 0..argc {
            let len = self.read_count(b'$', "a bulk length")?;
            if len > i64::MAX as u64 - 2 {
                return Err(Fail::Corrupt(format!(
                    "a bulk length in range, found {len}"
                )));
            }
            let mut arg = Vec::with_capacity((len as usize).min(MAX_PREALLOC_BYTES));
            let mut left = len;
            while left > 0 {
                let buf = self.fill()?;
                if buf.is_empty() {
                    return Err(Fail::Eof);
                }
                let n = buf.len().min(left.min(usize::MAX as u64) as usize);
                arg.extend_from_slice(&buf[..n]);
                self.consume(n);
                left -= n as u64;
            }
            let mut crlf = [0u8; 2];
            for slot in crlf.iter_mut() {
                let buf = self.fill()?;
                let Some(&b) = buf.first() else {
                    return Err(Fail::Eof);
                };
                *slot = b;
                self.consume(1);
            }
            if &crlf != b"\r\n" {
                return Err(Fail::Corrupt(format!(
                    "\\r\\n after a bulk of {len} bytes, found {}{}",
                    show_byte(crlf[0]),
                    show_byte(crlf[1])
                )));
            }
            args.push(arg);
        }
        Ok(Item::Command { offset, args })
    }

    fn read_annotation(&mut self, offset: u64) -> Result<Option<Item>, Fail> {
        match self.read_line(ANNOTATION_LINE_MAX_LEN)? {
            Line::TooLong => Err(Fail::Corrupt(format!(
                "an annotation line of at most {ANNOTATION_LINE_MAX_LEN} bytes"
            ))),
            Line::Complete => {
                let line = &self.line;
                let Some(rest) = line.strip_prefix(b"#TS:") else {
                    return Ok(None); // another annotation: skipped, like Redis does
                };
                let digits = rest.strip_suffix(b"\r").ok_or_else(|| {
                    Fail::Corrupt("\\r\\n at the end of a #TS: annotation".into())
                })?;
                let unix = std::str::from_utf8(digits)
                    .ok()
                    .filter(|s| !s.is_empty() && !s.starts_with('+'))
                    .and_then(|s| s.parse::<i64>().ok())
                    .ok_or_else(|| {
                        Fail::Corrupt(format!(
                            "a unix time after #TS:, found {:?}",
                            String::from_utf8_lossy(digits)
                        ))
                    })?;
                Ok(Some(Item::Timestamp { offset, unix }))
            }
        }
    }
}

/// `fill_buf`, retried on `Interrupted`.
fn fill_buf<R: BufRead>(r: &mut R) -> io::Result<&[u8]> {
    // Bounded in practice: a reader only reports Interrupted a finite number of times.
    loop {
        match r.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    r.fill_buf()
}

fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("0x{b:02x}")
    }
}

/// Parses `<prefix><decimal>\r` (the `\n` already stripped).
fn parse_count(line: &[u8], prefix: u8, what: &str) -> Result<u64, Fail> {
    let Some((&p, rest)) = line.split_first() else {
        return Err(Fail::Corrupt(format!("{what}: empty line")));
    };
    if p != prefix {
        return Err(Fail::Corrupt(format!(
            "{what} starting with '{}', found {}",
            prefix as char,
            show_byte(p)
        )));
    }
    let Some(digits) = rest.strip_suffix(b"\r") else {
        return Err(Fail::Corrupt(format!("{what} ending in \\r\\n")));
    };
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Fail::Corrupt(format!(
            "{what} as a decimal, found {:?}",
            String::from_utf8_lossy(digits)
        )));
    }
    let mut n = 0u64;
    for &d in digits {
        n = n * 10 + u64::from(d - b'0');
    }
    Ok(n)
}

/// Appends `args` as a RESP multibulk, exactly as Redis writes it to the AOF.
pub fn encode_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.reserve(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.push(b'*');
    push_decimal(out, args.len() as u64);
    out.extend_from_slice(b"\r\n");
    for a in args {
        out.push(b'$');
        push_decimal(out, a.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends a `#TS:<unix>\r\n` annotation as Redis writes it.
pub fn encode_timestamp(out: &mut Vec<u8>, unix: i64) {
    out.extend_from_slice(format!("#TS:{unix}\r\n").as_bytes());
}

/// The length of `args` once encoded by [`encode_command`].
pub fn encoded_len<A: AsRef<[u8]>>(args: &[A]) -> u64 {
    let digits = |n: u64| n.checked_ilog10().map_or(1, |d| d as u64 + 1);
    let mut n = 3 + digits(args.len() as u64);
    for a in args {
        let l = a.as_ref().len() as u64;
        n += 1 + digits(l) + 2 + l + 2;
    }
    n
}

fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// MULTI/EXEC bookkeeping as Redis does while loading: a nested MULTI or an EXEC without MULTI is an
/// error; a MULTI still open at the end of the file means the file is good only up to that MULTI.
#[derive(Debug, Default, Clone)]
pub struct MultiTracker {
    open_at: Option<u64>,
}

impl MultiTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Observes a command at `offset`; `Err` with a message on unbalanced MULTI/EXEC.
    pub fn observe(&mut self, offset: u64, args: &[Vec<u8>]) -> Result<(), String> {
        let Some(name) = args.first() else {
            return Ok(());
        };
        if name.eq_ignore_ascii_case(b"multi") {
            if let Some(at) = self.open_at {
                return Err(format!(
                    "unexpected MULTI (a MULTI at byte {at} is still open)"
                ));
            }
            self.open_at = Some(offset);
        } else if name.eq_ignore_ascii_case(b"exec") && self.open_at.take().is_none() {
            return Err("unexpected EXEC without MULTI".into());
        }
        Ok(())
    }

    /// The offset of the MULTI still waiting for its EXEC, if any.
    pub fn open_multi(&self) -> Option<u64> {
        self.open_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (Vec<Item>, Option<AofError>) {
        let mut r = CommandReader::new(bytes);
        let mut items = Vec::new();
        for _ in 0..10_000 {
            match r.next() {
                Ok(Some(i)) => items.push(i),
                Ok(None) => return (items, None),
                Err(e) => return (items, Some(e)),
            }
        }
        panic!("reader did not end");
    }

    #[test]
    fn reads_commands_and_timestamps_with_offsets() {
        // The shape redis-server 7.0.15 writes with aof-timestamp-enabled (tests/redis_reference.rs
        // checks the reader against files a live server wrote).
        let data = b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n";
        let (items, err) = read_all(data);
        assert!(err.is_none());
        assert_eq!(
            items,
            vec![
                Item::Timestamp {
                    offset: 0,
                    unix: 1_700_000_000
                },
                Item::Command {
                    offset: 16,
                    args: vec![b"SELECT".to_vec(), b"0".to_vec()]
                },
                Item::Command {
                    offset: 39,
                    args: vec![b"set".to_vec(), b"k".to_vec(), b"v".to_vec()]
                },
            ]
        );
    }

    #[test]
    fn other_annotations_are_skipped() {
        let (items, err) = read_all(b"#something else\r\n*1\r\n$4\r\nPING\r\n");
        assert!(err.is_none());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].offset(), 17);
    }

    #[test]
    fn truncation_vs_corruption() {
        let full = b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        for cut in 0..=full.len() {
            let (items, err) = read_all(&full[..cut]);
            match cut {
                0 => assert!(err.is_none() && items.is_empty()),
                14 => assert!(err.is_none() && items.len() == 1),
                n if n == full.len() => assert!(err.is_none() && items.len() == 2),
                n => {
                    let e = err.unwrap();
                    assert!(e.is_truncated(), "cut {n}: {e}");
                    assert_eq!(e.offset, if n < 14 { 0 } else { 14 });
                }
            }
        }
        let (_, err) = read_all(b"*1\r\n$4\r\nPINGxx");
        assert!(matches!(err.unwrap().kind, AofErrorKind::Corrupt(_)));
        let (_, err) = read_all(b"+OK\r\n");
        assert!(matches!(err.unwrap().kind, AofErrorKind::Corrupt(_)));
        let (_, err) = read_all(b"*0\r\n");
        assert!(matches!(err.unwrap().kind, AofErrorKind::Corrupt(_)));
    }

    #[test]
    fn huge_declared_lengths_do_not_allocate() {
        let (_, err) = read_all(b"*2147483647\r\n$9223372036854775805\r\nabc");
        assert!(err.unwrap().is_truncated());
    }

    #[test]
    fn encode_matches_redis_bytes() {
        let mut out = Vec::new();
        encode_command(&mut out, &[b"set", b"k", b""]);
        assert_eq!(out, b"*3\r\n$3\r\nset\r\n$1\r\nk\r\n$0\r\n\r\n");
        assert_eq!(
            encoded_len(&[b"set".as_slice(), b"k", b""]),
            out.len() as u64
        );
    }

    #[test]
    fn multi_tracker() {
        let mut t = MultiTracker::new();
        assert!(t.observe(0, &[b"MULTI".to_vec()]).is_ok());
        assert!(t.observe(5, &[b"multi".to_vec()]).is_err());
        assert_eq!(t.open_multi(), Some(0));
        assert!(t.observe(9, &[b"exec".to_vec()]).is_ok());
        assert!(t.observe(9, &[b"exec".to_vec()]).is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
                let mut r = CommandReader::new(&data[..]);
                let mut last = 0u64;
                for _ in 0..1024 {
                    match r.next() {
                        Ok(Some(i)) => { prop_assert!(i.offset() >= last); last = i.offset(); }
                        Ok(None) => break,
                        Err(e) => { prop_assert!(e.offset <= data.len() as u64); break; }
                    }
                }
            }

            #[test]
            fn encode_read_roundtrip(
                cmds in proptest::collection::vec(
                    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..6),
                    0..20),
                ts in proptest::collection::vec(proptest::option::of(0i64..4_000_000_000), 20),
            ) {
                let mut bytes = Vec::new();
                let mut expected = Vec::new();
                for (i, c) in cmds.iter().enumerate() {
                    if let Some(t) = ts[i] {
                        expected.push(Item::Timestamp { offset: bytes.len() as u64, unix: t });
                        encode_timestamp(&mut bytes, t);
                    }
                    let refs: Vec<&[u8]> = c.iter().map(|a| a.as_slice()).collect();
                    expected.push(Item::Command { offset: bytes.len() as u64, args: c.clone() });
                    prop_assert_eq!(encoded_len(&refs), {
                        let mut tmp = Vec::new(); encode_command(&mut tmp, &refs); tmp.len() as u64
                    });
                    encode_command(&mut bytes, &refs);
                }
                // A tiny buffer exercises the slow paths across buffer boundaries.
                let mut r = CommandReader::new(std::io::BufReader::with_capacity(3, &bytes[..]));
                let mut got = Vec::new();
                while let Some(i) = r.next().unwrap() { got.push(i); }
                prop_assert_eq!(got, expected);
                prop_assert_eq!(r.offset(), bytes.len() as u64);
            }
        }
    }
}
