//! Sorted set commands.
//!
//! Every range query is answered through ranks: a score or lex range is first turned into the span
//! of ranks it covers ([`SortedSet::score_span`], [`SortedSet::lex_span`]), and REV, LIMIT, counting
//! and removal are then plain rank arithmetic.

use super::keys::{parse_cursor, parse_scan_options};
use super::{is, syntax_error, timeout_arg, ERR_NOT_INT};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::float::parse_score;
use crate::types::zset::{LexRange, ScoreRange, ZSet as SortedSet, ZSetLimits};
use crate::types::Value;
use bytes::Bytes;
use rand::Rng;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("zadd", zadd),
    ("zincrby", zincrby),
    ("zrem", zrem),
    ("zcard", zcard),
    ("zscore", zscore),
    ("zmscore", zmscore),
    ("zrank", zrank),
    ("zrevrank", zrevrank),
    ("zcount", zcount),
    ("zlexcount", zlexcount),
    ("zrange", zrange),
    ("zrangestore", zrangestore),
    ("zrevrange", zrevrange),
    ("zrangebyscore", zrangebyscore),
    ("zrevrangebyscore", zrevrangebyscore),
    ("zrangebylex", zrangebylex),
    ("zrevrangebylex", zrevrangebylex),
    ("zremrangebyrank", zremrangebyrank),
    ("zremrangebyscore", zremrangebyscore),
    ("zremrangebylex", zremrangebylex),
    ("zpopmin", zpopmin),
    ("zpopmax", zpopmax),
    ("bzpopmin", bzpopmin),
    ("bzpopmax", bzpopmax),
    ("zmpop", zmpop),
    ("bzmpop", bzmpop),
    ("zrandmember", zrandmember),
    ("zscan", zscan),
    ("zunion", zunion),
    ("zunionstore", zunionstore),
    ("zinter", zinter),
    ("zinterstore", zinterstore),
    ("zintercard", zintercard),
    ("zdiff", zdiff),
    ("zdiffstore", zdiffstore),
];

const ERR_MIN_MAX_FLOAT: &str = "ERR min or max is not a float";
const ERR_MIN_MAX_LEX: &str = "ERR min or max not valid string range item";

fn limits(ctx: &Ctx) -> ZSetLimits {
    ZSetLimits {
        max_listpack_entries: ctx.tunables().zset_max_entries,
        max_listpack_value: ctx.tunables().zset_max_value,
    }
}

/// Rank arithmetic over a sorted set, the one shape every range command is answered in.
trait Ranks {
    /// Inclusive span of ascending ranks whose scores fall in `r`.
    fn score_span(&self, r: &ScoreRange) -> Option<(usize, usize)>;
    /// Inclusive span of ascending ranks whose members fall in `r` (ZLEXCOUNT's first..last).
    fn lex_span(&self, r: &LexRange) -> Option<(usize, usize)>;
    /// The ranks a lex range query visits: from the first member in range forward while members
    /// are <= max (or, `rev`, from the last backward while >= min), as Redis walks its skiplist.
    /// Differs from [`Ranks::lex_span`] only when members of different scores are mixed.
    fn lex_walk(&self, r: &LexRange, rev: bool) -> Option<(usize, usize)>;
    /// Members and scores of ascending ranks `s..=e`.
    fn range(&self, s: usize, e: usize) -> Vec<(Vec<u8>, f64)>;
    fn remove_ranks(&mut self, s: usize, e: usize) -> usize;
    /// One ZSCAN step: the whole set at once (cursor 0), which keeps SCAN's guarantee trivially.
    fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(Vec<u8>, f64)>);
}

impl Ranks for SortedSet {
    fn score_span(&self, r: &ScoreRange) -> Option<(usize, usize)> {
        match (self.first_in_range(r), self.last_in_range(r)) {
            (Some(a), Some(b)) if b >= a => Some((a, b)),
            _ => None,
        }
    }
    fn lex_span(&self, r: &LexRange) -> Option<(usize, usize)> {
        match (self.first_in_lex_range(r), self.last_in_lex_range(r)) {
            (Some(a), Some(b)) if b >= a => Some((a, b)),
            _ => None,
        }
    }
    fn lex_walk(&self, r: &LexRange, rev: bool) -> Option<(usize, usize)> {
        if rev {
            let hi = self.last_in_lex_range(r)?;
            let run = self
                .iter_from(hi, true)
                .take_while(|(m, _)| r.gte_min(m))
                .count();
            Some((hi + 1 - run.max(1), hi))
        } else {
            let lo = self.first_in_lex_range(r)?;
            let run = self
                .iter_from(lo, false)
                .take_while(|(m, _)| r.lte_max(m))
                .count();
            Some((lo, lo + run.max(1) - 1))
        }
    }
    fn range(&self, s: usize, e: usize) -> Vec<(Vec<u8>, f64)> {
        self.range_by_rank(s, e, false)
            .map(|(m, sc)| (m.to_vec(), sc))
            .collect()
    }
    fn remove_ranks(&mut self, s: usize, e: usize) -> usize {
        self.remove_range_by_rank(s, e)
    }
    fn scan(&self, _cursor: u64, _count: usize) -> (u64, Vec<(Vec<u8>, f64)>) {
        (0, self.iter().map(|(m, sc)| (m.to_vec(), sc)).collect())
    }
}

