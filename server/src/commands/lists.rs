//! List commands, including the blocking pops and moves.

use super::{is, syntax_error, timeout_arg, ERR_NOT_INT};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::list::{normalize_index, normalize_range};
use crate::types::{List, Value};
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("lpush", lpush),
    ("rpush", rpush),
    ("lpushx", lpushx),
    ("rpushx", rpushx),
    ("lpop", lpop),
    ("rpop", rpop),
    ("llen", llen),
    ("lindex", lindex),
    ("lset", lset),
    ("lrange", lrange),
    ("ltrim", ltrim),
    ("lrem", lrem),
    ("linsert", linsert),
    ("lpos", lpos),
    ("lmove", lmove),
    ("rpoplpush", rpoplpush),
    ("lmpop", lmpop),
    ("blpop", blpop),
    ("brpop", brpop),
    ("blmove", blmove),
    ("brpoplpush", brpoplpush),
    ("blmpop", blmpop),
];

/// The list at `key` for writing: `Ok(None)` when missing, WRONGTYPE for other types.
fn list_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut List>, Reply> {
    match ctx.write(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(std::sync::Arc::make_mut(l))),
        Some(_) => Err(wrong_type()),
    }
}

fn list_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c List>, Reply> {
    match ctx.read(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(wrong_type()),
    }
}

fn push_generic(ctx: &mut Ctx, args: &[Bytes], left: bool, only_existing: bool) -> Reply {
    let key = &args[1];
    let exists = match list_mut(ctx, key) {
        Ok(l) => l.is_some(),
        Err(e) => return e,
    };
    if !exists {
        if only_existing {
            return Reply::Int(0);
        }
        ctx.add_key(key, Value::List(std::sync::Arc::default()));
    }
    let Ok(Some(l)) = list_mut(ctx, key) else {
        return wrong_type();
    };
    for v in &args[2..] {
        if left {
            l.push_front(v[..].into());
        } else {
            l.push_back(v[..].into());
        }
    }
    let len = l.len();
    ctx.signal_ready(key);
    ctx.modified(key, notify::LIST, if left { "lpush" } else { "rpush" });
    Reply::Int(len as i64)
}

fn lpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, true, false)
}
fn rpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, false, false)
}
fn lpushx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, true, true)
}
fn rpushx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, false, true)
}

/// Pops up to `count` elements from one end; deletes the key when it empties.
fn pop_n(ctx: &mut Ctx, key: &[u8], left: bool, count: usize) -> Vec<Box<[u8]>> {
    let Ok(Some(l)) = list_mut(ctx, key) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(count.min(l.len()));
    for _ in 0..count {
        match if left { l.pop_front() } else { l.pop_back() } {
            Some(v) => out.push(v),
            None => break,
        }
    }
    if !out.is_empty() {
        ctx.modified(key, notify::LIST, if left { "lpop" } else { "rpop" });
        ctx.delete_if_empty(key);
    }
    out
}

fn pop_generic(ctx: &mut Ctx, args: &[Bytes], left: bool) -> Reply {
    if args.len() > 3 {
        return Reply::err(format!(
            "ERR wrong number of arguments for '{}' command",
            if left { "lpop" } else { "rpop" }
        ));
    }
    let count = match args.get(2) {
        Some(a) => match parse_int(a) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return Reply::err("ERR value is out of range, must be positive"),
        },
        None => None,
    };
    let key = &args[1];
    match list_mut(ctx, key) {
        Ok(Some(_)) => {}
        Ok(None) => {
            return if count.is_some() {
                Reply::NullArray
            } else {
                Reply::Null
            }
        }
        Err(e) => return e,
    }
    match count {
        Some(0) => Reply::Array(vec![]),
        Some(n) => Reply::Array(
            pop_n(ctx, key, left, n)
                .into_iter()
                .map(Reply::bulk)
                .collect(),
        ),
        None => pop_n(ctx, key, left, 1)
            .pop()
            .map(Reply::bulk)
            .unwrap_or(Reply::Null),
    }
}

fn lpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    pop_generic(ctx, args, true)
}
fn rpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    pop_generic(ctx, args, false)
}

fn llen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match list_read(ctx, &args[1]) {
        Ok(Some(l)) => Reply::Int(l.len() as i64),
        Ok(None) => Reply::Int(0),
        Err(e) => e,
    }
}

