//! String commands: SET and friends, GET family, MSET/MGET, APPEND, ranges, counters, LCS.

use super::{int_arg, is, syntax_error, ERR_NOT_INT};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::float::incr_by_float;
use crate::types::{RString, Value};
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("set", set),
    ("setnx", setnx),
    ("setex", setex),
    ("psetex", psetex),
    ("get", get),
    ("getex", getex),
    ("getdel", getdel),
    ("getset", getset),
    ("mset", mset),
    ("msetnx", msetnx),
    ("mget", mget),
    ("append", append),
    ("strlen", strlen),
    ("setrange", setrange),
    ("getrange", getrange),
    ("substr", getrange),
    ("incr", incr),
    ("decr", decr),
    ("incrby", incrby),
    ("decrby", decrby),
    ("incrbyfloat", incrbyfloat),
    ("lcs", lcs),
];

/// Looks up a string value for reading: `Ok(None)` when missing, WRONGTYPE for other types.
pub fn read_string<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c RString>, Reply> {
    match ctx.read(key) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type()),
    }
}

const EX: u8 = 1;
const PX: u8 = 2;
const EXAT: u8 = 4;
const PXAT: u8 = 8;

struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    unit: u8,
    expire: Option<Bytes>,
}

/// Parses SET's (`for_set`) or GETEX's options with Redis's exclusion rules.
fn parse_set_options(args: &[Bytes], from: usize, for_set: bool) -> Result<SetOptions, Reply> {
    let mut o = SetOptions {
        nx: false,
        xx: false,
        get: false,
        keepttl: false,
        persist: false,
        unit: 0,
        expire: None,
    };
    let mut j = from;
    while j < args.len() {
        let a = &args[j];
        let has_next = j + 1 < args.len();
        if for_set && is(a, "NX") && !o.xx {
            o.nx = true;
        } else if for_set && is(a, "XX") && !o.nx {
            o.xx = true;
        } else if for_set && is(a, "GET") {
            o.get = true;
        } else if for_set && is(a, "KEEPTTL") && !o.persist && o.unit == 0 {
            o.keepttl = true;
        } else if !for_set && is(a, "PERSIST") && o.unit == 0 && !o.keepttl {
            o.persist = true;
        } else if let Some(unit) = [("EX", EX), ("PX", PX), ("EXAT", EXAT), ("PXAT", PXAT)]
            .iter()
            .find(|(n, _)| is(a, n))
            .map(|(_, u)| *u)
        {
            if o.keepttl || o.persist || (o.unit != 0 && o.unit != unit) || !has_next {
                return Err(syntax_error());
            }
            o.unit = unit;
            o.expire = Some(args[j + 1].clone());
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

/// The absolute expiry in ms for an EX/PX/EXAT/PXAT argument, with Redis's validation.
fn expire_ms(ctx: &Ctx, value: &[u8], unit: u8, cmd: &str) -> Result<i64, Reply> {
    let n = parse_int(value).ok_or_else(|| Reply::err(ERR_NOT_INT))?;
    let invalid = || Reply::err(format!("ERR invalid expire time in '{cmd}' command"));
    let seconds = unit == EX || unit == EXAT;
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { n * 1000 } else { n };
    if unit == EX || unit == PX {
        ms = ms.checked_add(ctx.now_ms).ok_or_else(invalid)?;
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// Redis's `setGenericCommand`.
fn set_generic(
    ctx: &mut Ctx,
    key: &Bytes,
    val: &Bytes,
    o: &SetOptions,
    cmd: &str,
    ok: Reply,
    abort: Reply,
) -> Reply {
    let expire = match &o.expire {
        Some(e) => match expire_ms(ctx, e, o.unit, cmd) {
            Ok(ms) => Some(ms),
            Err(r) => return r,
        },
        None => None,
    };
    let mut old = None;
    if o.get {
        match read_string(ctx, key) {
            Ok(v) => old = Some(v.map(|s| Reply::bulk(s.as_bytes())).unwrap_or(Reply::Null)),
            Err(e) => return e,
        }
    }
    let found = ctx.lookup_write(key).is_some();
    if (o.nx && found) || (o.xx && !found) {
        return old.unwrap_or(abort);
    }
    ctx.set_key(key, Value::Str(RString::new(val)), o.keepttl);
    ctx.st.dirty += 1;
    ctx.notify(notify::STRING, "set", key);
    if let Some(ms) = expire {
        ctx.db().set_expire(key, ms);
        ctx.notify(notify::GENERIC, "expire", key);
        // Replicas and the AOF get the absolute expiry (`SET key value PXAT ms`).
        if ctx.propagating() {
            let mut argv = vec![
                Bytes::from_static(b"SET"),
                key.clone(),
                val.clone(),
                Bytes::from_static(b"PXAT"),
                Bytes::from(ms.to_string()),
            ];
            if o.nx {
                argv.push(Bytes::from_static(b"NX"));
            }
            if o.xx {
                argv.push(Bytes::from_static(b"XX"));
            }
            ctx.propagate_as(argv);
        }
    }
    old.unwrap_or(ok)
}

fn set(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match parse_set_options(args, 3, true) {
        Ok(o) => set_generic(ctx, &args[1], &args[2], &o, "set", Reply::ok(), Reply::Null),
        Err(e) => e,
    }
}

fn setnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let o = SetOptions {
        nx: true,
        xx: false,
        get: false,
        keepttl: false,
        persist: false,
        unit: 0,
        expire: None,
    };
    set_generic(
        ctx,
        &args[1],
        &args[2],
        &o,
        "setnx",
        Reply::Int(1),
        Reply::Int(0),
    )
}

fn setex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let o = SetOptions {
        nx: false,
        xx: false,
        get: false,
        keepttl: false,
        persist: false,
        unit: EX,
        expire: Some(args[2].clone()),
    };
    set_generic(
        ctx,
        &args[1],
        &args[3],
        &o,
        "setex",
        Reply::ok(),
        Reply::Null,
    )
}

fn psetex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let o = SetOptions {
        nx: false,
        xx: false,
        get: false,
        keepttl: false,
        persist: false,
        unit: PX,
        expire: Some(args[2].clone()),
    };
    set_generic(
        ctx,
        &args[1],
        &args[3],
        &o,
        "psetex",
        Reply::ok(),
        Reply::Null,
    )
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_string(ctx, &args[1]) {
        Ok(Some(s)) => Reply::bulk(s.as_bytes()),
        Ok(None) => Reply::Null,
        Err(e) => e,
    }
}

fn getex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let o = match parse_set_options(args, 2, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let key = &args[1];
    let value = match read_string(ctx, key) {
        Ok(Some(s)) => Reply::bulk(s.as_bytes()),
        Ok(None) => return Reply::Null,
        Err(e) => return e,
    };
    let expire = match &o.expire {
        Some(e) => match expire_ms(ctx, e, o.unit, "getex") {
            Ok(ms) => Some(ms),
            Err(r) => return r,
        },
        None => None,
    };
    if let Some(ms) = expire {
        if (o.unit == EXAT || o.unit == PXAT) && ms <= ctx.now_ms {
            ctx.delete_key(key);
            ctx.modified(key, notify::GENERIC, "del");
            ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key.clone()]);
        } else {
            ctx.db().set_expire(key, ms);
            ctx.modified(key, notify::GENERIC, "expire");
            ctx.propagate_as(vec![
                Bytes::from_static(b"PEXPIREAT"),
                key.clone(),
                Bytes::from(ms.to_string()),
            ]);
        }
    } else if o.persist && ctx.db().persist(key) {
        ctx.modified(key, notify::GENERIC, "persist");
        ctx.propagate_as(vec![Bytes::from_static(b"PERSIST"), key.clone()]);
    }
    value
}

fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let value = match read_string(ctx, &args[1]) {
        Ok(Some(s)) => Reply::bulk(s.as_bytes()),
        Ok(None) => return Reply::Null,
        Err(e) => return e,
    };
    ctx.delete_key(&args[1]);
    ctx.modified(&args[1], notify::GENERIC, "del");
    value
}

fn getset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let old = match read_string(ctx, &args[1]) {
        Ok(v) => v.map(|s| Reply::bulk(s.as_bytes())).unwrap_or(Reply::Null),
        Err(e) => return e,
    };
    ctx.set_key(&args[1], Value::Str(RString::new(&args[2])), false);
    ctx.modified(&args[1], notify::STRING, "set");
    old
}

fn mset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len().is_multiple_of(2) {
        return Reply::err(format!(
            "ERR wrong number of arguments for '{}' command",
            "mset"
        ));
    }
    for kv in args[1..].chunks(2) {
        ctx.set_key(&kv[0], Value::Str(RString::new(&kv[1])), false);
        ctx.modified(&kv[0], notify::STRING, "set");
    }
    Reply::ok()
}

fn msetnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len().is_multiple_of(2) {
        return Reply::err("ERR wrong number of arguments for 'msetnx' command");
    }
    if args[1..]
        .chunks(2)
        .any(|kv| ctx.lookup_write(&kv[0]).is_some())
    {
        return Reply::Int(0);
    }
    for kv in args[1..].chunks(2) {
        ctx.set_key(&kv[0], Value::Str(RString::new(&kv[1])), false);
        ctx.modified(&kv[0], notify::STRING, "set");
    }
    Reply::Int(1)
}