fn zset_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c SortedSet>, Reply> {
    match ctx.read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(wrong_type()),
    }
}

fn zset_write<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut SortedSet>, Reply> {
    match ctx.write(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(std::sync::Arc::make_mut(z))),
        Some(_) => Err(wrong_type()),
    }
}

/// Member/score pairs as Redis replies them: flat in RESP2, nested pairs in RESP3.
fn pairs_reply(items: Vec<(Vec<u8>, f64)>, withscores: bool, resp: u8) -> Reply {
    let mut out = Vec::with_capacity(items.len() * if withscores { 2 } else { 1 });
    for (m, s) in items {
        if !withscores {
            out.push(Reply::bulk(m));
        } else if resp >= 3 {
            out.push(Reply::Array(vec![Reply::bulk(m), Reply::Double(s)]));
        } else {
            out.push(Reply::bulk(m));
            out.push(Reply::Double(s));
        }
    }
    Reply::Array(out)
}

fn zadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (mut nx, mut xx, mut ch, mut incr, mut gt, mut lt) =
        (false, false, false, false, false, false);
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if is(a, "NX") {
            nx = true;
        } else if is(a, "XX") {
            xx = true;
        } else if is(a, "CH") {
            ch = true;
        } else if is(a, "INCR") {
            incr = true;
        } else if is(a, "GT") {
            gt = true;
        } else if is(a, "LT") {
            lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = &args[i..];
    if elements.is_empty() || !elements.len().is_multiple_of(2) {
        return syntax_error();
    }
    if nx && xx {
        return Reply::err("ERR XX and NX options at the same time are not compatible");
    }
    if ((gt || lt) && nx) || (gt && lt) {
        return Reply::err("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if incr && elements.len() > 2 {
        return Reply::err("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(elements.len() / 2);
    for pair in elements.chunks(2) {
        match parse_score(&pair[0]) {
            Some(s) => scores.push(s),
            None => return Reply::err("ERR value is not a valid float"),
        }
    }
    let key = &args[1];
    let l = limits(ctx);
    match zset_write(ctx, key) {
        Ok(Some(_)) => {}
        Ok(None) => {
            if xx {
                return if incr { Reply::Null } else { Reply::Int(0) };
            }
            ctx.add_key(
                key,
                Value::ZSet(std::sync::Arc::new(SortedSet::for_first_member(
                    elements[1].len(),
                    l,
                ))),
            );
        }
        Err(e) => return e,
    }
    let Ok(Some(z)) = zset_write(ctx, key) else {
        return wrong_type();
    };
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut incr_result = None;
    for (pair, &score) in elements.chunks(2).zip(&scores) {
        let member = &pair[1];
        match z.score(member) {
            Some(cur) => {
                if nx {
                    continue;
                }
                let mut new = score;
                if incr {
                    new = cur + score;
                    if new.is_nan() {
                        return Reply::err("ERR resulting score is not a number (NaN)");
                    }
                }
                if (gt && new <= cur) || (lt && new >= cur) {
                    continue;
                }
                processed += 1;
                incr_result = Some(new);
                if new != cur {
                    z.insert(member, new, l);
                    updated += 1;
                }
            }
            None => {
                if xx {
                    continue;
                }
                z.insert(member, score, l);
                added += 1;
                processed += 1;
                incr_result = Some(score);
            }
        }
    }
    let empty = z.is_empty();
    if empty {
        // Only possible when the key was just created and nothing was added.
        ctx.delete_if_empty(key);
    }
    if added + updated > 0 {
        ctx.signal_ready(key);
        ctx.modified(key, notify::ZSET, if incr { "zincr" } else { "zadd" });
    }
    if incr {
        if processed > 0 {
            incr_result.map(Reply::Double).unwrap_or(Reply::Null)
        } else {
            Reply::Null
        }
    } else {
        Reply::Int(if ch { added + updated } else { added })
    }
}

fn zincrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(by) = parse_score(&args[2]) else {
        return Reply::err("ERR value is not a valid float");
    };
    let key = &args[1];
    let l = limits(ctx);
    match zset_write(ctx, key) {
        Ok(Some(_)) => {}
        Ok(None) => ctx.add_key(
            key,
            Value::ZSet(std::sync::Arc::new(SortedSet::for_first_member(
                args[3].len(),
                l,
            ))),
        ),
        Err(e) => return e,
    }
    let Ok(Some(z)) = zset_write(ctx, key) else {
        return wrong_type();
    };
    let new = z.score(&args[3]).map(|c| c + by).unwrap_or(by);
    if new.is_nan() {
        ctx.delete_if_empty(key);
        return Reply::err("ERR resulting score is not a number (NaN)");
    }
    z.insert(&args[3], new, l);
    ctx.signal_ready(key);
    ctx.modified(key, notify::ZSET, "zincr");
    Reply::Double(new)
}

fn zrem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let n = match zset_write(ctx, &args[1]) {
        Ok(Some(z)) => args[2..].iter().filter(|m| z.remove(m).is_some()).count(),
        Ok(None) => 0,
        Err(e) => return e,
    };
    if n > 0 {
        ctx.modified(&args[1], notify::ZSET, "zrem");
        ctx.delete_if_empty(&args[1]);
    }
    Reply::Int(n as i64)
}

fn zcard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match zset_read(ctx, &args[1]) {
        Ok(z) => Reply::Int(z.map(|z| z.len()).unwrap_or(0) as i64),
        Err(e) => e,
    }
}

