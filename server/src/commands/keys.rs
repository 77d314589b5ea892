//! Generic key commands: DEL, EXISTS, TYPE, RENAME, COPY, MOVE, SWAPDB, KEYS, SCAN, RANDOMKEY,
//! TOUCH, OBJECT, and the expiry commands (EXPIRE family, TTL family, PERSIST).

use super::{int_arg, is, syntax_error, text, ERR_NOT_INT};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::Ctx;
use crate::types::Value;
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("del", del),
    ("unlink", del),
    ("exists", exists),
    ("type", type_),
    ("rename", rename),
    ("renamenx", renamenx),
    ("copy", copy),
    ("move", move_),
    ("swapdb", swapdb),
    ("keys", keys),
    ("scan", scan),
    ("randomkey", randomkey),
    ("touch", touch),
    ("object|encoding", object_encoding),
    ("object|refcount", object_refcount),
    ("object|idletime", object_idletime),
    ("object|freq", object_freq),
    ("object|help", object_help),
    ("expire", expire),
    ("pexpire", pexpire),
    ("expireat", expireat),
    ("pexpireat", pexpireat),
    ("ttl", ttl),
    ("pttl", pttl),
    ("expiretime", expiretime),
    ("pexpiretime", pexpiretime),
    ("persist", persist),
];

fn del(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut n = 0;
    for k in &args[1..] {
        if ctx.delete_key(k) {
            ctx.modified(k, notify::GENERIC, "del");
            n += 1;
        }
    }
    Reply::Int(n)
}

fn exists(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Int(args[1..].iter().filter(|k| ctx.exists(k)).count() as i64)
}

fn type_(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let db = ctx.db_index();
    ctx.st.expire_if_needed(db, &args[1], ctx.now_ms);
    match ctx.st.dbs[db].keys.get(&args[1]) {
        Some(e) => Reply::Simple(e.value.type_name()),
        None => Reply::Simple("none"),
    }
}

/// RENAME/RENAMENX; `nx` makes an existing destination a no-op answered with 0.
fn rename_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> Reply {
    let (src, dst) = (&args[1], &args[2]);
    if ctx.lookup_write(src).is_none() {
        return Reply::err("ERR no such key");
    }
    if src == dst {
        return if nx { Reply::Int(0) } else { Reply::ok() };
    }
    let dst_exists = ctx.lookup_write(dst).is_some();
    if nx && dst_exists {
        return Reply::Int(0);
    }
    let db = ctx.db_index();
    let ttl = ctx.st.dbs[db].expire_at(src);
    let Some(value) = ctx.st.dbs[db].remove(src) else {
        return Reply::err("ERR no such key");
    };
    if dst_exists {
        ctx.st.dbs[db].remove(dst);
    }
    ctx.set_key(dst, value, false);
    if let Some(t) = ttl {
        ctx.db().set_expire(dst, t);
    }
    ctx.st.touch_watched(db, src);
    ctx.st.dirty += 1;
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    if nx {
        Reply::Int(1)
    } else {
        Reply::ok()
    }
}

fn rename(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rename_generic(ctx, args, true)
}

fn db_index_arg(ctx: &Ctx, a: &[u8]) -> Result<usize, Reply> {
    let n = parse_int(a).ok_or_else(|| Reply::err(ERR_NOT_INT))?;
    if n < 0 || n as usize >= ctx.st.dbs.len() {
        return Err(Reply::err("ERR DB index is out of range"));
    }
    Ok(n as usize)
}

fn copy(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (src, dst) = (&args[1], &args[2]);
    let mut target_db = ctx.db_index();
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "REPLACE") {
            replace = true;
            i += 1;
        } else if is(&args[i], "DB") && i + 1 < args.len() {
            target_db = match db_index_arg(ctx, &args[i + 1]) {
                Ok(d) => d,
                Err(e) => return e,
            };
            i += 2;
        } else {
            return syntax_error();
        }
    }
    let src_db = ctx.db_index();
    if src_db == target_db && src == dst {
        return Reply::err("ERR source and destination objects are the same");
    }
    let Some(value) = ctx.lookup_write(src).map(|e| e.value.clone()) else {
        return Reply::Int(0);
    };
    let ttl = ctx.st.dbs[src_db].expire_at(src);
    ctx.st.expire_if_needed(target_db, dst, ctx.now_ms);
    if ctx.st.dbs[target_db].keys.contains_key(dst) {
        if !replace {
            return Reply::Int(0);
        }
        ctx.st.dbs[target_db].remove(dst);
    }
    let access = ctx.new_access();
    ctx.st.dbs[target_db].set(dst, value, access);
    if let Some(t) = ttl {
        ctx.st.dbs[target_db].set_expire(dst, t);
    }
    ctx.st.touch_watched(target_db, dst);
    ctx.st.signal_ready(target_db, dst);
    ctx.st.dirty += 1;
    ctx.st.notify(notify::GENERIC, "copy_to", dst, target_db);
    Reply::Int(1)
}