fn lindex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match list_read(ctx, &args[1]) {
        Ok(Some(_)) => {}
        Ok(None) => return Reply::Null,
        Err(e) => return e,
    }
    let Some(i) = parse_int(&args[2]) else {
        return Reply::err(ERR_NOT_INT);
    };
    match list_read(ctx, &args[1]) {
        Ok(Some(l)) => normalize_index(i, l.len())
            .map(|i| Reply::bulk(&l[i]))
            .unwrap_or(Reply::Null),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn lset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match list_mut(ctx, &args[1]) {
        Ok(Some(_)) => {}
        Ok(None) => return Reply::err("ERR no such key"),
        Err(e) => return e,
    }
    let Some(i) = parse_int(&args[2]) else {
        return Reply::err(ERR_NOT_INT);
    };
    match list_mut(ctx, &args[1]) {
        Ok(Some(l)) => match normalize_index(i, l.len()) {
            Some(i) => {
                l.set(i, args[3][..].into());
                ctx.modified(&args[1], notify::LIST, "lset");
                Reply::ok()
            }
            None => Reply::err("ERR index out of range"),
        },
        Ok(None) => Reply::err("ERR no such key"),
        Err(e) => e,
    }
}

fn lrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (Some(start), Some(stop)) = (parse_int(&args[2]), parse_int(&args[3])) else {
        return Reply::err(ERR_NOT_INT);
    };
    match list_read(ctx, &args[1]) {
        Ok(Some(l)) => match normalize_range(start, stop, l.len()) {
            Some((s, e)) => Reply::Array(l.range(s, e).map(Reply::bulk).collect()),
            None => Reply::Array(vec![]),
        },
        Ok(None) => Reply::Array(vec![]),
        Err(e) => e,
    }
}

fn ltrim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (Some(start), Some(stop)) = (parse_int(&args[2]), parse_int(&args[3])) else {
        return Reply::err(ERR_NOT_INT);
    };
    match list_mut(ctx, &args[1]) {
        Ok(Some(l)) => {
            match normalize_range(start, stop, l.len()) {
                Some((s, e)) => l.keep_range(s, e),
                None => l.clear(),
            }
            ctx.modified(&args[1], notify::LIST, "ltrim");
            ctx.delete_if_empty(&args[1]);
            Reply::ok()
        }
        Ok(None) => Reply::ok(),
        Err(e) => e,
    }
}

fn lrem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(count) = parse_int(&args[2]) else {
        return Reply::err(ERR_NOT_INT);
    };
    let elem = &args[3][..];
    let removed = match list_mut(ctx, &args[1]) {
        Ok(Some(l)) => {
            let limit = if count == 0 {
                usize::MAX
            } else {
                count.unsigned_abs() as usize
            };
            l.remove_matching(elem, limit, count < 0)
        }
        Ok(None) => 0,
        Err(e) => return e,
    };
    if removed > 0 {
        ctx.modified(&args[1], notify::LIST, "lrem");
        ctx.delete_if_empty(&args[1]);
    }
    Reply::Int(removed as i64)
}