fn zscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match zset_read(ctx, &args[1]) {
        Ok(z) => z
            .and_then(|z| z.score(&args[2]))
            .map(Reply::Double)
            .unwrap_or(Reply::Null),
        Err(e) => e,
    }
}

fn zmscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match zset_read(ctx, &args[1]) {
        Ok(z) => Reply::Array(
            args[2..]
                .iter()
                .map(|m| {
                    z.and_then(|z| z.score(m))
                        .map(Reply::Double)
                        .unwrap_or(Reply::Null)
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

fn rank_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> Reply {
    match zset_read(ctx, &args[1]) {
        Ok(Some(z)) => match z.rank(&args[2]) {
            Some(r) => Reply::Int(if rev { z.len() - 1 - r } else { r } as i64),
            None => Reply::Null,
        },
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn zrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rank_generic(ctx, args, false)
}
fn zrevrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rank_generic(ctx, args, true)
}

fn zcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(range) = ScoreRange::parse(&args[2], &args[3]).ok() else {
        return Reply::err(ERR_MIN_MAX_FLOAT);
    };
    match zset_read(ctx, &args[1]) {
        Ok(z) => Reply::Int(
            z.and_then(|z| z.score_span(&range))
                .map(|(a, b)| b - a + 1)
                .unwrap_or(0) as i64,
        ),
        Err(e) => e,
    }
}

fn zlexcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(range) = LexRange::parse(&args[2], &args[3]).ok() else {
        return Reply::err(ERR_MIN_MAX_LEX);
    };
    match zset_read(ctx, &args[1]) {
        Ok(z) => Reply::Int(
            z.and_then(|z| z.lex_span(&range))
                .map(|(a, b)| b - a + 1)
                .unwrap_or(0) as i64,
        ),
        Err(e) => e,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed ZRANGE-family request.
struct RangeQuery {
    kind: RangeType,
    rev: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
    start: i64,
    end: i64,
    score: Option<ScoreRange>,
    lex: Option<LexRange>,
}

/// Parses `key min max [BYSCORE|BYLEX] [REV] [LIMIT o c] [WITHSCORES]` starting at the key's index,
/// like Redis's `zrangeGenericCommand`. `kind`/`rev` are preset by the legacy commands.
fn parse_range(
    args: &[Bytes],
    key_idx: usize,
    store: bool,
    kind: RangeType,
    rev: Option<bool>,
) -> Result<RangeQuery, Reply> {
    let mut q = RangeQuery {
        kind,
        rev: rev.unwrap_or(false),
        withscores: false,
        offset: 0,
        limit: -1,
        start: 0,
        end: 0,
        score: None,
        lex: None,
    };
    let mut j = key_idx + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        if !store && is(&args[j], "WITHSCORES") {
            q.withscores = true;
        } else if is(&args[j], "LIMIT") && left >= 2 {
            q.offset = parse_int(&args[j + 1]).ok_or_else(|| Reply::err(ERR_NOT_INT))?;
            q.limit = parse_int(&args[j + 2]).ok_or_else(|| Reply::err(ERR_NOT_INT))?;
            j += 2;
        } else if rev.is_none() && is(&args[j], "REV") {
            q.rev = true;
        } else if q.kind == RangeType::Auto && is(&args[j], "BYLEX") {
            q.kind = RangeType::Lex;
        } else if q.kind == RangeType::Auto && is(&args[j], "BYSCORE") {
            q.kind = RangeType::Score;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    if q.kind == RangeType::Auto {
        q.kind = RangeType::Rank;
    }
    if q.limit != -1 && q.kind == RangeType::Rank {
        return Err(Reply::err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if q.withscores && q.kind == RangeType::Lex {
        return Err(Reply::err(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut min, mut max) = (&args[key_idx + 1], &args[key_idx + 2]);
    if q.rev && q.kind != RangeType::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    match q.kind {
        RangeType::Rank | RangeType::Auto => {
            q.start = parse_int(min).ok_or_else(|| Reply::err(ERR_NOT_INT))?;
            q.end = parse_int(max).ok_or_else(|| Reply::err(ERR_NOT_INT))?;
        }
        RangeType::Score => {
            q.score = Some(ScoreRange::parse(min, max).map_err(|_| Reply::err(ERR_MIN_MAX_FLOAT))?)
        }
        RangeType::Lex => {
            q.lex = Some(LexRange::parse(min, max).map_err(|_| Reply::err(ERR_MIN_MAX_LEX))?)
        }
    }
    Ok(q)
}

/// Runs a range query: the selected members with scores, in reply order.
fn run_range(z: &SortedSet, q: &RangeQuery) -> Vec<(Vec<u8>, f64)> {
    let len = z.len();
    if len == 0 {
        return Vec::new();
    }
    match q.kind {
        RangeType::Rank | RangeType::Auto => {
            let l = len as i64;
            let mut start = if q.start < 0 { l + q.start } else { q.start };
            let mut end = if q.end < 0 { l + q.end } else { q.end };
            if start < 0 {
                start = 0;
            }
            if start > end || start >= l {
                return Vec::new();
            }
            if end >= l {
                end = l - 1;
            }
            let (s, e) = if q.rev {
                ((l - 1 - end) as usize, (l - 1 - start) as usize)
            } else {
                (start as usize, end as usize)
            };
            let mut items = z.range(s, e);
            if q.rev {
                items.reverse();
            }
            items
        }
        RangeType::Score | RangeType::Lex => {
            let span = match q.kind {
                RangeType::Score => q.score.as_ref().and_then(|r| z.score_span(r)),
                _ => q.lex.as_ref().and_then(|r| z.lex_walk(r, q.rev)),
            };
            let Some((lo, hi)) = span else {
                return Vec::new();
            };
            if q.offset < 0 {
                return Vec::new();
            }
            let count = hi - lo + 1;
            let off = q.offset as usize;
            if off >= count {
                return Vec::new();
            }
            let take = if q.limit < 0 {
                count - off
            } else {
                (q.limit as usize).min(count - off)
            };
            if take == 0 {
                return Vec::new();
            }
            if q.rev {
                let e = hi - off;
                let s = e + 1 - take;
                let mut items = z.range(s, e);
                items.reverse();
                items
            } else {
                let s = lo + off;
                z.range(s, s + take - 1)
            }
        }
    }
}

fn range_generic(ctx: &mut Ctx, args: &[Bytes], kind: RangeType, rev: Option<bool>) -> Reply {
    let q = match parse_range(args, 1, false, kind, rev) {
        Ok(q) => q,
        Err(e) => return e,
    };
    let resp = ctx.client.resp;
    match zset_read(ctx, &args[1]) {
        Ok(Some(z)) => pairs_reply(run_range(z, &q), q.withscores, resp),
        Ok(None) => Reply::Array(vec![]),
        Err(e) => e,
    }
}

fn zrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    range_generic(ctx, args, RangeType::Auto, None)
}
fn zrevrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    range_generic(ctx, args, RangeType::Rank, Some(true))
}
fn zrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    range_generic(ctx, args, RangeType::Score, Some(false))
}
fn zrevrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    range_generic(ctx, args, RangeType::Score, Some(true))
}
fn zrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    range_generic(ctx, args, RangeType::Lex, Some(false))
}
fn zrevrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    range_generic(ctx, args, RangeType::Lex, Some(true))
}

/// Stores `items` as a sorted set at `dst` (deleting it when empty) and answers the count.
fn store_result(ctx: &mut Ctx, dst: &Bytes, items: Vec<(Vec<u8>, f64)>, event: &str) -> Reply {
    if items.is_empty() {
        if ctx.delete_key(dst) {
            ctx.modified(dst, notify::GENERIC, "del");
        }
        return Reply::Int(0);
    }
    let l = limits(ctx);
    let mut z = SortedSet::for_length(items.len(), l);
    for (m, s) in &items {
        z.insert(m, *s, l);
    }
    let n = z.len();
    ctx.set_key(dst, Value::ZSet(std::sync::Arc::new(z)), false);
    ctx.modified(dst, notify::ZSET, event);
    Reply::Int(n as i64)
}

fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let q = match parse_range(args, 2, true, RangeType::Auto, None) {
        Ok(q) => q,
        Err(e) => return e,
    };
    let items = match zset_read(ctx, &args[2]) {
        Ok(Some(z)) => run_range(z, &q),
        Ok(None) => Vec::new(),
        Err(e) => return e,
    };
    store_result(ctx, &args[1], items, "zrangestore")
}

fn remrange_generic(ctx: &mut Ctx, args: &[Bytes], kind: RangeType) -> Reply {
    let key = &args[1];
    let (mut start, mut end) = (0i64, 0i64);
    let mut score = None;
    let mut lex = None;
    match kind {
        RangeType::Rank => {
            let (Some(s), Some(e)) = (parse_int(&args[2]), parse_int(&args[3])) else {
                return Reply::err(ERR_NOT_INT);
            };
            start = s;
            end = e;
        }
        RangeType::Score => match ScoreRange::parse(&args[2], &args[3]).ok() {
            Some(r) => score = Some(r),
            None => return Reply::err(ERR_MIN_MAX_FLOAT),
        },
        _ => match LexRange::parse(&args[2], &args[3]).ok() {
            Some(r) => lex = Some(r),
            None => return Reply::err(ERR_MIN_MAX_LEX),
        },
    }
    let removed = match zset_write(ctx, key) {
        Ok(Some(z)) => {
            let span = match kind {
                RangeType::Rank => {
                    let l = z.len() as i64;
                    let s = if start < 0 { (l + start).max(0) } else { start };
                    let e = if end < 0 { l + end } else { end }.min(l - 1);
                    if s > e || s >= l {
                        None
                    } else {
                        Some((s as usize, e as usize))
                    }
                }
                RangeType::Score => score.as_ref().and_then(|r| z.score_span(r)),
                _ => lex.as_ref().and_then(|r| z.lex_walk(r, false)),
            };
            match span {
                Some((s, e)) => z.remove_ranks(s, e),
                None => 0,
            }
        }
        Ok(None) => 0,
        Err(e) => return e,
    };
    if removed > 0 {
        let event = match kind {
            RangeType::Rank => "zremrangebyrank",
            RangeType::Score => "zremrangebyscore",
            _ => "zremrangebylex",
        };
        ctx.modified(key, notify::ZSET, event);
        ctx.delete_if_empty(key);
    }
    Reply::Int(removed as i64)
}

fn zremrangebyrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    remrange_generic(ctx, args, RangeType::Rank)
}
fn zremrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    remrange_generic(ctx, args, RangeType::Score)
}
fn zremrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    remrange_generic(ctx, args, RangeType::Lex)
}

