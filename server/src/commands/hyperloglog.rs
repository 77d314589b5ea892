//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG. The `HYLL` string format and the
//! estimator live in `types::hyperloglog`; this module does lookups, type checks and bookkeeping in
//! Redis's order (`hyperloglog.c`).

use super::text;
use crate::command::Handler;
use crate::notify;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::hyperloglog as hll;
use crate::types::{RString, Value};
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("pfadd", pfadd),
    ("pfcount", pfcount),
    ("pfmerge", pfmerge),
    ("pfdebug", pfdebug),
];

fn err(e: hll::HllError) -> Reply {
    Reply::err(e.message())
}

/// The string bytes of an HLL key for reading (`Ok(None)` when missing); WRONGTYPE for non-strings.
fn read_hll(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Reply> {
    match ctx.read(key) {
        None => Ok(None),
        Some(Value::Str(s)) => {
            hll::validate(s.as_bytes()).map_err(err)?;
            Ok(Some(s.as_bytes().to_vec()))
        }
        Some(_) => Err(wrong_type()),
    }
}

/// Mutable bytes of an existing HLL string (converted to `raw`, like Redis's `dbUnshareStringValue`).
fn hll_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c mut Vec<u8>> {
    match ctx.write(key) {
        Some(Value::Str(s)) => Some(s.make_raw()),
        _ => None,
    }
}

fn pfadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let elements: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
    let sparse_max = ctx.tunables().hll_sparse_max_bytes;
    let exists = match ctx.write(key) {
        None => false,
        Some(Value::Str(s)) => {
            if let Err(e) = hll::validate(s.as_bytes()) {
                return err(e);
            }
            true
        }
        Some(_) => return wrong_type(),
    };
    let updated = if exists {
        let Some(bytes) = hll_mut(ctx, key) else {
            return wrong_type();
        };
        match hll::pfadd(bytes, &elements, sparse_max) {
            Ok(u) => u,
            Err(e) => return err(e),
        }
    } else {
        ctx.add_key(
            key,
            Value::Str(RString::raw(hll::pfadd_new(&elements, sparse_max))),
        );
        true
    };
    if updated {
        ctx.modified(key, notify::STRING, "pfadd");
    }
    Reply::Int(updated as i64)
}

fn pfcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 2 {
        let mut values = Vec::new();
        for k in &args[1..] {
            match read_hll(ctx, k) {
                Ok(Some(v)) => values.push(v),
                Ok(None) => {}
                Err(e) => return e,
            }
        }
        let views: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
        return match hll::count_union(&views) {
            Ok(n) => Reply::Int(n),
            Err(e) => err(e),
        };
    }
    let key = &args[1];
    match read_hll(ctx, key) {
        Ok(Some(_)) => {}
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    }
    let Some(bytes) = hll_mut(ctx, key) else {
        return wrong_type();
    };
    match hll::count_one(bytes) {
        Ok((n, rewritten)) => {
            if rewritten {
                let db = ctx.db_index();
                ctx.st.touch_watched(db, key);
                ctx.st.dirty += 1;
            }
            Reply::Int(n)
        }
        Err(e) => err(e),
    }
}

fn pfmerge(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut sources = Vec::new();
    for k in &args[2..] {
        match read_hll(ctx, k) {
            Ok(Some(v)) => sources.push(v),
            Ok(None) => {}
            Err(e) => return e,
        }
    }
    let dst = &args[1];
    let dest = match ctx.write(dst) {
        None => None,
        Some(Value::Str(s)) => {
            if let Err(e) = hll::validate(s.as_bytes()) {
                return err(e);
            }
            Some(s.as_bytes().to_vec())
        }
        Some(_) => return wrong_type(),
    };
    let views: Vec<&[u8]> = sources.iter().map(|v| v.as_slice()).collect();
    let merged = match hll::merge(dest.as_deref(), &views, ctx.tunables().hll_sparse_max_bytes) {
        Ok(m) => m,
        Err(e) => return err(e),
    };
    match hll_mut(ctx, dst) {
        // The destination keeps its TTL: it is updated in place, as Redis does.
        Some(bytes) => *bytes = merged,
        None => ctx.add_key(dst, Value::Str(RString::raw(merged))),
    }
    ctx.modified(dst, notify::STRING, "pfadd");
    Reply::ok()
}

fn pfdebug(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[2];
    match ctx.write(key) {
        None => return Reply::err("ERR The specified key does not exist"),
        Some(Value::Str(s)) => {
            if let Err(e) = hll::validate(s.as_bytes()) {
                return err(e);
            }
        }
        Some(_) => return wrong_type(),
    }
    let sub = text(&args[1]).to_ascii_lowercase();
    let Some(bytes) = hll_mut(ctx, key) else {
        return wrong_type();
    };
    match sub.as_str() {
        "getreg" if args.len() == 3 => match hll::debug_getreg(bytes) {
            Ok((regs, converted)) => {
                if converted {
                    ctx.st.dirty += 1;
                }
                Reply::Array(regs.into_iter().map(|r| Reply::Int(r as i64)).collect())
            }
            Err(e) => err(e),
        },
        "decode" if args.len() == 3 => match hll::debug_decode(bytes) {
            Ok(Some(t)) => Reply::bulk_str(t),
            Ok(None) => Reply::err("ERR HLL encoding is not sparse"),
            Err(e) => err(e),
        },
        "encoding" if args.len() == 3 => match hll::debug_encoding(bytes) {
            Ok(e) => Reply::Simple(e),
            Err(e) => err(e),
        },
        "todense" if args.len() == 3 => match hll::debug_todense(bytes) {
            Ok(converted) => {
                if converted {
                    ctx.st.dirty += 1;
                }
                Reply::Int(converted as i64)
            }
            Err(e) => err(e),
        },
        _ => Reply::err(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            text(&args[1])
        )),
    }
}
