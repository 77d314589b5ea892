//! Publish/subscribe commands.

use super::is;
use crate::command::Handler;
use crate::protocol::Reply;
use crate::server::Ctx;
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("subscribe", subscribe),
    ("unsubscribe", unsubscribe),
    ("psubscribe", psubscribe),
    ("punsubscribe", punsubscribe),
    ("publish", publish),
    ("pubsub|channels", pubsub_channels),
    ("pubsub|numsub", pubsub_numsub),
    ("pubsub|numpat", pubsub_numpat),
    ("pubsub|help", pubsub_help),
];

fn sync_counts(ctx: &mut Ctx) {
    let (s, p) = (ctx.client.channels.len(), ctx.client.patterns.len());
    if let Some(c) = ctx.st.clients.get_mut(&ctx.client.id) {
        c.subscriptions = s;
        c.psubscriptions = p;
    }
}

fn confirm(ctx: &mut Ctx, kind: &'static str, name: Option<Bytes>) {
    let count = ctx.client.subscription_count() as i64;
    let r = Reply::Push(vec![
        Reply::bulk(kind),
        name.map(Reply::Bulk).unwrap_or(Reply::Null),
        Reply::Int(count),
    ]);
    ctx.pushes.push(r.to_bytes(ctx.client.resp));
}

/// The confirmations are normally written as out-of-band frames; inside EXEC they are the
/// command's reply (Redis appends them to the EXEC array in place).
fn confirmations(ctx: &mut Ctx) -> Reply {
    if !ctx.no_block {
        return Reply::None;
    }
    let mut raw = Vec::new();
    for p in std::mem::take(&mut ctx.pushes) {
        raw.extend_from_slice(&p);
    }
    Reply::Raw(Bytes::from(raw))
}

fn subscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR Command not allowed inside a transaction");
    }
    for ch in &args[1..] {
        if ctx.client.channels.insert(ch.clone()) {
            ctx.st.pubsub.subscribe(ch, ctx.client.id);
        }
        confirm(ctx, "subscribe", Some(ch.clone()));
    }
    sync_counts(ctx);
    confirmations(ctx)
}

fn unsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let targets: Vec<Bytes> = if args.len() == 1 {
        ctx.client.channels.iter().cloned().collect()
    } else {
        args[1..].to_vec()
    };
    if targets.is_empty() {
        confirm(ctx, "unsubscribe", None);
    }
    for ch in targets {
        if ctx.client.channels.remove(&ch) {
            ctx.st.pubsub.unsubscribe(&ch, ctx.client.id);
        }
        confirm(ctx, "unsubscribe", Some(ch));
    }
    sync_counts(ctx);
    confirmations(ctx)
}

fn psubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR Command not allowed inside a transaction");
    }
    for p in &args[1..] {
        if ctx.client.patterns.insert(p.clone()) {
            ctx.st.pubsub.psubscribe(p, ctx.client.id);
        }
        confirm(ctx, "psubscribe", Some(p.clone()));
    }
    sync_counts(ctx);
    confirmations(ctx)
}

fn punsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let targets: Vec<Bytes> = if args.len() == 1 {
        ctx.client.patterns.iter().cloned().collect()
    } else {
        args[1..].to_vec()
    };
    if targets.is_empty() {
        confirm(ctx, "punsubscribe", None);
    }
    for p in targets {
        if ctx.client.patterns.remove(&p) {
            ctx.st.pubsub.punsubscribe(&p, ctx.client.id);
        }
        confirm(ctx, "punsubscribe", Some(p));
    }
    sync_counts(ctx);
    confirmations(ctx)
}

fn publish(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (n, to_self) =
        ctx.st
            .pubsub
            .publish(&ctx.st.clients, &args[1], &args[2], Some(ctx.client.id));
    ctx.st.stats.pubsub_messages += 1;
    ctx.pushes.extend(to_self);
    // Like Redis, messages reach replicas (their subscribers get them too), not the AOF.
    if !ctx.st.repl.applying_master_stream {
        crate::replication::feed_raw(ctx.st, crate::propagate::encode(args));
    }
    Reply::Int(n)
}

fn pubsub_channels(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return subcommand_syntax_error(&args[1]);
    }
    let pat = args.get(2);
    Reply::Array(
        ctx.st
            .pubsub
            .channels
            .keys()
            .filter(|c| pat.is_none_or(|p| crate::glob::matches(p, c, false)))
            .map(|c| Reply::Bulk(c.clone()))
            .collect(),
    )
}

fn pubsub_numsub(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Map(
        args[2..]
            .iter()
            .map(|c| {
                (
                    Reply::Bulk(c.clone()),
                    Reply::Int(ctx.st.pubsub.channels.get(c).map(|s| s.len()).unwrap_or(0) as i64),
                )
            })
            .collect(),
    )
}

fn pubsub_numpat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 2 {
        return subcommand_syntax_error(&args[1]);
    }
    Reply::Int(ctx.st.pubsub.patterns.len() as i64)
}

/// Redis's `addReplySubcommandSyntaxError` for PUBSUB.
fn subcommand_syntax_error(sub: &[u8]) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
        String::from_utf8_lossy(sub)
    ))
}

fn pubsub_help(_ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let _ = is(&args[0], "pubsub");
    crate::commands::connection::help_reply(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    )
}
