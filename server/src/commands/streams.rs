//! Stream commands: XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM, XREAD (with BLOCK), the consumer-group
//! family (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), XINFO and XSETID.
//!
//! Argument parsing, error texts and the order of checks follow `t_stream.c` of Redis 7.0.15. The
//! data structure and its node layout live in `types::stream`.

use super::{is, syntax_error, ERR_NOT_INT};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::stream::{decr_id, incr_id, ConsumerGroup, Consumer, Nack, StreamEntry, StreamId, TrimStrategy, INVALID_ENTRIES_READ, MAX_ID, MIN_ID};
use crate::types::{Stream, Value};
use bytes::{Bytes, BytesMut};
use crate::protocol::reply::put_bulk;
use redoubt_rdb::entry::Entry as Element;
use std::fmt::Write as _;
use std::collections::BTreeSet;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("xadd", xadd),
    ("xlen", xlen),
    ("xrange", xrange),
    ("xrevrange", xrevrange),
    ("xdel", xdel),
    ("xtrim", xtrim),
    ("xread", xread),
    ("xreadgroup", xread),
    ("xgroup|create", xgroup),
    ("xgroup|setid", xgroup),
    ("xgroup|destroy", xgroup),
    ("xgroup|createconsumer", xgroup),
    ("xgroup|delconsumer", xgroup),
    ("xgroup|help", xgroup_help),
    ("xack", xack),
    ("xpending", xpending),
    ("xclaim", xclaim),
    ("xautoclaim", xautoclaim),
    ("xinfo|stream", xinfo),
    ("xinfo|groups", xinfo),
    ("xinfo|consumers", xinfo),
    ("xinfo|help", xinfo_help),
    ("xsetid", xsetid),
];

const ERR_INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";
/// How many entries a blocked XREAD without COUNT gets (`XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: usize = 1000;

// ---------------------------------------------------------------------------------------------
// IDs and replies
// ---------------------------------------------------------------------------------------------

/// `string2ull`: a canonical non-negative integer, or a plain run of digits up to u64::MAX.
fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_int(s) {
        return (v >= 0).then_some(v as u64);
    }
    // strtoull also takes one leading '+'.
    let s = s.strip_prefix(b"+").unwrap_or(s);
    if s.is_empty() || !s.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `streamGenericParseIDOrReply`: returns the ID and whether the sequence was given (false for the
/// `ms-*` form, only accepted when `allow_seq_star`).
fn parse_id_generic(a: &[u8], missing_seq: u64, strict: bool, allow_seq_star: bool) -> Result<(StreamId, bool), Reply> {
    let invalid = || Reply::err(ERR_INVALID_ID);
    if a.len() > 127 {
        return Err(invalid());
    }
    if a == b"-" || a == b"+" {
        if strict {
            return Err(invalid());
        }
        return Ok((if a == b"-" { MIN_ID } else { MAX_ID }, true));
    }
    let (ms_part, seq_part) = match a.iter().position(|&b| b == b'-') {
        Some(p) => (&a[..p], Some(&a[p + 1..])),
        None => (a, None),
    };
    let ms = parse_u64(ms_part).ok_or_else(invalid)?;
    match seq_part {
        Some(b"*") if allow_seq_star => Ok((StreamId { ms, seq: 0 }, false)),
        Some(s) => Ok((StreamId { ms, seq: parse_u64(s).ok_or_else(invalid)? }, true)),
        None => Ok((StreamId { ms, seq: missing_seq }, true)),
    }
}

fn parse_id(a: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_generic(a, missing_seq, false, false).map(|x| x.0)
}

fn parse_strict_id(a: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_generic(a, missing_seq, true, false).map(|x| x.0)
}

/// A range bound: `(` makes it exclusive (then `-`/`+` are invalid).
fn parse_interval_id(a: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if a.len() > 1 && a[0] == b'(' {
        Ok((parse_strict_id(&a[1..], missing_seq)?, true))
    } else {
        Ok((parse_id(a, missing_seq)?, false))
    }
}

fn id_string(id: StreamId) -> String {
    format!("{}-{}", id.ms, id.seq)
}

fn id_reply(id: StreamId) -> Reply {
    let mut buf = [0u8; 48];
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    let _ = std::io::Write::write_fmt(&mut cur, format_args!("{}-{}", id.ms, id.seq));
    let len = cur.position() as usize;
    Reply::Bulk(Bytes::copy_from_slice(&buf[..len]))
}

fn entry_reply(e: &StreamEntry) -> Reply {
    let mut kv = Vec::with_capacity(e.fields.len() * 2);
    for (f, v) in &e.fields {
        kv.push(Reply::Bulk(f.clone()));
        kv.push(Reply::Bulk(v.clone()));
    }
    Reply::Array(vec![id_reply(e.id), Reply::Array(kv)])
}

fn entries_reply(es: &[StreamEntry]) -> Reply {
    Reply::Array(es.iter().map(entry_reply).collect())
}

/// A bulk string of something displayable, formatted on the stack.
fn put_bulk_display(out: &mut BytesMut, v: std::fmt::Arguments<'_>) {
    let mut buf = [0u8; 64];
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    let _ = std::io::Write::write_fmt(&mut cur, v);
    let len = cur.position() as usize;
    put_bulk(out, &buf[..len]);
}

fn put_element(out: &mut BytesMut, e: Element<'_>) {
    match e {
        Element::Str(s) => put_bulk(out, s),
        Element::Int(i) => put_bulk_display(out, format_args!("{i}")),
    }
}

/// The entries of a range, encoded straight from the nodes (the same bytes in RESP2 and RESP3).
fn range_reply(s: &Stream, start: StreamId, end: StreamId, rev: bool, count: usize) -> Reply {
    let mut body = BytesMut::new();
    let n = s.range_visit(start, end, rev, count, |id, pairs| {
        body.extend_from_slice(b"*2\r\n");
        put_bulk_display(&mut body, format_args!("{}-{}", id.ms, id.seq));
        let _ = write!(body, "*{}\r\n", pairs.len() * 2);
        for (f, v) in pairs {
            put_element(&mut body, *f);
            put_element(&mut body, *v);
        }
    });
    let mut out = BytesMut::with_capacity(body.len() + 16);
    let _ = write!(out, "*{n}\r\n");
    out.extend_from_slice(&body);
    Reply::Raw(out.freeze())
}

fn long_arg(a: &[u8], err: Option<&str>) -> Result<i64, Reply> {
    parse_int(a).ok_or_else(|| Reply::err(err.map(|e| format!("ERR {e}")).unwrap_or_else(|| ERR_NOT_INT.to_string())))
}

fn nogroup_key(key: &[u8], group: &[u8]) -> Reply {
    Reply::err(format!("NOGROUP No such key '{}' or consumer group '{}'", super::text(key), super::text(group)))
}

// ---------------------------------------------------------------------------------------------
// Keyspace access
// ---------------------------------------------------------------------------------------------

fn stream_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Stream>, Reply> {
    match ctx.lookup_read(key).map(|e| &mut e.value) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type()),
    }
}

