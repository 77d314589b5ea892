//! Consumer groups: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER), the group side of
//! XREADGROUP (delivery of new entries and of a consumer's history), XACK, XPENDING, XCLAIM and
//! XAUTOCLAIM, following `t_stream.c` of Redis 7.0.15 (checks, error texts, PEL bookkeeping, the
//! group's read counter).

use super::streams::{
    entry_reply, id_reply, id_string, long_arg, nogroup_key, parse_id, parse_interval_id,
    parse_strict_id, stream_mut, stream_read, stream_read_mut,
};
use super::{is, syntax_error};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::stream::{
    decr_id, incr_id, Consumer, ConsumerGroup, Nack, StreamEntry, StreamId, INVALID_ENTRIES_READ,
    MAX_ID, MIN_ID,
};
use crate::types::{Stream, Value};
use bytes::Bytes;
use std::collections::BTreeSet;

pub const HANDLERS: &[(&str, Handler)] = &[
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
];

/// The XCLAIM that reproduces a PEL entry's state on a replica or at AOF load
/// (`streamPropagateXCLAIM`): idempotent, and it removes the entry there when the stream entry is gone.
pub(super) fn xclaim_propagation(
    key: &Bytes,
    group: &Bytes,
    id: StreamId,
    nack: &Nack,
    last_id: StreamId,
) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XCLAIM"),
        key.clone(),
        group.clone(),
        Bytes::copy_from_slice(&nack.consumer),
        Bytes::from_static(b"0"),
        Bytes::from(id_string(id)),
        Bytes::from_static(b"TIME"),
        Bytes::from(nack.delivery_time.to_string()),
        Bytes::from_static(b"RETRYCOUNT"),
        Bytes::from(nack.delivery_count.to_string()),
        Bytes::from_static(b"FORCE"),
        Bytes::from_static(b"JUSTID"),
        Bytes::from_static(b"LASTID"),
        Bytes::from(id_string(last_id)),
    ]
}

/// `XGROUP SETID key group id ENTRIESREAD n` (`streamPropagateGroupID`).
pub(super) fn setid_propagation(key: &Bytes, group: &Bytes, g: &ConsumerGroup) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"SETID"),
        key.clone(),
        group.clone(),
        Bytes::from(id_string(g.last_id)),
        Bytes::from_static(b"ENTRIESREAD"),
        Bytes::from(g.entries_read.to_string()),
    ]
}

/// `XGROUP CREATECONSUMER key group consumer` (`streamPropagateConsumerCreation`).
pub(super) fn createconsumer_propagation(
    key: &Bytes,
    group: &Bytes,
    consumer: &[u8],
) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"CREATECONSUMER"),
        key.clone(),
        group.clone(),
        Bytes::copy_from_slice(consumer),
    ]
}

/// Finds or creates a consumer (`streamLookupConsumer` + `streamCreateConsumer`); returns whether
/// it was created. Lookups refresh the seen time.
pub(super) fn touch_consumer(g: &mut ConsumerGroup, name: &[u8], now: i64) -> bool {
    match g.consumers.get_mut(name) {
        Some(c) => {
            c.seen_time = now;
            false
        }
        None => {
            g.consumers.insert(
                name.to_vec(),
                Consumer {
                    seen_time: now,
                    pel: BTreeSet::new(),
                },
            );
            true
        }
    }
}

/// Entries from the consumer's own PEL with IDs >= `start` (`streamReplyWithRangeFromConsumerPEL`).
pub(super) fn read_history(
    s: &mut Stream,
    gname: &[u8],
    cname: &[u8],
    start: StreamId,
    count: usize,
    now: i64,
) -> Vec<Reply> {
    let ids: Vec<StreamId> = {
        let Some(c) = s.groups.get(gname).and_then(|g| g.consumers.get(cname)) else {
            return Vec::new();
        };
        let it = c.pel.range(start..).copied();
        if count > 0 {
            it.take(count).collect()
        } else {
            it.collect()
        }
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match s.get(id) {
            Some(e) => {
                out.push(entry_reply(&e));
                if let Some(n) = s.groups.get_mut(gname).and_then(|g| g.pel.get_mut(&id)) {
                    n.delivery_time = now;
                    n.delivery_count = n.delivery_count.wrapping_add(1);
                }
            }
            None => out.push(Reply::Array(vec![id_reply(id), Reply::NullArray])),
        }
    }
    out
}