/// Pops `count` members from the min (or max) end of the zset at `key` (which must exist).
fn pop_from(ctx: &mut Ctx, key: &Bytes, max: bool, count: usize) -> Vec<(Vec<u8>, f64)> {
    let Ok(Some(z)) = zset_write(ctx, key) else {
        return Vec::new();
    };
    let len = z.len();
    let n = count.min(len);
    if n == 0 {
        return Vec::new();
    }
    let (s, e) = if max { (len - n, len - 1) } else { (0, n - 1) };
    let mut items = z.range(s, e);
    z.remove_ranks(s, e);
    if max {
        items.reverse();
    }
    ctx.modified(key, notify::ZSET, if max { "zpopmax" } else { "zpopmin" });
    ctx.delete_if_empty(key);
    items
}

fn zpop_generic(ctx: &mut Ctx, args: &[Bytes], max: bool) -> Reply {
    if args.len() > 3 {
        return syntax_error();
    }
    let count = match args.get(2) {
        Some(a) => match parse_int(a) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Reply::err("ERR value is out of range, must be positive"),
        },
        None => None,
    };
    match zset_write(ctx, &args[1]) {
        Ok(Some(_)) => {}
        Ok(None) => return Reply::Array(vec![]),
        Err(e) => return e,
    }
    if count == Some(0) {
        return Reply::Array(vec![]);
    }
    let nested = ctx.client.resp >= 3 && count.is_some();
    let items = pop_from(ctx, &args[1], max, count.unwrap_or(1));
    let mut out = Vec::new();
    for (m, s) in items {
        if nested {
            out.push(Reply::Array(vec![Reply::bulk(m), Reply::Double(s)]));
        } else {
            out.push(Reply::bulk(m));
            out.push(Reply::Double(s));
        }
    }
    Reply::Array(out)
}

