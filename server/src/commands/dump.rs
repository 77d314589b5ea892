//! DUMP and RESTORE with Redis's payload format (RDB-encoded value, RDB version, CRC64), so values
//! move between Redoubt and Redis with `redis-cli --cluster`-style tools and MIGRATE.

use super::{is, syntax_error};
use crate::command::Handler;
use crate::notify;
use crate::protocol::request::parse_int;
use crate::protocol::Reply;
use crate::rdb_values::{encoding_limits, from_rdb, to_rdb};
use crate::server::Ctx;
use crate::types::stream::NodeCheck;
use bytes::Bytes;
use redoubt_rdb::reader::decode_dump_payload;
use redoubt_rdb::writer::{encode_dump_payload, WriterOptions};

pub const HANDLERS: &[(&str, Handler)] = &[("dump", dump), ("restore", restore)];

/// The newest RDB version we accept in a payload (Redis 7.0's).
const RDB_VERSION: u16 = 10;

fn dump(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(v) = ctx.read(&args[1]).map(to_rdb) else {
        return Reply::Null;
    };
    let opts = WriterOptions {
        version: RDB_VERSION as u32,
        compress: true,
        checksum: true,
        limits: encoding_limits(ctx.tunables()),
    };
    match encode_dump_payload(&v, opts) {
        Ok(p) => Reply::Bulk(Bytes::from(p)),
        Err(e) => Reply::err(format!("ERR {e}")),
    }
}

fn restore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < args.len() {
        let more = j + 1 < args.len();
        if is(&args[j], "REPLACE") {
            replace = true;
        } else if is(&args[j], "ABSTTL") {
            absttl = true;
        } else if is(&args[j], "IDLETIME") && more && freq.is_none() {
            match parse_int(&args[j + 1]) {
                Some(v) if v >= 0 => idle = Some(v),
                Some(_) => return Reply::err("ERR Invalid IDLETIME value, must be >= 0"),
                None => return Reply::err(super::ERR_NOT_INT),
            }
            j += 1;
        } else if is(&args[j], "FREQ") && more && idle.is_none() {
            match parse_int(&args[j + 1]) {
                Some(v) if (0..=255).contains(&v) => freq = Some(v),
                Some(_) => return Reply::err("ERR Invalid FREQ value, must be >= 0 and <= 255"),
                None => return Reply::err(super::ERR_NOT_INT),
            }
            j += 1;
        } else {
            return syntax_error();
        }
        j += 1;
    }
    let ttl = match parse_int(&args[2]) {
        Some(t) if t >= 0 => t,
        Some(_) => return Reply::err("ERR Invalid TTL value, must be >= 0"),
        None => return Reply::err(super::ERR_NOT_INT),
    };
    if !replace && ctx.lookup_write(key).is_some() {
        return Reply::err("BUSYKEY Target key name already exists.");
    }
    let payload = &args[3];
    let version_ok = payload.len() >= 10
        && u16::from_le_bytes([payload[payload.len() - 10], payload[payload.len() - 9]])
            <= RDB_VERSION;
    let decoded = if version_ok {
        decode_dump_payload(payload).ok()
    } else {
        None
    };
    let Some((_, value)) = decoded else {
        return if version_ok {
            Reply::err("ERR Bad data format")
        } else {
            Reply::err("ERR DUMP payload version or checksum are wrong")
        };
    };
    let Some(value) = from_rdb(value, ctx.tunables(), NodeCheck::Full) else {
        return Reply::err("ERR Bad data format");
    };
    let at = if ttl == 0 {
        None
    } else if absttl {
        Some(ttl)
    } else {
        Some(ttl.saturating_add(ctx.now_ms))
    };
    let existed = ctx.delete_key(key);
    if at.is_some_and(|t| t <= ctx.now_ms) {
        // Already expired: the key is not created (and a replaced one is gone).
        if existed {
            ctx.modified(key, notify::GENERIC, "del");
            ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key.clone()]);
        }
        return Reply::ok();
    }
    if let (Some(t), false) = (at, absttl) {
        // Replicas and the AOF get the absolute time.
        let mut argv = args.to_vec();
        argv[2] = Bytes::from(t.to_string());
        argv.push(Bytes::from_static(b"ABSTTL"));
        ctx.propagate_as(argv);
    }
    ctx.set_key(key, value, false);
    if let Some(t) = at {
        ctx.db().set_expire(key, t);
    }
    let now = ctx.now_ms;
    if let Some(e) = ctx.db().keys.get_mut(key) {
        if let Some(i) = idle {
            e.access = crate::server::lru_clock(now - i * 1000);
        }
        if let Some(f) = freq {
            e.access = (crate::eviction::lfu_initial(now) & !0xff) | f as u32;
        }
    }
    ctx.modified(key, notify::GENERIC, "restore");
    Reply::ok()
}