/// Delivers entries from `start` on to a consumer, moving the group's last ID and read counter and
/// creating PEL entries unless NOACK (`streamReplyWithRange` with a group).
pub(super) fn deliver_new(
    s: &mut Stream,
    gname: &[u8],
    cname: &[u8],
    start: StreamId,
    count: usize,
    noack: bool,
    now: i64,
) -> (Vec<Reply>, Vec<StreamId>) {
    let entries = s.range(start, MAX_ID, false, count);
    let facts: Vec<(bool, i64)> = entries
        .iter()
        .map(|e| {
            (
                s.range_has_tombstones(Some(e.id), None),
                s.estimate_distance(e.id),
            )
        })
        .collect();
    let entries_added = s.entries_added;
    let Some(g) = s.groups.get_mut(gname) else {
        return (Vec::new(), Vec::new());
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut delivered = Vec::new();
    for (e, (tomb, est)) in entries.iter().zip(facts) {
        if e.id > g.last_id {
            if g.entries_read != INVALID_ENTRIES_READ && !tomb {
                g.entries_read = g.entries_read.wrapping_add(1);
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
                g.pel.insert(
                    e.id,
                    Nack {
                        delivery_time: now,
                        delivery_count: 1,
                        consumer: cname.to_vec(),
                    },
                );
            }
            if let Some(c) = g.consumers.get_mut(cname) {
                c.pel.insert(e.id);
            }
            delivered.push(e.id);
        }
    }
    (out, delivered)
}

/// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER ...
fn xgroup(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let sub = &args[1];
    let is_create = is(sub, "CREATE");
    let is_setid = is(sub, "SETID");
    let subcommand_error = || {
        Reply::err(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
            super::text(sub)
        ))
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
            return Reply::err(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                super::text(gname),
                super::text(key)
            ));
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
            ctx.add_key(key, Value::Stream(std::sync::Arc::default()));
            let db = ctx.db_index();
            ctx.st.touch_watched(db, key);
        }
        let Ok(Some(s)) = stream_mut(ctx, key) else {
            return wrong_type();
        };
        if s.groups.contains_key(gname) {
            return Reply::err("BUSYGROUP Consumer Group name already exists");
        }
        s.groups
            .insert(gname.to_vec(), ConsumerGroup::new(id, entries_read));
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
        let Ok(Some(s)) = stream_mut(ctx, key) else {
            return wrong_type();
        };
        if let Some(g) = s.groups.get_mut(gname) {
            g.last_id = id;
            g.entries_read = entries_read;
        }
        ctx.st.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-setid", key);
        Reply::ok()
    } else if is(sub, "DESTROY") && args.len() == 4 {
        let Ok(Some(s)) = stream_mut(ctx, key) else {
            return wrong_type();
        };
        if s.groups.remove(gname).is_some() {
            ctx.st.dirty += 1;
            ctx.notify(notify::STREAM, "xgroup-destroy", key);
            ctx.signal_ready(key);
            Reply::Int(1)
        } else {
            Reply::Int(0)
        }
    } else if is(sub, "CREATECONSUMER") && args.len() == 5 {
        let Ok(Some(s)) = stream_mut(ctx, key) else {
            return wrong_type();
        };
        let Some(g) = s.groups.get_mut(gname) else {
            return Reply::Int(0);
        };
        if g.consumers.contains_key(&args[4][..]) {
            return Reply::Int(0);
        }
        g.consumers.insert(
            args[4].to_vec(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        ctx.st.dirty += 1;
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
        Reply::Int(1)
    } else if is(sub, "DELCONSUMER") && args.len() == 5 {
        let Ok(Some(s)) = stream_mut(ctx, key) else {
            return wrong_type();
        };
        let Some(g) = s.groups.get_mut(gname) else {
            return Reply::Int(0);
        };
        let Some(c) = g.consumers.remove(&args[4][..]) else {
            return Reply::Int(0);
        };
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

fn xgroup_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    super::stream_info::help_reply(
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
    let Ok(Some(s)) = stream_read_mut(ctx, &args[1]) else {
        return Reply::Int(0);
    };
    let Some(g) = s.groups.get_mut(&args[2][..]) else {
        return Reply::Int(0);
    };
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
    let Some(g) = s.and_then(|s| s.groups.get(&args[2][..])) else {
        return nogroup_key(&args[1], &args[2]);
    };
    let Some((start, end, count)) = range else {
        if g.pel.is_empty() {
            return Reply::Array(vec![
                Reply::Int(0),
                Reply::Null,
                Reply::Null,
                Reply::NullArray,
            ]);
        }
        let first = g.pel.keys().next().copied().unwrap_or(MIN_ID);
        let last = g.pel.keys().next_back().copied().unwrap_or(MIN_ID);
        let per: Vec<Reply> = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(n, c)| {
                Reply::Array(vec![
                    Reply::bulk(n),
                    Reply::bulk_str(c.pel.len().to_string()),
                ])
            })
            .collect();
        return Reply::Array(vec![
            Reply::Int(g.pel.len() as i64),
            id_reply(first),
            id_reply(last),
            Reply::Array(per),
        ]);
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
        if minidle != 0 && now.wrapping_sub(n.delivery_time) < minidle {
            continue;
        }
        left -= 1;
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::bulk(&n.consumer),
            Reply::Int((now.wrapping_sub(n.delivery_time)).max(0)),
            Reply::Int(n.delivery_count as i64),
        ]));
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
            deliverytime = match long_arg(&args[j], Some("Invalid IDLE option argument for XCLAIM"))
            {
                Ok(n) => now.saturating_sub(n),
                Err(e) => return e,
            };
        } else if is(opt, "TIME") && more > 0 {
            j += 1;
            deliverytime = match long_arg(&args[j], Some("Invalid TIME option argument for XCLAIM"))
            {
                Ok(n) => n,
                Err(e) => return e,
            };
        } else if is(opt, "RETRYCOUNT") && more > 0 {
            j += 1;
            retrycount = match long_arg(
                &args[j],
                Some("Invalid RETRYCOUNT option argument for XCLAIM"),
            ) {
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
            return Reply::err(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                super::text(opt)
            ));
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
    let propagating = ctx.propagating();
    let mut propagation: Vec<Vec<Bytes>> = Vec::new();
    {
        let Ok(Some(s)) = stream_read_mut(ctx, key) else {
            return wrong_type();
        };
        let existing: Vec<Option<StreamEntry>> = ids.iter().map(|&id| s.get(id)).collect();
        let Some(g) = s.groups.get_mut(&args[2][..]) else {
            return nogroup_key(key, &args[2]);
        };
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
                    if propagating {
                        propagation.push(xclaim_propagation(key, &args[2], id, &n, g.last_id));
                    }
                }
                continue;
            };
            let mut forced_new = false;
            if force && !g.pel.contains_key(&id) {
                g.pel.insert(
                    id,
                    Nack {
                        delivery_time: now,
                        delivery_count: 1,
                        consumer: Vec::new(),
                    },
                );
                forced_new = true;
            }
            let Some(n) = g.pel.get(&id) else { continue };
            if !forced_new && minidle != 0 && now.wrapping_sub(n.delivery_time) < minidle {
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
                    n.delivery_count = n.delivery_count.wrapping_add(1);
                }
            }
            out.push(if justid {
                id_reply(id)
            } else {
                entry_reply(&entry)
            });
            dirty += 1;
            if propagating {
                if let Some(n) = g.pel.get(&id) {
                    propagation.push(xclaim_propagation(key, &args[2], id, n, g.last_id));
                }
            }
        }
        // A LASTID that moved the group with nothing claimed still reaches replicas.
        if propagating && propagation.is_empty() && dirty > 0 {
            propagation.push(setid_propagation(key, &args[2], g));
        }
    }
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
        dirty += 1;
    }
    ctx.st.dirty += dirty;
    ctx.prevent_propagation();
    for p in propagation {
        ctx.also_propagate(p);
    }
    Reply::Array(out)
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
fn xautoclaim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let minidle = match long_arg(
        &args[4],
        Some("Invalid min-idle-time argument for XAUTOCLAIM"),
    ) {
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
    let propagating = ctx.propagating();
    let mut propagation: Vec<Vec<Bytes>> = Vec::new();
    let end_id;
    {
        let Ok(Some(s)) = stream_read_mut(ctx, key) else {
            return wrong_type();
        };
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
            let Some(g) = s.groups.get_mut(&args[2][..]) else {
                break;
            };
            let Some(entry) = entry else {
                if let Some(n) = g.pel.remove(&id) {
                    if let Some(c) = g.consumers.get_mut(&n.consumer) {
                        c.pel.remove(&id);
                    }
                    if propagating {
                        propagation.push(xclaim_propagation(key, &args[2], id, &n, g.last_id));
                    }
                }
                dirty += 1;
                deleted.push(id);
                count -= 1;
                continue;
            };
            let Some(n) = g.pel.get(&id) else { continue };
            if minidle != 0 && now.wrapping_sub(n.delivery_time) < minidle {
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
                    n.delivery_count = n.delivery_count.wrapping_add(1);
                }
            }
            claimed.push(if justid {
                id_reply(id)
            } else {
                entry_reply(&entry)
            });
            count -= 1;
            dirty += 1;
            if propagating {
                if let Some(n) = g.pel.get(&id) {
                    propagation.push(xclaim_propagation(key, &args[2], id, n, g.last_id));
                }
            }
        }
        // The next ID to scan from: the first PEL entry after the last one examined.
        end_id = candidates.get(idx).copied().unwrap_or(MIN_ID);
    }
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
        dirty += 1;
    }
    ctx.st.dirty += dirty;
    ctx.prevent_propagation();
    for p in propagation {
        ctx.also_propagate(p);
    }
    Reply::Array(vec![
        id_reply(end_id),
        Reply::Array(claimed),
        Reply::Array(deleted.into_iter().map(id_reply).collect()),
    ])
}