fn move_(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let src_db = ctx.db_index();
    let dst_db = match parse_int(&args[2]) {
        Some(n) if n >= 0 && (n as usize) < ctx.st.dbs.len() => n as usize,
        Some(_) => return Reply::err("ERR DB index is out of range"),
        None => return Reply::err(ERR_NOT_INT),
    };
    if src_db == dst_db {
        return Reply::err("ERR source and destination objects are the same");
    }
    if ctx.lookup_write(key).is_none() {
        return Reply::Int(0);
    }
    ctx.st.expire_if_needed(dst_db, key, ctx.now_ms);
    if ctx.st.dbs[dst_db].keys.contains_key(key) {
        return Reply::Int(0);
    }
    let ttl = ctx.st.dbs[src_db].expire_at(key);
    let Some(value) = ctx.st.dbs[src_db].remove(key) else {
        return Reply::Int(0);
    };
    let access = ctx.new_access();
    ctx.st.dbs[dst_db].set(key, value, access);
    if let Some(t) = ttl {
        ctx.st.dbs[dst_db].set_expire(key, t);
    }
    ctx.st.touch_watched(src_db, key);
    ctx.st.touch_watched(dst_db, key);
    ctx.st.signal_ready(dst_db, key);
    ctx.st.dirty += 1;
    ctx.st.notify(notify::GENERIC, "move_from", key, src_db);
    ctx.st.notify(notify::GENERIC, "move_to", key, dst_db);
    Reply::Int(1)
}

fn swapdb(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(a) = parse_int(&args[1]) else {
        return Reply::err("ERR invalid first DB index");
    };
    let Some(b) = parse_int(&args[2]) else {
        return Reply::err("ERR invalid second DB index");
    };
    let n = ctx.st.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Reply::err("ERR DB index is out of range");
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        ctx.st.touch_all_watched(Some(a));
        ctx.st.touch_all_watched(Some(b));
        // A running snapshot keeps both dbs as they were before the swap.
        ctx.st.dbs[a].capture_all();
        ctx.st.dbs[b].capture_all();
        ctx.st.dbs.swap(a, b);
        ctx.st.touch_all_watched(Some(a));
        ctx.st.touch_all_watched(Some(b));
        ctx.st.dirty += 1;
        // Clients blocked on keys of either db may now be served.
        let keys: Vec<(usize, Bytes)> = [a, b]
            .iter()
            .flat_map(|&d| {
                ctx.st.dbs[d]
                    .keys
                    .iter()
                    .filter(|(_, e)| {
                        matches!(e.value, Value::List(_) | Value::ZSet(_) | Value::Stream(_))
                    })
                    .map(move |(k, _)| (d, Bytes::copy_from_slice(k)))
                    .collect::<Vec<_>>()
            })
            .collect();
        if !ctx.st.blocking.is_empty() {
            for (d, k) in keys {
                ctx.st.signal_ready(d, &k);
            }
        }
    }
    Reply::ok()
}

fn keys(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let pattern = &args[1];
    let all = pattern.as_ref() == b"*";
    let now = ctx.now_ms;
    let db = &ctx.st.dbs[ctx.client.db];
    let out: Vec<Reply> = db
        .keys
        .keys()
        .filter(|k| !db.is_expired(k, now) && (all || crate::glob::matches(pattern, k, false)))
        .map(Reply::bulk)
        .collect();
    Reply::Array(out)
}

/// Parsed SCAN-family options (MATCH, COUNT, and TYPE for SCAN itself).
pub struct ScanOptions {
    pub pattern: Option<Bytes>,
    pub count: usize,
    pub type_filter: Option<String>,
}