fn linsert(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let after = if is(&args[2], "AFTER") {
        true
    } else if is(&args[2], "BEFORE") {
        false
    } else {
        return syntax_error();
    };
    let l = match list_mut(ctx, &args[1]) {
        Ok(Some(l)) => l,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let pivot = l.iter().position(|e| **e == args[3][..]);
    let Some(p) = pivot else {
        return Reply::Int(-1);
    };
    l.insert(if after { p + 1 } else { p }, args[4][..].into());
    let len = l.len();
    ctx.modified(&args[1], notify::LIST, "linsert");
    Reply::Int(len as i64)
}

fn lpos(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
    let mut i = 3;
    while i < args.len() {
        if i + 1 >= args.len() {
            return syntax_error();
        }
        let Some(v) = parse_int(&args[i + 1]) else {
            return Reply::err(ERR_NOT_INT);
        };
        if is(&args[i], "RANK") {
            if v == 0 {
                return Reply::err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
            }
            rank = v;
        } else if is(&args[i], "COUNT") {
            if v < 0 {
                return Reply::err("ERR COUNT can't be negative");
            }
            count = Some(v);
        } else if is(&args[i], "MAXLEN") {
            if v < 0 {
                return Reply::err("ERR MAXLEN can't be negative");
            }
            maxlen = v;
        } else {
            return syntax_error();
        }
        i += 2;
    }
    let l = match list_read(ctx, &args[1]) {
        Ok(Some(l)) => l,
        Ok(None) => {
            return if count.is_some() {
                Reply::Array(vec![])
            } else {
                Reply::Null
            }
        }
        Err(e) => return e,
    };
    let elem = &args[2][..];
    let want = match count {
        Some(0) => usize::MAX,
        Some(n) => n as usize,
        None => 1,
    };
    // Redis negates a negative rank in a C long: LONG_MIN stays negative, so every match "ranks"
    // and a COUNT never fills up. Reproduce that rather than refuse it.
    let overflowed = rank == i64::MIN;
    let want = if overflowed && count.is_some_and(|c| c > 0) {
        usize::MAX
    } else {
        want
    };
    let mut skip = if overflowed {
        0
    } else {
        rank.unsigned_abs() - 1
    };
    let mut found = Vec::new();
    let len = l.len();
    let limit = if maxlen == 0 {
        len
    } else {
        (maxlen as usize).min(len)
    };
    let scan: Box<dyn Iterator<Item = (usize, &Box<[u8]>)>> = if rank > 0 {
        Box::new(l.iter().enumerate())
    } else {
        Box::new(
            l.iter()
                .rev()
                .enumerate()
                .map(|(step, e)| (len - 1 - step, e)),
        )
    };
    for (idx, e) in scan.take(limit) {
        if **e == *elem {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            found.push(Reply::Int(idx as i64));
            if found.len() >= want {
                break;
            }
        }
    }
    match count {
        Some(_) => Reply::Array(found),
        None => found.pop().unwrap_or(Reply::Null),
    }
}

fn side(a: &[u8]) -> Option<bool> {
    if is(a, "LEFT") {
        Some(true)
    } else if is(a, "RIGHT") {
        Some(false)
    } else {
        None
    }
}

/// Moves one element from `src` (`from_left`) to `dst` (`to_left`). `Ok(None)` when `src` is empty.
/// Events come in Redis's order: the push on `dst`, then the pop (and `del`) on `src`.
fn move_one(
    ctx: &mut Ctx,
    src: &Bytes,
    dst: &Bytes,
    from_left: bool,
    to_left: bool,
) -> Result<Option<Box<[u8]>>, Reply> {
    if list_mut(ctx, src)?.is_none() {
        return Ok(None);
    }
    list_mut(ctx, dst)?;
    let Some(l) = list_mut(ctx, src)? else {
        return Ok(None);
    };
    let Some(v) = (if from_left {
        l.pop_front()
    } else {
        l.pop_back()
    }) else {
        return Ok(None);
    };
    if list_mut(ctx, dst)?.is_none() {
        ctx.add_key(dst, Value::List(std::sync::Arc::default()));
    }
    if let Some(l) = list_mut(ctx, dst)? {
        if to_left {
            l.push_front(v.clone());
        } else {
            l.push_back(v.clone());
        }
    }
    ctx.signal_ready(dst);
    ctx.modified(dst, notify::LIST, if to_left { "lpush" } else { "rpush" });
    ctx.modified(src, notify::LIST, if from_left { "lpop" } else { "rpop" });
    ctx.delete_if_empty(src);
    Ok(Some(v))
}

fn lmove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (Some(from), Some(to)) = (side(&args[3]), side(&args[4])) else {
        return syntax_error();
    };
    match move_one(ctx, &args[1], &args[2], from, to) {
        Ok(Some(v)) => Reply::bulk(v),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn rpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match move_one(ctx, &args[1], &args[2], false, true) {
        Ok(Some(v)) => Reply::bulk(v),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

/// Parses `numkeys key... LEFT|RIGHT [COUNT n]` from `args[from]`.
fn parse_mpop(args: &[Bytes], from: usize) -> Result<(Vec<Bytes>, bool, usize), Reply> {
    let numkeys = match parse_int(&args[from]) {
        Some(n) if n > 0 => n as usize,
        Some(_) => return Err(Reply::err("ERR numkeys should be greater than 0")),
        None => return Err(Reply::err("ERR numkeys should be greater than 0")),
    };
    let where_idx = from + 1 + numkeys;
    if where_idx >= args.len() || numkeys > args.len() {
        return Err(syntax_error());
    }
    let keys = args[from + 1..where_idx].to_vec();
    let Some(left) = side(&args[where_idx]) else {
        return Err(syntax_error());
    };
    let mut count = 1;
    let mut i = where_idx + 1;
    let mut seen_count = false;
    while i < args.len() {
        if is(&args[i], "COUNT") && i + 1 < args.len() && !seen_count {
            count = match parse_int(&args[i + 1]) {
                Some(n) if n > 0 => n as usize,
                _ => return Err(Reply::err("ERR count should be greater than 0")),
            };
            seen_count = true;
            i += 2;
        } else {
            return Err(syntax_error());
        }
    }
    Ok((keys, left, count))
}

/// Pops from the first non-empty list among `keys`: `[key, [elements]]`, or `None` if all are empty.
fn mpop_first(
    ctx: &mut Ctx,
    keys: &[Bytes],
    left: bool,
    count: usize,
) -> Result<Option<Reply>, Reply> {
    for k in keys {
        if list_mut(ctx, k)?.is_some() {
            let items = pop_n(ctx, k, left, count);
            return Ok(Some(Reply::Array(vec![
                Reply::Bulk(k.clone()),
                Reply::Array(items.into_iter().map(Reply::bulk).collect()),
            ])));
        }
    }
    Ok(None)
}

fn lmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (keys, left, count) = match parse_mpop(args, 1) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match mpop_first(ctx, &keys, left, count) {
        Ok(Some(r)) => r,
        Ok(None) => Reply::NullArray,
        Err(e) => e,
    }
}

fn bpop_generic(ctx: &mut Ctx, args: &[Bytes], left: bool) -> Reply {
    let deadline = match timeout_arg(&args[args.len() - 1], ctx.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let keys = &args[1..args.len() - 1];
    for k in keys {
        match list_mut(ctx, k) {
            Ok(Some(_)) => {
                let v = pop_n(ctx, k, left, 1).pop();
                if let Some(v) = v {
                    ctx.propagate_as(vec![pop_name(left), k.clone()]);
                    return Reply::Array(vec![Reply::Bulk(k.clone()), Reply::bulk(v)]);
                }
            }
            Ok(None) => {}
            Err(e) => return e,
        }
    }
    ctx.block_on(keys.to_vec(), deadline, Reply::NullArray)
}

fn blpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bpop_generic(ctx, args, true)
}
fn brpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bpop_generic(ctx, args, false)
}

fn bmove_generic(
    ctx: &mut Ctx,
    src: &Bytes,
    dst: &Bytes,
    from: bool,
    to: bool,
    timeout: &[u8],
) -> Reply {
    let deadline = match timeout_arg(timeout, ctx.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    match move_one(ctx, src, dst, from, to) {
        Ok(Some(v)) => {
            ctx.propagate_as(vec![
                Bytes::from_static(b"LMOVE"),
                src.clone(),
                dst.clone(),
                side_name(from),
                side_name(to),
            ]);
            Reply::bulk(v)
        }
        // Where it may not block (MULTI, scripts) Redis answers a null bulk, on timeout a null array.
        Ok(None) if ctx.no_block => Reply::Null,
        Ok(None) => ctx.block_on(vec![src.clone()], deadline, Reply::NullArray),
        Err(e) => e,
    }
}

fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (Some(from), Some(to)) = (side(&args[3]), side(&args[4])) else {
        return syntax_error();
    };
    bmove_generic(ctx, &args[1], &args[2], from, to, &args[5])
}

fn brpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bmove_generic(ctx, &args[1], &args[2], false, true, &args[3])
}

fn blmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let deadline = match timeout_arg(&args[1], ctx.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let (keys, left, count) = match parse_mpop(args, 2) {
        Ok(p) => p,
        Err(e) => return e,
    };
    match mpop_first(ctx, &keys, left, count) {
        Ok(Some(r)) => {
            if let Reply::Array(parts) = &r {
                if let Some(Reply::Bulk(k)) = parts.first() {
                    ctx.propagate_as(vec![
                        pop_name(left),
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
fn pop_name(left: bool) -> Bytes {
    Bytes::from_static(if left { b"LPOP" } else { b"RPOP" })
}

fn side_name(left: bool) -> Bytes {
    Bytes::from_static(if left { b"LEFT" } else { b"RIGHT" })
}
