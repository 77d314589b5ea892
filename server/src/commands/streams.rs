//! Stream commands: XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM, XREAD/XREADGROUP (with BLOCK) and
//! XSETID, plus the ID parsing and entry replies the other stream families share. Consumer groups
//! are in `stream_groups`, XINFO in `stream_info`.
//!
//! Argument parsing, error texts and the order of checks follow `t_stream.c` of Redis 7.0.15. The
//! data structure and its node layout live in `types::stream`.

use super::{is, syntax_error, ERR_NOT_INT};
use crate::command::Handler;
use crate::notify;
use crate::protocol::reply::put_bulk;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::stream::{decr_id, incr_id, StreamEntry, StreamId, TrimStrategy, MAX_ID, MIN_ID};
use crate::types::{Stream, Value};
use bytes::{Bytes, BytesMut};
use redoubt_rdb::entry::Entry as Element;
use std::fmt::Write as _;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("xadd", xadd),
    ("xlen", xlen),
    ("xrange", xrange),
    ("xrevrange", xrevrange),
    ("xdel", xdel),
    ("xtrim", xtrim),
    ("xread", xread),
    ("xreadgroup", xread),
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
fn parse_id_generic(
    a: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_seq_star: bool,
) -> Result<(StreamId, bool), Reply> {
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
        Some(s) => Ok((
            StreamId {
                ms,
                seq: parse_u64(s).ok_or_else(invalid)?,
            },
            true,
        )),
        None => Ok((
            StreamId {
                ms,
                seq: missing_seq,
            },
            true,
        )),
    }
}

pub(super) fn parse_id(a: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_generic(a, missing_seq, false, false).map(|x| x.0)
}

pub(super) fn parse_strict_id(a: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_generic(a, missing_seq, true, false).map(|x| x.0)
}

/// A range bound: `(` makes it exclusive (then `-`/`+` are invalid).
pub(super) fn parse_interval_id(a: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if a.len() > 1 && a[0] == b'(' {
        Ok((parse_strict_id(&a[1..], missing_seq)?, true))
    } else {
        Ok((parse_id(a, missing_seq)?, false))
    }
}

pub(super) fn id_string(id: StreamId) -> String {
    format!("{}-{}", id.ms, id.seq)
}

pub(super) fn id_reply(id: StreamId) -> Reply {
    let mut buf = [0u8; 48];
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    let _ = std::io::Write::write_fmt(&mut cur, format_args!("{}-{}", id.ms, id.seq));
    let len = cur.position() as usize;
    Reply::Bulk(Bytes::copy_from_slice(&buf[..len]))
}

pub(super) fn entry_reply(e: &StreamEntry) -> Reply {
    let mut kv = Vec::with_capacity(e.fields.len() * 2);
    for (f, v) in &e.fields {
        kv.push(Reply::Bulk(f.clone()));
        kv.push(Reply::Bulk(v.clone()));
    }
    Reply::Array(vec![id_reply(e.id), Reply::Array(kv)])
}

pub(super) fn entries_reply(es: &[StreamEntry]) -> Reply {
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

pub(super) fn long_arg(a: &[u8], err: Option<&str>) -> Result<i64, Reply> {
    parse_int(a).ok_or_else(|| {
        Reply::err(
            err.map(|e| format!("ERR {e}"))
                .unwrap_or_else(|| ERR_NOT_INT.to_string()),
        )
    })
}

pub(super) fn nogroup_key(key: &[u8], group: &[u8]) -> Reply {
    Reply::err(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        super::text(key),
        super::text(group)
    ))
}

// ---------------------------------------------------------------------------------------------
// Keyspace access
// ---------------------------------------------------------------------------------------------

pub(super) fn stream_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c Stream>, Reply> {
    match ctx.lookup_read(key).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type()),
    }
}

/// A stream looked up as a read (no keyspace miss/hit side effects of a write) but changed in place:
/// XACK, XCLAIM and XAUTOCLAIM change only group state and signal the key themselves.
pub(super) fn stream_read_mut<'c>(
    ctx: &'c mut Ctx,
    key: &[u8],
) -> Result<Option<&'c mut Stream>, Reply> {
    match ctx.lookup_read(key).map(|e| &mut e.value) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(std::sync::Arc::make_mut(s))),
        Some(_) => Err(wrong_type()),
    }
}