fn mget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Array(
        args[1..]
            .iter()
            .map(|k| match ctx.read(k) {
                Some(Value::Str(s)) => Reply::bulk(s.as_bytes()),
                _ => Reply::Null,
            })
            .collect(),
    )
}

/// Redis's `checkStringLength`: the result may not exceed proto-max-bulk-len.
fn check_len(ctx: &Ctx, total: u64) -> Result<(), Reply> {
    if total > ctx.st.config.tunables.proto_max_bulk_len as u64 {
        Err(Reply::err(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ))
    } else {
        Ok(())
    }
}

fn append(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let cur = match ctx.write(key) {
        None => None,
        Some(Value::Str(s)) => Some(s.len()),
        Some(_) => return wrong_type(),
    };
    let len = match cur {
        None => {
            ctx.add_key(key, Value::Str(RString::new(&args[2])));
            args[2].len()
        }
        Some(l) => {
            if let Err(e) = check_len(ctx, (l + args[2].len()) as u64) {
                return e;
            }
            let Some(Value::Str(s)) = ctx.write(key) else {
                return wrong_type();
            };
            let v = s.make_raw();
            v.extend_from_slice(&args[2]);
            v.len()
        }
    };
    ctx.modified(key, notify::STRING, "append");
    Reply::Int(len as i64)
}

fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_string(ctx, &args[1]) {
        Ok(Some(s)) => Reply::Int(s.len() as i64),
        Ok(None) => Reply::Int(0),
        Err(e) => e,
    }
}

fn setrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let offset = match int_arg(&args[2]) {
        Ok(o) if o >= 0 => o as u64,
        Ok(_) => return Reply::err("ERR offset is out of range"),
        Err(e) => return e,
    };
    let value = &args[3];
    let exists = match ctx.write(key) {
        None => false,
        Some(Value::Str(_)) => true,
        Some(_) => return wrong_type(),
    };
    if value.is_empty() {
        // Nothing to write: answer the current length before any size check, as Redis does.
        return match ctx.write(key) {
            Some(Value::Str(s)) => Reply::Int(s.len() as i64),
            _ => Reply::Int(0),
        };
    }
    if let Err(e) = check_len(ctx, offset + value.len() as u64) {
        return e;
    }
    if !exists {
        ctx.add_key(key, Value::Str(RString::raw(Vec::new())));
    }
    let Some(Value::Str(s)) = ctx.write(key) else {
        return wrong_type();
    };
    let v = s.make_raw();
    let end = offset as usize + value.len();
    if v.len() < end {
        v.resize(end, 0);
    }
    v[offset as usize..end].copy_from_slice(value);
    let len = v.len();
    ctx.modified(key, notify::STRING, "setrange");
    Reply::Int(len as i64)
}

fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (start, end) = match (parse_int(&args[2]), parse_int(&args[3])) {
        (Some(s), Some(e)) => (s, e),
        _ => return Reply::err(ERR_NOT_INT),
    };
    let s = match read_string(ctx, &args[1]) {
        Ok(Some(s)) => s.as_bytes(),
        Ok(None) => return Reply::bulk(""),
        Err(e) => return e,
    };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Reply::bulk("");
    }
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if end < 0 {
        end = 0;
    }
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Reply::bulk("");
    }
    Reply::bulk(&s[start as usize..=end as usize])
}

fn incr_decr(ctx: &mut Ctx, key: &Bytes, by: i64) -> Reply {
    let new = match ctx.write(key) {
        None => None,
        Some(Value::Str(s)) => {
            let Some(cur) = s.as_int() else {
                return Reply::err(ERR_NOT_INT);
            };
            let Some(new) = cur.checked_add(by) else {
                return Reply::err("ERR increment or decrement would overflow");
            };
            *s = RString::from_int(new);
            Some(new)
        }
        Some(_) => return wrong_type(),
    };
    let new = match new {
        Some(n) => n,
        None => {
            ctx.add_key(key, Value::Str(RString::from_int(by)));
            by
        }
    };
    ctx.modified(key, notify::STRING, "incrby");
    Reply::Int(new)
}

