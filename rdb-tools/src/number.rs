//! Redis's conversions between numbers and their string forms, which decide byte layouts:
//! which strings a listpack/ziplist/intset stores as integers (`lpStringToInt64`, `string2ll`),
//! how a score is printed into a listpack (`d2string`) and into an old RDB (`%.17g`).

/// Parses `s` as a canonical signed 64-bit decimal, the way `lpStringToInt64` / `string2ll` do:
/// no sign other than a leading `-`, no leading zeros (except the string `0`), no `-0`, no spaces,
/// at most 20 bytes, within `i64` range. Only strings accepted here are stored as integers.
pub fn parse_canonical_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let first = *digits.first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Formats like C's `printf("%.17g", v)` for finite `v`.
pub fn format_g17(v: f64) -> String {
    let mut s = String::new();
    push_g17(&mut s, v);
    s
}

/// A fixed-size text buffer on the stack (enough for any `{:.16e}` of an f64).
struct StackText {
    buf: [u8; 48],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends `printf("%.17g", v)` to `out` without allocating: integral values below 1e17 are
/// printed as integers (what `%.17g` prints for them), others from one `{:.16e}` rendering, whose 17
/// significant digits and exponent are exactly those `%.17g` uses in either of its styles.
pub fn push_g17(out: &mut String, v: f64) {
    use std::fmt::Write;
    if v.is_nan() {
        out.push_str("nan");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v < 0.0 { "-inf" } else { "inf" });
        return;
    }
    if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    if v.fract() == 0.0 && v.abs() < 1e17 {
        let _ = write!(out, "{}", v as i64);
        return;
    }
    const P: i32 = 17;
    let mut t = StackText {
        buf: [0; 48],
        len: 0,
    };
    if write!(t, "{:.*e}", (P - 1) as usize, v).is_err() {
        // Not reachable (the longest rendering is 24 bytes); fall back to the allocating path.
        let _ = write!(out, "{:.*e}", (P - 1) as usize, v);
        return;
    }
    let sci = std::str::from_utf8(&t.buf[..t.len]).unwrap_or("0e0");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    if neg {
        out.push('-');
    }
    if !(-4..P).contains(&exp) {
        out.push_str(strip_fraction_zeros(mantissa));
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.abs());
        return;
    }
    // 17 significant digits d0 d1 ... d16 (mantissa is "d0.d1...d16"), value = 0.d0d1... * 10^(exp+1).
    let mut digits = [b'0'; P as usize];
    for (d, c) in digits
        .iter_mut()
        .zip(mantissa.bytes().filter(u8::is_ascii_digit))
    {
        *d = c;
    }
    let mut fixed = StackText {
        buf: [0; 48],
        len: 0,
    };
    let text: &[u8] = if exp >= 0 {
        let int_len = exp as usize + 1;
        let _ = fixed.write_str(std::str::from_utf8(&digits[..int_len]).unwrap_or("0"));
        let _ = fixed.write_str(".");
        let _ = fixed.write_str(std::str::from_utf8(&digits[int_len..]).unwrap_or(""));
        &fixed.buf[..fixed.len]
    } else {
        let _ = fixed.write_str("0.");
        for _ in 0..(-exp - 1) {
            let _ = fixed.write_str("0");
        }
        let _ = fixed.write_str(std::str::from_utf8(&digits).unwrap_or(""));
        &fixed.buf[..fixed.len]
    };
    out.push_str(strip_fraction_zeros(
        std::str::from_utf8(text).unwrap_or("0"),
    ));
}

fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Redis's `double2ll`: the integer equal to `d`, when `d` is integral and within ±2^62.
pub fn double_to_i64(d: f64) -> Option<i64> {
    let limit = (i64::MAX / 2) as f64;
    if !(-limit..=limit).contains(&d) {
        return None;
    }
    let ll = d as i64;
    (ll as f64 == d).then_some(ll)
}

/// Redis's `d2string`: how a sorted-set score is written into a listpack/ziplist.
pub fn d2string(v: f64) -> String {
    if v.is_finite() && v != 0.0 {
        if let Some(ll) = double_to_i64(v) {
            return ll.to_string();
        }
    }
    format_g17(v)
}

/// Parses a score the way `strtod` would for the strings Redis writes (`inf`, `-inf`, `nan`,
/// decimal and exponent forms). Leading/trailing ASCII spaces are ignored.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(s)
        .ok()?
        .trim_matches(|c: char| c.is_ascii_whitespace());
    // Rust's parser already takes every form below (case-insensitively); the match is kept for
    // clarity and costs nothing on the common numeric path.
    if let Ok(v) = t.parse::<f64>() {
        return Some(v);
    }
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => return Some(f64::INFINITY),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        "nan" | "-nan" | "+nan" => return Some(f64::NAN),
        _ => {}
    }
    t.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_integers() {
        assert_eq!(parse_canonical_i64(b"0"), Some(0));
        assert_eq!(parse_canonical_i64(b"-1"), Some(-1));
        assert_eq!(parse_canonical_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_canonical_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"9223372036854775808"[..],
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"",
            b"-",
            b"1a",
            b"00",
        ] {
            assert_eq!(
                parse_canonical_i64(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn g17_matches_c_printf() {
        // Expected strings from C printf("%.17g") (CPython's '%.17g' % x uses the C formatter).
        let cases = [
            (2.37, "2.3700000000000001"),
            (1.618, "1.6180000000000001"),
            (0.1, "0.10000000000000001"),
            (1e100, "1e+100"),
            (1.5e-7, "1.4999999999999999e-07"),
            (123456789.0, "123456789"),
            (3.423, "3.423"),
            (1e17, "1e+17"),
            (1.2345678901234568e16, "12345678901234568"),
            (5e-5, "5.0000000000000002e-05"),
            (-2.37, "-2.3700000000000001"),
            (0.00012345, "0.00012344999999999999"),
            (-0.00012345, "-0.00012344999999999999"),
            (123.456, "123.456"),
            (-1e17, "-1e+17"),
            (1e16, "10000000000000000"),
            (99999999999999984.0, "99999999999999984"),
            (1.5e300, "1.5000000000000001e+300"),
            (2.5e-300, "2.5e-300"),
        ];
        for (v, want) in cases {
            assert_eq!(format_g17(v), want, "{v:?}");
        }
        assert_eq!(format_g17(-0.0), "-0");
        assert_eq!(d2string(3.0), "3");
        assert_eq!(d2string(5e9), "5000000000");
        assert_eq!(d2string(2.5), "2.5");
    }
}
