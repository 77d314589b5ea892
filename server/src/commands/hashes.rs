//! Hash commands.

use super::keys::{parse_cursor, parse_scan_options};
use super::{int_arg, is, syntax_error};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::float::{incr_by_float, IncrFloatError, LongDouble};
use crate::types::hash::HashLimits;
use crate::types::{Hash, Value};
use bytes::Bytes;
use rand::Rng;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("hset", hset),
    ("hmset", hmset),
    ("hsetnx", hsetnx),
    ("hget", hget),
    ("hmget", hmget),
    ("hdel", hdel),
    ("hlen", hlen),
    ("hstrlen", hstrlen),
    ("hexists", hexists),
    ("hkeys", hkeys),
    ("hvals", hvals),
    ("hgetall", hgetall),
    ("hincrby", hincrby),
    ("hincrbyfloat", hincrbyfloat),
    ("hrandfield", hrandfield),
    ("hscan", hscan),
];

fn limits(ctx: &Ctx) -> HashLimits {
    HashLimits {
        max_entries: ctx.tunables().hash_max_entries,
        max_value: ctx.tunables().hash_max_value,
    }
}

fn hash_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c Hash>, Reply> {
    match ctx.read(key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(wrong_type()),
    }
}

/// The hash at `key`, created empty when missing (the caller must then store something in it).
fn hash_create<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<&'c mut Hash, Reply> {
    match ctx.write(key) {
        None => ctx.add_key(key, Value::Hash(std::sync::Arc::default())),
        Some(Value::Hash(_)) => {}
        Some(_) => return Err(wrong_type()),
    }
    match ctx.write(key) {
        Some(Value::Hash(h)) => Ok(std::sync::Arc::make_mut(h)),
        _ => Err(wrong_type()),
    }
}

fn hset_generic(ctx: &mut Ctx, args: &[Bytes], name: &str) -> Reply {
    if !args.len().is_multiple_of(2) {
        return Reply::err(format!(
            "ERR wrong number of arguments for '{name}' command"
        ));
    }
    let l = limits(ctx);
    let h = match hash_create(ctx, &args[1]) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let mut created = 0;
    for fv in args[2..].chunks(2) {
        if h.set(&fv[0], &fv[1], l) {
            created += 1;
        }
    }
    ctx.modified(&args[1], notify::HASH, "hset");
    if name == "hmset" {
        Reply::ok()
    } else {
        Reply::Int(created)
    }
}

fn hset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    hset_generic(ctx, args, "hset")
}
fn hmset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    hset_generic(ctx, args, "hmset")
}

fn hsetnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if let Ok(Some(h)) = hash_read(ctx, &args[1]) {
        if h.contains(&args[2]) {
            return Reply::Int(0);
        }
    }
    let l = limits(ctx);
    match hash_create(ctx, &args[1]) {
        Ok(h) => {
            h.set(&args[2], &args[3], l);
        }
        Err(e) => return e,
    }
    ctx.modified(&args[1], notify::HASH, "hset");
    Reply::Int(1)
}

