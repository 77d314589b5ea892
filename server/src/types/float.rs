//! Floating-point text exactly as Redis 7.0 reads and writes it.
//!
//! Two families of numbers cross the protocol:
//!
//! * **Scores** (ZADD, ZINCRBY, range bounds, …) are C `double`s. Redis reads them with `strtod`
//!   (`string2d` in util.c: no leading space, nothing after the number, no NaN, and a literal that
//!   overflows to ±HUGE_VAL or underflows to 0 is refused, while `inf` itself is fine) and replies
//!   with `addReplyDouble`, which in 7.0 prints `%.17g` (RESP2 bulk string; RESP3 sends the very
//!   same text as a double, `,<text>\r\n`), with infinities spelled `inf` / `-inf`. That is
//!   [`parse_score`], [`strtod_prefix`] and [`format_score`].
//!
//! * **INCRBYFLOAT / HINCRBYFLOAT** compute in C `long double`, which on x86-64 Linux is the x87
//!   80-bit extended format: a 64-bit significand, exponents down to 2^-16445. Redis parses both
//!   operands with `strtold` (`string2ld`: same rules as above plus a 5119-byte length limit), adds
//!   them, refuses a NaN/infinite sum, and prints with `ld2string(LD_STR_HUMAN)`, that is
//!   `%.17Lf` (fixed notation, 17 decimals) with trailing zeros and a trailing `.` removed and `-0`
//!   turned into `0`. The extra precision is visible in the replies (`0.1 + 0.2` answers `0.3`,
//!   `1e300` prints as a 301-digit integer that is not the double nearest 1e300), so this module
//!   emulates that format in software: [`LongDouble`] parses, adds and prints exactly like glibc
//!   on x86-64. [`incr_by_float`] is the whole INCRBYFLOAT computation.
//!
//! Parsing follows the C `strtod` grammar in the "C" locale: optional sign, decimal digits with an
//! optional `.` and `e` exponent, hexadecimal `0x` mantissas with an optional `p` exponent,
//! `inf`/`infinity`/`nan`/`nan(chars)` in any case. Decimal → double conversion is delegated to
//! Rust's correctly rounded parser; everything else (hex mantissas, the 64-bit format, printing
//! the 64-bit format) goes through exact integer arithmetic, rounding half to even like glibc.

use std::cmp::Ordering;

/// `MAX_LONG_DOUBLE_CHARS` in Redis: `string2ld` refuses inputs of this length or longer.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// ZINCRBY / ZADD INCR when the new score would be NaN (`inf + -inf`).
pub const ERR_SCORE_NAN: &str = "ERR resulting score is not a number (NaN)";
/// A score or INCRBYFLOAT operand that does not parse.
pub const ERR_NOT_FLOAT: &str = "ERR value is not a valid float";
/// INCRBYFLOAT / HINCRBYFLOAT whose result is NaN or infinite.
pub const ERR_INCR_NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";

// ------------------------------------------------------------------------------------------------
// The C `strtod` grammar.

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn starts_with_ignore_case(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

/// What the scanner recognised, before any rounding.
enum Body<'a> {
    Inf,
    Nan,
    /// `int.frac` × 10^exp.
    Decimal {
        int: &'a [u8],
        frac: &'a [u8],
        exp: i64,
    },
    /// `0x int.frac` × 2^exp, digits in hex.
    Hex {
        int: &'a [u8],
        frac: &'a [u8],
        exp: i64,
    },
}

struct Scanned<'a> {
    neg: bool,
    body: Body<'a>,
    /// Bytes consumed (the `endptr` offset).
    end: usize,
}

fn take_while(s: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while i < s.len() && pred(s[i]) {
        i += 1;
    }
    i
}

/// An optional exponent (`e`/`E` or `p`/`P`, sign, digits) at `at`; consumed only when at least
/// one digit follows. Saturates far beyond any meaningful magnitude.
fn scan_exponent(s: &[u8], at: usize, letter: u8) -> (i64, usize) {
    if s.get(at).map(|b| b | 0x20) != Some(letter) {
        return (0, at);
    }
    let mut i = at + 1;
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits_end = take_while(s, i, |b| b.is_ascii_digit());
    if digits_end == i {
        return (0, at);
    }
    let mut v: i64 = 0;
    for &d in &s[i..digits_end] {
        v = (v * 10 + i64::from(d - b'0')).min(1 << 50);
    }
    (if neg { -v } else { v }, digits_end)
}

/// Scans the longest prefix of `s` that C's `strtod` would convert (no whitespace skipping).
fn scan(s: &[u8]) -> Option<Scanned<'_>> {
    let (neg, i) = match s.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let rest = &s[i..];
    if starts_with_ignore_case(rest, b"inf") {
        let n = if starts_with_ignore_case(rest, b"infinity") {
            8
        } else {
            3
        };
        return Some(Scanned {
            neg,
            body: Body::Inf,
            end: i + n,
        });
    }
    if starts_with_ignore_case(rest, b"nan") {
        let mut end = i + 3;
        if s.get(end) == Some(&b'(') {
            let j = take_while(s, end + 1, |b| b.is_ascii_alphanumeric() || b == b'_');
            if s.get(j) == Some(&b')') {
                end = j + 1;
            }
        }
        return Some(Scanned {
            neg,
            body: Body::Nan,
            end,
        });
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        let int_start = i + 2;
        let int_end = take_while(s, int_start, |b| b.is_ascii_hexdigit());
        let (frac_start, frac_end) = if s.get(int_end) == Some(&b'.') {
            (
                int_end + 1,
                take_while(s, int_end + 1, |b| b.is_ascii_hexdigit()),
            )
        } else {
            (int_end, int_end)
        };
        if int_end > int_start || frac_end > frac_start {
            let mant_end = if frac_start > int_end {
                frac_end
            } else {
                int_end
            };
            let (exp, end) = scan_exponent(s, mant_end, b'p');
            let body = Body::Hex {
                int: &s[int_start..int_end],
                frac: &s[frac_start..frac_end],
                exp,
            };
            return Some(Scanned { neg, body, end });
        }
        // "0x" without hex digits: C converts the "0" alone.
    }
    let int_end = take_while(s, i, |b| b.is_ascii_digit());
    let (frac_start, frac_end) = if s.get(int_end) == Some(&b'.') {
        (
            int_end + 1,
            take_while(s, int_end + 1, |b| b.is_ascii_digit()),
        )
    } else {
        (int_end, int_end)
    };
    if int_end == i && frac_end == frac_start {
        return None;
    }
    let mant_end = if frac_start > int_end {
        frac_end
    } else {
        int_end
    };
    let (exp, end) = scan_exponent(s, mant_end, b'e');
    let body = Body::Decimal {
        int: &s[i..int_end],
        frac: &s[frac_start..frac_end],
        exp,
    };
    Some(Scanned { neg, body, end })
}

