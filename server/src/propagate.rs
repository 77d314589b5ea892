//! The propagation stream: every write in its deterministic form (relative expiries made absolute,
//! generated stream IDs spelled out, blocking pops as their non-blocking effect, lazy and active
//! expirations as DEL), in the one total order in which writes were applied.
//!
//! Handlers do not call this module directly: [`crate::server::call`] records the command a handler
//! ran when it changed the dataset (or the rewritten form the handler asked for), and whoever ends an
//! execution unit (a command, an EXEC, a served blocked client) calls [`flush`]. A unit that produced
//! more than one write reaches the sinks wrapped in MULTI/EXEC, as in Redis 7, so a replica or an AOF
//! load applies it atomically. The sinks are the AOF and the replication backlog; each tracks its own
//! selected db and prefixes SELECT when a write is for another db.

use crate::protocol::reply::{header, put_bulk};
use crate::server::State;
use bytes::{Bytes, BytesMut};

/// One write to propagate: the db it applies to and its arguments.
pub struct Op {
    pub db: usize,
    pub args: Vec<Bytes>,
}

/// The writes of the execution unit in progress.
#[derive(Default)]
pub struct Propagation {
    /// Whether any sink wants the stream; when false, nothing is recorded (no cost).
    pub enabled: bool,
    /// Set while loading an AOF or applying a master's stream that must not be re-propagated.
    pub suppressed: bool,
    pending: Vec<Op>,
}

impl Propagation {
    /// Whether writes are being recorded now.
    pub fn recording(&self) -> bool {
        self.enabled && !self.suppressed
    }

    /// Records one write of the current unit.
    pub fn push(&mut self, db: usize, args: Vec<Bytes>) {
        if self.recording() {
            self.pending.push(Op { db, args });
        }
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// A unit ready for the sinks: commands already in RESP form, each with the db it applies to.
pub struct Unit<'a> {
    pub commands: &'a [(usize, Bytes)],
}

/// Ends the current execution unit: hands its writes to the sinks, wrapped in MULTI/EXEC when there
/// is more than one and `atomic` is set.
pub fn flush(st: &mut State, atomic: bool) {
    if st.prop.pending.is_empty() {
        return;
    }
    let ops = std::mem::take(&mut st.prop.pending);
    let wrap = atomic && ops.len() > 1;
    let mut commands = Vec::with_capacity(ops.len() + 2 * wrap as usize);
    if wrap {
        commands.push((ops[0].db, encode(&[Bytes::from_static(b"MULTI")])));
    }
    let last_db = ops.last().map(|o| o.db).unwrap_or(0);
    for op in &ops {
        commands.push((op.db, encode(&op.args)));
    }
    if wrap {
        commands.push((last_db, encode(&[Bytes::from_static(b"EXEC")])));
    }
    let unit = Unit {
        commands: &commands,
    };
    crate::aof::feed(st, &unit);
    crate::replication::feed(st, &unit);
    // Reuse the allocation for the next unit.
    let mut ops = ops;
    ops.clear();
    if st.prop.pending.capacity() == 0 {
        st.prop.pending = ops;
    }
}

/// Recomputes whether any sink wants the stream.
pub fn refresh_enabled(st: &mut State) {
    st.prop.enabled = st.aof.wants_stream() || st.repl.wants_stream();
}

/// The RESP multibulk form of a command, as the AOF and replicas receive it.
pub fn encode(args: &[Bytes]) -> Bytes {
    let len: usize = args.iter().map(|a| a.len() + 16).sum::<usize>() + 16;
    let mut out = BytesMut::with_capacity(len);
    encode_into(&mut out, args);
    out.freeze()
}

pub fn encode_into(out: &mut BytesMut, args: &[Bytes]) {
    header(out, b'*', args.len());
    for a in args {
        put_bulk(out, a);
    }
}

/// `SELECT db` in RESP form.
pub fn select_command(db: usize) -> Bytes {
    encode(&[Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())])
}

/// Shorthand for building propagated argument vectors from literals and byte strings.
pub fn argv<const N: usize>(parts: [&[u8]; N]) -> Vec<Bytes> {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}
