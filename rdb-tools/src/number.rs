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
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    const P: i32 = 17;
    // Scientific form with P significant digits gives the exponent %g uses to choose its style.
    let sci = format!("{:.*e}", (P - 1) as usize, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..P).contains(&exp) {
        let m = strip_fraction_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (P - 1 - exp).max(0) as usize;
        strip_fraction_zeros(&format!("{:.*}", decimals, v)).to_string()
    }
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
    let t = std::str::from_utf8(s).ok()?.trim_matches(|c: char| c.is_ascii_whitespace());
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
        for bad in [&b"9223372036854775808"[..], b"-0", b"01", b"+1", b" 1", b"1 ", b"", b"-", b"1a", b"00"] {
            assert_eq!(parse_canonical_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
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