/// The significant digits of a decimal mantissa: `0.d1d2…dn × 10^point`, without leading or
/// trailing zeros; `None` for zero. With `max_digits`, longer digit strings are cut and a final
/// `1` marks that something non-zero was dropped (enough to round correctly to a double, whose
/// halfway points never need more than 767 significant digits).
fn significant_digits(
    int: &[u8],
    frac: &[u8],
    exp: i64,
    max_digits: Option<usize>,
) -> Option<(Vec<u8>, i64)> {
    let all = || int.iter().chain(frac.iter()).copied();
    let first = all().position(|d| d != b'0')?;
    let last = int.len() + frac.len() - 1 - all().rev().position(|d| d != b'0')?;
    let point = (int.len() as i64 - first as i64).saturating_add(exp);
    let n = last + 1 - first;
    let mut digits: Vec<u8> = match max_digits {
        Some(max) if n > max => {
            let mut d: Vec<u8> = all().skip(first).take(max).collect();
            d.push(b'1');
            d
        }
        _ => all().skip(first).take(n).collect(),
    };
    digits.shrink_to_fit();
    Some((digits, point))
}

// ------------------------------------------------------------------------------------------------
// Binary rounding shared by the 64-bit and 80-bit formats.

/// A binary floating-point format: `prec` significand bits, normal leading-bit exponents
/// `emin..=emax`, gradual underflow below.
#[derive(Clone, Copy)]
struct Format {
    prec: u32,
    emin: i64,
    emax: i64,
}

const F64: Format = Format {
    prec: 53,
    emin: -1022,
    emax: 1023,
};
const X87: Format = Format {
    prec: 64,
    emin: -16382,
    emax: 16383,
};

enum Rounded {
    Zero,
    /// `sig × 2^exp`, `sig < 2^prec`.
    Finite {
        sig: u64,
        exp: i64,
    },
    Inf,
}

/// Rounds `m × 2^e` (plus an unknown non-zero amount below `m`'s last bit when `sticky`) to
/// `fmt`, half to even. Callers set `sticky` only with at least `prec + 2` bits in `m`.
fn round_to(m: u128, e: i64, sticky: bool, fmt: Format) -> Rounded {
    if m == 0 {
        return Rounded::Zero;
    }
    let bits = 128 - i64::from(m.leading_zeros());
    let top = e.saturating_add(bits - 1);
    if top > fmt.emax.saturating_add(1) {
        return Rounded::Inf;
    }
    let prec = i64::from(fmt.prec);
    let mut lsb = (top - (prec - 1)).max(fmt.emin - (prec - 1));
    let shift = lsb - e;
    let mut q: u128;
    if shift <= 0 {
        q = m << (-shift) as u32;
    } else if shift > 128 {
        q = 0;
    } else {
        q = if shift == 128 { 0 } else { m >> shift as u32 };
        let rem = if shift == 128 {
            m
        } else {
            m & ((1u128 << shift as u32) - 1)
        };
        let half = 1u128 << (shift - 1) as u32;
        let up = match rem.cmp(&half) {
            Ordering::Greater => true,
            Ordering::Equal => sticky || q & 1 == 1,
            Ordering::Less => false,
        };
        if up {
            q += 1;
        }
    }
    if q == 0 {
        return Rounded::Zero;
    }
    if q >> fmt.prec != 0 {
        q >>= 1;
        lsb += 1;
    }
    if lsb + prec - 1 > fmt.emax {
        return Rounded::Inf;
    }
    Rounded::Finite {
        sig: q as u64,
        exp: lsb,
    }
}

fn f64_from_parts(neg: bool, r: Rounded) -> f64 {
    let v = match r {
        Rounded::Zero => 0.0,
        Rounded::Inf => f64::INFINITY,
        Rounded::Finite { sig, exp } => {
            let bits = if sig >> 52 != 0 {
                let biased = (exp + 52 + 1023) as u64;
                (biased << 52) | (sig & ((1u64 << 52) - 1))
            } else {
                sig // subnormal: exp is -1074
            };
            f64::from_bits(bits)
        }
    };
    if neg {
        -v
    } else {
        v
    }
}

/// A hex mantissa as `m × 2^e` with at most 124 significant bits and a sticky flag.
fn hex_mantissa(int: &[u8], frac: &[u8], exp: i64) -> (u128, i64, bool) {
    let mut m: u128 = 0;
    let mut e: i64 = exp;
    let mut sticky = false;
    let value = |b: u8| -> u128 {
        match b {
            b'0'..=b'9' => u128::from(b - b'0'),
            _ => u128::from((b | 0x20) - b'a' + 10),
        }
    };
    for &b in int {
        if m >> 120 == 0 {
            m = (m << 4) | value(b);
        } else {
            e = e.saturating_add(4);
            sticky |= b != b'0';
        }
    }
    for &b in frac {
        if m >> 120 == 0 {
            m = (m << 4) | value(b);
            e = e.saturating_sub(4);
        } else {
            sticky |= b != b'0';
        }
    }
    (m, e, sticky)
}

/// Result of a C `strtod` call on a byte string.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strtod {
    /// The converted value (NaN for a `nan` literal).
    pub value: f64,
    /// The `endptr` offset: how many bytes were converted (0 when nothing was).
    pub end: usize,
    /// `errno == ERANGE`: a finite literal overflowed to ±inf or a non-zero literal became 0.
    /// (glibc also flags some subnormal results; Redis never looks at the flag then.)
    pub range_error: bool,
}

/// C `strtod` on `s`, with leading C whitespace skipped as `strtod` does. Scanning stops at a NUL
/// byte like it would on a C string.
pub fn strtod_prefix(s: &[u8]) -> Strtod {
    let skip = take_while(s, 0, is_c_space);
    let Some(sc) = scan(&s[skip..]) else {
        return Strtod {
            value: 0.0,
            end: 0,
            range_error: false,
        };
    };
    let end = skip + sc.end;
    let (value, range_error) = match sc.body {
        Body::Inf => (f64::INFINITY, false),
        Body::Nan => (f64::NAN, false),
        Body::Decimal { int, frac, .. } if int.iter().chain(frac).all(|&d| d == b'0') => {
            (0.0, false)
        }
        // Short literals: Rust's parser reads the very text strtod consumed.
        Body::Decimal { int, frac, exp } if sc.end <= 40 => {
            let text = std::str::from_utf8(&s[skip..end]).unwrap_or("");
            match text.parse::<f64>() {
                Ok(v) => (v.abs(), v == 0.0 || v.is_infinite()),
                Err(_) => decimal_slow(int, frac, exp),
            }
        }
        Body::Decimal { int, frac, exp } => decimal_slow(int, frac, exp),
        Body::Hex { int, frac, exp } => {
            let (m, e, sticky) = hex_mantissa(int, frac, exp);
            if m == 0 {
                (0.0, false)
            } else {
                let r = round_to(m, e, sticky, F64);
                let err = matches!(r, Rounded::Zero | Rounded::Inf);
                (f64_from_parts(false, r), err)
            }
        }
    };
    let value = if sc.neg { -value } else { value };
    Strtod {
        value,
        end,
        range_error,
    }
}

