//! Command handlers, one module per family, and the argument parsing they share.
//!
//! Each family exposes `HANDLERS`, a list of (full command name, handler); [`handlers`] joins them for
//! the command table. Argument helpers return Redis's exact error replies.

pub mod bitmaps;
pub mod connection;
pub mod dump;
pub mod hashes;
pub mod hyperloglog;
pub mod keys;
pub mod lists;
pub mod persistence;
pub mod pubsub;
pub mod server;
pub mod sets;
pub mod stream_groups;
pub mod stream_info;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;

use crate::command::Handler;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use bytes::Bytes;

/// Every (name, handler) pair of every family.
pub fn handlers() -> Vec<(&'static str, Handler)> {
    let mut all = Vec::new();
    for family in [
        connection::HANDLERS,
        dump::HANDLERS,
        persistence::HANDLERS,
        server::HANDLERS,
        keys::HANDLERS,
        strings::HANDLERS,
        bitmaps::HANDLERS,
        lists::HANDLERS,
        hashes::HANDLERS,
        sets::HANDLERS,
        zsets::HANDLERS,
        streams::HANDLERS,
        stream_groups::HANDLERS,
        stream_info::HANDLERS,
        hyperloglog::HANDLERS,
        transactions::HANDLERS,
        pubsub::HANDLERS,
        crate::replication::master::HANDLERS,
        crate::replication::replica::HANDLERS,
    ] {
        all.extend_from_slice(family);
    }
    all
}

pub const ERR_NOT_INT: &str = "ERR value is not an integer or out of range";
pub const ERR_NOT_FLOAT: &str = "ERR value is not a valid float";
pub const ERR_SYNTAX: &str = "ERR syntax error";

pub fn syntax_error() -> Reply {
    Reply::err(ERR_SYNTAX)
}

/// An integer argument, or Redis's "not an integer" error.
pub fn int_arg(a: &[u8]) -> Result<i64, Reply> {
    parse_int(a).ok_or_else(|| Reply::err(ERR_NOT_INT))
}

/// A non-negative integer argument with a custom error (e.g. "ERR value is out of range, must be positive").
pub fn positive_arg(a: &[u8], err: &str) -> Result<i64, Reply> {
    match parse_int(a) {
        Some(n) if n >= 0 => Ok(n),
        Some(_) => Err(Reply::err(err)),
        None => Err(Reply::err(ERR_NOT_INT)),
    }
}

/// A float argument the way Redis's `getDoubleFromObject` parses it (`inf` allowed, NaN not).
pub fn float_arg(a: &[u8]) -> Result<f64, Reply> {
    crate::types::float::parse_score(a).ok_or_else(|| Reply::err(ERR_NOT_FLOAT))
}

/// Case-insensitive comparison of an argument with a keyword.
pub fn is(a: &[u8], kw: &str) -> bool {
    a.eq_ignore_ascii_case(kw.as_bytes())
}

/// The argument as lossy UTF-8 text (for error messages and names).
pub fn text(a: &[u8]) -> String {
    String::from_utf8_lossy(a).into_owned()
}

/// A blocking command's timeout in seconds (fractions allowed) → absolute deadline in ms, or `None`
/// for 0 (wait forever).
pub fn timeout_arg(a: &[u8], now_ms: i64) -> Result<Option<i64>, Reply> {
    let s = std::str::from_utf8(a)
        .map_err(|_| Reply::err("ERR timeout is not a float or out of range"))?;
    if s.is_empty() || s.trim() != s {
        return Err(Reply::err("ERR timeout is not a float or out of range"));
    }
    let Some(secs) = crate::types::float::LongDouble::parse(a).map(|v| v.to_f64()) else {
        return Err(Reply::err("ERR timeout is not a float or out of range"));
    };
    // Redis converts `ceill(secs * 1000)` to a long long: anything past its range (inf included)
    // comes out negative there, and so is refused as negative here.
    let ms = (secs * 1000.0).ceil();
    if ms < 0.0 || ms >= i64::MAX as f64 || ms.is_nan() {
        return Err(Reply::err("ERR timeout is negative"));
    }
    let ms = ms as i64;
    Ok(if ms == 0 { None } else { Some(now_ms + ms) })
}

/// Array of bulk strings.
pub fn bulk_array<I, B>(items: I) -> Reply
where
    I: IntoIterator<Item = B>,
    B: AsRef<[u8]>,
{
    Reply::Array(items.into_iter().map(|b| Reply::bulk(b)).collect())
}

/// The largest |count| HRANDFIELD/SRANDMEMBER/ZRANDMEMBER accept with repetitions; Redis has no
/// limit and would build a reply of any size, we refuse past this.
pub const MAX_RANDOM_PICKS: u64 = 10_000_000;

/// What the RANDMEMBER-style commands pick for a count: a negative count is that many picks with
/// repetition, a count of at least the size is everything (in order), otherwise that many distinct
/// items. `items` must not be empty.
pub fn pick_random<T: Clone>(mut items: Vec<T>, count: i64, rng: &mut impl rand::Rng) -> Vec<T> {
    use rand::seq::SliceRandom;
    if count < 0 {
        let n = count.unsigned_abs().min(MAX_RANDOM_PICKS);
        return (0..n)
            .map(|_| items[rng.gen_range(0..items.len())].clone())
            .collect();
    }
    if count as usize >= items.len() {
        return items;
    }
    items.shuffle(rng);
    items.truncate(count as usize);
    items
}

/// Shorthand for a `Bytes` argument's owned copy.
pub fn owned(a: &Bytes) -> Bytes {
    a.clone()
}
