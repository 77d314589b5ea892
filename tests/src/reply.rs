//! RESP2/RESP3 reply frames as a test client sees them, the parser that reads them from a byte
//! buffer, and the encoder for commands (arrays of bulk strings).
//!
//! Every frame type keeps enough of its wire form that two servers' replies compare exactly:
//! RESP2's two nils (`$-1`, `*-1`) and RESP3's `_` are distinct variants, and doubles and big
//! numbers keep the server's own text, so `1.5` and `1.50` are different replies.

use std::fmt;

/// One reply frame. `Debug` prints the same compact form as `Display`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reply {
    /// `+OK`
    Simple(String),
    /// `-ERR ...` (the whole line, error code included).
    Error(String),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Vec<u8>),
    /// RESP2 null bulk string, `$-1`.
    NilBulk,
    /// RESP2 null array, `*-1`.
    NilArray,
    /// RESP3 null, `_`.
    Null,
    /// `*N`
    Array(Vec<Reply>),
    /// RESP3 `%N`, entries in wire order.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 `~N`, elements in wire order.
    Set(Vec<Reply>),
    /// RESP3 `,` double, kept as the server's text.
    Double(String),
    /// RESP3 `#t` / `#f`.
    Boolean(bool),
    /// RESP3 `(` big number, kept as text.
    BigNumber(String),
    /// RESP3 `=N\r\nfmt:text`.
    Verbatim { format: String, text: Vec<u8> },
    /// RESP3 `>N` out-of-band push.
    Push(Vec<Reply>),
    /// RESP3 `|N` attributes followed by the reply they annotate.
    Attribute {
        attributes: Vec<(Reply, Reply)>,
        reply: Box<Reply>,
    },
}

impl Reply {
    /// `+OK`.
    pub fn ok() -> Reply {
        Reply::Simple("OK".to_string())
    }

    /// A bulk string from text or bytes.
    pub fn bulk(value: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(value.as_ref().to_vec())
    }

    /// True for `-...` replies.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// True for any of the three null forms.
    pub fn is_null(&self) -> bool {
        matches!(self, Reply::NilBulk | Reply::NilArray | Reply::Null)
    }

    /// The error line, if this is an error.
    pub fn error_text(&self) -> Option<&str> {
        match self {
            Reply::Error(text) => Some(text),
            _ => None,
        }
    }