/// Decimal digits to a double through their significant digits (any length, any exponent).
fn decimal_slow(int: &[u8], frac: &[u8], exp: i64) -> (f64, bool) {
    let Some((digits, point)) = significant_digits(int, frac, exp, Some(800)) else {
        return (0.0, false);
    };
    let point = point.clamp(-100_000, 100_000);
    let mut text = String::with_capacity(digits.len() + 12);
    text.push_str("0.");
    text.extend(digits.iter().map(|&d| d as char));
    text.push('e');
    text.push_str(&point.to_string());
    let v: f64 = text.parse().unwrap_or(0.0);
    (v, v == 0.0 || v.is_infinite())
}

/// Parses a score argument like Redis's `getDoubleFromObject` / `string2d`: the whole argument
/// must be a number, without leading space; `inf`, `+inf`, `-inf`, `infinity` are accepted in any
/// case, NaN is not, nor a literal too large (`1e400`) or too small (`1e-400`) for a double.
pub fn parse_score(s: &[u8]) -> Option<f64> {
    if s.is_empty() || is_c_space(s[0]) {
        return None;
    }
    let r = strtod_prefix(s);
    if r.end != s.len()
        || r.value.is_nan()
        || (r.range_error && (r.value.is_infinite() || r.value == 0.0))
    {
        return None;
    }
    Some(r.value)
}

// ------------------------------------------------------------------------------------------------
// Printing doubles.

/// `x` (finite, > 0) as `q × 10^(k-16)` with `q` the 17 leading significant digits rounded half
/// to even, computed exactly in 128-bit integers; `None` when the operands would not fit (very
/// large or very small magnitudes), for the caller's slower exact path.
fn digits17(x: f64) -> Option<(u64, i32)> {
    const P17: u128 = 100_000_000_000_000_000;
    const P16: u128 = 10_000_000_000_000_000;
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = u128::from(bits & ((1u64 << 52) - 1));
    let (m, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u128 << 52), biased - 1075)
    };
    let mut k = x.log10().floor() as i32;
    for _ in 0..3 {
        let d = 16 - k;
        let pow10 = |n: i32| -> Option<u128> { 10u128.checked_pow(n as u32) };
        let mut num = m;
        let mut den: u128 = 1;
        if d >= 0 {
            num = num.checked_mul(pow10(d)?)?;
        } else {
            den = pow10(-d)?;
        }
        if e >= 0 {
            num = num.checked_mul(1u128.checked_shl(e as u32)?)?;
        } else {
            den = den.checked_mul(1u128.checked_shl((-e) as u32)?)?;
        }
        if num >> 126 != 0 || den >> 126 != 0 {
            return None;
        }
        let q = num / den;
        if q < P16 {
            k -= 1;
            continue;
        }
        if q >= P17 {
            k += 1;
            continue;
        }
        let r = num % den;
        let q = match (2 * r).cmp(&den) {
            Ordering::Greater => q + 1,
            Ordering::Equal if q & 1 == 1 => q + 1,
            _ => q,
        };
        return Some(if q == P17 {
            (P16 as u64, k + 1)
        } else {
            (q as u64, k)
        });
    }
    None
}

