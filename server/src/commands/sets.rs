//! Set commands.

use super::keys::{parse_cursor, parse_scan_options};
use super::{is, syntax_error, ERR_NOT_INT};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::{Set, Value};
use bytes::Bytes;
use rand::seq::SliceRandom;
use rand::Rng;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("sadd", sadd),
    ("srem", srem),
    ("scard", scard),
    ("sismember", sismember),
    ("smismember", smismember),
    ("smembers", smembers),
    ("spop", spop),
    ("srandmember", srandmember),
    ("smove", smove),
    ("sinter", sinter),
    ("sinterstore", sinterstore),
    ("sintercard", sintercard),
    ("sunion", sunion),
    ("sunionstore", sunionstore),
    ("sdiff", sdiff),
    ("sdiffstore", sdiffstore),
    ("sscan", sscan),
];

fn set_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c Set>, Reply> {
    match ctx.read(key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type()),
    }
}

fn set_write<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Set>, Reply> {
    match ctx.write(key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(std::sync::Arc::make_mut(s))),
        Some(_) => Err(wrong_type()),
    }
}

fn sadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let max = ctx.tunables().set_max_intset;
    match set_write(ctx, &args[1]) {
        Ok(Some(_)) => {}
        Ok(None) => ctx.add_key(
            &args[1],
            Value::Set(std::sync::Arc::new(Set::for_member(&args[2]))),
        ),
        Err(e) => return e,
    }
    let Ok(Some(s)) = set_write(ctx, &args[1]) else {
        return wrong_type();
    };
    let added = args[2..].iter().filter(|m| s.add(m, max)).count();
    if added > 0 {
        ctx.modified(&args[1], notify::SET, "sadd");
    }
    Reply::Int(added as i64)
}

fn srem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let removed = match set_write(ctx, &args[1]) {
        Ok(Some(s)) => args[2..].iter().filter(|m| s.remove(m)).count(),
        Ok(None) => 0,
        Err(e) => return e,
    };
    if removed > 0 {
        ctx.modified(&args[1], notify::SET, "srem");
        ctx.delete_if_empty(&args[1]);
    }
    Reply::Int(removed as i64)
}

fn scard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match set_read(ctx, &args[1]) {
        Ok(s) => Reply::Int(s.map(|s| s.len()).unwrap_or(0) as i64),
        Err(e) => e,
    }
}

fn sismember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match set_read(ctx, &args[1]) {
        Ok(s) => Reply::Int(s.is_some_and(|s| s.contains(&args[2])) as i64),
        Err(e) => e,
    }
}

fn smismember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match set_read(ctx, &args[1]) {
        Ok(s) => Reply::Array(
            args[2..]
                .iter()
                .map(|m| Reply::Int(s.is_some_and(|s| s.contains(m)) as i64))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn members_reply(members: Vec<Vec<u8>>) -> Reply {
    Reply::Set(members.into_iter().map(Reply::bulk).collect())
}

fn smembers(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match set_read(ctx, &args[1]) {
        Ok(Some(s)) => members_reply(s.members()),
        Ok(None) => Reply::Set(vec![]),
        Err(e) => e,
    }
}

fn spop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
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
    let key = &args[1];
    let members = match set_read(ctx, key) {
        Ok(Some(s)) => s.members(),
        Ok(None) => {
            return if count.is_some() {
                Reply::Set(vec![])
            } else {
                Reply::Null
            }
        }
        Err(e) => return e,
    };
    let n = count.unwrap_or(1);
    if n == 0 {
        return Reply::Set(vec![]);
    }
    let chosen: Vec<Vec<u8>> = if n >= members.len() {
        members
    } else {
        let mut m = members;
        m.shuffle(&mut ctx.st.rng);
        m.truncate(n);
        m
    };
    if let Ok(Some(s)) = set_write(ctx, key) {
        for m in &chosen {
            s.remove(m);
        }
    }
    ctx.modified(key, notify::SET, "spop");
    let emptied = ctx.delete_if_empty(key);
    // The random choice is made here; replicas and the AOF get its outcome.
    if ctx.propagating() {
        let argv = if emptied {
            vec![Bytes::from_static(b"DEL"), key.clone()]
        } else {
            let mut argv = vec![Bytes::from_static(b"SREM"), key.clone()];
            argv.extend(chosen.iter().map(|m| Bytes::copy_from_slice(m)));
            argv
        };
        ctx.propagate_as(argv);
    }
    match count {
        Some(_) => members_reply(chosen),
        None => chosen
            .into_iter()
            .next()
            .map(Reply::bulk)
            .unwrap_or(Reply::Null),
    }
}

fn srandmember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return syntax_error();
    }
    let count = match args.get(2) {
        Some(a) => match parse_int(a) {
            Some(n) if n >= -i64::MAX => Some(n),
            Some(_) => return Reply::err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
            None => return Reply::err(ERR_NOT_INT),
        },
        None => None,
    };
    let members = match set_read(ctx, &args[1]) {
        Ok(Some(s)) => s.members(),
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
    match count {
        None => Reply::bulk(&members[rng.gen_range(0..members.len())]),
        Some(c) if c < -(super::MAX_RANDOM_PICKS as i64) => Reply::err("ERR value is out of range"),
        Some(c) => Reply::Array(
            super::pick_random(members, c, rng)
                .into_iter()
                .map(Reply::bulk)
                .collect(),
        ),
    }
}

