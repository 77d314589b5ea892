//! MULTI/EXEC/DISCARD and optimistic locking with WATCH/UNWATCH.

use crate::command::Handler;
use crate::protocol::Reply;
use crate::server::{unwatch_all, watch_key, Ctx};
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("multi", multi),
    ("exec", exec),
    ("discard", discard),
    ("watch", watch),
    ("unwatch", unwatch),
];

fn set_multi_len(ctx: &mut Ctx, len: i64) {
    if let Some(c) = ctx.st.clients.get_mut(&ctx.client.id) {
        c.multi_len = len;
    }
}

fn multi(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR MULTI calls can not be nested");
    }
    ctx.client.multi = Some(Vec::new());
    ctx.client.multi_error = false;
    set_multi_len(ctx, 0);
    Reply::ok()
}

fn discard(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_none() {
        return Reply::err("ERR DISCARD without MULTI");
    }
    ctx.client.multi = None;
    ctx.client.multi_error = false;
    set_multi_len(ctx, -1);
    unwatch_all(ctx.st, ctx.client);
    Reply::ok()
}

/// Whether a watched key was touched, or expired, since WATCH.
fn watch_failed(ctx: &mut Ctx) -> bool {
    if ctx
        .st
        .clients
        .get(&ctx.client.id)
        .is_some_and(|c| c.dirty_cas)
    {
        return true;
    }
    let now = ctx.now_ms;
    ctx.client
        .watched
        .iter()
        .any(|w| !w.expired_at_watch && ctx.st.dbs[w.db].is_expired(&w.key, now))
}

fn exec(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let Some(queue) = ctx.client.multi.take() else {
        return Reply::err("ERR EXEC without MULTI");
    };
    set_multi_len(ctx, -1);
    if ctx.client.multi_error {
        ctx.client.multi_error = false;
        unwatch_all(ctx.st, ctx.client);
        return Reply::err("EXECABORT Transaction discarded because of previous errors.");
    }
    if watch_failed(ctx) {
        unwatch_all(ctx.st, ctx.client);
        return Reply::NullArray;
    }
    unwatch_all(ctx.st, ctx.client);
    // The queued commands propagate themselves; the unit they form is wrapped in MULTI/EXEC.
    ctx.prevent_propagation();
    let mut replies = Vec::with_capacity(queue.len());
    for args in queue {
        let r = match ctx.shared.table.lookup(&args) {
            Ok(cmd) => match cmd.handler {
                Some(h) => {
                    let started = std::time::Instant::now();
                    let mut inner =
                        Ctx::new(&mut *ctx.st, ctx.shared, &mut *ctx.client, ctx.now_ms);
                    inner.no_block = true;
                    inner.writing = cmd.flags.contains(crate::command::Flags::WRITE);
                    let r = crate::server::call(&mut inner, h, &args);
                    let pushes = std::mem::take(&mut inner.pushes);
                    ctx.pushes.extend(pushes);
                    if let Some(s) = ctx.st.command_stats.get_mut(cmd.stat_index) {
                        s.calls += 1;
                        s.usec += started.elapsed().as_micros() as u64;
                        if r.is_error() {
                            s.failed += 1;
                        }
                    }
                    ctx.st.stats.total_commands += 1;
                    r
                }
                None => Reply::err("ERR unknown command"),
            },
            Err(e) => e,
        };
        replies.push(r);
    }
    Reply::Array(replies)
}

fn watch(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR WATCH inside MULTI is not allowed");
    }
    let now = ctx.now_ms;
    for k in &args[1..] {
        watch_key(ctx.st, ctx.client, k, now);
    }
    Reply::ok()
}

fn unwatch(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    unwatch_all(ctx.st, ctx.client);
    Reply::ok()
}