/// Parses a SCAN cursor argument.
/// Parses a SCAN cursor the way Redis does (`strtoul`): an optional sign, digits, nothing else;
/// a negative number wraps around, the empty string is 0, and values past u64 are refused.
pub fn parse_cursor(a: &[u8]) -> Result<u64, Reply> {
    let invalid = || Reply::err("ERR invalid cursor");
    let (neg, digits) = match a.first() {
        Some(b'-') => (true, &a[1..]),
        Some(b'+') => (false, &a[1..]),
        _ => (false, a),
    };
    if !digits.iter().all(|b| b.is_ascii_digit()) || (digits.is_empty() && !a.is_empty()) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// Parses `[MATCH pattern] [COUNT count] [TYPE type]` starting at `args[from]`.
pub fn parse_scan_options(
    args: &[Bytes],
    from: usize,
    allow_type: bool,
) -> Result<ScanOptions, Reply> {
    let mut o = ScanOptions {
        pattern: None,
        count: 10,
        type_filter: None,
    };
    let mut i = from;
    while i < args.len() {
        if i + 1 >= args.len() {
            return Err(syntax_error());
        }
        if is(&args[i], "COUNT") {
            let n = int_arg(&args[i + 1])?;
            if n < 1 {
                return Err(syntax_error());
            }
            o.count = n as usize;
        } else if is(&args[i], "MATCH") {
            o.pattern = if args[i + 1].as_ref() == b"*" {
                None
            } else {
                Some(args[i + 1].clone())
            };
        } else if allow_type && is(&args[i], "TYPE") {
            o.type_filter = Some(text(&args[i + 1]).to_ascii_lowercase());
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    Ok(o)
}

fn scan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = match parse_cursor(&args[1]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let o = match parse_scan_options(args, 2, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let db = ctx.client.db;
    let mut found: Vec<Bytes> = Vec::new();
    let cur = ctx.st.dbs[db].keys.scan_some(cursor, o.count, |k, _| {
        found.push(Bytes::copy_from_slice(k))
    });
    let now = ctx.now_ms;
    let mut out = Vec::new();
    for k in found {
        if let Some(p) = &o.pattern {
            if !crate::glob::matches(p, &k, false) {
                continue;
            }
        }
        if ctx.st.expire_if_needed(db, &k, now) {
            continue;
        }
        if let Some(t) = &o.type_filter {
            match ctx.st.dbs[db].keys.get(&k) {
                Some(e) if e.value.type_name() == t => {}
                _ => continue,
            }
        }
        out.push(Reply::Bulk(k));
    }
    Reply::Array(vec![Reply::bulk_str(cur.to_string()), Reply::Array(out)])
}

fn randomkey(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let db = ctx.client.db;
    for _ in 0..100 {
        let Some((k, _)) = ctx.st.dbs[db].keys.random_entry(&mut ctx.st.rng) else {
            return Reply::Null;
        };
        let k = Bytes::copy_from_slice(k);
        if ctx.st.expire_if_needed(db, &k, ctx.now_ms) {
            continue;
        }
        return Reply::Bulk(k);
    }
    Reply::Null
}

fn touch(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Int(
        args[1..]
            .iter()
            .filter(|k| ctx.lookup_read(k).is_some())
            .count() as i64,
    )
}

/// OBJECT subcommands look the key up without touching its access time.
fn peek(ctx: &mut Ctx, key: &[u8]) -> Option<(String, u32, bool)> {
    let db = ctx.client.db;
    ctx.st.expire_if_needed(db, key, ctx.now_ms);
    ctx.st.dbs[db].keys.get(key).map(|e| {
        let shared_int = matches!(&e.value, Value::Str(s) if s.encoding_name() == "int" && s.as_int().is_some_and(|i| (0..10000).contains(&i)));
        (e.value.encoding_name().to_string(), e.access, shared_int)
    })
}

fn object_encoding(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match peek(ctx, &args[2]) {
        Some((enc, _, _)) => Reply::bulk_str(enc),
        None => Reply::Null,
    }
}

fn object_refcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let lru_policy = ctx.st.config.tunables.maxmemory > 0
        && (ctx.st.config.tunables.maxmemory_policy.contains("lru")
            || ctx.st.config.tunables.maxmemory_policy.contains("lfu"));
    match peek(ctx, &args[2]) {
        Some((_, _, shared)) => Reply::Int(if shared && !lru_policy {
            i32::MAX as i64
        } else {
            1
        }),
        None => Reply::Null,
    }
}

fn object_idletime(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some((_, access, _)) = peek(ctx, &args[2]) else {
        return Reply::Null;
    };
    if ctx.st.lfu {
        return Reply::err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    Reply::Int(crate::eviction::lru_idle_secs(access, ctx.now_ms) as i64)
}

fn object_freq(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some((_, access, _)) = peek(ctx, &args[2]) else {
        return Reply::Null;
    };
    if !ctx.st.lfu {
        return Reply::err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    Reply::Int(crate::eviction::lfu_decayed_counter(
        access,
        ctx.now_ms,
        ctx.st.config.tunables.lfu_decay_time,
    ) as i64)
}

fn object_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    crate::commands::connection::help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT: `unit_ms` 1000 for seconds, `absolute` for the *AT forms.
fn expire_generic(ctx: &mut Ctx, args: &[Bytes], unit_ms: i64, absolute: bool) -> Reply {
    let name = text(&args[0]).to_ascii_lowercase();
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for a in &args[3..] {
        if is(a, "NX") {
            nx = true;
        } else if is(a, "XX") {
            xx = true;
        } else if is(a, "GT") {
            gt = true;
        } else if is(a, "LT") {
            lt = true;
        } else {
            return Reply::err(format!("ERR Unsupported option {}", text(a)));
        }
    }
    if nx && (xx || gt || lt) {
        return Reply::err("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if gt && lt {
        return Reply::err("ERR GT and LT options at the same time are not compatible");
    }
    let Some(when) = parse_int(&args[2]) else {
        return Reply::err(ERR_NOT_INT);
    };
    let invalid = || Reply::err(format!("ERR invalid expire time in '{name}' command"));
    let Some(mut at) = when.checked_mul(unit_ms) else {
        return invalid();
    };
    if !absolute {
        match at.checked_add(ctx.now_ms) {
            Some(v) => at = v,
            None => return invalid(),
        }
    }
    let key = &args[1];
    if ctx.lookup_write(key).is_none() {
        return Reply::Int(0);
    }
    let db = ctx.db_index();
    let current = ctx.st.dbs[db].expire_at(key);
    if (nx && current.is_some()) || (xx && current.is_none()) {
        return Reply::Int(0);
    }
    if gt && current.is_none_or(|c| at <= c) {
        return Reply::Int(0);
    }
    if lt && current.is_some_and(|c| at >= c) {
        return Reply::Int(0);
    }
    if at <= ctx.now_ms {
        ctx.delete_key(key);
        ctx.modified(key, notify::GENERIC, "del");
        ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key.clone()]);
        return Reply::Int(1);
    }
    ctx.db().set_expire(key, at);
    ctx.modified(key, notify::GENERIC, "expire");
    // Replicas and the AOF get the absolute time, whatever the form called.
    ctx.propagate_as(vec![
        Bytes::from_static(b"PEXPIREAT"),
        key.clone(),
        Bytes::from(at.to_string()),
    ]);
    Reply::Int(1)
}

fn expire(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, 1000, false)
}
fn pexpire(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, 1, false)
}
fn expireat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, 1000, true)
}
fn pexpireat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, 1, true)
}

/// TTL-family answer: remaining (or absolute) time in ms, -1 without TTL, -2 without key.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], ms: bool, absolute: bool) -> Reply {
    if ctx.lookup_read(key).is_none() {
        return Reply::Int(-2);
    }
    let Some(at) = ctx.st.dbs[ctx.client.db].expire_at(key) else {
        return Reply::Int(-1);
    };
    let v = if absolute {
        at
    } else {
        (at - ctx.now_ms).max(0)
    };
    Reply::Int(if ms { v } else { (v + 500) / 1000 })
}

fn ttl(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], false, false)
}
fn pttl(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], true, false)
}
fn expiretime(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], false, true)
}
fn pexpiretime(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], true, true)
}

fn persist(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if ctx.lookup_write(&args[1]).is_none() {
        return Reply::Int(0);
    }
    if ctx.db().persist(&args[1]) {
        ctx.modified(&args[1], notify::GENERIC, "persist");
        Reply::Int(1)
    } else {
        Reply::Int(0)
    }
}