fn zpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zpop_generic(ctx, args, false)
}
fn zpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zpop_generic(ctx, args, true)
}

fn bzpop_generic(ctx: &mut Ctx, args: &[Bytes], max: bool) -> Reply {
    let deadline = match timeout_arg(&args[args.len() - 1], ctx.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let keys = &args[1..args.len() - 1];
    for k in keys {
        match zset_write(ctx, k) {
            Ok(Some(z)) if !z.is_empty() => {
                let items = pop_from(ctx, k, max, 1);
                if let Some((m, s)) = items.into_iter().next() {
                    ctx.propagate_as(vec![zpop_name(max), k.clone()]);
                    return Reply::Array(vec![
                        Reply::Bulk(k.clone()),
                        Reply::bulk(m),
                        Reply::Double(s),
                    ]);
                }
            }
            Ok(_) => {}
            Err(e) => return e,
        }
    }
    ctx.block_on(keys.to_vec(), deadline, Reply::NullArray)
}

fn bzpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bzpop_generic(ctx, args, false)
}
fn bzpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bzpop_generic(ctx, args, true)
}

/// Parses `numkeys key... MIN|MAX [COUNT n]` from `args[from]`.
fn parse_zmpop(args: &[Bytes], from: usize) -> Result<(Vec<Bytes>, bool, usize), Reply> {
    let numkeys = match parse_int(&args[from]) {
        Some(n) if n > 0 => n as usize,
        _ => return Err(Reply::err("ERR numkeys should be greater than 0")),
    };
    let where_idx = from + 1 + numkeys;
    if numkeys > args.len() || where_idx >= args.len() {
        return Err(syntax_error());
    }
    let max = if is(&args[where_idx], "MIN") {
        false
    } else if is(&args[where_idx], "MAX") {
        true
    } else {
        return Err(syntax_error());
    };
    let mut count = 1;
    let mut seen = false;
    let mut i = where_idx + 1;
    while i < args.len() {
        if !seen && is(&args[i], "COUNT") && i + 1 < args.len() {
            count = match parse_int(&args[i + 1]) {
                Some(n) if n > 0 => n as usize,
                _ => return Err(Reply::err("ERR count should be greater than 0")),
            };
            seen = true;
            i += 2;
        } else {
            return Err(syntax_error());
        }
    }
    Ok((args[from + 1..where_idx].to_vec(), max, count))
}