    /// The integer value of `:N` replies.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The bytes of a bulk, simple, verbatim, double or big-number reply.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(b) => Some(b),
            Reply::Verbatim { text, .. } => Some(text),
            Reply::Simple(s) | Reply::Double(s) | Reply::BigNumber(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// Like [`Reply::as_bytes`], as (lossy) text.
    pub fn as_text(&self) -> Option<String> {
        self.as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// The elements of an array, set or push reply.
    pub fn as_array(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => Some(items),
            _ => None,
        }
    }

    /// Elements of an aggregate reply as text (maps are flattened to key, value, ...).
    pub fn to_strings(&self) -> Vec<String> {
        match self {
            Reply::Map(entries) => entries
                .iter()
                .flat_map(|(k, v)| {
                    [
                        k.as_text().unwrap_or_default(),
                        v.as_text().unwrap_or_default(),
                    ]
                })
                .collect(),
            other => other
                .as_array()
                .unwrap_or(&[])
                .iter()
                .map(|r| r.as_text().unwrap_or_else(|| r.to_string()))
                .collect(),
        }
    }

    /// Entries of a map reply, or of a flat RESP2 `key, value, ...` array.
    pub fn as_pairs(&self) -> Option<Vec<(Reply, Reply)>> {
        match self {
            Reply::Map(entries) => Some(entries.clone()),
            Reply::Array(items) if items.len() % 2 == 0 => Some(
                items
                    .chunks(2)
                    .map(|c| (c[0].clone(), c[1].clone()))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Looks up `field` in a map reply or a flat field/value array.
    pub fn field(&self, name: &str) -> Option<Reply> {
        self.as_pairs()?
            .into_iter()
            .find(|(k, _)| k.as_bytes() == Some(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Short human-readable name of the frame type.
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::Simple(_) => "simple",
            Reply::Error(_) => "error",
            Reply::Integer(_) => "integer",
            Reply::Bulk(_) => "bulk",
            Reply::NilBulk => "nil-bulk",
            Reply::NilArray => "nil-array",
            Reply::Null => "null",
            Reply::Array(_) => "array",
            Reply::Map(_) => "map",
            Reply::Set(_) => "set",
            Reply::Double(_) => "double",
            Reply::Boolean(_) => "boolean",
            Reply::BigNumber(_) => "big-number",
            Reply::Verbatim { .. } => "verbatim",
            Reply::Push(_) => "push",
            Reply::Attribute { .. } => "attribute",
        }
    }
}

/// Writes bytes as a quoted string with C-style escapes for anything non-printable.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

fn fmt_list(f: &mut fmt::Formatter<'_>, open: &str, items: &[Reply], close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str(close)
}

fn fmt_map(f: &mut fmt::Formatter<'_>, open: &str, entries: &[(Reply, Reply)]) -> fmt::Result {
    f.write_str(open)?;
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{k}: {v}")?;
    }
    f.write_str("}")
}

/// Compact, redis-cli-like rendering: `+OK`, `-ERR x`, `:1`, `"bulk"`, `$-1`, `*-1`, `_`,
/// `[a, b]`, `%{k: v}`, `~{a}`, `,1.5`, `#t`, `(123`, `=txt:"..."`, `>[...]`.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Simple(s) => write!(f, "+{s}"),
            Reply::Error(s) => write!(f, "-{s}"),
            Reply::Integer(n) => write!(f, ":{n}"),
            Reply::Bulk(b) => f.write_str(&escape_bytes(b)),
            Reply::NilBulk => f.write_str("$-1"),
            Reply::NilArray => f.write_str("*-1"),
            Reply::Null => f.write_str("_"),
            Reply::Array(items) => fmt_list(f, "[", items, "]"),
            Reply::Map(entries) => fmt_map(f, "%{", entries),
            Reply::Set(items) => fmt_list(f, "~{", items, "}"),
            Reply::Double(s) => write!(f, ",{s}"),
            Reply::Boolean(b) => f.write_str(if *b { "#t" } else { "#f" }),
            Reply::BigNumber(s) => write!(f, "({s}"),
            Reply::Verbatim { format, text } => write!(f, "={format}:{}", escape_bytes(text)),
            Reply::Push(items) => fmt_list(f, ">[", items, "]"),
            Reply::Attribute { attributes, reply } => {
                fmt_map(f, "|{", attributes)?;
                write!(f, " {reply}")
            }
        }
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Encodes one command as a RESP array of bulk strings.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(16 + args.iter().map(|a| a.as_ref().len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Renders a command for failure messages: words as-is when printable, quoted otherwise.
pub fn format_command<A: AsRef<[u8]>>(args: &[A]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let arg = arg.as_ref();
        let plain = !arg.is_empty()
            && arg.len() <= 80
            && arg
                .iter()
                .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if plain {
            out.push_str(&String::from_utf8_lossy(arg));
        } else if arg.len() > 80 {
            out.push_str(&escape_bytes(&arg[..60]));
            out.push_str(&format!("...({} bytes)", arg.len()));
        } else {
            out.push_str(&escape_bytes(arg));
        }
    }
    out
}

/// A reply that cannot be parsed; the server broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed reply from server: {}", self.0)
    }
}

/// Deepest nesting the parser accepts before calling the reply malformed.
const MAX_DEPTH: usize = 128;

/// Parses one frame from the start of `buf`. `Ok(None)` means more bytes are needed; on success
/// returns the frame and how many bytes it took.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, ParseError> {
    let mut pos = 0;
    match parse_at(buf, &mut pos, 0)? {
        Some(reply) => Ok(Some((reply, pos))),
        None => Ok(None),
    }
}

/// Reads a `\r\n`-terminated line starting at `*pos`, advancing past it.
fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let rest = buf.get(*pos..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    *pos += end + 2;
    Some(&rest[..end])
}

fn parse_int(text: &[u8]) -> Result<i64, ParseError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| ParseError(format!("bad integer {}", escape_bytes(text))))
}

