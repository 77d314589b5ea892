//! XINFO STREAM (and FULL), XINFO GROUPS and XINFO CONSUMERS, with Redis 7.0.15's fields and order,
//! plus the HELP replies of the stream container commands.

use super::is;
use super::streams::{entries_reply, entry_reply, id_reply, long_arg, stream_read};
use crate::command::Handler;
use crate::protocol::Reply;
use crate::server::Ctx;
use crate::types::stream::{ConsumerGroup, StreamEntry, INVALID_ENTRIES_READ, MAX_ID, MIN_ID};
use crate::types::Stream;
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("xinfo|stream", xinfo),
    ("xinfo|groups", xinfo),
    ("xinfo|consumers", xinfo),
    ("xinfo|help", xinfo_help),
];

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
    let syntax = || {
        Reply::err(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
            super::text(sub)
        ))
    };
    let now = ctx.now_ms;
    let s = match stream_read(ctx, &args[2]) {
        Err(e) => return e,
        Ok(None) => return Reply::err("ERR no such key"),
        Ok(Some(s)) => s,
    };
    if is(sub, "CONSUMERS") && args.len() == 4 {
        let Some(g) = s.groups.get(&args[3][..]) else {
            return Reply::err(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                super::text(&args[3]),
                super::text(&args[2])
            ));
        };
        let out = g
            .consumers
            .iter()
            .map(|(n, c)| {
                Reply::Map(vec![
                    (bulk_key("name"), Reply::bulk(n)),
                    (bulk_key("pending"), Reply::Int(c.pel.len() as i64)),
                    (
                        bulk_key("idle"),
                        Reply::Int((now.wrapping_sub(c.seen_time)).max(0)),
                    ),
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
                    (
                        bulk_key("lag"),
                        s.group_lag(g).map(Reply::Int).unwrap_or(Reply::Null),
                    ),
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
            (
                bulk_key("radix-tree-nodes"),
                Reply::Int(rax_nodes(s) as i64),
            ),
            (bulk_key("last-generated-id"), id_reply(s.last_id)),
            (bulk_key("max-deleted-entry-id"), id_reply(s.max_deleted_id)),
            (
                bulk_key("entries-added"),
                Reply::Int(s.entries_added as i64),
            ),
            (bulk_key("recorded-first-entry-id"), id_reply(s.first_id)),
        ];
        if !full {
            m.push((bulk_key("groups"), Reply::Int(s.groups.len() as i64)));
            m.push((
                bulk_key("first-entry"),
                opt_entry(s.range(MIN_ID, MAX_ID, false, 1).pop()),
            ));
            m.push((
                bulk_key("last-entry"),
                opt_entry(s.range(MIN_ID, MAX_ID, true, 1).pop()),
            ));
        } else {
            let count = count as usize;
            m.push((
                bulk_key("entries"),
                entries_reply(&s.range(MIN_ID, MAX_ID, false, count)),
            ));
            let groups = s
                .groups
                .iter()
                .map(|(n, g)| {
                    let take = |len: usize| if count == 0 { len } else { count.min(len) };
                    let pel = g
                        .pel
                        .iter()
                        .take(take(g.pel.len()))
                        .map(|(id, nk)| {
                            Reply::Array(vec![
                                id_reply(*id),
                                Reply::bulk(&nk.consumer),
                                Reply::Int(nk.delivery_time),
                                Reply::Int(nk.delivery_count as i64),
                            ])
                        })
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
                                    let (t, dc) = g
                                        .pel
                                        .get(id)
                                        .map(|nk| (nk.delivery_time, nk.delivery_count))
                                        .unwrap_or((0, 0));
                                    Reply::Array(vec![
                                        id_reply(*id),
                                        Reply::Int(t),
                                        Reply::Int(dc as i64),
                                    ])
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
                        (
                            bulk_key("lag"),
                            s.group_lag(g).map(Reply::Int).unwrap_or(Reply::Null),
                        ),
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

/// Redis's `addReplyHelp`: the command's usage line, the given lines, then HELP.
pub(super) fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::Status(format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))];
    out.extend(lines.iter().map(|l| Reply::Status(l.to_string())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}