fn mpop_first(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    count: usize,
) -> Result<Option<Reply>, Reply> {
    for k in keys {
        if let Some(z) = zset_write(ctx, k)? {
            if z.is_empty() {
                continue;
            }
            let items = pop_from(ctx, k, max, count);
            let inner = items
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::bulk(m), Reply::Double(s)]))
                .collect();
            return Ok(Some(Reply::Array(vec![
                Reply::Bulk(k.clone()),
                Reply::Array(inner),
            ])));
        }
    }
    Ok(None)
}

fn zmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (keys, max, count) = match parse_zmpop(args, 1) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match mpop_first(ctx, &keys, max, count) {
        Ok(Some(r)) => r,
        Ok(None) => Reply::NullArray,
        Err(e) => e,
    }
}

fn bzmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let deadline = match timeout_arg(&args[1], ctx.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let (keys, max, count) = match parse_zmpop(args, 2) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match mpop_first(ctx, &keys, max, count) {
        Ok(Some(r)) => {
            if let Reply::Array(parts) = &r {
                if let Some(Reply::Bulk(k)) = parts.first() {
                    ctx.propagate_as(vec![
                        zpop_name(max),
                        k.clone(),
                        Bytes::from(count.to_string()),
                    ]);
                }
            }
            r
        }
        Ok(None) => ctx.block_on(keys, deadline, Reply::NullArray),
        Err(e) => e,
    }
}

