//! Rendering binary-safe strings for text outputs. Valid UTF-8 passes through; any other byte is
//! shown as the code point U+00XX (as redis-rdb-tools does), so the output is always valid text.

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_u00(out: &mut String, byte: u8) {
    out.push_str("\\u00");
    out.push(HEX[(byte >> 4) as usize] as char);
    out.push(HEX[(byte & 15) as usize] as char);
}

/// Appends `b` as a quoted JSON string. Copies runs of plain characters at once and escapes
/// without going through `format!`, since dumps are dominated by this function.
pub fn json_str(out: &mut String, b: &[u8]) {
    out.reserve(b.len() + 2);
    out.push('"');
    // Fast path: plain printable ASCII (most keys and values) needs no escaping at all.
    if b.iter()
        .all(|&c| (0x20..0x80).contains(&c) && c != b'"' && c != b'\\')
    {
        if let Ok(text) = std::str::from_utf8(b) {
            out.push_str(text);
            out.push('"');
            return;
        }
    }
    for chunk in b.utf8_chunks() {
        let valid = chunk.valid();
        let bytes = valid.as_bytes();
        let mut run = 0;
        for (i, &c) in bytes.iter().enumerate() {
            let esc = match c {
                b'"' => Some("\\\""),
                b'\\' => Some("\\\\"),
                b'\n' => Some("\\n"),
                b'\r' => Some("\\r"),
                b'\t' => Some("\\t"),
                c if c < 0x20 => None,
                _ => continue,
            };
            out.push_str(&valid[run..i]);
            match esc {
                Some(e) => out.push_str(e),
                None => push_u00(out, c),
            }
            run = i + 1;
        }
        out.push_str(&valid[run..]);
        for &byte in chunk.invalid() {
            push_u00(out, byte);
        }
    }
    out.push('"');
}

/// The bytes as text, non-UTF-8 bytes mapped to U+00XX.
pub fn lossless_text(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        s.push_str(chunk.valid());
        for &byte in chunk.invalid() {
            s.push(byte as char);
        }
    }
    s
}

/// A CSV field (RFC 4180 quoting when needed).
pub fn csv_field(out: &mut String, b: &[u8]) {
    let s = lossless_text(b);
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&s);
    }
}

/// A score as Redis prints it (`ZSCORE`): `%.17g`.
pub fn score(v: f64) -> String {
    redoubt_rdb::number::format_g17(v)
}