pub(super) fn stream_mut<'c>(
    ctx: &'c mut Ctx,
    key: &[u8],
) -> Result<Option<&'c mut Stream>, Reply> {
    match ctx.write(key) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(std::sync::Arc::make_mut(s))),
        Some(_) => Err(wrong_type()),
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
    let mut a = AddTrimArgs {
        id: None,
        no_mkstream: false,
        trim: None,
        approx: false,
        limit: 0,
        id_pos: args.len(),
    };
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
        return Err(Reply::err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.trim.is_none() {
        return Err(Reply::err(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if ctx.client.repl.is_master {
        // A master's stream (or the AOF) carries trims already made exact: no LIMIT applies
        // (`mustObeyClient`).
        a.limit = 0;
    } else if limit_given {
        if !a.approx {
            return Err(Reply::err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
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
            ctx.add_key(key, Value::Stream(std::sync::Arc::default()));
        }
    }
    let (max_bytes, max_entries) = (
        ctx.tunables().stream_node_max_bytes,
        ctx.tunables().stream_node_max_entries,
    );
    let now = ctx.now_ms;
    let Ok(Some(s)) = stream_mut(ctx, key) else {
        return wrong_type();
    };
    if s.last_id == MAX_ID {
        return Reply::err(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        );
    }
    let edom = || {
        Reply::err(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        )
    };
    let id = match a.id {
        Some((id, true)) => id,
        Some((id, false)) => {
            if s.last_id.ms == id.ms {
                if s.last_id.seq == u64::MAX {
                    // Redis fails here without setting errno to EDOM, so it reports the size error.
                    return Reply::err("ERR Elements are too large to be stored");
                }
                StreamId {
                    ms: id.ms,
                    seq: s.last_id.seq + 1,
                }
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
    let fields: Vec<(&[u8], &[u8])> = args[field_pos..]
        .chunks(2)
        .map(|c| (&c[0][..], &c[1][..]))
        .collect();
    s.append(id, &fields, max_bytes, max_entries);
    let trimmed = match a.trim {
        Some(t) => s.trim(t, a.approx, a.limit),
        None => 0,
    };
    let len_after = s.len();
    if ctx.propagating() {
        // The generated ID is spelled out, and an approximate or MINID trim becomes the exact
        // length it left, so replicas and the AOF end with the same entries.
        let mut argv = vec![Bytes::from_static(b"XADD"), key.clone()];
        if trimmed > 0 {
            argv.extend([
                Bytes::from_static(b"MAXLEN"),
                Bytes::from_static(b"="),
                Bytes::from(len_after.to_string()),
            ]);
        }
        argv.push(Bytes::from(id_string(id)));
        argv.extend(args[field_pos..].iter().cloned());
        ctx.propagate_as(argv);
    }
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
    let (deleted, len_after) = match stream_mut(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Reply::Int(0),
        Ok(Some(s)) => match a.trim {
            Some(t) => (s.trim(t, a.approx, a.limit), s.len()),
            None => (0, s.len()),
        },
    };
    if deleted > 0 {
        ctx.propagate_as(vec![
            Bytes::from_static(b"XTRIM"),
            key.clone(),
            Bytes::from_static(b"MAXLEN"),
            Bytes::from_static(b"="),
            Bytes::from(len_after.to_string()),
        ]);
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
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
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
    let Ok(Some(s)) = stream_mut(ctx, key) else {
        return wrong_type();
    };
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
    let mut r = ReadArgs {
        block_ms: None,
        count: 0,
        streams_arg: 0,
        n: 0,
        group: None,
        noack: false,
    };
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
            if n % 2 == 1 {
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
fn serve_stream(
    ctx: &mut Ctx,
    key: &Bytes,
    from: ReadFrom,
    start: StreamId,
    r: &ReadArgs,
    count: usize,
) -> Reply {
    let now = ctx.now_ms;
    let mut created = false;
    let mut propagation: Vec<Vec<Bytes>> = Vec::new();
    let propagating = ctx.propagating();
    let out = {
        let Ok(Some(s)) = stream_mut(ctx, key) else {
            return Reply::Array(vec![]);
        };
        match &r.group {
            None => range_reply(s, start, MAX_ID, false, count),
            Some((gname, cname)) => {
                let history = matches!(from, ReadFrom::After(_));
                let Some(g) = s.groups.get_mut(&gname[..]) else {
                    return Reply::Array(vec![]);
                };
                created = super::stream_groups::touch_consumer(g, cname, now);
                if history {
                    // Like Redis, re-reading the history is not propagated.
                    Reply::Array(super::stream_groups::read_history(
                        s, gname, cname, start, count, now,
                    ))
                } else {
                    let last_before = g.last_id;
                    let (replies, delivered) = super::stream_groups::deliver_new(
                        s, gname, cname, start, count, r.noack, now,
                    );
                    // XREADGROUP reaches replicas and the AOF as its effects (`streamPropagate*`).
                    if let Some(g) = s.groups.get(&gname[..]).filter(|_| propagating) {
                        if created {
                            propagation.push(super::stream_groups::createconsumer_propagation(
                                key, gname, cname,
                            ));
                        }
                        for id in delivered {
                            if let Some(n) = g.pel.get(&id) {
                                propagation.push(super::stream_groups::xclaim_propagation(
                                    key, gname, id, n, g.last_id,
                                ));
                            }
                        }
                        if r.noack && g.last_id != last_before {
                            propagation
                                .push(super::stream_groups::setid_propagation(key, gname, g));
                        }
                    }
                    Reply::Array(replies)
                }
            }
        }
    };
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
        ctx.st.dirty += 1;
    }
    if r.group.is_some() {
        ctx.st.dirty += 1;
        ctx.prevent_propagation();
        if ctx.propagating() {
            for p in propagation {
                ctx.also_propagate(p);
            }
        }
    }
    out
}

fn read_reply(ctx: &Ctx, items: Vec<(Bytes, Reply)>) -> Reply {
    if ctx.client.resp >= 3 {
        Reply::Map(
            items
                .into_iter()
                .map(|(k, v)| (Reply::Bulk(k), v))
                .collect(),
        )
    } else {
        Reply::Array(
            items
                .into_iter()
                .map(|(k, v)| Reply::Array(vec![Reply::Bulk(k), v]))
                .collect(),
        )
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
    if let Some(ready) = ctx.ready_key.clone() {
        // Re-run because `ready` changed: a group reader whose stream is gone (deleted, or replaced
        // by another type) is released with an error (`unblockDeletedStreamReadgroupClients`).
        let is_stream = matches!(
            ctx.st.dbs[ctx.client.db].keys.get(&ready).map(|e| &e.value),
            Some(Value::Stream(_))
        );
        if !is_stream {
            if xreadgroup {
                return Reply::err("UNBLOCKED the stream key no longer exists");
            }
            return ctx.block_on_with_args(keys, None, Reply::NullArray, args.to_vec());
        }
    }
    // Resolve IDs (and check types and groups) in argument order, like Redis.
    let mut froms = Vec::with_capacity(r.n);
    for (key, id_arg) in keys.iter().zip(id_args) {
        let (exists, last_id, has_group) = match stream_read(ctx, key) {
            Err(e) => return e,
            Ok(None) => (false, MIN_ID, false),
            Ok(Some(s)) => (
                true,
                s.last_id,
                r.group
                    .as_ref()
                    .is_some_and(|(g, _)| s.groups.contains_key(&g[..])),
            ),
        };
        if let Some((g, _)) = &r.group {
            if ctx.ready_key.as_ref() == Some(key) && exists && !has_group {
                return Reply::err(
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                );
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
                    if !s.is_empty() && s.edge_id(false, true) > last {
                        (true, incr_id(last).unwrap_or(MIN_ID))
                    } else {
                        (false, MIN_ID)
                    }
                }
                (ReadFrom::After(id), None) => (
                    !s.is_empty() && s.edge_id(false, true) > id,
                    incr_id(id).unwrap_or(MIN_ID),
                ),
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
            let deadline = if ms == 0 {
                None
            } else {
                Some(ctx.now_ms.saturating_add(ms))
            };
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
fn serve_ready(
    ctx: &mut Ctx,
    r: &ReadArgs,
    keys: &[Bytes],
    from: ReadFrom,
    key: &Bytes,
    args: &[Bytes],
) -> Reply {
    let block_again = |ctx: &mut Ctx| {
        let deadline = None;
        ctx.block_on_with_args(keys.to_vec(), deadline, Reply::NullArray, args.to_vec())
    };
    let gt = {
        let s = match stream_read(ctx, key) {
            Ok(Some(s)) => s,
            _ => return block_again(ctx),
        };
        let gt =
            match (&r.group, from) {
                (Some((g, _)), _) => match s.groups.get(&g[..]) {
                    Some(g) => g.last_id,
                    None => return Reply::err(
                        "NOGROUP the consumer group this client was blocked on no longer exists",
                    ),
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
    let count = if r.count == 0 {
        BLOCKED_DEFAULT_COUNT
    } else {
        r.count
    };
    let out = serve_stream(ctx, key, ReadFrom::New, start, r, count);
    read_reply(ctx, vec![(key.clone(), out)])
}

// ---------------------------------------------------------------------------------------------
// XSETID
// ---------------------------------------------------------------------------------------------

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
    if !s.is_empty() {
        if id < s.edge_id(false, true) {
            return Reply::err(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            );
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
