//! Printing binary-safe arguments: redis-cli's quoting (`"set" "k" "\x00"`, the `sdscatrepr` form)
//! and JSON strings (UTF-8 arguments as strings, others as `{"hex": "..."}`).

pub use redoubt_aof::manifest::repr;

/// Appends `s` as a JSON value: a string when it is UTF-8, else `{"hex":"..."}`.
pub fn json_bytes(out: &mut String, s: &[u8]) {
    match std::str::from_utf8(s) {
        Ok(t) => json_str(out, t),
        Err(_) => {
            out.push_str("{\"hex\":\"");
            for b in s {
                out.push_str(&format!("{b:02x}"));
            }
            out.push_str("\"}");
        }
    }
}

/// Appends a JSON string literal.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
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
    out.push('"');
}

/// Shows at most `max` bytes of `s` quoted, with a note of what was left out.
pub fn preview(s: &[u8], max: usize) -> String {
    if s.len() <= max {
        repr(s)
    } else {
        format!("{}... ({} bytes)", repr(&s[..max]), s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        // redis-cli 7.0.15 prints GET of "a\x00b\n\"" as "a\x00b\n\"".
        assert_eq!(repr(b"a\x00b\n\""), "\"a\\x00b\\n\\\"\"");
        let mut s = String::new();
        json_bytes(&mut s, b"\xff\x00");
        assert_eq!(s, "{\"hex\":\"ff00\"}");
        let mut s = String::new();
        json_bytes(&mut s, b"a\"\x01");
        assert_eq!(s, "\"a\\\"\\u0001\"");
    }
}
