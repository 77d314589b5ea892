//! Rendering binary-safe strings for text outputs. Valid UTF-8 passes through; any other byte is
//! shown as the code point U+00XX (as redis-rdb-tools does), so the output is always valid text.

/// Appends `b` as JSON string content (without quotes).
pub fn json_str(out: &mut String, b: &[u8]) {
    out.push('"');
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_json_char(out, c);
        }
        for &byte in chunk.invalid() {
            out.push_str(&format!("\\u{:04x}", byte));
        }
    }
    out.push('"');
}

fn push_json_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
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