fn incr(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    incr_decr(ctx, &args[1], 1)
}
fn decr(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    incr_decr(ctx, &args[1], -1)
}
fn incrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match int_arg(&args[2]) {
        Ok(by) => incr_decr(ctx, &args[1], by),
        Err(e) => e,
    }
}
fn decrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match int_arg(&args[2]) {
        Ok(i64::MIN) => Reply::err("ERR decrement would overflow"),
        Ok(by) => incr_decr(ctx, &args[1], -by),
        Err(e) => e,
    }
}

fn incrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let current = match ctx.write(key) {
        None => None,
        Some(Value::Str(s)) => Some(s.as_bytes().to_vec()),
        Some(_) => return wrong_type(),
    };
    let text = match incr_by_float(current.as_deref(), &args[2]) {
        Ok(t) => t,
        Err(e) => return Reply::err(e.message()),
    };
    match ctx.write(key) {
        Some(Value::Str(s)) => *s = RString::from_text(text.clone().into_bytes()),
        _ => ctx.add_key(
            key,
            Value::Str(RString::from_text(text.clone().into_bytes())),
        ),
    }
    ctx.modified(key, notify::STRING, "incrbyfloat");
    // The result, not the increment: float arithmetic must not be redone elsewhere.
    ctx.propagate_as(vec![
        Bytes::from_static(b"SET"),
        key.clone(),
        Bytes::from(text.clone()),
        Bytes::from_static(b"KEEPTTL"),
    ]);
    Reply::bulk_str(text)
}

fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let a = match ctx.read(&args[1]) {
        None => Vec::new(),
        Some(Value::Str(s)) => s.as_bytes().to_vec(),
        Some(_) => return Reply::err("ERR The specified keys must contain string values"),
    };
    let b = match ctx.read(&args[2]) {
        None => Vec::new(),
        Some(Value::Str(s)) => s.as_bytes().to_vec(),
        Some(_) => return Reply::err("ERR The specified keys must contain string values"),
    };
    let (mut getlen, mut getidx, mut withmatchlen, mut minmatchlen) = (false, false, false, 0i64);
    let mut j = 3;
    while j < args.len() {
        if is(&args[j], "IDX") {
            getidx = true;
        } else if is(&args[j], "LEN") {
            getlen = true;
        } else if is(&args[j], "WITHMATCHLEN") {
            withmatchlen = true;
        } else if is(&args[j], "MINMATCHLEN") && j + 1 < args.len() {
            minmatchlen = match int_arg(&args[j + 1]) {
                Ok(v) => v.max(0),
                Err(e) => return e,
            };
            j += 1;
        } else {
            return syntax_error();
        }
        j += 1;
    }
    if getlen && getidx {
        return Reply::err("ERR If you want both the length and indexes, please just use IDX.");
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1) * 4;
    if cells > ctx.st.config.tunables.proto_max_bulk_len as u64 {
        return Reply::err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    // table[i][j] = LCS length of a[..i] and b[..j]
    let w = blen + 1;
    let mut table = vec![0u32; (alen + 1) * w];
    for i in 1..=alen {
        for jj in 1..=blen {
            table[i * w + jj] = if a[i - 1] == b[jj - 1] {
                table[(i - 1) * w + jj - 1] + 1
            } else {
                table[(i - 1) * w + jj].max(table[i * w + jj - 1])
            };
        }
    }
    let total = table[alen * w + blen];
    if getlen {
        return Reply::Int(total as i64);
    }
    // Walk back from the end, collecting the LCS and (for IDX) the matching ranges.
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut matches = Vec::new();
    let (mut i, mut jj) = (alen, blen);
    let none = alen;
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (none, 0usize, 0usize, 0usize);
    while i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == none {
                a_start = i - 1;
                a_end = i - 1;
                b_start = jj - 1;
                b_end = jj - 1;
            } else if a_start == i && b_start == jj {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if table[(i - 1) * w + jj] > table[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if a_start != none {
                emit = true;
            }
        }
        if emit {
            let match_len = (a_end - a_start + 1) as i64;
            if getidx && (minmatchlen == 0 || match_len >= minmatchlen) {
                let mut m = vec![
                    Reply::Array(vec![Reply::Int(a_start as i64), Reply::Int(a_end as i64)]),
                    Reply::Array(vec![Reply::Int(b_start as i64), Reply::Int(b_end as i64)]),
                ];
                if withmatchlen {
                    m.push(Reply::Int(match_len));
                }
                matches.push(Reply::Array(m));
            }
            a_start = none;
        }
    }
    if getidx {
        Reply::Map(vec![
            (Reply::bulk("matches"), Reply::Array(matches)),
            (Reply::bulk("len"), Reply::Int(total as i64)),
        ])
    } else {
        Reply::Bulk(Bytes::from(result))
    }
}