/// A score as Redis 7.0's `addReplyDouble` prints it: C `%.17g`, with `inf` / `-inf`. This is the
/// RESP2 bulk-string payload; RESP3 sends the same text as a double reply (`,<text>\r\n`, e.g.
/// `,0.10000000000000001`, `,inf`, `,-0`). Examples: 0.1 → `0.10000000000000001`, 1 → `1`,
/// 1e17 → `1e+17`, -0.0 → `-0`, 1.23e-5 → `1.2300000000000001e-05`.
pub fn format_score(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    if x.fract() == 0.0 && x.abs() < 1e17 {
        return format!("{}", x as i64);
    }
    // 17 significant digits, correctly rounded half to even (as glibc), and the decimal exponent.
    let (digits, exp) = match digits17(x.abs()) {
        Some((q, k)) => (q.to_string(), k),
        None => {
            let sci = format!("{:.16e}", x.abs());
            let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
            (
                mant.chars().filter(|c| c.is_ascii_digit()).collect(),
                exp.parse().unwrap_or(0),
            )
        }
    };
    let mut out = String::with_capacity(26);
    if x < 0.0 {
        out.push('-');
    }
    if !(-4..17).contains(&exp) {
        let trimmed = digits.trim_end_matches('0');
        out.push_str(&trimmed[..1]);
        if trimmed.len() > 1 {
            out.push('.');
            out.push_str(&trimmed[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    } else if exp >= 0 {
        let (int, frac) = digits.split_at(exp as usize + 1);
        out.push_str(int);
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Arbitrary-precision naturals, only as much as exact 80-bit conversions need.

#[derive(Clone, Debug)]
struct Big(Vec<u32>); // little-endian limbs, no trailing zero limbs

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut l = Vec::new();
        while v != 0 {
            l.push(v as u32);
            v >>= 32;
        }
        Big(l)
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn mul_add_small(&mut self, mul: u32, add: u32) {
        let mut carry = u64::from(add);
        for l in self.0.iter_mut() {
            let v = u64::from(*l) * u64::from(mul) + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn from_decimal(digits: &[u8]) -> Big {
        let mut b = Big(Vec::with_capacity(digits.len() / 9 + 1));
        for chunk in digits.chunks(9) {
            let mut v = 0u32;
            for &d in chunk {
                v = v * 10 + u32::from(d - b'0');
            }
            b.mul_add_small(10u32.pow(chunk.len() as u32), v);
        }
        b
    }

    fn mul_pow10(&mut self, mut k: u64) {
        while k >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            k -= 9;
        }
        if k > 0 {
            self.mul_add_small(10u32.pow(k as u32), 0);
        }
    }

    fn bit_len(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
        }
    }

    fn shl(&self, bits: u64) -> Big {
        if self.is_zero() {
            return Big(Vec::new());
        }
        let limbs = (bits / 32) as usize;
        let r = (bits % 32) as u32;
        let mut out = vec![0u32; limbs];
        out.reserve(self.0.len() + 1);
        if r == 0 {
            out.extend_from_slice(&self.0);
        } else {
            let mut carry = 0u32;
            for &l in &self.0 {
                out.push((l << r) | carry);
                carry = l >> (32 - r);
            }
            out.push(carry);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn shr1(&mut self) {
        let mut carry = 0u32;
        for l in self.0.iter_mut().rev() {
            let next = *l & 1;
            *l = (*l >> 1) | (carry << 31);
            carry = next;
        }
        self.trim();
    }

    fn cmp(&self, o: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }

    /// `self -= o`, requires `self >= o`.
    fn sub_assign(&mut self, o: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let v = i64::from(self.0[i]) - i64::from(o.0.get(i).copied().unwrap_or(0)) - borrow;
            if v < 0 {
                self.0[i] = (v + (1i64 << 32)) as u32;
                borrow = 1;
            } else {
                self.0[i] = v as u32;
                borrow = 0;
            }
        }
        self.trim();
    }

    /// Bits `[from, from + 128)` as a number, and whether any bit below `from` is set.
    fn bits_from(&self, from: u64) -> (u128, bool) {
        let mut v: u128 = 0;
        for i in (0..128u64).rev() {
            let bit = from + i;
            let limb = (bit / 32) as usize;
            if limb < self.0.len() && (self.0[limb] >> (bit % 32)) & 1 == 1 {
                v |= 1u128 << i;
            }
        }
        let full = (from / 32) as usize;
        let mut sticky = self.0.iter().take(full.min(self.0.len())).any(|&l| l != 0);
        if !sticky && full < self.0.len() && !from.is_multiple_of(32) {
            sticky = self.0[full] & ((1u32 << (from % 32)) - 1) != 0;
        }
        (v, sticky)
    }

    fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            let mut rem = 0u64;
            for l in n.0.iter_mut().rev() {
                let cur = (rem << 32) | u64::from(*l);
                *l = (cur / 1_000_000_000) as u32;
                rem = cur % 1_000_000_000;
            }
            n.trim();
            chunks.push(rem as u32);
        }
        let mut s = String::with_capacity(chunks.len() * 9);
        if let Some(top) = chunks.pop() {
            s.push_str(&top.to_string());
        }
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

// ------------------------------------------------------------------------------------------------
// The x87 80-bit `long double`.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    Zero,
    Finite,
    Inf,
    Nan,
}

/// A C `long double` as x86-64 Linux has it (x87 extended precision: 64-bit significand,
/// exponent range ±16383, gradual underflow to 2^-16445), with glibc's exact, half-to-even
/// conversions. Only what INCRBYFLOAT/HINCRBYFLOAT need: parse, add, print.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongDouble {
    neg: bool,
    class: Class,
    /// Finite values are `sig × 2^exp`, `sig` normalised (top bit set) unless subnormal.
    sig: u64,
    exp: i64,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble {
        neg: false,
        class: Class::Zero,
        sig: 0,
        exp: 0,
    };

    fn from_rounded(neg: bool, r: Rounded) -> LongDouble {
        match r {
            Rounded::Zero => LongDouble {
                neg,
                ..LongDouble::ZERO
            },
            Rounded::Inf => LongDouble {
                neg,
                class: Class::Inf,
                sig: 0,
                exp: 0,
            },
            Rounded::Finite { sig, exp } => LongDouble {
                neg,
                class: Class::Finite,
                sig,
                exp,
            },
        }
    }

    fn nan() -> LongDouble {
        LongDouble {
            neg: false,
            class: Class::Nan,
            sig: 0,
            exp: 0,
        }
    }

    /// The exact value of a double (every double is a long double).
    pub fn from_f64(x: f64) -> LongDouble {
        let neg = x.is_sign_negative();
        if x.is_nan() {
            return LongDouble::nan();
        }
        if x.is_infinite() {
            return LongDouble {
                neg,
                class: Class::Inf,
                sig: 0,
                exp: 0,
            };
        }
        if x == 0.0 {
            return LongDouble {
                neg,
                ..LongDouble::ZERO
            };
        }
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (m, e) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), biased - 1075)
        };
        LongDouble::from_rounded(neg, round_to(u128::from(m), e, false, X87))
    }

    /// The exact value of an integer (a 64-bit significand holds every `i64`).
    pub fn from_i64(v: i64) -> LongDouble {
        if v == 0 {
            return LongDouble::ZERO;
        }
        LongDouble::from_rounded(v < 0, round_to(u128::from(v.unsigned_abs()), 0, false, X87))
    }

    pub fn is_nan(&self) -> bool {
        self.class == Class::Nan
    }

    pub fn is_infinite(&self) -> bool {
        self.class == Class::Inf
    }

    pub fn is_finite(&self) -> bool {
        matches!(self.class, Class::Zero | Class::Finite)
    }

    /// The nearest double (half to even), ±inf beyond the double range.
    pub fn to_f64(&self) -> f64 {
        match self.class {
            Class::Nan => f64::NAN,
            Class::Inf => {
                if self.neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            Class::Zero => {
                if self.neg {
                    -0.0
                } else {
                    0.0
                }
            }
            Class::Finite => {
                // Keep two extra bits so the sticky rule of `round_to` holds.
                let m = u128::from(self.sig) << 2;
                f64_from_parts(self.neg, round_to(m, self.exp - 2, false, F64))
            }
        }
    }

    /// C `strtold` on the whole of `s` with Redis's `string2ld` rules: not empty, shorter than
    /// [`MAX_LONG_DOUBLE_CHARS`], no leading space, nothing left over (a NUL byte ends the
    /// number), no NaN, no overflow to ±inf or underflow to 0 of a finite literal (`inf` itself is
    /// accepted).
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS || is_c_space(s[0]) {
            return None;
        }
        let sc = scan(s)?;
        if sc.end != s.len() {
            return None;
        }
        let neg = sc.neg;
        let v = match sc.body {
            Body::Nan => return None,
            Body::Inf => LongDouble {
                neg,
                class: Class::Inf,
                sig: 0,
                exp: 0,
            },
            Body::Hex { int, frac, exp } => {
                let (m, e, sticky) = hex_mantissa(int, frac, exp);
                if m == 0 {
                    LongDouble {
                        neg,
                        ..LongDouble::ZERO
                    }
                } else {
                    let r = round_to(m, e, sticky, X87);
                    if matches!(r, Rounded::Zero | Rounded::Inf) {
                        return None;
                    }
                    LongDouble::from_rounded(neg, r)
                }
            }
            Body::Decimal { int, frac, exp } => match significant_digits(int, frac, exp, None) {
                None => LongDouble {
                    neg,
                    ..LongDouble::ZERO
                },
                Some((digits, point)) => {
                    let r = decimal_to_x87(&digits, point);
                    if matches!(r, Rounded::Zero | Rounded::Inf) {
                        return None;
                    }
                    LongDouble::from_rounded(neg, r)
                }
            },
        };
        Some(v)
    }

    /// `self + other` rounded to the 80-bit format (half to even), with IEEE special cases.
    fn sum(self, other: LongDouble) -> LongDouble {
        use Class::*;
        match (self.class, other.class) {
            (Nan, _) | (_, Nan) => LongDouble::nan(),
            (Inf, Inf) => {
                if self.neg == other.neg {
                    self
                } else {
                    LongDouble::nan()
                }
            }
            (Inf, _) => self,
            (_, Inf) => other,
            (Zero, Zero) => LongDouble {
                neg: self.neg && other.neg,
                ..LongDouble::ZERO
            },
            (Zero, _) => other,
            (_, Zero) => self,
            (Finite, Finite) => {
                let (a, b) = if self.exp >= other.exp {
                    (self, other)
                } else {
                    (other, self)
                };
                // a's significand with 62 guard bits; b aligned to it, lost bits kept as sticky.
                let big = u128::from(a.sig) << 62;
                let d = a.exp - b.exp;
                let (small, sticky) = if d >= 126 {
                    (0u128, true)
                } else {
                    let full = u128::from(b.sig) << 62;
                    let shifted = full >> d as u32;
                    (shifted, d > 0 && (full & ((1u128 << d as u32) - 1)) != 0)
                };
                let e = a.exp - 62;
                if a.neg == b.neg {
                    LongDouble::from_rounded(a.neg, round_to(big + small, e, sticky, X87))
                } else {
                    let (neg, diff, sticky) = match big.cmp(&small) {
                        Ordering::Greater => {
                            if sticky {
                                (a.neg, big - small - 1, true)
                            } else {
                                (a.neg, big - small, false)
                            }
                        }
                        Ordering::Less => (b.neg, small - big, sticky),
                        Ordering::Equal => {
                            if sticky {
                                // a - (a + ε): a tiny value of b's sign; cannot happen with d < 126
                                // when the significands are equal, kept for completeness.
                                (b.neg, 0, false)
                            } else {
                                (false, 0, false)
                            }
                        }
                    };
                    if diff == 0 {
                        return LongDouble {
                            neg: neg && sticky,
                            ..LongDouble::ZERO
                        };
                    }
                    LongDouble::from_rounded(neg, round_to(diff, e, sticky, X87))
                }
            }
        }
    }

    /// The text of C `printf("%.17Lf")`: fixed notation with 17 decimals, rounded half to even;
    /// `inf`/`-inf`/`nan` for the special values.
    pub fn format_fixed17(&self) -> String {
        let sign = if self.neg { "-" } else { "" };
        match self.class {
            Class::Nan => return format!("{sign}nan"),
            Class::Inf => return format!("{sign}inf"),
            Class::Zero => return format!("{sign}0.00000000000000000"),
            Class::Finite => {}
        }
        const P17: u128 = 100_000_000_000_000_000;
        let digits = if self.exp >= 0 {
            let mut n = Big::from_u128(u128::from(self.sig))
                .shl(self.exp as u64)
                .to_decimal();
            n.push_str("00000000000000000");
            n
        } else {
            let sh = (-self.exp) as u32;
            let x = u128::from(self.sig) * P17; // < 2^121
            let q = if sh >= 128 {
                0 // x < 2^121 is below half of 2^sh
            } else {
                let q = x >> sh;
                let rem = x & ((1u128 << sh) - 1);
                let half = 1u128 << (sh - 1);
                match rem.cmp(&half) {
                    Ordering::Greater => q + 1,
                    Ordering::Equal if q & 1 == 1 => q + 1,
                    _ => q,
                }
            };
            format!("{q:018}")
        };
        let (int, frac) = digits.split_at(digits.len() - 17);
        format!("{sign}{int}.{frac}")
    }

    /// Redis's `ld2string(…, LD_STR_HUMAN)`: `%.17Lf`, trailing zeros and a trailing `.`
    /// removed, `-0` printed as `0`; `inf`/`-inf` for infinities. This is what INCRBYFLOAT and
    /// HINCRBYFLOAT store and reply.
    pub fn format_human(&self) -> String {
        if self.class == Class::Inf {
            return if self.neg {
                "-inf".into()
            } else {
                "inf".into()
            };
        }
        let mut s = self.format_fixed17();
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        if s == "-0" {
            s = "0".into();
        }
        s
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// The x87 `fadd`: exact sum rounded half to even to 64 significant bits.
    fn add(self, other: LongDouble) -> LongDouble {
        self.sum(other)
    }
}

/// `0.digits × 10^point` (digits non-empty, no leading zero) rounded to the x87 format.
fn decimal_to_x87(digits: &[u8], point: i64) -> Rounded {
    // 10^4933 exceeds the largest long double (~1.19e4932); below 10^-4952 everything rounds to 0
    // (the smallest subnormal is ~3.65e-4951).
    if point > 4933 {
        return Rounded::Inf;
    }
    if point < -4952 {
        return Rounded::Zero;
    }
    let d = Big::from_decimal(digits);
    let k = point - digits.len() as i64; // value = d × 10^k
    if k >= 0 {
        let mut n = d;
        n.mul_pow10(k as u64);
        let bits = n.bit_len();
        if bits <= 128 {
            let (m, _) = n.bits_from(0);
            return round_to(m, 0, false, X87);
        }
        let from = bits - 128;
        let (m, sticky) = n.bits_from(from);
        return round_to(m, from as i64, sticky, X87);
    }
    // value = d / 10^-k: take a quotient with 68..69 bits and the remainder as sticky.
    let mut den = Big::from_u128(1);
    den.mul_pow10((-k) as u64);
    let s = den.bit_len() as i64 - d.bit_len() as i64 + 68;
    let (mut num, den) = if s >= 0 {
        (d.shl(s as u64), den)
    } else {
        (d, den.shl((-s) as u64))
    };
    const QBITS: u32 = 70;
    let mut dd = den.shl(u64::from(QBITS));
    let mut q: u128 = 0;
    for i in (0..=QBITS).rev() {
        if num.cmp(&dd) != Ordering::Less {
            num.sub_assign(&dd);
            q |= 1u128 << i;
        }
        dd.shr1();
    }
    round_to(q, -s, !num.is_zero(), X87)
}

/// Why INCRBYFLOAT refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncrFloatError {
    /// The stored value or the increment is not a float: [`ERR_NOT_FLOAT`].
    NotFloat,
    /// The sum is NaN or infinite: [`ERR_INCR_NAN_OR_INF`].
    NanOrInfinity,
}