fn hget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match hash_read(ctx, &args[1]) {
        Ok(Some(h)) => h.get(&args[2]).map(Reply::bulk).unwrap_or(Reply::Null),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn hmget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match hash_read(ctx, &args[1]) {
        Ok(h) => Reply::Array(
            args[2..]
                .iter()
                .map(|f| {
                    h.and_then(|h| h.get(f))
                        .map(Reply::bulk)
                        .unwrap_or(Reply::Null)
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

fn hdel(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let n = match ctx.write(&args[1]) {
        None => return Reply::Int(0),
        Some(Value::Hash(h)) => args[2..]
            .iter()
            .filter(|f| std::sync::Arc::make_mut(h).remove(f))
            .count(),
        Some(_) => return wrong_type(),
    };
    if n > 0 {
        ctx.modified(&args[1], notify::HASH, "hdel");
        ctx.delete_if_empty(&args[1]);
    }
    Reply::Int(n as i64)
}

fn hlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match hash_read(ctx, &args[1]) {
        Ok(h) => Reply::Int(h.map(|h| h.len()).unwrap_or(0) as i64),
        Err(e) => e,
    }
}

fn hstrlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match hash_read(ctx, &args[1]) {
        Ok(h) => Reply::Int(
            h.and_then(|h| h.get(&args[2]))
                .map(|v| v.len())
                .unwrap_or(0) as i64,
        ),
        Err(e) => e,
    }
}

fn hexists(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match hash_read(ctx, &args[1]) {
        Ok(h) => Reply::Int(h.is_some_and(|h| h.contains(&args[2])) as i64),
        Err(e) => e,
    }
}

fn hkeys(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match hash_read(ctx, &args[1]) {
        Ok(Some(h)) => Reply::Array(h.iter().map(|(f, _)| Reply::bulk(f)).collect()),
        Ok(None) => Reply::Array(vec![]),
        Err(e) => e,
    }
}

fn hvals(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match hash_read(ctx, &args[1]) {
        Ok(Some(h)) => Reply::Array(h.iter().map(|(_, v)| Reply::bulk(v)).collect()),
        Ok(None) => Reply::Array(vec![]),
        Err(e) => e,
    }
}

fn hgetall(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match hash_read(ctx, &args[1]) {
        Ok(Some(h)) => Reply::Map(
            h.iter()
                .map(|(f, v)| (Reply::bulk(f), Reply::bulk(v)))
                .collect(),
        ),
        Ok(None) => Reply::Map(vec![]),
        Err(e) => e,
    }
}

fn hincrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let by = match int_arg(&args[3]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let cur = match hash_read(ctx, &args[1]) {
        Ok(h) => match h.and_then(|h| h.get(&args[2])) {
            Some(v) => match parse_int(v) {
                Some(i) => i,
                None => return Reply::err("ERR hash value is not an integer"),
            },
            None => 0,
        },
        Err(e) => return e,
    };
    let Some(new) = cur.checked_add(by) else {
        return Reply::err("ERR increment or decrement would overflow");
    };
    let l = limits(ctx);
    match hash_create(ctx, &args[1]) {
        Ok(h) => {
            h.set(&args[2], new.to_string().as_bytes(), l);
        }
        Err(e) => return e,
    }
    ctx.modified(&args[1], notify::HASH, "hincrby");
    Reply::Int(new)
}

fn hincrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match LongDouble::parse(&args[3]) {
        None => return Reply::err("ERR value is not a valid float"),
        Some(v) if !v.is_finite() => return Reply::err("ERR value is NaN or Infinity"),
        Some(_) => {}
    }
    let current = match hash_read(ctx, &args[1]) {
        Ok(h) => h.and_then(|h| h.get(&args[2])).map(|v| v.to_vec()),
        Err(e) => return e,
    };
    let text = match incr_by_float(current.as_deref(), &args[3]) {
        Ok(t) => t,
        Err(IncrFloatError::NotFloat) => return Reply::err("ERR hash value is not a float"),
        Err(e) => return Reply::err(e.message()),
    };
    let l = limits(ctx);
    match hash_create(ctx, &args[1]) {
        Ok(h) => {
            h.set(&args[2], text.as_bytes(), l);
        }
        Err(e) => return e,
    }
    ctx.modified(&args[1], notify::HASH, "hincrbyfloat");
    // The result, not the increment: float arithmetic must not be redone elsewhere.
    ctx.propagate_as(vec![
        Bytes::from_static(b"HSET"),
        args[1].clone(),
        args[2].clone(),
        Bytes::from(text.clone()),
    ]);
    Reply::bulk_str(text)
}

fn hrandfield(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let count = match args.get(2) {
        None => None,
        Some(a) => match parse_int(a) {
            Some(v) if v >= -i64::MAX => Some(v),
            Some(_) => return Reply::err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
            None => return Reply::err(super::ERR_NOT_INT),
        },
    };
    let withvalues = match args.get(3) {
        None => false,
        Some(a) if is(a, "WITHVALUES") && args.len() == 4 => true,
        Some(_) => return syntax_error(),
    };
    if withvalues && count.is_some_and(|c| !(-i64::MAX / 2..=i64::MAX / 2).contains(&c)) {
        return Reply::err("ERR value is out of range");
    }
    let resp3 = ctx.client.resp >= 3;
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = match hash_read(ctx, &args[1]) {
        Ok(Some(h)) => h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect(),
        Ok(None) => {
            return if count.is_some() {
                Reply::Array(vec![])
            } else {
                Reply::Null
            }
        }
        Err(e) => return e,
    };
    let Some(count) = count else {
        let i = ctx.st.rng.gen_range(0..pairs.len());
        return Reply::bulk(&pairs[i].0);
    };
    if count < -(super::MAX_RANDOM_PICKS as i64) {
        return Reply::err("ERR value is out of range");
    }
    let picked = super::pick_random(pairs, count, &mut ctx.st.rng);
    let mut out = Vec::new();
    for (f, v) in picked {
        if withvalues {
            if resp3 {
                out.push(Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)]));
            } else {
                out.push(Reply::bulk(f));
                out.push(Reply::bulk(v));
            }
        } else {
            out.push(Reply::bulk(f));
        }
    }
    Reply::Array(out)
}

fn hscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = match parse_cursor(&args[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let o = match parse_scan_options(args, 3, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let h = match hash_read(ctx, &args[1]) {
        Ok(Some(h)) => h,
        Ok(None) => return Reply::Array(vec![Reply::bulk("0"), Reply::Array(vec![])]),
        Err(e) => return e,
    };
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next = match h {
        Hash::Listpack(v) => {
            found.extend(v.iter().map(|(f, v)| (f.to_vec(), v.to_vec())));
            0
        }
        Hash::Table(d) => d.scan_some(cursor, o.count, |f, v| found.push((f.to_vec(), v.to_vec()))),
    };
    let mut out = Vec::new();
    for (f, v) in found {
        if o.pattern
            .as_ref()
            .is_some_and(|p| !crate::glob::matches(p, &f, false))
        {
            continue;
        }
        out.push(Reply::bulk(f));
        out.push(Reply::bulk(v));
    }
    Reply::Array(vec![Reply::bulk_str(next.to_string()), Reply::Array(out)])
}