/// Reads `len` payload bytes plus the trailing CRLF.
fn payload<'a>(buf: &'a [u8], pos: &mut usize, len: i64) -> Result<Option<&'a [u8]>, ParseError> {
    let len = usize::try_from(len).map_err(|_| ParseError(format!("bad length {len}")))?;
    let end = pos
        .checked_add(len)
        .and_then(|e| e.checked_add(2))
        .ok_or_else(|| ParseError("length overflow".into()))?;
    if buf.len() < end {
        return Ok(None);
    }
    if &buf[end - 2..end] != b"\r\n" {
        return Err(ParseError("payload not followed by CRLF".into()));
    }
    let data = &buf[*pos..end - 2];
    *pos = end;
    Ok(Some(data))
}

fn parse_items(
    buf: &[u8],
    pos: &mut usize,
    count: i64,
    depth: usize,
) -> Result<Option<Vec<Reply>>, ParseError> {
    let count =
        usize::try_from(count).map_err(|_| ParseError(format!("bad aggregate length {count}")))?;
    // Never trust the count for allocation: each element takes at least 3 bytes.
    let mut items = Vec::with_capacity(count.min(buf.len().saturating_sub(*pos) / 3 + 1));
    for _ in 0..count {
        match parse_at(buf, pos, depth + 1)? {
            Some(item) => items.push(item),
            None => return Ok(None),
        }
    }
    Ok(Some(items))
}