impl IncrFloatError {
    /// The error line Redis sends.
    pub fn message(self) -> &'static str {
        match self {
            IncrFloatError::NotFloat => ERR_NOT_FLOAT,
            IncrFloatError::NanOrInfinity => ERR_INCR_NAN_OR_INF,
        }
    }
}

/// INCRBYFLOAT's arithmetic: `current` is the string value (`None` for a missing key, read as 0),
/// `incr` the argument; returns the text to store and to reply (and to propagate as `SET`).
/// HINCRBYFLOAT differs in its checks and errors: see [`parse_hincr_increment`] and
/// [`hincr_by_float`].
pub fn incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> Result<String, IncrFloatError> {
    let cur = match current {
        None => LongDouble::ZERO,
        Some(s) => LongDouble::parse(s).ok_or(IncrFloatError::NotFloat)?,
    };
    let by = LongDouble::parse(incr).ok_or(IncrFloatError::NotFloat)?;
    let sum = cur + by;
    if !sum.is_finite() {
        return Err(IncrFloatError::NanOrInfinity);
    }
    Ok(sum.format_human())
}

/// HINCRBYFLOAT's first step, before the key is even looked up: the increment must parse
/// ("ERR value is not a valid float") and be finite ("ERR value is NaN or Infinity").
pub fn parse_hincr_increment(incr: &[u8]) -> Result<LongDouble, &'static str> {
    let by = LongDouble::parse(incr).ok_or(ERR_NOT_FLOAT)?;
    if !by.is_finite() {
        return Err("ERR value is NaN or Infinity");
    }
    Ok(by)
}

