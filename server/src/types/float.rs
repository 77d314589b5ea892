//! TEMPORARY placeholder until the float module lands.
pub fn parse_long_double(s: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(s).ok()?;
    if t.is_empty() || t.trim() != t { return None; }
    let v: f64 = t.parse().ok()?;
    if v.is_nan() { None } else { Some(v) }
}
pub fn parse_score(s: &[u8]) -> Option<f64> { parse_long_double(s) }
pub fn format_human_double(v: f64) -> String { format!("{}", v) }
