//! DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis 7.0's dataset digest (`computeDatasetDigest` /
//! `xorObjectDigest` in debug.c), bit for bit, so a dataset can be compared across Redoubt and
//! redis-server.
//!
//! Two primitives over SHA1: `xor` folds SHA1(data) into the digest (order-independent, used for
//! unordered things: keys of a db, set members, hash fields, zset elements) and `mix` does
//! `digest = SHA1(digest xor SHA1(data))` (order-dependent: list elements, a key then its value).
//! A key's digest is mix(key), mix(type as big-endian u32), the value's elements, then
//! xor("!!expire!!") if it has a TTL (the time itself is not hashed). Zset scores are hashed as
//! C's `%.17g` text; hash fields as mix(field), mix(value) into a per-field digest xored in;
//! stream entries in ID order as mix("ms.seq") then mix(field), mix(value) (groups do not count).

use crate::server::State;
use crate::types::stream::StreamId;
use crate::types::Value;
use sha1::{Digest, Sha1};

/// A 20-byte digest.
pub type Sha = [u8; 20];

fn xor_digest(d: &mut Sha, data: &[u8]) {
    let h = Sha1::digest(data);
    for (a, b) in d.iter_mut().zip(h.iter()) {
        *a ^= b;
    }
}

fn mix_digest(d: &mut Sha, data: &[u8]) {
    xor_digest(d, data);
    *d = Sha1::digest(&d[..]).into();
}

/// Redis's object type numbers (`OBJ_STRING` …), which enter the digest.
fn type_code(v: &Value) -> u32 {
    match v {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// C's `printf("%.17g", x)`, as Redis formats zset scores for the digest.
pub fn format_g17(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{x:.16e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    fn trim(s: &str) -> &str {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            s
        }
    }
    if !(-4..17).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let fixed = format!("{x:.*}", (16 - exp) as usize);
        trim(&fixed).to_string()
    }
}

/// Folds one value (and whether its key has a TTL) into `d`, as `xorObjectDigest` does.
pub fn mix_value(d: &mut Sha, v: &Value, has_expire: bool) {
    mix_digest(d, &type_code(v).to_be_bytes());
    match v {
        Value::Str(s) => mix_digest(d, s.as_bytes()),
        Value::List(l) => {
            for e in l.iter() {
                mix_digest(d, e);
            }
        }
        Value::Set(s) => {
            for m in s.members() {
                xor_digest(d, &m);
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, m);
                mix_digest(&mut ele, format_g17(score).as_bytes());
                xor_digest(d, &ele);
            }
        }
        Value::Hash(h) => {
            for (f, val) in h.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, f);
                mix_digest(&mut ele, val);
                xor_digest(d, &ele);
            }
        }
        Value::Stream(st) => {
            let (first, last) = (
                StreamId { ms: 0, seq: 0 },
                StreamId {
                    ms: u64::MAX,
                    seq: u64::MAX,
                },
            );
            st.range_visit(first, last, false, 0, |id, pairs| {
                mix_digest(d, format!("{}.{}", id.ms, id.seq).as_bytes());
                for (f, v) in pairs {
                    mix_digest(d, &f.to_vec());
                    mix_digest(d, &v.to_vec());
                }
            });
        }
    }
    if has_expire {
        xor_digest(d, b"!!expire!!");
    }
}

/// DEBUG DIGEST-VALUE for one key of `db`: zeros when the key does not exist (logically expired
/// keys still count, as in Redis).
pub fn key_digest(st: &State, db: usize, key: &[u8]) -> Sha {
    let mut d = [0u8; 20];
    if let Some(e) = st.dbs.get(db).and_then(|x| x.keys.get(key)) {
        mix_value(&mut d, &e.value, st.dbs[db].expire_at(key).is_some());
    }
    d
}

/// DEBUG DIGEST: the digest of every key of every db (zeros for an empty dataset).
pub fn dataset_digest(st: &State) -> Sha {
    let mut fin = [0u8; 20];
    for (i, db) in st.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(i as u32).to_be_bytes());
        for (key, e) in db.keys.iter() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, key);
            mix_value(&mut d, &e.value, db.expire_at(key).is_some());
            xor_digest(&mut fin, &d);
        }
    }
    fin
}

/// A digest as the 40 lowercase hex digits DEBUG replies with.
pub fn hex(d: &Sha) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17_matches_printf() {
        // Expected texts from C's printf("%.17g") (glibc), as redis-server formats scores.
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (-2.25, "-2.25"),
            (1e17, "1e+17"),
            (12345678901234567.0, "12345678901234568"),
            (1e-5, "1.0000000000000001e-05"),
            (0.0001, "0.0001"),
            (1.2345, "1.2344999999999999"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "-0"),
            (1e300, "1.0000000000000001e+300"),
        ];
        for (x, want) in cases {
            assert_eq!(format_g17(*x), *want, "{x}");
        }
    }
}