fn smove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (src, dst, m) = (&args[1], &args[2], &args[3]);
    let src_has = match set_read(ctx, src) {
        Ok(Some(s)) => s.contains(m),
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    if let Err(e) = set_read(ctx, dst) {
        return e;
    }
    if src == dst {
        return Reply::Int(src_has as i64);
    }
    if !src_has {
        return Reply::Int(0);
    }
    if let Ok(Some(s)) = set_write(ctx, src) {
        s.remove(m);
    }
    ctx.modified(src, notify::SET, "srem");
    ctx.delete_if_empty(src);
    let max = ctx.tunables().set_max_intset;
    if let Ok(None) = set_write(ctx, dst) {
        ctx.add_key(dst, Value::Set(std::sync::Arc::new(Set::for_member(m))));
    }
    if let Ok(Some(s)) = set_write(ctx, dst) {
        s.add(m, max);
    }
    ctx.modified(dst, notify::SET, "sadd");
    Reply::Int(1)
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Computes an intersection/union/difference; `Err` on a wrong-typed key. Members come out in a
/// stable order (the first set's order for intersections and differences).
fn combine(ctx: &mut Ctx, keys: &[Bytes], op: Op) -> Result<Vec<Vec<u8>>, Reply> {
    let mut sets: Vec<Option<Vec<Vec<u8>>>> = Vec::new();
    for k in keys {
        sets.push(set_read(ctx, k)?.map(|s| s.members()));
    }
    Ok(match op {
        Op::Inter => {
            if sets.iter().any(|s| s.is_none()) {
                return Ok(Vec::new());
            }
            let mut sets: Vec<Vec<Vec<u8>>> = sets.into_iter().flatten().collect();
            sets.sort_by_key(|s| s.len());
            let others: Vec<std::collections::HashSet<&Vec<u8>>> =
                sets[1..].iter().map(|s| s.iter().collect()).collect();
            sets[0]
                .iter()
                .filter(|m| others.iter().all(|o| o.contains(m)))
                .cloned()
                .collect()
        }
        Op::Union => {
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for m in sets.into_iter().flatten().flatten() {
                if seen.insert(m.clone()) {
                    out.push(m);
                }
            }
            out
        }
        Op::Diff => {
            let mut iter = sets.into_iter();
            let Some(Some(first)) = iter.next() else {
                return Ok(Vec::new());
            };
            let others: std::collections::HashSet<Vec<u8>> = iter.flatten().flatten().collect();
            first.into_iter().filter(|m| !others.contains(m)).collect()
        }
    })
}

fn sinter(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine(ctx, &args[1..], Op::Inter)
        .map(members_reply)
        .unwrap_or_else(|e| e)
}
fn sunion(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine(ctx, &args[1..], Op::Union)
        .map(members_reply)
        .unwrap_or_else(|e| e)
}
fn sdiff(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    combine(ctx, &args[1..], Op::Diff)
        .map(members_reply)
        .unwrap_or_else(|e| e)
}

fn store(ctx: &mut Ctx, args: &[Bytes], op: Op, event: &str) -> Reply {
    let members = match combine(ctx, &args[2..], op) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let dst = &args[1];
    if members.is_empty() {
        if ctx.delete_key(dst) {
            ctx.modified(dst, notify::GENERIC, "del");
        }
        return Reply::Int(0);
    }
    let max = ctx.tunables().set_max_intset;
    let mut s = Set::Intset(Vec::new());
    for m in &members {
        s.add(m, max);
    }
    let n = s.len();
    ctx.set_key(dst, Value::Set(std::sync::Arc::new(s)), false);
    ctx.modified(dst, notify::SET, event);
    Reply::Int(n as i64)
}

fn sinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    store(ctx, args, Op::Inter, "sinterstore")
}
fn sunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    store(ctx, args, Op::Union, "sunionstore")
}
fn sdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    store(ctx, args, Op::Diff, "sdiffstore")
}

fn sintercard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let numkeys = match parse_int(&args[1]) {
        Some(n) if n > 0 => n as usize,
        _ => return Reply::err("ERR numkeys should be greater than 0"),
    };
    if numkeys > args.len() - 2 {
        return Reply::err("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if is(&args[i], "LIMIT") && i + 1 < args.len() {
            limit = match parse_int(&args[i + 1]) {
                Some(n) if n >= 0 => n as usize,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            };
            i += 2;
        } else {
            return syntax_error();
        }
    }
    match combine(ctx, &args[2..2 + numkeys], Op::Inter) {
        Ok(m) => Reply::Int(if limit > 0 {
            m.len().min(limit)
        } else {
            m.len()
        } as i64),
        Err(e) => e,
    }
}

fn sscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = match parse_cursor(&args[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let o = match parse_scan_options(args, 3, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let s = match set_read(ctx, &args[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::Array(vec![Reply::bulk("0"), Reply::Array(vec![])]),
        Err(e) => return e,
    };
    let mut found: Vec<Vec<u8>> = Vec::new();
    let next = match s {
        Set::Intset(_) => {
            found = s.members();
            0
        }
        Set::Table(d) => d.scan_some(cursor, o.count, |m, _| found.push(m.to_vec())),
    };
    let out: Vec<Reply> = found
        .into_iter()
        .filter(|m| {
            o.pattern
                .as_ref()
                .is_none_or(|p| crate::glob::matches(p, m, false))
        })
        .map(Reply::bulk)
        .collect();
    Reply::Array(vec![Reply::bulk_str(next.to_string()), Reply::Array(out)])
}
