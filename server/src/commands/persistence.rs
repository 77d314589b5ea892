//! Persistence commands: SAVE, BGSAVE [SCHEDULE], and the RDB-related DEBUG subcommands
//! (DIGEST, DIGEST-VALUE, RELOAD) that `commands::server`'s DEBUG hands over.

use super::{is, syntax_error};
use crate::command::Handler;
use crate::persistence::{self, digest};
use crate::protocol::Reply;
use crate::server::Ctx;
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("save", save),
    ("bgsave", bgsave),
    ("bgrewriteaof", bgrewriteaof),
];

const ERR_BGSAVE_IN_PROGRESS: &str = "ERR Background save already in progress";

/// `SAVE`: a blocking save (the lock is held while the file is written, as Redis blocks).
fn save(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    if ctx.st.persistence.bgsave.is_some() {
        return Reply::err(ERR_BGSAVE_IN_PROGRESS);
    }
    ctx.st.persistence.saves += 1;
    match persistence::rdb_save(ctx.st, ctx.now_ms) {
        Ok(()) => Reply::ok(),
        Err(_) => Reply::err("ERR"),
    }
}

/// `BGSAVE [SCHEDULE]`: a point-in-time save written by a background thread.
fn bgsave(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // SCHEDULE only matters while another fork-based job runs in Redis; there is none here.
    if args.len() > 2 || (args.len() == 2 && !is(&args[1], "SCHEDULE")) {
        return syntax_error();
    }
    if ctx.st.persistence.bgsave.is_some() {
        return Reply::err(ERR_BGSAVE_IN_PROGRESS);
    }
    if ctx.st.aof.rewrite.is_some() {
        if args.len() == 2 {
            ctx.st.persistence.bgsave_scheduled = true;
            return Reply::Status("Background saving scheduled".into());
        }
        return Reply::err("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    if ctx.no_block {
        // Inside EXEC Redis defers the save until the transaction is over.
        ctx.st.persistence.bgsave_scheduled = true;
        return Reply::Status("Background saving scheduled".into());
    }
    persistence::bgsave_start(ctx.st, ctx.now_ms);
    if ctx.st.persistence.bgsave.is_some() {
        Reply::Status("Background saving started".into())
    } else {
        Reply::err("ERR")
    }
}

/// `BGREWRITEAOF`: a new base from a point-in-time image and a new incremental file.
fn bgrewriteaof(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    if ctx.st.aof.rewrite.is_some() {
        return Reply::err(crate::aof::rewrite::ERR_IN_PROGRESS);
    }
    if ctx.st.persistence.bgsave.is_some() || ctx.no_block {
        ctx.st.aof.rewrite_scheduled = true;
        return Reply::Status("Background append only file rewriting scheduled".into());
    }
    match crate::aof::rewrite::start(ctx.st, ctx.now_ms) {
        Ok(()) => Reply::Status("Background append only file rewriting started".into()),
        Err(e) => {
            tracing::warn!("{e}");
            Reply::err(
                "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
            )
        }
    }
}

/// The DEBUG subcommands owned by persistence; `None` when `sub` is not one of them.
pub fn debug(ctx: &mut Ctx, sub: &str, args: &[Bytes]) -> Option<Reply> {
    Some(match sub {
        "digest" if args.len() == 2 => Reply::Status(digest::hex(&digest::dataset_digest(ctx.st))),
        "digest-value" => {
            let db = ctx.db_index();
            Reply::Array(
                args[2..]
                    .iter()
                    .map(|k| Reply::Status(digest::hex(&digest::key_digest(ctx.st, db, k))))
                    .collect(),
            )
        }
        "reload" => {
            let (mut save, mut flush, mut merge) = (true, true, false);
            for a in &args[2..] {
                if is(a, "NOSAVE") {
                    save = false;
                } else if is(a, "NOFLUSH") {
                    flush = false;
                } else if is(a, "MERGE") {
                    merge = true;
                } else {
                    return Some(Reply::err(
                        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                    ));
                }
            }
            persistence::kill_bgsave(ctx.st);
            if save && persistence::rdb_save(ctx.st, ctx.now_ms).is_err() {
                return Some(Reply::err("ERR"));
            }
            match persistence::reload(ctx.st, ctx.now_ms, flush, merge) {
                Ok(()) => {
                    tracing::info!("DB reloaded by DEBUG RELOAD");
                    Reply::ok()
                }
                Err(e) => {
                    tracing::warn!("DEBUG RELOAD: {e}");
                    Reply::err("ERR Error trying to load the RDB dump")
                }
            }
        }
        _ => return None,
    })
}
