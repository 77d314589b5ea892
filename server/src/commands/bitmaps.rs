//! Bitmap commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD(_RO).
//! The bit arithmetic and argument parsing live in `types::bitmap`; this module does the lookups,
//! type checks, notifications and replies in Redis's order.

use crate::command::Handler;
use crate::notify;
use crate::protocol::Reply;
use crate::server::{wrong_type, Ctx};
use crate::types::bitmap;
use crate::types::{RString, Value};
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("setbit", setbit),
    ("getbit", getbit),
    ("bitcount", bitcount),
    ("bitpos", bitpos),
    ("bitop", bitop),
    ("bitfield", bitfield),
    ("bitfield_ro", bitfield_ro),
];

fn max_bulk(ctx: &Ctx) -> Option<u64> {
    Some(ctx.tunables().proto_max_bulk_len as u64)
}

fn refs(args: &[Bytes]) -> Vec<&[u8]> {
    args.iter().map(|a| &a[..]).collect()
}

/// The string at `key` for reading: empty slice when missing.
fn read_bytes(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Reply> {
    match ctx.read(key) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.as_bytes().to_vec())),
        Some(_) => Err(wrong_type()),
    }
}

/// Runs `edit` on the raw bytes of the string at `key`, creating it empty when missing. The key is
/// removed again if it was created and `edit` left it empty.
fn edit_string<T>(
    ctx: &mut Ctx,
    key: &[u8],
    edit: impl FnOnce(&mut Vec<u8>) -> T,
) -> Result<T, Reply> {
    let created = match ctx.write(key) {
        None => {
            ctx.add_key(key, Value::Str(RString::raw(Vec::new())));
            true
        }
        Some(Value::Str(_)) => false,
        Some(_) => return Err(wrong_type()),
    };
    let Some(Value::Str(s)) = ctx.write(key) else {
        return Err(wrong_type());
    };
    let out = edit(s.make_raw());
    let empty = s.is_empty();
    if created && empty {
        ctx.db().remove(key);
    }
    Ok(out)
}

fn setbit(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let offset = match bitmap::parse_bit_offset(&args[2], false, 0, max_bulk(ctx)) {
        Ok(o) => o,
        Err(e) => return Reply::err(e),
    };
    let bit = match bitmap::parse_setbit_value(&args[3]) {
        Ok(b) => b,
        Err(e) => return Reply::err(e),
    };
    match edit_string(ctx, &args[1], |s| bitmap::setbit(s, offset, bit)) {
        Ok(Ok(outcome)) => {
            if outcome.modified {
                ctx.modified(&args[1], notify::STRING, "setbit");
            }
            Reply::Int(outcome.old_bit as i64)
        }
        Ok(Err(e)) => Reply::err(e),
        Err(e) => e,
    }
}

fn getbit(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let offset = match bitmap::parse_bit_offset(&args[2], false, 0, max_bulk(ctx)) {
        Ok(o) => o,
        Err(e) => return Reply::err(e),
    };
    match ctx.read(&args[1]) {
        None => Reply::Int(0),
        Some(Value::Str(s)) => Reply::Int(bitmap::getbit(s.as_bytes(), offset) as i64),
        Some(_) => wrong_type(),
    }
}

fn bitcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let s = match read_bytes(ctx, &args[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    match bitmap::parse_bitcount_range(&refs(&args[2..])) {
        Ok(range) => Reply::Int(bitmap::bitcount(&s, range)),
        Err(e) => Reply::err(e),
    }
}

fn bitpos(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let bit = match bitmap::parse_bitpos_bit(&args[2]) {
        Ok(b) => b,
        Err(e) => return Reply::err(e),
    };
    let s = match read_bytes(ctx, &args[1]) {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::Int(if bit == 1 { -1 } else { 0 }),
        Err(e) => return e,
    };
    match bitmap::parse_bitpos_range(&refs(&args[3..])) {
        Ok(r) => Reply::Int(bitmap::bitpos(&s, bit, r.start, r.end, r.unit)),
        Err(e) => Reply::err(e),
    }
}

fn bitop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let op = match bitmap::parse_bitop(&args[1], args.len() - 3) {
        Ok(op) => op,
        Err(e) => return Reply::err(e),
    };
    let mut sources = Vec::with_capacity(args.len() - 3);
    for k in &args[3..] {
        match read_bytes(ctx, k) {
            Ok(v) => sources.push(v.unwrap_or_default()),
            Err(e) => return e,
        }
    }
    let views: Vec<&[u8]> = sources.iter().map(|s| s.as_slice()).collect();
    let result = bitmap::bitop(op, &views);
    let dst = &args[2];
    let len = result.len();
    if result.is_empty() {
        if ctx.delete_key(dst) {
            ctx.modified(dst, notify::GENERIC, "del");
        }
    } else {
        ctx.set_key(dst, Value::Str(RString::raw(result)), false);
        ctx.modified(dst, notify::STRING, "set");
    }
    Reply::Int(len as i64)
}

fn bitfield_generic(ctx: &mut Ctx, args: &[Bytes], read_only: bool) -> Reply {
    let ops = match bitmap::parse_bitfield(&refs(&args[2..]), read_only, max_bulk(ctx)) {
        Ok(ops) => ops,
        Err(e) => return Reply::err(e),
    };
    let to_reply = |v: Vec<Option<i64>>| {
        Reply::Array(
            v.into_iter()
                .map(|x| x.map(Reply::Int).unwrap_or(Reply::Null))
                .collect(),
        )
    };
    if !bitmap::bitfield_has_writes(&ops) {
        let s = match read_bytes(ctx, &args[1]) {
            Ok(s) => s.unwrap_or_default(),
            Err(e) => return e,
        };
        return to_reply(bitmap::bitfield_read(&s, &ops));
    }
    match edit_string(ctx, &args[1], |s| bitmap::apply_bitfield(s, &ops)) {
        Ok(Ok(outcome)) => {
            if outcome.changes > 0 {
                ctx.modified(&args[1], notify::STRING, "setbit");
                ctx.st.dirty += outcome.changes - 1;
            }
            to_reply(outcome.replies)
        }
        Ok(Err(e)) => Reply::err(e),
        Err(e) => e,
    }
}

fn bitfield(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bitfield_generic(ctx, args, true)
}