/// The non-blocking pop a blocking pop propagates as.
fn zpop_name(max: bool) -> Bytes {
    Bytes::from_static(if max { b"ZPOPMAX" } else { b"ZPOPMIN" })
}

fn zrandmember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let count = match args.get(2) {
        None => None,
        Some(a) => match parse_int(a) {
            Some(v) if v >= -i64::MAX => Some(v),
            Some(_) => return Reply::err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
            None => return Reply::err(ERR_NOT_INT),
        },
    };
    let withscores = match args.get(3) {
        None => false,
        Some(a) if is(a, "WITHSCORES") && args.len() == 4 => true,
        Some(_) => return syntax_error(),
    };
    if withscores && count.is_some_and(|c| !(-i64::MAX / 2..=i64::MAX / 2).contains(&c)) {
        return Reply::err("ERR value is out of range");
    }
    let resp = ctx.client.resp;
    let all = match zset_read(ctx, &args[1]) {
        Ok(Some(z)) => z.range(0, z.len() - 1),
        Ok(None) => {
            return if count.is_some() {
                Reply::Array(vec![])
            } else {
                Reply::Null
            }
        }
        Err(e) => return e,
    };
    let rng = &mut ctx.st.rng;
    let Some(count) = count else {
        return Reply::bulk(&all[rng.gen_range(0..all.len())].0);
    };
    if count < -(super::MAX_RANDOM_PICKS as i64) {
        return Reply::err("ERR value is out of range");
    }
    let picked = super::pick_random(all, count, rng);
    pairs_reply(picked, withscores, resp)
}