/// HINCRBYFLOAT's arithmetic once the hash is found: `current` is the field's value (`None` when
/// absent, read as 0). Returns the text to store, reply and propagate (as HSET), or the error.
pub fn hincr_by_float(current: Option<&[u8]>, by: LongDouble) -> Result<String, &'static str> {
    let cur = match current {
        None => LongDouble::ZERO,
        Some(s) => LongDouble::parse(s).ok_or("ERR hash value is not a float")?,
    };
    let sum = cur + by;
    if !sum.is_finite() {
        return Err(ERR_INCR_NAN_OR_INF);
    }
    Ok(sum.format_human())
}

/// `string2ld` converted to the nearest double: the same acceptance rules as
/// [`LongDouble::parse`]; values beyond the double range come back as ±inf. Lossy by nature —
/// for INCRBYFLOAT arithmetic use [`incr_by_float`] / [`LongDouble`].
pub fn parse_long_double(s: &[u8]) -> Option<f64> {
    LongDouble::parse(s).map(|v| v.to_f64())
}

/// Best effort `ld2string(LD_STR_HUMAN)` for a value that only exists as a double: the double's
/// shortest round-trip decimal is read as a long double and printed the human way, so `0.1` prints
/// `0.1` (not the 0.1000000000000000055… the double really holds). Exact Redis output needs the
/// computation done in [`LongDouble`] ([`incr_by_float`]); e.g. Redis answers `0.3` for
/// `0.1 + 0.2`, which in doubles is `0.30000000000000004`.
pub fn format_human_double(x: f64) -> String {
    if !x.is_finite() {
        return LongDouble::from_f64(x).format_human();
    }
    let text = format!("{x:e}");
    LongDouble::parse(text.as_bytes())
        .unwrap_or_else(|| LongDouble::from_f64(x))
        .format_human()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ZADD k <text> m` then `ZSCORE k m` on redis-server 7.0.15 (skiplist encoding).
    const SCORE_TEXT: &[(&[u8], &str)] = &[
        (b"0.1", "0.10000000000000001"),
        (b"1", "1"),
        (b"-1", "-1"),
        (b"0", "0"),
        (b"-0", "-0"),
        (b"inf", "inf"),
        (b"-inf", "-inf"),
        (b"1e16", "10000000000000000"),
        (b"1e17", "1e+17"),
        (b"123456789012345678", "1.2345678901234568e+17"),
        (b"0.000123", "0.00012300000000000001"),
        (b"0.0000123", "1.2300000000000001e-05"),
        (b"5e-324", "4.9406564584124654e-324"),
        (b"1.7976931348623157e308", "1.7976931348623157e+308"),
        (b"3.14159", "3.1415899999999999"),
        (b"-2.5", "-2.5"),
        (b"1e-5", "1.0000000000000001e-05"),
        (b"1.5e300", "1.5000000000000001e+300"),
        (b"100", "100"),
        (b"1234567.125", "1234567.125"),
        (b"0.500003814697265625", "0.50000381469726562"),
        (b"9007199254740993", "9007199254740992"),
        (b"99999999999999999", "1e+17"),
        (b"1e21", "1e+21"),
        (b"12345678901234567890", "1.2345678901234567e+19"),
        (b"0.3", "0.29999999999999999"),
        (b"2.2250738585072014e-308", "2.2250738585072014e-308"),
        (b"0.0001", "0.0001"),
        (b"0.00001", "1.0000000000000001e-05"),
        (b"123.456", "123.456"),
        (b"-1e-7", "-9.9999999999999995e-08"),
        (b"4.35", "4.3499999999999996"),
        (b"1e15", "1000000000000000"),
        (b"-123456789.98765432", "-123456789.98765431"),
        (b"1e-300", "1e-300"),
        (b"0.1e1", "1"),
        (b"7e22", "7.0000000000000004e+22"),
        (b"2.5e-5", "2.5000000000000001e-05"),
        (b"1099511627776.5", "1099511627776.5"),
        (b"0x1.fffffffffffffp1023", "1.7976931348623157e+308"),
        (b"0x10", "16"),
        (b"-0x1p-3", "-0.125"),
        (b"1e+308", "1e+308"),
        (b"4.9e-324", "4.9406564584124654e-324"),
        (b"0.30000000000000004", "0.30000000000000004"),
        (b"1.0000000000000002", "1.0000000000000002"),
        (b"9.999999999999999e22", "9.9999999999999992e+22"),
        (b"1e23", "9.9999999999999992e+22"),
        (b"8.5", "8.5"),
        (b"-0.0", "-0"),
    ];

    /// `ZADD k <text> m` on redis-server 7.0.15: `None` = "ERR value is not a valid float",
    /// otherwise what ZSCORE then answered.
    const SCORE_PARSE: &[(&[u8], Option<&str>)] = &[
        (b"1e400", None),
        (b"-1e400", None),
        (b"1e-400", None),
        (b"1e-320", Some("9.9998886718268301e-321")),
        (b"2e-324", None),
        (b"3e-324", Some("4.9406564584124654e-324")),
        (b"0x10", Some("16")),
        (b"0x1.8p1", Some("3")),
        (b"0x1p-1080", None),
        (b"0x1p-1074", Some("4.9406564584124654e-324")),
        (b"0x1p-1075", None),
        (b"0x1.8p-1075", Some("4.9406564584124654e-324")),
        (b"0x", None),
        (b"0x.", None),
        (b"0x.8", Some("0.5")),
        (b"0X1P3", Some("8")),
        (b"0x1p", None),
        (b"0x1p+", None),
        (b"1e", None),
        (b"1e+", None),
        (b"INF", Some("inf")),
        (b"-Infinity", Some("-inf")),
        (b"+inf", Some("inf")),
        (b"iNfInItY", Some("inf")),
        (b"infinit", None),
        (b"nan", None),
        (b"NaN", None),
        (b"-nan", None),
        (b"nan(123)", None),
        (b" 1", None),
        (b"1 ", None),
        (b"\x091", None),
        (b"", None),
        (b"+", None),
        (b".", None),
        (b".5", Some("0.5")),
        (b"5.", Some("5")),
        (b"-.5e-3", Some("-0.00050000000000000001")),
        (b"+-1", None),
        (b"1_0", None),
        (b"1,5", None),
        (b"00012", Some("12")),
        (b"1e5", Some("100000")),
        (b"1E+5", Some("100000")),
        (b"+0", Some("0")),
        (b"0e999999", Some("0")),
        (b"1e-999999999999999999999", None),
        (b"1e999999999999999999999", None),
        (
            b"0.0000000000000000000000000000000000000000000000000000000000001e60",
            Some("0.10000000000000001"),
        ),
        (b"1\x00", None),
        (b"0x1p1024", None),
        (
            b"0xfffffffffffffffffffffffffffffffffffp0",
            Some("1.3937965749081639e+42"),
        ),
        (b"0x1.00000000000008p0", Some("1")),
        (b"0x1.000000000000080000001p0", Some("1.0000000000000002")),
        (b"-0x0p0", Some("-0")),
        (b"123abc", None),
        (b"12e3.5", None),
    ];

    /// `SET k <a>` (or DEL k for None) then `INCRBYFLOAT k <b>` on redis-server 7.0.15.
    type IncrCase = (
        Option<&'static [u8]>,
        &'static [u8],
        Result<&'static str, &'static str>,
    );
    const INCRBYFLOAT: &[IncrCase] = &[
        (None, b"0.1", Ok("0.1")),
        (Some(b"10.5"), b"0.1", Ok("10.6")),
        (Some(b"0.1"), b"0.2", Ok("0.3")),
        (Some(b"0"), b"1e300", Ok("1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144")),
        (Some(b"0"), b"1e-20", Ok("0")),
        (Some(b"0"), b"0.000003814697265625", Ok("0.00000381469726562")),
        (Some(b"5"), b"-5", Ok("0")),
        (Some(b"-0"), b"0", Ok("0")),
        (None, b"-0", Ok("0")),
        (Some(b"1.5"), b"inf", Err("ERR increment would produce NaN or Infinity")),
        (Some(b"abc"), b"1", Err("ERR value is not a valid float")),
        (Some(b"3"), b"1 ", Err("ERR value is not a valid float")),
        (Some(b"3"), b" 1", Err("ERR value is not a valid float")),
        (Some(b"0"), b"1e5000", Err("ERR value is not a valid float")),
        (Some(b"0"), b"1e-5000", Err("ERR value is not a valid float")),
        (Some(b"0"), b"1e-4940", Ok("0")),
        (Some(b"0"), b"0x1p10", Ok("1024")),
        (Some(b"0"), b"-1.5", Ok("-1.5")),
        (Some(b"1e308"), b"1e308", Ok("199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096")),
        (Some(b"0"), b"3.0000000000000004", Ok("3.0000000000000004")),
        (Some(b"0"), b"1.23456789012345678901234567890", Ok("1.23456789012345679")),
        (Some(b"1"), b"1e-17", Ok("1.00000000000000001")),
        (Some(b"1"), b"1e-18", Ok("1")),
        (Some(b"0"), b"-1e-18", Ok("0")),
        (Some(b"0"), b"123456789.123456789", Ok("123456789.12345678899873747")),
        (Some(b"0"), b"1.7976931348623157e308", Ok("179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384")),
        (Some(b"0"), b"99999999999999999999", Ok("100000000000000000000")),
        (Some(b"0"), b"0.00000000000000001", Ok("0.00000000000000001")),
        (Some(b"0"), b"0.000000000000000005", Ok("0")),
        (Some(b"0"), b"0.000000000000000015", Ok("0.00000000000000002")),
        (Some(b"0"), b"nan", Err("ERR value is not a valid float")),
        (Some(b"0"), b"infinity", Err("ERR increment would produce NaN or Infinity")),
        (Some(b""), b"1", Err("ERR value is not a valid float")),
        (Some(b"1e20"), b"-0.1", Ok("100000000000000000000")),
        (Some(b"3.0"), b"1.0", Ok("4")),
        (Some(b"1e17"), b"1", Ok("100000000000000001")),
        (Some(b"0"), b"18446744073709551617", Ok("18446744073709551616")),
        (Some(b"-5"), b"2.25", Ok("-2.75")),
        (Some(b"0"), b"0x1.8p-1", Ok("0.75")),
        (Some(b"12345678901234567890"), b"0.5", Ok("12345678901234567890")),
        (Some(b"0.5"), b"0.25", Ok("0.75")),
        (Some(b"100"), b"-100.5", Ok("-0.5")),
        (Some(b"1"), b"-1", Ok("0")),
        (Some(b"7"), b"1e-300", Ok("7")),
        (Some(b"0"), b"1e-16", Ok("0.0000000000000001")),
        (Some(b"0"), b"-inf", Err("ERR increment would produce NaN or Infinity")),
        (Some(b"0"), b"1.1", Ok("1.1")),
        (Some(b"1.1"), b"2.2", Ok("3.3")),
        (Some(b"0"), b"2e-4951", Ok("0")),
        (Some(b"0"), b"4e-4951", Ok("0")),
        (Some(b"0"), b"1.19e4932", Err("ERR value is not a valid float")),
        (Some(b"1e4932"), b"1e4932", Err("ERR increment would produce NaN or Infinity")),
    ];

    /// FNV-1a 64 of a string, to compare multi-kilobyte replies exactly.
    fn fnv(s: &str) -> u64 {
        s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }

    #[test]
    fn score_formatting_matches_redis() {
        for &(text, want) in SCORE_TEXT {
            let v = parse_score(text).unwrap_or(f64::NAN);
            assert_eq!(format_score(v), want, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn score_parsing_matches_redis() {
        for &(text, want) in SCORE_PARSE {
            let got = parse_score(text).map(format_score);
            assert_eq!(got.as_deref(), want, "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn incrbyfloat_matches_redis() {
        for &(cur, by, want) in INCRBYFLOAT {
            let got = incr_by_float(cur, by).map_err(|e| e.message());
            assert_eq!(
                got,
                want.map(str::to_string),
                "{cur:?} + {:?}",
                String::from_utf8_lossy(by)
            );
        }
    }

    #[test]
    fn incrbyfloat_huge_results_match_redis() {
        // (increment on "0", length, FNV-1a of the reply) from redis-server 7.0.15.
        let cases: &[(&[u8], usize, u64)] = &[
            (b"1e4000", 4000, 0x6c79_f17f_2247_1934),
            (b"1.18973149535723176502e+4932", 4933, 0x142a_c37b_8a61_dfe2),
            (b"-1e4000", 4001, 0xc9f6_2200_87eb_afa5),
        ];
        for &(by, len, hash) in cases {
            let got = incr_by_float(Some(b"0"), by).unwrap_or_default();
            assert_eq!(
                (got.len(), fnv(&got)),
                (len, hash),
                "{}",
                String::from_utf8_lossy(by)
            );
        }
        // The largest long double printed and read back: a 4933-digit string parses again.
        let max = incr_by_float(Some(b"0"), b"1.18973149535723176502e+4932").unwrap_or_default();
        assert_eq!(
            incr_by_float(Some(max.as_bytes()), b"-1.18973149535723176502e+4932").as_deref(),
            Ok("0")
        );
        assert_eq!(
            incr_by_float(Some(max.as_bytes()), b"1e4916"),
            Err(IncrFloatError::NanOrInfinity)
        );
    }

    #[test]
    fn incrbyfloat_chains_match_redis() {
        let mut cur: Option<String> = None;
        let mut got = Vec::new();
        for _ in 0..12 {
            let next = incr_by_float(cur.as_deref().map(str::as_bytes), b"0.1").unwrap_or_default();
            got.push(next.clone());
            cur = Some(next);
        }
        assert_eq!(
            got,
            ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1", "1.1", "1.2"]
        );
        let mut cur = "1".to_string();
        let mut got = Vec::new();
        for _ in 0..6 {
            cur = incr_by_float(Some(cur.as_bytes()), b"-0.3").unwrap_or_default();
            got.push(cur.clone());
        }
        assert_eq!(got, ["0.7", "0.4", "0.1", "-0.2", "-0.5", "-0.8"]);
    }

    #[test]
    fn long_double_length_limit_matches_redis() {
        // 5119 bytes is the longest string2ld accepts; Redis: "1" then "not a valid float".
        let ok = format!("{}1", "0".repeat(5118));
        assert_eq!(incr_by_float(Some(b"0"), ok.as_bytes()).as_deref(), Ok("1"));
        let long = format!("0{ok}");
        assert_eq!(
            incr_by_float(Some(b"0"), long.as_bytes()),
            Err(IncrFloatError::NotFloat)
        );
    }

    #[test]
    fn strtod_prefix_stops_like_c() {
        let r = strtod_prefix(b"  12.5e1xyz");
        assert_eq!((r.value, r.end, r.range_error), (125.0, 8, false));
        assert_eq!(strtod_prefix(b"0x").end, 1);
        assert_eq!(strtod_prefix(b"1e+").end, 1);
        assert_eq!(strtod_prefix(b"infinit").end, 3);
        assert_eq!(strtod_prefix(b"nan(abc)x").end, 8);
        assert_eq!(strtod_prefix(b"abc").end, 0);
        assert!(strtod_prefix(b"1e999").range_error);
    }

    #[test]
    fn long_double_round_trips_doubles() {
        let mut x: u64 = 0x0123_4567_89ab_cdef;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_nan() {
                continue;
            }
            assert_eq!(LongDouble::from_f64(f).to_f64().to_bits(), f.to_bits());
            // Shortest decimal text of a double parses back to it.
            let text = format!("{f:e}");
            if f.is_finite() {
                assert_eq!(
                    parse_score(text.as_bytes()).map(f64::to_bits),
                    Some(f.to_bits()),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn hincrbyfloat_matches_redis() {
        // redis-server 7.0.15: HINCRBYFLOAT h f 0.1 -> "0.1"; HINCRBYFLOAT h f inf -> "ERR value is
        // NaN or Infinity"; HSET h g x; HINCRBYFLOAT h g 1 -> "ERR hash value is not a float";
        // HINCRBYFLOAT h f abc -> "ERR value is not a valid float".
        let by = parse_hincr_increment(b"0.1").unwrap_or(LongDouble::ZERO);
        assert_eq!(hincr_by_float(None, by).as_deref(), Ok("0.1"));
        assert_eq!(
            parse_hincr_increment(b"inf"),
            Err("ERR value is NaN or Infinity")
        );
        let one = parse_hincr_increment(b"1").unwrap_or(LongDouble::ZERO);
        assert_eq!(
            hincr_by_float(Some(b"x"), one),
            Err("ERR hash value is not a float")
        );
        assert_eq!(parse_hincr_increment(b"abc"), Err(ERR_NOT_FLOAT));
    }

    #[test]
    fn human_double_for_f64_callers() {
        // What Redis prints for these values typed by a user (INCRBYFLOAT on a missing key).
        assert_eq!(format_human_double(0.1), "0.1");
        assert_eq!(format_human_double(10.6), "10.6");
        assert_eq!(format_human_double(-1.5), "-1.5");
        assert_eq!(format_human_double(1e-20), "0");
        assert_eq!(format_human_double(-0.0), "0");
        assert_eq!(format_human_double(1024.0), "1024");
        assert_eq!(parse_long_double(b"0x1p10"), Some(1024.0));
        assert_eq!(parse_long_double(b"1e4000"), Some(f64::INFINITY));
        assert_eq!(parse_long_double(b" 1"), None);
    }
}