fn stream_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Stream>, Reply> {
    match ctx.write(key) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type()),
    }
}

/// Finds or creates a consumer (`streamLookupConsumer` + `streamCreateConsumer`); returns whether
/// it was created. Lookups refresh the seen time.
fn touch_consumer(g: &mut ConsumerGroup, name: &[u8], now: i64) -> bool {
    match g.consumers.get_mut(name) {
        Some(c) => {
            c.seen_time = now;
            false
        }
        None => {
            g.consumers.insert(name.to_vec(), Consumer { seen_time: now, pel: BTreeSet::new() });
            true
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XADD / XTRIM
// ---------------------------------------------------------------------------------------------

struct AddTrimArgs {
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
    trim: Option<TrimStrategy>,
    approx: bool,
    limit: i64,
    /// Index of the ID argument (XADD).
    id_pos: usize,
}

/// `streamParseAddOrTrimArgsOrReply`.
fn parse_add_trim(ctx: &Ctx, args: &[Bytes], xadd: bool) -> Result<AddTrimArgs, Reply> {
    let mut a = AddTrimArgs { id: None, no_mkstream: false, trim: None, approx: false, limit: 0, id_pos: args.len() };
    let mut limit_given = false;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "MAXLEN") || is(opt, "MINID")) && more > 0 {
            if a.trim.is_some() {
                return Err(Reply::err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"));
            }
            a.approx = false;
            let next = &args[i + 1][..];
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if is(opt, "MAXLEN") {
                let n = long_arg(&args[i + 1], None)?;
                if n < 0 {
                    return Err(Reply::err("ERR The MAXLEN argument must be >= 0."));
                }
                a.trim = Some(TrimStrategy::MaxLen(n as u64));
            } else {
                a.trim = Some(TrimStrategy::MinId(parse_strict_id(&args[i + 1], 0)?));
            }
            i += 1;
        } else if is(opt, "LIMIT") && more > 0 {
            let n = long_arg(&args[i + 1], None)?;
            if n < 0 {
                return Err(Reply::err("ERR The LIMIT argument must be >= 0."));
            }
            a.limit = n;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "NOMKSTREAM") {
            a.no_mkstream = true;
        } else if xadd {
            a.id = Some(parse_id_generic(opt, 0, true, true)?);
            break;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    a.id_pos = i;
    if a.limit != 0 && a.trim.is_none() {
        return Err(Reply::err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && a.trim.is_none() {
        return Err(Reply::err("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !a.approx {
            return Err(Reply::err("ERR syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if a.approx {
        let n = 100 * ctx.tunables().stream_node_max_entries as i64;
        a.limit = if n <= 0 { 10000 } else { n.min(1_000_000) };
    } else {
        a.limit = 0;
    }
    Ok(a)
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
fn xadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let a = match parse_add_trim(ctx, args, true) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let field_pos = a.id_pos + 1;
    if args.len() < field_pos || args.len() - field_pos < 2 || (args.len() - field_pos) % 2 == 1 {
        return Reply::err("ERR wrong number of arguments for 'xadd' command");
    }
    if let Some((id, true)) = a.id {
        if id == MIN_ID {
            return Reply::err("ERR The ID specified in XADD must be greater than 0-0");
        }
    }
    let key = &args[1];
    match stream_mut(ctx, key) {
        Err(e) => return e,
        Ok(Some(_)) => {}
        Ok(None) => {
            if a.no_mkstream {
                return Reply::Null;
            }
            ctx.add_key(key, Value::Stream(Box::default()));
        }
    }
    let (max_bytes, max_entries) = (ctx.tunables().stream_node_max_bytes, ctx.tunables().stream_node_max_entries);
    let now = ctx.now_ms;
    let Ok(Some(s)) = stream_mut(ctx, key) else { return wrong_type() };
    if s.last_id == MAX_ID {
        return Reply::err("ERR The stream has exhausted the last possible ID, unable to add more items");
    }
    let edom = || Reply::err("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    let id = match a.id {
        Some((id, true)) => id,
        Some((id, false)) => {
            if s.last_id.ms == id.ms {
                if s.last_id.seq == u64::MAX {
                    // Redis fails here without setting errno to EDOM, so it reports the size error.
                    return Reply::err("ERR Elements are too large to be stored");
                }
                StreamId { ms: id.ms, seq: s.last_id.seq + 1 }
            } else {
                id
            }
        }
        None => {
            let ms = now.max(0) as u64;
            if ms > s.last_id.ms {
                StreamId { ms, seq: 0 }
            } else {
                match incr_id(s.last_id) {
                    Some(x) => x,
                    None => return edom(),
                }
            }
        }
    };
    if id <= s.last_id {
        return edom();
    }
    let total: usize = args[field_pos..].iter().map(|x| x.len()).sum();
    if total > crate::types::stream::LISTPACK_MAX_SIZE {
        return Reply::err("ERR Elements are too large to be stored");
    }
    let fields: Vec<(&[u8], &[u8])> = args[field_pos..].chunks(2).map(|c| (&c[0][..], &c[1][..])).collect();
    s.append(id, &fields, max_bytes, max_entries);
    let trimmed = match a.trim {
        Some(t) => s.trim(t, a.approx, a.limit),
        None => 0,
    };
    ctx.modified(key, notify::STREAM, "xadd");
    if trimmed > 0 {
        ctx.notify(notify::STREAM, "xtrim", key);
    }
    ctx.signal_ready(key);
    id_reply(id)
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
fn xtrim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let a = match parse_add_trim(ctx, args, false) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let key = &args[1];
    let deleted = match stream_mut(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Reply::Int(0),
        Ok(Some(s)) => match a.trim {
            Some(t) => s.trim(t, a.approx, a.limit),
            None => 0,
        },
    };
    if deleted > 0 {
        ctx.notify(notify::STREAM, "xtrim", key);
        let db = ctx.db_index();
        ctx.st.touch_watched(db, key);
        ctx.st.dirty += deleted as u64;
    }
    Reply::Int(deleted)
}

// ---------------------------------------------------------------------------------------------
// XLEN, XRANGE, XREVRANGE, XDEL
// ---------------------------------------------------------------------------------------------

fn xlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match stream_read(ctx, &args[1]) {
        Ok(Some(s)) => Reply::Int(s.len() as i64),
        Ok(None) => Reply::Int(0),
        Err(e) => e,
    }
}

fn xrange_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> Reply {
    let (start_arg, end_arg) = if rev { (&args[3], &args[2]) } else { (&args[2], &args[3]) };
    let (mut start, start_ex) = match parse_interval_id(start_arg, 0) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if start_ex {
        match incr_id(start) {
            Some(x) => start = x,
            None => return Reply::err("ERR invalid start ID for the interval"),
        }
    }
    let (mut end, end_ex) = match parse_interval_id(end_arg, u64::MAX) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if end_ex {
        match decr_id(end) {
            Some(x) => end = x,
            None => return Reply::err("ERR invalid end ID for the interval"),
        }
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if is(&args[j], "COUNT") && j + 1 < args.len() {
            count = match long_arg(&args[j + 1], None) {
                Ok(n) => n.max(0),
                Err(e) => return e,
            };
            j += 2;
        } else {
            return syntax_error();
        }
    }
    let s = match stream_read(ctx, &args[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::Array(vec![]),
        Err(e) => return e,
    };
    if count == 0 {
        return Reply::NullArray;
    }
    let count = if count < 0 { 0 } else { count as usize };
    range_reply(s, start, end, rev, count)
}

/// XRANGE key start end [COUNT count]
fn xrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    xrange_generic(ctx, args, false)
}

/// XREVRANGE key end start [COUNT count]
fn xrevrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    xrange_generic(ctx, args, true)
}

/// XDEL key id [id ...]
fn xdel(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    match stream_mut(ctx, key) {
        Ok(Some(_)) => {}
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    }
    let mut ids = Vec::with_capacity(args.len() - 2);
    for a in &args[2..] {
        match parse_strict_id(a, 0) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let Ok(Some(s)) = stream_mut(ctx, key) else { return wrong_type() };
    let mut deleted = 0;
    let mut first_entry = false;
    for id in ids {
        if s.delete(id) {
            if id == s.first_id {
                first_entry = true;
            }
            if id > s.max_deleted_id {
                s.max_deleted_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.is_empty() {
            s.first_id = MIN_ID;
        } else if first_entry {
            s.first_id = s.edge_id(true, true);
        }
        let db = ctx.db_index();
        ctx.st.touch_watched(db, key);
        ctx.notify(notify::STREAM, "xdel", key);
        ctx.st.dirty += deleted as u64;
    }
    Reply::Int(deleted)
}

// ---------------------------------------------------------------------------------------------
// XREAD / XREADGROUP
// ---------------------------------------------------------------------------------------------

/// What a read asks for on one stream.
#[derive(Clone, Copy)]
enum ReadFrom {
    After(StreamId),
    /// `>`: entries never delivered to the group.
    New,
}

struct ReadArgs {
    block_ms: Option<i64>,
    count: usize,
    streams_arg: usize,
    n: usize,
    group: Option<(Bytes, Bytes)>,
    noack: bool,
}

fn parse_read(args: &[Bytes], xreadgroup: bool) -> Result<ReadArgs, Reply> {
    let mut r = ReadArgs { block_ms: None, count: 0, streams_arg: 0, n: 0, group: None, noack: false };
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        let o = &args[i][..];
        if is(o, "BLOCK") && more > 0 {
            i += 1;
            let t = long_arg(&args[i], Some("timeout is not an integer or out of range"))?;
            if t < 0 {
                return Err(Reply::err("ERR timeout is negative"));
            }
            r.block_ms = Some(t);
        } else if is(o, "COUNT") && more > 0 {
            i += 1;
            r.count = long_arg(&args[i], None)?.max(0) as usize;
        } else if is(o, "STREAMS") && more > 0 {
            r.streams_arg = i + 1;
            let n = args.len() - r.streams_arg;
            if n % 2 != 0 {
                return Err(Reply::err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."));
            }
            r.n = n / 2;
            break;
        } else if is(o, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(Reply::err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."));
            }
            r.group = Some((args[i + 1].clone(), args[i + 2].clone()));
            i += 2;
        } else if is(o, "NOACK") {
            if !xreadgroup {
                return Err(Reply::err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."));
            }
            r.noack = true;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if r.streams_arg == 0 {
        return Err(syntax_error());
    }
    if xreadgroup && r.group.is_none() {
        return Err(Reply::err("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(r)
}

/// Serves one stream of a read: plain XREAD entries after `from`, or a group delivery.
fn serve_stream(ctx: &mut Ctx, key: &Bytes, from: ReadFrom, start: StreamId, r: &ReadArgs, count: usize) -> Reply {
    let now = ctx.now_ms;
    let mut created = false;
    let out = {
        let Ok(Some(s)) = stream_mut(ctx, key) else { return Reply::Array(vec![]) };
        match &r.group {
            None => range_reply(s, start, MAX_ID, false, count),
            Some((gname, cname)) => {
                let history = matches!(from, ReadFrom::After(_));
                let Some(g) = s.groups.get_mut(&gname[..]) else { return Reply::Array(vec![]) };
                created = touch_consumer(g, cname, now);
                Reply::Array(if history {
                    read_history(s, gname, cname, start, count, now)
                } else {
                    deliver_new(s, gname, cname, start, count, r.noack, now)
                })
            }
        }
    };
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
        ctx.st.dirty += 1;
    }
    if r.group.is_some() {
        ctx.st.dirty += 1;
    }
    out
}

/// Entries from the consumer's own PEL with IDs >= `start` (`streamReplyWithRangeFromConsumerPEL`).
fn read_history(s: &mut Stream, gname: &[u8], cname: &[u8], start: StreamId, count: usize, now: i64) -> Vec<Reply> {
    let ids: Vec<StreamId> = {
        let Some(c) = s.groups.get(gname).and_then(|g| g.consumers.get(cname)) else { return Vec::new() };
        let it = c.pel.range(start..).copied();
        if count > 0 { it.take(count).collect() } else { it.collect() }
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match s.get(id) {
            Some(e) => {
                out.push(entry_reply(&e));
                if let Some(n) = s.groups.get_mut(gname).and_then(|g| g.pel.get_mut(&id)) {
                    n.delivery_time = now;
                    n.delivery_count += 1;
                }
            }
            None => out.push(Reply::Array(vec![id_reply(id), Reply::NullArray])),
        }
    }
    out
}

/// Delivers entries from `start` on to a consumer, moving the group's last ID and read counter and
/// creating PEL entries unless NOACK (`streamReplyWithRange` with a group).
fn deliver_new(s: &mut Stream, gname: &[u8], cname: &[u8], start: StreamId, count: usize, noack: bool, now: i64) -> Vec<Reply> {
    let entries = s.range(start, MAX_ID, false, count);
    let facts: Vec<(bool, i64)> = entries.iter().map(|e| (s.range_has_tombstones(Some(e.id), None), s.estimate_distance(e.id))).collect();
    let entries_added = s.entries_added;
    let Some(g) = s.groups.get_mut(gname) else { return Vec::new() };
    let mut out = Vec::with_capacity(entries.len());
    for (e, (tomb, est)) in entries.iter().zip(facts) {
        if e.id > g.last_id {
            if g.entries_read != INVALID_ENTRIES_READ && !tomb {
                g.entries_read += 1;
            } else if entries_added > 0 {
                g.entries_read = est;
            }
            g.last_id = e.id;
        }
        out.push(entry_reply(e));
        if !noack {
            if let Some(old) = g.pel.get_mut(&e.id) {
                let prev = std::mem::replace(&mut old.consumer, cname.to_vec());
                old.delivery_time = now;
                old.delivery_count = 1;
                if let Some(pc) = g.consumers.get_mut(&prev) {
                    pc.pel.remove(&e.id);
                }
            } else {
                g.pel.insert(e.id, Nack { delivery_time: now, delivery_count: 1, consumer: cname.to_vec() });
            }
            if let Some(c) = g.consumers.get_mut(cname) {
                c.pel.insert(e.id);
            }
        }
    }
    out
}

fn read_reply(ctx: &Ctx, items: Vec<(Bytes, Reply)>) -> Reply {
    if ctx.client.resp >= 3 {
        Reply::Map(items.into_iter().map(|(k, v)| (Reply::Bulk(k), v)).collect())
    } else {
        Reply::Array(items.into_iter().map(|(k, v)| Reply::Array(vec![Reply::Bulk(k), v])).collect())
    }
}

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...]
fn xread(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let xreadgroup = args[0].len() == 10;
    let r = match parse_read(args, xreadgroup) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let keys: Vec<Bytes> = args[r.streams_arg..r.streams_arg + r.n].to_vec();
    let id_args = &args[r.streams_arg + r.n..];
    // Resolve IDs (and check types and groups) in argument order, like Redis.
    let mut froms = Vec::with_capacity(r.n);
    for (key, id_arg) in keys.iter().zip(id_args) {
        let (exists, last_id, has_group) = match stream_read(ctx, key) {
            Err(e) => return e,
            Ok(None) => (false, MIN_ID, false),
            Ok(Some(s)) => (true, s.last_id, r.group.as_ref().is_some_and(|(g, _)| s.groups.contains_key(&g[..]))),
        };
        if let Some((g, _)) = &r.group {
            if ctx.ready_key.as_ref() == Some(key) && exists && !has_group {
                return Reply::err("NOGROUP the consumer group this client was blocked on no longer exists");
            }
            if !exists || !has_group {
                return Reply::err(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    super::text(key),
                    super::text(g)
                ));
            }
        }
        if &id_arg[..] == b"$" {
            if xreadgroup {
                return Reply::err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
            }
            froms.push(ReadFrom::After(if exists { last_id } else { MIN_ID }));
        } else if &id_arg[..] == b">" {
            if !xreadgroup {
                return Reply::err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
            }
            froms.push(ReadFrom::New);
        } else {
            match parse_strict_id(id_arg, 0) {
                Ok(id) => froms.push(ReadFrom::After(id)),
                Err(e) => return e,
            }
        }
    }

    // Re-run for a blocked client: serve only the key that became ready, like
    // `serveClientsBlockedOnStreamKey`.
    if let Some(ready) = ctx.ready_key.clone() {
        if let Some(i) = keys.iter().position(|k| *k == ready) {
            return serve_ready(ctx, &r, &keys, froms[i], &ready, args);
        }
    }

    let mut items = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let (serve, start) = {
            let s = match stream_read(ctx, key) {
                Ok(Some(s)) => s,
                _ => continue,
            };
            match (froms[i], &r.group) {
                (ReadFrom::After(id), Some(_)) => (true, incr_id(id).unwrap_or(MIN_ID)),
                (ReadFrom::New, Some((g, _))) => {
                    let last = s.groups.get(&g[..]).map(|g| g.last_id).unwrap_or(MAX_ID);
                    if s.len() > 0 && s.edge_id(false, true) > last {
                        (true, incr_id(last).unwrap_or(MIN_ID))
                    } else {
                        (false, MIN_ID)
                    }
                }
                (ReadFrom::After(id), None) => (s.len() > 0 && s.edge_id(false, true) > id, incr_id(id).unwrap_or(MIN_ID)),
                (ReadFrom::New, None) => (false, MIN_ID),
            }
        };
        if serve {
            let out = serve_stream(ctx, key, froms[i], start, &r, r.count);
            items.push((key.clone(), out));
        }
    }
    if !items.is_empty() {
        return read_reply(ctx, items);
    }
    match r.block_ms {
        Some(ms) => {
            let deadline = if ms == 0 { None } else { Some(ctx.now_ms + ms) };
            let rerun = blocked_args(args, &r, &froms);
            ctx.block_on_with_args(keys, deadline, Reply::NullArray, rerun)
        }
        None => Reply::NullArray,
    }
}

/// The command stored for a blocked read: `$` replaced by the ID it resolved to, and COUNT set to
/// the blocked default when none was given.
fn blocked_args(args: &[Bytes], r: &ReadArgs, froms: &[ReadFrom]) -> Vec<Bytes> {
    let mut out: Vec<Bytes> = args[..r.streams_arg - 1].to_vec();
    if r.count == 0 {
        out.push(Bytes::from_static(b"COUNT"));
        out.push(Bytes::from(BLOCKED_DEFAULT_COUNT.to_string()));
    }
    out.extend_from_slice(&args[r.streams_arg - 1..r.streams_arg + r.n]);
    for (f, a) in froms.iter().zip(&args[r.streams_arg + r.n..]) {
        match f {
            ReadFrom::After(id) if &a[..] == b"$" => out.push(Bytes::from(id_string(*id))),
            _ => out.push(a.clone()),
        }
    }
    out
}

/// A blocked read re-run because `key` received data.
fn serve_ready(ctx: &mut Ctx, r: &ReadArgs, keys: &[Bytes], from: ReadFrom, key: &Bytes, args: &[Bytes]) -> Reply {
    let block_again = |ctx: &mut Ctx| {
        let deadline = None;
        ctx.block_on_with_args(keys.to_vec(), deadline, Reply::NullArray, args.to_vec())
    };
    let gt = {
        let s = match stream_read(ctx, key) {
            Ok(Some(s)) => s,
            _ => return block_again(ctx),
        };
        let gt = match (&r.group, from) {
            (Some((g, _)), _) => match s.groups.get(&g[..]) {
                Some(g) => g.last_id,
                None => return Reply::err("NOGROUP the consumer group this client was blocked on no longer exists"),
            },
            (None, ReadFrom::After(id)) => id,
            (None, ReadFrom::New) => MAX_ID,
        };
        if s.last_id <= gt {
            return block_again(ctx);
        }
        gt
    };
    let start = incr_id(gt).unwrap_or(MIN_ID);
    let count = if r.count == 0 { BLOCKED_DEFAULT_COUNT } else { r.count };
    let out = serve_stream(ctx, key, ReadFrom::New, start, r, count);
    read_reply(ctx, vec![(key.clone(), out)])
}

// ---------------------------------------------------------------------------------------------
// XGROUP
// ---------------------------------------------------------------------------------------------

/// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER ...
fn xgroup(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let sub = &args[1];
    let is_create = is(sub, "CREATE");
    let is_setid = is(sub, "SETID");
    let subcommand_error = || {
        Reply::err(format!("ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.", super::text(sub)))
    };
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < args.len() {
        if is_create && is(&args[i], "MKSTREAM") {
            mkstream = true;
            i += 1;
        } else if (is_create || is_setid) && is(&args[i], "ENTRIESREAD") && i + 1 < args.len() {
            entries_read = match long_arg(&args[i + 1], None) {
                Ok(n) => n,
                Err(e) => return e,
            };
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Reply::err("ERR value for ENTRIESREAD must be positive or -1");
            }
            i += 2;
        } else {
            return subcommand_error();
        }
    }
    let key = &args[2];
    let gname = &args[3][..];
    let (exists, last_id, has_group) = match stream_mut(ctx, key) {
        Err(e) => return e,
        Ok(None) => (false, MIN_ID, false),
        Ok(Some(s)) => (true, s.last_id, s.groups.contains_key(gname)),
    };
    if !mkstream {
        if !exists {
            return Reply::err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
        }
        if !has_group && (is_setid || is(sub, "CREATECONSUMER") || is(sub, "DELCONSUMER")) {
            return Reply::err(format!("NOGROUP No such consumer group '{}' for key name '{}'", super::text(gname), super::text(key)));
        }
    }
    let now = ctx.now_ms;
    if is_create && args.len() <= 8 {
        let id = if &args[4][..] == b"$" {
            last_id
        } else {
            match parse_strict_id(&args[4], 0) {
                Ok(id) => id,
                Err(e) => return e,
            }
        };
        if !exists {
            ctx.add_key(key, Value::Stream(Box::default()));
            let db = ctx.db_index();
            ctx.st.touch_watched(db, key);
        }
        let Ok(Some(s)) = stream_mut(ctx, key) else { return wrong_type() };
        if s.groups.contains_key(gname) {
            return Reply::err("BUSYGROUP Consumer Group name already exists");
        }
        s.groups.insert(gname.to_vec(), ConsumerGroup::new(id, entries_read));
        ctx.st.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-create", key);
        Reply::ok()
    } else if is_setid && (args.len() == 5 || args.len() == 7) {
        let id = if &args[4][..] == b"$" {
            last_id
        } else {
            match parse_id(&args[4], 0) {
                Ok(id) => id,
                Err(e) => return e,
            }
        };
        let Ok(Some(s)) = stream_mut(ctx, key) else { return wrong_type() };
        if let Some(g) = s.groups.get_mut(gname) {
            g.last_id = id;
            g.entries_read = entries_read;
        }
        ctx.st.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-setid", key);
        Reply::ok()
    } else if is(sub, "DESTROY") && args.len() == 4 {
        let Ok(Some(s)) = stream_mut(ctx, key) else { return wrong_type() };
        if s.groups.remove(gname).is_some() {
            ctx.st.dirty += 1;
            ctx.notify(notify::STREAM, "xgroup-destroy", key);
            ctx.signal_ready(key);
            Reply::Int(1)
        } else {
            Reply::Int(0)
        }
    } else if is(sub, "CREATECONSUMER") && args.len() == 5 {
        let Ok(Some(s)) = stream_mut(ctx, key) else { return wrong_type() };
        let Some(g) = s.groups.get_mut(gname) else { return Reply::Int(0) };
        if g.consumers.contains_key(&args[4][..]) {
            return Reply::Int(0);
        }
        g.consumers.insert(args[4].to_vec(), Consumer { seen_time: now, pel: BTreeSet::new() });
        ctx.st.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
        Reply::Int(1)
    } else if is(sub, "DELCONSUMER") && args.len() == 5 {
        let Ok(Some(s)) = stream_mut(ctx, key) else { return wrong_type() };
        let Some(g) = s.groups.get_mut(gname) else { return Reply::Int(0) };
        let Some(c) = g.consumers.remove(&args[4][..]) else { return Reply::Int(0) };
        for id in &c.pel {
            g.pel.remove(id);
        }
        ctx.st.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-delconsumer", key);
        Reply::Int(c.pel.len() as i64)
    } else {
        subcommand_error()
    }
}

fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::Status(format!("{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"))];
    out.extend(lines.iter().map(|l| Reply::Status(l.to_string())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}

fn xgroup_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// XACK, XPENDING, XCLAIM, XAUTOCLAIM
// ---------------------------------------------------------------------------------------------

/// XACK key group id [id ...]
fn xack(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let has = match stream_read(ctx, &args[1]) {
        Err(e) => return e,
        Ok(None) => false,
        Ok(Some(s)) => s.groups.contains_key(&args[2][..]),
    };
    if !has {
        return Reply::Int(0);
    }
    let mut ids = Vec::new();
    for a in &args[3..] {
        match parse_strict_id(a, 0) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let Ok(Some(s)) = stream_read(ctx, &args[1]) else { return Reply::Int(0) };
    let Some(g) = s.groups.get_mut(&args[2][..]) else { return Reply::Int(0) };
    let mut acked = 0;
    for id in ids {
        if let Some(n) = g.pel.remove(&id) {
            if let Some(c) = g.consumers.get_mut(&n.consumer) {
                c.pel.remove(&id);
            }
            acked += 1;
        }
    }
    ctx.st.dirty += acked as u64;
    Reply::Int(acked)
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
fn xpending(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return syntax_error();
    }
    let mut range = None;
    let mut consumer: Option<&Bytes> = None;
    let mut minidle = 0;
    if argc >= 6 {
        let mut si = 3;
        if is(&args[3], "IDLE") {
            minidle = match long_arg(&args[4], None) {
                Ok(n) => n,
                Err(e) => return e,
            };
            if argc < 8 {
                return syntax_error();
            }
            si += 2;
        }
        let count = match long_arg(&args[si + 2], None) {
            Ok(n) => n.max(0),
            Err(e) => return e,
        };
        let (mut start, sx) = match parse_interval_id(&args[si], 0) {
            Ok(x) => x,
            Err(e) => return e,
        };
        if sx {
            match incr_id(start) {
                Some(x) => start = x,
                None => return Reply::err("ERR invalid start ID for the interval"),
            }
        }
        let (mut end, ex) = match parse_interval_id(&args[si + 1], u64::MAX) {
            Ok(x) => x,
            Err(e) => return e,
        };
        if ex {
            match decr_id(end) {
                Some(x) => end = x,
                None => return Reply::err("ERR invalid end ID for the interval"),
            }
        }
        if si + 3 < argc {
            consumer = Some(&args[si + 3]);
        }
        range = Some((start, end, count));
    }
    let now = ctx.now_ms;
    let s = match stream_read(ctx, &args[1]) {
        Err(e) => return e,
        Ok(s) => s,
    };
    let Some(g) = s.and_then(|s| s.groups.get(&args[2][..])) else { return nogroup_key(&args[1], &args[2]) };
    let Some((start, end, count)) = range else {
        if g.pel.is_empty() {
            return Reply::Array(vec![Reply::Int(0), Reply::Null, Reply::Null, Reply::NullArray]);
        }
        let first = g.pel.keys().next().copied().unwrap_or(MIN_ID);
        let last = g.pel.keys().next_back().copied().unwrap_or(MIN_ID);
        let per: Vec<Reply> = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(n, c)| Reply::Array(vec![Reply::bulk(n), Reply::bulk_str(c.pel.len().to_string())]))
            .collect();
        return Reply::Array(vec![Reply::Int(g.pel.len() as i64), id_reply(first), id_reply(last), Reply::Array(per)]);
    };
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(&name[..]) {
            Some(c) => c.pel.iter().copied().collect(),
            None => return Reply::Array(vec![]),
        },
        None => g.pel.keys().copied().collect(),
    };
    let mut out = Vec::new();
    let mut left = count;
    for id in ids {
        if left == 0 || id > end {
            break;
        }
        if id < start {
            continue;
        }
        let Some(n) = g.pel.get(&id) else { continue };
        if minidle != 0 && now - n.delivery_time < minidle {
            continue;
        }
        left -= 1;
        out.push(Reply::Array(vec![id_reply(id), Reply::bulk(&n.consumer), Reply::Int((now - n.delivery_time).max(0)), Reply::Int(n.delivery_count as i64)]));
    }
    Reply::Array(out)
}

/// Moves a PEL entry to `consumer` (creating the consumer first if needed).
fn claim_to(g: &mut ConsumerGroup, id: StreamId, consumer: &[u8]) {
    let prev = g.pel.get(&id).map(|n| n.consumer.clone());
    if let Some(prev) = prev {
        if prev != consumer {
            if let Some(pc) = g.consumers.get_mut(&prev) {
                pc.pel.remove(&id);
            }
        }
    }
    if let Some(n) = g.pel.get_mut(&id) {
        n.consumer = consumer.to_vec();
    }
    if let Some(c) = g.consumers.get_mut(consumer) {
        c.pel.insert(id);
    }
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT count] [FORCE]
/// [JUSTID] [LASTID id]
fn xclaim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let has = match stream_read(ctx, key) {
        Err(e) => return e,
        Ok(None) => false,
        Ok(Some(s)) => s.groups.contains_key(&args[2][..]),
    };
    if !has {
        return nogroup_key(key, &args[2]);
    }
    let minidle = match long_arg(&args[4], Some("Invalid min-idle-time argument for XCLAIM")) {
        Ok(n) => n.max(0),
        Err(e) => return e,
    };
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        match parse_strict_id(&args[j], 0) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.now_ms;
    let (mut force, mut justid) = (false, false);
    let mut retrycount: i64 = -1;
    let mut deliverytime: i64 = -1;
    let mut last_id = MIN_ID;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if is(opt, "FORCE") {
            force = true;
        } else if is(opt, "JUSTID") {
            justid = true;
        } else if is(opt, "IDLE") && more > 0 {
            j += 1;
            deliverytime = match long_arg(&args[j], Some("Invalid IDLE option argument for XCLAIM")) {
                Ok(n) => now.saturating_sub(n),
                Err(e) => return e,
            };
        } else if is(opt, "TIME") && more > 0 {
            j += 1;
            deliverytime = match long_arg(&args[j], Some("Invalid TIME option argument for XCLAIM")) {
                Ok(n) => n,
                Err(e) => return e,
            };
        } else if is(opt, "RETRYCOUNT") && more > 0 {
            j += 1;
            retrycount = match long_arg(&args[j], Some("Invalid RETRYCOUNT option argument for XCLAIM")) {
                Ok(n) => n,
                Err(e) => return e,
            };
        } else if is(opt, "LASTID") && more > 0 {
            j += 1;
            last_id = match parse_strict_id(&args[j], 0) {
                Ok(id) => id,
                Err(e) => return e,
            };
        } else {
            return Reply::err(format!("ERR Unrecognized XCLAIM option '{}'", super::text(opt)));
        }
        j += 1;
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let name = &args[3][..];
    let mut created = false;
    let mut out = Vec::new();
    let mut dirty = 0u64;
    {
        let Ok(Some(s)) = stream_read(ctx, key) else { return wrong_type() };
        let existing: Vec<Option<StreamEntry>> = ids.iter().map(|&id| s.get(id)).collect();
        let Some(g) = s.groups.get_mut(&args[2][..]) else { return nogroup_key(key, &args[2]) };
        if last_id > g.last_id {
            g.last_id = last_id;
            dirty += 1;
        }
        let mut have_consumer = false;
        for (id, entry) in ids.iter().copied().zip(existing) {
            let Some(entry) = entry else {
                if let Some(n) = g.pel.remove(&id) {
                    if let Some(c) = g.consumers.get_mut(&n.consumer) {
                        c.pel.remove(&id);
                    }
                    dirty += 1;
                }
                continue;
            };
            let mut forced_new = false;
            if force && !g.pel.contains_key(&id) {
                g.pel.insert(id, Nack { delivery_time: now, delivery_count: 1, consumer: Vec::new() });
                forced_new = true;
            }
            let Some(n) = g.pel.get(&id) else { continue };
            if !forced_new && minidle != 0 && now - n.delivery_time < minidle {
                continue;
            }
            if !have_consumer {
                created |= touch_consumer(g, name, now);
                have_consumer = true;
            }
            claim_to(g, id, name);
            if let Some(n) = g.pel.get_mut(&id) {
                n.delivery_time = deliverytime;
                if retrycount >= 0 {
                    n.delivery_count = retrycount as u64;
                } else if !justid {
                    n.delivery_count += 1;
                }
            }
            out.push(if justid { id_reply(id) } else { entry_reply(&entry) });
            dirty += 1;
        }
    }
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
        dirty += 1;
    }
    ctx.st.dirty += dirty;
    Reply::Array(out)
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
fn xautoclaim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let minidle = match long_arg(&args[4], Some("Invalid min-idle-time argument for XAUTOCLAIM")) {
        Ok(n) => n.max(0),
        Err(e) => return e,
    };
    let (mut start, sx) = match parse_interval_id(&args[5], 0) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if sx {
        match incr_id(start) {
            Some(x) => start = x,
            None => return Reply::err("ERR invalid start ID for the interval"),
        }
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is(&args[j], "COUNT") && more > 0 {
            let max = i64::MAX / 16;
            count = match parse_int(&args[j + 1]) {
                Some(n) if (1..=max).contains(&n) => n,
                _ => return Reply::err("ERR COUNT must be > 0"),
            };
            j += 1;
        } else if is(&args[j], "JUSTID") {
            justid = true;
        } else {
            return syntax_error();
        }
        j += 1;
    }
    let has = match stream_read(ctx, key) {
        Err(e) => return e,
        Ok(None) => false,
        Ok(Some(s)) => s.groups.contains_key(&args[2][..]),
    };
    if !has {
        return nogroup_key(key, &args[2]);
    }
    let now = ctx.now_ms;
    let name = &args[3][..];
    let mut created = false;
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut dirty = 0u64;
    let end_id;
    {
        let Ok(Some(s)) = stream_read(ctx, key) else { return wrong_type() };
        let candidates: Vec<StreamId> = match s.groups.get(&args[2][..]) {
            Some(g) => g.pel.range(start..).map(|(id, _)| *id).collect(),
            None => Vec::new(),
        };
        let mut attempts = count.saturating_mul(10);
        let mut idx = 0;
        let mut have_consumer = false;
        while attempts > 0 && count > 0 && idx < candidates.len() {
            attempts -= 1;
            let id = candidates[idx];
            idx += 1;
            let entry = s.get(id);
            let Some(g) = s.groups.get_mut(&args[2][..]) else { break };
            let Some(entry) = entry else {
                if let Some(n) = g.pel.remove(&id) {
                    if let Some(c) = g.consumers.get_mut(&n.consumer) {
                        c.pel.remove(&id);
                    }
                }
                dirty += 1;
                deleted.push(id);
                count -= 1;
                continue;
            };
            let Some(n) = g.pel.get(&id) else { continue };
            if minidle != 0 && now - n.delivery_time < minidle {
                continue;
            }
            if !have_consumer {
                created |= touch_consumer(g, name, now);
                have_consumer = true;
            }
            claim_to(g, id, name);
            if let Some(n) = g.pel.get_mut(&id) {
                n.delivery_time = now;
                if !justid {
                    n.delivery_count += 1;
                }
            }
            claimed.push(if justid { id_reply(id) } else { entry_reply(&entry) });
            count -= 1;
            dirty += 1;
        }
        // The next ID to scan from: the first PEL entry after the last one examined.
        end_id = candidates.get(idx).copied().unwrap_or(MIN_ID);
    }
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
        dirty += 1;
    }
    ctx.st.dirty += dirty;
    Reply::Array(vec![id_reply(end_id), Reply::Array(claimed), Reply::Array(deleted.into_iter().map(id_reply).collect())])
}

// ---------------------------------------------------------------------------------------------
// XINFO, XSETID
// ---------------------------------------------------------------------------------------------

fn bulk_key(s: &str) -> Reply {
    Reply::bulk_str(s)
}

fn opt_entry(e: Option<StreamEntry>) -> Reply {
    e.map(|e| entry_reply(&e)).unwrap_or(Reply::Null)
}

fn entries_read_reply(g: &ConsumerGroup) -> Reply {
    if g.entries_read != INVALID_ENTRIES_READ {
        Reply::Int(g.entries_read)
    } else {
        Reply::Null
    }
}

/// XINFO STREAM key [FULL [COUNT count]] | GROUPS key | CONSUMERS key group
fn xinfo(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let sub = &args[1];
    let syntax = || Reply::err(format!("ERR unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.", super::text(sub)));
    let now = ctx.now_ms;
    let s = match stream_read(ctx, &args[2]) {
        Err(e) => return e,
        Ok(None) => return Reply::err("ERR no such key"),
        Ok(Some(s)) => s,
    };
    if is(sub, "CONSUMERS") && args.len() == 4 {
        let Some(g) = s.groups.get(&args[3][..]) else {
            return Reply::err(format!("NOGROUP No such consumer group '{}' for key name '{}'", super::text(&args[3]), super::text(&args[2])));
        };
        let out = g
            .consumers
            .iter()
            .map(|(n, c)| {
                Reply::Map(vec![
                    (bulk_key("name"), Reply::bulk(n)),
                    (bulk_key("pending"), Reply::Int(c.pel.len() as i64)),
                    (bulk_key("idle"), Reply::Int((now - c.seen_time).max(0))),
                ])
            })
            .collect();
        Reply::Array(out)
    } else if is(sub, "GROUPS") && args.len() == 3 {
        let out = s
            .groups
            .iter()
            .map(|(n, g)| {
                Reply::Map(vec![
                    (bulk_key("name"), Reply::bulk(n)),
                    (bulk_key("consumers"), Reply::Int(g.consumers.len() as i64)),
                    (bulk_key("pending"), Reply::Int(g.pel.len() as i64)),
                    (bulk_key("last-delivered-id"), id_reply(g.last_id)),
                    (bulk_key("entries-read"), entries_read_reply(g)),
                    (bulk_key("lag"), s.group_lag(g).map(Reply::Int).unwrap_or(Reply::Null)),
                ])
            })
            .collect();
        Reply::Array(out)
    } else if is(sub, "STREAM") {
        let opts = &args[3..];
        let mut full = false;
        let mut count: i64 = 10;
        if !opts.is_empty() {
            if (opts.len() != 1 && opts.len() != 3) || !is(&opts[0], "FULL") {
                return syntax();
            }
            full = true;
            if opts.len() == 3 {
                if !is(&opts[1], "COUNT") {
                    return syntax();
                }
                count = match long_arg(&opts[2], None) {
                    Ok(n) => n,
                    Err(e) => return e,
                };
                if count < 0 {
                    count = 10;
                }
            }
        }
        let mut m = vec![
            (bulk_key("length"), Reply::Int(s.len() as i64)),
            (bulk_key("radix-tree-keys"), Reply::Int(s.rax_keys() as i64)),
            (bulk_key("radix-tree-nodes"), Reply::Int(rax_nodes(s) as i64)),
            (bulk_key("last-generated-id"), id_reply(s.last_id)),
            (bulk_key("max-deleted-entry-id"), id_reply(s.max_deleted_id)),
            (bulk_key("entries-added"), Reply::Int(s.entries_added as i64)),
            (bulk_key("recorded-first-entry-id"), id_reply(s.first_id)),
        ];
        if !full {
            m.push((bulk_key("groups"), Reply::Int(s.groups.len() as i64)));
            m.push((bulk_key("first-entry"), opt_entry(s.range(MIN_ID, MAX_ID, false, 1).pop())));
            m.push((bulk_key("last-entry"), opt_entry(s.range(MIN_ID, MAX_ID, true, 1).pop())));
        } else {
            let count = count as usize;
            m.push((bulk_key("entries"), entries_reply(&s.range(MIN_ID, MAX_ID, false, count))));
            let groups = s
                .groups
                .iter()
                .map(|(n, g)| {
                    let take = |len: usize| if count == 0 { len } else { count.min(len) };
                    let pel = g
                        .pel
                        .iter()
                        .take(take(g.pel.len()))
                        .map(|(id, nk)| Reply::Array(vec![id_reply(*id), Reply::bulk(&nk.consumer), Reply::Int(nk.delivery_time), Reply::Int(nk.delivery_count as i64)]))
                        .collect();
                    let consumers = g
                        .consumers
                        .iter()
                        .map(|(cn, c)| {
                            let pending = c
                                .pel
                                .iter()
                                .take(take(c.pel.len()))
                                .map(|id| {
                                    let (t, dc) = g.pel.get(id).map(|nk| (nk.delivery_time, nk.delivery_count)).unwrap_or((0, 0));
                                    Reply::Array(vec![id_reply(*id), Reply::Int(t), Reply::Int(dc as i64)])
                                })
                                .collect();
                            Reply::Map(vec![
                                (bulk_key("name"), Reply::bulk(cn)),
                                (bulk_key("seen-time"), Reply::Int(c.seen_time)),
                                (bulk_key("pel-count"), Reply::Int(c.pel.len() as i64)),
                                (bulk_key("pending"), Reply::Array(pending)),
                            ])
                        })
                        .collect();
                    Reply::Map(vec![
                        (bulk_key("name"), Reply::bulk(n)),
                        (bulk_key("last-delivered-id"), id_reply(g.last_id)),
                        (bulk_key("entries-read"), entries_read_reply(g)),
                        (bulk_key("lag"), s.group_lag(g).map(Reply::Int).unwrap_or(Reply::Null)),
                        (bulk_key("pel-count"), Reply::Int(g.pel.len() as i64)),
                        (bulk_key("pending"), Reply::Array(pel)),
                        (bulk_key("consumers"), Reply::Array(consumers)),
                    ])
                })
                .collect();
            m.push((bulk_key("groups"), Reply::Array(groups)));
        }
        Reply::Map(m)
    } else {
        syntax()
    }
}

fn xinfo_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    )
}

/// The node count of a radix tree holding the stream's 16-byte node keys, built the way `rax.c`
/// builds it on insertion: a run of bytes shared by every key below a point is one compressed node,
/// a point where keys diverge is one node with a child per distinct byte, and each key ends in a leaf.
fn rax_nodes(s: &Stream) -> usize {
    fn count(keys: &[[u8; 16]], depth: usize) -> usize {
        if keys.is_empty() || depth >= 16 {
            return 1;
        }
        let first = keys[0][depth];
        if keys.iter().all(|k| k[depth] == first) {
            // A compressed node covering the longest common run.
            let mut d = depth;
            while d < 16 && keys.iter().all(|k| k[d] == keys[0][d]) {
                d += 1;
            }
            return 1 + count(keys, d);
        }
        let mut total = 1;
        let mut i = 0;
        while i < keys.len() {
            let b = keys[i][depth];
            let mut j = i;
            while j < keys.len() && keys[j][depth] == b {
                j += 1;
            }
            total += count(&keys[i..j], depth + 1);
            i = j;
        }
        total
    }
    let keys: Vec<[u8; 16]> = s.nodes().map(|(id, _)| id.to_raw()).collect();
    if keys.is_empty() {
        return 1;
    }
    count(&keys, 0)
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
fn xsetid(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let id = match parse_strict_id(&args[2], 0) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut entries_added: i64 = -1;
    let mut max_xdel = MIN_ID;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(&args[i], "ENTRIESADDED") && more > 0 {
            entries_added = match long_arg(&args[i + 1], None) {
                Ok(n) => n,
                Err(e) => return e,
            };
            if entries_added < 0 {
                return Reply::err("ERR entries_added must be positive");
            }
            i += 2;
        } else if is(&args[i], "MAXDELETEDID") && more > 0 {
            max_xdel = match parse_strict_id(&args[i + 1], 0) {
                Ok(x) => x,
                Err(e) => return e,
            };
            if id < max_xdel {
                return Reply::err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
            }
            i += 2;
        } else {
            return syntax_error();
        }
    }
    let key = &args[1];
    let s = match stream_mut(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Reply::err("ERR no such key"),
        Ok(Some(s)) => s,
    };
    if s.len() > 0 {
        if id < s.edge_id(false, true) {
            return Reply::err("ERR The ID specified in XSETID is smaller than the target stream top item");
        }
        if entries_added != -1 && s.len() > entries_added as u64 {
            return Reply::err("ERR The entries_added specified in XSETID is smaller than the target stream length");
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if max_xdel != MIN_ID {
        s.max_deleted_id = max_xdel;
    }
    ctx.modified(key, notify::STREAM, "xsetid");
    Reply::ok()
}