fn zscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = match parse_cursor(&args[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let o = match parse_scan_options(args, 3, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let z = match zset_read(ctx, &args[1]) {
        Ok(Some(z)) => z,
        Ok(None) => return Reply::Array(vec![Reply::bulk("0"), Reply::Array(vec![])]),
        Err(e) => return e,
    };
    let (next, found) = z.scan(cursor, o.count);
    let mut out = Vec::new();
    for (m, s) in found {
        if o.pattern
            .as_ref()
            .is_some_and(|p| !crate::glob::matches(p, &m, false))
        {
            continue;
        }
        out.push(Reply::bulk(m));
        out.push(Reply::bulk_str(
            crate::protocol::reply::format_double_reply(s),
        ));
    }
    Reply::Array(vec![Reply::bulk_str(next.to_string()), Reply::Array(out)])
}

/// A member with its score.
type Scored = (Vec<u8>, f64);

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Reads a ZUNION/ZINTER/ZDIFF input: a sorted set, or a plain set whose members all score 1.
fn input_members(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<Scored>>, Reply> {
    match ctx.read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(if z.is_empty() {
            Vec::new()
        } else {
            z.range(0, z.len() - 1)
        })),
        Some(Value::Set(s)) => Ok(Some(s.members().into_iter().map(|m| (m, 1.0)).collect())),
        Some(_) => Err(wrong_type()),
    }
}

/// Redis's `zunionInterDiffGenericCommand`. `dst` is set for the STORE forms; `card_only` for
/// ZINTERCARD. `numkeys_idx` is where `numkeys` sits.
fn combine_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    numkeys_idx: usize,
    dst: Option<&Bytes>,
    op: SetOp,
    card_only: bool,
) -> Reply {
    let name = super::text(&args[0]).to_ascii_lowercase();
    let numkeys = match parse_int(&args[numkeys_idx]) {
        Some(n) => n,
        None => return Reply::err(ERR_NOT_INT),
    };
    if numkeys < 1 {
        return Reply::err(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        ));
    }
    let numkeys = numkeys as usize;
    let first_key = numkeys_idx + 1;
    if numkeys > args.len() - first_key {
        return syntax_error();
    }
    let keys = &args[first_key..first_key + numkeys];
    // Like Redis, the inputs are looked up (and type-checked) before the options are parsed.
    let mut inputs = Vec::with_capacity(numkeys);
    for k in keys {
        match input_members(ctx, k) {
            Ok(v) => inputs.push(v.unwrap_or_default()),
            Err(e) => return e,
        }
    }
    let mut weights = vec![1.0f64; numkeys];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = first_key + numkeys;
    while j < args.len() {
        let remaining = args.len() - j;
        if card_only {
            if is(&args[j], "LIMIT") && remaining >= 2 {
                limit = match parse_int(&args[j + 1]) {
                    Some(n) if n >= 0 => n as usize,
                    _ => return Reply::err("ERR LIMIT can't be negative"),
                };
                j += 2;
                continue;
            }
            return syntax_error();
        }
        if op != SetOp::Diff && remaining > numkeys && is(&args[j], "WEIGHTS") {
            for (w, a) in weights.iter_mut().zip(&args[j + 1..j + 1 + numkeys]) {
                match parse_score(a) {
                    Some(v) => *w = v,
                    None => return Reply::err("ERR weight value is not a float"),
                }
            }
            j += numkeys + 1;
        } else if op != SetOp::Diff && remaining >= 2 && is(&args[j], "AGGREGATE") {
            agg = if is(&args[j + 1], "SUM") {
                Aggregate::Sum
            } else if is(&args[j + 1], "MIN") {
                Aggregate::Min
            } else if is(&args[j + 1], "MAX") {
                Aggregate::Max
            } else {
                return syntax_error();
            };
            j += 2;
        } else if dst.is_none() && is(&args[j], "WITHSCORES") {
            withscores = true;
            j += 1;
        } else {
            return syntax_error();
        }
    }
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let aggregate = |acc: f64, v: f64| {
        let r = match agg {
            Aggregate::Sum => acc + v,
            Aggregate::Min => acc.min(v),
            Aggregate::Max => acc.max(v),
        };
        if r.is_nan() {
            0.0
        } else {
            r
        }
    };
    if !matches!(op, SetOp::Diff) {
        // Like Redis (`qsort` by cardinality before union and intersection): the inputs are
        // combined smallest first, which decides results such as -inf + inf (NaN, kept as 0) + inf.
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by_key(|&i| inputs[i].len());
        let mut taken: Vec<Option<_>> = std::mem::take(&mut inputs).into_iter().map(Some).collect();
        inputs = order.iter().filter_map(|&i| taken[i].take()).collect();
        weights = order.iter().map(|&i| weights[i]).collect();
    }
    let mut result: Vec<(Vec<u8>, f64)> = match op {
        SetOp::Union => {
            let mut map: std::collections::HashMap<Vec<u8>, f64> = std::collections::HashMap::new();
            for (input, &w) in inputs.iter().zip(&weights) {
                for (m, s) in input {
                    let v = weighted(*s, w);
                    map.entry(m.clone())
                        .and_modify(|acc| *acc = aggregate(*acc, v))
                        .or_insert(v);
                }
            }
            map.into_iter().collect()
        }
        SetOp::Inter => {
            if inputs.iter().any(|i| i.is_empty()) {
                Vec::new()
            } else {
                let maps: Vec<std::collections::HashMap<&[u8], f64>> = inputs
                    .iter()
                    .map(|i| i.iter().map(|(m, s)| (m.as_slice(), *s)).collect())
                    .collect();
                let mut out = Vec::new();
                'member: for (m, s) in &inputs[0] {
                    let mut acc = weighted(*s, weights[0]);
                    for (k, map) in maps.iter().enumerate().skip(1) {
                        match map.get(m.as_slice()) {
                            Some(&o) => acc = aggregate(acc, weighted(o, weights[k])),
                            None => continue 'member,
                        }
                    }
                    out.push((m.clone(), acc));
                    if card_only && limit > 0 && out.len() >= limit {
                        break;
                    }
                }
                out
            }
        }
        SetOp::Diff => {
            let others: std::collections::HashSet<&[u8]> = inputs[1..]
                .iter()
                .flat_map(|i| i.iter().map(|(m, _)| m.as_slice()))
                .collect();
            inputs[0]
                .iter()
                .filter(|(m, _)| !others.contains(m.as_slice()))
                .cloned()
                .collect()
        }
    };
    if card_only {
        return Reply::Int(result.len() as i64);
    }
    result.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    match dst {
        Some(d) => {
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            store_result(ctx, d, result, event)
        }
        None => pairs_reply(result, withscores, ctx.client.resp),
    }
}

fn zunion(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine_generic(ctx, args, 1, None, SetOp::Union, false)
}
fn zinter(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine_generic(ctx, args, 1, None, SetOp::Inter, false)
}
fn zdiff(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine_generic(ctx, args, 1, None, SetOp::Diff, false)
}
fn zunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine_generic(ctx, args, 2, Some(&args[1].clone()), SetOp::Union, false)
}
fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine_generic(ctx, args, 2, Some(&args[1].clone()), SetOp::Inter, false)
}
fn zdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine_generic(ctx, args, 2, Some(&args[1].clone()), SetOp::Diff, false)
}
fn zintercard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine_generic(ctx, args, 1, None, SetOp::Inter, true)
}