fn pairs(items: Vec<Reply>) -> Vec<(Reply, Reply)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut iter = items.into_iter();
    while let (Some(k), Some(v)) = (iter.next(), iter.next()) {
        out.push((k, v));
    }
    out
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Reply>, ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError("nesting too deep".into()));
    }
    let Some(&kind) = buf.get(*pos) else {
        return Ok(None);
    };
    let mut p = *pos + 1;
    let Some(head) = line(buf, &mut p) else {
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(head).into_owned();
    let reply = match kind {
        b'+' => Reply::Simple(text()),
        b'-' => Reply::Error(text()),
        b':' => Reply::Integer(parse_int(head)?),
        b',' => Reply::Double(text()),
        b'(' => Reply::BigNumber(text()),
        b'#' => match head {
            b"t" => Reply::Boolean(true),
            b"f" => Reply::Boolean(false),
            _ => return Err(ParseError(format!("bad boolean {}", escape_bytes(head)))),
        },
        b'_' => {
            if !head.is_empty() {
                return Err(ParseError("null with payload".into()));
            }
            Reply::Null
        }
        b'$' | b'=' | b'!' => {
            let len = parse_int(head)?;
            if len == -1 && kind == b'$' {
                Reply::NilBulk
            } else {
                let Some(data) = payload(buf, &mut p, len)? else {
                    return Ok(None);
                };
                match kind {
                    b'$' => Reply::Bulk(data.to_vec()),
                    b'!' => Reply::Error(String::from_utf8_lossy(data).into_owned()),
                    _ => {
                        if data.len() < 4 || data[3] != b':' {
                            return Err(ParseError("verbatim string without format".into()));
                        }
                        Reply::Verbatim {
                            format: String::from_utf8_lossy(&data[..3]).into_owned(),
                            text: data[4..].to_vec(),
                        }
                    }
                }
            }
        }
        b'*' | b'~' | b'>' => {
            let count = parse_int(head)?;
            if count == -1 && kind == b'*' {
                Reply::NilArray
            } else {
                let Some(items) = parse_items(buf, &mut p, count, depth)? else {
                    return Ok(None);
                };
                match kind {
                    b'*' => Reply::Array(items),
                    b'~' => Reply::Set(items),
                    _ => Reply::Push(items),
                }
            }
        }
        b'%' | b'|' => {
            let count = parse_int(head)?;
            let doubled = count
                .checked_mul(2)
                .ok_or_else(|| ParseError("map length overflow".into()))?;
            let Some(items) = parse_items(buf, &mut p, doubled, depth)? else {
                return Ok(None);
            };
            if kind == b'%' {
                Reply::Map(pairs(items))
            } else {
                let Some(inner) = parse_at(buf, &mut p, depth + 1)? else {
                    return Ok(None);
                };
                Reply::Attribute {
                    attributes: pairs(items),
                    reply: Box::new(inner),
                }
            }
        }
        other => {
            return Err(ParseError(format!(
                "unknown frame type byte {} in {}",
                escape_bytes(&[other]),
                escape_bytes(&buf[*pos..buf.len().min(*pos + 40)])
            )))
        }
    };
    *pos = p;
    Ok(Some(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Reply {
        let (reply, used) = parse_reply(bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        reply
    }

    #[test]
    fn parses_every_frame_type() {
        assert_eq!(one(b"+OK\r\n"), Reply::ok());
        assert_eq!(one(b"-ERR x\r\n"), Reply::Error("ERR x".into()));
        assert_eq!(one(b":-7\r\n"), Reply::Integer(-7));
        assert_eq!(one(b"$3\r\na\r\n\r\n"), Reply::bulk("a\r\n"));
        assert_eq!(one(b"$-1\r\n"), Reply::NilBulk);
        assert_eq!(one(b"*-1\r\n"), Reply::NilArray);
        assert_eq!(one(b"_\r\n"), Reply::Null);
        assert_eq!(
            one(b"*2\r\n:1\r\n$0\r\n\r\n"),
            Reply::Array(vec![Reply::Integer(1), Reply::bulk("")])
        );
        assert_eq!(
            one(b"%1\r\n+a\r\n#t\r\n"),
            Reply::Map(vec![(Reply::Simple("a".into()), Reply::Boolean(true))])
        );
        assert_eq!(
            one(b"~1\r\n,1.5\r\n"),
            Reply::Set(vec![Reply::Double("1.5".into())])
        );
        assert_eq!(one(b"(123\r\n"), Reply::BigNumber("123".into()));
        assert_eq!(
            one(b"=7\r\ntxt:abc\r\n"),
            Reply::Verbatim {
                format: "txt".into(),
                text: b"abc".to_vec()
            }
        );
        assert_eq!(one(b">1\r\n:1\r\n"), Reply::Push(vec![Reply::Integer(1)]));
        assert_eq!(
            one(b"|1\r\n+k\r\n:1\r\n+v\r\n"),
            Reply::Attribute {
                attributes: vec![(Reply::Simple("k".into()), Reply::Integer(1))],
                reply: Box::new(Reply::Simple("v".into()))
            }
        );
    }

    #[test]
    fn incomplete_and_malformed() {
        assert_eq!(parse_reply(b"").unwrap(), None);
        assert_eq!(parse_reply(b"$5\r\nab").unwrap(), None);
        assert_eq!(parse_reply(b"*2\r\n:1\r\n").unwrap(), None);
        assert!(parse_reply(b"?x\r\n").is_err());
        assert!(parse_reply(b"$2\r\nabcd").is_err());
        assert!(parse_reply(b"*99999999999\r\n").unwrap().is_none());
    }

    #[test]
    fn encodes_commands() {
        assert_eq!(
            encode_command(&["SET", "k", ""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
        assert_eq!(format_command(&["SET", "a b", "x"]), "SET \"a b\" x");
    }
}
